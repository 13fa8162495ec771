/**
 * A match the rule's predicates reject hides nothing that starts inside it (src/redact/confirm.ts):
 * the rule resumes at the next start, not at the rejected match's end. Property: glue arbitrary
 * bytes in front of a pack example; wherever the rule still matches the example's secret at its
 * place (its regex from that start, and the predicates), the redactor finds that secret, unless a
 * finding of the same rule spans the place (the rule rightly resumes after a match it keeps) or
 * the rule matches from a glued byte with a secret around the example's that its predicates
 * reject (a secret inside a rejected one is no new secret).
 * Both engines, the whole input and 7-byte writes. A table checks the retry budget: a run of
 * rejected matches that overlap each other, longer than the budget allows retrying, gives the
 * oracle's output (test/oracle.ts spends the same budget). fast-check prints the seed;
 * SSEREDACT_FUZZ_RUNS=N runs N cases per engine (default 300).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { parseReplacement } from '../../src/redact/replace.js';
import { secretGroupOf } from '../../src/rules/compile.js';
import { findingRuleId, ruleIdentities } from '../../src/rules/keyword-groups.js';
import { loadPack } from '../../src/rules/packs/index.js';
import { packExamples } from '../adversarial/attacks.js';
import { oracleRedact } from '../oracle.js';
import { everyBytes, redactChunks, ruleSetOf } from '../support.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 300);

const ENGINES: Array<[string, Engine]> = [['ts', tsEngine]];
if (!('error' in loadAddon())) ENGINES.push(['vectorscan', selectEngine('vectorscan', undefined, { cacheDirectory: null })]);

const SPECS = [...loadPack('secrets'), ...loadPack('pii')];
const EXAMPLES = [...packExamples('secrets'), ...packExamples('pii')];

/** Bytes that start escapes, digits and word bytes: what can begin a match the predicates reject. */
const GLUE = ['%', '%3', '%35', '\\x', '\\u00', '\x1b[', '=', ':', '"', ' ', '-', '_', '.', '/', '0', '1', '3', '5', '9', 'a', 'A', 'f', 'x', 'Z'];

/** Examples of rules with a checksum (cards, IBANs): a run of digits glued in front is the common rejected match. */
const CHECKSUMMED = new Set(SPECS.filter((spec) => spec.predicates?.validator !== undefined).map((spec) => spec.id));

const caseArb = fc.oneof(fc.constantFrom(...EXAMPLES), fc.constantFrom(...EXAMPLES.filter((example) => CHECKSUMMED.has(example.rule)))).chain((example) =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom(...GLUE),
        fc.integer({ min: 0, max: example.text.length }).map((end) => example.text.slice(0, end)),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((parts) => ({ example, prefix: parts.join('') })),
);

/**
 * The rule's match that starts at `at`, if any: its secret, and whether the predicates keep it. A
 * keyword provider's rule is its keyword group, and the match must be named after the provider.
 */
function ruleMatchAt(ruleId: string, text: string, at: number): { secret: readonly [number, number]; isKept: boolean } | null {
  const rule = RULE_SETS.get('ts')!.rules.find((candidate) => ruleIdentities([candidate]).some((identity) => identity.id === ruleId))!;
  const re = new RegExp(rule.jsSource, 'dy');
  re.lastIndex = at;
  const indices = re.exec(text)?.indices;
  if (!indices || findingRuleId(rule, Buffer.from(text.slice(indices[0]![0], indices[0]![1]), 'latin1')) !== ruleId) return null;
  const secret = indices[secretGroupOf(rule.secretGroup, indices.length - 1, (group) => indices[group] !== undefined && indices[group]![1] > indices[group]![0])];
  if (!secret || secret[1] <= secret[0]) return null;
  const bytes = Buffer.from(text, 'latin1');
  return { secret, isKept: rule.keep === null || rule.keep(bytes.subarray(...secret), { match: bytes.subarray(indices[0]![0], indices[0]![1]) }) };
}

/** Whether the rule matches the example's secret at its place, and no rejected match from a glued byte has a secret around it. */
function isStillASecret(ruleId: string, text: string, at: number, secret: readonly [number, number]): boolean {
  const own = ruleMatchAt(ruleId, text, at);
  if (own === null || !own.isKept || own.secret[0] !== secret[0] || own.secret[1] !== secret[1]) return false;
  return Array.from({ length: at }, (_, start) => ruleMatchAt(ruleId, text, start)).every(
    (other) => other === null || other.isKept || other.secret[0] > secret[0] || other.secret[1] < secret[1],
  );
}

const RULE_SETS = new Map(ENGINES.map(([name, engine]) => [name, ruleSetOf(SPECS, engine)]));
/** A rule whose rejected matches overlap: every start of a run of one letter matches, and is rejected. */
const LOW_ENTROPY_RUNS = new Map(ENGINES.map(([name, engine]) => [name, ruleSetOf([{ id: 'run', regex: '[a-z]{8,64}', predicates: { minEntropy: 3 } }], engine)]));

describe.each(ENGINES)('a rejected match hides nothing that starts inside it, %s engine', (name) => {
  const ruleSet = RULE_SETS.get(name)!;

  test('every pack example after glued bytes is found where its rule still matches it', () => {
    fc.assert(
      fc.property(caseArb, ({ example, prefix }) => {
        const text = prefix + example.text;
        const at = prefix.length;
        const secret = [at + example.secret[0], at + example.secret[1]] as const;
        fc.pre(isStillASecret(example.rule, text, at, secret));
        const input = Buffer.from(text, 'latin1');
        for (const chunks of [[input], everyBytes(input, 7)]) {
          const findings = redactChunks(ruleSet, chunks).findings.filter((finding) => finding.ruleId === example.rule);
          const isFound = findings.some((finding) => finding.secret.start === secret[0] && finding.secret.end === secret[1]);
          const isSpanned = findings.some((finding) => finding.match.start < at && finding.match.end > at);
          expect({ text, isFound: isFound || isSpanned }).toEqual({ text, isFound: true });
        }
      }),
      { numRuns: RUNS },
    );
  });

  test.each([
    ['a card after the escape %35 (Luhn rejects the digits from the escape on)', () => ruleSet, 'GET /cb?q=%3566002020360505&x=1\n'],
    [
      '300 KB of rejected matches each overlapping the next, far past the retry budget',
      () => LOW_ENTROPY_RUNS.get(name)!,
      `${'a'.repeat(300_000)}qwertyuiopasdfghjklzxcvbnm ${'ab'.repeat(10_000)}mnbvcxzlkjhgfdsapoiuytrewq\n`,
    ],
  ])('%s: the oracle output', (_label, rules, text) => {
    const input = Buffer.from(text, 'latin1');
    const replacement = parseReplacement('[REDACTED:{rule}]');
    const want = oracleRedact(rules().rules, input, replacement).output.toString('latin1');
    for (const chunks of [[input], everyBytes(input, 4093)]) expect(redactChunks(rules(), chunks, replacement).output.toString('latin1')).toBe(want);
  });
});
