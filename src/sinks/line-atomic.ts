/**
 * One output (stdout) shared by many concurrent streams, line-atomically: a stream's bytes reach
 * the output only in whole lines, each line in one write, so a line of one stream is never cut by
 * another's. With a label, each line starts with `LABEL | ` (as `docker compose logs` does).
 *
 * - A stream's last line without a newline gets one at the stream's end (else the next stream's
 *   line would be glued to it). A line longer than {@link MAX_LINE} bytes is cut into pieces of
 *   that size, each ended with a newline, so a stream without newlines cannot grow without bound.
 * - Backpressure: each write resolves when the output can take more (./output.ts). On top of that,
 *   no write starts while the output's queue holds `maxQueued` bytes or more: the writers wait for
 *   it to drain, so the bytes buffered for the output stay under `maxQueued` plus one write.
 */
import type { Writable } from 'node:stream';
import { type ByteSink, createByteSink, whenWritable } from './output.js';

/** The longest line kept whole, in bytes. */
export const MAX_LINE = 64 * 1024;

const NEWLINE = 0x0a;

/** The shared output, and a line-atomic sink per stream on it. */
export interface SharedOutput extends ByteSink {
  /** A sink for one stream; `label` prefixes its lines (null: none). Its `end()` ends the last line. */
  open(label: string | null): ByteSink;
  /** Bytes held back in streams' unfinished lines. */
  readonly heldBytes: number;
}

/** Whole-line writes from many streams to `stream` (not closed by `end()`: that is stdout's). */
export function createSharedOutput(stream: Writable, options: { readonly maxQueued: number }): SharedOutput {
  const sink = createByteSink(stream, { ownsStream: false });
  let heldBytes = 0;
  // The check and the write run in one synchronous step, so waiters woken together cannot all pass.
  const write = async (bytes: Uint8Array | string): Promise<void> => {
    while (stream.writableLength > 0 && stream.writableLength + bytes.length > options.maxQueued && !sink.isClosed && !stream.destroyed) await whenWritable(stream);
    return sink.write(bytes);
  };
  const open = (label: string | null): ByteSink => {
    const prefix = label === null ? null : Buffer.from(`${label} | `);
    let partial: Buffer[] = [];
    let partialLength = 0;
    const hold = (bytes: Uint8Array): void => {
      // A copy: the tail must not keep the whole chunk it came in alive.
      partial.push(Buffer.from(bytes));
      partialLength += bytes.length;
      heldBytes += bytes.length;
    };
    const takePartial = (): Buffer[] => {
      const taken = partial;
      heldBytes -= partialLength;
      partial = [];
      partialLength = 0;
      return taken;
    };
    const emit = (pieces: Uint8Array[]): Promise<void> => {
      const lines = Buffer.concat(pieces);
      return write(prefix ? labelLines(lines, prefix) : lines);
    };
    return {
      get isClosed() {
        return sink.isClosed;
      },
      async write(bytes) {
        const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
        const lastNewline = data.lastIndexOf(NEWLINE);
        if (lastNewline < 0) {
          hold(data);
          if (partialLength >= MAX_LINE) await emit([...takePartial(), Uint8Array.of(NEWLINE)]);
          return;
        }
        const lines = [...takePartial(), data.subarray(0, lastNewline + 1)];
        if (lastNewline + 1 < data.length) hold(data.subarray(lastNewline + 1));
        await emit(lines);
        if (partialLength >= MAX_LINE) await emit([...takePartial(), Uint8Array.of(NEWLINE)]);
      },
      async end() {
        if (partialLength > 0) await emit([...takePartial(), Uint8Array.of(NEWLINE)]);
      },
    };
  };
  return {
    get isClosed() {
      return sink.isClosed;
    },
    get heldBytes() {
      return heldBytes;
    },
    write,
    end: () => sink.end(),
    open,
  };
}

/** `lines` with `prefix` before each line. */
function labelLines(lines: Buffer, prefix: Buffer): Buffer {
  const pieces: Buffer[] = [];
  for (let start = 0; start < lines.length; ) {
    const end = lines.indexOf(NEWLINE, start) + 1 || lines.length;
    pieces.push(prefix, lines.subarray(start, end));
    start = end;
  }
  return Buffer.concat(pieces);
}
