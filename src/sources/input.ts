/**
 * Input sources: stdin (`-`) and files, as streams of byte chunks. A source only yields chunks; it
 * knows nothing of what reads them.
 */
import { createReadStream, openSync, readFileSync } from 'node:fs';
import { SseredactError } from '../errors.js';

/** Reads of 256 KiB scan fastest; pipes deliver at most 64 KiB whatever we ask. */
const READ_SIZE = 256 * 1024;

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
  if (path === '-') return { name: '-', chunks: readChunks(createReadStream('', { fd: 0, highWaterMark: READ_SIZE, autoClose: false }), '-') };
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new SseredactError('io', `cannot read ${path}: ${describeReadError(error)}`, { cause: error });
  }
  return { name: path, chunks: readChunks(createReadStream('', { fd, highWaterMark: READ_SIZE }), path) };
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
