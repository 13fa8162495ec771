/**
 * The start bound the ts engine gives the confirmer for a rule it tracks only up to its anchor,
 * head kept: the end less the most bytes the DFA tracks of a match (not the rule's whole width).
 * A match that starts exactly at that bound is the edge case: one byte tighter and it is lost.
 */
import { describe, expect, test } from 'vitest';
import { tsEngine } from '../../src/engine/ts/engine.js';
import type { Match } from '../../src/types.js';
import { oracleRedact } from '../oracle.js';
import { TEMPLATE, everyBytes, redactChunks, ruleSetOf } from '../support.js';

// The head can hold a newline, so the DFA keeps it; the secret after the anchor is left to the confirmer.
const ruleSet = ruleSetOf([{ id: 'kept-head', regex: 'key\\s{0,3}XYZ([a-z]{20,40})', secretGroup: 1 }]);
const SECRET = 'abcdefghijklmnopqrstuvwxyzab';

function candidates(text: string): Match[] {
  const scanner = tsEngine.compile(ruleSet.rules).open();
  const found: Match[] = [];
  scanner.write(Buffer.from(text, 'latin1'), (match) => found.push(match));
  scanner.end((match) => found.push(match));
  return found;
}

describe('ts engine start bounds of a rule tracked up to its anchor', () => {
  test('a candidate starts within the tracked part, not the rule width, before its end', () => {
    // Each `key ` starts a thread before the last dies: the DFA is never idle, so only widths bound the start.
    const text = `${'key '.repeat(20)}XYZ${SECRET} done`;
    const [candidate] = candidates(text);
    expect(candidate?.lastStart).toBeDefined();
    // key (3) + 3 blanks + XYZ (3), and the few bytes after the anchor the DFA may track.
    expect(candidate!.end - candidate!.start).toBeLessThan(16);
    expect(candidate!.start).toBeLessThanOrEqual(text.lastIndexOf('key'));
  });

  test.each([
    ['no blank', 'key'],
    ['one blank', 'key '],
    ['three blanks (the widest head: the match starts at the bound)', 'key \r\n'],
  ])('%s: the match is found whole, in any chunking', (_, head) => {
    const input = Buffer.from(`x=1 pkey=2 ${head}XYZ${SECRET} done\n`, 'latin1');
    const want = oracleRedact(ruleSet.rules, input, TEMPLATE);
    expect(want.output.toString('latin1')).toContain('[REDACTED:kept-head]');
    for (const size of [1, 7, input.length]) {
      const got = redactChunks(ruleSet, everyBytes(input, size));
      expect({ size, output: got.output.toString('latin1') }).toEqual({ size, output: want.output.toString('latin1') });
    }
  });
});
