/**
 * The bundle loader (src/cli/bundle-loader.ts) on a bundle of two small files: its code cache is
 * written once, used while it matches, and a stale or damaged entry is a miss that runs the
 * bundle's current code and is written again.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { loadBundle } from '../src/cli/bundle-loader.js';

let bundle: string;
let cacheDirectory: string;
beforeEach(() => {
  bundle = mkdtempSync(join(tmpdir(), 'sseredact-bundle-test-'));
  cacheDirectory = join(bundle, 'cache');
});
afterEach(() => {
  rmSync(bundle, { recursive: true, force: true });
});

/** A bundle whose entry requires a second file of it and a Node module, as rolldown's output does; `word` is what it says. */
function writeBundle(word: string): string {
  writeFileSync(join(bundle, 'word-x1.cjs'), `exports.word = () => ${JSON.stringify(word)};\n`);
  writeFileSync(join(bundle, 'main.cjs'), `const { join } = require('node:path');\nconst word = require('./word-x1.cjs');\nexports.say = () => join(word.word(), 'x');\n`);
  return join(bundle, 'main.cjs');
}

/** Loads the bundle, says its word, and ends its start-up (the entry is written then, if ever). */
function say(entry: string): string {
  const loaded = loadBundle(entry, cacheDirectory);
  const said = (loaded.exports as { say: () => string }).say();
  loaded.saveCode();
  return said;
}

/** The cache entry's file and its identity (a rewrite renames a new file into place). */
function entryFile(): { readonly path: string; readonly identity: string } {
  const [name] = readdirSync(cacheDirectory).filter((file) => /^code-[0-9a-f]{64}\.db$/.test(file));
  const path = join(cacheDirectory, name!);
  const stat = statSync(path);
  return { path, identity: `${stat.ino}:${stat.mtimeMs}` };
}

test('the first load writes the code cache; a load that finds every file in it leaves it as it is', () => {
  const entry = writeBundle('aaa');
  expect(say(entry)).toBe('aaa/x');
  const written = entryFile();
  expect(say(entry)).toBe('aaa/x');
  expect(entryFile()).toEqual(written);
});

test('a file changed to a source of the same length is a miss: its new code runs, and the entry is written again', () => {
  const entry = writeBundle('aaa');
  expect(say(entry)).toBe('aaa/x');
  const written = entryFile();
  writeBundle('bbb');
  expect(say(entry)).toBe('bbb/x');
  expect(entryFile().identity).not.toBe(written.identity);
  expect(say(entry)).toBe('bbb/x');
});

test.each([
  ['garbage', () => Buffer.from('not a cache entry')],
  // The middle of the file is code: the head (header, meta, part table) is a few hundred bytes of it.
  [
    'one byte of its code flipped',
    (bytes: Buffer) => {
      const middle = bytes.length >> 1;
      bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
      return bytes;
    },
  ],
])('an entry that is %s is a miss: the bundle runs, and the entry is written again', (_label, damage) => {
  const entry = writeBundle('aaa');
  say(entry);
  const { path } = entryFile();
  writeFileSync(path, damage(readFileSync(path)));
  const damaged = entryFile().identity;
  expect(say(entry)).toBe('aaa/x');
  expect(entryFile().identity).not.toBe(damaged);
});
