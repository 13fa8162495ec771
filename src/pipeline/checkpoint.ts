/**
 * Checkpoints of long file jobs (`--checkpoint FILE`, `--resume`): what a run records at a clean
 * point of its input (./redact-stream.ts) so that a killed run goes on from there, and the checks
 * that a resumed run is the same job on the same input.
 *
 * The file is one JSON object, replaced atomically (written beside it, fsynced, renamed), so a kill
 * leaves either the previous checkpoint or the new one, never half of one:
 *
 *     {"version":1,"sseredact":"0.1.0","settings":"sha256:…",
 *      "input":{"path":"/data/app.log","size":52428800,"mtimeMs":1764662400000,"prefixSha256":"…","prefixLength":1048576},
 *      "output":{"path":"/data/app.redacted.log","tempPath":"/data/.app.redacted.log.sseredact-3fa2c1.tmp","offset":67108121},
 *      "records":{"path":"/data/findings.ndjson","offset":5120},
 *      "position":{"offset":67108864,"lines":812345},
 *      "tally":{"streams":1,"bytes":67108864,"findings":12,"rules":{"github-pat":12}},
 *      "hashKey":"…","finished":null}
 *
 * - `settings`: a hash of what decides the output (the rules, `--replace`, `--json`,
 *   `--show-secret`, the version): resuming with other rules or options is refused.
 * - `input`: the input's identity when the run started; `prefixSha256` hashes its first
 *   `prefixLength` bytes (at most 1 MiB).
 * - `output.offset`, `records.offset`: bytes written (and fsynced) when the checkpoint was taken;
 *   a resumed run cuts the files back to them.
 * - `position`: the input offset (a line start) and the newlines before it.
 * - `hashKey`: the key of `{hash}` replacements when SSEREDACT_HASH_KEY is not set, so that a
 *   resumed run renders the same hashes. The file is created with mode 0600.
 * - `finished`: null while the run goes on. Once the whole output (and records) is written and
 *   fsynced, just before the output is renamed into place, the last checkpoint records the
 *   temporary file (its inode, size and mtime, which a rename keeps): a run killed after that point
 *   left a complete output, and `--resume` then only renames it into place, or sees that it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SseredactError, describeSystemError } from '../errors.js';
import type { Node } from '../regex/ast.js';
import type { RuleSet } from '../rules/ruleset.js';
import { syncDirectory } from '../sinks/file-target.js';
import type { StreamPosition } from './redact-stream.js';

const VERSION = 1;
/** Bytes of the input's start that identify it, with its size and mtime. */
const PREFIX_LENGTH = 1024 * 1024;

export interface InputIdentity {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly prefixSha256: string;
  readonly prefixLength: number;
}

export interface Checkpoint {
  readonly version: number;
  readonly sseredact: string;
  readonly settings: string;
  readonly input: InputIdentity;
  readonly output: { readonly path: string; readonly tempPath: string; readonly offset: number };
  readonly records: { readonly path: string; readonly offset: number } | null;
  readonly position: StreamPosition;
  readonly tally: { readonly streams: number; readonly bytes: number; readonly findings: number; readonly rules: Readonly<Record<string, number>> };
  readonly hashKey: string | null;
  readonly finished: WrittenFile | null;
}

/** A file as a rename keeps it: the same inode, size and modification time. */
export interface WrittenFile {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The inode, size and mtime of the file at `path`; null when there is none. */
export async function writtenFile(path: string): Promise<WrittenFile | null> {
  const info = await stat(path).catch(() => null);
  return info === null ? null : { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs };
}

/** Whether `file` is the one `finished` recorded. */
export function isSameFile(file: WrittenFile | null, finished: WrittenFile): boolean {
  return file !== null && file.ino === finished.ino && file.size === finished.size && file.mtimeMs === finished.mtimeMs;
}

function checkpointError(path: string, why: string): SseredactError {
  return new SseredactError('usage', `--checkpoint ${path}: ${why}`);
}

/** The identity of the input file at `path`. @throws SseredactError('io') when it cannot be read. */
export async function inputIdentity(path: string): Promise<InputIdentity> {
  try {
    const real = await realpath(path);
    const handle = await open(real, 'r');
    try {
      const info = await handle.stat();
      const prefix = Buffer.alloc(Math.min(info.size, PREFIX_LENGTH));
      const { bytesRead } = await handle.read(prefix, 0, prefix.length, 0);
      return {
        path: real,
        size: info.size,
        mtimeMs: info.mtimeMs,
        prefixSha256: createHash('sha256').update(prefix.subarray(0, bytesRead)).digest('hex'),
        prefixLength: bytesRead,
      };
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new SseredactError('io', `cannot read ${path}: ${describeSystemError(error)}`, { cause: error });
  }
}

/**
 * Reads the checkpoint at `path`; null when there is none.
 * @throws SseredactError('usage') when the file is not a checkpoint this version can resume.
 */
export async function readCheckpoint(path: string): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw checkpointError(path, `cannot read: ${describeSystemError(error)}`);
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = JSON.parse(text) as Checkpoint;
  } catch {
    throw checkpointError(path, 'not a checkpoint (not JSON)');
  }
  if (typeof checkpoint !== 'object' || checkpoint === null || checkpoint.version !== VERSION) throw checkpointError(path, `not a checkpoint of version ${VERSION}`);
  return checkpoint;
}

/** Replaces the checkpoint at `path` atomically (mode 0600). @throws SseredactError('output'). */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const temp = `${path}.tmp`;
  try {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(checkpoint)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    throw new SseredactError('output', `cannot write checkpoint ${path}: ${describeSystemError(error)}`, { cause: error });
  }
  await syncDirectory(dirname(path));
}

/** Removes the checkpoint of a finished run. */
export async function removeCheckpoint(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}

/**
 * What differs between the checkpoint's input and `current`, in a few words, or null. The first
 * difference found is named: path, then size, mtime, the prefix.
 */
export function inputDifference(saved: InputIdentity, current: InputIdentity): string | null {
  if (saved.path !== current.path) return `it is of input ${saved.path}, not ${current.path}`;
  if (saved.size !== current.size) return `the input's size changed (${saved.size} bytes then, ${current.size} now)`;
  if (saved.mtimeMs !== current.mtimeMs)
    return `the input's modification time changed (${new Date(saved.mtimeMs).toISOString()} then, ${new Date(current.mtimeMs).toISOString()} now)`;
  if (saved.prefixSha256 !== current.prefixSha256 || saved.prefixLength !== current.prefixLength) return `the input's first ${saved.prefixLength} bytes changed`;
  return null;
}

/**
 * Checks that the files a checkpoint records are there and hold at least what it says was written.
 * @throws SseredactError('usage') naming the file that does not.
 */
export async function checkWrittenFiles(checkpointPath: string, checkpoint: Checkpoint): Promise<void> {
  const files = [
    { what: 'the partial output', path: checkpoint.output.tempPath, offset: checkpoint.output.offset },
    ...(checkpoint.records ? [{ what: 'the records', path: checkpoint.records.path, offset: checkpoint.records.offset }] : []),
  ];
  for (const file of files) {
    const info = await stat(file.path).catch(() => null);
    if (info === null) throw checkpointError(checkpointPath, `${file.what} ${file.path} is gone`);
    if (info.size < file.offset) throw checkpointError(checkpointPath, `${file.what} ${file.path} holds ${info.size} bytes, fewer than the ${file.offset} it recorded`);
  }
}

/** The hash of what decides a run's output bytes and records (see the header's `settings`). */
export function settingsHash(ruleSet: RuleSet, options: Readonly<Record<string, unknown>>, version: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ version, options, maxWidth: ruleSet.database.maxWidth }));
  for (const rule of ruleSet.rules) hash.update(JSON.stringify(rule.spec));
  return `sha256:${hash.digest('hex')}`;
}

/** A new random key for `{hash}` replacements (see the header's `hashKey`). */
export function newHashKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The id of a regex rule that asserts the stream's start (`^` without `(?m)`, `\A`), or null. A
 * resumed redactor starts a new stream at the cut, where such a rule could match when the whole
 * stream would not: checkpoints refuse such rule sets.
 */
export function ruleAssertingStreamStart(ruleSet: RuleSet): string | null {
  const asserts = (node: Node): boolean => {
    switch (node.type) {
      case 'assert':
        return node.kind === 'streamStart';
      case 'concat':
      case 'alt':
        return node.items.some(asserts);
      case 'repeat':
      case 'group':
        return asserts(node.child);
      default:
        return false;
    }
  };
  return ruleSet.rules.find((rule) => rule.literals === null && asserts(rule.ast))?.spec.id ?? null;
}
