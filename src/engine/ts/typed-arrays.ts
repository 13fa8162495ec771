/**
 * Typed arrays as the ts engine's caches store them (./automaton-cache.ts, ./dfa-cache.ts): as
 * little-endian bytes, lists of int32 flattened, and the range checks that decide whether what an
 * entry holds can be used.
 */
import { endianness } from 'node:os';

const EMPTY = new Int32Array(0);

// Typed arrays use the host's byte order; entries are little-endian. On a little-endian host (all
// that Node runs on in practice) the bytes are copied as they are: a value at a time through a
// DataView took ~10 ms of every warm ts start.
const IS_LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** The arrays as little-endian bytes (int32 or uint16 each), an array each: views of the arrays themselves on a little-endian host, copies elsewhere. */
export function toBytes(arrays: ReadonlyArray<Int32Array | Uint16Array>): Uint8Array[] {
  return arrays.map((array) => {
    if (IS_LITTLE_ENDIAN_HOST) return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    const bytes = new Uint8Array(array.byteLength);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < array.length; i++) {
      if (array.BYTES_PER_ELEMENT === 4) view.setInt32(4 * i, array[i]!, true);
      else view.setUint16(2 * i, array[i]!, true);
    }
    return bytes;
  });
}

/**
 * Little-endian bytes (a whole number of `type`'s elements) as an array: a view of `data` where it
 * is aligned on a little-endian host (a cache entry as read is), else a copy.
 */
export function fromBytes<T extends Int32Array | Uint16Array>(
  data: Uint8Array,
  type: { new (length: number): T; new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number },
): T {
  const size = type.BYTES_PER_ELEMENT;
  if (IS_LITTLE_ENDIAN_HOST && data.byteOffset % size === 0) return new type(data.buffer, data.byteOffset, data.length / size);
  const all = new type(data.length / size);
  if (IS_LITTLE_ENDIAN_HOST) {
    new Uint8Array(all.buffer).set(data);
  } else {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < all.length; i++) all[i] = size === 4 ? view.getInt32(i * 4, true) : view.getUint16(i * 2, true);
  }
  return all;
}

/** Lists of int32 as offsets (length + 1) and values, concatenated. */
export function flattenLists(lists: readonly Int32Array[]): [Int32Array, Int32Array] {
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((list, i) => {
    offsets[i + 1] = offsets[i]! + list.length;
  });
  const values = new Int32Array(offsets[lists.length]!);
  lists.forEach((list, i) => values.set(list, offsets[i]!));
  return [offsets, values];
}

/** The lists of {@link flattenLists} again, as views of `values` (one shared empty array for every empty list); null if the offsets do not fit them. */
export function listsOf(offsets: Int32Array, values: Int32Array): Int32Array[] | null {
  const lists: Int32Array[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    if (start < 0 || end < start || end > values.length) return null;
    lists.push(start === end ? EMPTY : values.subarray(start, end));
  }
  return lists;
}

/** Whether `offsets` start at 0, never go down, and end at `length`. */
export function isOffsets(offsets: Int32Array, length: number): boolean {
  if (offsets[0] !== 0 || offsets[offsets.length - 1] !== length) return false;
  for (let i = 1; i < offsets.length; i++) if (offsets[i]! < offsets[i - 1]!) return false;
  return true;
}

/** Whether every value of `array` is in `[from, to)`. */
export function everyIn(array: Int32Array, from: number, to: number): boolean {
  for (let i = 0; i < array.length; i++) if (array[i]! < from || array[i]! >= to) return false;
  return true;
}
