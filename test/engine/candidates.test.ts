/**
 * What the ts engine reports for a rule it tracks whole (no anchor): candidates are a superset of
 * the real matches' ends, but a run counted in the rule (`{24}`) is not a candidate before it is
 * long enough. Relaxed to `+`, vault's `s\.[A-Za-z0-9]{24}` made every byte after an `s.` of
 * ordinary text a candidate, most of all the candidates in a CI log. For a rule tracked up to its
 * anchor, the fixed-width bytes after the anchor are tracked too: figma's `fig` in `config` and
 * ionic's `ion_` in `duration_ms` were 40% of a CI log's candidates.
 */
import { describe, expect, test } from 'vitest';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { compileRules } from '../../src/rules/compile.js';
import type { Match } from '../../src/types.js';

const rules = compileRules([{ id: 'vault-like', regex: '\\b(?:hvs\\.[A-Za-z0-9_-]{90,120}|s\\.[A-Za-z0-9]{24}\\b)' }]);
const anchoredRules = compileRules([
  { id: 'figma-like', regex: 'fig[dou]_[A-Za-z0-9_-]{38,42}' },
  { id: 'ionic-like', regex: 'ion_[A-Za-z0-9]{42}\\b' },
]);

function candidates(text: string, ruleSet = rules): Match[] {
  const scanner = tsEngine.compile(ruleSet).open();
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

describe('ts engine candidates of a rule tracked up to its anchor', () => {
  test.each([
    ['a word that holds the anchor but not the bytes after it', 'parseConfig(path) config loaded'],
    ['the anchor followed by a run shorter than the rule counts', 'duration_ms":481 version_3.11 action_run[case-7]'],
  ])('%s is no candidate', (_, text) => {
    expect(candidates(text, anchoredRules)).toEqual([]);
  });

  test.each([
    ['figma-like', `figd_${'a1B2-'.repeat(8)}`],
    ['ionic-like', `ion_${'a1B2c3'.repeat(7)}`],
  ])('a real %s match still has a candidate whose bounds hold its start', (id, secret) => {
    const text = `key: ${secret} done`;
    const start = text.indexOf(secret);
    const rule = anchoredRules.findIndex((r) => r.id === id);
    const found = candidates(text, anchoredRules).filter((match) => match.rule === rule);
    expect(found.some((match) => match.start <= start && (match.lastStart ?? match.start) >= start)).toBe(true);
  });
});
