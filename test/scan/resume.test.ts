/**
 * `sseredact scan --resume JOURNAL` end to end, on both engines: a real bin/sseredact scan of a
 * generated tree (on the worker pool and on one thread) and of a generated git history is killed
 * with SIGKILL at random points (once the journal holds a random number of finished units), run
 * again each time, and the last run's report (text, NDJSON, SARIF or --write-baseline, and its
 * exit status) must be byte for byte the one an uninterrupted scan gives; the journal is gone
 * after it. A torn last line (a kill mid-write) is cut off; a changed tree, history, rules or
 * option refuses the journal with one line naming what differs (exit 2), leaving it as it was.
 *
 * Inputs are small for CI (the kill points are counted in journal lines, so they land inside the
 * scan whatever the machine's speed); SSEREDACT_RESUME_TEST_FILES=N and _KILLS=N make it larger,
 * SSEREDACT_RESUME_TEST_SEED replays a run (the seed is in every failure's label).
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { AWS_KEY, BIN, sseredact } from '../e2e/cli.js';
import { seededRandom } from '../e2e/process.js';
import { GIT_ENV, directoryWith, git } from './git-repo.js';

const ENGINES = 'addon' in loadAddon() ? ['ts', 'vectorscan'] : ['ts'];
const FILES = Number(process.env.SSEREDACT_RESUME_TEST_FILES ?? 600);
const KILLS = Number(process.env.SSEREDACT_RESUME_TEST_KILLS ?? 2);
const SEED = Number(process.env.SSEREDACT_RESUME_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ENV = { ...GIT_ENV, NO_COLOR: '', FORCE_COLOR: '0' };
const TIMEOUT = 180_000;
const GITHUB_TOKEN = 'ghp_R7s9Kx2LmQ4vT8wY1zB6nC3dF5gH0jP2aE4u';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
/** Journals go here: outside the trees scanned (a journal in one would be scanned too). */
const journals = directoryWith({});

/** A file of `lines` lines, a secret on some of them (an AWS key, a GitHub token on a CRLF line). */
function fileText(index: number, lines: number): string {
  let body = '';
  for (let line = 0; line < lines; line++) {
    if ((index + line) % 17 === 3) body += `aws_key = ${AWS_KEY}\n`;
    else if ((index * 3 + line) % 29 === 5) body += `token: ${GITHUB_TOKEN}\r\n`;
    else body += `line ${line} of file ${index}, nothing secret here\n`;
  }
  return body;
}

/** FILES files of varied sizes (so the pool's smallest-first order is not the report's), a binary one and an empty one. */
function tree(): string {
  const files: Record<string, string | Uint8Array> = {};
  for (let i = 0; i < FILES; i++) files[`d${i % 7}/f${String(i).padStart(5, '0')}.txt`] = fileText(i, (i * 7919) % 61);
  files['bin/blob.dat'] = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, ...Buffer.from(AWS_KEY)]);
  files['empty.txt'] = '';
  return directoryWith(files);
}

/** A repository whose history has FILES / 3 commits of 3 files each (git fast-import: quick). */
async function history(): Promise<string> {
  const dir = directoryWith({});
  await git(dir, ['init', '-q', '-b', 'main']);
  let stream = '';
  for (let commit = 1; commit <= Math.ceil(FILES / 3); commit++) {
    const message = `commit ${commit}\n`;
    stream += `commit refs/heads/main\nmark :${commit}\nauthor A <a@example.test> ${1_700_000_000 + commit} +0000\ncommitter A <a@example.test> ${1_700_000_000 + commit} +0000\n`;
    stream += `data ${message.length}\n${message}${commit > 1 ? `from :${commit - 1}\n` : ''}`;
    for (let file = 0; file < 3; file++) {
      const content = fileText(commit * 3 + file, 5 + ((commit * 31 + file) % 20));
      stream += `M 100644 inline d${commit % 5}/f${file}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    }
  }
  await execa('git', ['fast-import', '--quiet'], { cwd: dir, input: stream, env: GIT_ENV });
  await git(dir, ['reset', '-q', '--hard']);
  return dir;
}

async function scan(cwd: string, args: readonly string[]) {
  const result = await sseredact(['scan', '--no-config', ...args], { cwd, env: ENV });
  return { exitCode: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) };
}

function linesIn(path: string): number {
  try {
    return readFileSync(path, 'latin1').split('\n').length - 1;
  } catch {
    return 0;
  }
}

/** Runs the scan and kills it with SIGKILL once `journal` holds `killAt` lines; false when it finished first. */
async function killWhenJournalled(cwd: string, args: readonly string[], journal: string, killAt: number): Promise<boolean> {
  const run = execa(BIN, ['scan', '--no-config', ...args], { cwd, env: ENV, reject: false, stdout: 'ignore', stderr: 'ignore' });
  let finished = false;
  void run.then(() => {
    finished = true;
  });
  while (!finished && linesIn(journal) < killAt) await sleep(2);
  if (finished) return false;
  run.kill('SIGKILL');
  expect((await run).signal).toBe('SIGKILL');
  return true;
}

/**
 * Kills a scan KILLS times at random journal sizes up to `units` lines, running it again each time,
 * and leaves a torn last line after each kill; returns the lines each kill left.
 */
async function killAndResume(cwd: string, args: readonly string[], journal: string, units: number, random: () => number): Promise<number[]> {
  const left: number[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const killAt = 2 + Math.floor(((units - 2) * (kill + random())) / (KILLS + 1));
    if (!(await killWhenJournalled(cwd, args, journal, killAt))) break;
    left.push(linesIn(journal));
    // As a kill mid-write would leave it: the next run must cut it off before it appends.
    appendFileSync(journal, '{"unit":"7","size":12,"sca');
  }
  return left;
}

describe.each(ENGINES)('scan --resume after kill -9, engine %s', (engine) => {
  const dir = tree();
  const repo = history();

  test.each([
    ['a tree on 2 workers, text report', ['--jobs', '2', '.'], []],
    ['a tree on one thread, NDJSON report', ['--jobs', '1', '.'], ['--json']],
    ['a tree on 3 workers, SARIF report', ['--jobs', '3', '.'], ['--sarif']],
  ])(
    '%s: the last run reports as one run, byte for byte',
    async (name, scope, report) => {
      const label = `${name}, engine ${engine}, seed ${SEED}`;
      const journal = join(journals, `${engine}-${scope[1]}.journal`);
      const args = ['--engine', engine, ...scope];
      const oneRun = await scan(dir, [...args, ...report]);
      expect(oneRun.exitCode, label).toBe(1);
      const left = await killAndResume(dir, [...args, '--resume', journal], journal, FILES, seededRandom(SEED + scope[1]!.length));
      expect(left.length, `killed mid-scan at least once: ${label}`).toBeGreaterThan(0);
      const resumed = await scan(dir, [...args, ...report, '--resume', journal]);
      expect(resumed, `journal lines left: ${left.join(', ')}; ${label}`).toEqual(oneRun);
      expect(existsSync(journal), 'a finished scan removes its journal').toBe(false);
    },
    TIMEOUT,
  );

  test(
    'a --git history, --write-baseline: the baseline written is that of one run',
    async () => {
      const cwd = await repo;
      const label = `engine ${engine}, seed ${SEED}`;
      const journal = join(journals, `${engine}-git.journal`);
      const args = ['--engine', engine, '--git'];
      const oneRun = await scan(cwd, [...args, '--json']);
      expect(oneRun.exitCode, label).toBe(1);
      const oneBaseline = await scan(cwd, [...args, '--write-baseline', 'one.baseline']);
      const left = await killAndResume(cwd, [...args, '--resume', journal], journal, FILES, seededRandom(SEED + 1));
      expect(left.length, `killed mid-scan at least once: ${label}`).toBeGreaterThan(0);
      const resumedBaseline = await scan(cwd, [...args, '--write-baseline', 'resumed.baseline', '--resume', journal]);
      expect(resumedBaseline, label).toEqual({ ...oneBaseline, stderr: oneBaseline.stderr.replace('one.baseline', 'resumed.baseline') });
      expect(readFileSync(join(cwd, 'resumed.baseline'), 'utf8'), label).toBe(readFileSync(join(cwd, 'one.baseline'), 'utf8'));
      await killAndResume(cwd, [...args, '--resume', journal], journal, FILES, seededRandom(SEED + 2));
      expect(await scan(cwd, [...args, '--json', '--resume', journal]), label).toEqual(oneRun);
    },
    TIMEOUT,
  );
});

describe('scan --resume after a file was not scanned', () => {
  test(
    "a worker died on it twice: exit 3, the journal kept; run again, only that file is scanned and the report is one run's",
    async () => {
      const dir = tree();
      const journal = join(directoryWith({}), 'crash.journal');
      const args = ['--jobs', '2', '--json', '.'];
      const oneRun = await scan(dir, args);
      const crashed = await sseredact(['scan', '--no-config', ...args, '--resume', journal], {
        cwd: dir,
        env: { ...ENV, NODE_ENV: 'test', SSEREDACT_TEST_FAULT: 'scan-crash:f00042.txt' },
      });
      expect(crashed.exitCode).toBe(3);
      expect(text(crashed.stderr)).toContain('sseredact: d0/f00042.txt: not scanned');
      expect(existsSync(journal)).toBe(true);
      const resumed = await scan(dir, [...args, '--verbose', '--resume', journal]);
      expect(resumed.stderr).toContain(`resuming from ${journal}: ${FILES + 1} file(s) already scanned`);
      expect({ ...resumed, stderr: '' }).toEqual(oneRun);
      expect(existsSync(journal)).toBe(false);
    },
    TIMEOUT,
  );
});

describe('scan --resume refuses a journal of another scan, and leaves it as it was', () => {
  /** A scan of `cwd` killed once its journal holds 20 lines: the journal's path and bytes. */
  async function interrupted(cwd: string, args: readonly string[], name: string) {
    const journal = join(directoryWith({}), `${name}.journal`);
    expect(await killWhenJournalled(cwd, [...args, '--resume', journal], journal, 20)).toBe(true);
    return { journal, bytes: readFileSync(journal) };
  }

  test(
    'a changed file, a new file, other rules, another --max-match: one line naming it, exit 2',
    async () => {
      const dir = tree();
      const args = ['--jobs', '1', '.'];
      const { journal, bytes } = await interrupted(dir, args, 'tree');
      const refused = async (extra: readonly string[], why: RegExp) => {
        const result = await scan(dir, [...args, ...extra, '--resume', journal]);
        expect(result).toEqual({
          exitCode: 2,
          stdout: '',
          stderr: expect.stringMatching(new RegExp(`^sseredact: scan --resume .*: the journal is of another scan: ${why.source}\\n$`)),
        });
        expect(readFileSync(journal).equals(bytes)).toBe(true);
      };
      await refused(['--disable', 'aws-access-key-id'], /rules differ/);
      await refused(['--max-match', '8192'], /options differ: --max-match \(4096 then, 8192 now\)/);
      writeFileSync(join(dir, 'new.txt'), 'new\n');
      await refused([], /files differ: new\.txt is new/);
      rmSync(join(dir, 'new.txt'));
      appendFileSync(join(dir, 'd3/f00010.txt'), 'one more line\n');
      await refused([], /files differ: d3\/f00010\.txt changed \(\[\d+,[\d.]+\] then, \[\d+,[\d.]+\] now\)/);
      const stdin = await scan(dir, ['--resume', journal, '-']);
      expect(stdin).toEqual({ exitCode: 2, stdout: '', stderr: 'sseredact: scan --resume: not with stdin (-): it cannot be read again\n' });
    },
    TIMEOUT,
  );

  test(
    'a --git history with a new commit: one line naming it, exit 2',
    async () => {
      const cwd = await history();
      const { journal, bytes } = await interrupted(cwd, ['--git'], 'git');
      writeFileSync(join(cwd, 'later.txt'), 'later\n');
      await git(cwd, ['add', 'later.txt']);
      await git(cwd, ['commit', '-qm', 'later']);
      const head = (await git(cwd, ['rev-parse', 'HEAD'])).stdout.trim();
      const result = await scan(cwd, ['--git', '--resume', journal]);
      expect(result).toEqual({ exitCode: 2, stdout: '', stderr: `sseredact: scan --resume ${journal}: the journal is of another scan: commits differ: ${head} is new\n` });
      expect(readFileSync(journal).equals(bytes)).toBe(true);
    },
    TIMEOUT,
  );
});
