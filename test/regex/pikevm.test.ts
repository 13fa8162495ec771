import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { GAVE_UP, type Program, type SearchWindow, type Slots, backtrackProgram, pikeSearch, searchProgram } from '../../src/regex/pikevm.js';
import { chooseRuleSpecs } from '../../src/rules/choose.js';
import { type CompiledRule, compileRule, compileRules } from '../../src/rules/compile.js';

/** Leftmost-first match of the printed JS RegExp from `from`: what the Pike VM must reproduce. */
function jsSearch(source: string, text: string, from: number): number[] | null {
  const re = new RegExp(source, 'dg');
  re.lastIndex = from;
  const m = re.exec(text);
  if (!m) return null;
  return m.indices!.flatMap((span) => (span ? [span[0], span[1]] : [-1, -1]));
}

type Search = (program: Program, window: SearchWindow, from: number, lastStart: number) => Slots | null;

/** The backtracker alone; a search it gives up on fails the test that asked for it. */
const backtrackOnly: Search = (program, window, from, lastStart) => {
  const slots = backtrackProgram(program, window, from, lastStart);
  if (slots === GAVE_UP) throw new Error('the backtracker gave up');
  return slots;
};

const SEARCHES: ReadonlyArray<readonly [string, Search]> = [
  ['searchProgram', searchProgram],
  ['the Pike VM', pikeSearch],
  ['the backtracker', backtrackOnly],
];

function vmSearch(search: Search, regex: string, text: string, from: number): number[] | null {
  const rule = compileRule({ id: 't', regex }, 0, { maxMatch: 64 });
  const bytes = Buffer.from(text, 'latin1');
  const slots = search(rule.program, { bytes, offset: 0, limit: bytes.length, isStreamEnd: true }, from, bytes.length);
  return slots ? Array.from(slots) : null;
}

const PATTERNS = [
  'a+b',
  '(a|ab)(c|bcd)(d*)',
  '(?i)ab[c-e]+',
  'x*?y',
  '(a+)+$',
  '^ab|b',
  '(?m)^b+$',
  '\\bab\\b',
  '\\Bb+',
  '(a|b)*?c',
  'a{2,3}(b{1,2}?)c?',
  '(?:(a)|b)+',
  '[^a\\n]+',
  '(?s)a.b',
  'a.b',
  '(?i:A)b',
  '(a)|(b)|(ab)',
  // Starts gated by byte pairs: an optional head, a keyword list, a boundary or a separator first.
  '(?:(?i:xy|d)_?)?(?:ab|bc|A)c*',
  '(?:\\b|[_\\n])(?i:ab)\\s*=?c',
];

describe.each(SEARCHES)('%s agrees with the printed JS RegExp', (_name, search) => {
  test.each(PATTERNS)('%s', (regex) => {
    const rule = compileRule({ id: 't', regex }, 0, { maxMatch: 64 });
    fc.assert(
      fc.property(fc.stringMatching(/^[abcdxyAB\n\r é]{0,24}$/), fc.nat(24), (text, fromSeed) => {
        const from = fromSeed % (text.length + 1);
        expect(vmSearch(search, regex, text, from)).toEqual(jsSearch(rule.jsSource, text, from));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the backtracker finds what the Pike VM finds', () => {
  // The secrets pack's regex rules, over texts made of their own examples and of bytes that
  // start and end secrets, in windows cut anywhere: what the confirmer asks of either search.
  const rules = compileRules(chooseRuleSpecs({ source: 'test' })).filter((rule) => rule.literals === null && (rule.examples?.length ?? 0) > 0);
  const filler = fc.constantFrom('', ' ', '\n', '=', '"', ':', '_', '-', '.', 'a', 'Z', '9', '/', '\\n', 'token ', 'key=', 'secret: ');

  test(`on ${rules.length} rules, any window and range of starts`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: rules.length - 1 }),
        fc.array(fc.oneof(filler, fc.nat(1000)), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (ruleAt, parts, fromSeed, spanSeed, cutSeed, isStreamEnd) => {
          const rule: CompiledRule = rules[ruleAt]!;
          const examples = rule.examples ?? [];
          const text = parts.map((part) => (typeof part === 'string' ? part : examples[part % examples.length]!)).join('');
          const bytes = Buffer.from(text, 'latin1');
          const limit = bytes.length - (cutSeed % (Math.min(bytes.length, 8) + 1));
          const from = fromSeed % (limit + 1);
          const lastStart = from + (spanSeed % (limit - from + 2));
          const window = { bytes, offset: 0, limit, isStreamEnd: isStreamEnd && limit === bytes.length };
          const expected = pikeSearch(rule.program, window, from, lastStart);
          const found = backtrackProgram(rule.program, window, from, lastStart);
          if (found !== GAVE_UP) expect(found && Array.from(found)).toEqual(expected && Array.from(expected));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('a search past its budget of visits goes to the Pike VM, with the same answer', () => {
    // Every split of `(?:a|a?)` and every copy of the repeat meets again: the backtracker marks
    // each (join, position) pair once and gives up long before the window's end.
    const rule = compileRule({ id: 't', regex: '(?:(?:a|a?){1,60}b)' }, 0, { maxMatch: 4096 });
    const bytes = Buffer.from(`${'a'.repeat(3000)}c`, 'latin1');
    const window = { bytes, offset: 0, limit: bytes.length, isStreamEnd: true };
    expect(backtrackProgram(rule.program, window, 0, bytes.length)).toBe(GAVE_UP);
    expect(searchProgram(rule.program, window, 0, bytes.length)).toEqual(pikeSearch(rule.program, window, 0, bytes.length));
    expect(searchProgram(rule.program, window, 0, bytes.length)).toBeNull();
  });

  test('paths that meet again are explored once: a nested repeat over a long run ends at once', () => {
    // Exponential for a backtracker without its visited pairs; here ~ (program × window).
    const rule = compileRule({ id: 't', regex: '(?:a|aa){1,30}(?:a|aa){1,30}b' }, 0, { maxMatch: 4096 });
    const bytes = Buffer.from(`${'a'.repeat(200)}`, 'latin1');
    const window = { bytes, offset: 0, limit: bytes.length, isStreamEnd: true };
    expect(backtrackProgram(rule.program, window, 0, 0)).toBeNull();
  });
});

describe('program layout', () => {
  test.each([64, 128, 256, 512])('a byte instruction where the program grows past %i instructions keeps its own byte set', (size) => {
    // pc 0 saves the start, so the literal's byte i is instruction i + 1: one of them lands where the code arrays grow.
    const regex = `a${'b'.repeat(size + 8)}`;
    const rule = compileRule({ id: 't', regex }, 0, { maxMatch: 4096 });
    const bytes = Buffer.from(`x${regex}`, 'latin1');
    for (const [, search] of SEARCHES) {
      const slots = search(rule.program, { bytes, offset: 0, limit: bytes.length, isStreamEnd: true }, 0, bytes.length);
      expect(slots && Array.from(slots)).toEqual([1, bytes.length]);
    }
  });
});
