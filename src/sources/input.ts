/**
 * Input sources: stdin (`-`) and files, as streams of byte chunks. A source only yields chunks; it
 * knows nothing of what reads them.
 *
 * How each kind of input is read (fstat when the first chunk is wanted). The redactor pays a fixed
 * cost per chunk, so chunks are as large as the input allows without waiting for bytes:
 * - a regular file (`< file` included): synchronous reads of {@link FILE_READ_SIZE}. A file read
 *   never waits for a writer, and a read stream's reads each cost a round trip through libuv's
 *   thread pool;
 * - a pipe or socket (`cmd | sseredact`, `<(cmd)`): reads of whatever has come in, up to
 *   {@link PIPE_READ_SIZE}, so a slow writer's bytes go on at once: on the main thread while the
 *   writer brings a little at a time, one read ahead on the thread pool while it keeps the pipe
 *   full (see {@link readPipe}). A pipe holds 64 KiB unless widened: one that the writer keeps
 *   full is widened to 1 MiB where the addon can (see src/pipes.ts), which cut the CPU time of
 *   `cat log | sseredact` by about a third;
 * - anything else (a terminal, a device): a read stream.
 *
 * Files and pipes are read into buffers the source reuses (fresh 1 MiB buffers cost page faults
 * and garbage collections at every read): a chunk is the consumer's until it asks for the next
 * one, and a consumer that keeps bytes longer copies them (see {@link Source.chunks}).
 */
import { accessSync, closeSync, constants, createReadStream, fstatSync, openSync, read, readFileSync, readSync, statSync } from 'node:fs';
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';
import { SseredactError, describeSystemError } from '../errors.js';
import { DEFAULT_PIPE_CAPACITY, widenPipe } from '../pipes.js';

/** Bytes of one read of a regular file: fewer, larger chunks cost the redactor less per byte. */
const FILE_READ_SIZE = 1024 * 1024;
/** The most bytes one read of a pipe or socket takes. */
const PIPE_READ_SIZE = 1024 * 1024;
/** Read-stream chunks for everything else (terminals, devices). */
const STREAM_READ_SIZE = 64 * 1024;

export interface Source {
  /** The stream's name in records and errors: the path, or `-` for stdin. */
  readonly name: string;
  /**
   * The stream's bytes. Each chunk stays as it is only until the next one is asked for: its buffer
   * is then read into again. The pipeline asks for the next chunk once the output of this one is
   * written (ByteSink.write resolves when the sink no longer needs the bytes).
   */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** Where a file source starts reading. */
export interface InputOptions {
  /** Byte offset of the first chunk (a resumed file job); 0 by default. Not for stdin. */
  readonly start?: number;
}

/**
 * The source of `path` (`-` is stdin). A missing, unreadable or directory path fails now, before
 * any output (throws SseredactError('io')); the file itself is opened only when its chunks are
 * first read and closed at its end, so that any number of inputs hold one descriptor at a time.
 */
export function openInput(path: string, options: InputOptions = {}): Source {
  if (path === '-') return { name: '-', chunks: readDescriptor(0, '-', { isOwned: false }) };
  try {
    accessSync(path, constants.R_OK);
    if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (error) {
    throw readError(path, error);
  }
  return { name: path, chunks: readFileChunks(path, options.start) };
}

async function* readFileChunks(path: string, start: number | undefined): AsyncGenerator<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw readError(path, error);
  }
  yield* readDescriptor(fd, path, { isOwned: true, start });
}

interface Descriptor {
  /** Whether the source closes the descriptor at its end (not stdin's). */
  readonly isOwned: boolean;
  /** Where to start reading; only a regular file or a device can read by position. */
  readonly start?: number | undefined;
}

/**
 * The chunks of `fd`. A pipe's come straight from readPipe, which names its own errors: one async
 * generator per chunk, not two, for a line-rate stream whose every allocation brings the next
 * young-generation collection (2-3 ms, a clean line's p99) closer.
 */
function readDescriptor(fd: number, name: string, descriptor: Descriptor): AsyncIterable<Uint8Array> {
  let kind: 'file' | 'pipe' | 'other';
  try {
    const stat = fstatSync(fd);
    kind = stat.isFile() ? 'file' : (stat.isFIFO() || stat.isSocket()) && descriptor.start === undefined ? 'pipe' : 'other';
  } catch {
    kind = 'other'; // the read itself will say what is wrong
  }
  if (kind === 'pipe') return readPipe(fd, name, descriptor);
  return namingReadErrors(
    name,
    kind === 'file'
      ? readRegularFile(fd, descriptor)
      : createReadStream('', { fd, highWaterMark: STREAM_READ_SIZE, autoClose: descriptor.isOwned, ...(descriptor.start === undefined ? {} : { start: descriptor.start }) }),
  );
}

async function* namingReadErrors(name: string, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (error) {
    throw readError(name, error);
  }
}

async function* readRegularFile(fd: number, { isOwned, start }: Descriptor): AsyncGenerator<Uint8Array> {
  try {
    // Without a start, reads go on from the descriptor's own position (stdin may be part read).
    let position = start ?? null;
    const buffer = Buffer.allocUnsafeSlow(FILE_READ_SIZE);
    for (;;) {
      const count = readSync(fd, buffer, 0, FILE_READ_SIZE, position);
      if (count === 0) return;
      if (position !== null) position += count;
      yield buffer.subarray(0, count);
    }
  } finally {
    if (isOwned) closeQuietly(fd);
  }
}

/**
 * A pipe or socket. How the next read is done depends on the last one:
 * - a read that found the pipe full (64 KiB or more: the writer is ahead) is followed at once by
 *   the next, on libuv's thread pool, into the other of two buffers: that read runs beside the
 *   redaction of this chunk, so a writer that keeps up never leaves the redactor waiting. A pipe
 *   found full is widened (src/pipes.ts);
 * - after a shorter read (a writer that brings a line at a time) nothing is read until the
 *   consumer asks, and then on the main thread, when the descriptor is readable (a
 *   {@link Poller}): a thread-pool read per line wakes a pool thread and costs two more context
 *   switches, which were most of a clean line's p99 latency.
 * The poller makes the descriptor non-blocking, so a read ahead that finds the pipe empty fails
 * with EAGAIN, and the next chunk comes from the poller. A consumer that stops early leaves a read
 * under way to finish on its own; an owned descriptor is closed only after it.
 */
async function* readPipe(fd: number, name: string, { isOwned }: Descriptor): AsyncGenerator<Uint8Array> {
  const buffers = [Buffer.allocUnsafeSlow(PIPE_READ_SIZE), Buffer.allocUnsafeSlow(PIPE_READ_SIZE)] as const;
  // The poller reads only when the consumer has asked for the next chunk, so into either buffer.
  const poller = openPoller(fd, buffers[0]);
  let readAhead: Promise<ReadResult> | null = null;
  try {
    let isWidened = false;
    for (;;) {
      let read = readAhead === null ? null : await readAhead;
      readAhead = null;
      if (read === null || isWouldBlock(read)) read = await (poller === null ? settledRead(fd, buffers[0]) : poller.read());
      if ('error' in read) throw readError(name, read.error);
      if (read.count === 0) return;
      const chunk = read.buffer.subarray(0, read.count);
      if (read.count >= DEFAULT_PIPE_CAPACITY) {
        if (!isWidened) {
          // So that the writer can get that far ahead while a chunk is redacted, and the next read takes it all.
          widenPipe(fd, PIPE_READ_SIZE);
          isWidened = true;
        }
        readAhead = settledRead(fd, read.buffer === buffers[0] ? buffers[1] : buffers[0]);
      }
      yield chunk;
    }
  } finally {
    const release = (): void => {
      // libuv closes the descriptor with the poller's handle, except stdin, stdout and stderr.
      poller?.close();
      if (isOwned && (poller === null || fd <= 2)) closeQuietly(fd);
    };
    if (readAhead === null) release();
    else void readAhead.then(release);
  }
}

type ReadResult = { readonly count: number; readonly buffer: Buffer } | { readonly error: unknown };

/** A read that found nothing to read on a non-blocking descriptor. */
function isWouldBlock(read: ReadResult): boolean {
  return 'error' in read && (read.error as NodeJS.ErrnoException | null)?.code === 'EAGAIN';
}

/** A read that never rejects: it may settle while nobody awaits it (a consumer busy, or gone). */
function settledRead(fd: number, buffer: Buffer): Promise<ReadResult> {
  return new Promise((resolve) => read(fd, buffer, 0, buffer.length, null, (error, count) => resolve(error ? { error } : { count, buffer })));
}

/** Reads a descriptor on the main thread when it is readable (libuv's epoll), one read per call. */
interface Poller {
  /** The next read into the poller's buffer: a count of 0 at the end, never a rejection. */
  read(): Promise<ReadResult>;
  /** Stops polling for good, and closes the descriptor unless it is 0, 1 or 2. */
  close(): void;
}

/**
 * A poller of `fd` (a pipe or a stream socket), or null for a descriptor libuv cannot poll (a
 * datagram socket): reads then wait on the thread pool. It is node's own non-blocking reading (a
 * net.Socket, as process.stdin is on a pipe), into `buffer` instead of a fresh one per read.
 */
function openPoller(fd: number, buffer: Buffer): Poller | null {
  // A read that came in while nobody waited (the socket reads once as it opens), and the end.
  let ready: ReadResult | null = null;
  let ended: ReadResult | null = null;
  let onRead: ((result: ReadResult) => void) | null = null;
  const settle = (result: ReadResult): void => {
    if ('error' in result || result.count === 0) ended ??= result;
    else if (onRead === null) ready = result;
    const resolve = onRead;
    onRead = null;
    resolve?.(result);
  };
  let socket: Socket;
  try {
    // net.connect() passes its onread option (documented there) through this constructor.
    const options: SocketConstructorOpts & { readonly onread: OnReadOpts } = {
      fd,
      readable: true,
      writable: false,
      onread: {
        buffer,
        callback: (count) => {
          settle({ count, buffer });
          return false; // no more reads until the next read() resumes the socket
        },
      },
    };
    socket = new Socket(options);
  } catch {
    return null;
  }
  socket.on('end', () => settle({ count: 0, buffer }));
  socket.on('error', (error) => settle({ error }));
  return {
    read() {
      const result = ready ?? ended;
      ready = null;
      if (result !== null) return Promise.resolve(result);
      return new Promise((resolve) => {
        onRead = resolve;
        socket.resume();
      });
    },
    close: () => socket.destroy(),
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closing a descriptor we read to its end cannot lose data.
  }
}

function readError(name: string, error: unknown): SseredactError {
  return error instanceof SseredactError ? error : new SseredactError('io', `cannot read ${name}: ${describeSystemError(error)}`, { cause: error });
}

/** Reads a small text input (a literal list) whole; `-` is stdin. Throws SseredactError('io'). */
export function readInputText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw readError(path, error);
  }
}
