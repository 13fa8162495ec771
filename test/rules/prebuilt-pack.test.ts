/**
 * The prebuilt pack files (src/rules/packs/prebuilt.ts) that `npm run build` writes into
 * dist/rules/packs/: each holds exactly the rules its pack's JSON files give, and in a checkout a
 * prebuilt file that is missing, unreadable, or older than the pack files it was made from or the
 * loader tsc wrote is not read.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import type { LoadedRuleSpec } from '../../src/rules/load/schema.js';
import { listPacks, readPackFiles } from '../../src/rules/packs/index.js';
import { readPrebuiltPack, writePrebuiltPack } from '../../src/rules/packs/prebuilt.js';

const BUILT = fileURLToPath(new URL('../../dist/rules/packs/', import.meta.url));
const SOURCES = fileURLToPath(new URL('../../src/rules/packs/', import.meta.url));
const checkoutSources = (pack: string) => ({ dir: join(SOURCES, pack), loaderFile: `${BUILT}index.js` });

describe.each(listPacks())('the built prebuilt file of pack %s', (pack) => {
  test('is there and as fresh as the pack files (`npm run build` writes it)', () => {
    expect(existsSync(`${BUILT}${pack}.prebuilt.json`)).toBe(true);
    expect(readPrebuiltPack(`${BUILT}${pack}.prebuilt.json`, checkoutSources(pack))).not.toBeNull();
  });

  test("holds the rules the pack's JSON files give, in their order", () => {
    expect(readPrebuiltPack(`${BUILT}${pack}.prebuilt.json`, null)).toEqual(readPackFiles(pack));
  });
});

describe('a prebuilt file', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sseredact-prebuilt-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const specs: LoadedRuleSpec[] = [
    { id: 'a', regex: 'a{3}', source: 'pack:test/a', predicates: { placeholders: true }, format: 'three a', examples: { match: ['aaa'], noMatch: ['aa'] } },
    { id: 'b', regex: 'b\n', source: 'pack:test/b' },
  ];

  /** A pack directory with two files, a loader and the pack's prebuilt file, fresh; returns their paths. */
  function freshPack(name: string): { dir: string; loaderFile: string; file: string } {
    const dir = join(scratch, name);
    const loaderFile = join(scratch, `${name}.loader.js`);
    const file = join(scratch, `${name}.prebuilt.json`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.json'), '{"rules":[]}');
    writeFileSync(join(dir, 'b.json'), '{"rules":[]}');
    writeFileSync(loaderFile, '');
    writePrebuiltPack(file, dir, () => specs);
    return { dir, loaderFile, file };
  }

  /** Moves a file's mtime a second on, as an edit after the build would. */
  function touch(path: string): void {
    const { mtime } = statSync(path);
    utimesSync(path, mtime, new Date(mtime.getTime() + 1000));
  }

  test.each([
    { change: 'nothing', edit: () => {}, isRead: true },
    { change: 'a pack file edited to the same size', edit: (dir: string) => touch(join(dir, 'a.json')), isRead: false },
    { change: 'a pack file grown', edit: (dir: string) => writeFileSync(join(dir, 'b.json'), '{"rules": []}'), isRead: false },
    { change: 'a pack file added', edit: (dir: string) => writeFileSync(join(dir, 'c.json'), '{"rules":[]}'), isRead: false },
    { change: 'a pack file removed', edit: (dir: string) => unlinkSync(join(dir, 'b.json')), isRead: false },
    { change: 'the loader compiled again', edit: (_dir: string, _file: string, loaderFile: string) => touch(loaderFile), isRead: false },
    { change: 'the prebuilt file cut short', edit: (_dir: string, file: string) => writeFileSync(file, '{"files":[["a.json",'), isRead: false },
    { change: 'the prebuilt file missing', edit: (_dir: string, file: string) => unlinkSync(file), isRead: false },
    { change: "a rule's docs line missing", edit: (_dir: string, file: string) => writeFileSync(file, readFileSync(file, 'utf8').replace(/[^\n]*\n$/, '')), isRead: false },
    { change: 'the last docs line cut short', edit: (_dir: string, file: string) => writeFileSync(file, readFileSync(file, 'utf8').slice(0, -2)), isRead: false },
  ])('after $change, in a checkout: read $isRead', ({ change, edit, isRead }) => {
    const { dir, loaderFile, file } = freshPack(change.replaceAll(' ', '-'));
    edit(dir, file, loaderFile);
    expect(readPrebuiltPack(file, { dir, loaderFile })).toEqual(isRead ? specs : null);
  });

  test("parses a rule's format and examples only when they are read, each rule's on its own", () => {
    const { file } = freshPack('docs-on-demand');
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(specs.length + 2); // the head, a line per rule, the final newline
    expect(lines[0]).not.toContain('three a');
    // The second rule's docs line broken: the file is still read, and only that rule's docs fail.
    writeFileSync(file, [lines[0], lines[1], '{"format":', ''].join('\n'));
    const read = readPrebuiltPack(file, null);
    expect(read?.map((spec) => spec.id)).toEqual(['a', 'b']);
    expect(read?.[0]?.examples).toEqual({ match: ['aaa'], noMatch: ['aa'] });
    expect(read?.[0]?.format).toBe('three a');
    expect(() => read?.[1]?.examples).toThrow(SyntaxError);
    // A copy is a plain object with the values: what spreading a spec gives.
    expect(Object.getOwnPropertyDescriptor({ ...read?.[0] }, 'format')).toMatchObject({ value: 'three a' });
  });

  test("is read without its stamps checked where the pack files are an installed package's", () => {
    const { dir, loaderFile, file } = freshPack('installed');
    touch(join(dir, 'a.json'));
    touch(loaderFile);
    expect(readPrebuiltPack(file, null)).toEqual(specs);
  });
});
