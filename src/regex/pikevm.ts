/**
 * The confirmer's matcher: a Pike VM (Thompson NFA simulation with thread priorities and capture
 * slots) over bytes. It returns the same leftmost-first match and groups as a backtracking JS
 * RegExp would, in time O(window × program size) for any pattern and input: no unbounded
 * backtracking, so no hostile rule or input can stall a stream (DESIGN §3.7).
 *
 * Programs are compiled from capped trees, so every repeat is finite and expanded into copies.
 *
 * A search without a probe first runs a bounded backtracker ({@link backtrackProgram}, as RE2's
 * BitState and the regex crate's BoundedBacktracker): the same match, found depth first, each
 * (instruction, position) pair at most once, without the Pike VM's thread lists and per-thread
 * slot copies (on the bench corpora's searches it takes 0.5-0.7x the Pike VM's time). A search
 * that marks too many pairs is left to the Pike VM.
 */
import { type AssertionKind, type ByteSet, type Node, WORD_BYTES, emptyByteSet, hasByte, union } from './ast.js';

const enum Op {
  Bytes,
  Split,
  Jump,
  Save,
  Assert,
  /** Unsets capture slots [x, y): JS clears a repeated group's captures at each iteration. */
  Reset,
  Match,
}

/** Assertion kinds by number (an Assert instruction's x). */
const ASSERTION_KINDS: readonly AssertionKind[] = ['streamStart', 'streamEnd', 'lineStart', 'lineEnd', 'wordBoundary', 'notWordBoundary'];

/**
 * A compiled pattern for {@link searchProgram}. Typed arrays only, about 13 bytes an instruction:
 * a counted repeat expands into thousands of instructions. They are what the program cache keeps
 * on disk (see {@link encodeProgram}, rules/program-cache.ts).
 */
export interface Program {
  /**
   * Per instruction: its Op, and its operands x (Split: preferred target; Jump: target; Save and
   * Reset: slot; Assert: index in ASSERTION_KINDS) and y (Split: other target; Reset: end slot).
   */
  readonly ops: Uint8Array;
  readonly xs: Int32Array;
  readonly ys: Int32Array;
  /** Per Bytes instruction: its byte set's index in `sets` (the copies of a repeat share one). */
  readonly setOf: Uint16Array;
  /** The distinct byte sets, 8 words each. */
  readonly sets: Uint32Array;
  /** 2 × (capture groups + 1). */
  readonly slotCount: number;
  /**
   * Byte sets every match starts with, in order (at least the first byte's set), 8 words each: a
   * position whose bytes do not fit them starts no thread, so a rule with a literal prefix pays only
   * where it occurs.
   */
  readonly prefix: Uint32Array;
  /**
   * The byte pairs a match can start with: per first byte b1, the row of `startPairSets` that holds
   * every b2 that can follow it (when some match is a single byte, every first byte has the row of
   * every byte). A rule whose matches start with an optional head or a keyword list (`api_key`,
   * `token`, ...) has no fixed prefix, and would start a thread on almost every letter. Rows are
   * interned: most first bytes share one. Never null: a field that is sometimes null gives V8's
   * optimized searches a field type that changes under them (a deoptimization each, then a recompile).
   */
  readonly startPairRows: Uint16Array;
  /** The distinct rows of `startPairRows`, 8 words each (row 0: no second byte, or every byte; see above). */
  readonly startPairSets: Uint32Array;
  /** 1 for the bytes a match can start with (the first prefix set; every byte when the prefix is empty): the search skips the rest unchecked. */
  readonly startBytes: Uint8Array;
  /**
   * Per instruction, what a thread there can do next: the bytes its epsilon closure (assertions
   * assumed to hold) can consume, and whether it reaches Match. An index into `takeSets`, rows of
   * REACH_WORDS words (8 of bytes, then the Match bit). A closure that can take neither the next byte
   * nor match adds only threads that die at once: the search skips it (see addThread).
   */
  readonly takes: Uint16Array;
  readonly takeSets: Uint32Array;
  /**
   * Per instruction, how many moves lead to it, counted up to JOIN: the join instructions are those
   * more than one leads to (the targets of the jumps out of an alternation, the end of a counted
   * repeat's optional copies), where two paths that reach the same instruction at the same
   * position meet first (see backtrackProgram). Derived from the code, so never cached on disk.
   */
  readonly joins: Uint8Array;
}

/** The bytes a match of `node` can start with, and whether it can match empty. */
function firstBytes(node: Node): { set: ByteSet; nullable: boolean } {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return { set: emptyByteSet(), nullable: true };
    case 'bytes':
      return { set: node.set, nullable: false };
    case 'group':
      return firstBytes(node.child);
    case 'repeat': {
      const child = firstBytes(node.child);
      return { set: node.max === 0 ? emptyByteSet() : child.set, nullable: node.min === 0 || child.nullable };
    }
    case 'alt':
      return node.items.map(firstBytes).reduce((a, b) => ({ set: union(a.set, b.set), nullable: a.nullable || b.nullable }));
    case 'concat': {
      let set = emptyByteSet();
      for (const item of node.items) {
        const first = firstBytes(item);
        set = union(set, first.set);
        if (!first.nullable) return { set, nullable: false };
      }
      return { set, nullable: true };
    }
  }
}

/** Threads of one step: each one's pc and, in row i of `slots`, its capture slots. */
class ThreadList {
  readonly pcs: Int32Array;
  /** `slotCount` slots a thread, thread i at `i * slotCount`. */
  readonly slots: Int32Array;
  private readonly seen: Uint32Array;
  private generation = 1;
  length = 0;

  constructor(size: number, slotCount: number) {
    this.pcs = new Int32Array(size);
    this.slots = new Int32Array(size * slotCount);
    this.seen = new Uint32Array(size);
  }

  clear(): void {
    this.length = 0;
    this.generation++;
  }

  /** Marks `pc` visited in this step; false if it already was (a higher-priority thread owns it). */
  visit(pc: number): boolean {
    if (this.seen[pc] === this.generation) return false;
    this.seen[pc] = this.generation;
    return true;
  }
}

/**
 * The stack both searches follow epsilon moves with. A frame is a move to follow, (pc, position),
 * or a capture slot to restore on the way back, (-1 - slot, its value): restoring in place, rather
 * than copying the slots at every Save, makes a search allocate nothing (the regex crate's PikeVM
 * does the same). Shared by every search (searches never nest, and each worker thread has its own
 * module).
 */
const frames = { pcs: new Int32Array(256), values: new Int32Array(256), depth: 0 };

/** Pushes the frame (pc, value). Small, so that the searches' optimized code inlines it (the CLI's inlining budget is tight). */
function pushFrame(pc: number, value: number): void {
  if (frames.depth === frames.pcs.length) growFrames();
  frames.pcs[frames.depth] = pc;
  frames.values[frames.depth++] = value;
}

/** Doubles the frame stack. */
function growFrames(): void {
  const pcs = new Int32Array(frames.pcs.length * 2);
  const values = new Int32Array(frames.pcs.length * 2);
  pcs.set(frames.pcs);
  values.set(frames.values);
  frames.pcs = pcs;
  frames.values = values;
}

/**
 * Follows the Save, Reset or Assert at `pc` of a thread at `position` whose capture slots are
 * `slots`: a Save sets its slot to the position and a Reset unsets its group's, each with a frame
 * that restores the slot on the way back; an Assert checks its assertion. Returns the next pc, or
 * -1 where the assertion fails.
 */
function followMarker(program: Program, window: SearchWindow, slots: Int32Array, pc: number, position: number): number {
  const { ops, xs, ys } = program;
  const op = ops[pc]!;
  if (op === Op.Assert) return assertionHolds(xs[pc]!, window, position) ? pc + 1 : -1;
  const isSave = op === Op.Save;
  const value = isSave ? position : -1;
  for (let slot = xs[pc]!, to = isSave ? slot + 1 : ys[pc]!; slot < to; slot++) {
    pushFrame(-1 - slot, slots[slot]!);
    slots[slot] = value;
  }
  return pc + 1;
}

class Scratch {
  current: ThreadList;
  next: ThreadList;
  /** The slots of the thread being followed through its epsilon closure. */
  readonly slots: Int32Array;
  /**
   * The slots of the best match found so far: a greedy tail matches again at every byte it takes
   * (`[A-Za-z0-9+/=]*` of a private key), and a new array each time was most of a search's garbage.
   */
  readonly matched: Int32Array;

  constructor(
    readonly size: number,
    readonly slotCount: number,
  ) {
    this.current = new ThreadList(size, slotCount);
    this.next = new ThreadList(size, slotCount);
    this.slots = new Int32Array(slotCount);
    this.matched = new Int32Array(slotCount);
  }
}

/**
 * Thread lists and stacks shared by every search (searches never nest, and each worker thread has
 * its own module): one set, as large as the largest program searched, rather than one per program.
 */
let sharedScratch = new Scratch(0, 0);

function scratchFor(program: Program): Scratch {
  if (sharedScratch.size < program.ops.length || sharedScratch.slotCount < program.slotCount) {
    const size = sharedScratch.size < program.ops.length ? Math.max(program.ops.length, sharedScratch.size * 2) : sharedScratch.size;
    sharedScratch = new Scratch(size, Math.max(program.slotCount, sharedScratch.slotCount));
  }
  return sharedScratch;
}

function groupSlotRange(node: Node): [number, number] | null {
  let low = Infinity;
  let high = -Infinity;
  const visit = (n: Node): void => {
    if (n.type === 'group') {
      if (n.index !== null) {
        low = Math.min(low, n.index);
        high = Math.max(high, n.index);
      }
      visit(n.child);
    } else if (n.type === 'concat' || n.type === 'alt') n.items.forEach(visit);
    else if (n.type === 'repeat') visit(n.child);
  };
  visit(node);
  return low === Infinity ? null : [low * 2, high * 2 + 2];
}

/**
 * The Bytes instructions reachable from `from` without consuming a byte (assertions assumed to
 * hold), or null if Match is. `seen` holds the stamp of the last call that visited each pc, so no
 * call clears it.
 */
function byteInstructionsFrom(ops: Uint8Array, xs: Int32Array, ys: Int32Array, from: number, seen: Uint32Array, stamp: number): number[] | null {
  const found: number[] = [];
  const stack = [from];
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (seen[pc] === stamp) continue;
    seen[pc] = stamp;
    const op = ops[pc]!;
    if (op === Op.Match) return null;
    if (op === Op.Bytes) found.push(pc);
    else if (op === Op.Jump) stack.push(xs[pc]!);
    else if (op === Op.Split) stack.push(xs[pc]!, ys[pc]!);
    else stack.push(pc + 1);
  }
  return found;
}

/** What a program whose matches may be a single byte has for start pairs: every pair. */
function everyStartPair(): Pick<Program, 'startPairRows' | 'startPairSets'> {
  return { startPairRows: new Uint16Array(256), startPairSets: new Uint32Array(8).fill(0xffffffff) };
}

/** See {@link Program.startPairRows}. */
function startPairsOf(ops: Uint8Array, xs: Int32Array, ys: Int32Array, setOf: Uint16Array, sets: Uint32Array): Pick<Program, 'startPairRows' | 'startPairSets'> {
  const seen = new Uint32Array(ops.length);
  let stamp = 1;
  const first = byteInstructionsFrom(ops, xs, ys, 0, seen, stamp);
  if (first === null) return everyStartPair();
  const pairs = new Uint32Array(256 * 8);
  const follow = new Uint32Array(8);
  for (const pc of first) {
    const second = byteInstructionsFrom(ops, xs, ys, pc + 1, seen, ++stamp);
    if (second === null) return everyStartPair();
    follow.fill(0);
    for (const next of second) for (let word = 0; word < 8; word++) follow[word]! |= sets[setOf[next]! * 8 + word]!;
    const set = setOf[pc]! * 8;
    for (let byte = 0; byte < 256; byte++) {
      if (((sets[set + (byte >>> 5)]! >>> (byte & 31)) & 1) === 0) continue;
      for (let word = 0; word < 8; word++) pairs[byte * 8 + word]! |= follow[word]!;
    }
  }
  const startPairRows = new Uint16Array(256);
  const rows = [new Uint32Array(8)];
  const rowOf = new Map([[String(rows[0]), 0]]);
  for (let byte = 0; byte < 256; byte++) {
    const pair = pairs.subarray(byte * 8, byte * 8 + 8);
    let row = rowOf.get(String(pair));
    if (row === undefined) {
      row = rows.push(pair) - 1;
      rowOf.set(String(pair), row);
    }
    startPairRows[byte] = row;
  }
  const startPairSets = new Uint32Array(rows.length * 8);
  rows.forEach((row, index) => startPairSets.set(row, index * 8));
  return { startPairRows, startPairSets };
}

/** Words of a row of Program.takeSets: 8 of bytes, then the Match bit. */
const REACH_WORDS = 9;

/**
 * See {@link Program.takes}. Every epsilon move of a capped tree goes forward, so one pass from the
 * last instruction to the first sees each target's row before its sources. Rows are interned: a
 * program has few distinct ones, however long its counted repeats.
 */
function takesOf(ops: Uint8Array, xs: Int32Array, ys: Int32Array, setOf: Uint16Array, sets: Uint32Array): Pick<Program, 'takes' | 'takeSets'> {
  const takes = new Uint16Array(ops.length);
  const rows: Uint32Array[] = [];
  const byKey = new Map<string, number>();
  const intern = (row: Uint32Array): number => {
    const key = row.join(',');
    let index = byKey.get(key);
    if (index === undefined) {
      index = rows.length;
      rows.push(row);
      byKey.set(key, index);
    }
    return index;
  };
  const bySet = new Map<number, number>();
  const byPair = new Map<number, number>();
  for (let pc = ops.length - 1; pc >= 0; pc--) {
    const op = ops[pc]!;
    if (op === Op.Bytes) {
      const set = setOf[pc]!;
      let index = bySet.get(set);
      if (index === undefined) {
        const row = new Uint32Array(REACH_WORDS);
        row.set(sets.subarray(set * 8, set * 8 + 8));
        index = intern(row);
        bySet.set(set, index);
      }
      takes[pc] = index;
      continue;
    }
    if (op === Op.Match) {
      const row = new Uint32Array(REACH_WORDS);
      row[8] = 1;
      takes[pc] = intern(row);
      continue;
    }
    const target = op === Op.Jump || op === Op.Split ? xs[pc]! : pc + 1;
    const other = op === Op.Split ? ys[pc]! : target;
    if (target <= pc || other <= pc) throw new Error('compileProgram: an epsilon move goes backwards');
    const [first, second] = [takes[target]!, takes[other]!];
    if (first === second) {
      takes[pc] = first;
      continue;
    }
    // The copies of a counted repeat split between the same two rows: each pair is joined once.
    const pair = first * 0x10000 + second;
    let index = byPair.get(pair);
    if (index === undefined) {
      const row = rows[first]!.slice();
      for (let word = 0; word < REACH_WORDS; word++) row[word]! |= rows[second]![word]!;
      index = intern(row);
      byPair.set(pair, index);
    }
    takes[pc] = index;
  }
  if (rows.length > 0xffff) throw new Error('compileProgram: more than 65,535 distinct closures');
  const takeSets = new Uint32Array(rows.length * REACH_WORDS);
  rows.forEach((row, index) => takeSets.set(row, index * REACH_WORDS));
  return { takes, takeSets };
}

/** Most prefix sets checked before a thread starts. */
const MAX_PREFIX = 16;

/** The byte sets every match of `node` starts with (see {@link Program.prefix}). */
function requiredPrefix(node: Node): ByteSet[] {
  const prefix: ByteSet[] = [];
  // Walks mandatory leading nodes; returns false where the sequence stops being fixed.
  const walk = (n: Node): boolean => {
    if (prefix.length >= MAX_PREFIX) return false;
    switch (n.type) {
      case 'bytes':
        prefix.push(n.set);
        return true;
      case 'assert':
      case 'empty':
        return true;
      case 'group':
        return walk(n.child);
      case 'concat':
        return n.items.every(walk);
      case 'repeat':
        for (let i = 0; i < n.min; i++) if (!walk(n.child)) return false;
        return n.max === n.min;
      case 'alt':
        return false;
    }
  };
  walk(node);
  const first = firstBytes(node);
  return prefix.length > 0 ? prefix : first.nullable ? [] : [first.set];
}

/**
 * The instructions being compiled, in growing typed arrays: a big rule expands its counted repeats
 * into thousands of instructions (authorization-header: 8201), so no object or tuple per instruction.
 */
class CodeBuilder {
  ops = new Uint8Array(64);
  xs = new Int32Array(64);
  ys = new Int32Array(64);
  setOf = new Uint16Array(64);
  length = 0;
  /** Index of each distinct byte set, by identity: the copies of a repeat share their child's set objects. */
  readonly setIndex = new Map<ByteSet, number>();

  emit(op: Op, x = 0, y = 0): number {
    if (this.length === this.ops.length) this.grow();
    const pc = this.length++;
    this.ops[pc] = op;
    this.xs[pc] = x;
    this.ys[pc] = y;
    return pc;
  }

  emitBytes(set: ByteSet): void {
    let index = this.setIndex.get(set);
    if (index === undefined) {
      index = this.setIndex.size;
      this.setIndex.set(set, index);
    }
    const pc = this.emit(Op.Bytes); // first: it may grow (replace) setOf
    this.setOf[pc] = index;
  }

  private grow(): void {
    const grown = <T extends Uint8Array | Int32Array | Uint16Array>(array: T): T => {
      const copy = new (array.constructor as new (length: number) => T)(array.length * 2);
      copy.set(array);
      return copy;
    };
    this.ops = grown(this.ops);
    this.xs = grown(this.xs);
    this.ys = grown(this.ys);
    this.setOf = grown(this.setOf);
  }
}

/** Compiles a capped tree (no Infinity repeats) with `groupCount` capture groups. */
export function compileProgram(ast: Node, groupCount: number): Program {
  const code = new CodeBuilder();
  const compile = (node: Node): void => {
    switch (node.type) {
      case 'empty':
        return;
      case 'bytes':
        code.emitBytes(node.set);
        return;
      case 'assert':
        code.emit(Op.Assert, ASSERTION_KINDS.indexOf(node.kind));
        return;
      case 'group':
        if (node.index === null) {
          compile(node.child);
          return;
        }
        code.emit(Op.Save, node.index * 2);
        compile(node.child);
        code.emit(Op.Save, node.index * 2 + 1);
        return;
      case 'concat':
        node.items.forEach(compile);
        return;
      case 'alt': {
        const jumps: number[] = [];
        node.items.forEach((item, i) => {
          if (i < node.items.length - 1) {
            const split = code.emit(Op.Split, code.length + 1);
            compile(item);
            jumps.push(code.emit(Op.Jump));
            code.ys[split] = code.length;
          } else {
            compile(item);
          }
        });
        for (const jump of jumps) code.xs[jump] = code.length;
        return;
      }
      case 'repeat': {
        if (node.max === Infinity) throw new Error('compileProgram needs a capped tree');
        const groups = groupSlotRange(node.child);
        const compileIteration = (): void => {
          if (groups) code.emit(Op.Reset, groups[0], groups[1]);
          compile(node.child);
        };
        for (let i = 0; i < node.min; i++) compileIteration();
        // x{0,k} as nested optionals (x(x(x)?)?)?: once an optional copy is skipped, so are the rest.
        const splits: number[] = [];
        for (let i = node.min; i < node.max; i++) {
          const split = code.emit(Op.Split);
          splits.push(split);
          (node.greedy ? code.xs : code.ys)[split] = code.length;
          compileIteration();
        }
        for (const split of splits) (node.greedy ? code.ys : code.xs)[split] = code.length;
        return;
      }
    }
  };
  code.emit(Op.Save, 0);
  compile(ast);
  code.emit(Op.Save, 1);
  code.emit(Op.Match);
  if (code.setIndex.size > 0xffff) throw new Error('compileProgram: more than 65,535 distinct byte sets');
  const sets = new Uint32Array(code.setIndex.size * 8);
  for (const [set, index] of code.setIndex) sets.set(set, index * 8);
  const ops = code.ops.slice(0, code.length);
  const xs = code.xs.slice(0, code.length);
  const ys = code.ys.slice(0, code.length);
  const setOf = code.setOf.slice(0, code.length);
  const prefixSets = requiredPrefix(ast);
  const prefix = new Uint32Array(prefixSets.length * 8);
  prefixSets.forEach((set, i) => prefix.set(set, i * 8));
  const { startPairRows, startPairSets } = startPairsOf(ops, xs, ys, setOf, sets);
  const { takes, takeSets } = takesOf(ops, xs, ys, setOf, sets);
  const startBytes = Uint8Array.from({ length: 256 }, (_, byte) => (prefixSets.length === 0 || hasByte(prefixSets[0]!, byte) ? 1 : 0));
  return programOf({ ops, xs, ys, setOf, sets, slotCount: (groupCount + 1) * 2, prefix, startPairRows, startPairSets, startBytes, takes, takeSets });
}

/**
 * A program as one object literal, its fields always in this order: compiled and decoded programs
 * then share one hidden class, so the searches' optimized code sees one shape, never two.
 */
function programOf(fields: Omit<Program, 'joins'>): Program {
  return {
    ops: fields.ops,
    xs: fields.xs,
    ys: fields.ys,
    setOf: fields.setOf,
    sets: fields.sets,
    slotCount: fields.slotCount,
    prefix: fields.prefix,
    startPairRows: fields.startPairRows,
    startPairSets: fields.startPairSets,
    startBytes: fields.startBytes,
    takes: fields.takes,
    takeSets: fields.takeSets,
    joins: joinsOf(fields.ops, fields.xs, fields.ys),
  };
}

/** The int32 words before an encoded program's arrays (see {@link encodeProgram}). */
const HEADER_WORDS = 6;

/** What an encoded program's header says: its arrays' lengths. */
interface Shape {
  readonly instructions: number;
  readonly sets: number;
  readonly takeRows: number;
  readonly prefixSets: number;
  /** Rows of startPairSets. */
  readonly pairRows: number;
  readonly slotCount: number;
}

function encodedLength({ instructions, sets, takeRows, prefixSets, pairRows }: Shape): number {
  const words = HEADER_WORDS + 2 * instructions + 8 * sets + REACH_WORDS * takeRows + 8 * prefixSets + 8 * pairRows;
  const halves = 2 * instructions + 256;
  return 4 * words + 2 * halves + instructions + 256;
}

/** The arrays of an encoded program, as views of `buffer` from `byteOffset` on (4-aligned). */
function viewsOf(buffer: ArrayBufferLike, byteOffset: number, shape: Shape) {
  let at = byteOffset + 4 * HEADER_WORDS;
  const take = <T>(make: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => T, bytesEach: number, length: number): T => {
    const view = new make(buffer, at, length);
    at += bytesEach * length;
    return view;
  };
  const { instructions: n, pairRows } = shape;
  return {
    xs: take(Int32Array, 4, n),
    ys: take(Int32Array, 4, n),
    sets: take(Uint32Array, 4, 8 * shape.sets),
    takeSets: take(Uint32Array, 4, REACH_WORDS * shape.takeRows),
    prefix: take(Uint32Array, 4, 8 * shape.prefixSets),
    startPairSets: take(Uint32Array, 4, 8 * pairRows),
    setOf: take(Uint16Array, 2, n),
    takes: take(Uint16Array, 2, n),
    startPairRows: take(Uint16Array, 2, 256),
    ops: take(Uint8Array, 1, n),
    startBytes: take(Uint8Array, 1, 256),
  };
}

/**
 * A program as bytes, for the program cache (rules/program-cache.ts), in this host's byte order
 * (the cache key names it): six int32 (instructions n, byte sets s, take rows t, prefix sets p,
 * start pair rows r, slotCount), then as 32-bit words xs and ys (n each), sets
 * (8s), takeSets (9t), prefix (8p) and startPairSets (8r); as 16-bit setOf and takes (n each) and
 * startPairRows (256); as bytes ops (n) and startBytes (256).
 */
export function encodeProgram(program: Program): Uint8Array {
  const shape: Shape = {
    instructions: program.ops.length,
    sets: program.sets.length / 8,
    takeRows: program.takeSets.length / REACH_WORDS,
    prefixSets: program.prefix.length / 8,
    pairRows: program.startPairSets.length / 8,
    slotCount: program.slotCount,
  };
  const buffer = new ArrayBuffer(encodedLength(shape));
  new Int32Array(buffer, 0, HEADER_WORDS).set([shape.instructions, shape.sets, shape.takeRows, shape.prefixSets, shape.pairRows, shape.slotCount]);
  const views = viewsOf(buffer, 0, shape);
  views.xs.set(program.xs);
  views.ys.set(program.ys);
  views.sets.set(program.sets);
  views.takeSets.set(program.takeSets);
  views.prefix.set(program.prefix);
  views.startPairSets.set(program.startPairSets);
  views.setOf.set(program.setOf);
  views.takes.set(program.takes);
  views.startPairRows.set(program.startPairRows);
  views.ops.set(program.ops);
  views.startBytes.set(program.startBytes);
  return new Uint8Array(buffer);
}

/**
 * The program {@link encodeProgram} gave `bytes`, as views of them (copied once if they are not
 * 4-aligned), or null when they are not one: wrong lengths, or an operand that could send the
 * search out of the program, backwards (every epsilon move of a capped tree goes forward, which is
 * what bounds a closure), or outside its slots, sets and rows. O(instructions).
 */
export function decodeProgram(encoded: Uint8Array): Program | null {
  const bytes = encoded.byteOffset % 4 === 0 ? encoded : encoded.slice();
  if (bytes.length < 4 * HEADER_WORDS) return null;
  const [instructions, sets, takeRows, prefixSets, pairRows, slotCount] = new Int32Array(bytes.buffer, bytes.byteOffset, HEADER_WORDS) as unknown as number[];
  const shape: Shape = { instructions: instructions!, sets: sets!, takeRows: takeRows!, prefixSets: prefixSets!, pairRows: pairRows!, slotCount: slotCount! };
  const isShape =
    shape.instructions >= 1 &&
    shape.sets >= 0 &&
    shape.sets <= 0xffff &&
    shape.takeRows >= 1 &&
    shape.takeRows <= 0xffff &&
    shape.prefixSets >= 0 &&
    shape.prefixSets <= MAX_PREFIX &&
    shape.pairRows >= 1 &&
    shape.pairRows <= 257 &&
    shape.slotCount >= 2 &&
    shape.slotCount % 2 === 0;
  if (!isShape || encodedLength(shape) !== bytes.length) return null;
  const views = viewsOf(bytes.buffer, bytes.byteOffset, shape);
  const { ops, xs, ys, setOf, takes, startPairRows, startBytes } = views;
  const n = shape.instructions;
  for (let pc = 0; pc < n; pc++) {
    const op = ops[pc]!;
    const x = xs[pc]!;
    const y = ys[pc]!;
    const next = pc + 1 < n;
    const isValid =
      op === Op.Bytes
        ? next && setOf[pc]! < shape.sets
        : op === Op.Split
          ? x > pc && x < n && y > pc && y < n
          : op === Op.Jump
            ? x > pc && x < n
            : op === Op.Save
              ? next && x >= 0 && x < shape.slotCount
              : op === Op.Assert
                ? next && x >= 0 && x < ASSERTION_KINDS.length
                : op === Op.Reset
                  ? next && x >= 0 && x <= y && y <= shape.slotCount
                  : op === Op.Match;
    if (!isValid || takes[pc]! >= shape.takeRows) return null;
  }
  for (let byte = 0; byte < 256; byte++) {
    if (startBytes[byte]! > 1 || startPairRows[byte]! >= shape.pairRows) return null;
  }
  return programOf({ ...views, slotCount: shape.slotCount });
}

/** The bytes a search runs over, with what it knows about the stream around them. */
export interface SearchWindow {
  /** Bytes of the stream from absolute offset `offset` on. */
  readonly bytes: Uint8Array;
  readonly offset: number;
  /** Absolute end of the bytes available (`offset + bytes.length` or less). */
  readonly limit: number;
  /** Whether `limit` is the end of the stream. */
  readonly isStreamEnd: boolean;
}

/** Capture slots of a match: `[start0, end0, start1, end1, ...]`, absolute offsets, -1 when unset. */
export type Slots = Int32Array;

/** 1 for the bytes `\b` counts as word bytes. */
const IS_WORD = Uint8Array.from({ length: 256 }, (_, byte) => (hasByte(WORD_BYTES, byte) ? 1 : 0));

function isWordAt(window: SearchWindow, position: number): boolean {
  return position >= window.offset && position < window.limit && IS_WORD[window.bytes[position - window.offset]!] === 1;
}

/** Whether the assertion ASSERTION_KINDS[kind] holds at `position`. */
function assertionHolds(kind: number, window: SearchWindow, position: number): boolean {
  switch (kind) {
    case 0: // streamStart
      return position === 0;
    case 1: // streamEnd
      return position === window.limit && window.isStreamEnd;
    case 2: // lineStart
      return position === 0 || (position > window.offset && window.bytes[position - 1 - window.offset] === 0x0a);
    case 3: // lineEnd
      return (position === window.limit && window.isStreamEnd) || (position < window.limit && window.bytes[position - window.offset] === 0x0a);
    case 4: // wordBoundary
      return isWordAt(window, position - 1) !== isWordAt(window, position);
    default: // notWordBoundary
      return isWordAt(window, position - 1) === isWordAt(window, position);
  }
}

/**
 * Follows epsilon moves from `startPc` at `position` in priority order, adding the threads that
 * wait on a byte (or match) to `list`. The thread starts with the slots of row `row` of `from`
 * (all unset when `from` is null).
 */
function addThread(program: Program, scratch: Scratch, window: SearchWindow, list: ThreadList, startPc: number, from: ThreadList | null, row: number, position: number): void {
  const { ops, xs, ys, slotCount, takes, takeSets } = program;
  const { slots } = scratch;
  if (from === null) for (let slot = 0; slot < slotCount; slot++) slots[slot] = -1;
  else for (let slot = 0, at = row * slotCount; slot < slotCount; slot++) slots[slot] = from.slots[at + slot]!;
  // The byte the threads added here wait on: a closure that can neither take it nor match adds
  // nothing that lives (Program.takes; asked at every instruction visited, so with the word and
  // bit of the byte worked out once).
  const isByteKnown = position < window.limit;
  const byte = isByteKnown ? window.bytes[position - window.offset]! : 0;
  const word = byte >>> 5;
  const bit = byte & 31;
  frames.depth = 0;
  pushFrame(startPc, 0);
  while (frames.depth > 0) {
    let pc = frames.pcs[--frames.depth]!;
    if (pc < 0) {
      slots[-1 - pc] = frames.values[frames.depth]!;
      continue;
    }
    for (;;) {
      const takeRow = takes[pc]! * REACH_WORDS;
      if (isByteKnown && ((takeSets[takeRow + word]! >>> bit) & 1) === 0 && takeSets[takeRow + 8] === 0) break;
      if (!list.visit(pc)) break;
      const op = ops[pc]!;
      if (op === Op.Jump) {
        pc = xs[pc]!;
      } else if (op === Op.Split) {
        pushFrame(ys[pc]!, 0);
        pc = xs[pc]!;
      } else if (op === Op.Bytes || op === Op.Match) {
        for (let slot = 0, at = list.length * slotCount; slot < slotCount; slot++) list.slots[at + slot] = slots[slot]!;
        list.pcs[list.length++] = pc;
        break;
      } else {
        pc = followMarker(program, window, slots, pc, position);
        if (pc < 0) break;
      }
    }
  }
}

/** What a search learned about bytes beyond its window. */
export interface SearchProbe {
  /** Some thread was still alive at the window's limit (or a start's prefix ran past it): the result could change with more bytes. */
  reachedLimit: boolean;
  /** The capture groups whose starts {@link secretFrom} follows: one of them holds the secret. */
  secretGroups: readonly number[];
  /**
   * Where a match still alive at the limit can start its secret at the earliest: where one of
   * `secretGroups` began in its thread, or the limit if none has begun yet (a start whose prefix
   * ran past the limit counts from that start). Infinity when no thread reached the limit.
   */
  secretFrom: number;
}

/** Whether a match can start with the two bytes at `position` (true while the second is not in the window). */
function hasStartPair({ startPairRows, startPairSets }: Program, { bytes, offset, limit }: SearchWindow, position: number): boolean {
  if (position + 1 >= limit) return true;
  const second = bytes[position + 1 - offset]!;
  return ((startPairSets[startPairRows[bytes[position - offset]!]! * 8 + (second >>> 5)]! >>> (second & 31)) & 1) === 1;
}

/** Whether a match can start at `position`, by its first two bytes and its prefix; see {@link SearchProbe} for `probe`. */
function canStartAt(program: Program, window: SearchWindow, position: number, probe: SearchProbe | undefined): boolean {
  const { prefix } = program;
  const { bytes, offset } = window;
  if (!hasStartPair(program, window, position)) return false;
  const prefixLength = prefix.length >>> 3;
  const available = Math.min(prefixLength, window.limit - position);
  for (let j = 0; j < available; j++) {
    const byte = bytes[position + j - offset]!;
    if (((prefix[j * 8 + (byte >>> 5)]! >>> (byte & 31)) & 1) === 0) return false;
  }
  if (available === prefixLength) return true;
  if (probe && available >= 0) {
    probe.reachedLimit = true; // the prefix may complete in later bytes
    probe.secretFrom = Math.min(probe.secretFrom, position);
  }
  return false;
}

/**
 * Finds the leftmost-first match that starts in `[from, lastStart]` and lies inside the window
 * (the window must hold the byte before `from`, if any, for `^`/`\b`). Returns its slots (a new
 * array) or null. With `probe`, also says whether the answer depends on bytes past the window.
 * Allocates nothing but the slots it returns.
 */
export function searchProgram(program: Program, window: SearchWindow, from: number, lastStart: number, probe?: SearchProbe): Slots | null {
  if (probe === undefined) {
    const found = backtrackProgram(program, window, from, lastStart);
    if (found !== GAVE_UP) return found;
  }
  return pikeSearch(program, window, from, lastStart, probe);
}

/** The Pike VM's search: see {@link searchProgram}. Exported for the tests that hold the two searches to each other. */
export function pikeSearch(program: Program, window: SearchWindow, from: number, lastStart: number, probe?: SearchProbe): Slots | null {
  const { ops, setOf, sets, startBytes, slotCount } = program;
  const scratch = scratchFor(program);
  let current = scratch.current;
  let next = scratch.next;
  current.clear();
  next.clear();
  let matched = false;
  const bytes = window.bytes;
  const offset = window.offset;
  // Positions whose byte starts no match; the byte at the limit or past it is left to canStartAt.
  const skipEnd = Math.min(lastStart, window.limit - 1);
  if (probe) {
    probe.reachedLimit = false;
    probe.secretFrom = Infinity;
  }
  for (let position = from; ; position++) {
    let canStart: boolean;
    if (current.length === 0) {
      if (matched) break;
      // Nothing in flight: jump to the next position where a match can start.
      const skipFrom = position;
      for (;;) {
        while (position <= skipEnd && startBytes[bytes[position - offset]!] === 0) position++;
        if (position > lastStart) break;
        // The byte pair first, inline: most positions fail it.
        if (hasStartPair(program, window, position) && canStartAt(program, window, position, probe)) break;
        position++;
      }
      if (position > lastStart) break;
      if (position !== skipFrom) current.clear();
      canStart = true;
    } else {
      canStart = !matched && position <= lastStart && canStartAt(program, window, position, probe);
    }
    if (canStart) addThread(program, scratch, window, current, 0, null, 0, position);
    if (current.length === 0) {
      if (position >= lastStart || position >= window.limit) break;
      current.clear();
      continue;
    }
    if (position >= window.limit && probe) {
      probe.reachedLimit = true;
      for (let i = 0; i < current.length; i++) {
        let secretStart = window.limit;
        for (const group of probe.secretGroups) {
          const groupStart = current.slots[i * slotCount + group * 2]!;
          if (groupStart >= 0) secretStart = Math.min(secretStart, groupStart);
        }
        probe.secretFrom = Math.min(probe.secretFrom, secretStart);
      }
    }
    const byte = position < window.limit ? bytes[position - offset]! : -1;
    const word = byte >>> 5;
    const bit = byte & 31;
    // The byte after it, which a thread moved on to a Bytes instruction must be able to take.
    const isNextKnown = position + 1 < window.limit;
    const nextByte = isNextKnown ? bytes[position + 1 - offset]! : 0;
    const nextWord = nextByte >>> 5;
    const nextBit = nextByte & 31;
    for (let i = 0; i < current.length; i++) {
      const pc = current.pcs[i]!;
      if (ops[pc] === Op.Match) {
        for (let slot = 0, at = i * slotCount; slot < slotCount; slot++) scratch.matched[slot] = current.slots[at + slot]!;
        matched = true;
        break; // lower-priority threads can no longer win
      }
      if (byte < 0 || ((sets[setOf[pc]! * 8 + word]! >>> bit) & 1) === 0) continue;
      const target = pc + 1;
      if (ops[target] !== Op.Bytes) addThread(program, scratch, window, next, target, current, i, position + 1);
      else if ((!isNextKnown || ((sets[setOf[target]! * 8 + nextWord]! >>> nextBit) & 1) === 1) && next.visit(target)) {
        // A byte straight after a byte (a literal, the fixed copies of a repeat): no closure to follow.
        for (let slot = 0, to = next.length * slotCount, at = i * slotCount; slot < slotCount; slot++) next.slots[to + slot] = current.slots[at + slot]!;
        next.pcs[next.length++] = target;
      }
    }
    const stepped = next;
    next = current;
    current = stepped;
    next.clear();
  }
  scratch.current = current;
  scratch.next = next;
  return matched ? scratch.matched.slice(0, slotCount) : null;
}

/** What {@link backtrackProgram} returns when it leaves the search to the Pike VM. */
export const GAVE_UP: unique symbol = Symbol('gave up');

/**
 * How many (instruction, position) pairs one backtracking search may mark visited before it
 * gives up: past that the Pike VM, whose cost per byte does not depend on how the threads got
 * there, is the better bet. The bench corpora's searches mark at most a few hundred (p99: 13).
 */
const MAX_VISITS = 1 << 15;

/** Program.joins' count of a join instruction. */
const JOIN = 2;

/**
 * See {@link Program.joins}. One flat loop, no closure: it runs once per program at its first use,
 * before V8 optimises it. With a closure per move and a second pass it took 1.2-1.7x as long (the
 * first 120 programs of the secrets pack, 56,000 instructions, each in a fresh process: 3.4-7.2 ms
 * against 2.5-5.8). A move past the last instruction (none is: decodeProgram checks) counts nowhere.
 */
function joinsOf(ops: Uint8Array, xs: Int32Array, ys: Int32Array): Uint8Array {
  const incoming = new Uint8Array(ops.length + 1);
  for (let pc = 0; pc < ops.length; pc++) {
    const op = ops[pc]!;
    const first = op === Op.Split || op === Op.Jump ? xs[pc]! : op === Op.Match ? ops.length : pc + 1;
    if (incoming[first]! < JOIN) incoming[first]!++;
    if (op === Op.Split && incoming[ys[pc]!]! < JOIN) incoming[ys[pc]!]!++;
  }
  return incoming.subarray(0, ops.length);
}

/**
 * The visited (instruction, position) pairs of the search under way: an open-addressed set of
 * keys stamped with the search's generation, so that no search clears it.
 */
class VisitedSet {
  keys = new Int32Array(1 << 10);
  stamps = new Uint32Array(1 << 10);
  /** 32 - log2(the table's size): a key's slot is the top bits of its Fibonacci hash (the low bits of a product repeat with the key's). */
  shift = 22;
  generation = 0;
  count = 0;

  clear(): void {
    this.count = 0;
    if (++this.generation === 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  /** Marks `key` visited; false if it already was. */
  add(key: number): boolean {
    const mask = this.keys.length - 1;
    for (let slot = Math.imul(key, 0x9e3779b1) >>> this.shift; ; slot = (slot + 1) & mask) {
      if (this.stamps[slot] !== this.generation) {
        this.stamps[slot] = this.generation;
        this.keys[slot] = key;
        if (++this.count * 2 > this.keys.length) this.grow();
        return true;
      }
      if (this.keys[slot] === key) return false;
    }
  }

  private grow(): void {
    const { keys, stamps, generation } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.stamps = new Uint32Array(keys.length * 2);
    this.shift--;
    this.count = 0;
    for (let slot = 0; slot < keys.length; slot++) if (stamps[slot] === generation) this.add(keys[slot]!);
  }
}

/** The backtracker's visited set and slots, shared by every search (searches never nest). */
const backtracking = {
  visited: new VisitedSet(),
  slots: new Int32Array(16),
};

/**
 * The bounded backtracker: the match {@link pikeSearch} finds without a probe (the leftmost start
 * with a match; from it, the first match in priority order), found depth first: each start in
 * turn, the preferred move of every split first. Programs are acyclic (every epsilon move goes
 * forward) and a thread's fate from an instruction and a position depends on neither its slots
 * nor how it got there, so a pair explored once, from any start, has failed: each is explored at
 * most once (marked at join instructions, where two paths can first meet). It copies no slots
 * per thread and byte, as the Pike VM must. Returns the slots (a new array), null, or GAVE_UP
 * after MAX_VISITS marks or when the window is too wide for its keys.
 */
export function backtrackProgram(program: Program, window: SearchWindow, from: number, lastStart: number): Slots | null | typeof GAVE_UP {
  const { ops, xs, ys, setOf, sets, startBytes, slotCount, takes, takeSets, joins } = program;
  const { bytes, offset, limit } = window;
  const lastPosition = Math.min(lastStart, limit);
  const skipEnd = Math.min(lastStart, limit - 1);
  const stride = limit - from + 1;
  const visited = backtracking.visited;
  let slots = backtracking.slots;
  let isSetUp = false;
  for (let start = from; start <= lastPosition; start++) {
    if (start <= skipEnd && startBytes[bytes[start - offset]!] === 0) continue;
    // The byte pair first, inline, as the Pike VM's skip loop does: most positions fail it.
    if (!hasStartPair(program, window, start) || !canStartAt(program, window, start, undefined)) continue;
    // Set up at the first start the filters let through: many searches have none.
    if (!isSetUp) {
      if (ops.length * stride > 0x7fffffff) return GAVE_UP;
      visited.clear();
      if (slots.length < slotCount) {
        slots = new Int32Array(slotCount * 2);
        backtracking.slots = slots;
      }
      // Unset once: a start that fails has popped every frame, so its slots are back as they were.
      for (let slot = 0; slot < slotCount; slot++) slots[slot] = -1;
      isSetUp = true;
    }
    frames.depth = 0;
    pushFrame(0, start);
    while (frames.depth > 0) {
      if (visited.count > MAX_VISITS) return GAVE_UP;
      let pc = frames.pcs[--frames.depth]!;
      let position = frames.values[frames.depth]!;
      if (pc < 0) {
        slots[-1 - pc] = position;
        continue;
      }
      for (;;) {
        const op = ops[pc]!;
        if (op === Op.Bytes) {
          if (joins[pc] === JOIN && !visited.add(pc * stride + position - from)) break;
          if (position >= limit) break;
          const byte = bytes[position - offset]!;
          if (((sets[setOf[pc]! * 8 + (byte >>> 5)]! >>> (byte & 31)) & 1) === 0) break;
          pc++;
          position++;
          continue;
        }
        // A closure that can neither take the next byte nor match is dead (Program.takes): a
        // keyword list fails at its first split, not at each keyword's first byte.
        if (position < limit) {
          const byte = bytes[position - offset]!;
          const takeRow = takes[pc]! * REACH_WORDS;
          if (((takeSets[takeRow + (byte >>> 5)]! >>> (byte & 31)) & 1) === 0 && takeSets[takeRow + 8] === 0) break;
        }
        if (joins[pc] === JOIN && !visited.add(pc * stride + position - from)) break;
        if (op === Op.Match) return slots.slice(0, slotCount);
        if (op === Op.Save) {
          // Inline, not by followMarker: every start saves its match's start first.
          pushFrame(-1 - xs[pc]!, slots[xs[pc]!]!);
          slots[xs[pc]!] = position;
          pc++;
        } else if (op === Op.Split) {
          pushFrame(ys[pc]!, position);
          pc = xs[pc]!;
        } else if (op === Op.Jump) {
          pc = xs[pc]!;
        } else {
          pc = followMarker(program, window, slots, pc, position);
          if (pc < 0) break;
        }
      }
    }
  }
  return null;
}
