/**
 * The rule analysis cache (src/rules/analysis-cache.ts) and the lazy rules of a warm start: what
 * the key covers, that a hit parses nothing until a rule's tree is read (nor a predicate regex the
 * entry has the JS source of), and that any damage, any changed input or a bad rule is a miss that
 * compiles everything as without a cache.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { cacheKey, readCache, writeCache } from '../../src/cache.js';
import { parseRegex } from '../../src/regex/parse.js';
import { printJsSource } from '../../src/regex/print.js';
import { analysisKey } from '../../src/rules/analysis-cache.js';
import { type CompileOptions, type CompiledRule, compileRules } from '../../src/rules/compile.js';
import type { RuleSpec } from '../../src/types.js';

// Counts parses: a warm start must not parse a rule before its tree is read.
vi.mock('../../src/regex/parse.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/regex/parse.js')>();
  return { ...original, parseRegex: vi.fn(original.parseRegex) };
});
const parses = vi.mocked(parseRegex);
/** Parses of rule regexes (allowlist regexes are compiled once per process, whatever the rule). */
const ruleParses = () => parses.mock.calls.filter(([source]) => SPECS.some((spec) => spec.regex === source)).length;

const SPECS: RuleSpec[] = [
  { id: 'token', regex: 'tok_[a-z0-9]{8,}\\b', keywords: ['tok_'] },
  { id: 'pem', regex: '-----BEGIN KEY-----[\\s\\S]*?-----END KEY-----' },
  { id: 'pass', regex: '(?i)password=([^ \\n]+)', secretGroup: 1, predicates: { minEntropy: 1, allowlist: ['^example$'] } },
];

let directory: string;
let messages: string[];
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sseredact-rules-cache-test-'));
  messages = [];
  parses.mockClear();
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** compileRules on the cache directory, its notes on the analysis cache in `messages` (the program cache has its own tests). */
const cached = (specs: readonly RuleSpec[] = SPECS, options: CompileOptions = {}) =>
  compileRules(specs, { cacheDirectory: directory, log: (message) => (message.startsWith('rule analyses:') ? messages.push(message) : 0), ...options });

const SECRETS = ['example', 'aaaaaaaa', 'hunter2xyz'].map((secret) => new Uint8Array(Buffer.from(secret, 'latin1')));

/** Everything a rule means, its tree read (and so parsed) and predicates compiled if they were not yet. */
function meaning(rule: CompiledRule) {
  const { index, id, minWidth, maxWidth, canMatchNewline, needsRightContext, source, secretGroup, ast, jsSource, keep } = rule;
  return { index, id, minWidth, maxWidth, canMatchNewline, needsRightContext, source, secretGroup, ast, jsSource, keeps: keep && SECRETS.map((secret) => keep(secret)) };
}

const onlyFile = () => {
  const files = readdirSync(directory);
  expect(files).toEqual([expect.stringMatching(/^rules-[0-9a-f]{64}\.db$/)]);
  return join(directory, files[0]!);
};

describe('analysis key', () => {
  const key = analysisKey(SPECS, 4096);

  test("is the analysis version, maxMatch and each regex, secretGroup and predicates in order (and the package's version, in every key)", () => {
    const parts = SPECS.flatMap((spec) => [spec.regex, String(spec.secretGroup ?? 0), JSON.stringify(spec.predicates ?? null)]);
    expect(key).toBe(cacheKey(['sseredact-rule-analysis', '2', '4096', ...parts]));
  });

  const changed = (position: number, change: Partial<RuleSpec>) => SPECS.map((spec, i) => (i === position ? { ...spec, ...change } : spec));
  test.each([
    ['a changed regex', changed(0, { regex: 'tok_[a-z0-9]{9,}\\b' }), 4096],
    ['a changed secretGroup', changed(2, { secretGroup: 0 }), 4096],
    ['a changed allowlist', changed(2, { predicates: { minEntropy: 1, allowlist: ['^sample$'] } }), 4096],
    ['predicates added', changed(0, { predicates: { validator: 'luhn' } }), 4096],
    ['a changed maxMatch', SPECS, 4095],
    ['rules in another order', [SPECS[1]!, SPECS[0]!, SPECS[2]!], 4096],
    ['one rule more', [...SPECS, { id: 'x', regex: 'x' }], 4096],
    ['one rule fewer', SPECS.slice(1), 4096],
  ])('%s is another key', (_label, specs, maxMatch) => {
    expect(analysisKey(specs, maxMatch)).not.toBe(key);
  });

  test.each([
    ['ids', changed(0, { id: 'renamed' })],
    ['keywords', changed(0, { keywords: ['other'] })],
    ['descriptions', changed(1, { description: 'a key' })],
  ])('%s play no part', (_label, specs) => {
    expect(analysisKey(specs, 4096)).toBe(key);
  });
});

describe('compileRules with an analysis cache', () => {
  test('a miss compiles in full and writes; a hit parses nothing until a tree is read, then once', () => {
    const cold = cached();
    expect(messages).toEqual([expect.stringMatching(/^rule analyses: nothing cached; analysing 3 rules$/)]);
    expect(ruleParses()).toBe(3);
    onlyFile();

    parses.mockClear();
    messages = [];
    const warm = cached();
    expect(messages).toEqual([]);
    expect(ruleParses()).toBe(0);
    expect(warm[1]!.program).toBeDefined();
    expect(ruleParses()).toBe(1);
    expect(warm[1]!.ast).toBe(warm[1]!.ast);
    expect(ruleParses()).toBe(1);
    expect(warm.map(meaning)).toEqual(cold.map(meaning));
    expect(warm.map(meaning)).toEqual(compileRules(SPECS).map(meaning));
  });

  test('a hit takes the analyses from the entry', () => {
    cached();
    const path = onlyFile();
    const key = analysisKey(SPECS, 4096);
    writeCache(directory, 'rules', key, { meta: '{"rules":[[1,2,1,1],[3,4,0,0],[5,6,1,0]],"regexes":[]}', data: new Uint8Array(0) });
    expect(readdirSync(directory)).toEqual([path.slice(directory.length + 1)]);
    expect(cached().map((rule) => [rule.minWidth, rule.maxWidth, rule.canMatchNewline, rule.needsRightContext])).toEqual([
      [1, 2, true, true],
      [3, 4, false, false],
      [5, 6, true, false],
    ]);
  });

  test("a miss writes each predicate regex's JS source; a hit compiles the predicates from them, parsing none", () => {
    cached();
    const entry = readCache(directory, 'rules', analysisKey(SPECS, 4096));
    if ('miss' in entry) throw new Error(entry.miss);
    expect(JSON.parse(entry.entry.meta).regexes).toEqual([['^example$', printJsSource(parseRegex('^example$').ast)]]);

    // An allowlist no other test compiles, whose cached JS source says something else: a hit obeys the entry.
    const specs = [{ id: 'pass', regex: '(?i)password=([^ \\n]+)', secretGroup: 1, predicates: { allowlist: ['^only-in-this-test$'] } }];
    writeCache(directory, 'rules', analysisKey(specs, 4096), {
      meta: JSON.stringify({ rules: [[10, 4096, 0, 0]], regexes: [['^only-in-this-test$', '^hunter2xyz$']] }),
      data: new Uint8Array(0),
    });
    parses.mockClear();
    const [rule] = cached(specs);
    expect(rule!.keep!(SECRETS[2]!)).toBe(false);
    expect(rule!.keep!(SECRETS[0]!)).toBe(true);
    expect(parses.mock.calls.filter(([source]) => source === '^only-in-this-test$')).toEqual([]);
  });

  test.each([
    [
      'a flipped byte',
      (file: Buffer) => {
        file[file.length - 3]! ^= 1;
        return file;
      },
      /checksum/,
    ],
    ['a truncated file', (file: Buffer) => file.subarray(0, file.length - 1), /truncated/],
  ])('%s is a miss: compiled in full and rewritten', (_label, damage, reason) => {
    const cold = cached();
    const path = onlyFile();
    const original = readFileSync(path);
    writeFileSync(path, damage(Buffer.from(original)));
    messages = [];
    parses.mockClear();
    const again = cached();
    expect(messages).toEqual([expect.stringMatching(reason)]);
    expect(ruleParses()).toBe(3);
    expect(again.map(meaning)).toEqual(cold.map(meaning));
    expect(readFileSync(path).equals(original)).toBe(true);
  });

  test.each([
    ['not JSON', '{"rules":[[1,2,'],
    ['the rules alone (an older entry)', '[[13,4096,0,1],[34,4096,1,0],[10,4096,0,0]]'],
    ['too few rules', '{"rules":[[13,4096,0,1],[34,4096,1,0]],"regexes":[]}'],
    ['a width of 0', '{"rules":[[0,4096,0,1],[34,4096,1,0],[10,4096,0,0]],"regexes":[]}'],
    ['max below min', '{"rules":[[13,12,0,1],[34,4096,1,0],[10,4096,0,0]],"regexes":[]}'],
    ['a flag of 2', '{"rules":[[13,4096,2,1],[34,4096,1,0],[10,4096,0,0]],"regexes":[]}'],
    ['a fractional width', '{"rules":[[13.5,4096,0,1],[34,4096,1,0],[10,4096,0,0]],"regexes":[]}'],
    ['no regexes', '{"rules":[[13,4096,0,1],[34,4096,1,0],[10,4096,0,0]]}'],
    ['a regex without its JS source', '{"rules":[[13,4096,0,1],[34,4096,1,0],[10,4096,0,0]],"regexes":[["^example$"]]}'],
  ])('an entry with %s (checksum intact) is a miss', (_label, meta) => {
    writeCache(directory, 'rules', analysisKey(SPECS, 4096), { meta, data: new Uint8Array(0) });
    const rules = cached();
    expect(messages).toEqual(['rule analyses: cached entry malformed; analysing 3 rules']);
    expect(rules.map(meaning)).toEqual(compileRules(SPECS).map(meaning));
  });

  test.each([
    ['a changed regex', SPECS.map((spec, i) => (i === 0 ? { ...spec, regex: 'tok_[a-z]{8}' } : spec)), 4096],
    ['a changed secretGroup', SPECS.map((spec, i) => (i === 2 ? { ...spec, secretGroup: 0 } : spec)), 4096],
    ['a changed allowlist', SPECS.map((spec, i) => (i === 2 ? { ...spec, predicates: { allowlist: ['^hunter'] } } : spec)), 4096],
    ['a changed maxMatch', SPECS, 64],
  ])('%s is a miss, analysed as without a cache', (_label, specs, maxMatch) => {
    cached();
    messages = [];
    const rules = cached(specs, { maxMatch });
    expect(messages).toEqual([expect.stringMatching(/nothing cached/)]);
    expect(rules.map(meaning)).toEqual(compileRules(specs, { maxMatch }).map(meaning));
    expect(readdirSync(directory)).toHaveLength(2);
  });

  test.each([
    ['regex', { id: 'broken', regex: 'a(b' }, /^rule broken: bad regex/],
    ['allowlist regex', { id: 'broken', regex: 'ab', predicates: { allowlist: ['a(b'] } }, /^rule broken: bad allowlist regex/],
  ])('a bad %s fails at compile time, cache or not, and writes nothing', (_label, broken, error) => {
    cached();
    expect(() => cached([...SPECS, broken])).toThrow(error);
    expect(readdirSync(directory)).toHaveLength(1);
  });

  test('an unwritable directory is told to the log, not thrown', () => {
    const file = join(directory, 'file');
    writeFileSync(file, '');
    const rules = cached(SPECS, { cacheDirectory: join(file, 'below') });
    expect(rules).toHaveLength(3);
    expect(messages.at(-1)).toMatch(/^rule analyses: cannot write the cache/);
  });

  test('without a cache directory nothing is read or written', () => {
    compileRules(SPECS);
    expect(readdirSync(directory)).toEqual([]);
  });
});
