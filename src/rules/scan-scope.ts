/**
 * Scan mode's rules on top of the confirmer's: which findings count in a file. The confirmer
 * checks predicates with the match only (while redacting, how much of a line is buffered depends
 * on chunking); a scan has the whole file, so here a finding must also pass
 * - its rule's `paths` (gitleaks' rule `path`): the rule only applies to files they match;
 * - its rule's predicates again, now given the path and the whole line: allowlists with `paths`
 *   or `regexTarget = "line"` apply;
 * - no inline allow marker on its line(s): `sseredact:allow`, `gitleaks:allow`, detect-secrets'
 *   `pragma: allowlist secret`, secretlint's `secretlint-disable-line`.
 *
 * Dropping a finding here gives what dropping it in the confirmer would: a rule resumes after a
 * match whether or not its predicates keep it, so no other finding depends on it.
 */
import type { Finding } from '../types.js';
import type { CompiledRule } from './compile.js';
import type { LoadedRuleSpec } from './load/schema.js';
import { type PredicateContext, compilePathFilter, hasAllowMarker } from './predicates.js';

/** What a scan knows around a finding. */
export interface FindingScope extends PredicateContext {
  readonly path: string;
  readonly match: Uint8Array;
  /** The line (or lines) holding the match, without line terminators. */
  readonly line: Uint8Array;
}

/** True when the finding counts in scan mode. */
export type ScanScope = (finding: Finding, scope: FindingScope) => boolean;

/** Compiles the scan-mode checks of `rules` once; throws SseredactError('rule') on a bad path regex. */
export function compileScanScope(rules: readonly CompiledRule[]): ScanScope {
  const appliesTo = rules.map((rule) => compilePathFilter(rule.id, (rule.spec as LoadedRuleSpec).paths));
  return (finding, scope) => {
    if (hasAllowMarker(scope.line)) return false;
    const applies = appliesTo[finding.rule];
    if (applies && !applies(scope.path)) return false;
    const keep = rules[finding.rule]!.keep;
    return keep === null || keep(finding.secretBytes, scope);
  };
}
