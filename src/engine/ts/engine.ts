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
import { hasByte } from '../../regex/ast.js';
import type { Database, Engine, EngineRule, OnMatch, Scanner } from '../engine.js';
import { automatonKey, readAutomaton, writeAutomaton } from './automaton-cache.js';
import { ACCEPTS, FLAG_BITS, IDLE, LazyDfa } from './dfa.js';
import { type KeptDfa, dfaKey, keepDfa } from './dfa-cache.js';
import { type PositionAutomaton, TOKEN_BYTES, buildPositionAutomaton } from './positions.js';

/** Bytes scanned per pass of the inner loop, at most (accepting transitions of a block are reported after it). */
const BLOCK = 128;

interface HeadDroppedWidths {
  readonly tokenOnly: number;
  readonly other: number;
}

class TsScanner implements Scanner {
  private state = 0;
  private generation: number;
  /** Positions of `state`, to find it again after the shared DFA flushed its cache. */
  private statePositions: Int32Array = new Int32Array(0);
  /** Absolute offset of the next byte to scan. */
  private scannedUpTo = 0;
  /** The last offset at which nothing was in flight. */
  private lastIdle = 0;
  /** Absolute offset of the last newline scanned, or -1. */
  private lastNewline = -1;
  /** Absolute offset just after the last byte scanned that is not a token byte (TOKEN_BYTES). */
  private lastSeparator = 0;
  /** Accepting transitions of one block: (index in the chunk, state, last idle index in the chunk or -1) each. */
  private readonly acceptRecords = new Int32Array(3 * BLOCK);

  constructor(
    private readonly dfa: LazyDfa,
    private readonly maxWidth: number,
    /** The most bytes from a match's start to its anchor's end among rules whose head the DFA leaves out (0 if none), token-only heads apart. */
    private readonly headDroppedWidths: HeadDroppedWidths,
    /** The cache of the DFA's states across runs, if any. */
    private readonly kept: KeptDfa | null,
  ) {
    this.generation = dfa.generation;
  }

  write(chunk: Uint8Array, onMatch: OnMatch): void {
    const dfa = this.dfa;
    if (this.generation !== dfa.generation) this.state = dfa.intern(this.statePositions);
    const base = this.scannedUpTo;
    const length = chunk.length;
    const records = this.acceptRecords;
    let state = this.state;
    // The index in the chunk just after the last byte that left nothing in flight, or -1 (then
    // this.lastIdle holds). Kept without a branch: where idle and busy bytes take turns (15% of a
    // CI log's bytes are idle), a branch on it was mispredicted so often that the loop ran ~18% slower.
    let idleAt = -1;
    let i = 0;
    while (i < length) {
      // The inner loop only moves `state` along the table and notes what the flags say: a call
      // or any other write of `state` in it makes V8's code for it about half as fast. It stops at
      // an unbuilt entry (flags of the sentinel), which is built after it; then back to the loop.
      // (Running on through the sentinel to the block's end, as it did, scanned up to BLOCK bytes
      // twice per state built: most of all while a run of new states is built, byte after byte.)
      const table = dfa.table; // a step may have grown or flushed it
      const { byteClass, rowShift } = dfa;
      const blockEnd = Math.min(length, i + BLOCK);
      let recorded = 0;
      let unbuilt = -1;
      let unbuiltFrom = 0;
      for (; i < blockEnd; i++) {
        const from = state;
        const entry = table[(from << rowShift) | byteClass[chunk[i]!]!]!;
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
          unbuilt = i;
          unbuiltFrom = from;
          break;
        }
      }
      for (let r = 0; r < recorded; r += 3) this.reportAll(records[r + 1]!, this.lastIdleAt(records[r + 2]!, base), base + records[r]! + 1, onMatch);
      if (unbuilt >= 0) {
        state = dfa.step(unbuiltFrom, chunk[unbuilt]!);
        if (this.kept !== null) state = this.kept.afterStep(state);
        i = unbuilt + 1;
        const flags = dfa.flags[state]!;
        if ((flags & IDLE) !== 0) idleAt = i;
        else if ((flags & ACCEPTS) !== 0) this.reportAll(state, this.lastIdleAt(idleAt, base), base + i, onMatch);
      }
    }
    this.state = state;
    this.generation = dfa.generation;
    this.statePositions = dfa.positionsOf(state);
    this.lastIdle = this.lastIdleAt(idleAt, base);
    if (this.headDroppedWidths.tokenOnly > 0 || this.headDroppedWidths.other > 0) {
      const newline = chunk.lastIndexOf(0x0a);
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
  }
}

class TsDatabase implements Database {
  readonly engine = 'ts' as const;
  readonly maxWidth: number;
  private readonly dfa: LazyDfa;
  private readonly headDroppedWidths: HeadDroppedWidths;
  private readonly kept: KeptDfa | null;

  /** `keep`: where to keep the DFA's states across runs, if anywhere (./dfa-cache.ts). */
  constructor(rules: readonly EngineRule[], automaton: PositionAutomaton, keep: ((dfa: LazyDfa) => KeptDfa) | null) {
    this.dfa = new LazyDfa(automaton);
    this.kept = keep === null ? null : keep(this.dfa);
    this.maxWidth = rules.reduce((n, rule) => Math.max(n, rule.maxWidth), 0);
    const widthOf = (tokenOnly: boolean): number =>
      rules.reduce((n, rule) => ((automaton.isDroppedTokenOnly[rule.index] === 1) === tokenOnly ? Math.max(n, automaton.droppedWidth[rule.index]!) : n), 0);
    this.headDroppedWidths = { tokenOnly: widthOf(true), other: widthOf(false) };
  }

  tracksEnds(rule: number): boolean {
    return this.dfa.automaton.isTruncated[rule] !== 1;
  }

  open(): Scanner {
    return new TsScanner(this.dfa, this.maxWidth, this.headDroppedWidths, this.kept);
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
    const keep = (dfa: LazyDfa): KeptDfa => keepDfa(dfa, cacheDirectory, dfaKey(key), log);
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
