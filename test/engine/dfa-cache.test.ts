/**
 * The ts engine's DFA kept across runs (src/engine/ts/dfa-cache.ts, LazyDfa.restore): restored
 * states are the states a fresh DFA builds (every field, every built transition); a database that
 * reads them in the middle of its streams reports what one without a cache reports; an entry that
 * is corrupt, truncated, of another rule set or malformed in any way restore checks is a miss.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { Database } from '../../src/engine/engine.js';
import { automatonKey } from '../../src/engine/ts/automaton-cache.js';
import { type BuiltStates, FLAG_BITS, LazyDfa, MAX_STATES, SENTINEL, UNBUILT } from '../../src/engine/ts/dfa.js';
import { BULK_WRITE_BYTES, READ_AFTER_BYTES, type TextShape, dfaKey, keepDfa, readDfaStates, textShapeOf, writeDfaStates } from '../../src/engine/ts/dfa-cache.js';
import { createTsEngine } from '../../src/engine/ts/engine.js';
import { buildPositionAutomaton } from '../../src/engine/ts/positions.js';
import { compileRules } from '../../src/rules/compile.js';
import { loadPack } from '../../src/rules/packs/index.js';
import type { Match } from '../../src/types.js';
import { cutAt, everyBytes } from '../support.js';

let cacheDirectory: string;
beforeEach(() => {
  cacheDirectory = mkdtempSync(join(tmpdir(), 'sseredact-dfa-cache-test-'));
});
afterEach(() => {
  rmSync(cacheDirectory, { recursive: true, force: true });
});

const rules = compileRules(loadPack('secrets'), {}).filter((rule) => rule.literals === null);
const automaton = buildPositionAutomaton(rules);
const { rowShift } = new LazyDfa(automaton);

/** The texts of the gitleaks corpus (secrets of every shape amid code and prose), ~100 KB: it builds a few thousand states. */
const TEXT = Buffer.from(
  readFileSync(new URL('../../fixtures/corpus/gitleaks.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text)
    .join('\n')
    .slice(0, 100_000),
);
/** The key of the states kept for TEXT (of short lines: code and prose, ~90 bytes a line). */
const key = dfaKey(automatonKey(rules), 'short-lines');

/** Runs `dfa` over `bytes` as the scan loop does (a step where the entry is not built); the rules accepted after each byte, as "offset:rule". */
function accepted(dfa: LazyDfa, bytes: Uint8Array): string[] {
  const found: string[] = [];
  let state = 0;
  bytes.forEach((byte, offset) => {
    state = dfa.next(state, byte);
    for (const rule of dfa.accepts[state]!) found.push(`${offset}:${rule}`);
  });
  return found;
}

/** A DFA that scanned TEXT, and its states. */
function scannedStates(): BuiltStates {
  const dfa = new LazyDfa(automaton);
  accepted(dfa, TEXT);
  return dfa.builtStates();
}

/**
 * What `count` scanners of `database` report over `chunks`, their writes taking turns: per
 * scanner, its matches and its horizon after each write (which a scanner in a wrong state shows).
 */
function scanTogether(database: Database, count: number, chunks: readonly Uint8Array[]): Array<Array<Match | number>> {
  const scanners = Array.from({ length: count }, () => database.open());
  const reports = scanners.map((): Array<Match | number> => []);
  for (const chunk of chunks) {
    scanners.forEach((scanner, i) => {
      scanner.write(chunk, (match) => reports[i]!.push(match));
      reports[i]!.push(scanner.horizon());
    });
  }
  scanners.forEach((scanner, i) => scanner.end((match) => reports[i]!.push(match)));
  return reports;
}

/** The ts engine without a cache: what every scan here must report. */
const UNCACHED = createTsEngine().compile(rules);
const WANT = scanTogether(UNCACHED, 1, everyBytes(TEXT, 65536))[0];

describe('the ts DFA kept across runs', () => {
  test('restored states are the states a fresh DFA builds, with the transitions it builds', () => {
    const built = scannedStates();
    writeDfaStates(cacheDirectory, key, built, (message) => expect.fail(message));
    const states = readDfaStates(cacheDirectory, key, (message) => expect.fail(message));
    const restored = new LazyDfa(automaton);
    expect(restored.restore(states!)).toBe(true);
    expect(restored.stateCount).toBe(built.positionStart.length - 1);
    expect(restored.stateCount).toBeGreaterThan(1000);

    const fresh = new LazyDfa(automaton);
    const byteOfClass = new Map<number, number>();
    for (let byte = 255; byte >= 0; byte--) byteOfClass.set(restored.byteClass[byte]!, byte);
    const describe = (dfa: LazyDfa, state: number) => ({
      positions: Array.from(dfa.positionsOf(state)),
      flags: dfa.flags[state],
      depths: [dfa.depths[state], dfa.separatorDepths[state], dfa.droppedHeadDepths[state], dfa.droppedTokenHeadDepths[state]],
      accepts: Array.from(dfa.accepts[state]!),
      acceptsAtEnd: Array.from(dfa.acceptsAtEnd[state]!),
    });
    const differences: string[] = [];
    let transitions = 0;
    for (let state = 0; state < restored.stateCount; state++) {
      if (state === SENTINEL) continue;
      const same = fresh.intern(restored.positionsOf(state));
      if (JSON.stringify(describe(restored, state)) !== JSON.stringify(describe(fresh, same))) differences.push(`state ${state}`);
      for (const [column, byte] of byteOfClass) {
        const entry = restored.table[(state << restored.rowShift) | column]!;
        if (entry === UNBUILT) continue;
        transitions++;
        const want = fresh.step(same, byte);
        const got = entry >> FLAG_BITS;
        if ((entry & 3) !== fresh.flags[want] || JSON.stringify(describe(restored, got)) !== JSON.stringify(describe(fresh, want))) differences.push(`state ${state} on ${byte}`);
      }
    }
    expect(transitions).toBeGreaterThan(restored.stateCount);
    expect(differences).toEqual([]);
    // The restored DFA scans the text alike, and builds nothing doing it.
    const builtBefore = restored.statesBuilt;
    expect(accepted(restored, TEXT)).toEqual(accepted(new LazyDfa(automaton), TEXT));
    expect(restored.statesBuilt).toBe(builtBefore);
  });

  // A run whose DFA ends with more states than it may write keeps the first it built (those a
  // full DFA keeps too): 256 MiB of dense secrets built 30,800 and kept none before.
  test('the first states alone, with the transitions between them, restore a DFA that scans alike', () => {
    const dfa = new LazyDfa(automaton);
    accepted(dfa, TEXT);
    const most = dfa.stateCount >> 1;
    const first = dfa.builtStates(most);
    expect(first.positionStart.length - 1).toBe(most);
    expect(first.builtAt.length).toBeGreaterThan(most);
    expect(Array.from(first.builtEntries).every((entry) => entry >> FLAG_BITS < most)).toBe(true);
    // Dropped transitions only: every entry kept is the whole DFA's.
    expect(Array.from(first.builtAt).every((at, i) => dfa.table[at] === first.builtEntries[i])).toBe(true);
    writeDfaStates(cacheDirectory, key, first, (message) => expect.fail(message));
    const restored = new LazyDfa(automaton);
    expect(restored.restore(readDfaStates(cacheDirectory, key, (message) => expect.fail(message))!)).toBe(true);
    expect(restored.stateCount).toBe(most);
    expect(accepted(restored, TEXT)).toEqual(accepted(new LazyDfa(automaton), TEXT));
  });

  /** Keeps the states of TEXT's halves swapped (other ids than TEXT's first ones); returns the log of the run. */
  function keepSwappedHalves(): string[] {
    const messages: string[] = [];
    const half = TEXT.length >> 1;
    scanTogether(createTsEngine({ cacheDirectory, log: (message) => messages.push(message) }).compile(rules), 1, [TEXT.subarray(half), TEXT.subarray(0, half)]);
    expect(messages.filter((message) => message.startsWith('ts DFA'))).toEqual(['ts DFA: nothing cached; building its states']);
    return messages;
  }

  // 7-byte writes are bulk only past READ_AFTER_BYTES in all (the two streams' together): blank
  // lines first, which build no states, then the text.
  test.each([7, 65536])('a database reads the kept states while its streams run (%i-byte writes, two streams) and reports the same', (chunk) => {
    keepSwappedHalves();
    const text = chunk < BULK_WRITE_BYTES ? Buffer.concat([Buffer.alloc(READ_AFTER_BYTES / 2, '\n'), TEXT]) : TEXT;
    // Two streams of one database, their writes taking turns: the one that reads the states
    // changes the ids the other holds.
    const messages: string[] = [];
    const reports = scanTogether(createTsEngine({ cacheDirectory, log: (message) => messages.push(message) }).compile(rules), 2, everyBytes(text, chunk));
    expect(messages).toEqual([expect.stringMatching(/^ts DFA: \d+ states from the cache$/)]);
    const want = scanTogether(UNCACHED, 1, everyBytes(text, chunk))[0];
    expect(reports).toEqual([want, want]);
  });

  test('a stream written a line at a time neither reads the kept states nor replaces them', () => {
    keepSwappedHalves();
    const path = join(cacheDirectory, readdirSync(cacheDirectory).find((name) => name.startsWith('ts-'))!);
    const before = readFileSync(path);
    const lines = cutAt(
      TEXT,
      [...TEXT.keys()].filter((at) => TEXT[at - 1] === 0x0a),
    );
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(BULK_WRITE_BYTES);
    const messages: string[] = [];
    const database = createTsEngine({ cacheDirectory, log: (message) => messages.push(message) }).compile(rules);
    // It builds thousands of states, as many as a bulk run writes.
    expect(scanTogether(database, 1, lines)).toEqual(scanTogether(UNCACHED, 1, lines));
    expect(messages).toEqual([]);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  test('the step that reads the kept states gets its state back under its new id', () => {
    const other = new LazyDfa(automaton);
    accepted(other, TEXT.subarray(TEXT.length >> 1));
    writeDfaStates(cacheDirectory, key, other.builtStates(), (message) => expect.fail(message));
    const dfa = new LazyDfa(automaton);
    const kept = keepDfa(dfa, cacheDirectory, automatonKey(rules), (message) => expect(message).toMatch(/^ts DFA: \d+ states from the cache$/));
    kept.beforeWrite(TEXT);
    let state = 0;
    let at = 0;
    for (; dfa.generation === 0; at++) state = kept.afterStep(dfa.step(state, TEXT[at]!));
    const positions = Array.from(dfa.positionsOf(state));
    // The same state as a DFA that never read anything is in after the same bytes.
    const fresh = new LazyDfa(automaton);
    let want = 0;
    for (const byte of TEXT.subarray(0, at)) want = fresh.next(want, byte);
    expect(positions.length).toBeGreaterThan(0);
    expect(positions).toEqual(Array.from(fresh.positionsOf(want)));
  });

  // Random pieces of the text cut at random, each by a database that reads states kept by the
  // cases before it (which write what they built): what the database without a cache reports.
  test('any piece, any cuts: a database that reads kept states mid-stream reports the same (property)', () => {
    // A bulk write first (where the states are read), then small ones at random cuts.
    const pieceArb = fc.record({
      from: fc.nat(TEXT.length - 40_000),
      length: fc.integer({ min: BULK_WRITE_BYTES, max: 40_000 }),
      cuts: fc.array(fc.nat(40_000), { maxLength: 12 }),
    });
    const messages: string[] = [];
    fc.assert(
      fc.property(pieceArb, ({ from, length, cuts }) => {
        const piece = TEXT.subarray(from, from + length);
        const [head, ...rest] = cutAt(piece, [BULK_WRITE_BYTES, ...cuts.filter((cut) => cut > BULK_WRITE_BYTES)]);
        const chunks = [head!, ...rest];
        const database = createTsEngine({ cacheDirectory, log: (message) => messages.push(message) }).compile(rules);
        expect(scanTogether(database, 1, chunks)).toEqual(scanTogether(UNCACHED, 1, chunks));
      }),
      { numRuns: Number(process.env.SSEREDACT_FUZZ_RUNS ?? 25) },
    );
    expect(messages.filter((message) => / states from the cache$/.test(message)).length).toBeGreaterThan(0);
  });

  /** Each a copy of the states with one thing wrong that restore must refuse. */
  const MALFORMED: Array<[string, (states: BuiltStates) => BuiltStates]> = [
    ['an entry naming a state that does not exist', (s) => withEntry(s, 0, (s.positionStart.length - 1) << FLAG_BITS)],
    ['an entry naming the sentinel', (s) => withEntry(s, 0, SENTINEL << FLAG_BITS)],
    ['an entry with flags not its state’s', (s) => withEntry(s, 0, s.builtEntries[0]! ^ 2)],
    ['an entry outside the table', (s) => ({ ...s, builtAt: copyWith(s.builtAt, 0, (s.positionStart.length - 1) << rowShift) })],
    ['an entry in the sentinel’s row', (s) => ({ ...s, builtAt: copyWith(s.builtAt, 0, SENTINEL << rowShift) })],
    ['a position out of range', (s) => ({ ...s, positions: copyWith(s.positions, 5, automaton.positionRule.length) })],
    ['a negative depth', (s) => ({ ...s, separatorDepths: copyWith(s.separatorDepths, 5, -1) })],
    ['an accepted rule out of range', (s) => ({ ...s, accepts: s.accepts.map((list) => (list.length > 0 ? Int32Array.of(rules.length) : list)) })],
    ['positions where the idle state has none', (s) => ({ ...s, positionStart: s.positionStart.map((start, i) => (i === 1 ? 1 : start)) })],
    ['a state count the arrays do not share', (s) => ({ ...s, stateHash: s.stateHash.subarray(1) })],
  ];

  test.each(MALFORMED)('%s: a miss, and the scan is the one without a cache', (_, spoil) => {
    const states = scannedStates();
    // Unspoilt, they restore (so that what refuses them below is the spoiling).
    expect(new LazyDfa(automaton).restore(states)).toBe(true);
    writeDfaStates(cacheDirectory, key, spoil(states), (message) => expect.fail(message));
    const messages: string[] = [];
    expect(scanTogether(createTsEngine({ cacheDirectory, log: (message) => messages.push(message) }).compile(rules), 1, everyBytes(TEXT, 65536))).toEqual([WANT]);
    expect(messages).toContain('ts DFA: cached entry malformed; building its states');
  });

  test('more states than the budget are refused, the DFA left empty', () => {
    const dfa = new LazyDfa(automaton, 100);
    expect(dfa.restore(scannedStates())).toBe(false);
    expect(dfa.stateCount).toBe(2);
  });

  test('a restored DFA with every state an entry can name makes room before it builds one more', () => {
    // States 2.. of one position each, then of two: distinct, none of them {1, 2}.
    const count = automaton.positionRule.length;
    const sets = [[], [], ...Array.from({ length: MAX_STATES - 2 }, (_, i) => (i < count ? [i] : [0, i - count + 1]))];
    const positionStart = new Int32Array(MAX_STATES + 1);
    sets.forEach((set, i) => {
      positionStart[i + 1] = positionStart[i]! + set.length;
    });
    const perState = () => new Int32Array(MAX_STATES);
    const none = new Int32Array(0);
    const states: BuiltStates = {
      positionStart,
      positions: Int32Array.from(sets.flat()),
      stateHash: perState(),
      depths: perState(),
      separatorDepths: perState(),
      droppedHeadDepths: perState(),
      droppedTokenHeadDepths: perState(),
      accepts: sets.map(() => none),
      acceptsAtEnd: sets.map(() => none),
      builtAt: none,
      builtEntries: new Uint16Array(0),
    };
    const dfa = new LazyDfa(automaton);
    expect(dfa.restore(states)).toBe(true);
    expect(dfa.stateCount).toBe(MAX_STATES);
    const state = dfa.intern(Int32Array.of(1, 2));
    expect(state).toBeLessThan(MAX_STATES);
    expect(Array.from(dfa.positionsOf(state))).toEqual([1, 2]);
  });

  const dfaFile = () => join(cacheDirectory, readdirSync(cacheDirectory).find((name) => name === `ts-${key}.db`)!);
  test.each([
    ['truncated', 'truncated cache file', () => truncateSync(dfaFile(), 1000)],
    ['a byte changed', 'corrupt cache file (checksum)', () => writeFileSync(dfaFile(), flipped(readFileSync(dfaFile()), 5000))],
  ])('a file %s is a miss', (_, why, spoil) => {
    writeDfaStates(cacheDirectory, key, scannedStates(), (message) => expect.fail(message));
    spoil();
    const messages: string[] = [];
    expect(readDfaStates(cacheDirectory, key, (message) => messages.push(message))).toBeNull();
    expect(messages).toEqual([`ts DFA: ${why}; building its states`]);
  });

  test.each<[TextShape, string]>([
    ['short-lines', 'a CI log, ~125 bytes a line'],
    ['long-lines', 'minified code, kilobytes a line'],
    ['no-newline', 'one line longer than the sample'],
    ['base64', 'base64 in lines of 76'],
  ])('the shape of a text: %s (%s)', (shape) => {
    const sample = (line: string, count: number): Uint8Array => Buffer.from(`${line}\n`.repeat(count));
    const texts: Record<TextShape, Uint8Array> = {
      'short-lines': TEXT,
      'long-lines': sample(`var a=function(b){return b.map(function(c){return c+1})};${'x=1;'.repeat(600)}`, 40),
      'no-newline': Buffer.from('2026-05-01T22:31:48Z step 1 of 3: npm ci --no-audit; '.repeat(2000)),
      base64: sample(
        Buffer.from(TEXT.subarray(0, 57 * 1200))
          .toString('base64')
          .match(/.{1,76}/g)!
          .join('\n'),
        1,
      ),
    };
    expect(textShapeOf(texts[shape])).toBe(shape);
  });

  test('states kept for text of another shape are not read, and stay as they were', () => {
    const base64Key = dfaKey(automatonKey(rules), 'base64');
    writeDfaStates(cacheDirectory, base64Key, scannedStates(), (message) => expect.fail(message));
    const base64File = join(cacheDirectory, `ts-${base64Key}.db`);
    const before = readFileSync(base64File);
    const messages: string[] = [];
    expect(scanTogether(createTsEngine({ cacheDirectory, log: (message) => messages.push(message) }).compile(rules), 1, everyBytes(TEXT, 65536))).toEqual([WANT]);
    expect(messages.filter((message) => message.startsWith('ts DFA'))).toEqual(['ts DFA: nothing cached; building its states']);
    expect(readFileSync(base64File).equals(before)).toBe(true);
    // The run kept its own, under the key of its shape.
    expect(readDfaStates(cacheDirectory, key, (message) => expect.fail(message))).not.toBeNull();
  });

  test('the states of another rule set are not read', () => {
    writeDfaStates(cacheDirectory, dfaKey(automatonKey(rules.slice(1)), 'short-lines'), scannedStates(), (message) => expect.fail(message));
    const messages: string[] = [];
    expect(readDfaStates(cacheDirectory, key, (message) => messages.push(message))).toBeNull();
    expect(messages).toEqual(['ts DFA: nothing cached; building its states']);
  });
});

/** A copy of `array` with `value` at `index`. */
function copyWith(array: Int32Array, index: number, value: number): Int32Array {
  const copy = array.slice();
  copy[index] = value;
  return copy;
}

/** `states` with its `index`th built entry replaced by `entry`. */
function withEntry(states: BuiltStates, index: number, entry: number): BuiltStates {
  const builtEntries = states.builtEntries.slice();
  builtEntries[index] = entry;
  return { ...states, builtEntries };
}

/** A copy of `bytes` with the byte at `index` changed. */
function flipped(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ 0xff;
  return copy;
}
