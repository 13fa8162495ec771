/**
 * The oracle (DESIGN §2): the simple, non-streaming definition of correct behaviour. Whole input
 * in; each rule's printed JS RegExp run globally over the latin1 text; predicates (a match they
 * reject resumes the search at its start + 1, within the budget of mayRetry, so that it hides
 * nothing that starts inside it; a secret inside the last rejected one is rejected with it, see
 * isShadowed); the union of secret spans replaced, in regions of at most
 * MAX_REGION bytes (plus one secret). Every streaming path must give exactly these bytes and findings.
 */

import { isShadowed, mayRetry, retryCost } from '../src/redact/confirm.js';
import { MAX_REGION, type Replacement, regionRuleId, renderReplacement } from '../src/redact/replace.js';
import { type CompiledRule, secretGroupOf } from '../src/rules/compile.js';
import { findingRuleId } from '../src/rules/keyword-groups.js';

export interface OracleFinding {
  readonly ruleId: string;
  readonly rule: number;
  readonly match: { start: number; end: number };
  readonly secret: { start: number; end: number };
}

export function oracleFindings(rules: readonly CompiledRule[], input: Uint8Array): OracleFinding[] {
  const text = Buffer.from(input).toString('latin1');
  const findings: OracleFinding[] = [];
  for (const rule of rules) {
    const re = new RegExp(rule.jsSource, 'dg');
    let retried = 0;
    let rejected: { start: number; end: number } | undefined;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const indices = m.indices!;
      const span = indices[secretGroupOf(rule.secretGroup, indices.length - 1, (group) => indices[group] !== undefined && indices[group]![1] > indices[group]![0])];
      if (!span || span[1] <= span[0]) continue;
      const match = { start: m.index, end: m.index + m[0].length };
      const secret = { start: span[0], end: span[1] };
      const isShadow = isShadowed(secret, rejected);
      if (isShadow || (rule.keep && !rule.keep(input.subarray(secret.start, secret.end), { match: input.subarray(match.start, match.end) }))) {
        if (!isShadow) rejected = secret;
        if (mayRetry(retried, match)) {
          retried += retryCost(match);
          re.lastIndex = match.start + 1;
        }
        continue;
      }
      findings.push({ ruleId: findingRuleId(rule, input.subarray(match.start, match.end)), rule: rule.index, match, secret });
    }
  }
  return findings;
}

export interface OracleResult {
  readonly output: Buffer;
  /** In output order: by merged region, then by (secret start, rule index). */
  readonly findings: OracleFinding[];
}

export function oracleRedact(rules: readonly CompiledRule[], input: Uint8Array, replacement: Replacement): OracleResult {
  return oracleRedactFindings(oracleFindings(rules, input), input, replacement, rules);
}

/** The redaction of `input` given all its findings (of any rules, in any order): merged regions replaced. */
export function oracleRedactFindings(findings: readonly OracleFinding[], input: Uint8Array, replacement: Replacement, rules: readonly CompiledRule[]): OracleResult {
  const all = [...findings].sort((a, b) => a.secret.start - b.secret.start || a.rule - b.rule);
  const regions: Array<{ start: number; end: number; findings: OracleFinding[] }> = [];
  // Spans that overlap or touch merge, up to MAX_REGION bytes a region (see replace.ts).
  for (const finding of all) {
    const last = regions.at(-1);
    if (last && finding.secret.start <= last.end && (last.end - last.start < MAX_REGION || finding.secret.end <= last.end)) {
      last.end = Math.max(last.end, finding.secret.end);
      last.findings.push(finding);
    } else {
      const start = last ? Math.max(finding.secret.start, last.end) : finding.secret.start;
      regions.push({ start, end: finding.secret.end, findings: [finding] });
    }
  }
  const pieces: Uint8Array[] = [];
  let at = 0;
  const inOrder: OracleFinding[] = [];
  for (const region of regions) {
    pieces.push(input.subarray(at, region.start));
    pieces.push(renderReplacement(replacement, input.subarray(region.start, region.end), regionRuleId(region.findings, rules)));
    inOrder.push(...region.findings);
    at = region.end;
  }
  pieces.push(input.subarray(at));
  return { output: Buffer.concat(pieces), findings: inOrder };
}
