/**
 * capRepeats: the bound every rule gets (DESIGN §2). A key block rule leaves its body repeat to
 * --max-match, so that repeat must get all the bytes the rest of the pattern leaves, not half.
 */
import { expect, test } from 'vitest';
import { capRepeats, widths } from '../../src/regex/analyze.js';
import { parseRegex } from '../../src/regex/parse.js';

const widest = (source: string, maxMatch: number) => {
  const capped = capRepeats(parseRegex(source).ast, maxMatch);
  return capped === null ? null : widths(capped).max;
};

test.each([
  ['one repeat takes what the rest leaves', '-{5}BEGIN[A-Z ]{0,100}-{5}[A-Za-z0-9+/=\\s]{40,}?-{5}END-{5}', 4096, 4096],
  ['a repeat of two-byte items stays within the bound', '(?:ab)+c', 101, 101],
  ['two repeats share the bytes', 'a+b+', 4096, 4096],
  ['no unbounded repeat: the pattern as it is', 'a{1,10}', 4096, 10],
  ['wider than the bound even at the minimum', 'a{50,}', 40, null],
] as const)('%s', (_name, source, maxMatch, want) => {
  expect(widest(source, maxMatch)).toBe(want);
});
