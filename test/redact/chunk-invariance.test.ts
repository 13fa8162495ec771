/**
 * DESIGN §3.1, chunk invariance: for random rule sets, random inputs (planted secrets, binary
 * bytes, CRLF, no trailing newline) and every chunking, the streaming redactor gives exactly the
 * oracle's bytes and findings. fast-check prints the seed and the shrunk case on failure.
 * 1,000 cases per engine per run (DESIGN); SSEREDACT_FUZZ_RUNS sets another count for a longer hunt.
 *
 * Holding back as little as DESIGN §3.4 allows must never cost correctness: a second property
 * feeds prose without newlines, cut right after words that are partial keywords, anchors and
 * values (`pass`, `passw`, `secret =`, `ghp_ab`), so that each write ends with a match in flight
 * whose secret has or has not begun (half as many cases: its inputs are narrower).
 * A third property plants runs of touching and overlapping secrets several regions long
 * (MAX_REGION), where the redactor must cut the run into regions exactly where the oracle does
 * (15 cases a run; SSEREDACT_RUN_CASES=500 for a longer one).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { MAX_REGION, parseReplacement } from '../../src/redact/replace.js';
import type { RuleSpec } from '../../src/types.js';
import { FEATURE_RULES } from '../feature-rules.js';
import { oracleRedact } from '../oracle.js';
import { cutAt, everyBytes, redactChunks, ruleSetOf } from '../support.js';

const PLANTS = [
  'ghp_abcdEF12',
  'AKIA12AB9Z',
  'password = "s3cr3t"',
  'PASS:hunter',
  'tok-abc',
  'key:a1',
  'BEGIN\nxx\r\nEND',
  'pass\n: abcdefghij',
  'ab12.atl.xyz',
  'x.atl.y',
  'https://bob:pw123@h',
  'git+ssh://a:bcd@',
  'zz://q:',
  'Wab\ncdW',
  'xxyxz',
  'abcd',
  'abccd',
  'E:a1b2c3d4',
  'E:aaaaaa',
  'a\r\nb',
  'Wab cdW',
  'zq12',
  '\xff\x00\xe9',
  '\r\n',
  '\n',
  'abcdefgh0123456789abcdefghij_mk',
  'ab cdefgh0123456789_mk',
  '%3dabcdefgh_gl',
  '\\nabcd0123_gl',
  '\x1b[1mabcdefgh_gl',
  's.ab12',
  'xs.abcd',
  's.abcdefg',
  'Mab1.x2.abc',
  'Nq.ab.',
  'x.ab.cd',
  '1/23/456:ab12',
  '2/12/',
  'ion_Ab12c',
  'ion_ms',
  'sec="a</b>c"',
  'sec>ab<c</d>',
  'sec="ab',
  'sec>a</',
];

const ALPHABET = 'abcdeghkpqstwxyzABEKPW0123456789_:=" \n\r\t-\xff\xe9\x00'.split('');

const literalRule = fc.stringMatching(/^[a-e0-9]{2,5}$/).map((literal): RuleSpec => ({ id: 'literal', regex: literal }));

const ruleSetArb = fc.tuple(fc.subarray(FEATURE_RULES, { minLength: 1 }), fc.array(literalRule, { maxLength: 3 })).map(([features, literals]) => {
  const seen = new Set<string>();
  return [...features, ...literals.map((rule, i) => ({ ...rule, id: `lit${i}` }))].filter((r) => !seen.has(r.id) && seen.add(r.id));
});

const inputArb = fc
  .array(fc.oneof(fc.constantFrom(...PLANTS), fc.constantFrom(...ALPHABET), fc.stringMatching(/^[a-z0-9 ]{1,12}$/)), { maxLength: 60 })
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 1000);

const replacements = [parseReplacement('[REDACTED:{rule}]'), parseReplacement('*4'), parseReplacement('<{len}:{hash}>', 'k')];

/** Every engine this machine has: ts always; vectorscan where the addon is built (CI builds it). */
const ENGINES: Array<[string, Engine]> = [['ts', tsEngine]];
if (!('error' in loadAddon())) ENGINES.push(['vectorscan', selectEngine('vectorscan', undefined, { cacheDirectory: null })]);

const PROSE_RUNS = Math.ceil(RUNS / 2);

/** Words of prose, and the starts of the feature rules' matches: each may end a write. */
const WORDS = [
  'the',
  'quick',
  'brown',
  'fox',
  'Password:',
  'pass',
  'passw',
  'password',
  '=',
  ':',
  '"',
  'secret',
  'hunter22',
  'ghp_',
  'ghp_abcd',
  'AKIA',
  'AKIA12',
  'tok-',
  'tok-abc',
  'E:',
  'E:a1b2',
  'ab12.atl',
  '.atl.',
  'https://bob',
  'https://bob:pw1',
  'q12',
  'W',
  'Wab',
  'BEGIN',
  'END',
];

/** Prose without a newline: words joined by spaces or nothing, and where each word ends (a cut). */
const proseArb = fc.array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(' ', '', ', ')), { minLength: 1, maxLength: 40 }).map((parts) => {
  let text = '';
  const wordEnds: number[] = [];
  for (const [word, separator] of parts) {
    text += word;
    wordEnds.push(text.length);
    text += separator;
  }
  return { input: Buffer.from(text, 'latin1'), wordEnds };
});

/** Asserts that every chunking gives the oracle's bytes and findings. */
function expectOracle(
  engine: Engine,
  specs: RuleSpec[],
  input: Buffer,
  chunkings: Array<[string, Uint8Array[], { lastWithEnd?: boolean; readsOn?: boolean }?]>,
  replacement: (typeof replacements)[number],
): void {
  const ruleSet = ruleSetOf(specs, engine, 64);
  const want = oracleRedact(ruleSet.rules, input, replacement);
  const wantFindings = want.findings.map((f) => [f.ruleId, f.match.start, f.match.end, f.secret.start, f.secret.end]);
  for (const [label, chunks, how] of chunkings) {
    const got = redactChunks(ruleSet, chunks, replacement, how);
    expect(got.output.toString('latin1'), label).toBe(want.output.toString('latin1'));
    expect(
      got.findings.map((f) => [f.ruleId, f.match.start, f.match.end, f.secret.start, f.secret.end]),
      label,
    ).toEqual(wantFindings);
  }
}

describe.each(ENGINES)('chunk invariance against the oracle, %s engine', (_name, engine) => {
  test('every chunking gives the oracle bytes and findings', () => {
    fc.assert(
      fc.property(ruleSetArb, inputArb, fc.array(fc.nat(400)), fc.constantFrom(...replacements), (specs, input, cuts, replacement) => {
        expectOracle(
          engine,
          specs,
          input,
          [
            ['whole', [input]],
            ['1 byte', everyBytes(input, 1)],
            ['7 bytes', everyBytes(input, 7)],
            ['random', cutAt(input, cuts)],
            // end(last): what scan mode does with a file's last slice.
            ['random, the last chunk given to end()', cutAt(input, cuts), { lastWithEnd: true }],
            ['random, writes followed, an empty write after every third', cutAt(input, cuts), { readsOn: true }],
          ],
          replacement,
        );
      }),
      { numRuns: RUNS },
    );
  });

  test('prose without newlines, cut where words end, gives the oracle bytes and findings', () => {
    fc.assert(
      fc.property(ruleSetArb, proseArb, fc.array(fc.nat(400)), fc.constantFrom(...replacements), (specs, { input, wordEnds }, cuts, replacement) => {
        expectOracle(
          engine,
          specs,
          input,
          [
            ['after every word', cutAt(input, wordEnds)],
            ['after every word, the last given to end()', cutAt(input, wordEnds), { lastWithEnd: true }],
            ['1 byte', everyBytes(input, 1)],
            ['random', cutAt(input, cuts)],
            ['after every word, writes followed', cutAt(input, wordEnds), { readsOn: true }],
          ],
          replacement,
        );
      }),
      { numRuns: PROSE_RUNS },
    );
  });
});

/** Rules whose findings touch (one rule, back to back) and overlap (two rules, shifted) in long runs. */
const RUN_RULES: RuleSpec[] = [
  { id: 'aws', regex: 'AKIA[0-9A-Z]{6}' },
  { id: 'abab', regex: 'abab' },
  { id: 'baba', regex: 'baba' },
  { id: 'pw', regex: 'pw=([a-z0-9]{4,9})', secretGroup: 1 },
];

const runArb = fc
  .array(
    // 'ab' runs grow a region by 4 and 1 bytes in turn, so some land exactly on MAX_REGION.
    fc.tuple(fc.constantFrom('AKIA12AB9Z', 'ab', 'pw=s3cr3t', 'AKIAZZZZZZ'), fc.integer({ min: 1, max: 2600 }), fc.constantFrom('', ' ', '\n', 'a', 'x')),
    { minLength: 1, maxLength: 4 },
  )
  .map((runs) => Buffer.from(runs.map(([plant, count, gap]) => plant.repeat(count) + gap).join(''), 'latin1'));

describe.each(ENGINES)('runs of touching secrets longer than a region, %s engine', (_name, engine) => {
  const ruleSet = ruleSetOf(RUN_RULES, engine, 64);
  test("every chunking cuts the run into the oracle's regions", () => {
    fc.assert(
      fc.property(runArb, fc.array(fc.nat(3 * MAX_REGION), { maxLength: 8 }), fc.constantFrom(...replacements), (input, cuts, replacement) => {
        const want = oracleRedact(ruleSet.rules, input, replacement);
        const wantFindings = want.findings.map((f) => [f.ruleId, f.secret.start, f.secret.end]);
        const chunkings: Array<[string, Uint8Array[]]> = [
          ['whole', [input]],
          ['13 bytes', everyBytes(input, 13)],
          ['random', cutAt(input, cuts)],
        ];
        for (const [label, chunks] of chunkings) {
          const got = redactChunks(ruleSet, chunks, replacement);
          expect(got.output.toString('latin1'), label).toBe(want.output.toString('latin1'));
          expect(
            got.findings.map((f) => [f.ruleId, f.secret.start, f.secret.end]),
            label,
          ).toEqual(wantFindings);
        }
      }),
      { numRuns: Number(process.env.SSEREDACT_RUN_CASES ?? 15) },
    );
  });

  test('a run of touching secrets becomes regions of at most MAX_REGION bytes plus one secret', () => {
    const input = Buffer.from('AKIA12AB9Z'.repeat(3 * MAX_REGION), 'latin1');
    const { output } = oracleRedact(ruleSet.rules, input, parseReplacement('<{len}>'));
    const lengths = [...output.toString('latin1').matchAll(/<(\d+)>/g)].map((m) => Number(m[1]));
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(input.length);
    expect(lengths.filter((length) => length > MAX_REGION + 10)).toEqual([]);
    expect(lengths.length).toBeGreaterThan(2);
  });
});
