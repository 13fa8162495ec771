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
 *   {@link PIPE_READ_SIZE}, so a slow writer's bytes go on at once: when the descriptor is readable
 *   while the writer brings a little at a time, at once after each chunk while it keeps the pipe
 *   full (see {@link pumpPipe}). A pipe holds 64 KiB unless widened: one that the writer keeps
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

const EMPTY = new Uint8Array(0);

export interface Source {
  /** The stream's name in records and errors: the path, or `-` for stdin. */
  readonly name: string;
  /**
   * The stream's bytes, pulled (an async iterable) or pushed ({@link ChunkPump}: a pipe's short
   * reads); read them with {@link forEachChunk}. Each chunk stays as it is only until the next one
   * is asked for: its buffer is then read into again. The pipeline asks for the next chunk once the
   * output of this one is written (ByteSink.write resolves when the sink no longer needs the bytes).
   */
  readonly chunks: AsyncIterable<Uint8Array> | ChunkPump;
}

/**
 * Takes one chunk: true to go on at once, false to stop reading, or a promise of either when it
 * needs time first (the chunk's bytes are not read into until it settles). A rejection, or a
 * throw, stops the reading and is what the reading rejects with.
 *
 * `isFollowed`: the source reads the next bytes as soon as this chunk is consumed, without waiting
 * for the writer (a full pipe, a regular file), and hands them on at once; if that read finds
 * none, the consumer first gets an empty chunk (not followed), before the source waits
 * (StreamRedactor.write).
 */
export type ChunkConsumer = (chunk: Uint8Array, isFollowed: boolean) => boolean | Promise<boolean>;

/**
 * Chunks handed to a consumer as they come, without a promise per chunk where the consumer needs
 * none: a line-rate stream's every allocation brings the next young-generation collection (a
 * clean line's p99) closer, and an async iteration costs a few of them per chunk.
 */
export interface ChunkPump {
  /** Hands every chunk to `consume`, in order; resolves at the end or when it says stop. */
  pump(consume: ChunkConsumer): Promise<void>;
}

/** Hands `chunks` (a source's) to `consume` (see {@link ChunkConsumer}); resolves at the end or when it says stop. */
export async function forEachChunk(chunks: Source['chunks'], consume: ChunkConsumer): Promise<void> {
  if ('pump' in chunks) return chunks.pump(consume);
  for await (const chunk of chunks) if (!(await consume(chunk, false))) return;
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
  return { name: path, chunks: { pump: (consume) => pumpFile(path, options.start, consume) } };
}

async function pumpFile(path: string, start: number | undefined, consume: ChunkConsumer): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw readError(path, error);
  }
  return forEachChunk(readDescriptor(fd, path, { isOwned: true, start }), consume);
}

interface Descriptor {
  /** Whether the source closes the descriptor at its end (not stdin's). */
  readonly isOwned: boolean;
  /** Where to start reading; only a regular file or a device can read by position. */
  readonly start?: number | undefined;
}

/** The chunks of `fd`: a pipe's are pushed ({@link pumpPipe}, which names its own errors). */
function readDescriptor(fd: number, name: string, descriptor: Descriptor): Source['chunks'] {
  let kind: 'file' | 'pipe' | 'other';
  try {
    const stat = fstatSync(fd);
    kind = stat.isFile() ? 'file' : (stat.isFIFO() || stat.isSocket()) && descriptor.start === undefined ? 'pipe' : 'other';
  } catch {
    kind = 'other'; // the read itself will say what is wrong
  }
  if (kind === 'pipe') return { pump: (consume) => pumpPipe(fd, name, descriptor, consume) };
  if (kind === 'file') return { pump: (consume) => pumpRegularFile(fd, name, descriptor, consume) };
  return namingReadErrors(
    name,
    createReadStream('', { fd, highWaterMark: STREAM_READ_SIZE, autoClose: descriptor.isOwned, ...(descriptor.start === undefined ? {} : { start: descriptor.start }) }),
  );
}

async function* namingReadErrors(name: string, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (error) {
    throw readError(name, error);
  }
}

/** A regular file: a read never waits for a writer, so each chunk is followed ({@link ChunkConsumer}) by the next or by the end. */
async function pumpRegularFile(fd: number, name: string, { isOwned, start }: Descriptor, consume: ChunkConsumer): Promise<void> {
  try {
    // Without a start, reads go on from the descriptor's own position (stdin may be part read).
    let position = start ?? null;
    const buffer = Buffer.allocUnsafeSlow(FILE_READ_SIZE);
    for (;;) {
      let count: number;
      try {
        count = readSync(fd, buffer, 0, FILE_READ_SIZE, position);
      } catch (error) {
        throw readError(name, error);
      }
      if (count === 0) return;
      if (position !== null) position += count;
      if (!(await consume(buffer.subarray(0, count), true))) return;
    }
  } finally {
    if (isOwned) closeQuietly(fd);
  }
}

/**
 * A pipe or socket. How the next read is done depends on the last one:
 * - a read that found the pipe full (64 KiB or more: the writer is ahead) is followed, once its
 *   chunk is consumed, by the next read at once, on the main thread: the writer has filled the pipe
 *   again meanwhile, and the read takes it all. A pipe found full is widened (src/pipes.ts). (A
 *   read ahead on libuv's thread pool, started before the chunk was consumed, cost the same CPU
 *   time here, but took only what the writer had brought by the time a pool thread ran);
 * - after a shorter read (a writer that brings a line at a time) the reads are done on the main
 *   thread when the descriptor is readable, and each is handed to the consumer as it comes (a
 *   {@link Poller}): a thread-pool read per line wakes a pool thread and costs two more context
 *   switches, which were most of a clean line's p99 latency.
 * The poller makes the descriptor non-blocking, so the read after a full one never waits: when it
 * finds the pipe empty (EAGAIN), the next chunk comes from the poller. So a full read's chunk is
 * followed ({@link ChunkConsumer}): the redactor leaves its unfinished line end for the next chunk
 * instead of analysing it, and when the read finds nothing, an empty chunk lets that end go before
 * the poller waits. A descriptor libuv cannot poll stays blocking: its reads wait on the thread
 * pool, and its chunks are never followed.
 */
async function pumpPipe(fd: number, name: string, { isOwned }: Descriptor, consume: ChunkConsumer): Promise<void> {
  const buffer = Buffer.allocUnsafeSlow(PIPE_READ_SIZE);
  const poller = openPoller(fd, buffer);
  try {
    let isWidened = false;
    /** The read done at once after a full one; null: the next comes from the poller. */
    let next: ReadResult | null = null;
    for (;;) {
      const read: ReadResult | null = next ?? (await (poller === null ? settledRead(fd, buffer) : poller.pump(consume)));
      if (read === null) return; // the consumer said stop
      if ('error' in read) throw readError(name, read.error);
      if (read.count === 0) return;
      const isFull: boolean = read.count >= DEFAULT_PIPE_CAPACITY;
      if (isFull && !isWidened) {
        // So that the writer can get that far ahead while a chunk is redacted, and the next read takes it all.
        widenPipe(fd, PIPE_READ_SIZE);
        isWidened = true;
      }
      const isFollowed: boolean = isFull && poller !== null;
      if (!(await consume(read.buffer.subarray(0, read.count), isFollowed))) return;
      next = isFollowed ? readNow(fd, buffer) : null;
      if (next !== null && isWouldBlock(next)) {
        next = null;
        // What the consumer held for this read goes now, before the poller waits for the writer.
        if (!(await consume(EMPTY, false))) return;
      }
    }
  } finally {
    // libuv closes the descriptor with the poller's handle, except stdin, stdout and stderr.
    poller?.close();
    if (isOwned && (poller === null || fd <= 2)) closeQuietly(fd);
  }
}

type ReadResult = { readonly count: number; readonly buffer: Buffer } | { readonly error: unknown };

/** A read that found nothing to read on a non-blocking descriptor. */
function isWouldBlock(read: ReadResult): boolean {
  return 'error' in read && (read.error as NodeJS.ErrnoException | null)?.code === 'EAGAIN';
}

/** A read on the main thread of a non-blocking descriptor: it never waits (EAGAIN when there is nothing to read). */
function readNow(fd: number, buffer: Buffer): ReadResult {
  try {
    return { count: readSync(fd, buffer, 0, buffer.length, null), buffer };
  } catch (error) {
    return { error };
  }
}

/** A read that never rejects: it may settle while nobody awaits it (a consumer busy, or gone). */
function settledRead(fd: number, buffer: Buffer): Promise<ReadResult> {
  return new Promise((resolve) => read(fd, buffer, 0, buffer.length, null, (error, count) => resolve(error ? { error } : { count, buffer })));
}

/** Reads a descriptor on the main thread when it is readable (libuv's epoll). */
interface Poller {
  /**
   * Reads into the poller's buffer and hands each short read (under a pipe's default capacity) to
   * `consume` as it comes, in the read's own callback. Resolves with the first other read: a full
   * one, the end (a count of 0) or a read error, never rejecting for those; or with null once the
   * consumer says stop. Rejects with what the consumer throws or rejects with.
   */
  pump(consume: ChunkConsumer): Promise<ReadResult | null>;
  /** Stops polling for good, and closes the descriptor unless it is 0, 1 or 2. */
  close(): void;
}

/** A poller's pump under way. */
interface Pumping {
  readonly consume: ChunkConsumer;
  readonly resolve: (end: ReadResult | null) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A poller of `fd` (a pipe or a stream socket), or null for a descriptor libuv cannot poll (a
 * datagram socket): reads then wait on the thread pool. It is node's own non-blocking reading (a
 * net.Socket, as process.stdin is on a pipe), into `buffer` instead of a fresh one per read.
 */
function openPoller(fd: number, buffer: Buffer): Poller | null {
  // A read that came in while no consumer could take it (the socket reads once as it opens, and
  // a consumer may be busy with the last chunk), and the end, which every later pump meets.
  let ready: ReadResult | null = null;
  let ended: ReadResult | null = null;
  // The pump under way, while its consumer can take a chunk.
  let current: Pumping | null = null;
  /** Gives `result` to the pump under way; true when the socket reads on at once. */
  const take = (result: ReadResult): boolean => {
    const pumping = current;
    if (pumping === null) {
      ready = result;
      return false;
    }
    if ('error' in result || result.count === 0 || result.count >= DEFAULT_PIPE_CAPACITY) {
      current = null;
      pumping.resolve(result);
      return false;
    }
    let answer: boolean | Promise<boolean>;
    try {
      answer = pumping.consume(result.buffer.subarray(0, result.count), false);
    } catch (error) {
      current = null;
      pumping.reject(error);
      return false;
    }
    if (answer === true) return true;
    current = null;
    if (answer === false) pumping.resolve(null);
    else answer.then((goOn) => (goOn ? run(pumping) : pumping.resolve(null)), pumping.reject);
    return false;
  };
  /** Runs `pumping`: first what came in meanwhile, then the socket's next reads. */
  const run = (pumping: Pumping): void => {
    current = pumping;
    for (;;) {
      const result = ready ?? ended;
      ready = null;
      if (result === null) {
        socket.resume();
        return;
      }
      if (!take(result)) return;
    }
  };
  const end = (result: ReadResult): void => {
    ended ??= result;
    if (current !== null) take(ended);
  };
  let socket: Socket;
  try {
    // net.connect() passes its onread option (documented there) through this constructor.
    const options: SocketConstructorOpts & { readonly onread: OnReadOpts } = {
      fd,
      readable: true,
      writable: false,
      // false stops the reading until the next run() resumes the socket.
      onread: { buffer, callback: (count) => take({ count, buffer }) },
    };
    socket = new Socket(options);
  } catch {
    return null;
  }
  socket.on('end', () => end({ count: 0, buffer }));
  socket.on('error', (error) => end({ error }));
  return {
    pump: (consume) => new Promise((resolve, reject) => run({ consume, resolve, reject })),
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
