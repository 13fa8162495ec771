/**
 * Terminal manners under a real pseudo-terminal (util-linux `script -q -c CMD /dev/null`: CMD's
 * stdin, stdout and stderr are the pty): colour in the scan report, `rules list` and error lines
 * on a TTY only, NO_COLOR turns it off, FORCE_COLOR on without a TTY; the scan progress spinner
 * (ora) shows on a TTY and never when stderr is piped; a mistyped command names the nearest one.
 * SSEREDACT_PROGRESS_DELAY_MS=0 shows the spinner at once; the scans wait seconds on stdin (a FIFO,
 * or a pipe from `sleep`), which the spinner needs only milliseconds of. (A FIFO released once the
 * spinner was seen hung under vitest: left for later.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { AWS_KEY, BIN, sseredact } from './cli.js';

const hasScript = (await execa('script', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
const ESCAPE = '\x1b[';
const dir = mkdtempSync(join(tmpdir(), 'sseredact-terminal-'));
const leaky = join(dir, 'app.env');
writeFileSync(leaky, `aws ${AWS_KEY}\n`);

/** The environment of a person at a colour terminal: no CI, no colour settings unless given. */
function terminalEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/^(CI|NO_COLOR|FORCE_COLOR|TERM|SSEREDACT_.*)$/.test(name)) env[name] = value;
  return { ...env, TERM: 'xterm-256color', ...extra };
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** Runs `command` (a shell line) with a pty as its terminal; resolves to what the terminal showed. */
async function onTerminal(command: string, env: Record<string, string> = {}) {
  const result = await execa('script', ['-q', '-e', '-c', command, '/dev/null'], { env: terminalEnv(env), extendEnv: false, reject: false, stdin: 'ignore' });
  return { status: result.exitCode, shown: String(result.stdout) };
}

describe.skipIf(!hasScript)('on a terminal', () => {
  test('the scan report is coloured on a TTY', async () => {
    const { status, shown } = await onTerminal(`${quote(BIN)} scan ${quote(leaky)}`);
    expect(status).toBe(1);
    expect(shown).toContain(`${ESCAPE}`);
    expect(shown).toContain('aws-access-key-id');
  });

  test.each([
    ['scan report', `scan ${leaky}`],
    ['rules list', 'rules list'],
    ['error line', 'no-such-command'],
  ])('NO_COLOR turns colour off: %s', async (_label, args) => {
    const { shown } = await onTerminal(`${quote(BIN)} ${args.split(' ').map(quote).join(' ')}`, { NO_COLOR: '1' });
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).not.toContain(ESCAPE);
  });

  test('rules list and the error line are coloured on a TTY', async () => {
    expect((await onTerminal(`${quote(BIN)} rules list`)).shown).toContain(ESCAPE);
    const error = await onTerminal(`${quote(BIN)} scna`);
    expect(error.status).toBe(2);
    expect(error.shown).toContain(ESCAPE);
    expect(error.shown).toContain("did you mean 'sseredact scan'?");
  });

  test('piped, no colour; FORCE_COLOR forces it', async () => {
    const plain = await sseredact(['scan', leaky], { env: terminalEnv(), extendEnv: false });
    expect(Buffer.from(plain.stdout as Uint8Array).toString()).toContain('aws-access-key-id');
    expect(Buffer.from(plain.stdout as Uint8Array).toString()).not.toContain(ESCAPE);
    const forced = await sseredact(['scan', leaky], { env: terminalEnv({ FORCE_COLOR: '1' }), extendEnv: false });
    expect(Buffer.from(forced.stdout as Uint8Array).toString()).toContain(ESCAPE);
  });

  test('a scan shows a spinner on stderr while it runs on a TTY', async () => {
    // The scan waits on stdin for seconds, far longer than ora takes to start with the delay at 0.
    const { status, shown } = await onTerminal(`stty cols 80 rows 24; (sleep 4; echo nothing here) | ${quote(BIN)} scan -`, { SSEREDACT_PROGRESS_DELAY_MS: '0' });
    expect(status).toBe(0);
    expect(shown).toContain('scanning 1 file');
  });

  test('no spinner when stderr is piped, even on a TTY stdout', async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'sseredact-fifo-')), 'input');
    execFileSync('mkfifo', [fifo]);
    const stderrFile = join(dir, 'stderr.txt');
    const run = onTerminal(`stty cols 80 rows 24; ${quote(BIN)} scan - < ${quote(fifo)} 2> ${quote(stderrFile)}; cat ${quote(stderrFile)}`, { SSEREDACT_PROGRESS_DELAY_MS: '0' });
    const writer = await open(fifo, 'w');
    // The scan is running, waiting for input: a spinner would be on stderr by now if one were allowed.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await writer.write('nothing here\n');
    await writer.close();
    const { status, shown } = await run;
    expect(status).toBe(0);
    expect(shown).toBe('');
  });
});
