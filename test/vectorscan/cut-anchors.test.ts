/**
 * Every secret of the secrets pack's examples, cut by a write at every byte, is reported by the
 * vectorscan engine as it is whole: the runtime copy the loader chose must not lose a match a
 * scan call cuts (VectorCamp/vectorscan#402: Debian 12's AVX2 and AVX-512 copies lose an
 * accelerated two-byte anchor cut 16 or more bytes into a write; native/src/addon.cc, "Runtimes").
 *
 * `SSEREDACT_VECTORSCAN_RUNTIME=avx2 npx vitest run test/vectorscan/cut-anchors.test.ts` runs it
 * on another copy, to see what that copy loses.
 */
import { describe, expect, test } from 'vitest';
import type { Database, Scanner } from '../../src/engine/engine.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createVectorscanEngine } from '../../src/engine/vectorscan/engine.js';
import { loadPack } from '../../src/rules/packs/index.js';
import { packExamples } from '../adversarial/attacks.js';
import { ruleSetOf } from '../support.js';

const load = loadAddon();

/** The furthest end reported per rule, as `rule:end` strings, for an input written as `writes`. */
function furthestEnds(scanner: Scanner, writes: readonly Uint8Array[]): string[] {
  scanner.reset();
  const furthest = new Map<number, number>();
  const note = (match: { rule: number; end: number }) => furthest.set(match.rule, Math.max(furthest.get(match.rule) ?? -1, match.end));
  for (const write of writes) scanner.write(write, note);
  scanner.end(note);
  return [...furthest].map(([rule, end]) => `${rule}:${end}`).sort();
}

describe.skipIf(!('addon' in load))('matches cut by a write, vectorscan engine', () => {
  test('each pack example after 16, 37 and 64 bytes of text, cut at each of its bytes, is reported as whole', () => {
    const addon = (load as Extract<typeof load, { addon: unknown }>).addon;
    const chosen = addon.runtime();
    const runtime = process.env.SSEREDACT_VECTORSCAN_RUNTIME ?? chosen;
    addon.useRuntime(runtime);
    let database: Database;
    try {
      database = ruleSetOf(loadPack('secrets'), createVectorscanEngine(addon, { fallback: tsEngine, cacheDirectory: null })).database;
    } finally {
      addon.useRuntime(chosen);
    }
    const scanner = database.open();
    const lost: string[] = [];
    let cuts = 0;
    for (const example of packExamples('secrets')) {
      for (const before of [`${'x'.repeat(15)} `, `${'a1 '.repeat(12)} `, `${'-'.repeat(63)} `]) {
        const input = Buffer.from(`${before}${example.text}\n`, 'latin1');
        const whole = furthestEnds(scanner, [input]);
        for (let cut = before.length + 1; cut < before.length + example.text.length; cut++) {
          cuts++;
          const split = furthestEnds(scanner, [input.subarray(0, cut), input.subarray(cut)]);
          const missing = whole.filter((end) => !split.includes(end));
          if (missing.length > 0) lost.push(`${example.rule} after ${before.length} bytes, cut at ${cut - before.length}: ${missing.join(' ')}`);
        }
      }
    }
    console.log(`cut anchors: runtime ${runtime}: ${cuts} cuts, ${lost.length} lost`);
    expect(lost).toEqual([]);
  });
});
