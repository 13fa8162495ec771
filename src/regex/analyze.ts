/**
 * What the rule compiler derives from a tree: match widths, the cap that bounds every rule
 * (DESIGN §2), and the properties the engines and the confirmer rely on.
 */
import { NEWLINE, type Node, hasByte } from './ast.js';

export interface Widths {
  readonly min: number;
  /** Infinity while the tree has an unbounded repeat. */
  readonly max: number;
}

/** The smallest and largest number of bytes a match of `node` spans. */
export function widths(node: Node): Widths {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return { min: 0, max: 0 };
    case 'bytes':
      return { min: 1, max: 1 };
    case 'group':
      return widths(node.child);
    case 'concat':
      return node.items.map(widths).reduce((a, b) => ({ min: a.min + b.min, max: a.max + b.max }), { min: 0, max: 0 });
    case 'alt': {
      const each = node.items.map(widths);
      return { min: Math.min(...each.map((w) => w.min)), max: Math.max(...each.map((w) => w.max)) };
    }
    case 'repeat': {
      const child = widths(node.child);
      const max = node.max === 0 || child.max === 0 ? 0 : node.max * child.max;
      return { min: node.min * child.min, max };
    }
  }
}

/** Whether every match of `node` fills (matches something in) one of the capture groups `groups`. */
export function fillsOneOf(node: Node, groups: readonly number[]): boolean {
  switch (node.type) {
    case 'group':
      return (node.index !== null && groups.includes(node.index) && widths(node.child).min > 0) || fillsOneOf(node.child, groups);
    case 'concat':
      return node.items.some((item) => fillsOneOf(item, groups));
    case 'alt':
      return node.items.every((item) => fillsOneOf(item, groups));
    case 'repeat':
      return node.min > 0 && fillsOneOf(node.child, groups);
    default:
      return false;
  }
}

function countUnbounded(node: Node): number {
  switch (node.type) {
    case 'concat':
    case 'alt':
      return node.items.reduce((n, item) => n + countUnbounded(item), 0);
    case 'group':
      return countUnbounded(node.child);
    case 'repeat':
      return (node.max === Infinity ? 1 : 0) + countUnbounded(node.child);
    default:
      return 0;
  }
}

/** Caps each unbounded repeat so that its extra iterations add at most `share` bytes. */
function capWithShare(node: Node, share: number): Node {
  switch (node.type) {
    case 'concat':
    case 'alt':
      return { type: node.type, items: node.items.map((item) => capWithShare(item, share)) };
    case 'group':
      return { ...node, child: capWithShare(node.child, share) };
    case 'repeat': {
      const child = capWithShare(node.child, share);
      if (node.max !== Infinity) return { ...node, child };
      const childMax = widths(child).max;
      const extra = childMax === 0 ? 0 : Math.floor(share / childMax);
      return { ...node, child, max: node.min + extra };
    }
    default:
      return node;
  }
}

/** `widths(capWithShare(node, share)).max`, without building the capped tree (the search below tries many shares). */
function maxWidthWithShare(node: Node, share: number): number {
  switch (node.type) {
    case 'empty':
    case 'assert':
      return 0;
    case 'bytes':
      return 1;
    case 'group':
      return maxWidthWithShare(node.child, share);
    case 'concat': {
      let total = 0;
      for (const item of node.items) total += maxWidthWithShare(item, share);
      return total;
    }
    case 'alt': {
      let widest = 0;
      for (const item of node.items) widest = Math.max(widest, maxWidthWithShare(item, share));
      return widest;
    }
    case 'repeat': {
      const childMax = maxWidthWithShare(node.child, share);
      const count = node.max !== Infinity ? node.max : node.min + (childMax === 0 ? 0 : Math.floor(share / childMax));
      return count === 0 || childMax === 0 ? 0 : count * childMax;
    }
  }
}

/**
 * Bounds `node` so that no match is wider than `maxMatch` bytes: every unbounded repeat gets an
 * equal share of the bytes left over by the rest of the pattern; inner repeats are capped first,
 * so a nested `(a+)+` keeps its outer repeat at its minimum (which also defuses the classic
 * catastrophic-backtracking shapes). The result has no Infinity left, and `widths(result).max <=
 * maxMatch`. Returns null when the pattern is wider than `maxMatch` even at its minimum counts.
 */
export function capRepeats(node: Node, maxMatch: number): Node | null {
  const unbounded = countUnbounded(node);
  if (unbounded === 0) return widths(node).max <= maxMatch ? node : null;
  // The widest share that fits: a match's width grows with the share, so search for it (halving
  // from maxMatch / unbounded would leave a key block rule with half of --max-match).
  const fits = (share: number): boolean => maxWidthWithShare(node, share) <= maxMatch;
  if (!fits(0)) return null;
  let low = 0;
  let high = Math.floor(maxMatch / unbounded);
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return capWithShare(node, low);
}

/** Whether some match may contain a newline byte. */
export function canMatchNewline(node: Node): boolean {
  switch (node.type) {
    case 'bytes':
      return hasByte(node.set, NEWLINE);
    case 'concat':
    case 'alt':
      return node.items.some(canMatchNewline);
    case 'group':
      return canMatchNewline(node.child);
    case 'repeat':
      return node.max > 0 && canMatchNewline(node.child);
    default:
      return false;
  }
}

/** Whether the pattern looks at the byte after a match (`$`, `\b`, `\B`): such a match is decided one byte late. */
export function needsRightContext(node: Node): boolean {
  switch (node.type) {
    case 'assert':
      return node.kind !== 'streamStart' && node.kind !== 'lineStart';
    case 'concat':
    case 'alt':
      return node.items.some(needsRightContext);
    case 'group':
    case 'repeat':
      return needsRightContext(node.child);
    default:
      return false;
  }
}
