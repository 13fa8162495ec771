/**
 * The ts engine's compile caches: the position automaton of a rule set (positions.ts), and the two
 * automata of its in-flight analysis (src/redact/in-flight.ts), kept on disk in the start-up cache
 * (src/cache.ts, kind `ts`) as the vectorscan engine keeps its database. On the built-in secrets
 * pack, building them (parsing every rule, relaxing, Glushkov construction) is most of a ts start's
 * own work and 0.3-2 s of the first line that needs the in-flight analysis; a warm start reads
 * typed arrays and parses no regex.
 *
 * One entry per rule set and kind of automaton. Its key is AUTOMATON_VERSION (and the package's
 * version, in every key), the kind, and each rule's index and `source` (pattern and cap, which
 * decide its tree; for the in-flight automata also the secret group). A stale, corrupt or
 * malformed entry is a miss, never an automaton.
 *
 * Meta (JSON): `{"automata": [{"positions": P, "rules": R}, ...], "extra": E, "lengths": [...]}`,
 * the length of each array below, in order. Data: those arrays as little-endian int32, one after
 * the other: per automaton sets (P x 8 words), byte classes (256, then their count), follow offsets (P + 1) and targets, acceptsRule,
 * startsOn offsets (257) and positions, acceptsAtEnd, positionRule (P each), then per rule
 * isTruncated, isHeadDropped, trackedMinWidth, trackedMaxWidth, isTokenOnly, droppedWidth,
 * isDroppedTokenOnly, droppedHeadDepth, droppedTokenHeadDepth (R each); then E extra arrays (for the in-flight automata:
 * the backward follow lists and the secret kinds, see writeInFlightAutomata).
 */
import { cacheKey, readCache, writeCache } from '../../cache.js';
import type { EngineRule } from '../engine.js';
import { type InFlightAutomata, type PositionAutomaton, SECRET_INNER } from './positions.js';
import { everyIn, flattenLists, fromBytes, isOffsets, listsOf, toBytes } from './typed-arrays.js';

/** Bump when buildPositionAutomaton or buildInFlightAutomata can give other automata for the same rules, or the layout changes. */
const AUTOMATON_VERSION = '9';

/** The cache key of the automaton of `rules`. */
export function automatonKey(rules: readonly EngineRule[]): string {
  return cacheKey(['sseredact-ts-automaton', AUTOMATON_VERSION, ...rules.map((rule) => `${rule.index}:${rule.source}`)]);
}

/** The cache key of the in-flight automata of `rules` (each with the groups one of which holds its secret). */
export function inFlightKey(rules: ReadonlyArray<{ readonly index: number; readonly source: string; readonly secretGroups: readonly number[] }>): string {
  return cacheKey(['sseredact-in-flight-automata', AUTOMATON_VERSION, ...rules.map((rule) => `${rule.index}:${rule.secretGroups.join(',')}:${rule.source}`)]);
}

function arraysOf(automaton: PositionAutomaton): Int32Array[] {
  return [
    new Int32Array(automaton.setWords.buffer, automaton.setWords.byteOffset, automaton.setWords.length),
    Int32Array.of(...automaton.byteClasses.byteClass, automaton.byteClasses.count),
    automaton.followOffsets,
    automaton.followTargets,
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
    automaton.droppedTokenHeadDepth,
  ];
}

/** Arrays per automaton: see the layout above. */
const ARRAYS_PER_AUTOMATON = 18;

/** Caches `automata` and `extra` arrays under `key`; a failure is told to `log` as `what`, never thrown. */
function writeAutomata(directory: string, key: string, what: string, automata: readonly PositionAutomaton[], extra: readonly Int32Array[], log: (message: string) => void): void {
  const arrays = [...automata.flatMap(arraysOf), ...extra];
  const meta = JSON.stringify({
    automata: automata.map((automaton) => ({ positions: automaton.positionRule.length, rules: automaton.isTruncated.length })),
    extra: extra.length,
    lengths: arrays.map((array) => array.length),
  });
  const failure = writeCache(directory, 'ts', key, { meta, data: toBytes(arrays) });
  if (failure !== null) log(`${what}: ${failure}`);
}

/** The expected length of each array of an automaton of P positions and R rules (null where it varies). */
function expectedLengths(positions: number, rules: number): Array<number | null> {
  return [positions * 8, 257, positions + 1, null, positions, 257, null, positions, positions, ...Array.from({ length: 9 }, () => rules)];
}

/** The automaton in `arrays` (ARRAYS_PER_AUTOMATON of them, lengths checked) of `count` positions and `rules` rules, or null if it is malformed. */
function automatonOf(arrays: readonly Int32Array[], count: number, rules: number): PositionAutomaton | null {
  const [sets, classes, followOffsets, followTargets, acceptsRule, startOffsets, startPositions, acceptsAtEnd, positionRule, ...perRule] = arrays;
  const startsOn = listsOf(startOffsets!, startPositions!);
  const classCount = classes![256]!;
  if (classCount < 1 || classCount > 256 || !everyIn(classes!.subarray(0, 256), 0, classCount)) return null;
  if (!isOffsets(followOffsets!, followTargets!.length) || startsOn === null || !everyIn(followTargets!, 0, count) || !everyIn(startPositions!, 0, count)) return null;
  if (!everyIn(positionRule!, 0, rules) || !everyIn(acceptsRule!, -1, rules) || !everyIn(acceptsAtEnd!, -1, rules)) return null;
  const [isTruncated, isHeadDropped, trackedMinWidth, trackedMaxWidth, isTokenOnly, droppedWidth, isDroppedTokenOnly, droppedHeadDepth, droppedTokenHeadDepth] =
    perRule as Int32Array[];
  return {
    setWords: new Uint32Array(sets!.buffer, sets!.byteOffset, sets!.length),
    byteClasses: { byteClass: Uint8Array.from(classes!.subarray(0, 256)), count: classCount },
    followOffsets: followOffsets!,
    followTargets: followTargets!,
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
    droppedTokenHeadDepth: droppedTokenHeadDepth!,
  };
}

interface Decoded {
  readonly automata: PositionAutomaton[];
  readonly extra: Int32Array[];
}

function decode(metaText: string, data: Uint8Array): Decoded | null {
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch {
    return null;
  }
  const { automata, extra, lengths } = (meta ?? {}) as { automata?: unknown; extra?: unknown; lengths?: unknown };
  if (!Array.isArray(automata) || !Number.isInteger(extra) || (extra as number) < 0 || !Array.isArray(lengths)) return null;
  const shapes = automata.map((shape) => (shape ?? {}) as { positions?: unknown; rules?: unknown });
  if (!shapes.every(({ positions, rules }) => Number.isInteger(positions) && Number.isInteger(rules) && (positions as number) >= 0 && (rules as number) >= 0)) return null;
  const expected = [...shapes.flatMap(({ positions, rules }) => expectedLengths(positions as number, rules as number)), ...Array.from({ length: extra as number }, () => null)];
  if (lengths.length !== expected.length || !lengths.every((length, i) => Number.isInteger(length) && length >= 0 && (expected[i] === null || length === expected[i]))) return null;
  if (lengths.reduce((n: number, length: number) => n + length * 4, 0) !== data.length) return null;
  // One int32 array over the bytes (a copy only where they are not aligned), then views of it.
  const all = fromBytes(data, Int32Array);
  let at = 0;
  const arrays = (lengths as number[]).map((length) => {
    const array = all.subarray(at, at + length);
    at += length;
    return array;
  });
  const decoded: PositionAutomaton[] = [];
  for (const [i, { positions, rules }] of shapes.entries()) {
    const automaton = automatonOf(arrays.slice(i * ARRAYS_PER_AUTOMATON, (i + 1) * ARRAYS_PER_AUTOMATON), positions as number, rules as number);
    if (automaton === null) return null;
    decoded.push(automaton);
  }
  return { automata: decoded, extra: arrays.slice(shapes.length * ARRAYS_PER_AUTOMATON) };
}

/** The entry under `key` decoded, or null (told to `log` as `what`) on any miss. */
function readAutomata(directory: string, key: string, what: string, log: (message: string) => void): Decoded | null {
  const read = readCache(directory, 'ts', key);
  if ('miss' in read) {
    log(`${what}: ${read.miss}; building it`);
    return null;
  }
  const decoded = decode(read.entry.meta, read.entry.data);
  if (decoded === null) log(`${what}: cached entry malformed; building it`);
  return decoded;
}

/** Caches the automaton of `rules` under `key`; a failure is told to `log`, never thrown. */
export function writeAutomaton(directory: string, key: string, automaton: PositionAutomaton, log: (message: string) => void): void {
  writeAutomata(directory, key, 'ts automaton', [automaton], [], log);
}

/** The cached automaton under `key`, or null (told to `log`) on any miss. */
export function readAutomaton(directory: string, key: string, log: (message: string) => void): PositionAutomaton | null {
  const decoded = readAutomata(directory, key, 'ts automaton', log);
  if (decoded === null) return null;
  if (decoded.automata.length === 1 && decoded.extra.length === 0) return decoded.automata[0]!;
  log('ts automaton: cached entry malformed; building it');
  return null;
}

/**
 * Caches the in-flight automata under `key`; a failure is told to `log`, never thrown. The
 * backward automaton differs from the forward one only in its follow lists (it has no starts):
 * the entry holds the forward automaton, then the backward follow lists and the secret kinds.
 */
export function writeInFlightAutomata(directory: string, key: string, automata: InFlightAutomata, log: (message: string) => void): void {
  writeAutomata(
    directory,
    key,
    'in-flight automata',
    [automata.forward],
    [automata.backward.followOffsets, automata.backward.followTargets, Int32Array.from(automata.secretKind)],
    log,
  );
}

/** The cached in-flight automata under `key`, or null (told to `log`) on any miss. */
export function readInFlightAutomata(directory: string, key: string, log: (message: string) => void): InFlightAutomata | null {
  const decoded = readAutomata(directory, key, 'in-flight automata', log);
  if (decoded === null) return null;
  const [forward] = decoded.automata;
  const [backwardOffsets, backwardTargets, secretKind] = decoded.extra;
  const count = forward?.positionRule.length ?? 0;
  const isBackwardFollow =
    decoded.automata.length === 1 && decoded.extra.length === 3 && backwardOffsets!.length === count + 1 && isOffsets(backwardOffsets!, backwardTargets!.length);
  if (isBackwardFollow && everyIn(backwardTargets!, 0, count) && secretKind!.length === count && everyIn(secretKind!, 0, SECRET_INNER + 1)) {
    const noStarts = new Int32Array(0);
    return {
      forward: forward!,
      backward: { ...forward!, followOffsets: backwardOffsets!, followTargets: backwardTargets!, startsOn: Array.from({ length: 256 }, () => noStarts) },
      secretKind: Uint8Array.from(secretKind!),
    };
  }
  log('in-flight automata: cached entry malformed; building it');
  return null;
}
