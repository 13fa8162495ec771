/**
 * The AST -> Vectorscan expression printer, and that real rule sets (the built-in secrets pack,
 * gitleaks' own config) compile with no rule left to the fallback engine.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { EngineRule } from '../../src/engine/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { anchoredPrefix } from '../../src/engine/vectorscan/anchored.js';
import { createVectorscanEngine } from '../../src/engine/vectorscan/engine.js';
import { RELAX_ABOVE, printHyperscan } from '../../src/engine/vectorscan/pattern.js';
import { capRepeats } from '../../src/regex/analyze.js';
import { byteRanges } from '../../src/regex/ast.js';
import { parseRegex } from '../../src/regex/parse.js';
import { compileRule } from '../../src/rules/compile.js';
import { loadRuleFile } from '../../src/rules/load/file.js';
import { loadPack } from '../../src/rules/packs/index.js';
import type { RuleSpec } from '../../src/types.js';

const print = (source: string, maxMatch = 4096) => printHyperscan(capRepeats(parseRegex(source).ast, maxMatch)!);

describe('printHyperscan', () => {
  test.each([
    ['literal bytes', 'ab', '\\x61\\x62'],
    ['case folding becomes two-byte classes', '(?i)k', '[\\x4b\\x6b]'],
    ['dot excludes only newline', '.', '[\\x00-\\x09\\x0b-\\xff]'],
    ['dot with (?s) is every byte', '(?s).', '[\\x00-\\xff]'],
    ['\\s is the ASCII set', '\\s', '[\\x09-\\x0d\\x20]'],
    ['high bytes stay bytes', '\\xe9', '\\xe9'],
    ['alternation is grouped', 'a(b|cd)e', '\\x61(?:\\x62|\\x63\\x64)\\x65'],
    ['small counted repeats stay exact', 'x{3,7}', '\\x78{3,7}'],
    ['an exact count stays exact', 'x{40}', '\\x78{40}'],
    ['optional', 'xy?', '\\x78\\x79?'],
    ['a capped + is unbounded again', 'x+', '\\x78+'],
    ['a capped * is unbounded again', 'ax*', '\\x61\\x78*'],
    ['a large lower bound shrinks', `x{${RELAX_ABOVE + 10}}`, `\\x78{${RELAX_ABOVE},}`],
    ['a group under a repeat', '(ab)+', '(?:\\x61\\x62)+'],
    ['stream anchors', '^a$', '\\A\\x61\\z'],
    ['line anchors', '(?m)^a$', '(?m:^)\\x61(?m:$)'],
    ['word boundaries are dropped (they cost Vectorscan its fast paths)', '\\ba\\Bb', '\\x61\\x62'],
    ['a word boundary where the match ends is kept', '\\bs\\.[a-z]{3}\\b', '\\x73\\x2e[\\x61-\\x7a]{3}\\b'],
    ['a word boundary that ends a last branch is kept', 'x(?:a\\b|b)', '\\x78(?:\\x61\\b|\\x62)'],
    ['a word boundary inside a repeat is dropped', '(?:a\\b)+', '(?:\\x61)+'],
    ['an impossible branch is dropped', '[^\\x00-\\xff]|b', '\\x62'],
  ])('%s: %s', (_label, source, expected) => {
    expect(print(source)).toBe(expected);
  });

  test('any byte set prints as exactly its ranges', () => {
    const hex = (byte: number) => `\\x${byte.toString(16).padStart(2, '0')}`;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 8, maxLength: 8 }), (words) => {
        const set = Uint32Array.from(words);
        const ranges = byteRanges(set);
        const printed = printHyperscan({ type: 'bytes', set });
        if (ranges.length === 0) return expect(printed).toBeNull();
        const body = ranges.map(([from, to]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`)).join('');
        const single = ranges.length === 1 && ranges[0]![0] === ranges[0]![1];
        expect(printed).toBe(single ? body : `[${body}]`);
      }),
    );
    // Words of all ones and all zeros, the shortcuts of the printer, appear rarely at random.
    const edges = Uint32Array.from([0, 0xffffffff, 0xffffffff, 0, 0x80000000, 1, 0, 0xffffffff]);
    expect(printHyperscan({ type: 'bytes', set: edges })).toBe('[\\x20-\\x5f\\x9f-\\xa0\\xe0-\\xff]');
  });

  test('a pattern that can match nothing prints as null', () => {
    expect(print('a[^\\x00-\\xff]')).toBeNull();
  });

  test("assertions: 'drop' removes them, widening the pattern", () => {
    const ast = capRepeats(parseRegex('(?m)^\\bkey\\b$').ast, 4096)!;
    expect(printHyperscan(ast, { assertions: 'drop' })).toBe('\\x6b\\x65\\x79');
  });
});

const load = loadAddon();

function compileAll(specs: readonly RuleSpec[]): EngineRule[] {
  const rules: EngineRule[] = [];
  for (const spec of specs) {
    try {
      rules.push(compileRule(spec, rules.length));
    } catch {
      // A rule the rule compiler refuses is the rule compiler's business, tested there.
    }
  }
  return rules;
}

describe.skipIf(!('addon' in load))('real rule sets compile on Vectorscan', () => {
  const addon = 'addon' in load ? load.addon : undefined;

  test.each([
    ['the built-in secrets pack', () => loadPack('secrets')],
    ['gitleaks.toml', () => loadRuleFile(join(import.meta.dirname, '../../fixtures/rules/gitleaks/gitleaks.toml'))],
    ['betterleaks.toml', () => loadRuleFile(join(import.meta.dirname, '../../fixtures/rules/betterleaks/betterleaks.toml'))],
  ])(
    '%s: every rule compiles exactly on Vectorscan',
    (_label, specs) => {
      const rules = compileAll(specs());
      expect(rules.length).toBeGreaterThan(10);
      const database = createVectorscanEngine(addon!, { cacheDirectory: null }).compile(rules);
      // Rules that can match a newline are scanned by their prefix (vectorscan/anchored.ts); without a
      // fallback engine, the few without one are scanned whole.
      const prefixed = rules.map((rule) => rule.canMatchNewline && anchoredPrefix(rule.ast) !== null);
      expect(database.stats.modes).toEqual(prefixed.map((isPrefixed) => (isPrefixed ? 'prefix' : 'end')));
      expect(prefixed.filter(Boolean).length).toBeGreaterThanOrEqual(rules.filter((rule) => rule.canMatchNewline).length - 1);
    },
    60_000,
  );
});
