/**
 * The regex syntax tree every engine, the confirmer and the printers share. It is byte-level:
 * flags are already applied (case folding turned into byte sets, `.` resolved, anchors given
 * their mode), so a node means the same thing wherever it is read.
 */

/** A set of bytes, as 8 × 32-bit words (bit b of word b >>> 5). */
export type ByteSet = Uint32Array;

export type AssertionKind =
  | 'streamStart' // ^ without (?m), \A
  | 'streamEnd' // $ without (?m), \z
  | 'lineStart' // ^ with (?m): at offset 0 or after \n
  | 'lineEnd' // $ with (?m): at the end or before \n
  | 'wordBoundary' // \b, ASCII word bytes
  | 'notWordBoundary'; // \B

export type Node =
  | { readonly type: 'empty' }
  | { readonly type: 'bytes'; readonly set: ByteSet }
  | { readonly type: 'concat'; readonly items: readonly Node[] }
  | { readonly type: 'alt'; readonly items: readonly Node[] }
  /** `max` is Infinity for an unbounded repeat (only before capping). */
  | { readonly type: 'repeat'; readonly child: Node; readonly min: number; readonly max: number; readonly greedy: boolean }
  /** `index` is the capture group number, or null for a non-capturing group. */
  | { readonly type: 'group'; readonly index: number | null; readonly child: Node }
  | { readonly type: 'assert'; readonly kind: AssertionKind };

export function emptyByteSet(): ByteSet {
  return new Uint32Array(8);
}

export function hasByte(set: ByteSet, byte: number): boolean {
  return ((set[byte >>> 5]! >>> (byte & 31)) & 1) === 1;
}

export function addByte(set: ByteSet, byte: number): void {
  set[byte >>> 5]! |= 1 << (byte & 31);
}

export function addRange(set: ByteSet, from: number, to: number): void {
  for (let b = from; b <= to; b++) addByte(set, b);
}

export function byteSetOf(...ranges: ReadonlyArray<readonly [number, number]>): ByteSet {
  const set = emptyByteSet();
  for (const [from, to] of ranges) addRange(set, from, to);
  return set;
}

export function complement(set: ByteSet): ByteSet {
  const out = emptyByteSet();
  for (let i = 0; i < 8; i++) out[i] = ~set[i]! >>> 0;
  return out;
}

export function union(a: ByteSet, b: ByteSet): ByteSet {
  const out = emptyByteSet();
  for (let i = 0; i < 8; i++) out[i] = (a[i]! | b[i]!) >>> 0;
  return out;
}

export function byteSetSize(set: ByteSet): number {
  let n = 0;
  for (let word of set) {
    // Population count of one 32-bit word.
    word -= (word >>> 1) & 0x55555555;
    word = (word & 0x33333333) + ((word >>> 2) & 0x33333333);
    n += (((word + (word >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

/** The ranges of a set, in order: what printers iterate. */
export function byteRanges(set: ByteSet): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let b = 0;
  while (b < 256) {
    // A word of no byte at once: a literal's set has one byte in eight words (a rule's allowlist
    // of literals printed as JS source, on its first finding: ~3 ms for google-api-key's, bit by bit).
    if ((b & 31) === 0 && set[b >>> 5] === 0) {
      b += 32;
      continue;
    }
    if (!hasByte(set, b)) {
      b++;
      continue;
    }
    const from = b;
    while (b < 256 && hasByte(set, b)) b++;
    ranges.push([from, b - 1]);
  }
  return ranges;
}

/** ASCII classes of DESIGN §2: RE2 / Vectorscan without UTF-8 mode. */
export const WORD_BYTES = byteSetOf([0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0x5f, 0x5f]);
export const DIGIT_BYTES = byteSetOf([0x30, 0x39]);
export const SPACE_BYTES = byteSetOf([0x09, 0x0d], [0x20, 0x20]);
export const NEWLINE = 0x0a;
