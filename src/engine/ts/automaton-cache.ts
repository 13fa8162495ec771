/**
 * The ts engine's compile cache: the position automaton of a rule set (positions.ts), kept on disk
 * in the start-up cache (src/cache.ts, kind `ts`) as the vectorscan engine keeps its database. On
 * the built-in secrets pack, building it (parsing every rule, relaxing, Glushkov construction) is
 * most of a ts start's own work; a warm start reads typed arrays and parses no regex.
 *
 * One entry per rule set. Its key is AUTOMATON_VERSION (and the package's version, in every key)
 * and each rule's index and `source` (pattern and cap, which decide its tree). A stale, corrupt or
 * malformed entry is a miss, never an automaton.
 *
 * Meta (JSON): `{"positions": P, "rules": R, "lengths": [...]}`, the length of each array below,
 * in order. Data: those arrays as little-endian int32, one after the other: sets (P x 8 words),
 * follow offsets (P + 1) and targets, acceptsRule, startsOn offsets (257) and positions,
 * acceptsAtEnd, positionRule (P each), then per rule isTruncated, isHeadDropped, trackedMinWidth,
 * trackedMaxWidth, isTokenOnly, droppedWidth, isDroppedTokenOnly, droppedHeadDepth (R each).
 */
import { cacheKey, readCache, writeCache } from '../../cache.js';
import type { EngineRule } from '../engine.js';
import type { PositionAutomaton } from './positions.js';

/** Bump when buildPositionAutomaton can give another automaton for the same rules, or the layout changes. */
const AUTOMATON_VERSION = '2';

/** The cache key of the automaton of `rules`. */
export function automatonKey(rules: readonly EngineRule[]): string {
  return cacheKey(['sseredact-ts-automaton', AUTOMATON_VERSION, ...rules.map((rule) => `${rule.index}:${rule.source}`)]);
}

/** Lists of int32 as offsets (length + 1) and values, concatenated. */
function flattenLists(lists: readonly Int32Array[]): [Int32Array, Int32Array] {
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((list, i) => {
    offsets[i + 1] = offsets[i]! + list.length;
  });
  const values = new Int32Array(offsets[lists.length]!);
  lists.forEach((list, i) => values.set(list, offsets[i]!));
  return [offsets, values];
}

/** The lists of {@link flattenLists} again, as views of `values`; null if the offsets do not fit them. */
function listsOf(offsets: Int32Array, values: Int32Array): Int32Array[] | null {
  const lists: Int32Array[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    if (start < 0 || end < start || end > values.length) return null;
    lists.push(values.subarray(start, end));
  }
  return lists;
}

function arraysOf(automaton: PositionAutomaton): Int32Array[] {
  const sets = new Int32Array(automaton.sets.length * 8);
  automaton.sets.forEach((set, p) => sets.set(set, p * 8));
  return [
    sets,
    ...flattenLists(automaton.follow),
    automaton.acceptsRule,
    ...flattenLists(automaton.startsOn),
    automaton.acceptsAtEnd,
    automaton.positionRule,
    Int32Array.from(automaton.isTruncated),
    Int32Array.from(automaton.isHeadDropped),
    automaton.trackedMinWidth,
    automaton.trackedMaxWidth,
    Int32Array.from(automaton.isTokenOnly),
    automaton.droppedWidth,
    Int32Array.from(automaton.isDroppedTokenOnly),
    automaton.droppedHeadDepth,
  ];
}

/** Caches the automaton of `rules` under `key`; a failure is told to `log`, never thrown. */
export function writeAutomaton(directory: string, key: string, automaton: PositionAutomaton, log: (message: string) => void): void {
  const arrays = arraysOf(automaton);
  const data = new Uint8Array(arrays.reduce((n, array) => n + array.byteLength, 0));
  const view = new DataView(data.buffer);
  let at = 0;
  for (const array of arrays) {
    for (const value of array) {
      view.setInt32(at, value, true);
      at += 4;
    }
  }
  const meta = JSON.stringify({ positions: automaton.sets.length, rules: automaton.isTruncated.length, lengths: arrays.map((array) => array.length) });
  const failure = writeCache(directory, 'ts', key, { meta, data });
  if (failure !== null) log(`ts automaton: ${failure}`);
}

/** The expected length of each array for P positions and R rules (null where it varies). */
function expectedLengths(positions: number, rules: number): Array<number | null> {
  return [positions * 8, positions + 1, null, positions, 257, null, positions, positions, ...Array.from({ length: 8 }, () => rules)];
}

/** The cached automaton under `key`, or null (told to `log`) on any miss. */
export function readAutomaton(directory: string, key: string, log: (message: string) => void): PositionAutomaton | null {
  const read = readCache(directory, 'ts', key);
  if ('miss' in read) {
    log(`ts automaton: ${read.miss}; building it`);
    return null;
  }
  const automaton = decode(read.entry.meta, read.entry.data);
  if (automaton === null) log('ts automaton: cached entry malformed; building it');
  return automaton;
}

function decode(metaText: string, data: Uint8Array): PositionAutomaton | null {
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch {
    return null;
  }
  const { positions, rules, lengths } = (meta ?? {}) as { positions?: unknown; rules?: unknown; lengths?: unknown };
  if (!Number.isInteger(positions) || !Number.isInteger(rules) || !Array.isArray(lengths)) return null;
  const expected = expectedLengths(positions as number, rules as number);
  if (lengths.length !== expected.length || !lengths.every((length, i) => Number.isInteger(length) && length >= 0 && (expected[i] === null || length === expected[i]))) return null;
  if (lengths.reduce((n: number, length: number) => n + length * 4, 0) !== data.length) return null;
  // One copy into an aligned int32 array (little-endian, as written), then views of it.
  const all = new Int32Array(data.length / 4);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < all.length; i++) all[i] = view.getInt32(i * 4, true);
  let at = 0;
  const [sets, followOffsets, followTargets, acceptsRule, startOffsets, startPositions, acceptsAtEnd, positionRule, ...perRule] = (lengths as number[]).map((length) => {
    const array = all.subarray(at, at + length);
    at += length;
    return array;
  });
  const follow = listsOf(followOffsets!, followTargets!);
  const startsOn = listsOf(startOffsets!, startPositions!);
  const count = positions as number;
  const isPosition = (p: number): boolean => p >= 0 && p < count;
  if (follow === null || startsOn === null || !followTargets!.every(isPosition) || !startPositions!.every(isPosition)) return null;
  const isRule = (rule: number): boolean => rule >= 0 && rule < (rules as number);
  if (!positionRule!.every(isRule) || !acceptsRule!.every((rule) => rule === -1 || isRule(rule)) || !acceptsAtEnd!.every((rule) => rule === -1 || isRule(rule))) return null;
  const [isTruncated, isHeadDropped, trackedMinWidth, trackedMaxWidth, isTokenOnly, droppedWidth, isDroppedTokenOnly, droppedHeadDepth] = perRule as Int32Array[];
  const setWords = new Uint32Array(sets!.buffer, sets!.byteOffset, sets!.length);
  return {
    sets: Array.from({ length: count }, (_, p) => setWords.subarray(p * 8, p * 8 + 8)),
    follow,
    acceptsRule: acceptsRule!,
    startsOn,
    acceptsAtEnd: acceptsAtEnd!,
    positionRule: positionRule!,
    isTruncated: Uint8Array.from(isTruncated!),
    isHeadDropped: Uint8Array.from(isHeadDropped!),
    trackedMinWidth: trackedMinWidth!,
    trackedMaxWidth: trackedMaxWidth!,
    isTokenOnly: Uint8Array.from(isTokenOnly!),
    droppedWidth: droppedWidth!,
    isDroppedTokenOnly: Uint8Array.from(isDroppedTokenOnly!),
    droppedHeadDepth: droppedHeadDepth!,
  };
}
