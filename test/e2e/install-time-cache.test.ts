/**
 * The install-time cache through the real scripts and CLI: native/build-database.js (what the
 * install runs) caches what a first run of each engine builds, and a run on an empty cache copies
 * it (src/cache.ts, seedCache) and starts warm: no rule analysed, no automaton built, no programs
 * left to build in the background, no in-flight analysis built at the first held tail; a later
 * run has nothing to copy.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AWS_KEY, sseredact } from './cli.js';

const BUILD_SCRIPT = fileURLToPath(new URL('../../native/build-database.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'sseredact-install-time-'));
const installed = join(root, 'installed');
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  await execa(process.execPath, [BUILD_SCRIPT, '--strict', '--into', installed]);
}, 120_000);

describe('a first run after the install', () => {
  test("the install's script cached each kind a first run builds", () => {
    const kinds = readdirSync(installed).map((name) => name.replace(/-.*/, ''));
    expect(kinds).toEqual(expect.arrayContaining(['code', 'programs', 'rules', 'ts']));
  });

  test.each(['ts', 'vectorscan'])('on the %s engine copies what the cache lacks and builds nothing', async (engine) => {
    if (engine === 'vectorscan' && !readdirSync(installed).some((name) => name.startsWith('vectorscan-'))) return; // the addon is not built
    const env = { XDG_CACHE_HOME: join(root, `user-${engine}`), SSEREDACT_TEST_INSTALL_CACHE: installed };
    const first = await sseredact(['--engine', engine, '-v'], { env, input: `key ${AWS_KEY}\n`, encoding: 'utf8' });
    expect(first.stdout).toBe('key [REDACTED:aws-access-key-id]\n');
    expect(first.stderr).toMatch(/install-time cache: copied .*programs.*rules.*ts/);
    expect(first.stderr).not.toMatch(/nothing cached|compiling|building/);
    const next = await sseredact(['--engine', engine, '-v'], { env, input: `key ${AWS_KEY}\n`, encoding: 'utf8' });
    expect(next.stdout).toBe('key [REDACTED:aws-access-key-id]\n');
    expect(next.stderr).not.toMatch(/install-time cache|nothing cached/);
  });

  test("an event that ends in a secret's prefix reads the in-flight analysis from the copy", async () => {
    // Its boundary needs the analysis whatever the reads: built there, it held the line 0.3-2 s.
    const env = { XDG_CACHE_HOME: join(root, 'user-sse'), SSEREDACT_TEST_INSTALL_CACHE: installed };
    const run = await sseredact(['--engine', 'ts', '--sse', '-v'], { env, input: 'data: key sk-ant-api03-\n\ndata: done\n\n', encoding: 'utf8' });
    expect(run.stdout).toContain('data: done');
    expect(run.stderr).toMatch(/install-time cache: copied/);
    expect(run.stderr).not.toMatch(/nothing cached|building/);
  });
});
