/** The cache file format (src/cache.ts): round trips, and every kind of damage is a miss. */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CACHE_BUDGET_BYTES, cacheKey, cachePath, pruneCache, readCache, seedCache, writeCache } from '../src/cache.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

let cacheDirectory: string;
beforeEach(() => {
  cacheDirectory = mkdtempSync(join(tmpdir(), 'sseredact-cache-test-'));
});
afterEach(() => {
  rmSync(cacheDirectory, { recursive: true, force: true });
});

describe('cache file', () => {
  const key = cacheKey(['a', 'b']);

  test.each([
    ['a part moves between positions', ['ab', 'c'], ['a', 'bc']],
    ['a part holds what looks like a length prefix', ['a1:b'], ['a', 'b']],
  ])('keys differ when %s', (_label, one, other) => {
    expect(cacheKey(one)).not.toBe(cacheKey(other));
  });

  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

  test("every key covers the package's version (and no build id, run from src/)", () => {
    expect(key).toBe(createHash('sha256').update(`${version.length}:${version}0:1:a1:b`).digest('hex'));
  });

  test("the built code's keys also cover its build id, the hash of the sources it was built from", async () => {
    const buildId = readFileSync(new URL('../dist/build-id.txt', import.meta.url), 'utf8').trim();
    expect(buildId).toMatch(/^[0-9a-f]{64}$/);
    const built = (await import(new URL('../dist/cache.js', import.meta.url).href)) as typeof import('../src/cache.js');
    expect(built.cacheKey(['a', 'b'])).toBe(createHash('sha256').update(`${version.length}:${version}64:${buildId}1:a1:b`).digest('hex'));
  });

  test('kinds live in different files', () => {
    expect(cachePath(cacheDirectory, 'rules', key)).not.toBe(cachePath(cacheDirectory, 'vectorscan', key));
  });

  test('round-trips meta and database bytes', () => {
    expect(writeCache(cacheDirectory, 'vectorscan', key, { meta: '{"x":1}', data: bytes('DB') })).toBeNull();
    const read = readCache(cacheDirectory, 'vectorscan', key);
    expect('entry' in read && read.entry.meta).toBe('{"x":1}');
    expect('entry' in read && Buffer.from(read.entry.data).toString('latin1')).toBe('DB');
  });

  test('data given in parts (views of larger arrays among them) is the file the same data whole gives', () => {
    const wide = new Int32Array([7, 0x01020304, 0x05060708, 9]);
    const parts = [bytes('AB'), new Uint8Array(wide.buffer, 4, 8), new Uint8Array(0), bytes('Z')];
    const whole = Buffer.concat(parts);
    expect(writeCache(cacheDirectory, 'ts', key, { meta: '{"parts":4}', data: parts })).toBeNull();
    const fromParts = readFileSync(cachePath(cacheDirectory, 'ts', key));
    expect(writeCache(cacheDirectory, 'ts', key, { meta: '{"parts":4}', data: whole })).toBeNull();
    expect(readFileSync(cachePath(cacheDirectory, 'ts', key))).toEqual(fromParts);
    const read = readCache(cacheDirectory, 'ts', key);
    expect('entry' in read && Buffer.from(read.entry.data)).toEqual(whole);
  });

  test.each([
    ['a missing file', (_: Buffer) => null, /nothing cached/],
    [
      'a flipped database byte',
      (file: Buffer) => {
        file[file.length - 1]! ^= 1;
        return file;
      },
      /checksum/,
    ],
    [
      'a flipped meta byte',
      (file: Buffer) => {
        file[81]! ^= 1;
        return file;
      },
      /checksum/,
    ],
    ['a truncated file', (file: Buffer) => file.subarray(0, file.length - 1), /truncated/],
    ['a short file', (file: Buffer) => file.subarray(0, 20), /not a cache file/],
    [
      'another format version',
      (file: Buffer) => {
        file[7] = 2;
        return file;
      },
      /not a cache file/,
    ],
    [
      'another rule set key',
      (file: Buffer) => {
        file[8]! ^= 1;
        return file;
      },
      /another rule set/,
    ],
  ])('%s is a miss, never an entry', (_label, damage, reason) => {
    writeCache(cacheDirectory, 'vectorscan', key, { meta: '{"x":1}', data: bytes('DATABASE') });
    const path = cachePath(cacheDirectory, 'vectorscan', key);
    const damaged = damage(readFileSync(path));
    if (damaged === null) rmSync(path);
    else writeFileSync(path, damaged);
    const read = readCache(cacheDirectory, 'vectorscan', key);
    expect('miss' in read && read.miss).toMatch(reason);
  });

  test('an unwritable directory is reported, not thrown', () => {
    const file = join(cacheDirectory, 'file');
    writeFileSync(file, '');
    expect(writeCache(join(file, 'below'), 'vectorscan', key, { meta: '{}', data: bytes('') })).toMatch(/cannot write/);
  });
});

/**
 * The directory's size (src/cache.ts pruneCache): a write that takes it past the budget removes the
 * entries used longest ago, never the one it wrote; a hit marks an entry used; stale temporary
 * files go; nothing else in the directory is touched. Entries past the budget are sparse files (a
 * size without the disk).
 */
describe('cache size', () => {
  const MiB = 1024 * 1024;
  const DAY_S = 24 * 60 * 60;
  const entryOf = (part: string) => cachePath(cacheDirectory, 'programs', cacheKey([part]));
  /** An entry file of `mib` MiB, last used `daysAgo` days ago. */
  const plant = (path: string, mib: number, daysAgo: number) => {
    writeFileSync(path, '', { mode: 0o600 });
    truncateSync(path, mib * MiB);
    const at = Date.now() / 1000 - daysAgo * DAY_S;
    utimesSync(path, at, at);
  };
  const present = () => new Set(readdirSync(cacheDirectory));

  test('a write past the budget removes the entries used longest ago until it is under', () => {
    const [oldest, older, recent] = [entryOf('oldest'), entryOf('older'), entryOf('recent')];
    plant(oldest, 50, 30);
    plant(older, 50, 20);
    plant(recent, 50, 1);
    writeFileSync(join(cacheDirectory, 'notes.txt'), 'not an entry');
    const key = cacheKey(['new']);
    expect(CACHE_BUDGET_BYTES).toBe(128 * MiB);
    expect(writeCache(cacheDirectory, 'vectorscan', key, { meta: '{}', data: bytes('DB') })).toBeNull();
    const left = present();
    // 150 MiB and the new entry: removing the oldest brings it to 100 MiB.
    expect(left.has(basename(oldest))).toBe(false);
    expect(left.has(basename(older))).toBe(true);
    expect(left.has(basename(recent))).toBe(true);
    expect(left.has(basename(cachePath(cacheDirectory, 'vectorscan', key)))).toBe(true);
    expect(left.has('notes.txt')).toBe(true);
  });

  test('a directory under the budget loses nothing', () => {
    plant(entryOf('a'), 60, 400);
    plant(entryOf('b'), 60, 300);
    expect(writeCache(cacheDirectory, 'rules', cacheKey(['c']), { meta: '{}', data: bytes('x') })).toBeNull();
    expect(present().size).toBe(3);
  });

  test('a hit marks its entry used, so an entry written later but never read goes first', () => {
    const key = cacheKey(['read']);
    expect(writeCache(cacheDirectory, 'rules', key, { meta: '{}', data: bytes('kept') })).toBeNull();
    const read = cachePath(cacheDirectory, 'rules', key);
    const old = Date.now() / 1000 - 10 * DAY_S;
    utimesSync(read, old, old);
    const unread = entryOf('unread');
    plant(unread, 100, 5);
    expect('entry' in readCache(cacheDirectory, 'rules', key)).toBe(true);
    expect(statSync(read).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    pruneCache(cacheDirectory, entryOf('none'), 50 * MiB);
    expect(present().has(basename(read))).toBe(true);
    expect(present().has(basename(unread))).toBe(false);
  });

  test('the entry just written stays, even past the budget on its own', () => {
    const written = entryOf('big');
    plant(written, 20, 0);
    plant(entryOf('other'), 1, 0);
    pruneCache(cacheDirectory, written, 10 * MiB);
    expect([...present()]).toEqual([basename(written)]);
  });

  test("a dead writer's temporary file goes; one being written stays", () => {
    const target = entryOf('written');
    const stale = `${target}.123.abcd.tmp`;
    const fresh = `${target}.456.ef01.tmp`;
    writeFileSync(stale, 'half');
    writeFileSync(fresh, 'half');
    const twoHoursAgo = Date.now() / 1000 - 2 * 60 * 60;
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    pruneCache(cacheDirectory, target);
    expect(present().has(basename(stale))).toBe(false);
    expect(present().has(basename(fresh))).toBe(true);
  });
});

describe('the install-time cache (seedCache)', () => {
  let installed: string;
  beforeEach(() => {
    installed = join(cacheDirectory, 'installed');
    mkdirSync(installed, { mode: 0o755 });
  });
  const target = () => join(cacheDirectory, 'user');
  const rules = cacheKey(['install-time rules']);
  const ts = cacheKey(['install-time ts']);

  test('copies each entry the cache lacks, keeps those it has, and touches nothing else', () => {
    expect(writeCache(installed, 'rules', rules, { meta: 'installed', data: bytes('r') })).toBeNull();
    expect(writeCache(installed, 'ts', ts, { meta: 'installed', data: bytes('t') })).toBeNull();
    writeFileSync(join(installed, 'notes.txt'), 'not an entry');
    writeFileSync(join(installed, `other-${ts}.db`), 'an entry of a kind this version does not know');
    expect(writeCache(target(), 'ts', ts, { meta: "the user's own", data: bytes('u') })).toBeNull();

    expect(seedCache(target(), installed)).toEqual(['install-time cache: copied rules']);
    expect(readCache(target(), 'rules', rules)).toEqual({ entry: { meta: 'installed', data: bytes('r') } });
    expect(readCache(target(), 'ts', ts)).toEqual({ entry: { meta: "the user's own", data: bytes('u') } });
    expect(readdirSync(target()).sort()).toEqual([basename(cachePath(target(), 'rules', rules)), basename(cachePath(target(), 'ts', ts))].sort());
    // A copy is a private file of the user's cache, as any entry written there.
    expect(statSync(cachePath(target(), 'rules', rules)).mode & 0o777).toBe(0o600);
    expect(seedCache(target(), installed)).toEqual([]);
  });

  test('a directory that another user could write to is not copied from', () => {
    expect(writeCache(installed, 'rules', rules, { meta: 'installed', data: bytes('r') })).toBeNull();
    chmodSync(installed, 0o775);
    expect(seedCache(target(), installed)).toEqual([expect.stringMatching(/^install-time cache: directory .* is writable by its group; not used$/)]);
    expect(readCache(target(), 'rules', rules)).toEqual({ miss: 'nothing cached' });
  });

  test('a cache that cannot be written is said once, and nothing is read', () => {
    expect(writeCache(installed, 'rules', rules, { meta: 'installed', data: bytes('r') })).toBeNull();
    expect(writeCache(installed, 'ts', ts, { meta: 'installed', data: bytes('t') })).toBeNull();
    writeFileSync(target(), 'a file where the cache directory should be');
    expect(seedCache(target(), installed)).toEqual([expect.stringMatching(/^install-time cache: .*not a directory/)]);
  });

  test('no install-time directory, or none named, is nothing to do', () => {
    expect(seedCache(target(), join(cacheDirectory, 'no-such-directory'))).toEqual([]);
    expect(seedCache(target(), null)).toEqual([]);
  });
});
