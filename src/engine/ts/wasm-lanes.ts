/**
 * The lane loop of the ts engine's scan (engine.ts, stepLanes) as WebAssembly, with the DFA's
 * table, the slice it scans and the lane arrays in the module's memory. The same loop as V8
 * compiles it from JavaScript checks every typed-array index against its array's length (three a
 * byte and lane); WebAssembly's accesses are bounded by guard pages instead, which leaves each
 * lane's chain of loads alone on the critical path, so more lanes overlap more of it. The raw
 * loop over a warm DFA (64 MiB CI log): 1 lane 299 MiB/s, 2 lanes 527, 3 lanes 601, 4 lanes 720,
 * 6 lanes 760; with all the scanner does (`node bench/ts-engine.mjs`), 4 lanes here scan ~650 MiB
 * per CPU second against ~300 for the two lanes in JavaScript before. The one-lane loop, for what
 * lanes leave of a slice of 4 KiB or more (lanes backed off, a slice's rest; shorter writes, a
 * live stream's lines, stay in JavaScript), is here too (stepOne): over a DFA already built,
 * 1.25-1.7x the MiB per CPU second of stepOneLane in
 * JavaScript (16 MiB of each 64 MiB corpus: one line 218 -> 274, base64 132 -> 215, CI log
 * 131 -> 223). It is encoded here, under a kilobyte, so that no toolchain and no binary file is
 * needed: the engine stays TypeScript with no native code.
 *
 * The memory is made at its largest from the start (MAX_STATES rows): growing a WebAssembly memory
 * detaches every view of it, and the DFA, the lanes and the scanner hold views. Pages no one
 * touches cost no memory. Where WebAssembly is missing (`node --jitless`) or a memory cannot be
 * had, createLaneMachine returns null and the engine scans with the JavaScript loop.
 */
import { ACCEPTS, FLAG_BITS, IDLE, MAX_STATES, UNBUILT } from './dfa.js';

/** Lanes scan a chunk this much at a time (their scratch arrays index it with 16 bits). */
export const LANE_SLICE_BYTES = 65536;
/** Lanes stepped at once: each waits on its own table loads, so more lanes overlap more of them. */
export const LANES = 4;

// Where each part lives in the memory (bytes).
/** Per lane (int32 each): the offset in the slice of its first byte, its state, its count of accepting bytes. */
const STARTS_AT = 0;
const LANE_STATES_AT = 64;
const COUNTS_AT = 128;
/** The one-lane loop's state, idle index and count of record numbers (int32 each). */
const ONE_LANE_AT = 192;
/** The DFA's byte classes (one byte each). */
const CLASSES_AT = 256;
/** The one-lane loop's records: three int32 per accepting byte (see LaneMachine.stepOne). */
const RECORDS_AT = 512;
/** The most bytes one call of stepOne may step: its records fill the room up to the slice. */
export const ONE_LANE_MOST_BYTES = Math.floor((LANE_SLICE_BYTES - RECORDS_AT) / 12);
const SLICE_AT = LANE_SLICE_BYTES;
/** The state after each byte of the slice (uint16 each). */
const STATES_AT = 2 * LANE_SLICE_BYTES;
/** Per lane, the bytes of the slice after which its state accepts (uint16 each). */
const acceptsAt = (lane: number): number => (4 + 2 * lane) * LANE_SLICE_BYTES;
const TABLE_AT = acceptsAt(LANES);
const PAGE_BYTES = 65536;

/** A DFA's lane loop in WebAssembly, and its memory's parts as views. */
export interface LaneMachine {
  /** Where the slice the lanes scan is copied first. */
  readonly slice: Uint8Array;
  readonly states: Uint16Array;
  /** Per lane: the offset of its first byte in the slice, its state, and how many accepting bytes it noted in its list. */
  readonly starts: Int32Array;
  readonly laneStates: Int32Array;
  readonly counts: Int32Array;
  readonly accepts: readonly Uint16Array[];
  /** A view of the DFA's table with `length` entries; what the table held stays. */
  readonly tableOf: (length: number) => Uint16Array;
  /** stepLanes' loop over the slice (engine.ts): bytes `from` to `together` of each lane; returns where it stopped. */
  readonly step: (from: number, together: number, rowShift: number) => number;
  /** What stepOne starts from and leaves: the state, the index after the last idle byte (or -1), and how many numbers it put in `records`. */
  readonly oneLane: Int32Array;
  readonly records: Int32Array;
  /**
   * stepOneLane's loop (engine.ts) over bytes `from` to `end` of the slice, at most
   * ONE_LANE_MOST_BYTES: from oneLane's state and idle index, until `end` or an entry not built;
   * notes (index, state after it, idle index) of each accepting byte in `records`; returns where
   * it stopped, oneLane holding the state before that byte.
   */
  readonly stepOne: (from: number, end: number, rowShift: number) => number;
}

/** The few WebAssembly declarations used here (TypeScript has them in its DOM libraries only). */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Memory {
    constructor(descriptor: { initial: number });
    readonly buffer: ArrayBuffer;
  }
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}

/** The opcodes the loop uses (WebAssembly core specification, section 5.4). */
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  brIf: 0x0d,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  i32Store16: 0x3b,
  i32Const: 0x41,
  i32Eq: 0x46,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  i32ShrU: 0x76,
} as const;
const I32 = 0x7f;
const NO_RESULT = 0x40;
const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

// Instructions in the folded form of the text format: the operands' code, then the opcode.
type Code = number[];

function unsignedLeb(value: number): Code {
  const bytes: Code = [];
  do {
    const low = value & 0x7f;
    value >>>= 7;
    bytes.push(value === 0 ? low : low | 0x80);
  } while (value !== 0);
  return bytes;
}

const op = (opcode: number, ...operands: Code[]): Code => [...operands.flat(), opcode];
/** All constants of the loop are small and positive (under 64: one byte of signed LEB128). */
function constant(value: number): Code {
  if (value < 0 || value >= 64) throw new Error(`wasm-lanes: constant ${value} out of range`);
  return [OP.i32Const, value];
}
const get = (local: number): Code => [OP.localGet, local];
const set = (local: number, value: Code): Code => [...value, OP.localSet, local];
/** A load or store at `offset` plus the address; `alignLog2`: the access's size. */
const access = (opcode: number, alignLog2: number, offset: number, ...operands: Code[]): Code => [...operands.flat(), opcode, alignLog2, ...unsignedLeb(offset)];
const block = (...body: Code[]): Code => [OP.block, NO_RESULT, ...body.flat(), OP.end];
const loop = (...body: Code[]): Code => [OP.loop, NO_RESULT, ...body.flat(), OP.end];
const ifThen = (condition: Code, ...body: Code[]): Code => [...condition, OP.if, NO_RESULT, ...body.flat(), OP.end];
/** Branches out of the `depth`-th enclosing block (0: the innermost; to a loop's start). */
const brIf = (depth: number, condition: Code): Code => [...condition, OP.brIf, depth];

const section = (id: number, contents: Code): Code => [id, ...unsignedLeb(contents.length), ...contents];
const name = (text: string): Code => [...unsignedLeb(text.length), ...Array.from(text, (char) => char.charCodeAt(0))];

// Both functions take (from, to, rowShift) and return where they stopped; their locals follow.
const [FROM, TO, ROW_SHIFT] = [0, 1, 2];

const increment = (local: number): Code => set(local, op(OP.i32Add, get(local), constant(1)));
const field = (at: number): Code => access(OP.i32Load, 2, at, constant(0));
const setField = (at: number, value: Code): Code => access(OP.i32Store, 2, at, constant(0), value);
// entry = table[(state << rowShift) | byteClass[slice[at]]]
const byteClassAt = (at: number): Code => access(OP.i32Load8U, 0, CLASSES_AT, access(OP.i32Load8U, 0, SLICE_AT, get(at)));
const entryIndex = (state: number, at: number): Code => op(OP.i32Or, op(OP.i32Shl, get(state), get(ROW_SHIFT)), byteClassAt(at));
const lookUp = (state: number, at: number, entry: number): Code => set(entry, access(OP.i32Load16U, 1, TABLE_AT, op(OP.i32Shl, entryIndex(state, at), constant(1))));
/** A function's code entry: its locals (`locals` more i32) and body. */
const functionCode = (locals: number, body: Code): Code => {
  const code = [1, locals, I32, ...body, OP.end];
  return [...unsignedLeb(code.length), ...code];
};

/** `step` (see LaneMachine): the lanes' loop, four locals per lane. */
function laneLoop(): Code {
  const lanes = Array.from({ length: LANES }, (_, lane) => ({ lane, at: 3 + 4 * lane, state: 4 + 4 * lane, entry: 5 + 4 * lane, count: 6 + 4 * lane }));
  const each = (code: (lane: (typeof lanes)[number]) => Code): Code[] => lanes.map(code);
  const anyOf = (operator: number, code: (lane: (typeof lanes)[number]) => Code): Code => lanes.slice(1).reduce((all, lane) => op(operator, all, code(lane)), code(lanes[0]!));
  // state = entry >> FLAG_BITS; states[at] = state
  const move = (entry: number, state: number, at: number): Code => [
    ...set(state, op(OP.i32ShrU, get(entry), constant(FLAG_BITS))),
    ...access(OP.i32Store16, 1, STATES_AT, op(OP.i32Shl, get(at), constant(1)), get(state)),
  ];
  // if (entry & ACCEPTS) accepts[count++] = at
  const noteAccept = (entry: number, count: number, at: number, listAt: number): Code =>
    ifThen(op(OP.i32And, get(entry), constant(ACCEPTS)), access(OP.i32Store16, 1, listAt, op(OP.i32Shl, get(count), constant(1)), get(at)), increment(count));
  const body = [
    ...each(({ lane, at, state, count }) => [
      ...set(at, op(OP.i32Add, field(STARTS_AT + 4 * lane), get(FROM))),
      ...set(state, field(LANE_STATES_AT + 4 * lane)),
      ...set(count, field(COUNTS_AT + 4 * lane)),
    ]).flat(),
    ...block(
      brIf(0, op(OP.i32GeU, get(FROM), get(TO))),
      loop(
        ...each(({ state, at, entry }) => lookUp(state, at, entry)),
        ...each(({ entry, state, at }) => move(entry, state, at)),
        ifThen(
          op(
            OP.i32And,
            anyOf(OP.i32Or, ({ entry }) => get(entry)),
            constant(ACCEPTS),
          ),
          // An unbuilt entry (it has the ACCEPTS bit) stops the loop: out of this if, the loop and the block.
          brIf(
            2,
            anyOf(OP.i32Or, ({ entry }) => op(OP.i32Eq, get(entry), constant(UNBUILT))),
          ),
          ...each(({ lane, entry, count, at }) => noteAccept(entry, count, at, acceptsAt(lane))),
        ),
        increment(FROM),
        ...each(({ at }) => increment(at)),
        brIf(0, op(OP.i32LtU, get(FROM), get(TO))),
      ),
    ),
    ...each(({ lane, state, count }) => [...setField(LANE_STATES_AT + 4 * lane, get(state)), ...setField(COUNTS_AT + 4 * lane, get(count))]).flat(),
    ...get(FROM),
  ];
  return functionCode(4 * LANES, body);
}

/** `stepOne` (see LaneMachine): engine.ts's stepOneLane, the same steps. */
function oneLaneLoop(): Code {
  const [state, idleAt, recorded, entry] = [3, 4, 5, 6];
  const record = (slot: number, value: Code): Code => access(OP.i32Store, 2, RECORDS_AT + 4 * slot, op(OP.i32Shl, get(recorded), constant(2)), value);
  const body = [
    ...set(state, field(ONE_LANE_AT)),
    ...set(idleAt, field(ONE_LANE_AT + 4)),
    ...block(
      brIf(0, op(OP.i32GeU, get(FROM), get(TO))),
      loop(
        lookUp(state, FROM, entry),
        ifThen(
          op(OP.i32And, get(entry), constant(ACCEPTS)),
          // An entry both idle and accepting is not built: out of this if, the loop and the block, the state before it kept.
          brIf(2, op(OP.i32And, get(entry), constant(IDLE))),
          record(0, get(FROM)),
          record(1, op(OP.i32ShrU, get(entry), constant(FLAG_BITS))),
          record(2, get(idleAt)),
          set(recorded, op(OP.i32Add, get(recorded), constant(3))),
        ),
        set(state, op(OP.i32ShrU, get(entry), constant(FLAG_BITS))),
        // idleAt = entry & IDLE ? from + 1 : idleAt, without a branch (see stepOneLane)
        set(idleAt, [...op(OP.i32Add, get(FROM), constant(1)), ...get(idleAt), ...op(OP.i32And, get(entry), constant(IDLE)), OP.select]),
        increment(FROM),
        brIf(0, op(OP.i32LtU, get(FROM), get(TO))),
      ),
    ),
    ...setField(ONE_LANE_AT, get(state)),
    ...setField(ONE_LANE_AT + 4, get(idleAt)),
    ...setField(ONE_LANE_AT + 8, get(recorded)),
    ...get(FROM),
  ];
  return functionCode(4, body);
}

/** The module's bytes: `step` and `stepOne` (see LaneMachine), over the imported memory `lanes.memory`. */
function encodeModule(): Uint8Array {
  const i32s = (count: number): Code => [count, ...Array<number>(count).fill(I32)];
  return Uint8Array.from([
    ...MAGIC_AND_VERSION,
    ...section(1, [1, 0x60, ...i32s(3), ...i32s(1)]), // type 0: three i32 in, one out
    ...section(2, [1, ...name('lanes'), ...name('memory'), 0x02, 0x00, 1]), // import: a memory of at least one page
    ...section(3, [2, 0, 0]), // functions 0 and 1, of type 0
    ...section(7, [2, ...name('step'), 0x00, 0, ...name('stepOne'), 0x00, 1]), // exported by name
    ...section(10, [2, ...laneLoop(), ...oneLaneLoop()]),
  ]);
}

/** Compiled on first use, once per process; null where WebAssembly refuses it. */
let laneModule: WebAssembly.Module | null | undefined;

function compiledModule(): WebAssembly.Module | null {
  if (laneModule === undefined) {
    try {
      laneModule = new WebAssembly.Module(encodeModule());
    } catch {
      laneModule = null;
    }
  }
  return laneModule;
}

/** The module's loops, instantiated over `memory`. */
type Loops = Pick<LaneMachine, 'step' | 'stepOne'>;

function loopsOver(memory: WebAssembly.Memory): Loops {
  const module = compiledModule();
  if (module === null) throw new Error('wasm-lanes: WebAssembly refused the lane loops');
  const { exports } = new WebAssembly.Instance(module, { lanes: { memory } });
  return { step: exports.step as LaneMachine['step'], stepOne: exports.stepOne as LaneMachine['stepOne'] };
}

/**
 * A lane machine for a DFA with these byte classes and rows of 2^rowShift entries, or null where
 * WebAssembly is missing or its memory cannot be had (then the JavaScript loop serves). Its
 * memory is made here, since the DFA's table is placed in it from the start; its loops are
 * compiled when first called, in the first scan of a slice long enough for them (encoding and
 * compiling them took ~6 ms of every start, `echo hi` included, which never calls them).
 */
export function createLaneMachine(byteClass: Uint8Array, rowShift: number): LaneMachine | null {
  if (typeof WebAssembly === 'undefined') return null;
  const tableEntries = MAX_STATES << rowShift;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: Math.ceil((TABLE_AT + 2 * tableEntries) / PAGE_BYTES) });
  } catch {
    return null;
  }
  const buffer = memory.buffer;
  new Uint8Array(buffer, CLASSES_AT, 256).set(byteClass);
  let loops: Loops | undefined;
  const loaded = (): Loops => {
    loops ??= loopsOver(memory);
    return loops;
  };
  return {
    slice: new Uint8Array(buffer, SLICE_AT, LANE_SLICE_BYTES),
    states: new Uint16Array(buffer, STATES_AT, LANE_SLICE_BYTES),
    starts: new Int32Array(buffer, STARTS_AT, LANES),
    laneStates: new Int32Array(buffer, LANE_STATES_AT, LANES),
    counts: new Int32Array(buffer, COUNTS_AT, LANES),
    accepts: Array.from({ length: LANES }, (_, lane) => new Uint16Array(buffer, acceptsAt(lane), LANE_SLICE_BYTES)),
    tableOf: (length) => {
      if (length > tableEntries) throw new Error(`wasm-lanes: a table of ${length} entries is past the ${tableEntries} made room for`);
      return new Uint16Array(buffer, TABLE_AT, length);
    },
    step: (from, together, shift) => loaded().step(from, together, shift),
    oneLane: new Int32Array(buffer, ONE_LANE_AT, 3),
    records: new Int32Array(buffer, RECORDS_AT, 3 * ONE_LANE_MOST_BYTES),
    stepOne: (from, end, shift) => loaded().stepOne(from, end, shift),
  };
}
