/**
 * `--github-masks`: GitHub Actions' `::add-mask::VALUE` workflow command honoured in the stream.
 * {@link withGithubMaskRules} adds two rules to a compiled rule set, served by the scanner of
 * engine/literal/github-masks.ts beside either engine:
 * - `github-add-mask`: the command line from its `::` to the end of VALUE (the value never shows);
 * - `github-mask`: VALUE from the byte after it to the end of that stream, with the encodings a
 *   `--literal` has (JSON, URL, base64: rules/load/literals.ts).
 *
 * VALUE is read as the runner reads it: `%25`, `%0D`, `%0A` stand for `%`, CR, LF; each line of
 * a multi-line value is a literal of its own (a log prints it line by line). A line shorter than
 * MIN_LITERAL_BYTES is not masked (it would redact ordinary text), with a warning that names its
 * length, never the value.
 *
 * @example
 *   const masked = withGithubMaskRules(ruleSet, { onWarning: warn });
 *   // then createStreamRedactor(masked, ...) or createStreamOpener(ruleSet, { githubMasks: true })
 */
import { type LiteralAutomaton, buildLiteralAutomaton } from '../engine/literal/automaton.js';
import { MAX_COMMAND_BYTES, withGithubMasks } from '../engine/literal/github-masks.js';
import { SseredactError } from '../errors.js';
import type { LiteralSetSpec } from '../types.js';
import { streamLiteralRule } from './compile.js';
import { MIN_LITERAL_BYTES, literalForms } from './load/literals.js';
import type { RuleSet } from './ruleset.js';

export const GITHUB_COMMAND_RULE_ID = 'github-add-mask';
export const GITHUB_MASK_RULE_ID = 'github-mask';

const COMMAND_SPEC: LiteralSetSpec = {
  id: GITHUB_COMMAND_RULE_ID,
  description: 'GitHub Actions ::add-mask:: command lines (--github-masks)',
  source: 'github-actions',
  literals: [],
  encodings: false,
};

const MASK_SPEC: LiteralSetSpec = {
  id: GITHUB_MASK_RULE_ID,
  description: 'values masked by an earlier ::add-mask:: in the stream, and their encodings (--github-masks)',
  source: 'github-actions',
  literals: [],
  encodings: true,
};

/** The runner's data escapes undone (ActionCommand.UnescapeData), on latin1 text. */
function unescapeData(value: string): string {
  return value.replace(/%(25|0D|0A)/gi, (escape) => (escape === '%25' ? '%' : escape.toUpperCase() === '%0D' ? '\r' : '\n'));
}

/** The byte strings (latin1) that mask one raw VALUE: each of its lines and their encodings. */
function maskForms(value: Uint8Array, onWarning: ((message: string) => void) | undefined): string[] {
  const forms: string[] = [];
  for (const line of unescapeData(Buffer.from(value).toString('latin1')).split(/\r\n|\r|\n/)) {
    if (line.length === 0) continue;
    if (line.length < MIN_LITERAL_BYTES) {
      onWarning?.(`::add-mask:: value of ${line.length} bytes not masked (shorter than ${MIN_LITERAL_BYTES}); its command line is redacted`);
      continue;
    }
    const bytes = Buffer.from(line, 'latin1');
    const text = bytes.toString('utf8');
    // Encodings are of text: bytes that are not UTF-8 are masked as they are.
    if (Buffer.from(text, 'utf8').equals(bytes)) forms.push(...literalForms({ ...MASK_SPEC, literals: [text] }));
    else forms.push(line);
  }
  return forms;
}

/**
 * `ruleSet` with `::add-mask::` honoured in every stream (see the module doc); a new rule set over
 * the same compiled rules and database. Throws SseredactError('rule') when a rule already has one
 * of the two ids.
 */
export function withGithubMaskRules(ruleSet: RuleSet, options: { readonly onWarning?: (message: string) => void } = {}): RuleSet {
  for (const id of [GITHUB_COMMAND_RULE_ID, GITHUB_MASK_RULE_ID]) {
    if (ruleSet.rules.some((rule) => rule.id === id)) throw new SseredactError('rule', `rule ${id}: the id is taken by --github-masks; rename the rule`);
  }
  const commandRule = ruleSet.rules.length;
  const maskRule = commandRule + 1;
  const onWarning = options.onWarning;
  // Each command adds one value: only its forms are new, so only it can warn.
  const compileMasks = (values: readonly Uint8Array[]): LiteralAutomaton | null => {
    const forms = values.flatMap((value, i) => maskForms(value, i === values.length - 1 ? onWarning : undefined));
    return forms.length === 0 ? null : buildLiteralAutomaton(forms);
  };
  return {
    rules: [
      ...ruleSet.rules,
      streamLiteralRule(COMMAND_SPEC, commandRule, { minWidth: '::add-mask::'.length, maxWidth: MAX_COMMAND_BYTES }),
      // A value is at most a command line; its widest form, URL encoding, is three bytes a byte.
      streamLiteralRule(MASK_SPEC, maskRule, { minWidth: MIN_LITERAL_BYTES, maxWidth: 3 * MAX_COMMAND_BYTES }),
    ],
    database: withGithubMasks(ruleSet.database, { commandRule, maskRule, compileMasks, ...(onWarning ? { onWarning } : {}) }),
  };
}
