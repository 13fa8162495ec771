/**
 * Long file jobs through the real CLI: `-o FILE`, `--in-place` (`--suffix`), and `--checkpoint` /
 * `--resume` after `kill -9` at random points.
 *
 * The kill-and-resume test generates a CI log (bench/corpus.mjs) with a secret every 4 KiB on
 * average (PEM private keys among them, which span many lines, so checkpoint intervals of 64 KiB
 * fall inside secrets), kills the run with SIGKILL several times at random output sizes, resumes
 * it each time, and compares the output and the records byte for byte with one uninterrupted run,
 * on both engines. Small by default for CI; the size and more kills via the environment:
 *
 *     SSEREDACT_FILEJOBS_MB=200 SSEREDACT_FILEJOBS_KILLS=10 npx vitest run test/e2e/file-jobs.test.ts
 *
 * SSEREDACT_FILEJOBS_SEED replays a run (the seed is printed with every failure's label).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { writeCorpus } from '../../bench/corpus.mjs';
import { AWS_KEY, BIN, sseredact } from './cli.js';
import { seededRandom } from './process.js';

const MEGABYTES = Number(process.env.SSEREDACT_FILEJOBS_MB ?? 8);
const KILLS = Number(process.env.SSEREDACT_FILEJOBS_KILLS ?? 3);
const SEED = Number(process.env.SSEREDACT_FILEJOBS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ENGINES = ['ts', 'vectorscan'] as const;
const TIMEOUT = 600_000;

const root = mkdtempSync(join(tmpdir(), 'sseredact-filejobs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let corpus: string | null = null;
/** The generated input, made once for every test that needs it. */
function bigInput(): string {
  if (corpus === null) {
    corpus = join(root, 'ci.log');
    writeCorpus({ out: corpus, sidecar: `${corpus}.secrets.json`, bytes: MEGABYTES * 1024 * 1024, seed: SEED, secretEvery: 4096 });
  }
  return corpus;
}

const text = (bytes: unknown): string => Buffer.from(bytes as Uint8Array).toString('utf8');

interface Checkpoint {
  output: { tempPath: string; offset: number };
  position: { offset: number; lines: number };
}

function readCheckpoint(path: string): Checkpoint | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  } catch {
    return null; // not there yet, or between its write and rename (the old one is then read next)
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Runs `args` and kills it with SIGKILL once its temporary output holds `killAt` bytes and its
 * checkpoint is at `afterOffset` or later; resolves to false when the run finished first.
 */
async function killWhenWritten(args: readonly string[], checkpointPath: string, killAt: number, options: { afterOffset?: number; env?: NodeJS.ProcessEnv } = {}): Promise<boolean> {
  const run = execa(BIN, args, { reject: false, ...(options.env ? { env: options.env, extendEnv: false } : {}) });
  let finished = false;
  void run.then(() => {
    finished = true;
  });
  while (!finished) {
    const saved = readCheckpoint(checkpointPath);
    if (saved !== null && sizeOf(saved.output.tempPath) >= killAt && saved.position.offset >= (options.afterOffset ?? 0)) break;
    await sleep(5);
  }
  if (finished) return false;
  run.kill('SIGKILL');
  const result = await run;
  expect(result.signal).toBe('SIGKILL');
  return true;
}

describe.each(ENGINES)('kill -9 and --resume (engine %s)', (engine) => {
  test(
    `${MEGABYTES} MB, ${KILLS} kills: output and records byte for byte those of one run (seed ${SEED})`,
    async () => {
      const input = bigInput();
      const dir = join(root, `resume-${engine}`);
      mkdirSync(dir);
      const reference = await sseredact(['--engine', engine, '-o', join(dir, 'ref.out'), '--records', join(dir, 'ref.ndjson'), input]);
      expect(text(reference.stderr)).toBe('');
      const out = join(dir, 'job.out');
      const records = join(dir, 'job.ndjson');
      const checkpoint = join(dir, 'job.ckpt');
      const args = ['--engine', engine, '-o', out, '--records', records, '--checkpoint', checkpoint, '--checkpoint-every', '64KiB', input];
      const next = seededRandom(SEED + engine.length);
      const outputSize = sizeOf(join(dir, 'ref.out'));
      const resumedFrom: number[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const killAt = Math.floor((outputSize * (kill + next())) / (KILLS + 1));
        const wasKilled = await killWhenWritten(kill === 0 ? args : [...args, '--resume'], checkpoint, killAt);
        if (!wasKilled) break;
        resumedFrom.push(readCheckpoint(checkpoint)?.position.offset ?? -1);
        expect(existsSync(out), 'the target is only renamed into place at the end').toBe(false);
      }
      const last = await sseredact([...args, '--resume']);
      expect({ status: last.exitCode, stderr: text(last.stderr) }).toEqual({ status: 0, stderr: '' });
      const label = `engine ${engine}, seed ${SEED}, resumed from ${resumedFrom.join(', ')}`;
      expect(
        resumedFrom.some((offset) => offset > 0),
        label,
      ).toBe(true);
      expect(readFileSync(out).equals(readFileSync(join(dir, 'ref.out'))), `output: ${label}`).toBe(true);
      expect(text(readFileSync(records)), label).toBe(text(readFileSync(join(dir, 'ref.ndjson'))));
      expect(existsSync(checkpoint), 'a finished run removes its checkpoint').toBe(false);
    },
    TIMEOUT,
  );
});

describe('--resume refuses what does not match, and writes nothing', () => {
  /** A run killed after its first checkpoints, and the state it left. */
  async function interrupted(name: string) {
    const dir = join(root, name);
    mkdirSync(dir);
    const input = join(dir, 'in.log');
    writeFileSync(input, readFileSync(bigInput()).subarray(0, 4 * 1024 * 1024));
    const out = join(dir, 'out.log');
    const checkpoint = join(dir, 'job.ckpt');
    const args = ['-o', out, '--checkpoint', checkpoint, '--checkpoint-every', '64KiB', input];
    expect(await killWhenWritten(args, checkpoint, 1024 * 1024)).toBe(true);
    const saved = readFileSync(checkpoint, 'utf8');
    const temp = (JSON.parse(saved) as Checkpoint).output.tempPath;
    return { dir, input, out, checkpoint, args, saved, temp, tempBytes: readFileSync(temp) };
  }

  test.each([
    [
      'changed-prefix',
      'an input changed in its first bytes',
      (input: string) => writeFileSync(input, Buffer.concat([Buffer.from('X'), readFileSync(input).subarray(1)])),
      /first \d+ bytes changed|modification time/,
    ],
    ['grown', 'an input grown', (input: string) => writeFileSync(input, Buffer.concat([readFileSync(input), Buffer.from('more\n')])), /size changed/],
  ])(
    '%s: %s: one line naming it, exit 2',
    async (name, _description, change, why) => {
      const job = await interrupted(name);
      change(job.input);
      const result = await sseredact([...job.args, '--resume']);
      expect(result.exitCode).toBe(2);
      expect(text(result.stderr)).toMatch(new RegExp(`^sseredact: --resume: checkpoint .* does not match: .*(${why.source}).*\\n$`));
      expect(readFileSync(job.checkpoint, 'utf8')).toBe(job.saved);
      expect(readFileSync(job.temp).equals(job.tempBytes)).toBe(true);
      expect(existsSync(job.out)).toBe(false);
    },
    TIMEOUT,
  );

  test(
    'other options: refused; without --resume: refused; then resumed it finishes',
    async () => {
      const job = await interrupted('options');
      const otherOptions = await sseredact([...job.args, '--replace', '***', '--resume']);
      expect({ status: otherOptions.exitCode, stderr: text(otherOptions.stderr) }).toEqual({
        status: 2,
        stderr: expect.stringMatching(/^sseredact: --resume: checkpoint .* does not match: the rules or options .*\n$/),
      });
      const again = await sseredact(job.args);
      expect({ status: again.exitCode, stderr: text(again.stderr) }).toEqual({
        status: 2,
        stderr: expect.stringMatching(/a checkpoint of an unfinished run is there: add --resume/),
      });
      expect(readFileSync(job.temp).equals(job.tempBytes)).toBe(true);
      const resumed = await sseredact([...job.args, '--resume']);
      expect(resumed.exitCode).toBe(0);
      const oneRun = await sseredact([job.input]);
      expect(readFileSync(job.out).equals(Buffer.from(oneRun.stdout as Uint8Array))).toBe(true);
    },
    TIMEOUT,
  );
});

describe('--resume keeps what a run decided at its start', () => {
  test(
    '--in-place --suffix: the file redacted, the original kept whole, the mode kept',
    async () => {
      const dir = join(root, 'in-place-resume');
      mkdirSync(dir);
      const file = join(dir, 'app.log');
      const original = readFileSync(bigInput()).subarray(0, 4 * 1024 * 1024);
      writeFileSync(file, original);
      chmodSync(file, 0o640);
      const checkpoint = join(dir, 'job.ckpt');
      const args = ['--in-place', '--suffix', '.orig', '--checkpoint', checkpoint, '--checkpoint-every', '64KiB', file];
      expect(await killWhenWritten(args, checkpoint, 1024 * 1024)).toBe(true);
      expect(readFileSync(file).equals(original), 'the file is untouched until the run ends').toBe(true);
      const resumed = await sseredact([...args, '--resume']);
      expect({ status: resumed.exitCode, stderr: text(resumed.stderr) }).toEqual({ status: 0, stderr: '' });
      const oneRun = await sseredact(['-'], { input: original });
      expect(readFileSync(file).equals(Buffer.from(oneRun.stdout as Uint8Array))).toBe(true);
      expect(readFileSync(`${file}.orig`).equals(original)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o640);
      expect(readdir(dir)).toEqual(['app.log', 'app.log.orig']);
    },
    TIMEOUT,
  );

  test(
    '{hash} without SSEREDACT_HASH_KEY: the key is kept in the checkpoint, so a secret hashes alike before and after the cut',
    async () => {
      const dir = join(root, 'hash-key');
      mkdirSync(dir);
      const input = join(dir, 'in.log');
      writeFileSync(input, Array.from({ length: 100_000 }, (_, i) => `line ${i} uploading as ${AWS_KEY} to the bucket\n`).join(''));
      const out = join(dir, 'out.log');
      const checkpoint = join(dir, 'job.ckpt');
      const args = ['--replace', '{hash}', '-o', out, '--checkpoint', checkpoint, '--checkpoint-every', '64KiB', input];
      const env = { ...process.env, SSEREDACT_HASH_KEY: undefined };
      expect(await killWhenWritten(args, checkpoint, 0, { afterOffset: 1, env })).toBe(true);
      const resumed = await sseredact([...args, '--resume'], { env, extendEnv: false });
      expect(resumed.exitCode).toBe(0);
      const hashes = new Set(readFileSync(out, 'utf8').match(/as (\S+) to/g));
      expect(hashes.size, [...hashes].join(' ')).toBe(1);
    },
    TIMEOUT,
  );
});

describe('--resume after a kill once the output was complete (NODE_ENV=test SSEREDACT_TEST_FAULT=checkpoint-kill:...)', () => {
  /** `--in-place --suffix .orig` on a 1 MiB file, killed by the fault `when`: the job's state. */
  async function killedOnceComplete(name: string, when: 'before-rename' | 'after-rename') {
    const dir = join(root, name);
    mkdirSync(dir);
    const file = join(dir, 'app.log');
    const original = readFileSync(bigInput()).subarray(0, 1024 * 1024);
    writeFileSync(file, original);
    chmodSync(file, 0o640);
    const checkpoint = join(dir, 'job.ckpt');
    const args = ['--in-place', '--suffix', '.orig', '--checkpoint', checkpoint, '--checkpoint-every', '64KiB', file];
    const killed = await sseredact(args, { env: { NODE_ENV: 'test', SSEREDACT_TEST_FAULT: `checkpoint-kill:${when}` } });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(checkpoint)).toBe(true);
    return { dir, file, original, checkpoint, args };
  }

  test.each([
    ['before-rename', 'is renamed into place', (file: string) => `it had written ${file} whole, which is now renamed into place`],
    ['after-rename', 'is seen done', (file: string) => `${file} is complete`],
  ] as const)(
    'killed %s: the output %s; one line, exit 0, the checkpoint removed, the file as one run makes it',
    async (when, _what, message) => {
      const job = await killedOnceComplete(when, when);
      expect(readFileSync(job.file).equals(job.original)).toBe(when === 'before-rename');
      const resumed = await sseredact([...job.args, '--resume']);
      expect({ status: resumed.exitCode, stderr: text(resumed.stderr) }).toEqual({
        status: 0,
        stderr: `sseredact: --resume: checkpoint ${job.checkpoint}: its run had finished (${message(job.file)}); checkpoint removed\n`,
      });
      const oneRun = await sseredact(['-'], { input: job.original });
      expect(readFileSync(job.file).equals(Buffer.from(oneRun.stdout as Uint8Array))).toBe(true);
      expect(readFileSync(`${job.file}.orig`).equals(job.original)).toBe(true);
      expect(statSync(job.file).mode & 0o777).toBe(0o640);
      expect(readdir(job.dir)).toEqual(['app.log', 'app.log.orig']);
    },
    TIMEOUT,
  );

  test(
    'an output changed since the run finished: refused with one line, exit 2, the checkpoint kept',
    async () => {
      const job = await killedOnceComplete('changed-since', 'after-rename');
      writeFileSync(job.file, 'edited by hand\n');
      const saved = readFileSync(job.checkpoint, 'utf8');
      const resumed = await sseredact([...job.args, '--resume']);
      expect({ status: resumed.exitCode, stderr: text(resumed.stderr) }).toEqual({
        status: 2,
        stderr: expect.stringMatching(
          /^sseredact: --resume: checkpoint .*: its run had finished, but .*app\.log is not the file it wrote \(changed or moved since\); remove the checkpoint\n$/,
        ),
      });
      expect(readFileSync(job.checkpoint, 'utf8')).toBe(saved);
      expect(readFileSync(job.file, 'utf8')).toBe('edited by hand\n');
    },
    TIMEOUT,
  );
});

describe('-o FILE', () => {
  test('writes what stdout would get, keeps the mode of the file it replaces, leaves no temporary file', async () => {
    const dir = join(root, 'output');
    mkdirSync(dir);
    const input = join(dir, 'in.log');
    writeFileSync(input, `key ${AWS_KEY}\nplain line\n`);
    const out = join(dir, 'out.log');
    writeFileSync(out, 'old contents\n');
    chmodSync(out, 0o640);
    const result = await sseredact(['-o', out, input]);
    expect({ status: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) }).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe('key [REDACTED:aws-access-key-id]\nplain line\n');
    expect(statSync(out).mode & 0o777).toBe(0o640);
    expect(readdir(dir)).toEqual(['in.log', 'out.log']);
  });

  test('/dev/full: one line, exit 3', async () => {
    const result = await sseredact(['-o', '/dev/full', '-'], { input: `key ${AWS_KEY}\n`.repeat(10_000) });
    expect({ status: result.exitCode, stderr: text(result.stderr) }).toEqual({ status: 3, stderr: 'sseredact: cannot write /dev/full: no space left on device\n' });
  });

  test('a temporary file that cannot grow (the disk full): exit 3, the old file untouched, no temporary file left', async () => {
    const dir = join(root, 'full');
    mkdirSync(dir);
    const out = join(dir, 'out.log');
    writeFileSync(out, 'old contents\n');
    // RLIMIT_FSIZE with SIGXFSZ ignored: a write past 64 KiB fails with EFBIG, as one on a full disk fails with ENOSPC.
    const result = await execa('sh', ['-c', `trap '' XFSZ; ulimit -f 128; exec "$0" "$@"`, BIN, '-o', out, '-'], {
      input: `key ${AWS_KEY} and some more text\n`.repeat(20_000),
      reject: false,
    });
    expect({ status: result.exitCode, stderr: result.stderr }).toEqual({ status: 3, stderr: `sseredact: cannot write ${out}: file too large` });
    expect(readFileSync(out, 'utf8')).toBe('old contents\n');
    expect(readdir(dir)).toEqual(['out.log']);
  });
});

describe('--in-place', () => {
  test.each(ENGINES)('several files, one a directory and one missing: the others done (mode kept), those untouched, exit 2 (engine %s)', async (engine) => {
    const dir = join(root, `in-place-${engine}`);
    mkdirSync(dir);
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    writeFileSync(a, `a ${AWS_KEY}\n`);
    writeFileSync(b, `b ${AWS_KEY}\n`);
    chmodSync(a, 0o600);
    chmodSync(b, 0o754);
    const result = await sseredact(['--engine', engine, '--in-place', a, sub, join(dir, 'missing.log'), b]);
    expect({ status: result.exitCode, stderr: text(result.stderr) }).toEqual({
      status: 2,
      stderr: `sseredact: cannot read ${sub}: is a directory\nsseredact: cannot read ${join(dir, 'missing.log')}: no such file\n`,
    });
    expect(readFileSync(a, 'utf8')).toBe('a [REDACTED:aws-access-key-id]\n');
    expect(readFileSync(b, 'utf8')).toBe('b [REDACTED:aws-access-key-id]\n');
    expect([statSync(a).mode & 0o777, statSync(b).mode & 0o777]).toEqual([0o600, 0o754]);
    expect(readdir(dir)).toEqual(['a.log', 'b.log', 'sub']);
  });

  test('--suffix keeps each original beside it', async () => {
    const dir = join(root, 'suffix');
    mkdirSync(dir);
    const a = join(dir, 'a.log');
    writeFileSync(a, `a ${AWS_KEY}\n`);
    chmodSync(a, 0o640);
    const result = await sseredact(['--in-place', '--suffix', '.orig', '--verbose', a]);
    expect(result.exitCode).toBe(0);
    expect(text(result.stderr)).toContain(`${a}: 1 finding(s) in 23 bytes, redacted in place`);
    expect(readFileSync(a, 'utf8')).toBe('a [REDACTED:aws-access-key-id]\n');
    expect(readFileSync(`${a}.orig`, 'utf8')).toBe(`a ${AWS_KEY}\n`);
    expect([statSync(a).mode & 0o777, statSync(`${a}.orig`).mode & 0o777]).toEqual([0o640, 0o640]);
  });

  test.each([
    [['--in-place'], /--in-place needs files/],
    [['--in-place', '-'], /--in-place needs files/],
    [['--suffix', '.orig', 'x.log'], /--suffix needs --in-place/],
    [['--checkpoint', 'c.json', 'x.log'], /--checkpoint needs -o FILE or --in-place/],
    [['-o', 'out', '--checkpoint', 'c.json', 'a.log', 'b.log'], /exactly one input file/],
    [['-o', 'out', '--checkpoint', 'c.json', '--sse', 'on', 'a.log'], /does not work with --sse/],
    [['-o', 'out', '--in-place', 'a.log'], /cannot be used with/],
    [['-o', 'out', '--checkpoint', 'c.json', '--pattern', '\\Asecret=\\w+', 'a.log'], /rule pattern-1 asserts the start of the stream/],
    [['-o', 'out', '--checkpoint', 'c.json', '--records', 'fd:1', 'a.log'], /--records to be a file/],
  ])('%j: one line, exit 2', async (args, message) => {
    const result = await sseredact(args, { input: '', cwd: root });
    expect({ status: result.exitCode, stderr: text(result.stderr) }).toEqual({ status: 2, stderr: expect.stringMatching(new RegExp(`^sseredact: .*${message.source}.*\\n$`)) });
  });
});

/** The names in `dir`, hidden ones (a temporary file) included, sorted. */
function readdir(dir: string): string[] {
  return readdirSync(dir).sort();
}
