/**
 * A byte sink over a Node Writable (stdout, a file, a socket) with backpressure: `write` waits
 * while the consumer is slow, so nothing buffers without bound (DESIGN §3.6). A reader that goes
 * away (EPIPE, as under `| head`) is not an error: the sink reports itself closed and the pipeline
 * stops reading. Any other write error (a full disk) is: the next `write` or `end` throws
 * SseredactError('output') naming the sink (exit 3).
 *
 * A pipe written in large pieces (stdout under `sseredact | cmd`) is widened to
 * {@link WRITE_PIPE_SIZE} on the first such write (src/pipes.ts), so that a 1 MiB piece goes in
 * at once while the reader keeps up, instead of in sixteen sleeps on a 64 KiB pipe.
 *
 * The caller may change or reuse the bytes it wrote once `write` resolves (the redactor lends its
 * buffer, a source its read buffer): no copy is taken, and a stream that queued them (a file's
 * write stream, a full socket, a stdout that is not read) is waited for until it has written them.
 * A stream that writes at once (stdout on a pipe or a file, on Linux) costs no wait.
 */
import type { Writable } from 'node:stream';
import { SseredactError, describeSystemError } from '../errors.js';
import { DEFAULT_PIPE_CAPACITY, widenPipe } from '../pipes.js';

/** What a pipe written in pieces larger than it holds is widened to: the size of the redactor's largest pieces. */
const WRITE_PIPE_SIZE = 1024 * 1024;

export interface ByteSink {
  /**
   * Writes `bytes`; resolves when the consumer can take more and the caller may change `bytes`
   * (the sink no longer needs them), or returns undefined when that is so at once (no promise to
   * collect per line of a line-rate stream). No-op once closed. May throw instead of rejecting.
   */
  write(bytes: Uint8Array | string): Promise<void> | undefined;
  /** True once the reader has gone away. */
  readonly isClosed: boolean;
  /** Flushes and finishes the underlying stream (not for stdout). */
  end(): Promise<void>;
}

export interface ByteSinkOptions {
  /** Whether `end` ends the stream (a records file) or leaves it open (stdout). */
  readonly ownsStream: boolean;
  /** What the sink writes, for errors: `output` (the default), `records to findings.ndjson`. */
  readonly name?: string;
}

/** Error codes that say the reader has gone away, which ends a run quietly. */
const READER_GONE: ReadonlySet<string> = new Set(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);

export function createByteSink(stream: Writable, options: ByteSinkOptions): ByteSink {
  let isClosed = false;
  let failure: Error | null = null;
  const onError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== undefined && READER_GONE.has(error.code)) isClosed = true;
    else failure ??= new SseredactError('output', `cannot write ${options.name ?? 'output'}: ${describeSystemError(error)}`, { cause: error });
  };
  stream.on('error', onError);
  const check = (): void => {
    // A failed write marks the stream errored at once; its 'error' event may come only after the
    // descriptor is closed, when a run that ends meanwhile would have exited 0 without it.
    if (stream.errored) onError(stream.errored);
    if (failure) throw failure;
  };
  let isWidened = false;
  return {
    get isClosed() {
      return isClosed;
    },
    write(bytes) {
      check();
      // A destroyed stream (a socket reset or timed out) would never drain: its reader is gone.
      if (stream.destroyed) isClosed = true;
      if (isClosed || bytes.length === 0) return undefined;
      if (!isWidened && bytes.length > DEFAULT_PIPE_CAPACITY) {
        isWidened = true;
        const fd = (stream as { fd?: unknown }).fd;
        if (typeof fd === 'number') widenPipe(fd, WRITE_PIPE_SIZE);
      }
      if (typeof bytes === 'string') {
        if (!stream.write(bytes)) return whenWritable(stream).then(check);
        check();
        return undefined;
      }
      // A pipe's write is mostly done at once: then the stream has neither the caller's bytes
      // nor a limit passed, and there is nothing to wait for.
      let isWritten = false;
      let onWritten: (() => void) | null = null;
      const isBelowLimit = stream.write(bytes, () => {
        isWritten = true;
        onWritten?.();
      });
      // Queued: the stream keeps the caller's bytes until it has written them (a failed write calls back too).
      const isQueued = stream.writableLength > 0 && !isWritten;
      if (isBelowLimit && !isQueued) {
        check();
        return undefined;
      }
      // Listened for at once: 'drain' comes only while the stream still owes it.
      const drained = isBelowLimit ? null : whenWritable(stream);
      const written = isQueued
        ? new Promise<void>((resolve) => {
            onWritten = resolve;
          })
        : null;
      return (async () => {
        await written;
        await drained;
        check();
      })();
    },
    async end() {
      check();
      if (!options.ownsStream || isClosed) return;
      // end()'s callback gets the error of a failed last write, maybe before 'error' is emitted.
      await new Promise<void>((resolve) =>
        stream.end((error?: Error | null) => {
          if (error) onError(error);
          resolve();
        }),
      );
      check();
    },
  };
}

/**
 * The sink the redacted bytes go to: `target`, or nowhere when it is null (`--json` writes
 * records only). It counts as closed as soon as any of `outputs` is, so that the run stops
 * reading once any of its readers (stdout, the records' pipe) has gone away.
 */
export function closedWithAny(target: ByteSink | null, outputs: readonly ByteSink[]): ByteSink {
  return {
    get isClosed() {
      return outputs.some((output) => output.isClosed);
    },
    write: (bytes) => target?.write(bytes),
    end: () => (target === null ? Promise.resolve() : target.end()),
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
