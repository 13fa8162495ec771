/**
 * What `sseredact scan` reads: the files named on the command line and the files under the
 * directories named there (in a git work tree, what git does not ignore, unless git ignores the
 * named directory itself or `--no-git` says so; elsewhere, everything but `.git`), stdin for `-`,
 * or the staged blobs of the git index. Each target is read whole when
 * its turn comes: line allowlists and inline markers need whole lines.
 */
import { lstat, readFile, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { SseredactError, describeSystemError } from '../errors.js';
import { isIgnoredByGit, listStagedFiles, listWorkTreeFiles, readBlobs, workTreeRoot } from './git.js';

export interface ScanTarget {
  /** The path findings are reported under (relative to the working directory), `-` for stdin. */
  readonly path: string;
  /** The file on disk the bytes are in, when any thread can read them from there (not stdin or a blob). */
  readonly file?: string;
  read(): Promise<Uint8Array>;
}

/**
 * A file (`-`: stdin) read whole; throws SseredactError('io') naming it. Stdin is read through
 * process.stdin, not a stream on fd 0: once anything has touched process.stdin (chalk's import of
 * node:process does), a pipe on fd 0 is non-blocking and a plain read stream fails with EAGAIN.
 */
function fileTarget(path: string): ScanTarget {
  if (path !== '-') {
    return {
      path,
      file: path,
      // One read of the whole file into one buffer of its size: no chunk list to concatenate.
      read: () => readFile(path).catch((error: unknown) => Promise.reject(new SseredactError('io', `cannot read ${path}: ${describeSystemError(error)}`, { cause: error }))),
    };
  }
  return {
    path,
    read: async () => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
      return Buffer.concat(chunks);
    },
  };
}

/** Regular files only: a symbolic link to a directory could loop, and devices never end. */
async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch {
    // Listed by git but gone from the work tree (deleted, not yet staged): nothing to read.
    return false;
  }
}

/** Every regular file under `dir` but `.git` directories, sorted, without following links. */
async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== '.git') files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
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

async function filesUnder(dir: string, options: FileTargetOptions): Promise<string[]> {
  if (!options.useGit || (await workTreeRoot(dir)) === null) return walk(dir);
  if (await isIgnoredByGit(dir)) {
    // Named on the command line, so wanted, though git ignores it: walked whole, and said so.
    options.onNote(dir, 'ignored by git; scanned anyway (all of it), as it was named');
    return walk(dir);
  }
  const listed = (await listWorkTreeFiles(dir)).map((path) => join(dir, path));
  const regular = await Promise.all(listed.map(isRegularFile));
  return listed.filter((_path, index) => regular[index]);
}

/** `paths` without the files over `options.maxFileSize` (each reported to `onNote`). */
async function withinSizeLimit(paths: readonly string[], options: FileTargetOptions): Promise<string[]> {
  const limit = options.maxFileSize;
  if (limit === undefined) return [...paths];
  const sizes = await Promise.all(
    paths.map((path) =>
      path === '-'
        ? 0
        : stat(path).then(
            (stats) => stats.size,
            () => 0,
          ),
    ),
  );
  return paths.filter((path, index) => {
    const isTooLarge = sizes[index]! > limit;
    if (isTooLarge) options.onNote(path, `skipped: ${sizes[index]} bytes, over --max-file-size`);
    return !isTooLarge;
  });
}

/**
 * The targets for `scan PATH...`. Every path is checked before anything is read, so a missing one
 * fails the run at once: throws SseredactError('io') naming it. A file or directory named
 * explicitly is scanned even if git ignores it.
 */
export async function listFileTargets(paths: readonly string[], options: FileTargetOptions): Promise<ScanTarget[]> {
  const files: string[] = [];
  for (const path of paths) {
    const stats =
      path === '-'
        ? null
        : await stat(path).catch((error: unknown) => Promise.reject(new SseredactError('io', `cannot read ${path}: ${describeSystemError(error)}`, { cause: error })));
    if (stats?.isDirectory()) files.push(...(await filesUnder(path, options)));
    else files.push(path);
  }
  return (await withinSizeLimit(files, options)).map(fileTarget);
}

/**
 * The targets for `scan --staged [PATHSPEC...]`: the staged contents of the files the next commit
 * adds or changes, reported relative to the working directory. Throws SseredactError('usage')
 * outside a git work tree.
 */
export async function listStagedTargets(pathspecs: readonly string[], options: Pick<FileTargetOptions, 'maxFileSize' | 'onNote'>): Promise<ScanTarget[]> {
  const cwd = process.cwd();
  const root = await workTreeRoot(cwd);
  if (root === null) throw new SseredactError('usage', 'scan --staged: not inside a git work tree');
  // Run from the working directory, git reads the pathspecs relative to it (and lists paths from the top).
  const staged = await listStagedFiles(cwd, pathspecs);
  const contents = await readBlobs(
    cwd,
    staged.map((file) => file.blob),
  );
  const targets = staged.map((file, index) => ({ path: relative(cwd, join(root, file.path)), read: async () => contents[index]! }));
  const limit = options.maxFileSize;
  return targets.filter((target, index) => {
    const isTooLarge = limit !== undefined && contents[index]!.length > limit;
    if (isTooLarge) options.onNote(target.path, `skipped: ${contents[index]!.length} bytes staged, over --max-file-size`);
    return !isTooLarge;
  });
}
