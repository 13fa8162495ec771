/**
 * The holdback buffer: the bytes of one stream that are scanned but not yet emitted, plus one byte
 * of left context for the confirmer, and those appended but not scanned yet. A roll buffer: bytes
 * are appended at the end and dropped from the front; storage is compacted or grown only when an
 * append does not fit.
 *
 * Offsets:
 * - `base`: absolute offset of the first byte still kept.
 * - `scannedUpTo`: one past the last byte scanned ({@link markScanned}).
 * - `appendedUpTo`: one past the last byte appended; the bytes from `scannedUpTo` on are not
 *   scanned yet (an engine may be scanning them on another thread).
 * Memory is O(the chunks not scanned yet + the span the redactor holds back), whatever the
 * stream's length.
 */
import { findLastNewline } from '../newlines.js';

export class HoldbackBuffer {
  /** Starts small (SSE mode opens a redactor per event) and grows to what the stream needs. */
  private storage = new Uint8Array(256);
  /** Index in `storage` of the byte at `base`. */
  private head = 0;
  /** Bytes kept and scanned, from `head` on. */
  private length = 0;
  /** Bytes after those, appended but not scanned yet (see appendUnscanned). */
  private unscanned = 0;
  /** Absolute offset of the first byte kept. */
  base = 0;
  /** The offset after the last newline before `base` (for line/column). */
  private lineStartBeforeBase = 0;
  /** Absolute offset of the last newline scanned, or -1. */
  private lastNewlineOffset = -1;
  /**
   * A kept offset (or `base`) with its line and the offset its line starts at: lookups count from
   * it, forward or back to an earlier line, and dropping bytes moves it past them, so each byte is
   * counted once (counting the dropped bytes, then again from `base` for a lookup, made a `--json`
   * run count a CI log twice).
   */
  private lineCursor = { offset: 0, line: 1, lineStart: 0 };

  /** Without `countsLines`, newlines are not counted and lineAndColumn() may not be called. */
  constructor(private readonly countsLines = true) {}

  get scannedUpTo(): number {
    return this.base + this.length;
  }

  /** Absolute offset one past the last byte appended, scanned or not. */
  get appendedUpTo(): number {
    return this.base + this.length + this.unscanned;
  }

  /**
   * Appends `chunk` after everything kept, not counted as scanned until {@link markScanned}, so
   * that an engine can scan it on another thread. Moves the bytes kept unless {@link makeRoomFor}
   * made room for it: the caller appends only while no other thread reads them.
   */
  appendUnscanned(chunk: Uint8Array): void {
    this.makeRoomFor(chunk.length);
    this.storage.set(chunk, this.head + this.length + this.unscanned);
    this.unscanned += chunk.length;
  }

  /** Compacts or grows the storage, if need be, so that `bytes` more can be appended without moving what is kept. */
  makeRoomFor(bytes: number): void {
    const kept = this.length + this.unscanned;
    if (this.head + kept + bytes <= this.storage.length) return;
    const needed = kept + bytes;
    // Grown with room to spare: a stream of 1 MiB reads that keeps a few bytes back needs a bit
    // more than 1 MiB at every append, and fresh storage for each cost page faults and collections.
    const storage = needed > (this.storage.length * 3) / 4 ? new Uint8Array(Math.max(needed * 2, this.storage.length)) : this.storage;
    storage.set(this.storage.subarray(this.head, this.head + kept), 0);
    this.storage = storage;
    this.head = 0;
  }

  /** Counts the first `count` bytes appended unscanned as scanned. */
  markScanned(count: number): void {
    if (count <= 0) return;
    if (count > this.unscanned) throw new Error(`markScanned(${count}) with ${this.unscanned} bytes unscanned`);
    const newline = findLastNewline(this.storage.subarray(this.head + this.length, this.head + this.length + count));
    if (newline >= 0) this.lastNewlineOffset = this.base + this.length + newline;
    this.length += count;
    this.unscanned -= count;
  }

  /** Drops the bytes before absolute offset `offset` (no-op for bytes already dropped). */
  discardBefore(offset: number): void {
    const count = Math.min(offset - this.base, this.length);
    if (count <= 0) return;
    if (this.countsLines) {
      if (this.lineCursor.offset < this.base + count) this.moveLineCursor(this.base + count);
      const newline = findLastNewline(this.storage.subarray(this.head, this.head + count));
      if (newline >= 0) this.lineStartBeforeBase = this.base + newline + 1;
    }
    this.head += count;
    this.length -= count;
    this.base += count;
  }

  /** The bytes `[from, to)` (absolute, within what is kept, scanned or not), without copying. */
  view(from: number, to: number): Uint8Array {
    return this.storage.subarray(this.head + from - this.base, this.head + to - this.base);
  }

  /**
   * Absolute offset of the last newline in `[from, to)` (kept), or -1: the confirmer asks it for
   * every candidate, and a view to ask lastIndexOf of was most of the memory a run allocated.
   */
  lastNewlineIn(from: number, to: number): number {
    const storage = this.storage;
    const first = this.head + from - this.base;
    for (let i = this.head + to - this.base - 1; i >= first; i--) if (storage[i] === 0x0a) return i - this.head + this.base;
    return -1;
  }

  /** Absolute offset of the last newline in `[from, scannedUpTo)`, or -1. */
  lastNewline(from: number): number {
    return this.lastNewlineOffset >= from ? this.lastNewlineOffset : -1;
  }

  /** 1-based line and column (in bytes) of absolute offset `offset`, which must be kept. */
  lineAndColumn(offset: number): { line: number; column: number } {
    if (!this.countsLines) throw new Error('lineAndColumn() on a holdback buffer that does not count lines');
    const { line, lineStart } = this.moveLineCursor(offset);
    return { line, column: offset - lineStart + 1 };
  }

  /** Moves the line cursor to `offset` (kept, or the end of the bytes about to be dropped). */
  private moveLineCursor(offset: number): { line: number; lineStart: number } {
    let { offset: at, line, lineStart } = this.lineCursor;
    if (offset >= at) {
      const between = this.view(at, offset);
      const newline = findLastNewline(between);
      if (newline >= 0) {
        line += countNewlines(between);
        lineStart = at + newline + 1;
      }
    } else if (offset < lineStart) {
      // An earlier line: back over the newlines from `offset` to the cursor's line (none after its start).
      line -= countNewlines(this.view(offset, lineStart));
      const newline = findLastNewline(this.view(this.base, offset));
      lineStart = newline >= 0 ? this.base + newline + 1 : this.lineStartBeforeBase;
    }
    this.lineCursor = { offset, line, lineStart };
    return this.lineCursor;
  }
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) count++;
  return count;
}
