/**
 * Through bin/sseredact on both engines: a match the predicates reject does not hide a secret
 * that starts inside it (src/redact/confirm.ts). `%35` is a URL escape the card rule may take as
 * its token boundary: from there the digits fail Luhn, and the card from `3566` on passes it.
 */
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { sseredact } from './cli.js';

const ENGINES = ['ts', ...('error' in loadAddon() ? [] : ['vectorscan'])];

describe.each(ENGINES)('a secret inside a rejected match, %s engine', (engine) => {
  test.each([
    ['a JCB card after the escape %35', 'GET /cb?q=%3566002020360505&x=1\n', 'GET /cb?q=%************0505&x=1\n'],
    ['the same at the end of the input, no newline', 'q=%3566002020360505', 'q=%************0505'],
  ])('%s', async (_label, input, want) => {
    const result = await sseredact(['--pii', '--engine', engine], { input });
    expect({ stdout: Buffer.from(result.stdout as Uint8Array).toString('latin1'), exitCode: result.exitCode }).toEqual({ stdout: want, exitCode: 0 });
  });
});
