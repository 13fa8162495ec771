/**
 * The packed tarball as a user installs it (`npm install -g`), into a temporary prefix: first where
 * Vectorscan's header is hidden, which must install quietly on the ts engine (the addon built with
 * its pipe call alone), then `npm rebuild -g sseredact` (the hint the CLI gives) where it can,
 * which must bring the vectorscan engine and the built-in rules' database (a first run compiles
 * nothing). Either way the
 * install caches what a first run builds. The man page must be linked, and the CLI must redact
 * either way.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO } from './consumer.js';

const directory = mkdtempSync(join(tmpdir(), 'sseredact-tarball-'));
const prefix = join(directory, 'prefix');
const bin = join(prefix, 'bin', 'sseredact');
const hasVectorscan = existsSync('/usr/include/hs/hs.h');
const KEY = 'AKIAZ7VQ3XJ5K2LMN4PQ';

afterAll(() => rmSync(directory, { recursive: true, force: true }));

const npm = (args: readonly string[], env: Record<string, string> = {}) =>
  execa('npm', [...args, '--no-audit', '--no-fund', '--prefix', prefix], { cwd: directory, env: { ...env, npm_config_cache: join(directory, 'npm-cache') } });

async function versionVerbose(): Promise<string> {
  return (await execa(bin, ['--version', '--verbose'])).stdout;
}

describe('the packed tarball', () => {
  test('ships the native sources, the man page, the packs and the CLI bundle, and no tests or sources of the CLI', async () => {
    const { stdout } = await execa('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((file) => file.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/sseredact',
        'bin/package.json',
        'dist/bundle/sseredact.cjs',
        'dist/bundle-loader/bundle-loader.cjs',
        'dist/index.js',
        'man/sseredact.1',
        'native/binding.gyp',
        'native/build-database.js',
        'native/install.js',
        'native/has-vectorscan.js',
        'native/src/addon.cc',
      ]),
    );
    expect(files.some((file) => file.startsWith('src/rules/packs/secrets/'))).toBe(true);
    expect(files.filter((file) => file.startsWith('test/') || (file.endsWith('.ts') && !file.endsWith('.d.ts')))).toEqual([]);
  });

  test('installs globally without Vectorscan on the ts engine, with its man page; npm rebuild then brings vectorscan', async () => {
    const { stdout: tarball } = await execa('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', directory], { cwd: REPO });
    await npm(['install', '-g', join(directory, tarball.trim().split('\n').at(-1)!)], { SSEREDACT_HS_INCLUDE: join(directory, 'no-such-include') });
    expect(await versionVerbose()).toMatch(/engine ts: available[\s\S]*engine vectorscan: unavailable.*built without Vectorscan.*npm rebuild sseredact/);
    // The addon built all the same, with widenPipe alone: it widens a pipe (stdin from the shell's
    // `|`: Node's own stdio pipes are socket pairs).
    const addon = join(prefix, 'lib', 'node_modules', 'sseredact', 'native', 'build', 'Release', 'sseredact_vectorscan.node');
    const code = `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(addon)}); console.log(Object.keys(m.exports).join(','), m.exports.widenPipe(0, 1 << 20))`;
    const widened = await execa('sh', ['-c', ': | "$NODE" -e "$CODE"'], { env: { NODE: process.execPath, CODE: code } });
    expect(widened.stdout).toBe(`widenPipe ${1 << 20}`);
    const man = await execa('man', ['-M', join(prefix, 'share', 'man'), '-P', 'cat', 'sseredact'], { env: { MANWIDTH: '80' } });
    expect(man.stdout).toMatch(/sseredact - /);
    const redacted = await execa(bin, [], { input: `key ${KEY}\n` });
    expect(redacted.stdout).toBe('key [REDACTED:aws-access-key-id]');
    // The install cached what a first run builds (native/build-database.js, without the addon too):
    // a first run on an empty cache copies it and builds nothing (NODE_ENV other than the tests'
    // own, so that the package's install-time cache is the one read).
    const first = await execa(bin, ['--verbose'], { input: `key ${KEY}\n`, env: { XDG_CACHE_HOME: join(directory, 'first-run-ts'), NODE_ENV: 'production' } });
    expect(first.stdout).toBe('key [REDACTED:aws-access-key-id]');
    expect(first.stderr).toMatch(/install-time cache: copied .*programs.*rules.*ts/);
    expect(first.stderr).not.toMatch(/nothing cached|building/);
    // It ran the CLI's bundle (which keeps its compiled code in the cache), not the modules tsc
    // wrote, whatever times npm's extraction gave the two.
    expect(readdirSync(join(directory, 'first-run-ts', 'sseredact')).filter((name) => name.startsWith('code-'))).toHaveLength(1);

    if (!hasVectorscan) return;
    await npm(['rebuild', '-g', 'sseredact']);
    expect(await versionVerbose()).toMatch(/engine vectorscan: available: Vectorscan/);
    // The install built the database of the built-in rules: a first run (empty cache) reads it, compiles nothing.
    const native = await execa(bin, ['--engine', 'vectorscan', '--verbose'], { input: `key ${KEY}\n`, env: { XDG_CACHE_HOME: join(directory, 'first-run-cache') } });
    expect(native.stdout).toBe('key [REDACTED:aws-access-key-id]');
    expect(native.stderr).toMatch(/vectorscan: cached database: nothing cached/);
    expect(native.stderr).not.toMatch(/vectorscan: (install-time database|compiling)/);
  }, 300_000);
});
