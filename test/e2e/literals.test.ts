/**
 * Literal secrets through the real binary (issue 20, items 10 and 12): big literal files run in
 * bounded memory, and the URL encodings the common encoders write are redacted.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { sseredact } from './cli.js';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('latin1');
const ENGINES = 'error' in loadAddon() ? ['ts'] : ['ts', 'vectorscan'];

/** `count` distinct vault-like values: hex tokens, base64 blobs with `+/=`, passwords with punctuation. */
function vaultValues(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const digest = createHash('sha256').update(String(i)).digest();
    if (i % 3 === 0) return `tok_${digest.toString('hex').slice(0, 32)}`;
    if (i % 3 === 1) return digest.subarray(0, 24).toString('base64');
    return `P@ss ${digest.toString('base64url').slice(0, 14)}!`;
  });
}

describe.each(ENGINES)('--literal-file with 100k literals, %s engine', (engine) => {
  // Before the literal automaton, each literal cost ~140 KB of heap in one alternation: this list
  // ended in a V8 heap abort (exit 134), 40k in "Maximum call stack size exceeded" (exit 3).
  test('redacts them, and their encodings, within a 256 MB heap', async () => {
    const values = vaultValues(100_000);
    const dir = mkdtempSync(join(tmpdir(), 'sseredact-literals-'));
    const list = join(dir, 'vault.txt');
    writeFileSync(list, `# exported from the vault\n${values.join('\n')}\n`);
    // values[31_338] is 36 bytes: its base64 has no partial group at the end, so all of it goes.
    const planted = [values[0]!, values[99_998]!, encodeURIComponent(values[50_000]!), JSON.stringify(values[77_777]!), Buffer.from(values[31_338]!).toString('base64')];
    const input = planted.map((value, i) => `line ${i}: ${value} end\n`).join('');
    const result = await sseredact(['--engine', engine, '--no-builtin', '--literal-file', list], {
      input,
      env: { NODE_OPTIONS: '--max-old-space-size=256' },
      timeout: 120_000,
    });
    expect({ exitCode: result.exitCode, stderr: text(result.stderr) }).toEqual({ exitCode: 0, stderr: '' });
    expect(text(result.stdout)).toBe(planted.map((value, i) => `line ${i}: ${value.startsWith('"') ? '"[REDACTED:literal-file-1]"' : '[REDACTED:literal-file-1]'} end\n`).join(''));
  }, 180_000);
});

// What each encoder writes for SECRET, from the tools themselves where this machine has them
// (python3, java, curl 7.88), by their documented rules otherwise (PHP, .NET, Go).
const SECRET = "S3cr3t!Pa ss~w*rd'(x)/é";
const ENCODED: Array<[string, string]> = [
  ['Python quote_plus, Go QueryEscape', 'S3cr3t%21Pa+ss~w%2Ard%27%28x%29%2F%C3%A9'],
  ["Python quote (safe='/')", 'S3cr3t%21Pa%20ss~w%2Ard%27%28x%29/%C3%A9'],
  ['PHP rawurlencode, Python quote(safe="")', 'S3cr3t%21Pa%20ss~w%2Ard%27%28x%29%2F%C3%A9'],
  ['PHP urlencode', 'S3cr3t%21Pa+ss%7Ew%2Ard%27%28x%29%2F%C3%A9'],
  ['Java URLEncoder', 'S3cr3t%21Pa+ss%7Ew*rd%27%28x%29%2F%C3%A9'],
  ['curl --data-urlencode (lower-case hex)', 'S3cr3t%21Pa+ss~w%2ard%27%28x%29%2f%c3%a9'],
  ['.NET HttpUtility.UrlEncode (lower-case hex)', 'S3cr3t!Pa+ss%7ew*rd%27(x)%2f%c3%a9'],
  ['JavaScript encodeURIComponent', "S3cr3t!Pa%20ss~w*rd'(x)%2F%C3%A9"],
  ['JavaScript encodeURI', "S3cr3t!Pa%20ss~w*rd'(x)/%C3%A9"],
];

describe('URL-encoded literals', () => {
  test.each(ENCODED)('--literal: %s', async (_encoder, encoded) => {
    const result = await sseredact(['--no-builtin', '--literal', SECRET], { input: `GET /login?user=bob&pw=${encoded}&next=/ HTTP/1.1\n` });
    expect(text(result.stdout)).toBe('GET /login?user=bob&pw=[REDACTED:literal]&next=/ HTTP/1.1\n');
  });

  test('--mask-env: the form curl writes', async () => {
    const result = await sseredact(['--no-builtin', '--mask-env', 'DEPLOY_PASSWORD'], {
      input: 'curl -d pw=S3cr3t%21Pa+ss~w%2ard%27%28x%29%2f%c3%a9\n',
      env: { DEPLOY_PASSWORD: SECRET },
    });
    expect(text(result.stdout)).toBe('curl -d pw=[REDACTED:mask-env]\n');
  });
});
