/**
 * Which of the last bytes scanned a secret still unknown could cover: the analysis behind minimal
 * holdback (DESIGN §3.4), the same for every engine.
 *
 * An engine's horizon bounds where a match it has not reported may *start*; that is what the
 * confirmer needs, but it is too coarse for what may be emitted. Vectorscan knows only match ends,
 * so its horizon is the last newline or the widest rule back; the ts engine's is tighter but still
 * covers the current token for rules whose head is a class run. What a redactor may not emit yet
 * is smaller: the bytes that the *secret* of a match still in flight could cover. So, over the
 * bytes from the engine's horizon on, this module finds the earliest byte that lies inside the
 * secret group of some match that started at or after the horizon and is still in flight at the
 * last byte scanned (a prefix of a match, or a whole match whose end is not decided yet):
 *
 *     "The quick brown fox"   nothing in flight covers a byte: all may leave
 *     "Password: "            generic-password is in flight, but its secret (the value) has not begun
 *     "key sk-ant-ap"         `sk-ant-ap` is the start of an Anthropic key, whose secret is the whole match
 *     "token Zq8Lr2"          the current token could be the head of a class-run rule (a 52-byte PAT)
 *
 * How: each rule's whole tree, relaxed as the ts engine relaxes it (assertions dropped, large
 * counts unbounded: a superset, so it never misses a match), as one position (Glushkov)
 * automaton in which the positions inside the rule's secret group are marked. A position `p` at
 * byte `j` lies on a match in flight iff some match start at or after the horizon reaches `p` at
 * `j` (forward) and `p` at `j` can continue through every byte up to the last one (backward). Both
 * are lazy DFAs over sets of positions (./engine/ts/dfa.ts), scanned over the tail only: backward
 * from the last byte until no position can reach it (a space, for most rules, ends it), then
 * forward from there to the first byte whose two sets share a secret position. A tail is at most
 * the widest rule, and usually a few bytes.
 *
 * Memory: the two DFAs share the rule set's bounded state cache (flushed when full), plus one
 * Int32Array as long as the longest tail analysed.
 */
import { FLAG_BITS, LazyDfa, UNBUILT } from '../engine/ts/dfa.js';
import { buildInFlightAutomata } from '../engine/ts/positions.js';
import { hasByte } from '../regex/ast.js';
import type { CompiledRule } from '../rules/compile.js';

export interface InFlightAnalysis {
  /**
   * The earliest absolute offset in `[offset, offset + tail.length]` that the secret of a match
   * still in flight at the tail's end could cover, counting only matches that start in the tail;
   * `offset + tail.length` when there is none. `tail` holds the bytes from `offset` (the engine's
   * horizon) to the last byte scanned.
   */
  secretHorizon(tail: Uint8Array, offset: number): number;
}

/** Per rule set: the analysis is built on first use and shared by every stream (like the engine's database). */
const analyses = new WeakMap<readonly CompiledRule[], InFlightAnalysis>();

export function inFlightAnalysis(rules: readonly CompiledRule[]): InFlightAnalysis {
  let analysis = analyses.get(rules);
  if (analysis === undefined) {
    analysis = createAnalysis(rules);
    analyses.set(rules, analysis);
  }
  return analysis;
}

function createAnalysis(rules: readonly CompiledRule[]): InFlightAnalysis {
  const automata = buildInFlightAutomata(rules);
  const forward = new LazyDfa(automata.forward);
  const backward = new LazyDfa(automata.backward);
  const { inSecret } = automata;
  /** Per byte: the backward DFA state of every position that byte enters (the last byte's threads), per generation. */
  let lastByteStates = new Int32Array(256).fill(-1);
  let lastByteGeneration = backward.generation;
  /** Per byte of the tail: the backward state there (positions that can continue to the end). */
  let backwardStates = new Int32Array(64);
  /** Whether a forward and a backward state share a secret position: key forward * 2^15 + backward. */
  const sharesSecret = new Map<number, boolean>();
  let sharedForwardGeneration = forward.generation;
  let sharedBackwardGeneration = backward.generation;

  const step = (dfa: LazyDfa, state: number, byte: number): number => {
    const entry = dfa.table[(state << 8) | byte]!;
    return entry === UNBUILT ? dfa.step(state, byte) : entry >> FLAG_BITS;
  };
  const lastByteState = (byte: number): number => {
    if (lastByteGeneration !== backward.generation) {
      lastByteStates = new Int32Array(256).fill(-1);
      lastByteGeneration = backward.generation;
    }
    let state = lastByteStates[byte]!;
    if (state < 0) {
      const entered: number[] = [];
      automata.backward.sets.forEach((set, p) => {
        if (hasByte(set, byte)) entered.push(p);
      });
      state = backward.intern(Int32Array.from(entered));
      lastByteStates[byte] = state;
    }
    return state;
  };
  const isSecretShared = (from: number, to: number): boolean => {
    if (forward.generation !== sharedForwardGeneration || backward.generation !== sharedBackwardGeneration) {
      sharesSecret.clear();
      sharedForwardGeneration = forward.generation;
      sharedBackwardGeneration = backward.generation;
    }
    const key = from * 32768 + to;
    const known = sharesSecret.get(key);
    if (known !== undefined) return known;
    const a = forward.positions[from]!;
    const b = backward.positions[to]!;
    let shared = false;
    for (let i = 0, j = 0; i < a.length && j < b.length && !shared; ) {
      if (a[i]! < b[j]!) i++;
      else if (a[i]! > b[j]!) j++;
      else {
        shared = inSecret[a[i]!] === 1;
        i++;
        j++;
      }
    }
    sharesSecret.set(key, shared);
    return shared;
  };

  return {
    secretHorizon(tail, offset) {
      const length = tail.length;
      if (length === 0) return offset;
      if (backwardStates.length < length) backwardStates = new Int32Array(Math.max(length, backwardStates.length * 2));
      // Backward: which positions at each byte can still reach the last one.
      const generation = backward.generation;
      let state = lastByteState(tail[length - 1]!);
      let first = length - 1;
      backwardStates[first] = state;
      while (first > 0 && state !== 0) {
        state = step(backward, state, tail[first - 1]!);
        if (state !== 0) backwardStates[--first] = state;
      }
      // A flush meanwhile made the recorded states stale: hold the whole tail (the next call rebuilds).
      if (backward.generation !== generation) return offset;
      if (backwardStates[first] === 0) return offset + length;
      // Forward from the first byte a thread reaching the end can be at (earlier starts die before it).
      let at = 0;
      for (let j = first; j < length; j++) {
        at = step(forward, at, tail[j]!);
        if (backward.generation !== generation) return offset;
        if (at !== 0 && isSecretShared(at, backwardStates[j]!)) return offset + j;
      }
      return offset + length;
    },
  };
}
