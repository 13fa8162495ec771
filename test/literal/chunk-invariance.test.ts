/**
 * DESIGN §3.1 for literal sets: many literals (with their encoded forms) beside regex rules, on
 * both engines, every chunking (whole, 1 byte, 7 bytes, random cuts) gives exactly the oracle's
 * bytes and findings; and the literal scanner holds back only a literal still in flight.
 * fast-check prints the seed; SSEREDACT_FUZZ_RUNS=N runs more cases (default 60).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createStreamRedactor } from '../../src/redact/redactor.js';
import { literalRules } from '../../src/rules/load/literals.js';
import { compileRuleSet } from '../../src/rules/ruleset.js';
import type { LiteralSetSpec, RuleSpec } from '../../src/types.js';
import { oracleRedact } from '../oracle.js';
import { TEMPLATE, cutAt, everyBytes, redactChunks } from '../support.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 60);

const ENGINES: Array<[string, Engine]> = [['ts', tsEngine]];
if (!('error' in loadAddon())) ENGINES.push(['vectorscan', selectEngine('vectorscan', undefined, { cacheDirectory: null })]);

const REGEX_RULES: RuleSpec[] = [
  { id: 'gh', regex: 'ghp_[A-Za-z0-9]{8}' },
  { id: 'pw', regex: '(?i)pass(?:word)?\\s*[=:]\\s*([^\\s]{3,12})', secretGroup: 1 },
];

/** Literals over a small alphabet, so that they overlap, nest and share prefixes; a few with punctuation for the encoded forms. */
const literalArb = fc.oneof(fc.stringMatching(/^[abk0-9]{4,10}$/), fc.stringMatching(/^[ab!/ +=é]{4,8}$/));

function specsOf(first: string[], second: string[], withRegex: boolean): Array<RuleSpec | LiteralSetSpec> {
  return [...(withRegex ? REGEX_RULES : []), ...literalRules(first, { id: 'list-a' }), ...literalRules(second, { id: 'list-b', encodings: false })];
}

describe.each(ENGINES)('literal sets, %s engine', (_name, engine) => {
  test('every chunking gives the oracle bytes and findings', () => {
    fc.assert(
      fc.property(
        fc.array(literalArb, { minLength: 1, maxLength: 120 }),
        fc.array(literalArb, { maxLength: 20 }),
        fc.boolean(),
        fc.array(fc.nat(30), { maxLength: 30 }),
        fc.array(fc.nat(300)),
        (first, second, withRegex, picks, cuts) => {
          const specs = specsOf(first, second, withRegex);
          const ruleSet = compileRuleSet(specs, { engine, maxMatch: 256 });
          // Plant literals, their encodings and near misses between random filler.
          const pool = [
            ...first,
            ...second,
            encodeURIComponent(first[0]!),
            Buffer.from(`x${first[0]}`).toString('base64'),
            'password=hunter2',
            'ghp_abcdEF12',
            'ab',
            'k0',
            ' ',
            '\n',
            'é',
          ];
          const input = Buffer.from(picks.map((pick, i) => `${pool[pick % pool.length]}${i % 3 === 0 ? 'z' : ''}`).join(''), 'utf8');
          const want = oracleRedact(ruleSet.rules, input, TEMPLATE);
          const wantFindings = want.findings.map((f) => [f.ruleId, f.match.start, f.match.end]);
          const chunkings: Array<[string, Uint8Array[]]> = [
            ['whole', [input]],
            ['1 byte', everyBytes(input, 1)],
            ['7 bytes', everyBytes(input, 7)],
            ['random', cutAt(input, cuts)],
          ];
          for (const [label, chunks] of chunkings) {
            const got = redactChunks(ruleSet, chunks);
            expect({ label, output: got.output.toString('latin1') }).toEqual({ label, output: want.output.toString('latin1') });
            expect({ label, findings: got.findings.map((f) => [f.ruleId, f.match.start, f.match.end]) }).toEqual({ label, findings: wantFindings });
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('3000 vault-like literals: random chunkings give the oracle bytes and findings', () => {
    const values = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? `tok_${(i * 2654435761).toString(36)}` : Buffer.from(`pw ${i}!${i * 7}`).toString('base64')));
    const ruleSet = compileRuleSet([...REGEX_RULES, ...literalRules(values, { id: 'vault' })], { engine, maxMatch: 4096 });
    fc.assert(
      fc.property(fc.array(fc.nat(values.length - 1), { maxLength: 40 }), fc.array(fc.nat(2000)), (picks, cuts) => {
        const input = Buffer.from(picks.map((pick, i) => [values[pick]!, encodeURIComponent(values[pick]!), `${values[pick]!.slice(0, 6)} `][i % 3]).join(' x '), 'latin1');
        const want = oracleRedact(ruleSet.rules, input, TEMPLATE);
        const got = redactChunks(ruleSet, cutAt(input, cuts));
        expect(got.output.toString('latin1')).toEqual(want.output.toString('latin1'));
        expect(got.findings.map((f) => [f.ruleId, f.match.start, f.match.end])).toEqual(want.findings.map((f) => [f.ruleId, f.match.start, f.match.end]));
      }),
      { numRuns: Math.max(5, RUNS / 10) },
    );
  });

  test('a partial literal at the end of a chunk is held, and nothing before it', () => {
    const ruleSet = compileRuleSet(literalRules(['hunter2-prod-9x', 'zz-other-secret']), { engine, maxMatch: 4096 });
    const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE, locate: false });
    const out = (chunk: string) => Buffer.from(redactor.write(Buffer.from(chunk))).toString('latin1');
    expect(out('prompt> ')).toBe('prompt> ');
    expect(out('key hunter2-pr')).toBe('key ');
    expect(out('od-9x and hunt')).toBe('[REDACTED:literal] and ');
    expect(out('ing\n')).toBe('hunting\n');
    expect(Buffer.from(redactor.end()).toString('latin1')).toBe('');
  });
});
