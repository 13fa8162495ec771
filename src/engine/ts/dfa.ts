/**
 * A lazily built DFA over the position automaton, with its transition table in a typed array.
 *
 * A DFA state is a set of positions (threads in flight); the search is unanchored because every
 * step may also start a match (`startsOn`). State 0 is the empty set: nothing in flight ("idle").
 * States are built on first use; when the cache is full its later half is dropped and rebuilt on
 * demand, so memory stays bounded whatever the input (a new `generation` tells scanners their ids
 * may be stale).
 * "Full" is counted in bytes (see stateBytes), not in states: a state of a few positions costs
 * little beyond its table row, one of hundreds several times that, and what must stay bounded is
 * the process's memory, not a count.
 *
 * States' positions live in one slab and their lookup in typed arrays, not in an object per state:
 * the memory is what the slabs hold (kept, not freed, when states are dropped), and building a state
 * allocates nothing on the heap but the rare list of accepted rules.
 *
 * What a DFA built can be taken out (`builtStates`) and put into another over the same automaton
 * (`restore`): the engine keeps it across runs (./dfa-cache.ts). What building a state derives from
 * its positions (hash, depths, accepted rules) goes with them, so that restoring is copying (deriving
 * it again took 15-35 ms for 8,900 states, run once before V8 optimises anything); only the flags
 * and the memory estimate are derived again, from the lengths.
 */
import type { PositionAutomaton } from './positions.js';
import { everyIn, isOffsets } from './typed-arrays.js';

/** Flag bits, kept both in `flags` and in the low bits of every table entry (saves a load per byte). */
export const IDLE = 1;
export const ACCEPTS = 2;
export const FLAG_BITS = 2;
/**
 * The sentinel: a state no transition builds, whose row is all UNBUILT. UNBUILT, a table entry not
 * built yet, leads to it with both flag bits, which no real state has (idle means no positions):
 * a scan loop may run on through the sentinel and go back to the first unbuilt entry later.
 */
export const SENTINEL = 1;
export const UNBUILT = (SENTINEL << FLAG_BITS) | IDLE | ACCEPTS;

/**
 * Most states a 16-bit entry can name (state id and 2 flag bits). 16-bit entries and a column per
 * byte class (see PositionAutomaton.byteClasses) make a state's row 256 bytes on the built-in pack (96 classes
 * rounded up to 128), against 512 with a column per byte and 1 KiB with 32-bit entries.
 */
export const MAX_STATES = 16384;

/**
 * The default budget of a cache, in bytes (see stateBytes). The built-in secrets pack averages
 * ~550 bytes a state and builds ~11,800 states over 64 MiB of CI log, ~15,700 over 32 MiB of
 * base64: this lets the cache grow to MAX_STATES before it must drop states. That is dear: with 512-byte
 * rows the base64 flushed (dropped them all) 5 times per pass and scanned at 26 MiB per CPU second, not 125.
 */
const MAX_CACHE_BYTES = 10 * 1024 * 1024;

/** What a state costs beyond its row and its positions: flags, four depths, slab offset, hash and bucket link (29 bytes), two list slots, spare room of grown arrays. */
const STATE_OVERHEAD_BYTES = 48;
/** What a non-empty list of accepted rules costs beyond its entries (a typed array of its own). */
const LIST_OVERHEAD_BYTES = 96;

/** The empty list, shared: most states accept no rule (a typed array costs about 100 bytes of heap). */
const NONE = new Int32Array(0);

/**
 * The states a DFA built, as `builtStates` gives them and `restore` takes them: per state (by id,
 * the fixed ones first) what it is and what was derived from it, and the table's built entries.
 */
export interface BuiltStates {
  /** Per state, where its positions start in `positions`; they end where the next state's start (states + 1 entries). */
  readonly positionStart: Int32Array;
  /** Each state's positions, sorted, one state after the other. */
  readonly positions: Int32Array;
  /** Per state, the hash of its positions (to find it again). */
  readonly stateHash: Int32Array;
  /** Per state, LazyDfa's depths, separatorDepths, droppedHeadDepths and droppedTokenHeadDepths. */
  readonly depths: Int32Array;
  readonly separatorDepths: Int32Array;
  readonly droppedHeadDepths: Int32Array;
  readonly droppedTokenHeadDepths: Int32Array;
  /** Per state, LazyDfa's accepts and acceptsAtEnd. */
  readonly accepts: readonly Int32Array[];
  readonly acceptsAtEnd: readonly Int32Array[];
  /** The index in the table of each entry built, in order... */
  readonly builtAt: Int32Array;
  /** ...and the entry. */
  readonly builtEntries: Uint16Array;
}

export class LazyDfa {
  /** table[(state << rowShift) | byteClass[byte]] = (next state << FLAG_BITS) | its flags, or UNBUILT. */
  table: Uint16Array;
  /** Where the table grows when it was placed (placeTable), else null: it is copied into a new array. */
  private tableOf: ((length: number) => Uint16Array) | null = null;
  /** Per byte, its column in a state's row (see PositionAutomaton.byteClasses). */
  readonly byteClass: Uint8Array;
  /** A row holds 1 << rowShift entries: the byte classes rounded up to a power of two, so an index is a shift and an or. */
  readonly rowShift: number;
  /** IDLE and/or ACCEPTS bits per state. */
  flags = new Uint8Array(64);
  /**
   * Per state, how far back a thread alive in it may have started: the most bytes from a match's
   * start to the end of what the automaton tracks, over the rules of its positions. A partly seen
   * keyword keeps only its own few bytes back, not everything since the DFA was last idle.
   */
  depths = new Int32Array(64);
  /** The same, over the positions of rules that are not token-only (see PositionAutomaton.isTokenOnly). */
  separatorDepths = new Int32Array(64);
  /** The most PositionAutomaton.droppedHeadDepth over the rules of a state's positions. */
  droppedHeadDepths = new Int32Array(64);
  /** The same of PositionAutomaton.droppedTokenHeadDepth. */
  droppedTokenHeadDepths = new Int32Array(64);
  /** The rules whose match ends on entering each state. */
  accepts: Int32Array[] = [];
  /** The rules that match if the stream ends in each state (rules ending in `$`). */
  acceptsAtEnd: Int32Array[] = [];
  /** The positions of all states, each state's sorted, one after the other (see positionStart). */
  private positionSlab = new Int32Array(1024);
  /** Per state, where its positions start in positionSlab; they end where the next state's start (stateCount + 1 entries). */
  private positionStart = new Int32Array(65);
  /** The states built in this generation, the fixed ones included. */
  stateCount = 0;
  /** Bumped whenever states are dropped: state ids from an older generation may be invalid. */
  generation = 0;
  /** The bytes the states held cost (see stateBytes). */
  cacheBytes = 0;
  /** States added since the DFA was made, over all generations (each one's fixed states among them): restored ones do not count. */
  statesBuilt = 0;

  /** Per hash bucket (the low bits of a state's hash), the last state built in it, or -1. */
  private buckets: Int32Array;
  /** Per state, the state built before it in its bucket, or -1. */
  private sameBucket = new Int32Array(64);
  /** Per state, the hash of its positions (the sum of their positionHash). */
  private stateHash = new Int32Array(64);
  /** Per position, `markGeneration` while it is in the set being built or looked up. */
  private readonly mark: Uint32Array;
  /** Scratch for the positions of the state a step goes to (each position at most once). */
  private readonly nextPositions: Int32Array;
  /** The byte sets of all positions, 8 words each, for the inner loop of `step`. */
  private readonly setWords: Uint32Array;
  private markGeneration = 0;

  /**
   * The cache drops states before it holds more than `maxStates` states (at most MAX_STATES, the most
   * a 16-bit entry can name) or costs more than `maxBytes` (see stateBytes; the table's spare rows
   * apart, which are at most as many as the rows in use).
   */
  constructor(
    readonly automaton: PositionAutomaton,
    private readonly maxStates = MAX_STATES,
    private readonly maxBytes = MAX_CACHE_BYTES,
  ) {
    const count = automaton.positionRule.length;
    this.mark = new Uint32Array(count);
    this.nextPositions = new Int32Array(count);
    this.setWords = automaton.setWords;
    // The classes come with the automaton (and its cache entry): computing them took 3-5 ms per DFA at every start.
    const classes = automaton.byteClasses;
    this.byteClass = classes.byteClass;
    this.rowShift = 32 - Math.clz32(classes.count - 1);
    this.table = new Uint16Array(64 << this.rowShift).fill(UNBUILT);
    this.buckets = new Int32Array(bucketCount(Math.min(maxStates, MAX_STATES))).fill(-1);
    this.addFixedStates();
  }

  /** State 0, nothing in flight, and the SENTINEL (in no bucket, so no step reaches it). */
  private addFixedStates(): void {
    this.intern(NONE);
    this.positionStart[2] = this.positionStart[1]!;
    this.stateCount = 2;
    this.accepts.push(NONE);
    this.acceptsAtEnd.push(NONE);
  }

  /** The positions of `state`, sorted: a copy, which stays valid when states are dropped (to find the state again with `intern`). */
  positionsOf(state: number): Int32Array {
    const start = this.positionStart[state]!;
    const end = this.positionStart[state + 1]!;
    return start === end ? NONE : this.positionSlab.slice(start, end);
  }

  /** 1 << kind[p], or'ed over the positions p of both state `a` of this DFA and state `b` of `other` (their automata number positions alike). */
  sharedKinds(a: number, other: LazyDfa, b: number, kind: Uint8Array): number {
    const slabA = this.positionSlab;
    const slabB = other.positionSlab;
    const endA = this.positionStart[a + 1]!;
    const endB = other.positionStart[b + 1]!;
    let kinds = 0;
    for (let i = this.positionStart[a]!, j = other.positionStart[b]!; i < endA && j < endB; ) {
      if (slabA[i]! < slabB[j]!) i++;
      else if (slabA[i]! > slabB[j]!) j++;
      else {
        kinds |= 1 << kind[slabA[i]!]!;
        i++;
        j++;
      }
    }
    return kinds;
  }

  /** The id of the state with these positions (sorted), creating it if needed (from a copy of them; after dropping states if the DFA holds MAX_STATES). */
  intern(positions: Int32Array): number {
    const generation = ++this.markGeneration;
    let hash = 0;
    for (let i = 0; i < positions.length; i++) {
      this.mark[positions[i]!] = generation;
      hash = (hash + positionHash(positions[i]!)) | 0;
    }
    const known = this.findMarked(hash, positions.length, generation);
    if (known >= 0) return known;
    // Steps drop states before the cache is full, but a restored DFA may be full (and a scanner interns
    // after it): a state past the most an entry can name would be named as another.
    if (this.stateCount >= MAX_STATES) this.evictLaterHalf();
    return this.add(positions, hash);
  }

  /** The id of the state whose `count` positions are the ones marked `generation` (their hash `hash`), or -1. */
  private findMarked(hash: number, count: number, generation: number): number {
    const { mark, positionSlab, positionStart, stateHash, sameBucket } = this;
    for (let known = this.buckets[hash & (this.buckets.length - 1)]!; known >= 0; known = sameBucket[known]!) {
      if (stateHash[known] !== hash) continue;
      const start = positionStart[known]!;
      const end = start + count;
      if (positionStart[known + 1] !== end) continue;
      let i = start;
      while (i < end && mark[positionSlab[i]!] === generation) i++;
      if (i === end) return known;
    }
    return -1;
  }

  /** Creates the state with these positions (sorted; not a state yet; `hash` the sum of their positionHash). */
  private add(positions: Int32Array, hash: number): number {
    const id = this.stateCount;
    if ((id + 1) << this.rowShift > this.table.length) this.resize(Math.min(MAX_STATES, this.flags.length * 2));
    const start = this.positionStart[id]!;
    if (start + positions.length > this.positionSlab.length) this.positionSlab = grown(this.positionSlab, start + positions.length);
    this.positionSlab.set(positions, start);
    this.positionStart[id + 1] = start + positions.length;
    this.link(id, hash);
    this.stateCount = id + 1;
    this.statesBuilt++;
    return id;
  }

  /** Puts state `id` (its positions in the slab, their hash `hash`) in its hash bucket and derives what its positions say of it. */
  private link(id: number, hash: number): void {
    this.toBucket(id, hash);
    this.stateHash[id] = hash;
    const { acceptsRule, acceptsAtEnd, positionRule, trackedMaxWidth, isTokenOnly, droppedHeadDepth, droppedTokenHeadDepth } = this.automaton;
    const slab = this.positionSlab;
    const start = this.positionStart[id]!;
    const end = this.positionStart[id + 1]!;
    let accepts: Set<number> | null = null;
    let atEnd: Set<number> | null = null;
    let depth = 0;
    let separatorDepth = 0;
    let headDepth = 0;
    let tokenHeadDepth = 0;
    for (let i = start; i < end; i++) {
      const p = slab[i]!;
      if (acceptsRule[p]! >= 0) {
        accepts ??= new Set();
        accepts.add(acceptsRule[p]!);
      }
      if (acceptsAtEnd[p]! >= 0) {
        atEnd ??= new Set();
        atEnd.add(acceptsAtEnd[p]!);
      }
      const rule = positionRule[p]!;
      const width = trackedMaxWidth[rule]!;
      depth = Math.max(depth, width);
      if (isTokenOnly[rule] === 0) separatorDepth = Math.max(separatorDepth, width);
      headDepth = Math.max(headDepth, droppedHeadDepth[rule]!);
      tokenHeadDepth = Math.max(tokenHeadDepth, droppedTokenHeadDepth[rule]!);
    }
    const acceptList = accepts === null ? NONE : Int32Array.from(accepts);
    const atEndList = atEnd === null ? NONE : Int32Array.from(atEnd);
    this.accepts[id] = acceptList;
    this.acceptsAtEnd[id] = atEndList;
    this.flags[id] = (start === end ? IDLE : 0) | (accepts !== null ? ACCEPTS : 0);
    this.depths[id] = depth;
    this.separatorDepths[id] = separatorDepth;
    this.droppedHeadDepths[id] = headDepth;
    this.droppedTokenHeadDepths[id] = tokenHeadDepth;
    this.cacheBytes += stateBytes(Uint16Array.BYTES_PER_ELEMENT << this.rowShift, end - start, acceptList, atEndList);
  }

  /** Puts state `id`, whose positions' hash is `hash`, first in its hash bucket. */
  private toBucket(id: number, hash: number): void {
    const bucket = hash & (this.buckets.length - 1);
    this.sameBucket[id] = this.buckets[bucket]!;
    this.buckets[bucket] = id;
  }

  /** Whether one more state would take the cache past its budget. */
  private isFull(): boolean {
    return this.stateCount >= Math.min(this.maxStates, MAX_STATES) || this.cacheBytes >= this.maxBytes;
  }

  /**
   * Moves the table into memory of which `tableOf` gives views (a lane machine's, ./wasm-lanes.ts):
   * a view of `length` entries at one place, what was there kept. The table grows there from then on.
   */
  placeTable(tableOf: (length: number) => Uint16Array): void {
    const table = tableOf(this.table.length);
    table.set(this.table);
    this.table = table;
    this.tableOf = tableOf;
  }

  /** Makes room for `rows` states (at least as many as are built), the new rows unbuilt. */
  private resize(rows: number): void {
    const length = rows << this.rowShift;
    // A placed table's longer view holds its rows already; a table of its own is copied.
    const table = this.tableOf?.(length) ?? new Uint16Array(length);
    if (table.buffer !== this.table.buffer) table.set(this.table);
    table.fill(UNBUILT, this.table.length);
    this.table = table;
    this.flags = resized(this.flags, rows);
    this.depths = resized(this.depths, rows);
    this.separatorDepths = resized(this.separatorDepths, rows);
    this.droppedHeadDepths = resized(this.droppedHeadDepths, rows);
    this.droppedTokenHeadDepths = resized(this.droppedTokenHeadDepths, rows);
    this.sameBucket = resized(this.sameBucket, rows);
    this.stateHash = resized(this.stateHash, rows);
    this.positionStart = resized(this.positionStart, rows + 1);
  }

  /** The state after `state` on `byte` (its id, no flag bits), built if it is not yet: for loops that need no flags. */
  next(state: number, byte: number): number {
    const entry = this.table[(state << this.rowShift) | this.byteClass[byte]!]!;
    return entry === UNBUILT ? this.step(state, byte) : entry >> FLAG_BITS;
  }

  /** Builds (and caches) the transition of `state` on `byte`; returns the next state's id (no flag bits). */
  step(state: number, byte: number): number {
    const { setWords, mark } = this;
    const { followOffsets, followTargets, startsOn } = this.automaton;
    const word = byte >>> 5;
    const bit = byte & 31;
    const generation = ++this.markGeneration;
    // The next state's positions are marked and go to a scratch array, and its hash needs no order:
    // most steps find a state already built, and then neither sort nor allocate.
    const next = this.nextPositions;
    let count = 0;
    let hash = 0;
    const slab = this.positionSlab;
    const fromEnd = this.positionStart[state + 1]!;
    for (let i = this.positionStart[state]!; i < fromEnd; i++) {
      const p = slab[i]!;
      const end = followOffsets[p + 1]!;
      for (let j = followOffsets[p]!; j < end; j++) {
        const q = followTargets[j]!;
        if (mark[q] !== generation && ((setWords[q * 8 + word]! >>> bit) & 1) === 1) {
          mark[q] = generation;
          next[count++] = q;
          hash = (hash + positionHash(q)) | 0;
        }
      }
    }
    const starts = startsOn[byte]!;
    for (let j = 0; j < starts.length; j++) {
      const q = starts[j]!;
      if (mark[q] !== generation) {
        mark[q] = generation;
        next[count++] = q;
        hash = (hash + positionHash(q)) | 0;
      }
    }
    let id = this.findMarked(hash, count, generation);
    if (id < 0) {
      const positions = next.subarray(0, count).sort();
      // Only a new state can take the cache past its budget.
      if (this.isFull()) {
        this.evictLaterHalf();
        return this.intern(positions);
      }
      id = this.add(positions, hash);
    }
    this.table[(state << this.rowShift) | this.byteClass[byte]!] = (id << FLAG_BITS) | this.flags[id]!;
    return id;
  }

  /**
   * Makes room in a full cache: keeps the states built first and drops the later half, in a new
   * generation. A text's common states are built first (the idle state's successors, keyword
   * prefixes), so most of what a scan needs next is kept, where a flush threw it all away: dense
   * secrets after a CI log's kept states (src/engine/ts/dfa-cache.ts) rebuilt every state of both.
   * Only entries into dropped states are unbuilt again; kept ids stay as they were.
   */
  private evictLaterHalf(): void {
    const kept = Math.max(2, this.stateCount >> 1);
    const keptEntries = kept << this.rowShift;
    const table = this.table;
    for (let i = 0; i < keptEntries; i++) if (table[i]! >> FLAG_BITS >= kept && table[i] !== UNBUILT) table[i] = UNBUILT;
    table.fill(UNBUILT, keptEntries, this.stateCount << this.rowShift);
    this.accepts.length = kept;
    this.acceptsAtEnd.length = kept;
    this.buckets.fill(-1);
    const rowBytes = Uint16Array.BYTES_PER_ELEMENT << this.rowShift;
    this.cacheBytes = 0;
    for (let id = 0; id < kept; id++) {
      if (id === SENTINEL) continue;
      this.toBucket(id, this.stateHash[id]!);
      this.cacheBytes += stateBytes(rowBytes, this.positionStart[id + 1]! - this.positionStart[id]!, this.accepts[id]!, this.acceptsAtEnd[id]!);
    }
    this.stateCount = kept;
    this.generation++;
  }

  private flush(): void {
    this.buckets.fill(-1);
    this.stateCount = 0;
    this.accepts = [];
    this.acceptsAtEnd = [];
    this.table.fill(UNBUILT);
    this.flags.fill(0);
    this.depths.fill(0);
    this.separatorDepths.fill(0);
    this.droppedHeadDepths.fill(0);
    this.droppedTokenHeadDepths.fill(0);
    this.cacheBytes = 0;
    this.generation++;
    this.addFixedStates();
  }

  /**
   * The states of this generation (views of the DFA's own arrays, valid until it builds or drops a
   * state); with `most`, only the first `most` of them (those built first, as evictLaterHalf keeps
   * them), with the entries between those alone.
   */
  builtStates(most = this.stateCount): BuiltStates {
    const count = Math.min(this.stateCount, most);
    const rows = this.table.subarray(0, count << this.rowShift);
    const isKept = (entry: number): boolean => entry !== UNBUILT && entry >> FLAG_BITS < count;
    let built = 0;
    for (let i = 0; i < rows.length; i++) if (isKept(rows[i]!)) built++;
    const builtAt = new Int32Array(built);
    const builtEntries = new Uint16Array(built);
    for (let i = 0, j = 0; i < rows.length; i++) {
      if (!isKept(rows[i]!)) continue;
      builtAt[j] = i;
      builtEntries[j++] = rows[i]!;
    }
    return {
      positionStart: this.positionStart.subarray(0, count + 1),
      positions: this.positionSlab.subarray(0, this.positionStart[count]!),
      stateHash: this.stateHash.subarray(0, count),
      depths: this.depths.subarray(0, count),
      separatorDepths: this.separatorDepths.subarray(0, count),
      droppedHeadDepths: this.droppedHeadDepths.subarray(0, count),
      droppedTokenHeadDepths: this.droppedTokenHeadDepths.subarray(0, count),
      accepts: this.accepts.slice(0, count),
      acceptsAtEnd: this.acceptsAtEnd.slice(0, count),
      builtAt,
      builtEntries,
    };
  }

  /**
   * Replaces the states with `states` (which another DFA over the same automaton built), in a new
   * generation as after a flush, and returns true; or returns false, leaving the DFA flushed, if
   * they cannot be such states: more than its budget, arrays of other lengths, the fixed states
   * not first or not empty, a position or rule out of range, a negative depth, an entry outside
   * the table or naming no state or not its state's flags. Whether each transition goes where a
   * step would go, and each depth is the one its positions give, is not checked (that would cost
   * what building them does): the cache's key and checksum stand for it. Nor is the order of a
   * state's positions: what a state does never depends on it (steps and lookups mark positions),
   * and a wrong hash or order could only make a step build a state twice.
   */
  restore(states: BuiltStates): boolean {
    this.flush();
    if (this.restoreStates(states)) return true;
    this.flush();
    return false;
  }

  private restoreStates(states: BuiltStates): boolean {
    // The checks are flat loops: this runs once per process, before V8 has optimised anything.
    const { positionStart, positions, stateHash, accepts, acceptsAtEnd, builtAt, builtEntries } = states;
    const depthArrays = [states.depths, states.separatorDepths, states.droppedHeadDepths, states.droppedTokenHeadDepths];
    const count = positionStart.length - 1;
    if (count < 2 || count > Math.min(this.maxStates, MAX_STATES)) return false;
    if ([stateHash, ...depthArrays, accepts, acceptsAtEnd].some((array) => array.length !== count) || builtAt.length !== builtEntries.length) return false;
    if (!isOffsets(positionStart, positions.length) || positionStart[2] !== 0) return false;
    if (!everyIn(positions, 0, this.automaton.positionRule.length) || !depthArrays.every((depths) => everyIn(depths, 0, 2 ** 31))) return false;

    // Room for an eighth more states, never for more than any DFA holds. Not the next power of two:
    // a fresh table's every page is a page fault when it is filled (~12 us each here), and 8,900
    // kept states in 16,384 rows made 4 MiB of them, half the restore's time.
    this.resize(Math.max(this.flags.length, Math.min(MAX_STATES, count + Math.max(64, count >> 3))));
    this.positionSlab = positions.slice();
    this.positionStart.set(positionStart);
    // The fixed states are the flush's.
    const fromThird = (target: Int32Array, source: Int32Array): void => target.set(source.subarray(2), 2);
    fromThird(this.stateHash, stateHash);
    fromThird(this.depths, states.depths);
    fromThird(this.separatorDepths, states.separatorDepths);
    fromThird(this.droppedHeadDepths, states.droppedHeadDepths);
    fromThird(this.droppedTokenHeadDepths, states.droppedTokenHeadDepths);
    const ruleCount = this.automaton.isTruncated.length;
    const rowShift = this.rowShift;
    const rowBytes = Uint16Array.BYTES_PER_ELEMENT << rowShift;
    // Fields read into locals: these loops run before V8 optimises them, and every property load
    // is an interpreted instruction (the two took ~13 ms for 8,900 states and 124k entries).
    const { flags, accepts: stateAccepts, acceptsAtEnd: stateAcceptsAtEnd } = this;
    let cacheBytes = this.cacheBytes;
    for (let id = 2; id < count; id++) {
      // Copies: the lists given may be views of a larger buffer (a cache entry's).
      const accepted = accepts[id]!.length === 0 ? NONE : accepts[id]!.slice();
      const atEnd = acceptsAtEnd[id]!.length === 0 ? NONE : acceptsAtEnd[id]!.slice();
      if ((accepted !== NONE && !everyIn(accepted, 0, ruleCount)) || (atEnd !== NONE && !everyIn(atEnd, 0, ruleCount))) return false;
      stateAccepts.push(accepted);
      stateAcceptsAtEnd.push(atEnd);
      const positionCount = positionStart[id + 1]! - positionStart[id]!;
      flags[id] = (positionCount === 0 ? IDLE : 0) | (accepted.length > 0 ? ACCEPTS : 0);
      cacheBytes += stateBytes(rowBytes, positionCount, accepted, atEnd);
      this.toBucket(id, stateHash[id]!);
    }
    this.cacheBytes = cacheBytes;
    this.stateCount = count;
    if (cacheBytes > this.maxBytes) return false;
    const table = this.table;
    const tableLength = count << rowShift;
    for (let i = 0; i < builtAt.length; i++) {
      const at = builtAt[i]!;
      const entry = builtEntries[i]!;
      const next = entry >> FLAG_BITS;
      if (at < 0 || at >= tableLength || at >> rowShift === SENTINEL || next >= count || next === SENTINEL || (entry & (IDLE | ACCEPTS)) !== flags[next]) return false;
      table[at] = entry;
    }
    return true;
  }
}

/**
 * What a state costs in memory, by estimate: its table row, its positions and accepted rules, and
 * the objects that hold them. Lists shared by many states (the empty one) count nothing.
 */
function stateBytes(rowBytes: number, positionCount: number, accepts: Int32Array, acceptsAtEnd: Int32Array): number {
  return rowBytes + STATE_OVERHEAD_BYTES + positionCount * Int32Array.BYTES_PER_ELEMENT + listBytes(accepts) + listBytes(acceptsAtEnd);
}

/** What a list of accepted rules costs (see stateBytes): a function of its own, not a closure per call (restore calls it for every state, before V8 optimises it). */
function listBytes(list: Int32Array): number {
  return list.length === 0 ? 0 : LIST_OVERHEAD_BYTES + list.byteLength;
}

/**
 * Position `p`'s well-mixed 32-bit number (murmur3's finalizer of the golden-ratio multiple: the
 * same on every run): a state's hash is the sum of its positions', so it needs no sorted
 * positions. Worked out where it is needed, not kept in a table: filling one per position at
 * construction (12,620 of them for the built-in pack, before V8 compiles the loop) was ~2 ms of
 * every start.
 */
function positionHash(p: number): number {
  let x = Math.imul(p + 1, 0x9e3779b1);
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** Hash buckets for up to `states` states: a power of two, about two states a bucket at most. */
function bucketCount(states: number): number {
  return 1 << Math.max(6, 32 - Math.clz32(Math.max(1, states >> 1) - 1));
}

/** A copy of `array` at least `length` long (twice as long, or more), zero-filled past the old end. */
function grown(array: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const copy = new Int32Array(Math.max(length, array.length * 2));
  copy.set(array);
  return copy;
}

/** A copy of `array` `length` long: cut there, or zero-filled past the old end. */
function resized<T extends Uint8Array | Int32Array>(array: T, length: number): T {
  const copy = new (array.constructor as new (length: number) => T)(length);
  copy.set(array.subarray(0, length));
  return copy;
}
