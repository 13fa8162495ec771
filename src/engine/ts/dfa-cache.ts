/**
 * The ts engine's lazy DFA kept across runs, in the start-up cache (src/cache.ts, kind `ts`), so
 * that a run over the same rule set starts with the states earlier runs built. A 64 MiB CI log
 * builds ~8,900 states; building them again is ~30% of such a run (the steps themselves, and the
 * scan loop leaving its fast path at every entry not built yet).
 *
 * When: a run reads the states once its DFA has built READ_AFTER_STATES of its own (a short input,
 * `echo hi`, never reads them: that keeps a small run as fast and small as without the cache)
 * while it scans in bulk: a write of BULK_WRITE_BYTES or more, or READ_AFTER_BYTES written in all.
 * The read and the restore take ~55 ms for 14,000 states here, all of it in the step that asks:
 * a live stream (a line at a time) read them at about its tenth line, which then came out ~55 ms
 * late; it builds its states one line at a time instead, a few tens of microseconds each. A run
 * writes the states at a stream's end when it tried to read them (one that never tried would
 * replace the states of bulk runs with the few of its own) and built WRITE_AFTER_STATES since it
 * read or wrote them: at most WRITE_AT_MOST_STATES, the first it holds. A write is a whole file
 * renamed into place: of runs that end at once, the last one's states stay. Neither ever fails a
 * run: a miss, or a failed write, is told to the log (--verbose).
 *
 * Key: DFA_VERSION, the automaton's key (the rules, AUTOMATON_VERSION, the build) and the shape of
 * the text (textShapeOf: short lines, long lines, no newline, base64; of the first bulk write).
 * Texts of different shapes step through different states, and all of them do not fit in one
 * DFA: a CI log builds ~8,900 states over 64 MiB, dense secrets 14,100, one long line 11,600,
 * base64 12,200, minified code 6,700, and MAX_STATES is 16,384. With one entry for all, a text
 * of another shape than the one kept built thousands of its own at every run (it could not write
 * them: too many with the others), and ran 12-21% slower than with its own. A stale, corrupt or
 * malformed entry is a miss (LazyDfa.restore checks what it takes), never a DFA.
 *
 * Meta (JSON): `{"lengths": [...]}`, the length of each array below. Data: the arrays of
 * BuiltStates (dfa.ts) as little-endian int32, one after the other: positionStart, positions,
 * stateHash, depths, separatorDepths, droppedHeadDepths, droppedTokenHeadDepths, accepts and
 * acceptsAtEnd (offsets and values each, see flattenLists), builtAt; then builtEntries as uint16.
 */
import { cacheKey, readCache, writeCache } from '../../cache.js';
import { type BuiltStates, type LazyDfa, MAX_STATES } from './dfa.js';
import { flattenLists, fromBytes, listsOf, toBytes } from './typed-arrays.js';

/** Bump when the layout above changes, or what a table entry, a state's positions or its hash mean (2: positionHash). */
const DFA_VERSION = '2';

/** States a run builds before it reads the kept ones: `echo hi` builds 3, 1 KiB of CI log ~200 (the first bytes of a text build the most). */
const READ_AFTER_STATES = 256;

/** A write at least this long is bulk (a pipe read that found the writer ahead: 64 KiB or more; a file's read). */
export const BULK_WRITE_BYTES = 16 * 1024;

/** Bytes written in all after which small writes count as bulk too (the scan of many small files; a long stream). */
export const READ_AFTER_BYTES = 1024 * 1024;

/** New states that make a stream's end write them: fewer are cheaper to build again than to write (~10 ms) and read. */
const WRITE_AFTER_STATES = 512;

/**
 * The most states written: a DFA that reads them keeps room for an eighth of what it can hold
 * before it must make room (LazyDfa drops its later half then). A run that ends with more writes
 * the first this many (those built first: a text's common states, which LazyDfa keeps when it
 * drops its later half). It once left what was cached as it was: when all shapes of text shared
 * one entry, runs over other shapes would have written ever more of their own; with an entry per
 * shape, that only kept 256 MiB of dense secrets (30,800 states built, two halves dropped) from
 * ever keeping theirs. With a flush in place of the drop, the most was 3/4: runs over texts of
 * other shapes wrote ever more states, until a run that read them flushed them all.
 */
const WRITE_AT_MOST_STATES = (MAX_STATES * 7) / 8;

/** The cache key of the DFA over the automaton whose key is `automatonKey`, for text of `shape`. */
export function dfaKey(automatonKey: string, shape: TextShape): string {
  return cacheKey(['sseredact-ts-dfa', DFA_VERSION, automatonKey, shape]);
}

/** The shapes of text whose DFA states are kept apart (see textShapeOf). */
export type TextShape = 'short-lines' | 'long-lines' | 'no-newline' | 'base64';

/** The bytes of a write textShapeOf looks at: the first 64 KiB (a pipe read's worth). */
const SHAPE_SAMPLE_BYTES = 64 * 1024;
/** Lines this long on average, or longer, are long (minified code); a CI log's average ~125 bytes. */
const LONG_LINE_BYTES = 1024;
/** Text whose bytes are this much base64's alphabet (a CI log's: ~82%) is base64. */
const BASE64_SHARE = 0.95;
/** Every this many bytes of the sample, one is looked up for the base64 share: the lookups run before V8 optimises them. */
const BASE64_STRIDE = 16;
const IS_BASE64 = Uint8Array.from({ length: 256 }, (_, byte) => (/[A-Za-z0-9+/=]/.test(String.fromCharCode(byte)) ? 1 : 0));

/** The shape of the text `bytes` begin (see the key, above): what share is base64's alphabet, how far apart the newlines are. */
export function textShapeOf(bytes: Uint8Array): TextShape {
  const sample = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SHAPE_SAMPLE_BYTES));
  let base64 = 0;
  let looked = 0;
  for (let at = 0; at < sample.length; at += BASE64_STRIDE, looked++) base64 += IS_BASE64[sample[at]!]!;
  if (looked > 0 && base64 >= BASE64_SHARE * looked) return 'base64';
  let newlines = 0;
  for (let at = sample.indexOf(0x0a); at >= 0; at = sample.indexOf(0x0a, at + 1)) newlines++;
  if (newlines === 0) return 'no-newline';
  return sample.length / newlines >= LONG_LINE_BYTES ? 'long-lines' : 'short-lines';
}

/** The int32 arrays of `states`, in the order of the layout above. */
function arraysOf(states: BuiltStates): Int32Array[] {
  return [
    states.positionStart,
    states.positions,
    states.stateHash,
    states.depths,
    states.separatorDepths,
    states.droppedHeadDepths,
    states.droppedTokenHeadDepths,
    ...flattenLists(states.accepts),
    ...flattenLists(states.acceptsAtEnd),
    states.builtAt,
  ];
}

/** How many int32 arrays arraysOf gives. */
const INT32_ARRAYS = 12;

/** The states in `meta` and `data` (the arrays' lengths checked, not their values: LazyDfa.restore does), or null. */
function decode(metaText: string, data: Uint8Array): BuiltStates | null {
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch {
    return null;
  }
  const { lengths } = (meta ?? {}) as { lengths?: unknown };
  if (!Array.isArray(lengths) || lengths.length !== INT32_ARRAYS + 1 || !lengths.every((length) => Number.isInteger(length) && length >= 0)) return null;
  const intBytes = (lengths as number[]).slice(0, INT32_ARRAYS).reduce((n, length) => n + length * 4, 0);
  if (data.length !== intBytes + (lengths[INT32_ARRAYS] as number) * 2) return null;
  const ints = fromBytes(data.subarray(0, intBytes), Int32Array);
  let at = 0;
  const [positionStart, positions, stateHash, depths, separatorDepths, droppedHeadDepths, droppedTokenHeadDepths, acceptOffsets, acceptRules, atEndOffsets, atEndRules, builtAt] = (
    lengths as number[]
  )
    .slice(0, INT32_ARRAYS)
    .map((length) => {
      at += length;
      return ints.subarray(at - length, at);
    }) as [Int32Array, ...Int32Array[]];
  const accepts = listsOf(acceptOffsets!, acceptRules!);
  const acceptsAtEnd = listsOf(atEndOffsets!, atEndRules!);
  if (accepts === null || acceptsAtEnd === null) return null;
  return {
    positionStart,
    positions: positions!,
    stateHash: stateHash!,
    depths: depths!,
    separatorDepths: separatorDepths!,
    droppedHeadDepths: droppedHeadDepths!,
    droppedTokenHeadDepths: droppedTokenHeadDepths!,
    accepts,
    acceptsAtEnd,
    builtAt: builtAt!,
    builtEntries: fromBytes(data.subarray(intBytes), Uint16Array),
  };
}

/** The states kept under `key`, or null (told to `log`) on a miss or a malformed entry. */
export function readDfaStates(directory: string, key: string, log: (message: string) => void): BuiltStates | null {
  const read = readCache(directory, 'ts', key);
  if ('miss' in read) {
    log(`ts DFA: ${read.miss}; building its states`);
    return null;
  }
  const states = decode(read.entry.meta, read.entry.data);
  if (states === null) log('ts DFA: cached entry malformed; building its states');
  return states;
}

/** Writes `states` under `key`; a failure is told to `log`, never thrown. */
export function writeDfaStates(directory: string, key: string, states: BuiltStates, log: (message: string) => void): void {
  const arrays = [...arraysOf(states), states.builtEntries];
  const meta = JSON.stringify({ lengths: arrays.map((array) => array.length) });
  const failure = writeCache(directory, 'ts', key, { meta, data: toBytes(arrays) });
  if (failure !== null) log(`ts DFA: ${failure}`);
}

/** What a database's scanners tell the cache of its DFA. */
export interface KeptDfa {
  /**
   * Before a scanner's write of `chunk`: decides whether this write is bulk (by its length, or by
   * all written so far), and at the first bulk write the shape of the text (a stream of short
   * writes, a line at a time, is of short lines).
   */
  beforeWrite(chunk: Uint8Array): void;
  /**
   * After each step of the DFA, which went to `state`: once it has built READ_AFTER_STATES in a
   * bulk write, reads the kept states into it (a new generation). Returns `state`'s id after that.
   */
  afterStep(state: number): number;
  /** At a stream's end: writes the DFA's states when it built enough new ones. */
  afterStream(): void;
}

/**
 * Keeps `dfa`'s states in `directory`, under the key for the automaton whose key is `automatonKey`
 * and the shape of the text (see dfaKey), telling misses and failures to `log`.
 */
export function keepDfa(dfa: LazyDfa, directory: string, automatonKey: string, log: (message: string) => void): KeptDfa {
  /** Whether the kept states were read (or found missing or malformed). */
  let isRead = false;
  /** dfa.statesBuilt when the states were last read or written. */
  let keptAt = 0;
  /** Bytes written by the scanners so far, and whether the write under way is bulk. */
  let written = 0;
  let isBulk = false;
  /** The key for the shape of the text, from the first bulk write on. */
  let key = '';
  return {
    beforeWrite(chunk) {
      written += chunk.length;
      isBulk = chunk.length >= BULK_WRITE_BYTES || written >= READ_AFTER_BYTES;
      if (isBulk && key === '') key = dfaKey(automatonKey, chunk.length >= BULK_WRITE_BYTES ? textShapeOf(chunk) : 'short-lines');
    },
    afterStep(state) {
      if (isRead || !isBulk || dfa.statesBuilt < READ_AFTER_STATES) return state;
      isRead = true;
      const states = readDfaStates(directory, key, log);
      if (states === null) return state;
      const positions = dfa.positionsOf(state);
      if (dfa.restore(states)) {
        keptAt = dfa.statesBuilt;
        log(`ts DFA: ${dfa.stateCount} states from the cache`);
      } else log('ts DFA: cached entry malformed; building its states');
      return dfa.intern(positions);
    },
    afterStream() {
      if (!isRead || dfa.statesBuilt - keptAt < WRITE_AFTER_STATES) return;
      keptAt = dfa.statesBuilt;
      writeDfaStates(directory, key, dfa.builtStates(WRITE_AT_MOST_STATES), log);
    },
  };
}
