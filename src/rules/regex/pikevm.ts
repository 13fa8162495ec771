/**
 * The confirmer's matcher: a Pike VM (Thompson NFA simulation with thread priorities and capture
 * slots) over bytes. It returns the same leftmost-first match and groups as a backtracking JS
 * RegExp would, in time O(window × program size) for any pattern and input: no backtracking, so
 * no hostile rule or input can stall a stream (DESIGN §3.7).
 *
 * Programs are compiled from capped trees, so every repeat is finite and expanded into copies.
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

interface Instruction {
  op: Op;
  /** Bytes: the set; Split: preferred target; Jump: target; Save: slot; Assert: kind. */
  set?: ByteSet;
  x: number;
  y: number;
  kind?: AssertionKind;
}

/** A compiled pattern for {@link searchProgram}. */
export interface Program {
  readonly instructions: readonly Instruction[];
  /** 2 × (capture groups + 1). */
  readonly slotCount: number;
  /** Every match's first byte is in this set: other positions need no thread. */
  readonly firstBytes: ByteSet;
  /** Thread lists reused by every search on this program (searches never nest). */
  readonly scratch: [ThreadList, ThreadList];
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

class ThreadList {
  readonly pcs: Int32Array;
  readonly slots: Slots[];
  private readonly seen: Uint32Array;
  private generation = 1;
  length = 0;

  constructor(size: number) {
    this.pcs = new Int32Array(size);
    this.slots = new Array<Slots>(size);
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

  push(pc: number, slots: Slots): void {
    this.pcs[this.length] = pc;
    this.slots[this.length++] = slots;
  }
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

/** Compiles a capped tree (no Infinity repeats) with `groupCount` capture groups. */
export function compileProgram(ast: Node, groupCount: number): Program {
  const code: Instruction[] = [];
  const emit = (instruction: Instruction): number => code.push(instruction) - 1;
  const compile = (node: Node): void => {
    switch (node.type) {
      case 'empty':
        return;
      case 'bytes':
        emit({ op: Op.Bytes, set: node.set, x: 0, y: 0 });
        return;
      case 'assert':
        emit({ op: Op.Assert, kind: node.kind, x: 0, y: 0 });
        return;
      case 'group':
        if (node.index === null) return compile(node.child);
        emit({ op: Op.Save, x: node.index * 2, y: 0 });
        compile(node.child);
        emit({ op: Op.Save, x: node.index * 2 + 1, y: 0 });
        return;
      case 'concat':
        node.items.forEach(compile);
        return;
      case 'alt': {
        const jumps: Instruction[] = [];
        node.items.forEach((item, i) => {
          if (i < node.items.length - 1) {
            const split = code[emit({ op: Op.Split, x: 0, y: 0 })]!;
            split.x = code.length;
            compile(item);
            jumps.push(code[emit({ op: Op.Jump, x: 0, y: 0 })]!);
            split.y = code.length;
          } else {
            compile(item);
          }
        });
        for (const jump of jumps) jump.x = code.length;
        return;
      }
      case 'repeat': {
        if (node.max === Infinity) throw new Error('compileProgram needs a capped tree');
        const groups = groupSlotRange(node.child);
        const compileIteration = (): void => {
          if (groups) emit({ op: Op.Reset, x: groups[0], y: groups[1] });
          compile(node.child);
        };
        for (let i = 0; i < node.min; i++) compileIteration();
        // x{0,k} as nested optionals (x(x(x)?)?)?: once an optional copy is skipped, so are the rest.
        const splits: Instruction[] = [];
        for (let i = node.min; i < node.max; i++) {
          const split = code[emit({ op: Op.Split, x: 0, y: 0 })]!;
          splits.push(split);
          const body = code.length;
          compileIteration();
          if (node.greedy) split.x = body;
          else split.y = body;
        }
        for (const split of splits) {
          if (node.greedy) split.y = code.length;
          else split.x = code.length;
        }
        return;
      }
    }
  };
  emit({ op: Op.Save, x: 0, y: 0 });
  compile(ast);
  emit({ op: Op.Save, x: 1, y: 0 });
  emit({ op: Op.Match, x: 0, y: 0 });
  return {
    instructions: code,
    slotCount: (groupCount + 1) * 2,
    firstBytes: firstBytes(ast).set,
    scratch: [new ThreadList(code.length), new ThreadList(code.length)],
  };
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
export type Slots = Int32Array | number[];

function isWordAt(window: SearchWindow, position: number): boolean {
  if (position < window.offset || position >= window.limit) return false;
  return hasByte(WORD_BYTES, window.bytes[position - window.offset]!);
}

function assertionHolds(kind: AssertionKind, window: SearchWindow, position: number): boolean {
  const atEnd = position === window.limit && window.isStreamEnd;
  switch (kind) {
    case 'streamStart':
      return position === 0;
    case 'streamEnd':
      return atEnd;
    case 'lineStart':
      return position === 0 || (position > window.offset && window.bytes[position - 1 - window.offset] === 0x0a);
    case 'lineEnd':
      return atEnd || (position < window.limit && window.bytes[position - window.offset] === 0x0a);
    case 'wordBoundary':
      return isWordAt(window, position - 1) !== isWordAt(window, position);
    case 'notWordBoundary':
      return isWordAt(window, position - 1) === isWordAt(window, position);
  }
}

/**
 * Finds the leftmost-first match that starts in `[from, lastStart]` and lies inside the window
 * (the window must hold the byte before `from`, if any, for `^`/`\b`). Returns its slots or null.
 */
export function searchProgram(program: Program, window: SearchWindow, from: number, lastStart: number): Slots | null {
  const code = program.instructions;
  let [current, next] = program.scratch;
  current.clear();
  next.clear();
  let matched: Slots | null = null;

  // Follows epsilon moves from `pc` at `position` in priority order (explicit stack, no recursion).
  const addThread = (list: ThreadList, startPc: number, startSlots: Slots, position: number): void => {
    const stack: Array<[number, Slots]> = [[startPc, startSlots]];
    while (stack.length > 0) {
      let [pc, slots] = stack.pop()!;
      for (;;) {
        if (!list.visit(pc)) break;
        const instruction = code[pc]!;
        if (instruction.op === Op.Jump) {
          pc = instruction.x;
        } else if (instruction.op === Op.Split) {
          stack.push([instruction.y, slots]);
          pc = instruction.x;
        } else if (instruction.op === Op.Save) {
          slots = Array.from(slots);
          slots[instruction.x] = position;
          pc++;
        } else if (instruction.op === Op.Reset) {
          slots = Array.from(slots);
          for (let slot = instruction.x; slot < instruction.y; slot++) slots[slot] = -1;
          pc++;
        } else if (instruction.op === Op.Assert) {
          if (!assertionHolds(instruction.kind!, window, position)) break;
          pc++;
        } else {
          list.push(pc, slots);
          break;
        }
      }
    }
  };

  const emptySlots = new Array<number>(program.slotCount).fill(-1);
  for (let position = from; ; position++) {
    if (current.length === 0) {
      if (matched !== null) break;
      // Nothing in flight: jump to the next position whose byte can start a match.
      const skipFrom = position;
      while (position < lastStart && position < window.limit && !hasByte(program.firstBytes, window.bytes[position - window.offset]!)) position++;
      if (position !== skipFrom) current.clear();
    }
    if (matched === null && position <= lastStart) addThread(current, 0, emptySlots, position);
    if (current.length === 0) {
      if (position >= lastStart || position >= window.limit) break;
      current.clear();
      continue;
    }
    const byte = position < window.limit ? window.bytes[position - window.offset]! : -1;
    for (let i = 0; i < current.length; i++) {
      const pc = current.pcs[i]!;
      const instruction = code[pc]!;
      if (instruction.op === Op.Match) {
        matched = current.slots[i]!;
        break; // lower-priority threads can no longer win
      }
      if (byte >= 0 && hasByte(instruction.set!, byte)) addThread(next, pc + 1, current.slots[i]!, position + 1);
    }
    [current, next] = [next, current];
    next.clear();
  }
  return matched;
}
