/**
 * A set of literal byte strings matched leftmost-longest, non-overlapping: at each start the
 * longest string that matches there wins, and the search resumes at its end. That is what a
 * global JS RegExp over their alternation, longest first, finds (the oracle's reading of a literal
 * set, test/oracle.ts), without compiling an alternation of 100k branches.
 *
 * Layout (typed arrays, no object per string): the strings sorted in byte order and packed into
 * one Uint8Array with their offsets, and an open-addressing hash table from each string's first
 * four bytes to the range of strings that start with them (sorted strings sharing a prefix are
 * contiguous), behind a bit filter on the same four bytes. A start costs one filter bit and
 * rarely a table probe; a hit narrows the range byte by byte, like a walk
 * down a trie whose nodes are ranges of the sorted array. Every string is at least
 * {@link MIN_LITERAL_LENGTH} bytes long.
 *
 * Why not Aho-Corasick: 100k vault values with their encoded forms are ~500k strings and ~20 MB
 * of bytes that share almost no prefix (random tokens), so a trie has a node per byte, each with
 * a failure link and a child list: 10+ bytes a node, 250 MB or more. Here a byte costs a byte.
 * What Aho-Corasick gives besides (no rescan of a start's bytes) matters little: a start is
 * rescanned only past a four-byte prefix that some string has.
 *
 * Memory: the strings' bytes, 4 bytes of offset per string, 12 bytes per table slot (at most
 * 4 per distinct 4-byte prefix) and a filter of 4 bytes per distinct prefix (2 MB at most); e.g.
 * ~40 MB for 100k literals with their encoded forms.
 *
 * @example
 *   const set = buildLiteralAutomaton(['hunter2-prod', 'hunter2-prod-9x']);
 *   const text = Buffer.from('x hunter2-prod-9x y');
 *   set.scan(text, 0, text.length, true, (start, end) => console.log(start, end)); // 2 17
 */

/** The shortest string a set may hold: the hash table keys on the first four bytes. */
const MIN_LITERAL_LENGTH = 4;

/** longestAt's answer when the bytes given end before the longest match at a start is decided. */
const UNDECIDED = -1;

/** Multiplier of the table's hash (Fibonacci hashing: the top bits of key * 2^32 / phi). */
const HASH = 0x9e3779b1;
/** Multiplier of the filter's hash: odd, and unrelated to HASH, so that filter and table collide apart. */
const FILTER_HASH = 0x85ebca6b;

export class LiteralAutomaton {
  /** The strings, sorted in byte order and deduplicated, end to end. */
  private readonly bytes: Uint8Array;
  /** String i is `bytes[offsets[i], offsets[i + 1])`. */
  private readonly offsets: Int32Array;
  /** Table slot -> first four bytes (big-endian), and the range [rangeStarts, rangeEnds) of strings with them; rangeEnds 0 = empty slot. */
  private readonly keys: Uint32Array;
  private readonly rangeStarts: Int32Array;
  private readonly rangeEnds: Int32Array;
  private readonly shift: number;
  private readonly mask: number;
  /**
   * A bit per hash of a first-four-bytes key (another hash than the table's), set for the keys
   * of the strings: ~3% of bits set, so nearly every start is ruled out by one bit in a bitmap
   * of at most 2 MB (the table, 12 MB for 100k literals, is a cache miss or two per probe).
   */
  private readonly filter: Int32Array;
  private readonly filterShift: number;
  readonly count: number;
  readonly minLength: number;
  readonly maxLength: number;
  /** Whether some string holds a newline byte. */
  readonly hasNewline: boolean;

  /** `bytes` and `offsets`: strings sorted in byte order, distinct, each at least MIN_LITERAL_LENGTH long, at least one. */
  constructor(bytes: Uint8Array, offsets: Int32Array) {
    this.bytes = bytes;
    this.offsets = offsets;
    this.count = offsets.length - 1;
    let minLength = Infinity;
    let maxLength = 0;
    for (let i = 0; i < this.count; i++) {
      const length = offsets[i + 1]! - offsets[i]!;
      minLength = Math.min(minLength, length);
      maxLength = Math.max(maxLength, length);
    }
    this.minLength = minLength;
    this.maxLength = maxLength;
    this.hasNewline = bytes.includes(0x0a);

    const stringKeys = new Uint32Array(this.count);
    let distinct = 0;
    for (let i = 0; i < this.count; i++) {
      stringKeys[i] = this.keyOf(i);
      if (i === 0 || stringKeys[i] !== stringKeys[i - 1]) distinct++;
    }
    let size = 16;
    while (size < distinct * 2) size *= 2;
    this.shift = 32 - Math.log2(size);
    this.mask = size - 1;
    let filterBits = 1 << 10;
    while (filterBits < distinct * 32 && filterBits < 1 << 24) filterBits *= 2;
    this.filter = new Int32Array(filterBits >>> 5);
    this.filterShift = 32 - Math.log2(filterBits);
    this.keys = new Uint32Array(size);
    this.rangeStarts = new Int32Array(size);
    this.rangeEnds = new Int32Array(size);
    for (let i = 0; i < this.count; ) {
      const key = stringKeys[i]!;
      let end = i + 1;
      while (end < this.count && stringKeys[end] === key) end++;
      let slot = Math.imul(key, HASH) >>> this.shift;
      while (this.rangeEnds[slot] !== 0) slot = (slot + 1) & this.mask;
      const bit = Math.imul(key, FILTER_HASH) >>> this.filterShift;
      this.filter[bit >>> 5]! |= 1 << (bit & 31);
      this.keys[slot] = key;
      this.rangeStarts[slot] = i;
      this.rangeEnds[slot] = end;
      i = end;
    }
  }

  /** String `i`'s bytes (a view). */
  string(i: number): Uint8Array {
    return this.bytes.subarray(this.offsets[i], this.offsets[i + 1]);
  }

  private keyOf(i: number): number {
    const at = this.offsets[i]!;
    const b = this.bytes;
    return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  /**
   * Finds the matches that start in `[from, to)` of `data`, leftmost-longest and non-overlapping,
   * reporting each as `onMatch(start, end)` (indexes into `data`). Returns where the search stopped:
   * the first start not decided, because a string could still match there with bytes after
   * `data` (never with `isEnd`: then nothing follows `data`), or a position at or after `to`.
   */
  scan(data: Uint8Array, from: number, to: number, isEnd: boolean, onMatch: (start: number, end: number) => void): number {
    const { keys, rangeEnds, shift, mask, filter, filterShift } = this;
    const lastKeyed = data.length - MIN_LITERAL_LENGTH;
    let p = from;
    while (p < to) {
      if (p > lastKeyed) {
        // Fewer bytes than any string: only the bytes after `data` decide whether one starts here.
        if (!isEnd && this.isPrefix(data, p)) return p;
        p++;
        continue;
      }
      const stop = Math.min(to, lastKeyed + 1);
      let key = ((data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!) >>> 0;
      let slot = -1;
      // The hot loop: one filter bit per start, nearly always clear; a probe when it is set.
      for (;;) {
        const bit = Math.imul(key, FILTER_HASH) >>> filterShift;
        if ((filter[bit >>> 5]! & (1 << (bit & 31))) !== 0) {
          let probe = Math.imul(key, HASH) >>> shift;
          while (rangeEnds[probe] !== 0) {
            if (keys[probe] === key) {
              slot = probe;
              break;
            }
            probe = (probe + 1) & mask;
          }
        }
        if (slot >= 0 || ++p >= stop) break;
        key = ((key << 8) | data[p + 3]!) >>> 0;
      }
      if (slot < 0) continue;
      const length = this.longestAt(slot, data, p, isEnd);
      if (length === UNDECIDED) return p;
      if (length === 0) {
        p++;
      } else {
        onMatch(p, p + length);
        p += length;
      }
    }
    return p;
  }

  /**
   * The length of the longest string at `data[p...]` among the range in table slot `slot` (the
   * strings whose first four bytes are there), 0 for none, UNDECIDED when `data` ends too soon.
   */
  private longestAt(slot: number, data: Uint8Array, p: number, isEnd: boolean): number {
    const offsets = this.offsets;
    let low = this.rangeStarts[slot]!;
    let high = this.rangeEnds[slot]!;
    let best = 0;
    // Invariant: strings [low, high) all start with data[p, p + depth).
    for (let depth = MIN_LITERAL_LENGTH; ; depth++) {
      // A string of exactly `depth` bytes sorts first among those sharing its prefix.
      if (offsets[low + 1]! - offsets[low]! === depth) {
        best = depth;
        low++;
      }
      if (low >= high) return best;
      const at = p + depth;
      if (at >= data.length) return isEnd ? best : UNDECIDED;
      if (high - low === 1) return this.restOf(low, depth, data, at, best, isEnd);
      const byte = data[at]!;
      low = this.firstWithByteAtLeast(low, high, depth, byte);
      high = this.firstWithByteAtLeast(low, high, depth, byte + 1);
      if (low >= high) return best;
    }
  }

  /** longestAt for a range of one string `i`, which matches `data` up to `at` (its byte `depth`). */
  private restOf(i: number, depth: number, data: Uint8Array, at: number, best: number, isEnd: boolean): number {
    const { bytes } = this;
    const end = this.offsets[i + 1]!;
    let k = this.offsets[i]! + depth;
    let q = at;
    while (k < end && q < data.length && bytes[k] === data[q]) {
      k++;
      q++;
    }
    if (k === end) return end - this.offsets[i]!;
    if (q === data.length) return isEnd ? best : UNDECIDED;
    return best;
  }

  /** The first string in `[low, high)` (which share their first `depth` bytes, all longer) whose byte `depth` is >= `byte`. */
  private firstWithByteAtLeast(low: number, high: number, depth: number, byte: number): number {
    const { bytes, offsets } = this;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (bytes[offsets[middle]! + depth]! < byte) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Whether `data[p...]` is the beginning of some string (binary search in the sorted strings). */
  private isPrefix(data: Uint8Array, p: number): boolean {
    const { bytes, offsets } = this;
    const length = data.length - p;
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareWithPrefix(bytes, offsets[middle]!, offsets[middle + 1]!, data, p, length) < 0) low = middle + 1;
      else high = middle;
    }
    // The first string >= the query starts with it, if any string does.
    return low < this.count && compareWithPrefix(bytes, offsets[low]!, offsets[low + 1]!, data, p, length) === 0;
  }
}

/** Compares string `bytes[start, end)` cut to `length` bytes with `data[p, p + length)`: <0, 0 (the string starts with it), >0. */
function compareWithPrefix(bytes: Uint8Array, start: number, end: number, data: Uint8Array, p: number, length: number): number {
  for (let k = 0; k < length; k++) {
    if (start + k >= end) return -1;
    const difference = bytes[start + k]! - data[p + k]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Strings packed end to end as they come: string i is `bytes[offsets[i], offsets[i + 1])`. */
interface Packed {
  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
}

function pack(strings: Iterable<string>): Packed {
  let bytes = Buffer.alloc(1 << 16);
  let offsets = new Int32Array(1 << 12);
  let count = 0;
  for (const string of strings) {
    if (string.length < MIN_LITERAL_LENGTH) throw new RangeError(`a literal shorter than ${MIN_LITERAL_LENGTH} bytes`);
    const at = offsets[count]!;
    if (at + string.length > bytes.length) {
      const grown = Buffer.alloc(Math.max(bytes.length * 2, at + string.length));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
    }
    if (count + 2 > offsets.length) {
      const grown = new Int32Array(offsets.length * 2);
      grown.set(offsets);
      offsets = grown;
    }
    offsets[++count] = at + bytes.write(string, at, 'latin1');
  }
  return { bytes: bytes.subarray(0, offsets[count]), offsets: offsets.subarray(0, count + 1) };
}

/**
 * The order of the strings of `packed` (byte order, shorter first on a common prefix): a
 * multikey quicksort (Bentley and Sedgewick) on their indexes, with an explicit stack, as long
 * shared prefixes would nest too deep for recursion. Sorting 500k JS strings takes seconds.
 */
function sortedOrder({ bytes, offsets }: Packed): Int32Array {
  const count = offsets.length - 1;
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const byteAt = (i: number, depth: number): number => {
    const at = offsets[i]! + depth;
    return at < offsets[i + 1]! ? bytes[at]! : -1;
  };
  const stack = [0, count, 0];
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const high = stack.pop()!;
    const low = stack.pop()!;
    if (high - low < 12) {
      for (let i = low + 1; i < high; i++) {
        const item = order[i]!;
        let j = i;
        while (j > low && compareFrom(bytes, offsets, order[j - 1]!, item, depth) > 0) {
          order[j] = order[j - 1]!;
          j--;
        }
        order[j] = item;
      }
      continue;
    }
    const a = byteAt(order[low]!, depth);
    const b = byteAt(order[(low + high) >>> 1]!, depth);
    const c = byteAt(order[high - 1]!, depth);
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    // Three-way partition: [low, less) below the pivot, [less, more) equal, [more, high) above.
    let less = low;
    let more = high;
    for (let i = low; i < more; ) {
      const byte = byteAt(order[i]!, depth);
      if (byte < pivot) swap(order, i++, less++);
      else if (byte > pivot) swap(order, i, --more);
      else i++;
    }
    stack.push(low, less, depth, more, high, depth);
    if (pivot >= 0) stack.push(less, more, depth + 1);
  }
  return order;
}

function swap(order: Int32Array, i: number, j: number): void {
  const item = order[i]!;
  order[i] = order[j]!;
  order[j] = item;
}

/** Compares strings `a` and `b` of a packed set from byte `depth` on (they agree before it). */
function compareFrom(bytes: Uint8Array, offsets: Int32Array, a: number, b: number, depth: number): number {
  const aStart = offsets[a]!;
  const bStart = offsets[b]!;
  const aLength = offsets[a + 1]! - aStart;
  const bLength = offsets[b + 1]! - bStart;
  const length = Math.min(aLength, bLength);
  for (let k = depth; k < length; k++) {
    const difference = bytes[aStart + k]! - bytes[bStart + k]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

/**
 * The automaton over `strings` (latin1: one char per byte; any order, duplicates allowed).
 * Memory while building: the strings packed twice (as they come, then sorted) and 8 bytes per
 * string. Throws RangeError on a string shorter than MIN_LITERAL_LENGTH or an empty set: the rule
 * loaders refuse those first, with a message naming the list.
 */
export function buildLiteralAutomaton(strings: Iterable<string>): LiteralAutomaton {
  const packed = pack(strings);
  const order = sortedOrder(packed);
  if (order.length === 0) throw new RangeError('a literal set needs at least one string');
  const bytes = new Uint8Array(packed.bytes.length);
  const offsets = new Int32Array(order.length + 1);
  let count = 0;
  let previous = -1;
  for (const i of order) {
    if (previous >= 0 && compareFrom(packed.bytes, packed.offsets, previous, i, 0) === 0) continue;
    // A byte loop: a subarray per string costs more than the copy.
    let at = offsets[count]!;
    for (let k = packed.offsets[i]!, end = packed.offsets[i + 1]!; k < end; k++) bytes[at++] = packed.bytes[k]!;
    offsets[++count] = at;
    previous = i;
  }
  return new LiteralAutomaton(bytes.subarray(0, offsets[count]), offsets.subarray(0, count + 1));
}
