/**
 * The embedded engine: pure TypeScript, no native code. A lazy DFA over the rules' position
 * automaton scans each byte once (a few twice, while it builds states). Each DFA state says how
 * far back its live threads can have started, which is what keeps the holdback minimal (DESIGN
 * §3.4): a partly seen keyword holds back its own few bytes, and nothing is held once the state
 * is idle.
 *
 * Matches carry `start` as a lower bound (the later of the last idle offset and the end less the
 * most bytes the DFA tracks of a match, or that alone when the rule's head is not tracked) and,
 * for rules tracked only up to an anchor, `lastStart`.
 */
import { findLastNewline, findNewline } from '../../newlines.js';
import { hasByte } from '../../regex/ast.js';
import type { Database, Engine, EngineRule, OnMatch, Scanner } from '../engine.js';
import { automatonKey, readAutomaton, writeAutomaton } from './automaton-cache.js';
import { ACCEPTS, FLAG_BITS, IDLE, LazyDfa, SENTINEL, UNBUILT } from './dfa.js';
import { type KeptDfa, keepDfa } from './dfa-cache.js';
import { type PositionAutomaton, TOKEN_BYTES, buildPositionAutomaton } from './positions.js';
import { LANES, LANE_SLICE_BYTES, type LaneMachine, ONE_LANE_MOST_BYTES, createLaneMachine } from './wasm-lanes.js';

/** Bytes scanned per pass of the inner loop, at most (accepting transitions of a block are reported after it). */
const BLOCK = 128;

/** Slices shorter than this are scanned in one lane (see scanInLanes): below it, what the lanes save is not worth their set-up. */
const LANE_MIN_BYTES = 4096;
/** How far past its share of the slice a lane may start, at the first newline there (see scanInLanes). */
const LANE_START_REACH = 1024;
/**
 * States each lane but the first builds in a slice, at most (see scanInLanes): a bound on what a
 * lane that does not agree with the true state can add to the DFA. Most of what lanes build is
 * the true state's (they agree within a few bytes), and a DFA not yet built (no kept states:
 * dense secrets or base64 after a CI log's states) builds many in each slice: with 32, lanes gave
 * up 100-150 times on such a 64 MiB run and scanned a quarter of it (dense); with 512 they scan
 * all but a few slices, the scan's MiB per CPU second 5-20% more (first run, bench/ts-engine.mjs),
 * the DFA's states as many (one long line: 10% more).
 */
const LANE_BUILDS = 512;
/**
 * Slices scanned in one lane after the lanes took long to agree (a thread in flight across a
 * lane's start, as on one long line), at most: the first time 1, then twice as many each time
 * again, until the lanes agree soon.
 */
const MOST_ONE_LANE_SLICES = 64;

/**
 * What scanInLanes works in: the state after each byte of a slice, and per lane the offset of its
 * first byte, its state, and the bytes after which its state accepts (the first lane's list is
 * the true state's) and how many.
 */
export interface LaneArrays {
  /** The loop in WebAssembly, whose memory these arrays are views of, or null (stepLanesInJs). */
  readonly machine: LaneMachine | null;
  readonly states: Uint16Array;
  readonly starts: Int32Array;
  readonly laneStates: Int32Array;
  readonly counts: Int32Array;
  readonly accepts: readonly Uint16Array[];
}

/**
 * One set of LaneArrays per database, lent to one scan at a time (~640 KiB, so not one per
 * scanner: a socket service opens a scanner per stream). Made on first use: a short input never
 * pays for it. A scan that finds them lent scans in one lane, in JavaScript.
 */
class LaneArraysLender {
  private idle: LaneArrays | null | undefined;

  /** `machine`: the database's lane machine, whose memory holds the arrays, or null. */
  constructor(private readonly machine: LaneMachine | null) {}

  take(): LaneArrays | null {
    const arrays = this.idle === undefined ? makeLaneArrays(this.machine) : this.idle;
    this.idle = null;
    return arrays;
  }

  /** The arrays when they are the lane machine's (whose one-lane loop a scan then uses too), else null: none are made for it. */
  takeMachine(): LaneArrays | null {
    return this.machine === null ? null : this.take();
  }

  give(arrays: LaneArrays): void {
    this.idle = arrays;
  }
}

export function makeLaneArrays(machine: LaneMachine | null): LaneArrays {
  if (machine !== null) return { machine, states: machine.states, starts: machine.starts, laneStates: machine.laneStates, counts: machine.counts, accepts: machine.accepts };
  return {
    machine: null,
    states: new Uint16Array(LANE_SLICE_BYTES),
    starts: new Int32Array(LANES),
    laneStates: new Int32Array(LANES),
    counts: new Int32Array(LANES),
    accepts: Array.from({ length: LANES }, () => new Uint16Array(LANE_SLICE_BYTES)),
  };
}

/**
 * The loop of scanInLanes, on its own: steps each lane from its state over bytes `from` to
 * `together` of its part of `chunk` (from its start on), writing each state to `lanes.states` and
 * each accepting byte to its lane's list, until `together` or an entry not built (whose lane's
 * state is then SENTINEL); returns where it stopped. In WebAssembly where it can
 * (./wasm-lanes.ts: the slice was copied into its memory), else stepLanesInJs.
 */
function stepLanes(dfa: LazyDfa, chunk: Uint8Array, lanes: LaneArrays, from: number, together: number): number {
  const machine = lanes.machine;
  return machine === null ? stepLanesInJs(dfa, chunk, lanes, from, together) : machine.step(from, together, dfa.rowShift);
}

/**
 * stepLanes' loop in JavaScript, where WebAssembly is missing: the same steps, the four lanes
 * written out (a loop over them, with each lane's values in arrays, ran at half the speed). A
 * function of its own because V8 optimises a small one soon.
 */
export function stepLanesInJs(dfa: Pick<LazyDfa, 'table' | 'byteClass' | 'rowShift'>, chunk: Uint8Array, lanes: LaneArrays, from: number, together: number): number {
  const { table, byteClass, rowShift } = dfa;
  const { states, starts, laneStates, counts, accepts } = lanes;
  const [accepts0, accepts1, accepts2, accepts3] = accepts as [Uint16Array, Uint16Array, Uint16Array, Uint16Array];
  let [state0, state1, state2, state3] = laneStates as unknown as [number, number, number, number];
  let [count0, count1, count2, count3] = counts as unknown as [number, number, number, number];
  const [start0, start1, start2, start3] = starts as unknown as [number, number, number, number];
  let i = from;
  for (; i < together; i++) {
    const at0 = start0 + i;
    const at1 = start1 + i;
    const at2 = start2 + i;
    const at3 = start3 + i;
    const entry0 = table[(state0 << rowShift) | byteClass[chunk[at0]!]!]!;
    const entry1 = table[(state1 << rowShift) | byteClass[chunk[at1]!]!]!;
    const entry2 = table[(state2 << rowShift) | byteClass[chunk[at2]!]!]!;
    const entry3 = table[(state3 << rowShift) | byteClass[chunk[at3]!]!]!;
    state0 = entry0 >> FLAG_BITS;
    state1 = entry1 >> FLAG_BITS;
    state2 = entry2 >> FLAG_BITS;
    state3 = entry3 >> FLAG_BITS;
    states[at0] = state0;
    states[at1] = state1;
    states[at2] = state2;
    states[at3] = state3;
    if (((entry0 | entry1 | entry2 | entry3) & ACCEPTS) === 0) continue;
    if (entry0 === UNBUILT || entry1 === UNBUILT || entry2 === UNBUILT || entry3 === UNBUILT) break;
    if ((entry0 & ACCEPTS) !== 0) accepts0[count0++] = at0;
    if ((entry1 & ACCEPTS) !== 0) accepts1[count1++] = at1;
    if ((entry2 & ACCEPTS) !== 0) accepts2[count2++] = at2;
    if ((entry3 & ACCEPTS) !== 0) accepts3[count3++] = at3;
  }
  laneStates.set([state0, state1, state2, state3]);
  counts.set([count0, count1, count2, count3]);
  return i;
}

// stepLanesInJs is written out for four lanes.
if (LANES !== 4) throw new Error(`stepLanesInJs steps 4 lanes, not ${LANES}`);

/** What stepOneLane reads and writes. */
export interface OneLane {
  /** Accepting transitions of one block: (index in the chunk, state, last idle index in the chunk or -1) each... */
  readonly records: Int32Array;
  /** ...and how many numbers of them. */
  recorded: number;
  /** The state before the next byte. */
  state: number;
  /**
   * The index in the chunk just after the last byte that left nothing in flight, or -1 (then the
   * scanner's lastIdle holds).
   */
  idleAt: number;
}

/**
 * The loop of scanInOneLane, on its own (see stepLanes: V8 optimises a small function soon):
 * steps `lane.state` over bytes `from` to `end` of `chunk`, recording the accepting ones, until
 * `end` or an entry not built; returns where it stopped, `lane.state` the state before that byte.
 * On a chunk of LANE_MIN_BYTES or more, where the lane machine is free, scanInOneLane runs the
 * same loop in WebAssembly instead (stepOneLaneInWasm).
 */
export function stepOneLane(dfa: Pick<LazyDfa, 'table' | 'byteClass' | 'rowShift'>, chunk: Uint8Array, from: number, end: number, lane: OneLane): number {
  // The loop only moves `state` along the table and notes what the flags say: a call or any other
  // write of `state` in it makes V8's code for it about half as fast. It stops at an unbuilt entry
  // (flags of the sentinel), which the caller builds. (Running on through the sentinel to the
  // block's end, as it did, scanned up to BLOCK bytes twice per state built: most of all while a
  // run of new states is built, byte after byte.)
  const { table, byteClass, rowShift } = dfa;
  const records = lane.records;
  let state = lane.state;
  // Kept without a branch: where idle and busy bytes take turns (15% of a CI log's bytes are
  // idle), a branch on it was mispredicted so often that the loop ran ~18% slower.
  let idleAt = lane.idleAt;
  let recorded = 0;
  let i = from;
  for (; i < end; i++) {
    const before = state;
    const entry = table[(before << rowShift) | byteClass[chunk[i]!]!]!;
    state = entry >> FLAG_BITS;
    const idleMask = -(entry & IDLE); // all ones when the entry says idle (or unbuilt)
    const idleBefore = idleAt;
    idleAt = (idleAt & ~idleMask) | ((i + 1) & idleMask);
    if ((entry & ACCEPTS) === 0) continue;
    if ((entry & IDLE) === 0) {
      records[recorded++] = i;
      records[recorded++] = state;
      records[recorded++] = idleAt;
    } else {
      idleAt = idleBefore;
      state = before;
      break;
    }
  }
  lane.state = state;
  lane.idleAt = idleAt;
  lane.recorded = recorded;
  return i;
}

/** stepOneLane in WebAssembly (./wasm-lanes.ts), over the slice copied into its memory; the records are `machine.records`. */
function stepOneLaneInWasm(machine: LaneMachine, rowShift: number, from: number, end: number, lane: OneLane): number {
  const fields = machine.oneLane;
  fields[0] = lane.state;
  fields[1] = lane.idleAt;
  const stopped = machine.stepOne(from, end, rowShift);
  lane.state = fields[0]!;
  lane.idleAt = fields[1]!;
  lane.recorded = fields[2]!;
  return stopped;
}

/** The end of lane `lane`'s part of a slice of `length` bytes: the next lane's start, or the slice's end. */
function partEnd(starts: Int32Array, lane: number, length: number): number {
  return lane + 1 < LANES ? starts[lane + 1]! : length;
}

interface HeadDroppedWidths {
  readonly tokenOnly: number;
  readonly other: number;
}

class TsScanner implements Scanner {
  private state = 0;
  private generation: number;
  /** Positions of `state`, to find it again after the shared DFA dropped states. */
  private statePositions: Int32Array = new Int32Array(0);
  /** Absolute offset of the next byte to scan. */
  private scannedUpTo = 0;
  /** The last offset at which nothing was in flight. */
  private lastIdle = 0;
  /** Absolute offset of the last newline scanned, or -1. */
  private lastNewline = -1;
  /** Absolute offset just after the last byte scanned that is not a token byte (TOKEN_BYTES). */
  private lastSeparator = 0;
  /** What scanInOneLane's loop (stepOneLane) carries from block to block. */
  private readonly lane: OneLane = { records: new Int32Array(3 * BLOCK), recorded: 0, state: 0, idleAt: -1 };
  /** Slices to scan in one lane before lanes are tried again, and how many the next time lanes do badly (see MOST_ONE_LANE_SLICES). */
  private oneLaneSlices = 0;
  /** scanInLanes' scratch: the states each lane built in the slice, and the byte where each agreed with the true state. */
  private readonly laneBuilds = new Int32Array(LANES);
  private readonly agreeAts = new Int32Array(LANES);
  private oneLaneBackoff = 1;

  constructor(
    private readonly dfa: LazyDfa,
    private readonly maxWidth: number,
    /** The most bytes from a match's start to its anchor's end among rules whose head the DFA leaves out (0 if none), token-only heads apart. */
    private readonly headDroppedWidths: HeadDroppedWidths,
    /** The cache of the DFA's states across runs, if any. */
    private readonly kept: KeptDfa | null,
    private readonly lanes: LaneArraysLender,
    /** How far back an idle offset can bound anything: the widest tracked part of a match, or maxWidth (the horizon's reach) if wider. */
    private readonly idleReach: number,
  ) {
    this.generation = dfa.generation;
  }

  write(chunk: Uint8Array, onMatch: OnMatch): void {
    const dfa = this.dfa;
    this.kept?.beforeWrite(chunk);
    if (this.generation !== dfa.generation) this.state = dfa.intern(this.statePositions);
    const base = this.scannedUpTo;
    const length = chunk.length;
    for (let from = 0; from < length; from += LANE_SLICE_BYTES) {
      const slice = length <= LANE_SLICE_BYTES ? chunk : chunk.subarray(from, from + LANE_SLICE_BYTES);
      const scanned = slice.length >= LANE_MIN_BYTES && this.isLanesTurn() ? this.scanInLanes(slice, base + from, onMatch) : 0;
      if (scanned < slice.length) this.scanInOneLane(scanned === 0 ? slice : slice.subarray(scanned), base + from + scanned, onMatch);
    }
    this.generation = dfa.generation;
    this.statePositions = dfa.positionsOf(this.state);
    if (this.headDroppedWidths.tokenOnly > 0 || this.headDroppedWidths.other > 0) {
      const newline = findLastNewline(chunk);
      if (newline >= 0) this.lastNewline = base + newline;
    }
    for (let j = length - 1; j >= 0; j--) {
      if (!hasByte(TOKEN_BYTES, chunk[j]!)) {
        this.lastSeparator = base + j + 1;
        break;
      }
    }
    this.scannedUpTo = base + length;
  }

  /** Scans `chunk` (at absolute offset `base`) from this.state, building states as it needs them; moves this.state and this.lastIdle past it. */
  private scanInOneLane(chunk: Uint8Array, base: number, onMatch: OnMatch): void {
    const dfa = this.dfa;
    const length = chunk.length;
    const lane = this.lane;
    lane.state = this.state;
    lane.idleAt = -1;
    // The loop in WebAssembly for a chunk as long as lanes need (not the lines of a live stream:
    // its first use compiles the loops) where the lanes' machine is free (not lent to a scan this
    // one's matches started), over a copy of the chunk in its memory.
    const arrays = length >= LANE_MIN_BYTES ? this.lanes.takeMachine() : null;
    const machine = arrays?.machine ?? null;
    machine?.slice.set(chunk);
    const records = machine === null ? lane.records : machine.records;
    const most = machine === null ? BLOCK : ONE_LANE_MOST_BYTES;
    try {
      let i = 0;
      while (i < length) {
        const blockEnd = Math.min(length, i + most);
        i = machine === null ? stepOneLane(dfa, chunk, i, blockEnd, lane) : stepOneLaneInWasm(machine, dfa.rowShift, i, blockEnd, lane);
        for (let r = 0; r < lane.recorded; r += 3) this.reportAll(records[r + 1]!, this.lastIdleAt(records[r + 2]!, base), base + records[r]! + 1, onMatch);
        if (i < blockEnd) {
          // Byte i's entry is not built: build it, then back to the loop.
          const state = this.build(lane.state, chunk[i]!);
          i++;
          lane.state = state;
          const flags = dfa.flags[state]!;
          if ((flags & IDLE) !== 0) lane.idleAt = i;
          else if ((flags & ACCEPTS) !== 0) this.reportAll(state, this.lastIdleAt(lane.idleAt, base), base + i, onMatch);
        }
      }
    } finally {
      if (arrays !== null) this.lanes.give(arrays);
    }
    this.state = lane.state;
    this.lastIdle = this.lastIdleAt(lane.idleAt, base);
  }

  /**
   * Scans `chunk` (at absolute offset `base`, at most LANE_SLICE_BYTES, at least LANE_MIN_BYTES)
   * as LANES lanes stepped in turn, each over its part of the slice: the first from this.state,
   * each other just after a newline past its share of the slice (where the true state is idle
   * most often), or at its share where none is near (a long line: base64 data, minified code);
   * from idle, as if nothing were in flight there, or, where the slice has no newline before it,
   * from this.state (a thread that only a newline ends, as curl's `curl\b[^\n]{0,600}?-H`,
   * whose count the automaton relaxes away, is then in flight at its start as in the true state:
   * from idle, no lane agreed with the true state on one long line, and lanes backed off from
   * it; with it they agree within a few bytes). A DFA step waits on the table load before
   * it, so one lane runs at the latency of a load; lanes overlap theirs (four: ~1.4x the bytes
   * per second of two in WebAssembly). The lanes step as many bytes as the shortest part holds;
   * then the true state is walked on through the first part's rest, and through each other part
   * from its start until it is that lane's state at the same byte (it then holds the lane's
   * threads and those still in flight from before, and once the latter have ended they agree byte
   * for byte), then through the part's rest. So the matches and states are exactly those of one
   * lane.
   *
   * The true state builds the states it needs. Every other lane builds LANE_BUILDS at most, then
   * the slice is scanned up to that byte of the first part only: until it agrees, a lane may be in
   * states one lane never enters (on one long line, a header's thread in flight everywhere, they
   * made the DFA a third bigger). Returns how many bytes it scanned, their matches reported and
   * this.state and this.lastIdle after them, for one lane to scan the rest (0 where a state built
   * on the way dropped states of the DFA, or the kept states replaced it, or another scan holds
   * the scratch arrays). Lanes back off for a while (backOffFromLanes) when the others did less
   * than half their parts.
   */
  private scanInLanes(chunk: Uint8Array, base: number, onMatch: OnMatch): number {
    const lanes = this.lanes.take();
    if (lanes === null) return 0;
    lanes.machine?.slice.set(chunk);
    try {
      const { states, starts, laneStates, counts, accepts } = lanes;
      const length = chunk.length;
      const dfa = this.dfa;
      const generation = dfa.generation;
      const startPositions = dfa.positionsOf(this.state);
      starts[0] = 0;
      // Newlines looked for only where they count: a search to the slice's end for each lane, on
      // a slice with none (one long line), read 2.5 times its bytes.
      for (let lane = 1; lane < LANES; lane++) {
        const share = Math.floor((lane * length) / LANES);
        const found = chunk.subarray(share, share + LANE_START_REACH).indexOf(0x0a);
        const newline = found < 0 ? -1 : share + found;
        starts[lane] = newline >= 0 && newline + 1 < Math.floor(((lane + 1) * length) / LANES) ? newline + 1 : share;
      }
      let together = length;
      for (let lane = 0; lane < LANES; lane++) together = Math.min(together, partEnd(starts, lane, length) - starts[lane]!);
      // Only whether one comes before a lane's start matters (startState).
      const newline = findNewline(chunk.subarray(0, starts[LANES - 1]));
      const startState = (lane: number): number => (lane > 0 && newline >= 0 && newline < starts[lane]! ? 0 : this.state);
      for (let lane = 0; lane < LANES; lane++) laneStates[lane] = startState(lane);
      counts.fill(0);
      const builds = this.laneBuilds.fill(0);
      let i = 0;
      while (i < together) {
        i = stepLanes(dfa, chunk, lanes, i, together);
        if (i === together) break;
        // An entry of byte i is not built: each other lane's state there, built if it is not (a few).
        for (let lane = 1; lane < LANES; lane++) {
          const at = starts[lane]! + i;
          let state = states[at]!;
          if (state === SENTINEL) {
            if (builds[lane] === LANE_BUILDS) return this.endLanes(lanes, i, length, base, onMatch, null, together);
            builds[lane]!++;
            state = this.build(i > 0 ? states[at - 1]! : startState(lane), chunk[at]!);
            if (dfa.generation !== generation) return this.giveUpLanes(startPositions);
            states[at] = state;
          }
          laneStates[lane] = state;
          if ((dfa.flags[state]! & ACCEPTS) !== 0) accepts[lane]![counts[lane]!++] = at;
        }
        // The first lane's step, built if it is not.
        if (this.walkTrue(lanes, chunk, i, i + 1, i > 0 ? states[i - 1]! : this.state, 0, generation) < 0) return this.giveUpLanes(startPositions);
        laneStates[0] = states[i]!;
        i++;
      }
      // The true state on through the first part's rest, then through each other part.
      if (this.walkTrue(lanes, chunk, together, partEnd(starts, 0, length), states[together - 1]!, 0, generation) < 0) return this.giveUpLanes(startPositions);
      const agreeAts = this.agreeAts;
      for (let lane = 1; lane < LANES; lane++) {
        const start = starts[lane]!;
        const stepped = start + together;
        const agreeAt = this.walkTrue(lanes, chunk, start, stepped, states[start - 1]!, stepped, generation);
        if (agreeAt < 0) return this.giveUpLanes(startPositions);
        agreeAts[lane] = agreeAt;
        const end = partEnd(starts, lane, length);
        if (stepped < end && this.walkTrue(lanes, chunk, stepped, end, states[stepped - 1]!, 0, generation) < 0) return this.giveUpLanes(startPositions);
      }
      return this.endLanes(lanes, length, length, base, onMatch, agreeAts, together);
    } finally {
      this.lanes.give(lanes);
    }
  }

  /**
   * The end of scanInLanes, which scanned the slice (`length` bytes) up to `scanned`: reports the
   * true state's matches, but from where each lane agreed with it (`agreeAts`; null when the
   * slice was scanned in the first part only) to the end of its stepped bytes (`together` from
   * its start) the lane's, sets this.state and this.lastIdle, and backs off from lanes unless the
   * other lanes did at least half their stepped bytes. Returns `scanned`.
   */
  private endLanes(lanes: LaneArrays, scanned: number, length: number, base: number, onMatch: OnMatch, agreeAts: Int32Array | null, together: number): number {
    const { states, starts, counts, accepts } = lanes;
    const trueAccepts = accepts[0]!;
    const trueCount = counts[0]!;
    let used = 0;
    let r = 0;
    if (agreeAts === null) {
      for (; r < trueCount && trueAccepts[r]! < scanned; r++) this.reportAfter(trueAccepts[r]!, states, base, onMatch);
    } else {
      for (let lane = 0; lane < LANES; lane++) {
        if (lane > 0) {
          const agreeAt = agreeAts[lane]!;
          const stepped = starts[lane]! + together;
          used += stepped - agreeAt;
          for (; r < trueCount && trueAccepts[r]! < agreeAt; r++) this.reportAfter(trueAccepts[r]!, states, base, onMatch);
          // (An accept on the byte where a lane agrees is in both lists when it was built there.)
          const laneAccepts = accepts[lane]!;
          for (let k = 0; k < counts[lane]!; k++) if (laneAccepts[k]! >= agreeAt) this.reportAfter(laneAccepts[k]!, states, base, onMatch);
          while (r < trueCount && trueAccepts[r]! < stepped) r++;
        }
        const end = partEnd(starts, lane, length);
        for (; r < trueCount && trueAccepts[r]! < end; r++) this.reportAfter(trueAccepts[r]!, states, base, onMatch);
      }
    }
    if (used < ((LANES - 1) * together) >> 1) this.backOffFromLanes();
    else this.oneLaneBackoff = 1;
    if (scanned > 0) {
      this.lastIdle = this.lastIdleBefore(scanned, this.idleReach, states, base);
      this.state = states[scanned - 1]!;
    }
    return scanned;
  }

  /**
   * Steps the true state on from `state` over bytes `from` to `to` of `chunk` into the lane arrays
   * (its states, its accepts to the first lane's list), building entries it needs. Before byte
   * `agreeBefore` it stops at the first byte after which it is in the state `states` holds there
   * (another lane's), and returns that byte; else `to`; or -1 where a state built dropped
   * states of the DFA (its generation is no longer `generation`).
   */
  private walkTrue(lanes: LaneArrays, chunk: Uint8Array, from: number, to: number, state: number, agreeBefore: number, generation: number): number {
    const dfa = this.dfa;
    const { states, counts } = lanes;
    const trueAccepts = lanes.accepts[0]!;
    let count = counts[0]!;
    let at = from;
    while (at < to) {
      const { table, byteClass, rowShift } = dfa;
      let entry = UNBUILT;
      for (; at < to; at++) {
        entry = table[(state << rowShift) | byteClass[chunk[at]!]!]!;
        if (entry === UNBUILT || (at < agreeBefore && entry >> FLAG_BITS === states[at])) break;
        state = entry >> FLAG_BITS;
        states[at] = state;
        if ((entry & ACCEPTS) !== 0) trueAccepts[count++] = at;
      }
      if (at === to || entry !== UNBUILT) break;
      const lane = states[at]!;
      state = this.build(state, chunk[at]!);
      if (dfa.generation !== generation) return -1;
      states[at] = state;
      if ((dfa.flags[state]! & ACCEPTS) !== 0) trueAccepts[count++] = at;
      if (at < agreeBefore && state === lane) break;
      at++;
    }
    counts[0] = count;
    return at;
  }

  /** After the DFA dropped states in scanInLanes: this.state found again from its positions, and nothing scanned. */
  private giveUpLanes(startPositions: Int32Array): 0 {
    this.state = this.dfa.intern(startPositions);
    return 0;
  }

  /** Whether a slice long enough for lanes is to be scanned in lanes (see MOST_ONE_LANE_SLICES). */
  private isLanesTurn(): boolean {
    if (this.oneLaneSlices === 0) return true;
    this.oneLaneSlices--;
    return false;
  }

  private backOffFromLanes(): void {
    this.oneLaneSlices = this.oneLaneBackoff;
    this.oneLaneBackoff = Math.min(2 * this.oneLaneBackoff, MOST_ONE_LANE_SLICES);
  }

  /** Builds the transition of `state` on `byte` (which may drop states of the DFA, or have the kept states replace it); returns the next state. */
  private build(state: number, byte: number): number {
    const next = this.dfa.step(state, byte);
    return this.kept === null ? next : this.kept.afterStep(next);
  }

  /** Reports what the state after byte `i` of a slice accepts, its idle offset read off `states` (scanInLanes). */
  private reportAfter(i: number, states: Uint16Array, base: number, onMatch: OnMatch): void {
    const state = states[i]!;
    // An idle offset further back than the widest tracked part of the rules it accepts bounds none
    // of their starts (see report): the search stops there, not at the state's depth, which on one
    // long line with a thread in flight throughout (curl's) sent it back the whole slice.
    const trackedMaxWidth = this.dfa.automaton.trackedMaxWidth;
    let reach = 0;
    for (const rule of this.dfa.accepts[state]!) reach = Math.max(reach, trackedMaxWidth[rule]!);
    this.reportAll(state, this.lastIdleBefore(i, Math.min(reach, this.dfa.depths[state]!), states, base), base + i + 1, onMatch);
  }

  /**
   * The last idle offset before byte `i` of a slice whose state after each byte is in `states`,
   * looked for at most `reach` bytes back. Found nowhere in reach, any offset at least `reach`
   * bytes back does what the true one does (every use takes the later of it and an offset at most
   * that far back: a match's start bound, the horizon), so the search ends there.
   */
  private lastIdleBefore(i: number, reach: number, states: Uint16Array, base: number): number {
    const stop = i - reach;
    for (let j = i - 1; j >= 0 && j >= stop; j--) if (states[j] === 0) return base + j + 1;
    return stop <= 0 ? this.lastIdle : base + stop;
  }

  /** Reports the rules `state` accepts, for a match ending at `end`. */
  private reportAll(state: number, lastIdle: number, end: number, onMatch: OnMatch): void {
    for (const rule of this.dfa.accepts[state]!) this.report(rule, lastIdle, end, onMatch);
  }

  horizon(): number {
    // Every live thread started at most depth bytes back (and none before the last idle offset);
    // a thread of a token-only rule started after the last separator byte, too.
    const dfa = this.dfa;
    if (this.generation !== dfa.generation) this.state = dfa.intern(this.statePositions);
    const tokenDepth = Math.min(dfa.depths[this.state]!, this.maxWidth);
    const separatorDepth = Math.min(dfa.separatorDepths[this.state]!, this.maxWidth);
    const live = Math.min(Math.max(this.scannedUpTo - tokenDepth, this.lastSeparator), this.scannedUpTo - separatorDepth);
    const horizon = Math.max(this.lastIdle, live);
    const { tokenOnly, other } = this.headDroppedWidths;
    // A match whose head the DFA leaves out is unknown until its anchor, which ends after the last
    // byte scanned: it starts at most width - 1 bytes back, and after the last newline (no newline
    // comes before such an anchor), and after the last separator if its head is token bytes only.
    let bound = horizon;
    if (tokenOnly > 0) bound = Math.min(bound, Math.max(this.scannedUpTo + 1 - tokenOnly, this.lastNewline + 1, this.lastSeparator));
    if (other > 0) bound = Math.min(bound, Math.max(this.scannedUpTo + 1 - other, this.lastNewline + 1));
    // A live thread past such an anchor started at most its depth back, maybe while the DFA was idle.
    const droppedHeadDepth = Math.min(dfa.droppedHeadDepths[this.state]!, this.maxWidth);
    if (droppedHeadDepth > 0) bound = Math.min(bound, Math.max(this.scannedUpTo - droppedHeadDepth, this.lastNewline + 1));
    // One of token bytes only started after the last separator, too.
    const droppedTokenHeadDepth = Math.min(dfa.droppedTokenHeadDepths[this.state]!, this.maxWidth);
    if (droppedTokenHeadDepth > 0) bound = Math.min(bound, Math.max(this.scannedUpTo - droppedTokenHeadDepth, this.lastNewline + 1, this.lastSeparator));
    return bound;
  }

  end(onMatch: OnMatch): void {
    // Rules ending in `$` match only here; every other match was reported on its last byte.
    const dfa = this.dfa;
    if (this.generation !== dfa.generation) this.state = dfa.intern(this.statePositions);
    const end = this.scannedUpTo;
    for (const rule of dfa.acceptsAtEnd[this.state]!) this.report(rule, this.lastIdle, end, onMatch);
    this.kept?.afterStream();
  }

  /** The absolute last idle offset for `idleAt`, an index in the chunk at `base` or -1 (write's loop). */
  private lastIdleAt(idleAt: number, base: number): number {
    return idleAt < 0 ? this.lastIdle : base + idleAt;
  }

  private report(rule: number, lastIdle: number, end: number, onMatch: OnMatch): void {
    const automaton = this.dfa.automaton;
    // The DFA reports where a match's tracked part ends (the whole match, for a rule it tracks to
    // the end), at most trackedMaxWidth bytes after its start: not maxWidth, which for a rule
    // tracked up to its anchor sent the confirmer back over the secret's width where the DFA was
    // not idle (12% of the starts it searched on a CI log). With its head left out, a match may
    // have started while the DFA was idle: then only the width bounds it.
    const earliest = end - automaton.trackedMaxWidth[rule]!;
    const start = automaton.isHeadDropped[rule] === 1 ? earliest : Math.max(lastIdle, earliest);
    if (automaton.isTruncated[rule] === 1) onMatch({ rule, start, end, lastStart: end - automaton.trackedMinWidth[rule]! });
    else onMatch({ rule, start, end });
  }

  reset(): void {
    this.state = 0;
    this.statePositions = new Int32Array(0);
    this.scannedUpTo = 0;
    this.lastIdle = 0;
    this.lastNewline = -1;
    this.lastSeparator = 0;
    this.oneLaneSlices = 0;
    this.oneLaneBackoff = 1;
  }
}

class TsDatabase implements Database {
  readonly engine = 'ts' as const;
  readonly maxWidth: number;
  private readonly dfa: LazyDfa;
  private readonly headDroppedWidths: HeadDroppedWidths;
  private readonly kept: KeptDfa | null;
  private readonly lanes: LaneArraysLender;
  private readonly idleReach: number;

  /** `keep`: where to keep the DFA's states across runs, if anywhere (./dfa-cache.ts). */
  constructor(rules: readonly EngineRule[], automaton: PositionAutomaton, keep: ((dfa: LazyDfa) => KeptDfa) | null) {
    this.dfa = new LazyDfa(automaton);
    const machine = createLaneMachine(this.dfa.byteClass, this.dfa.rowShift);
    if (machine !== null) this.dfa.placeTable(machine.tableOf);
    this.lanes = new LaneArraysLender(machine);
    this.kept = keep === null ? null : keep(this.dfa);
    this.maxWidth = rules.reduce((n, rule) => Math.max(n, rule.maxWidth), 0);
    const widthOf = (tokenOnly: boolean): number =>
      rules.reduce((n, rule) => ((automaton.isDroppedTokenOnly[rule.index] === 1) === tokenOnly ? Math.max(n, automaton.droppedWidth[rule.index]!) : n), 0);
    this.headDroppedWidths = { tokenOnly: widthOf(true), other: widthOf(false) };
    this.idleReach = automaton.trackedMaxWidth.reduce((n, width) => Math.max(n, width), this.maxWidth);
  }

  tracksEnds(rule: number): boolean {
    return this.dfa.automaton.isTruncated[rule] !== 1;
  }

  open(): Scanner {
    return new TsScanner(this.dfa, this.maxWidth, this.headDroppedWidths, this.kept, this.lanes, this.idleReach);
  }
}

export interface TsEngineOptions {
  /**
   * Directory of the compile cache (./automaton-cache.ts, src/cache.ts) and of the DFA's states
   * (./dfa-cache.ts); without one the automaton is built on every compile, and the states in every run.
   */
  readonly cacheDirectory?: string;
  /** Told about cache misses and write failures. */
  readonly log?: (message: string) => void;
}

/**
 * The ts engine; with a cache directory, a compile reads the rule set's automaton from the cache
 * (no regex parsed) or builds and caches it, and its DFA's states are kept there across runs.
 */
export function createTsEngine(options: TsEngineOptions = {}): Engine {
  const { cacheDirectory } = options;
  const log = options.log ?? (() => {});
  const compile = (rules: readonly EngineRule[]): TsDatabase => {
    if (cacheDirectory === undefined) return new TsDatabase(rules, buildPositionAutomaton(rules), null);
    const key = automatonKey(rules);
    const keep = (dfa: LazyDfa): KeptDfa => keepDfa(dfa, cacheDirectory, key, log);
    const cached = readAutomaton(cacheDirectory, key, log);
    if (cached !== null) return new TsDatabase(rules, cached, keep);
    const built = buildPositionAutomaton(rules);
    writeAutomaton(cacheDirectory, key, built, log);
    return new TsDatabase(rules, built, keep);
  };
  return { name: 'ts', compile };
}

/** The ts engine without a cache. */
export const tsEngine: Engine = createTsEngine();
