/** The cache file format (src/cache.ts): round trips, and every kind of damage is a miss. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cacheKey, cachePath, readCache, writeCache } from '../src/cache.js';

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
