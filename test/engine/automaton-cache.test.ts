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
import { automatonKey, readAutomaton } from '../../src/engine/ts/automaton-cache.js';
import { createTsEngine } from '../../src/engine/ts/engine.js';
import { buildPositionAutomaton } from '../../src/engine/ts/positions.js';
import { compileRules } from '../../src/rules/compile.js';
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

  test.each([
    ['meta that is not JSON', 'x', 0],
    ['a length that does not fit the positions', '{"positions":1,"rules":1,"lengths":[9,2,0,1,257,0,1,1,1,1,1,1,1,1,1,1]}', 4 * 279],
    ['data shorter than the lengths', '{"positions":1,"rules":1,"lengths":[8,2,0,1,257,0,1,1,1,1,1,1,1,1,1,1]}', 4 * 200],
  ])('an entry with %s is a miss, then built again', (_label, meta, dataBytes) => {
    writeCache(cacheDirectory, 'ts', automatonKey(rules), { meta, data: new Uint8Array(dataBytes) });
    const messages: string[] = [];
    expect(readAutomaton(cacheDirectory, automatonKey(rules), (message) => messages.push(message))).toBeNull();
    expect(messages).toEqual(['ts automaton: cached entry malformed; building it']);
    const engine = createTsEngine({ cacheDirectory });
    expect(scanAll(engine, rules)).toEqual(scanAll(createTsEngine(), rules));
  });
});
