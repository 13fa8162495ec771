/**
 * The ts engine's lazy DFA keeps its state cache within a budget of bytes (DESIGN §3.3): it flushes
 * before the states it built cost more than `maxBytes`, whatever their count, and what a scan
 * reports does not depend on when it flushed. The DFA is driven here as the engine's scan loop
 * drives it (`next`: the table entry, or a step where the entry is not built yet).
 */
import { describe, expect, test } from 'vitest';
import { FLAG_BITS, LazyDfa, UNBUILT } from '../../src/engine/ts/dfa.js';
import { buildPositionAutomaton } from '../../src/engine/ts/positions.js';
import type { RuleSpec } from '../../src/types.js';
import { ruleSetOf } from '../support.js';

const SPECS: RuleSpec[] = [
  { id: 'github', regex: 'gh[pousr]_[A-Za-z0-9]{36}' },
  { id: 'password', regex: '(?i)(?:password|passwd|secret)\\s*[:=]\\s*"?([^\\s"]{6,64})', secretGroup: 1 },
  { id: 'aws', regex: 'AKIA[0-9A-Z]{16}' },
  { id: 'url-password', regex: '[a-z]+://[^\\s:@/]{1,64}:([^\\s:@/]{3,64})@', secretGroup: 1 },
];

/** A deterministic mix of prose, keywords and token bytes: enough distinct states to fill a small cache. */
function input(length: number): Uint8Array {
  const words = ['password', 'passwd=', 'secret: "', 'ghp_', 'AKIA', 'https://', 'user:', '@host', 'Pass', 'sec', 'gh', ' ', '\n', 'abc123', 'XYZ', '"'];
  const bytes: number[] = [];
  let seed = 12345;
  while (bytes.length < length) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    for (const char of words[(seed >>> 16) % words.length]!) bytes.push(char.charCodeAt(0));
  }
  return Uint8Array.from(bytes.slice(0, length));
}

/** Scans `bytes`; returns the rules accepted after each byte (as "offset:rule" strings) and the most bytes the cache held. */
function scan(dfa: LazyDfa, bytes: Uint8Array): { accepted: string[]; peakBytes: number } {
  const accepted: string[] = [];
  let peakBytes = dfa.cacheBytes;
  let state = 0;
  bytes.forEach((byte, offset) => {
    state = dfa.next(state, byte);
    peakBytes = Math.max(peakBytes, dfa.cacheBytes);
    for (const rule of dfa.accepts[state]!) accepted.push(`${offset}:${rule}`);
  });
  return { accepted, peakBytes };
}

describe('lazy DFA cache budget', () => {
  const automaton = buildPositionAutomaton(ruleSetOf(SPECS).rules);
  const bytes = input(200_000);

  test('a small byte budget drops states before the cache outgrows it, and scans the same', () => {
    const unbounded = new LazyDfa(automaton);
    const whole = scan(unbounded, bytes);
    expect(unbounded.generation).toBe(0);
    const budget = Math.floor(whole.peakBytes / 4);
    const bounded = new LazyDfa(automaton, undefined, budget);
    const small = scan(bounded, bytes);
    console.log(`states ${unbounded.stateCount}, ${whole.peakBytes} bytes unbounded; budget ${budget}: ${bounded.generation} times made room, peak ${small.peakBytes} bytes`);
    expect(bounded.generation).toBeGreaterThan(0);
    // The state that finds the cache full is built after room is made: one state over at most.
    expect(small.peakBytes).toBeLessThanOrEqual(budget + (2 << bounded.rowShift) + 4096);
    expect(small.accepted).toEqual(whole.accepted);
  });

  // A scanner keeps its state's positions to find the state again after states are dropped, which
  // reuses the slab they were in: what positionsOf gives must be theirs still after that.
  test('the positions of a state survive its drop, and find an equal state in the new generation', () => {
    // A budget of one byte: every new state makes room, dropping the ones built after the idle state.
    const dfa = new LazyDfa(automaton, undefined, 1);
    let state = 0;
    for (const byte of new TextEncoder().encode('ghp_abc')) state = dfa.next(state, byte);
    const positions = dfa.positionsOf(state);
    const kept = Array.from(positions);
    const generation = dfa.generation;
    state = 0;
    for (const byte of new TextEncoder().encode('AKIA0123')) state = dfa.next(state, byte);
    expect(dfa.generation).toBeGreaterThan(generation);
    expect(kept.length).toBeGreaterThan(0);
    expect(Array.from(positions)).toEqual(kept);
    expect(Array.from(dfa.positionsOf(dfa.intern(positions)))).toEqual(kept);
  });

  test('making room keeps the states built first, with their ids, and the entries between them', () => {
    const dfa = new LazyDfa(automaton, 64);
    let before: number[][] = [];
    let state = 0;
    for (const byte of bytes) {
      if (dfa.stateCount === 64) before = Array.from({ length: 64 }, (_, id) => Array.from(dfa.positionsOf(id)));
      state = dfa.next(state, byte);
      if (dfa.generation > 0) break;
    }
    expect(dfa.generation).toBe(1);
    // The later half (32 states) is gone; the one being built then is the 33rd.
    expect(dfa.stateCount).toBe(33);
    for (let id = 0; id < 32; id++) expect(Array.from(dfa.positionsOf(id))).toEqual(before[id]);
    const entries = dfa.table.subarray(0, 33 << dfa.rowShift);
    expect(entries.every((entry) => entry === UNBUILT || entry >> FLAG_BITS < 33)).toBe(true);
    expect(entries.some((entry) => entry !== UNBUILT)).toBe(true);
  });

  // A row has a column per byte class, not per byte: a wrong class would reuse another byte's
  // transition, which stepping every byte from the positions never does.
  test('rows are narrower than a column per byte, and accept as stepping every byte does', () => {
    const dfa = new LazyDfa(automaton);
    const viaTable = scan(dfa, bytes).accepted;
    const stepped = new LazyDfa(automaton);
    const accepted: string[] = [];
    let state = 0;
    bytes.forEach((byte, offset) => {
      state = stepped.step(state, byte);
      for (const rule of stepped.accepts[state]!) accepted.push(`${offset}:${rule}`);
    });
    expect(1 << dfa.rowShift).toBeLessThan(256);
    expect(viaTable).toEqual(accepted);
  });
});
