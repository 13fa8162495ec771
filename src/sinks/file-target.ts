/**
 * Files the redacted bytes (`-o FILE`, `--in-place`) and records go to, for long file jobs.
 *
 * An atomic target is written to a temporary file beside it (`.NAME.sseredact-XXXXXX.tmp`, same
 * directory, so same file system), then fsynced and renamed over it: a reader never sees half a
 * file, and a run that fails (a read error, a full disk, a kill) leaves the old file as it was.
 * The new file gets the old one's mode (and, as root, its owner); a symbolic link is followed, so
 * the file it points to is replaced and the link stays. A target that exists and is not a regular
 * file (`/dev/null`, a pipe) cannot be renamed over: it is written directly, like a shell redirect.
 *
 * A direct file (records with `--checkpoint`) is written where it is, from a given length on.
 *
 * Every write is positional and awaited, so `position` is exactly what the file holds and a
 * checkpoint can record it. A write that fails throws SseredactError('output') naming the file
 * (exit 3: `no space left on device`).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, chmod, copyFile, link, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SseredactError, describeSystemError } from '../errors.js';
import type { ByteSink } from './output.js';

export interface FileSink extends ByteSink {
  /** The file the bytes end up in (a link resolved). */
  readonly path: string;
  /** Bytes the file holds. */
  readonly position: number;
  /** Makes what is written durable (fsync). */
  sync(): Promise<void>;
}

export interface AtomicFile extends FileSink {
  /** The temporary file written until commit; null when the target is written directly. */
  readonly tempPath: string | null;
  /**
   * Makes the new file the target: fsync, close, keep the old file as `target + backupSuffix`
   * when given, rename, fsync the directory.
   */
  commit(backupSuffix?: string): Promise<void>;
  /** Closes and removes the temporary file; the target stays as it was. Never throws. */
  discard(): Promise<void>;
}

function outputError(path: string, error: unknown): SseredactError {
  return new SseredactError('output', `cannot write ${path}: ${describeSystemError(error)}`, { cause: error });
}

/** The sink over an open file: positional writes from `position` (appends when not seekable). */
function fileSink(handle: FileHandle, path: string, position: number, isSeekable: boolean): FileSink & { close(): Promise<void> } {
  let at = position;
  let isOpen = true;
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw outputError(path, error);
    }
  };
  return {
    path,
    isClosed: false,
    get position() {
      return at;
    },
    async write(bytes) {
      const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
      await guard(async () => {
        for (let done = 0; done < buffer.length; ) {
          const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, isSeekable ? at : null);
          done += bytesWritten;
          at += bytesWritten;
        }
      });
    },
    sync: () => (isSeekable ? guard(() => handle.sync()) : Promise.resolve()),
    async end() {
      await this.sync();
      await this.close();
    },
    async close() {
      if (!isOpen) return;
      isOpen = false;
      await guard(() => handle.close());
    },
  };
}

/** The absolute path of the file a link points to, or of `path` itself when nothing is there yet. */
async function resolved(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Opens an atomic target for `path`. `like` names a file whose mode (and owner) the new file takes:
 * the input itself for `--in-place`; by default the target's, or the umask's for a new file.
 * @throws SseredactError('output') when the temporary file cannot be created.
 */
export async function openAtomicFile(path: string, like?: string): Promise<AtomicFile> {
  const target = await resolved(path);
  const existing = await stat(target).catch(() => null);
  if (existing !== null && !existing.isFile()) {
    const handle = await open(target, 'w').catch((error: unknown) => {
      throw outputError(path, error);
    });
    return atomic(fileSink(handle, target, 0, false), target, null);
  }
  const model = like === undefined ? existing : await stat(like);
  const tempPath = join(dirname(target), `.${basename(target)}.sseredact-${randomBytes(3).toString('hex')}.tmp`);
  const handle = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, model ? model.mode & 0o7777 : 0o666).catch((error: unknown) => {
    throw outputError(path, error);
  });
  try {
    if (model) {
      await handle.chmod(model.mode & 0o7777);
      // Root may give the file its old owner; anyone else keeps their own.
      if (process.getuid?.() === 0 && (model.uid !== 0 || model.gid !== 0)) await handle.chown(model.uid, model.gid);
    }
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(tempPath).catch(() => {});
    throw outputError(path, error);
  }
  return atomic(fileSink(handle, path, 0, true), target, tempPath);
}

/**
 * Reopens the temporary file of an interrupted atomic target, cut to `length` bytes (`--resume`).
 * @throws SseredactError('output') when it cannot be opened.
 */
export async function resumeAtomicFile(path: string, tempPath: string, length: number): Promise<AtomicFile> {
  return atomic(await openTruncated(tempPath, length, path), await resolved(path), tempPath);
}

/** Opens `path` for writing from `length` on: truncated to it (0: created or emptied). */
export async function openDirectFile(path: string, length = 0): Promise<FileSink> {
  return direct(await openTruncated(path, length));
}

/** `name`: the file errors name (the target, not its temporary file). */
async function openTruncated(path: string, length: number, name = path): Promise<FileSink & { close(): Promise<void> }> {
  let handle: FileHandle;
  try {
    handle = await open(path, length === 0 ? 'w' : 'r+', 0o600);
    await handle.truncate(length);
  } catch (error) {
    throw outputError(name, error);
  }
  return fileSink(handle, name, length, true);
}

/** `sink` as a FileSink named `path` (its own path by default), without its close(). */
function direct(sink: FileSink & { close(): Promise<void> }, path = sink.path): FileSink {
  return {
    path,
    isClosed: false,
    get position() {
      return sink.position;
    },
    write: (bytes) => sink.write(bytes),
    sync: () => sink.sync(),
    end: () => sink.end(),
  };
}

/** `tempPath` null: the sink writes the target itself, and commit only closes it. */
function atomic(sink: FileSink & { close(): Promise<void> }, target: string, tempPath: string | null): AtomicFile {
  return Object.assign(direct(sink, target), {
    tempPath,
    async commit(backupSuffix) {
      await sink.end();
      if (tempPath !== null) await renameIntoPlace(tempPath, target, backupSuffix);
    },
    async discard() {
      await sink.close().catch(() => {});
      if (tempPath !== null) await unlink(tempPath).catch(() => {});
    },
  } satisfies Omit<AtomicFile, keyof FileSink>);
}

/**
 * The last step of a commit: keeps the old `target` as `target + backupSuffix` when given, renames
 * the written (and fsynced) `tempPath` over it, fsyncs the directory. Run again after a kill
 * between its steps, it does the same (a backup made already is made again from the same file).
 * @throws SseredactError('output').
 */
export async function renameIntoPlace(tempPath: string, target: string, backupSuffix?: string): Promise<void> {
  try {
    if (backupSuffix !== undefined) await keepBackup(target, `${target}${backupSuffix}`);
    await rename(tempPath, target);
  } catch (error) {
    throw outputError(target, error);
  }
  await syncDirectory(dirname(target));
}

/** Keeps `target` as `backup` (a hard link, else a copy with its mode), replacing an old backup. */
async function keepBackup(target: string, backup: string): Promise<void> {
  await unlink(backup).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  try {
    await link(target, backup);
  } catch {
    await copyFile(target, backup);
    await chmod(backup, (await stat(target)).mode & 0o7777);
  }
}

/** Makes a rename in `directory` durable; a file system that cannot fsync a directory is left be. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch(() => null);
  if (handle === null) return;
  await handle
    .sync()
    .catch(() => {})
    .finally(() => handle.close().catch(() => {}));
}
