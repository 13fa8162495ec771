/**
 * What the ts engine reports for a rule it tracks whole (no anchor): candidates are a superset of
 * the real matches' ends, but a run counted in the rule (`{24}`) is not a candidate before it is
 * long enough. Relaxed to `+`, vault's `s\.[A-Za-z0-9]{24}` made every byte after an `s.` of
 * ordinary text a candidate, most of all the candidates in a CI log.
 */
import { describe, expect, test } from 'vitest';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { compileRules } from '../../src/rules/compile.js';
import type { Match } from '../../src/types.js';

const rules = compileRules([{ id: 'vault-like', regex: '\\b(?:hvs\\.[A-Za-z0-9_-]{90,120}|s\\.[A-Za-z0-9]{24}\\b)' }]);

function candidates(text: string): Match[] {
  const scanner = tsEngine.compile(rules).open();
  const found: Match[] = [];
  scanner.write(new TextEncoder().encode(text), (match) => found.push(match));
  scanner.end((match) => found.push(match));
  return found;
}

describe('ts engine candidates of a rule tracked whole', () => {
  test('words after an `s.` are no candidates while shorter than the counted run', () => {
    expect(candidates('process.stdout.write(tests.spec) hvs.abc')).toEqual([]);
  });

  test('a real match still ends at a candidate', () => {
    const token = 'abcdefghijklmnopqrstuvwx';
    const text = `token s.${token} done`;
    const end = text.indexOf(' done');
    expect(candidates(text).some((match) => match.end === end && match.start <= end - 26)).toBe(true);
  });
});
