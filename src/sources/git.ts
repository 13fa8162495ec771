/**
 * Git as a source for scan mode: the files of a work tree without what git ignores, and the staged
 * blobs of the index (what the next commit will hold, not the work tree's files); and where the
 * repository's hooks live, for `sseredact hook`.
 *
 * Runs the `git` binary with node:child_process rather than execa: a few short calls do not need
 * execa's features, and the CLI's start-up (DESIGN §8) and install size stay as they are.
 */
import { spawn } from 'node:child_process';
import { SseredactError } from '../errors.js';

/** Output of a git run; throws SseredactError('io') with git's first line of stderr on failure. */
export async function runGit(args: readonly string[], cwd: string, input?: string): Promise<Buffer> {
  const child = spawn('git', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (data: Buffer) => stdout.push(data));
  child.stderr.on('data', (data: Buffer) => stderr.push(data));
  // git may exit before reading all of its input (a bad argument): that is its error, not EPIPE's.
  child.stdin.on('error', () => {});
  child.stdin.end(input ?? '');
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((error: NodeJS.ErrnoException) => {
    const reason = error.code === 'ENOENT' ? 'git is not installed (not on the PATH)' : error.message;
    throw new SseredactError('io', `git ${args[0]}: ${reason}`, { cause: error });
  });
  if (status !== 0) {
    const message = Buffer.concat(stderr).toString('utf8').trim().split('\n')[0] || `exit status ${status}`;
    throw new SseredactError('io', `git ${args[0]}: ${message.replace(/^fatal: /, '')}`);
  }
  return Buffer.concat(stdout);
}

/** NUL-separated git output as a list (`-z`: paths need no unquoting). */
function splitNul(output: Buffer): string[] {
  return output
    .toString('utf8')
    .split('\0')
    .filter((item) => item !== '');
}

/** The one line a `git rev-parse` query prints in `dir`, or null when git fails there (or is missing). */
async function revParse(dir: string, args: readonly string[]): Promise<string | null> {
  try {
    return (await runGit(['rev-parse', ...args], dir)).toString('utf8').trim() || null;
  } catch (error) {
    if (error instanceof SseredactError) return null;
    throw error;
  }
}

/** The top of the work tree `dir` is in, or null when it is in none (or git is missing). */
export async function workTreeRoot(dir: string): Promise<string | null> {
  return revParse(dir, ['--show-toplevel']);
}

/**
 * The directory git runs the hooks of the repository `dir` is in from, as git prints it (relative
 * to `dir`, or absolute), or null outside a repository. It honours `core.hooksPath`, and every
 * worktree of a repository shares one (in the common git directory). It may not exist yet.
 */
export async function hooksDirectory(dir: string): Promise<string | null> {
  return revParse(dir, ['--git-path', 'hooks']);
}

/** Tracked and untracked files under `dir`, without what git ignores; paths relative to `dir`. */
export async function listWorkTreeFiles(dir: string): Promise<string[]> {
  // Unmerged paths appear once per stage: keep each once.
  return [...new Set(splitNul(await runGit(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], dir)))];
}

/** True when git ignores `path` (a directory or file in a work tree), or something above it. */
export async function isIgnoredByGit(path: string): Promise<boolean> {
  try {
    // Prints the path when ignored; exit status 1 (an error to runGit) when not.
    return (await runGit(['check-ignore', '--no-index', '--', '.'], path)).length > 0;
  } catch (error) {
    if (error instanceof SseredactError) return false;
    throw error;
  }
}

/** A file staged for the next commit: its path from the top of the work tree and its blob id. */
export interface StagedFile {
  readonly path: string;
  readonly blob: string;
}

const GITLINK_MODE = '160000';

/**
 * The files the next commit adds or changes (added, copied, modified, renamed; in a repository
 * without commits, every staged file), limited to `pathspecs` (relative to `cwd`) when given; paths
 * from the top of the work tree. Submodules are left out:
 * their content is another repository's.
 */
export async function listStagedFiles(cwd: string, pathspecs: readonly string[]): Promise<StagedFile[]> {
  const args = ['diff', '--cached', '--raw', '-z', '--no-abbrev', '--no-renames', '--diff-filter=ACMR', '--', ...pathspecs];
  const fields = splitNul(await runGit(args, cwd));
  const staged: StagedFile[] = [];
  // `-z --raw`: a header (":old-mode new-mode old-blob new-blob status") then the path, per file.
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [, newMode, , newBlob] = fields[i]!.slice(1).split(' ');
    if (newMode !== GITLINK_MODE && newBlob !== undefined) staged.push({ path: fields[i + 1]!, blob: newBlob });
  }
  return staged;
}

/**
 * The contents of `blobs`, in order, read in one `git cat-file --batch` run. Memory: all of them
 * at once (a commit's worth of changed files).
 */
export async function readBlobs(cwd: string, blobs: readonly string[]): Promise<Uint8Array[]> {
  if (blobs.length === 0) return [];
  const output = await runGit(['cat-file', '--batch'], cwd, `${blobs.join('\n')}\n`);
  const contents: Uint8Array[] = [];
  let at = 0;
  for (const blob of blobs) {
    // Each object: "<id> <type> <size>\n<content>\n".
    const headerEnd = output.indexOf(0x0a, at);
    const header = output.subarray(at, headerEnd).toString('latin1').split(' ');
    if (header[0] !== blob || header[1] !== 'blob') throw new SseredactError('io', `git cat-file: cannot read blob ${blob} (${header.slice(1).join(' ')})`);
    const size = Number(header[2]);
    contents.push(output.subarray(headerEnd + 1, headerEnd + 1 + size));
    at = headerEnd + 1 + size + 1;
  }
  return contents;
}
