import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { searchProgram } from '../../src/regex/pikevm.js';
import { compileRule } from '../../src/rules/compile.js';

/** Leftmost-first match of the printed JS RegExp from `from`: what the Pike VM must reproduce. */
function jsSearch(source: string, text: string, from: number): number[] | null {
  const re = new RegExp(source, 'dg');
  re.lastIndex = from;
  const m = re.exec(text);
  if (!m) return null;
  return m.indices!.flatMap((span) => (span ? [span[0], span[1]] : [-1, -1]));
}

function vmSearch(regex: string, text: string, from: number): number[] | null {
  const rule = compileRule({ id: 't', regex }, 0, { maxMatch: 64 });
  const bytes = Buffer.from(text, 'latin1');
  const slots = searchProgram(rule.program, { bytes, offset: 0, limit: bytes.length, isStreamEnd: true }, from, bytes.length);
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

describe('Pike VM agrees with the printed JS RegExp', () => {
  test.each(PATTERNS)('%s', (regex) => {
    const rule = compileRule({ id: 't', regex }, 0, { maxMatch: 64 });
    fc.assert(
      fc.property(fc.stringMatching(/^[abcdxyAB\n\r é]{0,24}$/), fc.nat(24), (text, fromSeed) => {
        const from = fromSeed % (text.length + 1);
        expect(vmSearch(regex, text, from)).toEqual(jsSearch(rule.jsSource, text, from));
      }),
      { numRuns: 300 },
    );
  });
});

describe('program layout', () => {
  test.each([64, 128, 256, 512])('a byte instruction where the program grows past %i instructions keeps its own byte set', (size) => {
    // pc 0 saves the start, so the literal's byte i is instruction i + 1: one of them lands where the code arrays grow.
    const regex = `a${'b'.repeat(size + 8)}`;
    const rule = compileRule({ id: 't', regex }, 0, { maxMatch: 4096 });
    const bytes = Buffer.from(`x${regex}`, 'latin1');
    const slots = searchProgram(rule.program, { bytes, offset: 0, limit: bytes.length, isStreamEnd: true }, 0, bytes.length);
    expect(slots && Array.from(slots)).toEqual([1, bytes.length]);
  });
});
