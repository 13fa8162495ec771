/**
 * Input sources: stdin (`-`) and files, as streams of byte chunks. A source only yields chunks; it
 * knows nothing of what reads them.
 */
import { createReadStream, fstatSync, openSync, readFileSync } from 'node:fs';
import { SseredactError } from '../errors.js';

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

/** Why a read failed, in a few words (`no such file`), for one-line errors. */
export function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ELOOP: 'too many symbolic links',
  };
  return (code && reasons[code]) ?? (error as Error).message;
}

/** Opens `path` (`-` is stdin) now, so a missing file fails before any output; throws SseredactError('io'). */
export function openInput(path: string): Source {
  if (path === '-') return { name: '-', chunks: readChunks(createReadStream('', { fd: 0, highWaterMark: readSize(0), autoClose: false }), '-') };
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new SseredactError('io', `cannot read ${path}: ${describeReadError(error)}`, { cause: error });
  }
  return { name: path, chunks: readChunks(createReadStream('', { fd, highWaterMark: readSize(fd) }), path) };
}

async function* readChunks(stream: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } catch (error) {
    throw new SseredactError('io', `cannot read ${name}: ${describeReadError(error)}`, { cause: error });
  }
}

/** Reads a small text input (a literal list) whole; `-` is stdin. Throws SseredactError('io'). */
export function readInputText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new SseredactError('io', `cannot read ${path}: ${describeReadError(error)}`, { cause: error });
  }
}
