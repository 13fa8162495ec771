/**
 * DESIGN §3.5, fail closed, through bin/sseredact: the confirmer throws mid-stream (the test-only
 * fault of src/redact/confirm.ts: NODE_ENV=test SSEREDACT_TEST_FAULT=confirm makes it throw on the
 * first match it accepts). The bytes that had left before stay; no byte from the failure point on
 * leaves (neither the secret nor the clean text after it); the status is 3 with one line on stderr.
 *
 * Each case writes a clean part, waits until it has come out (so the failure is mid-stream), then
 * writes a secret and more clean text. The output must be a prefix of what a run without the fault
 * prints, at least the clean part, and end before that run's first redaction.
 */
import { once } from 'node:events';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { AWS_KEY, BIN, sseredact } from './cli.js';

const FAULT = { NODE_ENV: 'test', SSEREDACT_TEST_FAULT: 'confirm' };
const ENGINES = 'error' in loadAddon() ? ['ts'] : ['ts', 'vectorscan'];

function chatEvent(content: string): string {
  return `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;
}

/** Per mode: the flags, the clean part, the text it shows once out, and the rest (a secret, then clean text). */
const MODES = [
  { mode: 'plain', flags: [], clean: 'first clean line\nsecond clean line\n', shows: 'second clean line\n', rest: `key=${AWS_KEY}\nclean text after the secret\n` },
  { mode: '--sse', flags: ['--sse'], clean: 'data: one\n\ndata: two\n\n', shows: 'data: two\n\n', rest: `data: key=${AWS_KEY}\n\ndata: after\n\n` },
  {
    mode: '--sse-json openai',
    flags: ['--sse-json', 'openai'],
    // Whole lines: a line's text leaves at once (prose within a line may still be held back).
    clean: chatEvent('first line\n') + chatEvent('second line\n'),
    shows: 'second line\\n',
    rest: `${[`key ${AWS_KEY.slice(0, 8)}`, `${AWS_KEY.slice(8)} and`, ' clean text after'].map(chatEvent).join('')}data: [DONE]\n\n`,
  },
];

const CASES = ENGINES.flatMap((engine) => MODES.map((mode) => ({ engine, ...mode })));

describe.each(CASES)('fail closed through bin/sseredact, $engine engine, $mode', ({ engine, flags, clean, shows, rest }) => {
  test('a confirmer failure mid-stream stops the output at the failure point and exits 3 with one line', async () => {
    const args = ['--engine', engine, ...flags];
    const want = Buffer.from((await sseredact(args, { input: clean + rest })).stdout as Uint8Array).toString('latin1');
    const redactedAt = want.indexOf('[REDACTED:aws-access-key-id]');
    expect(redactedAt, 'a run without the fault redacts the secret').toBeGreaterThan(0);

    const child = execa(BIN, args, { env: FAULT, buffer: false, reject: false });
    let got = '';
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (data: string) => {
      got += data;
    });
    child.stdin!.write(clean);
    while (!got.includes(shows) && child.stdout!.readable) await Promise.race([once(child.stdout!, 'data'), once(child.stdout!, 'end')]);
    expect(got, 'the clean part came out before the secret went in').toContain(shows);
    const beforeFailure = got.length;
    child.stdin!.end(rest);
    const stderr = (await child.stderr!.toArray()).join('');
    const { exitCode } = await child;

    expect(got).not.toContain(AWS_KEY.slice(0, 8));
    expect(got).toBe(want.slice(0, got.length)); // only bytes a correct run prints too
    expect(got.length).toBeGreaterThanOrEqual(beforeFailure);
    expect(got.length, 'output went past the failure point').toBeLessThanOrEqual(redactedAt);
    expect(exitCode).toBe(3);
    expect(stderr).toMatch(/^sseredact: internal error, output stopped: injected fault [^\n]*\n$/);
  });
});
