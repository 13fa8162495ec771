/**
 * Git history as a source for `scan --git [RANGE]`: the lines each commit's patch adds, file by
 * file, read from one streaming `git log -p -U0` run. Only added lines count: a secret is reported
 * once, in the commit that introduced it, and a line removed later is still found there.
 *
 * Memory: one file's added lines of one commit at a time, plus git's pipe buffer; the log is
 * parsed as it arrives and git waits (backpressure) while a patch is scanned, so a history of any
 * length runs in the same memory.
 *
 * Merge commits contribute nothing (as `git log -p` shows them: what a merge brings in was added
 * by the commits it merges); binary files neither (git prints no lines for them).
 */
import { spawn } from 'node:child_process';
import { SseredactError } from '../errors.js';
import type { CommitInfo } from '../types.js';
import { runGit } from './git.js';

/** The lines one commit's patch adds to one file. */
export interface AddedLines {
  readonly commit: CommitInfo;
  /** The file's path from the top of the work tree, in that commit. */
  readonly path: string;
  /** The added lines, each ended by `\n` (a line's own `\r` kept). */
  readonly bytes: Uint8Array;
  /** The 1-based line number, in the commit's version of the file, of each added line in order. */
  readonly lineNumbers: readonly number[];
}

const NUL = 0x00;
const NEWLINE = 0x0a;
/** Each commit starts with a line that no patch line can start with: a NUL byte, then the fields NUL-separated. */
const COMMIT_FORMAT = '--format=%x00%H%x00%an%x00%ae%x00%aI';
const HUNK_HEADER = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;
const C_ESCAPES: Readonly<Record<string, number>> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 0x22, '\\': 0x5c };

/** A path as git prints it in a patch header: C-quoted (`"b/a\\tb"`) when it holds special bytes. */
export function unquotePath(field: string): string {
  if (!field.startsWith('"')) return field;
  const bytes: number[] = [];
  for (let i = 1; i < field.length - 1; i++) {
    const char = field[i]!;
    if (char !== '\\') {
      bytes.push(field.charCodeAt(i));
      continue;
    }
    const octal = /^[0-7]{3}/.exec(field.slice(i + 1));
    if (octal) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(C_ESCAPES[field[i + 1] ?? ''] ?? field.charCodeAt(i + 1));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The revisions of `range` (a revision range), else every ref. A range git would read as an option (`--output=FILE`) is refused, not passed on. */
function revisionArguments(range: string | undefined): string[] {
  if (range?.startsWith('-')) throw new SseredactError('usage', `scan --git: ${JSON.stringify(range)} is not a revision range`);
  return range === undefined ? ['--all'] : [range];
}

/**
 * The commits `range` (default: every ref) names, as git resolves them in `cwd` (an excluded one
 * after `^`), sorted: what identifies the history {@link readAddedLines} reads, for a scan journal.
 * Throws SseredactError('io') when git fails (a bad range).
 */
export async function resolveRange(cwd: string, range: string | undefined): Promise<string[]> {
  const output = await runGit(['rev-parse', ...revisionArguments(range)], cwd);
  const revisions = output.toString('utf8').split('\n');
  return [...new Set(revisions.filter((line) => line !== ''))].sort();
}

/** The git arguments of the log: every commit reachable from `range` (a revision range), else from every ref; patches of `pathspecs` only, when given. */
function logArguments(range: string | undefined, pathspecs: readonly string[]): string[] {
  const revisions = revisionArguments(range);
  return [
    '-c',
    'core.quotePath=false',
    'log',
    '-p',
    '-U0',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--find-renames',
    '--encoding=UTF-8',
    COMMIT_FORMAT,
    ...revisions,
    '--',
    ...pathspecs,
  ];
}

/** Turns the log's lines into {@link AddedLines}: a small state machine over one commit's patch at a time. */
class PatchParser {
  private commit: CommitInfo | null = null;
  private path: string | null = null;
  /** True between a hunk header and the next file or commit: `+` lines are content there, headers elsewhere. */
  private inHunk = false;
  private nextLine = 0;
  private lines: Uint8Array[] = [];
  private lineNumbers: number[] = [];

  /** Takes one line of the log (without its `\n`); returns the file it completes, if any. */
  feed(line: Buffer): AddedLines | null {
    if (line[0] === NUL) {
      const done = this.flush();
      const [, id = '', author = '', email = '', date = ''] = line.toString('utf8').split('\0');
      this.commit = { id, author, email, date };
      this.path = null;
      return done;
    }
    if (this.inHunk) {
      const first = line[0];
      if (first === 0x2b) {
        this.lines.push(line.subarray(1));
        this.lineNumbers.push(this.nextLine++);
        return null;
      }
      if (first === 0x2d || first === 0x5c) return null; // a removed line, or "\ No newline at end of file"
      if (first === 0x20) {
        this.nextLine++;
        return null;
      }
      if (first === 0x40) return this.startHunk(line);
    }
    if (line.subarray(0, 11).toString('latin1') === 'diff --git ') {
      const done = this.flush();
      this.path = null;
      this.inHunk = false;
      return done;
    }
    if (line.subarray(0, 4).toString('latin1') === '+++ ') {
      // Git ends a name holding a space with a tab, as patch(1) wants it.
      const field = unquotePath(line.subarray(4).toString('utf8').replace(/\t$/, ''));
      // `+++ /dev/null`: the file is deleted, nothing is added.
      this.path = field.startsWith('b/') ? field.slice(2) : null;
      return null;
    }
    if (line[0] === 0x40) return this.startHunk(line);
    return null;
  }

  private startHunk(line: Buffer): null {
    const header = HUNK_HEADER.exec(line.toString('latin1'));
    this.inHunk = header !== null;
    this.nextLine = header ? Number(header[1]) : 0;
    return null;
  }

  /** The file being read, if it added anything; resets for the next. */
  flush(): AddedLines | null {
    const done =
      this.commit !== null && this.path !== null && this.lines.length > 0
        ? { commit: this.commit, path: this.path, bytes: joinLines(this.lines), lineNumbers: this.lineNumbers }
        : null;
    this.lines = [];
    this.lineNumbers = [];
    this.inHunk = false;
    return done;
  }
}

function joinLines(lines: readonly Uint8Array[]): Uint8Array {
  const bytes = Buffer.allocUnsafe(lines.reduce((sum, line) => sum + line.length + 1, 0));
  let at = 0;
  for (const line of lines) {
    bytes.set(line, at);
    at += line.length;
    bytes[at++] = NEWLINE;
  }
  return bytes;
}

/**
 * The lines every commit in `range` (default: all history, `--all`) adds, file by file (limited to
 * `pathspecs`, relative to `cwd`, when given), newest commit first, as git log orders them. Run in `cwd`, which must be inside a work tree. Throws
 * SseredactError('io') with git's first line of stderr when git fails (a bad range, say), after
 * what it already yielded.
 */
export async function* readAddedLines(cwd: string, range: string | undefined, pathspecs: readonly string[] = []): AsyncGenerator<AddedLines> {
  const child = spawn('git', logArguments(range, pathspecs), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (data: Buffer) => stderr.push(data));
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  // Handled below; an unawaited rejection must not end the process first.
  exit.catch(() => {});
  const parser = new PatchParser();
  let carry: Buffer = Buffer.alloc(0);
  let isComplete = false;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE, start)) {
        const done = parser.feed(data.subarray(start, end));
        start = end + 1;
        if (done) yield done;
      }
      carry = data.subarray(start);
    }
    if (carry.length > 0) {
      const done = parser.feed(carry);
      if (done) yield done;
    }
    const last = parser.flush();
    if (last) yield last;
    isComplete = true;
  } finally {
    // A consumer that stops early (an error downstream) must not leave git running.
    if (!isComplete) child.kill();
  }
  const status = await exit.catch((error: NodeJS.ErrnoException) => {
    const reason = error.code === 'ENOENT' ? 'git is not installed (not on the PATH)' : error.message;
    throw new SseredactError('io', `git log: ${reason}`, { cause: error });
  });
  if (status !== 0) {
    const message = Buffer.concat(stderr).toString('utf8').trim().split('\n')[0] || `exit status ${status}`;
    throw new SseredactError('io', `git log: ${message.replace(/^fatal: /, '')}`);
  }
}
