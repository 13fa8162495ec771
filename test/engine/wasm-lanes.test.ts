/**
 * The lane loops in WebAssembly (src/engine/ts/wasm-lanes.ts) do what the JavaScript loops do
 * (stepLanesInJs, stepOneLane): over random tables (built, unbuilt, idle and accepting entries, any
 * row width), byte classes, slices, lane starts and states, each stops at the same byte and leaves
 * the same states, accepts and counts (the one lane: the same state, idle index and records). The engine scans with it wherever WebAssembly runs; test/e2e/jitless.test.ts runs the
 * CLI where it does not.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ACCEPTS, FLAG_BITS, IDLE, UNBUILT } from '../../src/engine/ts/dfa.js';
import { type OneLane, makeLaneArrays, stepLanesInJs, stepOneLane } from '../../src/engine/ts/engine.js';
import { LANES, ONE_LANE_MOST_BYTES, createLaneMachine } from '../../src/engine/ts/wasm-lanes.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 200);

/** A DFA's table as the loop reads it: `states` rows of 2^rowShift entries, each a next state with its flags or UNBUILT. */
const dfaShape = fc.record({ rowShift: fc.integer({ min: 1, max: 8 }), states: fc.integer({ min: 2, max: 40 }), seed: fc.integer() }).map(({ rowShift, states, seed }) => {
  let random = seed >>> 0 || 1;
  const next = (bound: number): number => {
    random ^= random << 13;
    random ^= random >>> 17;
    random ^= random << 5;
    return (random >>> 0) % bound;
  };
  const byteClass = Uint8Array.from({ length: 256 }, () => next(1 << rowShift));
  const table = Uint16Array.from({ length: states << rowShift }, () => {
    const kind = next(20);
    if (kind === 0) return UNBUILT;
    const flags = kind < 3 ? ACCEPTS : kind < 8 ? IDLE : 0;
    return (next(states) << FLAG_BITS) | flags;
  });
  return { rowShift, states, byteClass, table };
});

const laneRun = fc.record({
  slice: fc.uint8Array({ minLength: LANES, maxLength: 3000 }),
  startShares: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: LANES - 1, maxLength: LANES - 1 }),
  fromShare: fc.double({ min: 0, max: 1, noNaN: true }),
  laneStates: fc.array(fc.nat(), { minLength: LANES, maxLength: LANES }),
  counts: fc.array(fc.nat(50), { minLength: LANES, maxLength: LANES }),
});

describe('ts engine: the lane loop in WebAssembly', () => {
  test('is available here (Node runs WebAssembly unless --jitless)', () => {
    expect(createLaneMachine(new Uint8Array(256), 7)).not.toBeNull();
  });

  test('stops where the JavaScript loop stops, with the same states and accepts', () => {
    fc.assert(
      fc.property(dfaShape, laneRun, ({ rowShift, states, byteClass, table }, run) => {
        const machine = createLaneMachine(byteClass, rowShift)!;
        const machineTable = machine.tableOf(table.length);
        machineTable.set(table);
        const { slice } = run;
        // Parts in order, each of at least one byte.
        const starts = [0, ...run.startShares.map((share) => Math.floor(share * slice.length))]
          .sort((a, b) => a - b)
          .map((start, lane) => Math.min(start, slice.length - LANES) + lane);
        const together = Math.min(...starts.map((start, lane) => (starts[lane + 1] ?? slice.length) - start));
        const from = Math.floor(run.fromShare * together);
        const lanes = makeLaneArrays(null);
        for (const arrays of [machine, lanes]) {
          arrays.states.fill(0xffff); // whatever the arrays held before: the loops write the same places
          for (const list of arrays.accepts) list.fill(0xffff);
          arrays.starts.set(starts);
          arrays.laneStates.set(run.laneStates.map((state) => state % states));
          arrays.counts.set(run.counts);
        }

        const stopped = stepLanesInJs({ table, byteClass, rowShift }, slice, lanes, from, together);
        machine.slice.set(slice);
        expect(machine.step(from, together, rowShift)).toBe(stopped);
        expect(machine.states.subarray(0, slice.length)).toEqual(lanes.states.subarray(0, slice.length));
        expect(machine.laneStates).toEqual(lanes.laneStates);
        expect(machine.counts).toEqual(lanes.counts);
        for (let lane = 0; lane < LANES; lane++) {
          const noted = lanes.counts[lane]! + 1;
          expect(machine.accepts[lane]!.subarray(0, noted)).toEqual(lanes.accepts[lane]!.subarray(0, noted));
        }
        expect(machineTable).toEqual(table); // read, never written
      }),
      { numRuns: RUNS },
    );
  });

  test('one lane: stops where the JavaScript loop stops, with the same state, idle index and records', () => {
    const oneLaneRun = fc.record({
      slice: fc.uint8Array({ minLength: 1, maxLength: ONE_LANE_MOST_BYTES }),
      fromShare: fc.double({ min: 0, max: 1, noNaN: true }),
      endShare: fc.double({ min: 0, max: 1, noNaN: true }),
      state: fc.nat(),
      idleShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    });
    fc.assert(
      fc.property(dfaShape, oneLaneRun, ({ rowShift, states, byteClass, table }, run) => {
        const machine = createLaneMachine(byteClass, rowShift)!;
        machine.tableOf(table.length).set(table);
        const { slice } = run;
        const from = Math.floor(run.fromShare * slice.length);
        const end = from + Math.floor(run.endShare * (slice.length - from));
        const idleAt = run.idleShare === null ? -1 : Math.floor(run.idleShare * from);
        const lane: OneLane = { records: new Int32Array(3 * ONE_LANE_MOST_BYTES), recorded: 0, state: run.state % states, idleAt };

        const stopped = stepOneLane({ table, byteClass, rowShift }, slice, from, end, lane);
        machine.records.fill(-7); // whatever the memory held before
        machine.slice.set(slice);
        machine.oneLane.set([run.state % states, idleAt, 99]);
        expect(machine.stepOne(from, end, rowShift)).toBe(stopped);
        expect([...machine.oneLane]).toEqual([lane.state, lane.idleAt, lane.recorded]);
        expect(machine.records.subarray(0, lane.recorded)).toEqual(lane.records.subarray(0, lane.recorded));
      }),
      { numRuns: RUNS },
    );
  });

  test('a longer view of the table keeps what the table held', () => {
    const machine = createLaneMachine(new Uint8Array(256), 7)!;
    machine.tableOf(128).fill(9);
    const longer = machine.tableOf(256);
    expect(longer.subarray(0, 128).every((entry) => entry === 9)).toBe(true);
    expect(() => machine.tableOf(16385 << 7)).toThrow(/past the/);
  });
});
