/**
 * The program cache (src/rules/program-cache.ts) and the encoding under it (encodeProgram and
 * decodeProgram in src/regex/pikevm.ts): a hit compiles no program and gives the programs a
 * compile gives; a garbage, truncated, damaged or stale entry is a miss (or, for one damaged part,
 * a miss of that rule alone) that compiles, never a wrong program or a crash.
 */
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type Program, compileProgram, decodeProgram, encodeProgram, searchProgram } from '../../src/regex/pikevm.js';
import { type CompiledRule, compileRules } from '../../src/rules/compile.js';
import { programKey, writePrograms } from '../../src/rules/program-cache.js';
import type { LiteralSetSpec, RuleSpec } from '../../src/types.js';

// Counts compiles: a hit must compile no program.
vi.mock('../../src/regex/pikevm.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/regex/pikevm.js')>();
  return { ...original, compileProgram: vi.fn(original.compileProgram) };
});
const compiles = vi.mocked(compileProgram);

const SPECS: Array<RuleSpec | LiteralSetSpec> = [
  { id: 'token', regex: 'tok_[a-z0-9]{8,}\\b', keywords: ['tok_'] },
  { id: 'deploy', literals: ['deploy-secret-1'], encodings: false },
  { id: 'pem', regex: '(?m)^-----BEGIN KEY-----[\\s\\S]*?-----END KEY-----$' },
  { id: 'pass', regex: '(?i)(?:password|passwd)\\s*[=:]\\s*([^ \\n]+)', secretGroup: 1 },
  { id: 'either', regex: '(a)|(b)|x' },
];
const REGEX_COUNT = 4;
const TEXT = Buffer.from('xx tok_abcdef1234 PASSWORD = hunter22\n-----BEGIN KEY-----\nabc\n-----END KEY-----\nb a', 'latin1');

let directory: string;
let messages: string[];
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sseredact-program-cache-test-'));
  messages = [];
  compiles.mockClear();
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** The notes on the program cache (the analysis cache has its own tests). */
const log = (message: string) => (message.startsWith('programs:') ? messages.push(message) : 0);
const cached = (specs = SPECS, maxMatch = 256) => compileRules(specs, { cacheDirectory: directory, maxMatch, log });
const regexRules = (rules: readonly CompiledRule[]) => rules.filter((rule) => rule.literals === null);

/** Every match of `program` over TEXT, as slots: what a program means to the confirmer. */
function matches(program: Program): number[][] {
  const found: number[][] = [];
  const window = { bytes: TEXT, offset: 0, limit: TEXT.length, isStreamEnd: true };
  for (let from = 0; from <= TEXT.length; ) {
    const slots = searchProgram(program, window, from, TEXT.length);
    if (slots === null) break;
    found.push(Array.from(slots));
    from = Math.max(slots[1]!, slots[0]! + 1);
  }
  return found;
}

/** Writes the cache entry of the set as the background build does; returns its file's path. */
function writeEntry(specs = SPECS, maxMatch = 256): string {
  const rules = regexRules(compileRules(specs, { maxMatch }));
  writePrograms(
    directory,
    programKey(rules.map((rule) => rule.source)),
    rules.map((rule) => rule.program),
    log,
  );
  const files = readdirSync(directory);
  expect(files).toEqual([expect.stringMatching(/^programs-[0-9a-f]{64}\.db$/)]);
  compiles.mockClear();
  return join(directory, files[0]!);
}

const uncachedMatches = (specs = SPECS, maxMatch = 256) => regexRules(compileRules(specs, { maxMatch })).map((rule) => matches(rule.program));

describe('encodeProgram and decodeProgram', () => {
  const programs = regexRules(compileRules(SPECS, { maxMatch: 256 })).map((rule) => rule.program);

  test('round-trip every array, and the matches', () => {
    for (const program of programs) {
      const decoded = decodeProgram(encodeProgram(program))!;
      expect(decoded).toEqual(program);
      expect(matches(decoded)).toEqual(matches(program));
    }
  });

  test('a decoded program has the fields of a compiled one in the same order (one hidden class for the searches)', () => {
    for (const program of programs) expect(Object.keys(decodeProgram(encodeProgram(program))!)).toEqual(Object.keys(program));
  });

  test('bytes at an offset that is not 4-aligned are copied, not misread', () => {
    const encoded = encodeProgram(programs[0]!);
    const shifted = new Uint8Array(encoded.length + 1);
    shifted.set(encoded, 1);
    expect(matches(decodeProgram(shifted.subarray(1))!)).toEqual(matches(programs[0]!));
  });

  /** The encoded program with int32 `word` (of the header, or of xs from word 6 on) set to `value`. */
  const withWord = (program: Program, word: number, value: number) => {
    const encoded = encodeProgram(program);
    new DataView(encoded.buffer).setInt32(word * 4, value, true);
    return encoded;
  };
  // Program 0 is tok_...: Save 0, then Bytes t, o, k, _ (instructions 1-4).
  const first = programs[0]!;
  const n = first.ops.length;
  // Program 2 is (?:password|passwd)...: its alternation ends in a Jump.
  const alternation = programs[2]!;
  test.each([
    ['empty', new Uint8Array(0)],
    ['cut short by a byte', encodeProgram(first).subarray(0, -1)],
    ['a byte longer', Uint8Array.from([...encodeProgram(first), 0])],
    ['an instruction count that does not fit', withWord(first, 0, n + 1)],
    ['no instruction', withWord(first, 0, 0)],
    ['an odd slot count', withWord(first, 5, 3)],
    ['a Save of a slot past the slots', withWord(first, 6, 2)],
    ['a split backwards', withWord(first, 6 + [...first.ops].indexOf(1), 0)],
    ['a split past the end', withWord(first, 6 + [...first.ops].indexOf(1), n)],
    ['a jump backwards', withWord(alternation, 6 + [...alternation.ops].indexOf(2), 0)],
  ])('%s is no program', (_label, bytes) => {
    expect(decodeProgram(bytes)).toBeNull();
  });

  test('an unknown instruction, or a byte set past the sets, is no program', () => {
    const encoded = encodeProgram(first);
    const opsAt = encoded.length - 256 - n;
    const badOp = encoded.slice();
    badOp[opsAt + 1] = 9;
    expect(decodeProgram(badOp)).toBeNull();
    const setOfAt = opsAt - 2 * 256 - 4 * n;
    const badSet = encoded.slice();
    new DataView(badSet.buffer).setUint16(setOfAt + 2, first.sets.length / 8, true);
    expect(decodeProgram(badSet)).toBeNull();
  });
});

describe('compileRules with a program cache', () => {
  test('a miss says so and compiles each program on first use, as without a cache', () => {
    const rules = cached();
    expect(messages).toEqual(expect.arrayContaining(['programs: nothing cached']));
    expect(compiles).toHaveBeenCalledTimes(0);
    expect(regexRules(rules).map((rule) => matches(rule.program))).toEqual(uncachedMatches());
    expect(compiles).toHaveBeenCalledTimes(2 * REGEX_COUNT);
  });

  test('a hit compiles no program and gives the programs a compile gives', () => {
    writeEntry();
    const rules = cached();
    expect(messages.filter((message) => message.startsWith('programs:'))).toEqual([]);
    const got = regexRules(rules).map((rule) => matches(rule.program));
    expect(compiles).toHaveBeenCalledTimes(0);
    expect(got).toEqual(uncachedMatches());
  });

  const damaged = (change: (file: Buffer) => Buffer) => (path: string) => writeFileSync(path, change(readFileSync(path)));
  test.each([
    ['garbage', (path: string) => writeFileSync(path, 'garbage, not a cache file'), /^programs: not a cache file of this version$/],
    ['an empty file', (path: string) => writeFileSync(path, ''), /^programs: not a cache file of this version$/],
    ['a truncated file', (path: string) => truncateSync(path, readFileSync(path).length - 300), /^programs: truncated cache file$/],
    ['a file cut inside its table', (path: string) => truncateSync(path, 120), /^programs: truncated cache file$/],
    [
      'a flipped byte in the table',
      damaged((file) => {
        file[file.indexOf('}') + 9]! ^= 1;
        return file;
      }),
      /^programs: corrupt cache file \(checksum\)$/,
    ],
    ['an entry from an older format (byte 1)', damaged((file) => Buffer.concat([file.subarray(0, 7), Buffer.from([1]), file.subarray(8)])), /not a cache file of this version/],
    ['an entry of another rule set under this name', damaged((file) => Buffer.concat([file.subarray(0, 8), Buffer.alloc(32), file.subarray(40)])), /another rule set/],
  ])('%s is a miss: every program compiles, and they are right', (_label, damage, reason) => {
    damage(writeEntry());
    const rules = cached();
    expect(messages).toEqual([expect.stringMatching(reason)]);
    expect(regexRules(rules).map((rule) => matches(rule.program))).toEqual(uncachedMatches());
    expect(compiles).toHaveBeenCalledTimes(2 * REGEX_COUNT);
  });

  test('a flipped byte in one program is a miss of that rule alone', () => {
    const path = writeEntry();
    const file = readFileSync(path);
    // The last part is the last rule's program, padded to a multiple of 8: flip its last byte (startBytes[255]).
    const length = encodeProgram(regexRules(compileRules(SPECS, { maxMatch: 256 })).at(-1)!.program).length;
    compiles.mockClear();
    file[file.length - Math.ceil(length / 8) * 8 + length - 1]! ^= 1;
    writeFileSync(path, file);
    const rules = cached();
    expect(regexRules(rules).map((rule) => matches(rule.program))).toEqual(uncachedMatches());
    expect(messages).toEqual([`programs: cached program ${REGEX_COUNT - 1} damaged; compiling it`]);
    expect(compiles).toHaveBeenCalledTimes(REGEX_COUNT + 1);
  });

  test('a file changed after the start gives no program from what changed', () => {
    const want = uncachedMatches();
    const path = writeEntry();
    const rules = regexRules(cached());
    // Same name, the last part changed: a part read now is checked against the table read at the start.
    const other = join(directory, 'other');
    writeFileSync(other, Buffer.concat([readFileSync(path).subarray(0, -8), Buffer.alloc(8, 7)]));
    renameSync(other, path);
    expect(rules.map((rule) => matches(rule.program))).toEqual(want);
    expect(compiles).toHaveBeenCalledTimes(1);
  });

  test.each([
    ['a changed rule', SPECS.map((spec) => (spec.id === 'pem' ? { ...spec, regex: '-----BEGIN KEY-----[^!]*?-----END KEY-----' } : spec)), 256],
    ['one rule fewer', SPECS.filter((spec) => spec.id !== 'either'), 256],
    ['a changed maxMatch', SPECS, 255],
  ])('%s is another key: a miss, never the old programs', (_label, specs, maxMatch) => {
    writeEntry();
    const rules = cached(specs, maxMatch);
    expect(messages).toEqual(expect.arrayContaining(['programs: nothing cached']));
    expect(regexRules(rules).map((rule) => matches(rule.program))).toEqual(uncachedMatches(specs, maxMatch));
  });

  test.each([
    ['ids', SPECS.map((spec) => ({ ...spec, id: `${spec.id}-renamed` }))],
    ['literal sets', SPECS.filter((spec) => !('literals' in spec))],
  ])('%s play no part in the key', (_label, specs) => {
    writeEntry();
    regexRules(cached(specs)).map((rule) => rule.program);
    expect(compiles).toHaveBeenCalledTimes(0);
  });

  test('without a cache directory nothing is read', () => {
    writeEntry();
    regexRules(compileRules(SPECS, { maxMatch: 256 })).map((rule) => rule.program);
    expect(compiles).toHaveBeenCalledTimes(REGEX_COUNT);
  });
});
