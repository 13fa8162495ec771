/**
 * The program cache through the real CLI: a cold run builds every program in a worker thread and
 * caches them while it redacts; the next run reads them; a cache file of garbage is a miss that
 * redacts as well and is built again.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AWS_KEY, sseredact } from './cli.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'sseredact-program-cache-e2e-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const cacheDirectory = () => join(home, 'sseredact');
const programFiles = () => readdirSync(cacheDirectory()).filter((name) => /^programs-[0-9a-f]{64}\.db$/.test(name));
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
