/**
 * What the ts engine reports for a rule it tracks whole (no anchor): candidates are a superset of
 * the real matches' ends, but a run counted in the rule (`{24}`) is not a candidate before it is
 * long enough. Relaxed to `+`, vault's `s\.[A-Za-z0-9]{24}` made every byte after an `s.` of
 * ordinary text a candidate, most of all the candidates in a CI log. For a rule tracked up to its
 * anchor, the single byte sets after the anchor are tracked too: figma's `fig` in every `config`
 * was 15% of a CI log's candidates. A rule whose last anchor is a short keyword and that has a
 * long literal shortly before it is tracked from that literal: authorization-header reported every
 * `token` and `digest` of a CI log.
 */
import { describe, expect, test } from 'vitest';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { compileRules } from '../../src/rules/compile.js';
import type { Match } from '../../src/types.js';

const rules = compileRules([{ id: 'vault-like', regex: '\\b(?:hvs\\.[A-Za-z0-9_-]{90,120}|s\\.[A-Za-z0-9]{24}\\b)' }]);
const anchoredRules = compileRules([{ id: 'figma-like', regex: 'fig[dou]_[A-Za-z0-9_-]{38,42}' }]);
const nameRules = compileRules([{ id: 'name-like', regex: '(?i:poly[\\w.-]{0,20}private[\\w.-]{0,20}key)[ \\t]{0,4}=[ \\t]{0,4}(0x[0-9a-f]{64})', secretGroup: 1 }]);
const headerRules = compileRules([
  { id: 'header-like', regex: `(?i:authorization)["']?[ \\t]{0,4}[:=][ \\t]{0,4}["']?(?i:basic|bearer|token|digest)[ \\t]{1,4}([A-Za-z0-9_+/=.~:-]{12,})`, secretGroup: 1 },
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
    ['the anchor followed by bytes the rule does not have there', 'configure figx_ figo-abc'],
  ])('%s is no candidate', (_, text) => {
    expect(candidates(text, anchoredRules)).toEqual([]);
  });

  test('a real match still has a candidate whose bounds hold its start', () => {
    const secret = `figd_${'a1B2-'.repeat(8)}`;
    const text = `key: ${secret} done`;
    const start = text.indexOf(secret);
    expect(candidates(text, anchoredRules).some((match) => match.start <= start && (match.lastStart ?? match.start) >= start)).toBe(true);
  });
});

describe('ts engine candidates of a rule tracked from a rarer anchor before its last', () => {
  test('the last anchor alone is no candidate', () => {
    expect(candidates('pull token abcdefghijklmnop; digest sha256:0123456789abcdef ok', headerRules)).toEqual([]);
    expect(candidates('api_key = x; the key of a map; keys = 3', nameRules)).toEqual([]);
  });

  test('a real match still has a candidate whose bounds hold its start', () => {
    const text = 'curl -H "Authorization: Bearer abcdefghijklmnop1234" https://x';
    const start = text.indexOf('Authorization');
    expect(candidates(text, headerRules).some((match) => match.start <= start && (match.lastStart ?? match.start) >= start)).toBe(true);
  });
});
