/**
 * The ts engine's compile cache (src/engine/ts/automaton-cache.ts): a warm compile reads the same
 * automaton the cold one built (every field), parses no regex, scans alike; a malformed entry is a
 * miss that is built again, never an automaton.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { writeCache } from '../../src/cache.js';
import type { EngineRule } from '../../src/engine/engine.js';
import { automatonKey, inFlightKey, readAutomaton, readInFlightAutomata } from '../../src/engine/ts/automaton-cache.js';
import { createTsEngine } from '../../src/engine/ts/engine.js';
import { buildInFlightAutomata, buildPositionAutomaton } from '../../src/engine/ts/positions.js';
import { inFlightAnalysis, useInFlightCache } from '../../src/redact/in-flight.js';
import { type CompiledRule, compileRules, enclosingSecretGroups } from '../../src/rules/compile.js';
import { loadPack } from '../../src/rules/packs/index.js';
import type { Match } from '../../src/types.js';

let cacheDirectory: string;
beforeEach(() => {
  cacheDirectory = mkdtempSync(join(tmpdir(), 'sseredact-ts-cache-test-'));
});
afterEach(() => {
  rmSync(cacheDirectory, { recursive: true, force: true });
});

const rules = compileRules(loadPack('secrets'), {}).filter((rule) => rule.literals === null);
const INPUT = Buffer.from('token=ghp_0123456789abcdefABCDEF0123456789abcd\nAuthorization: Bearer abcdefghijklmnop1234\npassword: "hunter22"\nAKIAABCDEFGHIJKLMNOP\n');

function scanAll(engine: ReturnType<typeof createTsEngine>, engineRules: readonly EngineRule[]): Match[] {
  const scanner = engine.compile(engineRules).open();
  const matches: Match[] = [];
  scanner.write(INPUT, (match) => matches.push(match));
  scanner.end((match) => matches.push(match));
  return matches;
}

/** The rules with a tree that throws when read: a warm compile must not need one. */
function withoutTrees(engineRules: readonly EngineRule[]): EngineRule[] {
  return engineRules.map((rule) => ({
    index: rule.index,
    id: rule.id,
    minWidth: rule.minWidth,
    maxWidth: rule.maxWidth,
    canMatchNewline: rule.canMatchNewline,
    source: rule.source,
    get ast(): never {
      throw new Error(`rule ${rule.id}: parsed on a warm compile`);
    },
  }));
}

describe('ts engine compile cache', () => {
  test('a warm compile reads the automaton a cold one built, parses nothing, and scans alike', () => {
    const messages: string[] = [];
    const engine = createTsEngine({ cacheDirectory, log: (message) => messages.push(message) });
    const cold = scanAll(engine, rules);
    expect(messages).toEqual([expect.stringMatching(/^ts automaton: nothing cached; building it$/)]);
    expect(cold.length).toBeGreaterThan(0);
    const warm = scanAll(engine, withoutTrees(rules));
    expect(messages).toHaveLength(1);
    expect(warm).toEqual(cold);
    const cached = readAutomaton(cacheDirectory, automatonKey(rules), () => {});
    expect(cached).toEqual(buildPositionAutomaton(rules));
  });

  test('another rule set misses', () => {
    const engine = createTsEngine({ cacheDirectory });
    engine.compile(rules);
    expect(readAutomaton(cacheDirectory, automatonKey(rules.slice(1)), () => {})).toBeNull();
  });

  // One position, one rule: sets, byte classes (256 and their count), follow offsets and targets,
  // acceptsRule, startsOn offsets and positions, acceptsAtEnd, positionRule, then 8 arrays per rule.
  const META = '{"automata":[{"positions":1,"rules":1}],"extra":0,"lengths":[8,257,2,0,1,257,0,1,1,1,1,1,1,1,1,1,1]}';
  // Ints of such an entry: its class count (1 makes the zeros elsewhere a valid automaton) and the second follow offset.
  const CLASS_COUNT = 264;
  const SECOND_FOLLOW_OFFSET = 266;
  test.each([
    ['meta that is not JSON', 'x', 0, []],
    ['a length that does not fit the positions', META.replace('[8,', '[9,'), 4 * 536, [CLASS_COUNT + 1]],
    ['data shorter than the lengths', META, 4 * 200, []],
    ['a byte class past the class count', META, 4 * 535, [CLASS_COUNT, 8]],
    // One follow target that the data does not hold.
    ['follow offsets past their targets', META, 4 * 535, [CLASS_COUNT, SECOND_FOLLOW_OFFSET]],
  ])('an entry with %s is a miss, then built again', (_label, meta, dataBytes, ones: number[]) => {
    const data = new Uint8Array(dataBytes);
    for (const at of ones) data[at * 4] = 1;
    writeCache(cacheDirectory, 'ts', automatonKey(rules), { meta, data });
    const messages: string[] = [];
    expect(readAutomaton(cacheDirectory, automatonKey(rules), (message) => messages.push(message))).toBeNull();
    expect(messages).toEqual(['ts automaton: cached entry malformed; building it']);
    const engine = createTsEngine({ cacheDirectory });
    expect(scanAll(engine, rules)).toEqual(scanAll(createTsEngine(), rules));
  });
});

describe('in-flight automata cache', () => {
  const all = compileRules(loadPack('secrets'), {});
  const regexRules = all.filter((rule) => rule.literals === null);
  const keyParts = regexRules.map((rule) => ({ index: rule.index, source: rule.source, secretGroups: enclosingSecretGroups(rule.secretGroup) }));
  const TAILS = ['The quick brown fox', 'Password: ', 'key sk-ant-ap', 'token Zq8Lr2', 'AKIAABCDEFGH'].map((text) => Buffer.from(text));

  /** `rules` as the rule set of a warm start: reading a tree throws. */
  function treeless(rules: readonly CompiledRule[]): CompiledRule[] {
    return rules.map((rule) =>
      Object.defineProperty({ ...rule }, 'ast', {
        get(): never {
          throw new Error(`rule ${rule.id}: parsed on a warm start`);
        },
      }),
    );
  }

  test('a rule set that uses the cache builds and caches them once; another start reads them, parses nothing, and answers alike', () => {
    const messages: string[] = [];
    const cold = compileRules(loadPack('secrets'), {});
    useInFlightCache(cold, { cacheDirectory, log: (message) => messages.push(message) });
    const coldAnswers = TAILS.map((tail) => ({ ...inFlightAnalysis(cold).secretHorizons(tail, 0) }));
    expect(messages).toEqual(['in-flight automata: nothing cached; building it']);
    expect(readInFlightAutomata(cacheDirectory, inFlightKey(keyParts), () => {})).toEqual(
      buildInFlightAutomata(regexRules.map((rule, i) => ({ index: rule.index, ast: rule.ast, secretGroups: keyParts[i]!.secretGroups }))),
    );
    const warm = treeless(all);
    useInFlightCache(warm, { cacheDirectory, log: (message) => messages.push(message) });
    expect(TAILS.map((tail) => ({ ...inFlightAnalysis(warm).secretHorizons(tail, 0) }))).toEqual(coldAnswers);
    expect(messages).toHaveLength(1);
    expect(coldAnswers.map((horizons) => horizons.any)).toEqual([16, 10, 4, 6, 0]);
  });

  test('an entry of another shape is a miss, then built again', () => {
    writeCache(cacheDirectory, 'ts', inFlightKey(keyParts), { meta: '{"automata":[],"extra":0,"lengths":[]}', data: new Uint8Array(0) });
    const messages: string[] = [];
    expect(readInFlightAutomata(cacheDirectory, inFlightKey(keyParts), (message) => messages.push(message))).toBeNull();
    expect(messages).toEqual(['in-flight automata: cached entry malformed; building it']);
    const rules = compileRules(loadPack('secrets'), {});
    useInFlightCache(rules, { cacheDirectory });
    expect(inFlightAnalysis(rules).secretHorizon(Buffer.from('key sk-ant-ap'), 0)).toBe(4);
  });
});
