/**
 * The holdback buffer: the bytes of one stream that are scanned but not yet emitted, plus one byte
 * of left context for the confirmer. A roll buffer: bytes are appended at the end and dropped from
 * the front; storage is compacted or grown only when an append does not fit.
 *
 * Offsets:
 * - `base`: absolute offset of the first byte still kept.
 * - `scannedUpTo`: absolute offset one past the last byte appended (everything is scanned on append).
 * Memory is O(chunk + the span the redactor holds back), whatever the stream's length.
 */
export class HoldbackBuffer {
  /** Starts small (SSE mode opens a redactor per event) and grows to what the stream needs. */
  private storage = new Uint8Array(256);
  /** Index in `storage` of the byte at `base`. */
  private head = 0;
  private length = 0;
  /** Absolute offset of the first byte kept. */
  base = 0;
  /** Newlines in the stream before `base`, and the offset after the last of them (for line/column). */
  private newlinesBeforeBase = 0;
  private lineStartBeforeBase = 0;
  /** Absolute offset of the last newline appended, or -1. */
  private lastNewlineOffset = -1;
  /** The last line lookup, to count forward from it (findings come mostly in order). */
  private lineCursor = { offset: 0, line: 1, lineStart: 0 };

  /** Without `countsLines`, newlines are not counted and lineAndColumn() may not be called. */
  constructor(private readonly countsLines = true) {}

  get scannedUpTo(): number {
    return this.base + this.length;
  }

  append(chunk: Uint8Array): void {
    if (this.head + this.length + chunk.length > this.storage.length) {
      const needed = this.length + chunk.length;
      const storage = needed > this.storage.length / 2 ? new Uint8Array(Math.max(needed * 2, this.storage.length)) : this.storage;
      storage.set(this.storage.subarray(this.head, this.head + this.length), 0);
      this.storage = storage;
      this.head = 0;
    }
    this.storage.set(chunk, this.head + this.length);
    const newline = chunk.lastIndexOf(0x0a);
    if (newline >= 0) this.lastNewlineOffset = this.base + this.length + newline;
    this.length += chunk.length;
  }

  /** Drops the bytes before absolute offset `offset` (no-op for bytes already dropped). */
  discardBefore(offset: number): void {
    const count = Math.min(offset - this.base, this.length);
    if (count <= 0) return;
    const dropped = this.storage.subarray(this.head, this.head + count);
    const lastNewline = this.countsLines ? dropped.lastIndexOf(0x0a) : -1;
    if (lastNewline >= 0) {
      this.newlinesBeforeBase += countNewlines(dropped);
      this.lineStartBeforeBase = this.base + lastNewline + 1;
    }
    this.head += count;
    this.length -= count;
    this.base += count;
  }

  /** The bytes `[from, to)` (absolute, within what is kept), without copying. */
  view(from: number, to: number): Uint8Array {
    return this.storage.subarray(this.head + from - this.base, this.head + to - this.base);
  }

  /** Absolute offset of the last newline in `[from, scannedUpTo)`, or -1. */
  lastNewline(from: number): number {
    return this.lastNewlineOffset >= from ? this.lastNewlineOffset : -1;
  }

  /** 1-based line and column (in bytes) of absolute offset `offset`, which must be kept. */
  lineAndColumn(offset: number): { line: number; column: number } {
    if (!this.countsLines) throw new Error('lineAndColumn() on a holdback buffer that does not count lines');
    let { offset: at, line, lineStart } = this.lineCursor;
    if (at < this.base || at > offset) {
      at = this.base;
      line = this.newlinesBeforeBase + 1;
      lineStart = this.lineStartBeforeBase;
    }
    const between = this.view(at, offset);
    const lastNewline = between.lastIndexOf(0x0a);
    if (lastNewline >= 0) {
      line += countNewlines(between);
      lineStart = at + lastNewline + 1;
    }
    this.lineCursor = { offset, line, lineStart };
    return { line, column: offset - lineStart + 1 };
  }
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) count++;
  return count;
}
