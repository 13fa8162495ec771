/**
 * The reader a scan thread reads its files with (createWholeFileReader, src/sources/scan-targets.ts):
 * one buffer reused from file to file and grown as larger files come, so each read must give that
 * file's bytes whole, whatever was read before it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SseredactError } from '../../src/errors.js';
import { createWholeFileReader } from '../../src/sources/scan-targets.js';

const KiB = 1024;

/** Bytes that differ from file to file and from offset to offset. */
const contentOf = (size: number, seed: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed * 7) % 251);

describe('createWholeFileReader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sseredact-reader-'));
  const file = (size: number, seed: number): { path: string; bytes: Uint8Array } => {
    const bytes = contentOf(size, seed);
    const path = join(dir, `f${seed}-${size}`);
    writeFileSync(path, bytes);
    return { path, bytes };
  };

  test.each([
    ['growing sizes, as the pool hands them out (smallest first)', [0, 10, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 200 * KiB, 1000 * KiB]],
    ['a small file after large ones: only its own bytes', [300 * KiB, 5, 100 * KiB, 1]],
    ['the same size again and again', [70 * KiB, 70 * KiB, 70 * KiB]],
  ])('%s', (_label, sizes) => {
    const read = createWholeFileReader();
    const files = sizes.map((size, seed) => file(size, seed));
    // Compared before the next read: a read's bytes are valid until then.
    const got = files.map(({ path }) => Buffer.from(read(path, path)).toString('hex'));
    expect(got).toEqual(files.map(({ bytes }) => Buffer.from(bytes).toString('hex')));
  });

  test('an unreadable file: an io error naming the path as the report shows it', () => {
    const read = createWholeFileReader();
    expect(() => read(join(dir, 'missing'), 'shown/name')).toThrow(SseredactError);
    expect(() => read(join(dir, 'missing'), 'shown/name')).toThrow(/^cannot read shown\/name: /);
  });
});
