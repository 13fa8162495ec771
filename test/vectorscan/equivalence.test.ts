/**
 * DESIGN §3.2, engine equivalence: the ts and vectorscan engines give identical findings, and both
 * give the oracle's, on every example (true and false positives) of every rule of every built-in
 * pack, with the whole pack compiled as the CLI compiles it, and on the chunk-invariance property
 * rules. Each example is fed whole and one byte at a time. Skipped where the addon is not built.
 */
import { describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { listPacks, loadPack } from '../../src/rules/packs/index.js';
import type { RuleSpec } from '../../src/types.js';
import { FEATURE_RULES } from '../feature-rules.js';
import { oracleFindings } from '../oracle.js';
import { everyBytes, redactChunks, ruleSetOf } from '../support.js';

const hasVectorscan = !('error' in loadAddon());

/** The rules of the chunk-invariance property (test/redact/chunk-invariance.test.ts) and their plants. */
const PROPERTY_RULES = FEATURE_RULES;
const PROPERTY_INPUTS = [
  'ghp_abcdEF12',
  'AKIA12AB9Z',
  'password = "s3cr3t"',
  'PASS:hunter',
  'x tok-abc',
  'key:a1',
  'BEGIN\nxx\r\nEND',
  'pass\n: abcdefghij',
  'ab12.atl.xyz',
  'x.atl.y',
  'https://bob:pw123@h',
  'git+ssh://a:bcd@',
  'Wab\ncdW',
  'xxyxz',
  'abcd abccd',
  'E:a1b2c3d4 E:aaaaaa',
  'a\r\nb',
  'Wab cdW',
  'zq12',
  'abcdefgh0123456789abcdefghij_mk',
  'ab cdefgh0123456789_mk',
  '%3dabcdefgh_gl x\\nabcd0123_gl',
  'ab \x1b[1mabcdefgh_gl',
  's.ab12 xs.abcd s.abcdefg',
];

type Row = [label: string, text: string];

function packRows(): Row[] {
  return listPacks().flatMap((pack) =>
    loadPack(pack).flatMap((spec) => [
      ...(spec.examples?.match ?? []).map((text, i): Row => [`${spec.id} match #${i + 1}`, text]),
      ...(spec.examples?.noMatch ?? []).map((text, i): Row => [`${spec.id} noMatch #${i + 1}`, text]),
    ]),
  );
}

/** Each engine's findings on each row, in each chunking, beside the oracle's. */
function compare(specs: readonly RuleSpec[], rows: readonly Row[], engines: ReadonlyArray<readonly [string, Engine]>, chunkings: (input: Buffer) => Array<[string, Uint8Array[]]>) {
  const ruleSets = engines.map(([name, engine]) => [name, ruleSetOf(specs, engine)] as const);
  const oracleRules = ruleSets[0]![1].rules;
  const differences: string[] = [];
  for (const [label, text] of rows) {
    const input = Buffer.from(text, 'utf8');
    const key = (f: { ruleId: string; match: { start: number; end: number }; secret: { start: number; end: number } }) =>
      `${f.ruleId}@${f.match.start}-${f.match.end}/${f.secret.start}-${f.secret.end}`;
    const want = oracleFindings(oracleRules, input).map(key).sort().join(' ');
    for (const [name, ruleSet] of ruleSets) {
      for (const [chunking, chunks] of chunkings(input)) {
        const got = redactChunks(ruleSet, chunks).findings.map(key).sort().join(' ');
        if (got !== want) differences.push(`${label} (${name}, ${chunking}): got [${got}] want [${want}] on ${JSON.stringify(text)}`);
      }
    }
  }
  return differences;
}

describe.runIf(hasVectorscan)('engine equivalence', () => {
  const engines = [
    ['ts', tsEngine],
    ['vectorscan', hasVectorscan ? selectEngine('vectorscan') : tsEngine],
  ] as const;

  test('every example of every built-in pack rule: ts, vectorscan and the oracle agree', () => {
    const specs = listPacks().flatMap((pack) => loadPack(pack));
    expect(compare(specs, packRows(), engines, (input) => [['whole', [input]]])).toEqual([]);
  }, 600_000);

  test('the chunk-invariance property rules on their plants: ts, vectorscan and the oracle agree', () => {
    const rows = PROPERTY_INPUTS.map((text, i): Row => [`plant #${i + 1}`, text]);
    expect(
      compare(PROPERTY_RULES, rows, engines, (input) => [
        ['whole', [input]],
        ['1 byte', everyBytes(input, 1)],
      ]),
    ).toEqual([]);
  });
});
