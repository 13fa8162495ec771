/**
 * The two-lane loop in WebAssembly (src/engine/ts/wasm-lanes.ts) does what the JavaScript loop
 * does (stepLanesInJs): over random tables (built, unbuilt and accepting entries, any row width),
 * byte classes, slices and lane starts, it stops at the same byte and writes the same states and
 * accepts. The engine scans with it wherever WebAssembly runs; test/e2e/jitless.test.ts runs the
 * CLI where it does not.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ACCEPTS, FLAG_BITS, IDLE, UNBUILT } from '../../src/engine/ts/dfa.js';
import { type LaneArrays, stepLanesInJs } from '../../src/engine/ts/engine.js';
import { LANE_SLICE_BYTES, createLaneMachine } from '../../src/engine/ts/wasm-lanes.js';

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
  slice: fc.uint8Array({ minLength: 2, maxLength: 3000 }),
  splitShare: fc.double({ min: 0, max: 1, noNaN: true }),
  fromShare: fc.double({ min: 0, max: 1, noNaN: true }),
  first: fc.nat(),
  second: fc.nat(),
  counts: fc.tuple(fc.nat(50), fc.nat(50)),
});

function jsLanes(): LaneArrays {
  return {
    machine: null,
    states: new Uint16Array(LANE_SLICE_BYTES),
    firstAccepts: new Uint16Array(LANE_SLICE_BYTES),
    firstCount: 0,
    secondAccepts: new Uint16Array(LANE_SLICE_BYTES),
    secondCount: 0,
  };
}

describe('ts engine: the two-lane loop in WebAssembly', () => {
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
        const split = Math.max(1, Math.min(slice.length - 1, Math.floor(run.splitShare * slice.length)));
        const together = Math.min(split, slice.length - split);
        const from = Math.floor(run.fromShare * together);
        const first = run.first % states;
        const second = run.second % states;
        const [firstCount, secondCount] = run.counts;
        // Whatever the arrays held before: the loops write the same places.
        machine.states.fill(0xffff);
        machine.firstAccepts.fill(0xffff);
        machine.secondAccepts.fill(0xffff);
        const lanes = jsLanes();
        lanes.states.fill(0xffff);
        lanes.firstAccepts.fill(0xffff);
        lanes.secondAccepts.fill(0xffff);
        lanes.firstCount = firstCount;
        lanes.secondCount = secondCount;

        const stopped = stepLanesInJs({ table, byteClass, rowShift }, slice, lanes, from, together, split, first, second);
        machine.slice.set(slice);
        const machineStopped = machine.step(from, together, split, first, second, rowShift, firstCount, secondCount);

        expect(machineStopped).toBe(stopped);
        expect([machine.counts[0], machine.counts[1]]).toEqual([lanes.firstCount, lanes.secondCount]);
        expect(machine.states.subarray(0, slice.length)).toEqual(lanes.states.subarray(0, slice.length));
        expect(machine.firstAccepts.subarray(0, lanes.firstCount + 1)).toEqual(lanes.firstAccepts.subarray(0, lanes.firstCount + 1));
        expect(machine.secondAccepts.subarray(0, lanes.secondCount + 1)).toEqual(lanes.secondAccepts.subarray(0, lanes.secondCount + 1));
        expect(machineTable).toEqual(table); // read, never written
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
