/**
 * Input sources: stdin (`-`) and files, as streams of byte chunks. A source only yields chunks; it
 * knows nothing of what reads them.
 */
import { accessSync, constants, createReadStream, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { SseredactError, describeSystemError } from '../errors.js';

/** Reads of 256 KiB scan fastest from files. */
const FILE_READ_SIZE = 256 * 1024;
/**
 * Pipes and sockets deliver at most 64 KiB a read whatever we ask, and a read stream allocates
 * what it asks for, then copies a short read into a buffer of its own: asking for 256 KiB there
 * costs an allocation and a copy per chunk, and memory.
 */
const PIPE_READ_SIZE = 64 * 1024;

function readSize(fd: number): number {
  try {
    const stat = fstatSync(fd);
    return stat.isFIFO() || stat.isSocket() ? PIPE_READ_SIZE : FILE_READ_SIZE;
  } catch {
    return FILE_READ_SIZE; // the read itself will say what is wrong
  }
}

export interface Source {
  /** The stream's name in records and errors: the path, or `-` for stdin. */
  readonly name: string;
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
  if (path === '-') return { name: '-', chunks: readChunks(createReadStream('', { fd: 0, highWaterMark: readSize(0), autoClose: false }), '-') };
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
  // Only a given start reads by position: a pipe named as a file (`<(cmd)`) cannot be.
  yield* readChunks(createReadStream('', { fd, highWaterMark: readSize(fd), ...(start === undefined ? {} : { start }) }), path);
}

function readError(name: string, error: unknown): SseredactError {
  return new SseredactError('io', `cannot read ${name}: ${describeSystemError(error)}`, { cause: error });
}

async function* readChunks(stream: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } catch (error) {
    throw readError(name, error);
  }
}

/** Reads a small text input (a literal list) whole; `-` is stdin. Throws SseredactError('io'). */
export function readInputText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw readError(path, error);
  }
}
