/**
 * The embedded engine: pure TypeScript, no native code. A lazy DFA over the rules' position
 * automaton scans each byte once; it knows exactly when nothing is in flight, which is what keeps
 * the holdback minimal (DESIGN §3.4).
 *
 * Matches carry `start` as a lower bound: the later of the last idle offset and `end - maxWidth`.
 */
import type { Database, Engine, EngineRule, OnMatch, Scanner } from '../engine.js';
import { ACCEPTS, IDLE, LazyDfa } from './dfa.js';
import { buildPositionAutomaton } from './positions.js';

class TsScanner implements Scanner {
  private state = 0;
  private generation: number;
  /** Positions of `state`, to find it again after the shared DFA flushed its cache. */
  private statePositions = new Int32Array(0);
  /** Absolute offset of the next byte to scan. */
  private scannedUpTo = 0;
  /** The last offset at which nothing was in flight. */
  private lastIdle = 0;

  constructor(
    private readonly dfa: LazyDfa,
    private readonly maxWidths: Int32Array,
    private readonly maxWidth: number,
  ) {
    this.generation = dfa.generation;
  }

  write(chunk: Uint8Array, onMatch: OnMatch): void {
    const dfa = this.dfa;
    if (this.generation !== dfa.generation) this.state = dfa.intern(this.statePositions);
    let state = this.state;
    let table = dfa.table;
    let flags = dfa.flags;
    let lastIdle = this.lastIdle;
    const base = this.scannedUpTo;
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      const byte = chunk[i]!;
      let next = table[(state << 8) | byte]!;
      if (next < 0) {
        next = dfa.step(state, byte);
        table = dfa.table;
        flags = dfa.flags;
      }
      state = next;
      const flag = flags[state]!;
      if (flag === 0) continue;
      if (flag & IDLE) {
        lastIdle = base + i + 1;
      } else if (flag & ACCEPTS) {
        const end = base + i + 1;
        for (const rule of dfa.accepts[state]!) {
          onMatch({ rule, start: Math.max(lastIdle, end - this.maxWidths[rule]!), end });
        }
      }
    }
    this.state = state;
    this.generation = dfa.generation;
    this.statePositions = dfa.positions[state]!;
    this.lastIdle = lastIdle;
    this.scannedUpTo = base + length;
  }

  horizon(): number {
    return Math.max(this.lastIdle, this.scannedUpTo - this.maxWidth);
  }

  end(_onMatch: OnMatch): void {
    // The relaxed automaton has no end-of-stream assertions: every match was reported on its last byte.
  }

  reset(): void {
    this.state = 0;
    this.statePositions = new Int32Array(0);
    this.scannedUpTo = 0;
    this.lastIdle = 0;
  }
}

class TsDatabase implements Database {
  readonly engine = 'ts' as const;
  readonly maxWidth: number;
  private readonly dfa: LazyDfa;
  private readonly maxWidths: Int32Array;

  constructor(rules: readonly EngineRule[]) {
    this.dfa = new LazyDfa(buildPositionAutomaton(rules));
    const size = rules.reduce((n, rule) => Math.max(n, rule.index + 1), 0);
    this.maxWidths = new Int32Array(size);
    for (const rule of rules) this.maxWidths[rule.index] = rule.maxWidth;
    this.maxWidth = rules.reduce((n, rule) => Math.max(n, rule.maxWidth), 0);
  }

  open(): Scanner {
    return new TsScanner(this.dfa, this.maxWidths, this.maxWidth);
  }
}

export const tsEngine: Engine = {
  name: 'ts',
  compile: (rules) => new TsDatabase(rules),
};
