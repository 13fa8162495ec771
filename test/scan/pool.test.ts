/**
 * `sseredact scan` on its worker pool (src/pool/, src/pipeline/scan.ts), end to end through
 * bin/sseredact, on both engines:
 * - the report (text, NDJSON, SARIF) is byte for byte the one-thread report, whatever the
 *   workers and the smallest-first order they scan in;
 * - a file that runs past --file-timeout, or on which workers die twice, is named on stderr as not
 *   scanned and the status is 3, while every other file is still reported; a worker that dies once
 *   is replaced and the file retried (the test-only faults of src/pipeline/scan-worker.ts:
 *   NODE_ENV=test SSEREDACT_TEST_FAULT=scan-hang:NAME | scan-crash:NAME | scan-crash-once:NAME);
 * - --stats counts what was scanned, skipped and not scanned, and names each worker;
 * - a pool scan fills the program cache on a miss (a build in the background), for the next run.
 *
 * The tree is small (a few dozen files, sizes from empty to 300 KB: more than one 256 KiB slice)
 * so that the suite stays fast; SSEREDACT_POOL_TEST_FILES=N makes it larger.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { AWS_KEY, sseredact } from '../e2e/cli.js';
import { directoryWith, git } from './git-repo.js';

const ENGINES = 'error' in loadAddon() ? ['ts'] : ['ts', 'vectorscan'];
const ENV = { NO_COLOR: '', FORCE_COLOR: '0' };
const FILES = Number(process.env.SSEREDACT_POOL_TEST_FILES ?? 40);
/** Each test runs bin/sseredact several times, each start loading the rule set in every worker. */
const TIMEOUT = 180_000;
const GITHUB_TOKEN = 'ghp_R7s9Kx2LmQ4vT8wY1zB6nC3dF5gH0jP2aE4u';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');

/**
 * A tree whose files differ in size (so smallest-first reorders them), some with secrets (one
 * straddling the 256 KiB slice boundary, one with CRLF lines, one allowed inline), a binary file
 * and an empty one.
 */
function tree(): string {
  const files: Record<string, string | Uint8Array> = {};
  for (let i = 0; i < FILES; i++) {
    const filler = `line ${i} of some ordinary text, nothing secret here\n`.repeat(((i * 7919) % 97) * 3);
    const secret = i % 5 === 0 ? `aws_key = ${AWS_KEY}\n` : i % 7 === 0 ? `token: ${GITHUB_TOKEN}\r\n` : '';
    files[`dir${i % 4}/file${String(i).padStart(3, '0')}.txt`] = `${filler}${secret}${filler}`;
  }
  files['big/straddle.log'] = `${'x'.repeat(256 * 1024 - 10)} key=${AWS_KEY}\n${'tail line\n'.repeat(4000)}`;
  files['big/allowed.env'] = `aws_key = ${AWS_KEY} # sseredact:allow\n`;
  files['bin/blob.dat'] = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, ...Buffer.from(AWS_KEY)]);
  files['empty.txt'] = '';
  return directoryWith(files);
}

async function scan(cwd: string, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const result = await sseredact(['scan', ...args], { cwd, env: { ...ENV, ...env } });
  return { exitCode: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) };
}

describe.each(ENGINES)('scan on the worker pool, engine %s', (engine) => {
  const dir = tree();
  // The one-thread reports, run once per set of flags.
  const singles = new Map<string, ReturnType<typeof scan>>();
  const single = (flags: readonly string[]) => {
    const key = flags.join(' ');
    if (!singles.has(key)) singles.set(key, scan(dir, ['--engine', engine, '--jobs', '1', ...flags, '.']));
    return singles.get(key)!;
  };

  test.each([
    ['text', [], ['2', '3']],
    ['--json', ['--json'], ['2']],
    ['--sarif', ['--sarif'], ['2']],
  ])(
    '%s: more workers give the --jobs 1 report byte for byte',
    async (_name, flags, jobsList) => {
      const one = await single(flags);
      expect(one.exitCode).toBe(1);
      expect(one.stdout).toContain('straddle.log');
      for (const jobs of jobsList) {
        const many = await scan(dir, ['--engine', engine, '--jobs', jobs, ...flags, '.']);
        expect({ jobs, ...many }).toEqual({ jobs, ...one });
      }
    },
    TIMEOUT,
  );

  test(
    'staged blobs and stdin, handed to the workers as bytes: the --jobs 1 report',
    async () => {
      const repo = tree();
      await git(repo, ['init', '-q']);
      await git(repo, ['add', '.']);
      const staged = await scan(repo, ['--engine', engine, '--jobs', '1', '--staged']);
      expect(staged.stdout).toContain('dir0/file000.txt:');
      expect(await scan(repo, ['--engine', engine, '--jobs', '2', '--staged'])).toEqual(staged);
      const input = `clean\naws_key = ${AWS_KEY}\n`;
      const piped = await sseredact(['scan', '--engine', engine, '--jobs', '2', '-', 'empty.txt'], { cwd: dir, env: ENV, input });
      expect(text(piped.stdout)).toBe(
        '-:2:11 aws-access-key-id: aws_key = ****************N4PQ\n\n1 secret in 1 file; a false positive can be marked with sseredact:allow on its line\n',
      );
    },
    TIMEOUT,
  );

  test(
    'a file that hangs is reported as not scanned after --file-timeout, status 3; the others are reported',
    async () => {
      const clean = await single([]);
      const hung = await scan(dir, ['--engine', engine, '--jobs', '2', '--file-timeout', '10', '.'], { NODE_ENV: 'test', SSEREDACT_TEST_FAULT: 'scan-hang:file005.txt' });
      expect(hung.exitCode).toBe(3);
      expect(hung.stderr).toBe('sseredact: dir1/file005.txt: not scanned: it took longer than --file-timeout (10000 ms)\nsseredact: 1 file(s) not scanned\n');
      // Everything but the hung file's findings, in the same order.
      const withoutHung = clean.stdout
        .split('\n')
        .filter((line) => !line.startsWith('dir1/file005.txt:'))
        .join('\n');
      expect(hung.stdout.replace(/^\d+ secrets in \d+ files.*$/m, '')).toBe(withoutHung.replace(/^\d+ secrets in \d+ files.*$/m, ''));
    },
    TIMEOUT,
  );

  test(
    'a worker that dies on a file twice: the file is reported as not scanned, status 3; the pool goes on with a new worker',
    async () => {
      const clean = await single([]);
      const crashed = await scan(dir, ['--engine', engine, '--jobs', '2', '--stats', '.'], { NODE_ENV: 'test', SSEREDACT_TEST_FAULT: 'scan-crash:file010.txt' });
      expect(crashed.exitCode).toBe(3);
      expect(crashed.stderr).toMatch(
        /^sseredact: dir2\/file010\.txt: not scanned: a worker died on it twice \(injected fault \(SSEREDACT_TEST_FAULT=scan-crash:file010\.txt\): the worker died on dir2\/file010\.txt\)\n/,
      );
      expect(crashed.stderr).toMatch(/, 1 not scanned;/);
      expect(crashed.stderr).toContain('sseredact: 1 file(s) not scanned\n');
      // Two workers died on it: two restarts, wherever they happened.
      const restarts = [...crashed.stderr.matchAll(/(\d+) restarts?/g)].reduce((sum, match) => sum + Number(match[1]), 0);
      expect(restarts).toBe(2);
      expect(crashed.stdout).not.toContain('dir2/file010.txt:');
      expect(crashed.stdout.split('\n').filter((line) => line.startsWith('dir'))).toEqual(
        clean.stdout.split('\n').filter((line) => line.startsWith('dir') && !line.startsWith('dir2/file010.txt:')),
      );
    },
    TIMEOUT,
  );

  test(
    'a worker that dies on a file once: a new worker scans it again and the report is the clean one',
    async () => {
      const clean = await single([]);
      const retried = await scan(dir, ['--engine', engine, '--jobs', '2', '.'], { NODE_ENV: 'test', SSEREDACT_TEST_FAULT: 'scan-crash-once:file010.txt' });
      expect(retried).toEqual(clean);
    },
    TIMEOUT,
  );

  test(
    '--stats: files scanned, skipped and not scanned, bytes, the queue and each worker',
    async () => {
      const pooled = await scan(dir, ['--engine', engine, '--jobs', '2', '--stats', '.']);
      const lines = pooled.stderr.split('\n');
      expect(lines[0]).toMatch(
        new RegExp(`^sseredact: stats: ${FILES + 3} files scanned, 1 skipped \\(binary\\), 0 not scanned; \\d+ bytes in [\\d.]+ s: [\\d.]+ MB/s, \\d+ files/s; \\d+ findings$`),
      );
      expect(lines[1]).toMatch(
        /^sseredact: stats: 2 workers, peak queue \d+; worker 1: ready in [\d.]+ s, \d+ files, busy [\d.]+ s \(\d+%\); worker 2: ready in [\d.]+ s, \d+ files, busy [\d.]+ s \(\d+%\)$/,
      );
      const perWorker = [...lines[1]!.matchAll(/worker \d: ready in [\d.]+ s, (\d+) files/g)].reduce((sum, match) => sum + Number(match[1]), 0);
      expect(perWorker).toBe(FILES + 4);
      const oneThread = await scan(dir, ['--engine', engine, '--jobs', '1', '--stats', '.']);
      expect(oneThread.stderr.split('\n')[1]).toBe('sseredact: stats: on the main thread (no workers for a small input, or --jobs 1)');
    },
    TIMEOUT,
  );
});

describe('the program cache from a scan', () => {
  test(
    'a scan on the pool builds the programs in the background and caches them: the next scan reads them',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'sseredact-scan-programs-'));
      try {
        const env = { ...ENV, XDG_CACHE_HOME: home };
        // stdin held open keeps the pool scan going until the build is over (or 45 s have gone by).
        const run = sseredact(['scan', '--engine', 'ts', '--jobs', '2', '-v', '-'], { env, encoding: 'utf8' });
        let told = '';
        run.stderr!.on('data', (chunk: Buffer | string) => {
          told += String(chunk);
        });
        run.stdin!.write(`aws_key = ${AWS_KEY}\n`);
        for (let waited = 0; waited < 45_000 && !/programs: (\d+ built in the background|the background build failed)/.test(told); waited += 100) await sleep(100);
        run.stdin!.end();
        const cold = await run;
        expect(cold.exitCode).toBe(1);
        expect(String(cold.stderr)).toMatch(/programs: nothing cached(.|\n)*programs: \d+ built in the background/);
        expect(readdirSync(join(home, 'sseredact')).filter((name) => name.startsWith('programs-'))).toHaveLength(1);

        const warm = await sseredact(['scan', '--engine', 'ts', '--jobs', '2', '-v', '-'], { env, input: `aws_key = ${AWS_KEY}\n`, encoding: 'utf8' });
        expect(warm.exitCode).toBe(1);
        expect(String(warm.stderr)).not.toMatch(/programs:/);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});
