/**
 * The position (Glushkov) automaton of a rule set: one state per byte-set occurrence, no epsilon
 * moves, so a DFA state is just a set of positions and "no position" means no match is in flight.
 *
 * It is built from a relaxed copy of each rule: assertions become empty (but `$`, see below) and
 * large counted repeats become unbounded ones. The relaxed language contains the rule's, so the automaton reports every
 * end of a real match (and some more: the confirmer drops those).
 */
import { type ByteSet, type Node, emptyByteSet, hasByte } from '../../rules/regex/ast.js';

/**
 * Counted repeats stay exact only when small. Larger ones become `x{k,}` with k at most
 * MAX_COUNTED_PREFIX: exact counts of the same byte class in several rules multiply into a huge
 * number of DFA states, while the confirmer checks counts anyway.
 */
const MAX_EXACT_REPEAT = 4;
const MAX_COUNTED_PREFIX = 8;
const MAX_EXPANDED_POSITIONS = 64;

export interface PositionAutomaton {
  /** The byte set each position consumes. */
  readonly sets: readonly ByteSet[];
  /** For each position, the positions that may follow it. */
  readonly follow: readonly Int32Array[];
  /** For each position, the rule index whose match ends there, or -1. */
  readonly acceptsRule: Int32Array;
  /** For each byte, the positions a match may start with on that byte. */
  readonly startsOn: readonly Int32Array[];
  /**
   * For each position, the rule that matches there if the stream ends right after it, or -1. `$`
   * (end of stream) becomes a marker position no byte enters; its predecessors accept at the end.
   */
  readonly acceptsAtEnd: Int32Array;
}

function countPositions(node: Node): number {
  switch (node.type) {
    case 'bytes':
      return 1;
    case 'concat':
    case 'alt':
      return node.items.reduce((n, item) => n + countPositions(item), 0);
    case 'group':
      return countPositions(node.child);
    case 'repeat':
      return countPositions(node.child) * (node.max === Infinity ? Math.max(node.min, 1) : node.max);
    default:
      return 0;
  }
}

/** A superset of `node`'s language with few enough positions to expand. */
export function relax(node: Node): Node {
  switch (node.type) {
    case 'assert':
      return node.kind === 'streamEnd' ? node : { type: 'empty' };
    case 'concat':
    case 'alt':
      return { type: node.type, items: node.items.map(relax) };
    case 'group':
      return relax(node.child);
    case 'repeat': {
      const child = relax(node.child);
      const size = Math.max(countPositions(child), 1);
      if (node.max <= MAX_EXACT_REPEAT && node.max * size <= MAX_EXPANDED_POSITIONS) return { ...node, child };
      const budget = Math.min(MAX_COUNTED_PREFIX, Math.floor(MAX_EXPANDED_POSITIONS / size));
      const min = node.min === 0 ? 0 : Math.max(1, Math.min(node.min, budget));
      return { type: 'repeat', child, min, max: Infinity, greedy: true };
    }
    default:
      return node;
  }
}

interface Fragment {
  readonly first: number[];
  readonly last: number[];
  readonly nullable: boolean;
}

/** Builds the automaton of `rules` (relaxed trees, in rule-index order). */
export function buildPositionAutomaton(rules: ReadonlyArray<{ readonly index: number; readonly ast: Node }>): PositionAutomaton {
  const sets: ByteSet[] = [];
  const follow: Array<Set<number>> = [];
  const acceptsRule: number[] = [];
  const starts: number[] = [];
  const endMarkers = new Set<number>();

  const link = (from: readonly number[], to: readonly number[]): void => {
    for (const p of from) for (const q of to) follow[p]!.add(q);
  };
  const seq = (a: Fragment, b: Fragment): Fragment => {
    link(a.last, b.first);
    return {
      first: a.nullable ? [...a.first, ...b.first] : a.first,
      last: b.nullable ? [...a.last, ...b.last] : b.last,
      nullable: a.nullable && b.nullable,
    };
  };
  const EMPTY: Fragment = { first: [], last: [], nullable: true };

  const newPosition = (set: ByteSet): number => {
    follow.push(new Set());
    acceptsRule.push(-1);
    return sets.push(set) - 1;
  };

  // Each call creates fresh positions, so calling it twice on a node makes two copies.
  const build = (node: Node): Fragment => {
    switch (node.type) {
      case 'empty':
        return EMPTY;
      case 'assert': {
        // Only `$` is left by relax(): a marker position with an empty byte set.
        const p = newPosition(emptyByteSet());
        endMarkers.add(p);
        return { first: [p], last: [p], nullable: false };
      }
      case 'bytes': {
        const p = newPosition(node.set);
        return { first: [p], last: [p], nullable: false };
      }
      case 'group':
        return build(node.child);
      case 'concat':
        return node.items.map(build).reduce(seq, EMPTY);
      case 'alt': {
        const parts = node.items.map(build);
        return {
          first: parts.flatMap((f) => f.first),
          last: parts.flatMap((f) => f.last),
          nullable: parts.some((f) => f.nullable),
        };
      }
      case 'repeat': {
        let result = EMPTY;
        const mandatory = node.max === Infinity ? Math.max(node.min - 1, 0) : node.min;
        for (let i = 0; i < mandatory; i++) result = seq(result, build(node.child));
        if (node.max === Infinity) {
          const loop = build(node.child);
          link(loop.last, loop.first);
          result = seq(result, node.min === 0 ? { ...loop, nullable: true } : loop);
        } else {
          // Optional copies: each may be followed by the next, or end the repeat.
          let optional = EMPTY;
          for (let i = node.min; i < node.max; i++) {
            const copy = build(node.child);
            optional = i === node.min ? { ...copy, nullable: true } : { ...seq(optional, copy), last: [...optional.last, ...copy.last], nullable: true };
          }
          result = seq(result, optional);
        }
        return result;
      }
    }
  };

  for (const rule of rules) {
    const fragment = build(relax(rule.ast));
    for (const p of fragment.last) acceptsRule[p] = rule.index;
    starts.push(...fragment.first);
  }

  const acceptsAtEnd = new Int32Array(sets.length).fill(-1);
  follow.forEach((targets, p) => {
    for (const q of targets) if (endMarkers.has(q) && acceptsRule[q]! >= 0) acceptsAtEnd[p] = acceptsRule[q]!;
  });
  for (const p of endMarkers) acceptsRule[p] = -1;

  const startsOn: Int32Array[] = [];
  for (let byte = 0; byte < 256; byte++) {
    startsOn.push(Int32Array.from(starts.filter((p) => hasByte(sets[p]!, byte))));
  }
  return {
    sets,
    follow: follow.map((targets) => Int32Array.from(targets)),
    acceptsRule: Int32Array.from(acceptsRule),
    startsOn,
    acceptsAtEnd,
  };
}
