/**
 * Newline searches by Node's Buffer search (memchr and memrchr), for bytes where a search may run
 * long: TypedArray.prototype.indexOf and lastIndexOf test one byte at a time, 366 and 458 us over a
 * MiB with no newline (one long line, a minified bundle) against 12 and 13 here. Over a few bytes
 * they are the faster (~95 ns a call against ~150): keep them where a newline is always near.
 */

const NEWLINE = 0x0a;
const bufferIndexOf = Buffer.prototype.indexOf;
const bufferLastIndexOf = Buffer.prototype.lastIndexOf;

/** Index of the first newline in `bytes`, or -1. */
export function findNewline(bytes: Uint8Array): number {
  return bufferIndexOf.call(bytes as Buffer, NEWLINE);
}

/** Index of the last newline in `bytes`, or -1. */
export function findLastNewline(bytes: Uint8Array): number {
  return bufferLastIndexOf.call(bytes as Buffer, NEWLINE);
}
