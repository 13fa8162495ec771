/**
 * The literal automaton (src/engine/literal/automaton.ts) against its definition: a global JS
 * RegExp over the alternation of the strings, longest first (leftmost-longest, non-overlapping),
 * and its stopping point: the first start that bytes after the input could still decide.
 * Small alphabets make strings prefixes of one another and of the input's tail. fast-check prints
 * the seed; SSEREDACT_FUZZ_RUNS=N runs more cases (default 300).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { buildLiteralAutomaton } from '../../src/engine/literal/automaton.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 300);

function regexMatches(strings: readonly string[], text: string): Array<[number, number]> {
  const escape = (s: string) => s.replace(/[\s\S]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const re = new RegExp(
    [...new Set(strings)]
      .sort((a, b) => b.length - a.length)
      .map(escape)
      .join('|'),
    'g',
  );
  return [...text.matchAll(re)].map((m) => [m.index, m.index + m[0].length]);
}

function automatonMatches(strings: readonly string[], text: string, isEnd = true): { matches: Array<[number, number]>; stop: number } {
  const automaton = buildLiteralAutomaton(strings);
  const matches: Array<[number, number]> = [];
  const data = Buffer.from(text, 'latin1');
  const stop = automaton.scan(data, 0, data.length, isEnd, (start, end) => matches.push([start, end]));
  return { matches, stop };
}

/** Strings over a small alphabet, with prefixes of one another. */
const stringsArb = fc
  .array(fc.tuple(fc.stringMatching(/^[ab\n\xff]{4,12}$/), fc.nat(8)), { minLength: 1, maxLength: 30 })
  .map((pairs) => pairs.flatMap(([string, cut]) => [string, string.slice(0, Math.max(4, string.length - cut))]));
/** A set and a text made of its strings, their beginnings and filler. */
const caseArb = stringsArb.chain((strings) => {
  const piece = fc.oneof(
    fc.constantFrom(...strings),
    fc.tuple(fc.constantFrom(...strings), fc.nat(12)).map(([string, length]) => string.slice(0, length)),
    fc.stringMatching(/^[abc\n\xff]{0,3}$/),
  );
  return fc.tuple(
    fc.constant(strings),
    fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join('')),
  );
});

describe('literal automaton', () => {
  test.each([
    ['the longer of two literals sharing a start', ['secret', 'secret-long'], 'a secret-long b', [[2, 13]]],
    ['a literal that is a prefix of a failed longer one', ['abcd', 'abcdefgh'], 'abcdefgX', [[0, 4]]],
    [
      'non-overlapping: the search resumes at the end',
      ['aaaa'],
      'aaaaaaaaa',
      [
        [0, 4],
        [4, 8],
      ],
    ],
    ['leftmost wins over longer later', ['xaaa', 'aaaaaaa'], 'xaaaaaaa', [[0, 4]]],
    ['a literal at the very end', ['tail'], 'x tail', [[2, 6]]],
    ['latin1 bytes', ['\xff\x00\xe9z'], '\xff\x00\xe9z', [[0, 4]]],
  ])('%s', (_name, strings, text, want) => {
    expect(automatonMatches(strings, text).matches).toEqual(want);
    expect(regexMatches(strings, text)).toEqual(want);
  });

  test('finds what the oracle RegExp finds', () => {
    fc.assert(
      fc.property(caseArb, ([strings, text]) => {
        const { matches, stop } = automatonMatches(strings, text);
        expect(matches).toEqual(regexMatches(strings, text));
        expect(stop).toBe(text.length);
      }),
      { numRuns: RUNS },
    );
  });

  test('stops exactly at the first start that later bytes could still decide', () => {
    fc.assert(
      fc.property(caseArb, ([strings, text]) => {
        const { matches, stop } = automatonMatches(strings, text, false);
        // Undecided: a string starting at `stop` continues past the text's end.
        const rest = text.slice(stop);
        if (stop < text.length) expect(strings.some((s) => s.length > rest.length && s.startsWith(rest))).toBe(true);
        // Every decided match is the oracle's, whatever bytes follow: compare with the text extended by a byte no string has.
        const extended = regexMatches(strings, `${text}c`).filter(([start]) => start < stop);
        expect(matches).toEqual(extended);
        // And no earlier start is in flight: the oracle's matches agree before `stop` whatever
        // follows, in particular the rest of any string (what could complete a longer match).
        const tails = new Set(strings.flatMap((string) => Array.from({ length: string.length }, (_, k) => string.slice(k))));
        for (const tail of tails) {
          expect(regexMatches(strings, text + tail).filter(([start]) => start < stop)).toEqual(extended);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('a set of 20k strings: memory is the strings and a table, and matches are found', () => {
    const strings = Array.from({ length: 20_000 }, (_, i) => `vault-${i.toString(36)}-${((i * 2654435761) >>> 0).toString(16)}`);
    const automaton = buildLiteralAutomaton(strings);
    expect(automaton.count).toBe(20_000);
    const text = Buffer.from(`x ${strings[19_999]} y ${strings[7]}z vault-`);
    const found: string[] = [];
    automaton.scan(text, 0, text.length, true, (start, end) => found.push(text.subarray(start, end).toString('latin1')));
    expect(found).toEqual([strings[19_999], strings[7]]);
  });
});
