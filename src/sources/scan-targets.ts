/**
 * What `sseredact scan` reads: the files named on the command line and the files under the
 * directories named there (in a git work tree, what git does not ignore, unless git ignores the
 * named directory itself or `--no-git` says so; elsewhere, everything but `.git`), stdin for `-`,
 * or the staged blobs of the git index. Each target is read whole when
 * its turn comes: line allowlists and inline markers need whole lines.
 *
 * The file system calls are synchronous: a tree of many small files costs a promise round trip per
 * call through libuv's thread pool otherwise, about ten times the CPU of the call itself (bench/
 * scan.mjs: 0.16 ms against 0.01 ms a file for `readFile`) and idle time between files.
 */
import { type Stats, closeSync, fstatSync, lstatSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SseredactError, describeSystemError } from '../errors.js';
import { isIgnoredByGit, listStagedFiles, listWorkTreeFiles, readBlobs, workTreeRoot } from './git.js';

export interface ScanTarget {
  /** The path findings are reported under (relative to the working directory), `-` for stdin. */
  readonly path: string;
  /** The file on disk the bytes are in, when any thread can read them from there (not stdin or a blob). */
  readonly file?: string;
  /** Its size in bytes when listed (a file may change before it is read); 0 for stdin. */
  readonly size: number;
  read(): Promise<Uint8Array>;
}

/** A file to scan and its size. */
interface ListedFile {
  readonly path: string;
  readonly size: number;
}

/**
 * A file (`-`: stdin) read whole; throws SseredactError('io') naming it. Stdin is read through
 * process.stdin, not a stream on fd 0: once anything has touched process.stdin (chalk's import of
 * node:process does), a pipe on fd 0 is non-blocking and a plain read stream fails with EAGAIN.
 */
function fileTarget({ path, size }: ListedFile): ScanTarget {
  if (path !== '-') return { path, file: path, size, read: async () => readWholeFile(path) };
  return {
    path,
    size,
    read: async () => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
      return Buffer.concat(chunks);
    },
  };
}

/**
 * The file at `path`, whole, in one buffer of its size (no chunk list to concatenate); throws
 * SseredactError('io') naming `name`.
 */
export function readWholeFile(path: string, name = path): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SseredactError('io', `cannot read ${name}: ${describeSystemError(error)}`, { cause: error });
  }
}

/**
 * A reader of whole files into one buffer that it reuses: the bytes a call returns are valid until
 * the next call. A thread that scans a tree reads its files this way: a buffer per file is memory
 * outside V8's heap that V8 still counts, and its churn starts full collections (bench/scan.mjs,
 * 10,000 files: half as many). The buffer grows to 1.5 times the largest file read, at most (the
 * files come smallest first: a buffer of exactly each one's size would be replaced every time).
 * Reads to the end of the file, should it have grown since it was listed. Throws
 * SseredactError('io') naming `name`.
 */
export function createWholeFileReader(): (path: string, name: string) => Uint8Array {
  let buffer = Buffer.allocUnsafeSlow(64 * 1024);
  /** A buffer of at least `needed` bytes, its first `kept` bytes those of the old one. */
  const grow = (needed: number, kept: number): void => {
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, Math.min(2 * buffer.length, needed + (needed >> 1))));
    grown.set(buffer.subarray(0, kept));
    buffer = grown;
  };
  return (path, name) => {
    try {
      const fd = openSync(path, 'r');
      try {
        // One byte more than its size: the read that finds the end needs no room of its own.
        const size = fstatSync(fd).size + 1;
        if (buffer.length < size) grow(size, 0);
        let length = 0;
        for (;;) {
          if (length === buffer.length) grow(length + 1, length);
          const count = readSync(fd, buffer, length, buffer.length - length, null);
          if (count === 0) return buffer.subarray(0, length);
          length += count;
        }
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw new SseredactError('io', `cannot read ${name}: ${describeSystemError(error)}`, { cause: error });
    }
  };
}

/**
 * The size of `path` when it is a regular file, else null: a symbolic link to a directory could
 * loop, and devices never end.
 */
function regularFileSize(path: string): number | null {
  // Listed by git but gone from the work tree (deleted, not yet staged): nothing to read.
  const stats = lstatSync(path, { throwIfNoEntry: false });
  return stats?.isFile() ? stats.size : null;
}

/** Every regular file under `dir` but `.git` directories, sorted, without following links. */
function walk(dir: string, files: ListedFile[] = []): ListedFile[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== '.git') walk(path, files);
    else if (entry.isFile()) files.push({ path, size: regularFileSize(path) ?? 0 });
  }
  return files;
}

/** How `scan PATH...` lists and picks files. */
export interface FileTargetOptions {
  /** False with `--no-git`: directories are walked whole (but `.git`), whatever git ignores. */
  readonly useGit: boolean;
  /** Files larger than this many bytes are skipped; `onNote` hears of each, and of a named directory git ignores. */
  readonly maxFileSize?: number;
  readonly onNote: (path: string, note: string) => void;
}

async function filesUnder(dir: string, options: FileTargetOptions): Promise<ListedFile[]> {
  if (!options.useGit || (await workTreeRoot(dir)) === null) return walk(dir);
  if (await isIgnoredByGit(dir)) {
    // Named on the command line, so wanted, though git ignores it: walked whole, and said so.
    options.onNote(dir, 'ignored by git; scanned anyway (all of it), as it was named');
    return walk(dir);
  }
  return (await listWorkTreeFiles(dir)).flatMap((name) => {
    const path = join(dir, name);
    const size = regularFileSize(path);
    return size === null ? [] : [{ path, size }];
  });
}

/** `files` without those over `options.maxFileSize` (each reported to `onNote`). */
function withinSizeLimit(files: readonly ListedFile[], options: FileTargetOptions): ListedFile[] {
  const limit = options.maxFileSize;
  if (limit === undefined) return [...files];
  return files.filter(({ path, size }) => {
    const isTooLarge = size > limit;
    if (isTooLarge) options.onNote(path, `skipped: ${size} bytes, over --max-file-size`);
    return !isTooLarge;
  });
}

/**
 * The targets for `scan PATH...`. Every path is checked before anything is read, so a missing one
 * fails the run at once: throws SseredactError('io') naming it. A file or directory named
 * explicitly is scanned even if git ignores it.
 */
export async function listFileTargets(paths: readonly string[], options: FileTargetOptions): Promise<ScanTarget[]> {
  const files: ListedFile[] = [];
  for (const path of paths) {
    if (path === '-') {
      files.push({ path, size: 0 });
      continue;
    }
    const stats = statOrThrow(path);
    if (stats.isDirectory()) files.push(...(await filesUnder(path, options)));
    else files.push({ path, size: stats.size });
  }
  return withinSizeLimit(files, options).map(fileTarget);
}

/** What `path` is (links followed); throws SseredactError('io') naming it. */
function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    throw new SseredactError('io', `cannot read ${path}: ${describeSystemError(error)}`, { cause: error });
  }
}

/** The targets of `scan --staged`, in two steps: git lists the staged files, then reads their blobs. */
export interface StagedTargets {
  /** Settles (never rejects) once git has listed the files: their blobs are being read from then on. */
  readonly listed: Promise<void>;
  readonly targets: Promise<ScanTarget[]>;
}

/**
 * The targets for `scan --staged [PATHSPEC...]`: the staged contents of the files the next commit
 * adds or changes, reported relative to the working directory. `targets` rejects with
 * SseredactError('usage') outside a git work tree.
 */
export function listStagedTargets(pathspecs: readonly string[], options: Pick<FileTargetOptions, 'maxFileSize' | 'onNote'>): StagedTargets {
  const cwd = process.cwd();
  // Both git runs at once (a pre-commit scan waits for each); outside a work tree, the first says so.
  // Run from the working directory, git reads the pathspecs relative to it (and lists paths from the top).
  const listing = listStagedFiles(cwd, pathspecs);
  listing.catch(() => {});
  const located = (async () => {
    const root = await workTreeRoot(cwd);
    if (root === null) throw new SseredactError('usage', 'scan --staged: not inside a git work tree');
    return { root, staged: await listing };
  })();
  const targets = located.then(async ({ root, staged }) => {
    const contents = await readBlobs(
      cwd,
      staged.map((file) => file.blob),
    );
    const all = staged.map((file, index) => ({ path: relative(cwd, join(root, file.path)), size: contents[index]!.length, read: async () => contents[index]! }));
    const limit = options.maxFileSize;
    return all.filter((target, index) => {
      const isTooLarge = limit !== undefined && contents[index]!.length > limit;
      if (isTooLarge) options.onNote(target.path, `skipped: ${contents[index]!.length} bytes staged, over --max-file-size`);
      return !isTooLarge;
    });
  });
  return {
    listed: located.then(
      () => {},
      () => {},
    ),
    targets,
  };
}
