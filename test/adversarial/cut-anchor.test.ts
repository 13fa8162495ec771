/**
 * The fuzz target's find of 2026-12-03, held: an Authress key cut by a write between its `sc` and
 * its `_`, 16 or more bytes into the write, leaked through the vectorscan engine. Debian 12's AVX2
 * copy of Vectorscan 5.4.9 loses a two-byte anchor a scan call cuts (VectorCamp/vectorscan#402);
 * the loader now runs a copy that finds it (src/engine/vectorscan/addon.ts, chooseRuntime).
 * test/vectorscan/cut-anchors.test.ts cuts every pack example at every byte on the engine alone.
 */
import { describe, expect, test } from 'vitest';
import { type EngineChoice, selectEngine } from '../../src/engine/select.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { loadPack } from '../../src/rules/packs/index.js';
import { cutAt, redactChunks, ruleSetOf } from '../support.js';

const AUTHRESS_KEY = 'sc_kmv9hriafiafe.ckmb.acc_p-ccqpiutbg6if62a.hnDTV84rlx89JzYaUz-/8ZSNWr/eEXi8c_pdxwj=v68';

const ENGINES: EngineChoice[] = ['ts', ...('error' in loadAddon() ? [] : (['vectorscan'] as const))];

describe.each(ENGINES)('an anchor cut by a write, %s engine', (engine) => {
  const ruleSet = ruleSetOf(loadPack('secrets'), selectEngine(engine, undefined, { cacheDirectory: null }));
  const redact = (before: string, cut: number) => {
    const input = Buffer.from(`${before}${AUTHRESS_KEY}\n`);
    return Buffer.from(redactChunks(ruleSet, cutAt(input, [before.length + cut])).output).toString('latin1');
  };

  test.each([
    [8, 2],
    [36, 1],
    [36, 2],
    [36, 3],
    [64, 2],
    [1000, 2],
  ])('an authress-access-key after %i bytes, cut %i bytes into it, is redacted', (pad, cut) => {
    expect(redact(`${'x'.repeat(pad)} `, cut)).not.toContain('kmv9hri');
  });
});
