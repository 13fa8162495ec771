/**
 * A byte sink over a Node Writable (stdout, a file, a socket) with backpressure: `write` waits
 * while the consumer is slow, so nothing buffers without bound (DESIGN §3.6). A reader that goes
 * away (EPIPE, as under `| head`) is not an error: the sink reports itself closed and the pipeline
 * stops reading.
 */
import type { Writable } from 'node:stream';
import { SseredactError } from '../errors.js';

export interface ByteSink {
  /** Writes `bytes`; resolves when the consumer can take more. No-op once closed. */
  write(bytes: Uint8Array | string): Promise<void>;
  /** True once the reader has gone away. */
  readonly isClosed: boolean;
  /** Flushes and finishes the underlying stream (not for stdout). */
  end(): Promise<void>;
}

export function createByteSink(stream: Writable, options: { readonly ownsStream: boolean }): ByteSink {
  let isClosed = false;
  let failure: Error | null = null;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') isClosed = true;
    else failure = new SseredactError('io', `cannot write output: ${error.message}`, { cause: error });
  });
  const check = (): void => {
    if (failure) throw failure;
  };
  return {
    get isClosed() {
      return isClosed;
    },
    async write(bytes) {
      check();
      // A destroyed stream (a socket reset or timed out) would never drain: its reader is gone.
      if (stream.destroyed) isClosed = true;
      if (isClosed || bytes.length === 0) return;
      if (!stream.write(bytes)) {
        await whenWritable(stream);
        check();
      }
    },
    async end() {
      check();
      if (!options.ownsStream || isClosed) return;
      await new Promise<void>((resolve) => stream.end(resolve));
      check();
    },
  };
}

/** Resolves on 'drain', or when the stream closes or fails (the error handler above records why). */
export function whenWritable(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stream.on('drain', done).on('close', done).on('error', done);
  });
}
