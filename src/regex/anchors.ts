/**
 * Anchors: the literals (at least three bytes, maybe case-folded, or a keyword alternation) that
 * every match of a rule contains. Engines track a rule only up to an anchor, or scan for its
 * anchor first, because a literal is rare in text where a byte class run is not.
 */
import { type ByteSet, type Node, byteSetSize, hasByte } from './ast.js';

/** A literal of this many bytes (maybe case-folded) anchors a rule. */
const ANCHOR_LENGTH = 3;

/** The items of a sequence, nested sequences spliced in. */
export function flatten(node: Node): Node[] {
  return node.type === 'concat' ? node.items.flatMap(flatten) : [node];
}

/**
 * The length of the shortest literal `node` can be, when it is one (narrow byte sets only, or an
 * alternation of such), or null.
 */
export function literalLength(node: Node): number | null {
  switch (node.type) {
    case 'empty':
      return 0;
    case 'bytes':
      return byteSetSize(node.set) <= 2 ? 1 : null;
    case 'concat': {
      let length = 0;
      for (const item of node.items) {
        const itemLength = literalLength(item);
        if (itemLength === null) return null;
        length += itemLength;
      }
      return length;
    }
    case 'alt': {
      const lengths = node.items.map(literalLength);
      return lengths.some((length) => length === null) ? null : Math.min(...(lengths as number[]));
    }
    default:
      return null;
  }
}

/** Whether every match of `node` contains a literal of ANCHOR_LENGTH bytes. */
function isAnchor(node: Node): boolean {
  if (node.type === 'alt') return node.items.every(isAnchor);
  return findAnchor(flatten(node), 'last') !== null;
}

/** A literal this long anchors a rule when nothing comes before it (`SK`, `sq`): a token prefix. */
const START_ANCHOR_LENGTH = 2;

/**
 * Whether a short literal is rare enough in text to anchor on: it has an upper-case letter (`SK`,
 * `AT`). Two lower-case letters or digits (`sq`, `00`) occur inside ordinary words and numbers.
 */
function isDistinctive(items: readonly Node[]): boolean {
  return items.some(
    (item) => item.type === 'bytes' && byteSetSize(item.set) === 1 && hasByte(item.set, firstByte(item.set)) && firstByte(item.set) >= 0x41 && firstByte(item.set) <= 0x5a,
  );
}

/** Bytes that ordinary text and code almost never contain: `Q~` anchors a rule anywhere. */
const RARE_BYTES = new Set([0x7e, 0x60, 0x5e, 0x7c]); // ~ ` ^ |

export function hasRareByte(items: readonly Node[]): boolean {
  return items.some((item) => item.type === 'bytes' && byteSetSize(item.set) === 1 && RARE_BYTES.has(firstByte(item.set)));
}

function firstByte(set: ByteSet): number {
  for (let byte = 0; byte < 256; byte++) if (hasByte(set, byte)) return byte;
  return -1;
}

/** The items from the first to the last of an anchor, as indexes into a sequence. */
export interface AnchorRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where an anchor of a sequence lies, or null: the last one, or the first one (its literal run
 * taken whole: `-----BEGIN`, not `---`).
 */
export function findAnchor(items: readonly Node[], which: 'first' | 'last'): AnchorRange | null {
  let run = 0;
  let runStart = 0;
  let atStart = true;
  let anchor: AnchorRange | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const length = literalLength(item);
    if (length === null) atStart = false;
    if (length === null) run = 0;
    else {
      if (run === 0) runStart = i;
      run += length;
    }
    const isShortAnchor = run >= START_ANCHOR_LENGTH && literalLength(items[i + 1] ?? { type: 'empty' }) === null;
    if (run >= ANCHOR_LENGTH || (isShortAnchor && ((atStart && isDistinctive(items.slice(0, i + 1))) || hasRareByte(items.slice(runStart, i + 1))))) {
      anchor = { start: runStart, end: i };
    } else if (length === null && item.type === 'alt' && isAnchor(item)) {
      anchor = { start: i, end: i };
    }
    if (which === 'first' && anchor !== null && anchor.end < i) return anchor;
  }
  return anchor;
}
