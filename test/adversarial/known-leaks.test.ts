/**
 * The open leaks of KNOWN_LEAKS (./attacks.ts), each as it was found: `test.fails` passes while the
 * leak is there and goes red once it is fixed, so that its entry (and this test) are removed.
 */
import { describe, expect, test } from 'vitest';
import { selectEngine } from '../../src/engine/select.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { loadPack } from '../../src/rules/packs/index.js';
import { cutAt, redactChunks, ruleSetOf } from '../support.js';
import { KNOWN_LEAKS } from './attacks.js';

const AUTHRESS_KEY = 'sc_kmv9hriafiafe.ckmb.acc_p-ccqpiutbg6if62a.hnDTV84rlx89JzYaUz-/8ZSNWr/eEXi8c_pdxwj=v68';

describe.skipIf('error' in loadAddon())('open leaks of the vectorscan engine', () => {
  const ruleSet = ruleSetOf(loadPack('secrets'), selectEngine('vectorscan', undefined, { cacheDirectory: null }));
  const redact = (before: string, cut: number) => {
    const input = Buffer.from(`${before}${AUTHRESS_KEY}\n`);
    return Buffer.from(redactChunks(ruleSet, cutAt(input, [before.length + cut])).output).toString('latin1');
  };

  test('authress-access-key is listed', () => {
    expect(KNOWN_LEAKS.vectorscan).toContain('authress-access-key');
  });

  test('the same key, cut elsewhere or nearer the start, is redacted', () => {
    for (const [before, cut] of [
      ['x'.repeat(8), 2],
      ['x'.repeat(36), 3],
      ['x'.repeat(36), 1],
    ] as const)
      expect(redact(`${before} `, cut)).not.toContain('kmv9hri');
  });

  test.fails('authress-access-key cut between `sc` and `_`, 16 or more bytes into a write, is redacted (VectorCamp/vectorscan#402)', () => {
    expect(redact(`${'x'.repeat(36)} `, 2)).not.toContain('kmv9hri');
  });
});
