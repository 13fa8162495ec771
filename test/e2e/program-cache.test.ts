/**
 * The program cache through the real CLI: a cold run builds every program in a process of its
 * own and caches them while it redacts; a run that ends first leaves that process to finish; the
 * next run reads them; a cache file of garbage is a miss that redacts as well and is built again.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AWS_KEY, sseredact } from './cli.js';

/** The builder a run starts on a miss (src/rules/program-builder.ts), as built. */
const BUILDER = fileURLToPath(new URL('../../dist/rules/program-builder.js', import.meta.url));

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'sseredact-program-cache-e2e-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const cacheDirectory = () => join(home, 'sseredact');
const programFiles = () => readdirSync(cacheDirectory()).filter((name) => /^programs-[0-9a-f]{64}\.db$/.test(name));
const lockFiles = () => readdirSync(cacheDirectory()).filter((name) => name.endsWith('.lock'));
const INPUT = `key ${AWS_KEY} here\nclean line\n`;
const WANT = 'key [REDACTED:aws-access-key-id] here\nclean line\n';

/**
 * Runs `--engine ts -v` with `INPUT` on stdin, held open until it tells that the background build
 * is over (or 45 s have gone by); its stdout and stderr.
 */
async function redactUntilBuilt(): Promise<{ stdout: string; stderr: string }> {
  const run = sseredact(['--engine', 'ts', '-v'], { env: { XDG_CACHE_HOME: home }, encoding: 'utf8' });
  let told = '';
  run.stderr!.on('data', (chunk: Buffer | string) => {
    told += String(chunk);
  });
  run.stdin!.write(INPUT);
  for (let waited = 0; waited < 45_000 && !/programs: (\d+ built in the background|the background build failed)/.test(told); waited += 100) await sleep(100);
  run.stdin!.end();
  const { stdout, stderr } = await run;
  return { stdout: String(stdout), stderr: String(stderr) };
}

describe('the program cache through the CLI', () => {
  test('a cold run builds and caches every program in the background; the next run reads them', async () => {
    const cold = await redactUntilBuilt();
    expect(cold.stdout).toBe(WANT);
    expect(cold.stderr).toMatch(/programs: nothing cached/);
    expect(cold.stderr).toMatch(/programs: \d+ built in the background/);
    expect(programFiles()).toHaveLength(1);

    const warm = await sseredact(['--engine', 'ts', '-v'], { env: { XDG_CACHE_HOME: home }, input: INPUT, encoding: 'utf8' });
    expect(warm.stdout).toBe(WANT);
    expect(warm.stderr).not.toMatch(/programs:/);
  });

  test('a run that ends before the build leaves it to finish: the next run reads the programs, and no lock is left', async () => {
    const short = await sseredact(['--engine', 'ts'], { env: { XDG_CACHE_HOME: home }, input: INPUT, encoding: 'utf8' });
    expect(short.stdout).toBe(WANT);
    for (let waited = 0; waited < 45_000 && programFiles().length === 0; waited += 100) await sleep(100);
    expect(programFiles()).toHaveLength(1);
    // The builder removes its lock after it renamed the entry into place.
    for (let waited = 0; waited < 5_000 && lockFiles().length > 0; waited += 100) await sleep(100);
    expect(lockFiles()).toEqual([]);

    const warm = await sseredact(['--engine', 'ts', '-v'], { env: { XDG_CACHE_HOME: home }, input: INPUT, encoding: 'utf8' });
    expect(warm.stdout).toBe(WANT);
    expect(warm.stderr).not.toMatch(/programs:/);
  });

  test('a run that finds a build at work starts no other; a lock left by a builder that died long ago is taken over', async () => {
    const first = await redactUntilBuilt();
    const [file] = programFiles();
    rmSync(join(cacheDirectory(), file!));
    const lock = join(cacheDirectory(), file!.replace(/\.db$/, '.lock'));
    writeFileSync(lock, 'a build at work', { mode: 0o600 });
    const busy = await sseredact(['--engine', 'ts', '-v'], { env: { XDG_CACHE_HOME: home }, input: INPUT, encoding: 'utf8' });
    expect(busy.stdout).toBe(WANT);
    expect(busy.stderr).toMatch(/programs: not built by this run \(another process is building them\)/);
    expect(programFiles()).toEqual([]);

    const longAgo = new Date(Date.now() - 3_600_000);
    utimesSync(lock, longAgo, longAgo);
    const takenOver = await redactUntilBuilt();
    expect(takenOver.stdout).toBe(first.stdout);
    expect(takenOver.stderr).toMatch(/programs: \d+ built in the background/);
    expect(programFiles()).toHaveLength(1);
  });

  test('a build that fails leaves no entry and no lock', async () => {
    mkdirSync(cacheDirectory(), { mode: 0o700 });
    const lock = join(cacheDirectory(), `programs-${'0'.repeat(64)}.lock`);
    const recipe = { specs: [{ id: 'bad', regex: 'a(b' }], maxMatch: 4096, cacheDirectory: cacheDirectory(), key: '0'.repeat(64) };
    writeFileSync(lock, JSON.stringify(recipe), { mode: 0o600 });
    const build = await execa(process.execPath, [BUILDER, lock], { reject: false });
    expect(build.exitCode).toBe(1);
    expect(readdirSync(cacheDirectory())).toEqual([]);
  });

  test('garbage in the cache file is a miss: the run redacts as well, and the file is built again', async () => {
    await redactUntilBuilt();
    const [file] = programFiles();
    writeFileSync(join(cacheDirectory(), file!), 'garbage, not a cache file');

    const damaged = await redactUntilBuilt();
    expect(damaged.stdout).toBe(WANT);
    expect(damaged.stderr).toMatch(/programs: not a cache file of this version/);
    expect(damaged.stderr).toMatch(/programs: \d+ built in the background/);

    const warm = await sseredact(['--engine', 'ts', '-v'], { env: { XDG_CACHE_HOME: home }, input: INPUT, encoding: 'utf8' });
    expect(warm.stdout).toBe(WANT);
    expect(warm.stderr).not.toMatch(/programs:/);
  });
});
