/**
 * Long file jobs: `-o FILE` (the inputs redacted into FILE), `--in-place` (each file redacted into
 * itself, `--suffix` keeping the original), and `--checkpoint FILE` / `--resume` for one input.
 *
 * Each job writes its target atomically (src/sinks/file-target.ts): a failed run leaves the old
 * file as it was. Under `--in-place`, a file that cannot be read is reported on one line and
 * skipped; the others are done and the run exits 2. A file that cannot be written (a full disk)
 * stops the run: exit 3.
 *
 * Checkpoints (src/pipeline/checkpoint.ts): every `--checkpoint-every` input bytes, at the next
 * clean point (a line end where nothing is held back and no match is in flight), the output and
 * records are fsynced and the position recorded. `--resume` checks that the input, the files
 * written and the options are those of the checkpoint (refused with one line naming what differs,
 * exit 2, nothing written), cuts the files back to the recorded lengths, and goes on from the
 * recorded input offset: the final output and records are byte for byte those of one run. When a
 * run with checkpoints fails, its temporary output stays for `--resume`; a finished run removes
 * the checkpoint. A run killed once its output was complete (between the last checkpoint, which
 * says so, and the checkpoint's removal) left nothing to redact: `--resume` renames the output
 * into place if the kill came before that, says so on stderr, and removes the checkpoint.
 * Not with `--sse`/`--sse-json`: an event stream's state (an event half parsed, a
 * content stream spanning events) is not a byte offset, so checkpoints are refused there.
 */
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SseredactError, isErrorOfType } from '../errors.js';
import {
  type Checkpoint,
  type WrittenFile,
  checkWrittenFiles,
  inputDifference,
  inputIdentity,
  isSameFile,
  newHashKey,
  readCheckpoint,
  removeCheckpoint,
  ruleAssertingStreamStart,
  settingsHash,
  writeCheckpoint,
  writtenFile,
} from '../pipeline/checkpoint.js';
import type { StreamOpener } from '../pipeline/open-stream.js';
import { type StreamCheckpoints, type StreamPosition, type StreamSinks, redactSource } from '../pipeline/redact-stream.js';
import type { RuleSet } from '../rules/ruleset.js';
import { type AtomicFile, type FileSink, openAtomicFile, openDirectFile, renameIntoPlace, resumeAtomicFile } from '../sinks/file-target.js';
import { FindingTally } from '../sinks/ndjson.js';
import type { ByteSink } from '../sinks/output.js';
import { openRecordsSink } from '../sinks/records-target.js';
import { openInput } from '../sources/input.js';
import { EXIT_FINDINGS, EXIT_OK, reportError } from './exit.js';
import { type RedactCommandOptions, VERSION } from './program.js';

/**
 * Test-only fault injection: with NODE_ENV=test and SSEREDACT_TEST_FAULT=checkpoint-kill:before-rename
 * (or :after-rename), a checkpointed run kills itself (SIGKILL) once its output is complete, before
 * (after) renaming it into place: the two states test/e2e/file-jobs.test.ts resumes from.
 */
const KILL_AT = process.env.NODE_ENV === 'test' ? /^checkpoint-kill:(before|after)-rename$/.exec(process.env.SSEREDACT_TEST_FAULT ?? '')?.[1] : undefined;

function killIfAsked(when: 'before' | 'after'): void {
  if (KILL_AT === when) process.kill(process.pid, 'SIGKILL');
}

/** `--checkpoint-every` unless given. */
export const DEFAULT_CHECKPOINT_EVERY = 64 * 1024 * 1024;

/** One target and the inputs redacted into it. */
interface Unit {
  readonly inputs: readonly string[];
  readonly target: string;
  /** `--in-place`: the target is its own input, and the new file takes its mode. */
  readonly inPlace: boolean;
}

/** A file job, checked before any rule compiles. */
export interface FileJob {
  readonly units: readonly Unit[];
  readonly checkpoint: { readonly path: string; readonly saved: Checkpoint | null } | null;
  /** The `{hash}` key a checkpointed run keeps (SSEREDACT_HASH_KEY unset); undefined: none. */
  readonly hashKey: string | undefined;
}

function usage(message: string): SseredactError {
  return new SseredactError('usage', message);
}

/**
 * The file job the options ask for, or null (output to stdout). Checks the options against each
 * other and, for `--resume`, reads the checkpoint.
 * @throws SseredactError('usage') for options that do not go together or a checkpoint in the way.
 */
export async function prepareFileJob(files: readonly string[], options: RedactCommandOptions): Promise<FileJob | null> {
  const isFileJob = options.output !== undefined || options.inPlace;
  if (!isFileJob) {
    if (options.suffix !== undefined) throw usage('--suffix needs --in-place');
    if (options.checkpoint !== undefined) throw usage('--checkpoint needs -o FILE or --in-place');
    if (options.resume || options.checkpointEvery !== undefined) throw usage('--resume and --checkpoint-every need --checkpoint');
    return null;
  }
  if (options.listen.length > 0) throw usage('-o and --in-place read files, not --listen sockets');
  if (options.suffix !== undefined && !options.inPlace) throw usage('--suffix needs --in-place');
  if (options.suffix === '') throw usage('--suffix needs a suffix, like .orig');
  if (options.inPlace) {
    if (files.length === 0 || files.includes('-')) throw usage('--in-place needs files (not stdin)');
    if (options.json) throw usage('--in-place writes redacted files: use --records for the records, not --json');
  }
  const inputs = files.length === 0 ? ['-'] : files;
  const units = options.inPlace ? files.map((file) => ({ inputs: [file], target: file, inPlace: true })) : [{ inputs, target: options.output as string, inPlace: false }];
  if (options.checkpoint === undefined) {
    if (options.resume || options.checkpointEvery !== undefined) throw usage('--resume and --checkpoint-every need --checkpoint');
    return { units, checkpoint: null, hashKey: undefined };
  }
  if (inputs.length !== 1 || inputs[0] === '-') throw usage('--checkpoint needs exactly one input file (not stdin)');
  if (options.sse !== 'off' || options.sseJson !== undefined)
    throw usage('--checkpoint does not work with --sse or --sse-json: an event stream cannot be resumed at a byte offset');
  if (options.records !== undefined && /^fd:\d+$/.test(options.records)) throw usage('--checkpoint needs --records to be a file: a descriptor cannot be cut back on --resume');
  const saved = await readCheckpoint(options.checkpoint);
  if (saved !== null && !options.resume) throw usage(`--checkpoint ${options.checkpoint}: a checkpoint of an unfinished run is there: add --resume to go on, or remove it`);
  const hashKey = process.env.SSEREDACT_HASH_KEY === undefined ? (saved?.hashKey ?? newHashKey()) : undefined;
  return { units, checkpoint: { path: options.checkpoint, saved }, hashKey };
}

/** What runs a file job: the compiled rules and the opener over them. */
export interface FileJobContext {
  readonly ruleSet: RuleSet;
  readonly openStream: StreamOpener;
  readonly options: RedactCommandOptions;
  readonly log: (message: string) => void;
}

/** Runs `job`; resolves to the exit status. Throws what stops the whole run (an output error). */
export async function runFileJob(job: FileJob, context: FileJobContext): Promise<number> {
  const { options, log } = context;
  let status = EXIT_OK;
  const tally = new FindingTally();
  // Records of every unit go to one file; a checkpointed job opens its own (cut back on resume).
  const records = job.checkpoint === null && options.records !== undefined ? openRecordsSink(options.records) : null;
  for (const unit of job.units) {
    try {
      const unitTally = job.checkpoint === null ? await runUnit(unit, context, records) : await runCheckpointedUnit(unit, job, context);
      tally.merge(unitTally);
      log(`${unit.target}: ${unitTally.findings} finding(s) in ${unitTally.bytes} bytes, ${unit.inPlace ? 'redacted in place' : 'written'}`);
    } catch (error) {
      // An input that cannot be read skips its file; anything else (a full disk) stops the run.
      if (!isErrorOfType(error, 'io')) throw error;
      status = reportError(error);
    }
  }
  if (records) {
    await records.write(tally.summaryRecord());
    await records.end();
  }
  if (status !== EXIT_OK) return status;
  return options.failOnMatch && tally.findings > 0 ? EXIT_FINDINGS : EXIT_OK;
}

/** The sinks of one unit: the redacted bytes to `target`, or with --json the records there. */
function unitSinks(target: ByteSink, records: ByteSink | null, options: RedactCommandOptions, tally: FindingTally): StreamSinks {
  return options.json ? { output: null, records: target, showSecret: options.showSecret, tally } : { output: target, records, showSecret: options.showSecret, tally };
}

/** Redacts `unit` into its target without checkpoints; returns its totals. */
async function runUnit(unit: Unit, context: FileJobContext, records: ByteSink | null): Promise<FindingTally> {
  // Every input is checked before the target is touched.
  const sources = unit.inputs.map((input) => openInput(input));
  const tally = new FindingTally();
  const target = await openAtomicFile(unit.target, unit.inPlace ? unit.target : undefined);
  const sinks = unitSinks(target, records, context.options, tally);
  try {
    for (const source of sources) await redactSource(source, context.openStream, sinks);
    if (context.options.json) await target.write(tally.summaryRecord());
    await target.commit(context.options.suffix);
  } catch (error) {
    await target.discard();
    throw error;
  }
  return tally;
}

/** Redacts the one input of `unit` with checkpoints, resuming from the saved one if any. */
async function runCheckpointedUnit(unit: Unit, job: FileJob, context: FileJobContext): Promise<FindingTally> {
  const { options, ruleSet } = context;
  const { path, saved } = job.checkpoint as NonNullable<FileJob['checkpoint']>;
  const input = unit.inputs[0] as string;
  const assertingRule = ruleAssertingStreamStart(ruleSet);
  if (assertingRule !== null) throw usage(`--checkpoint: rule ${assertingRule} asserts the start of the stream (^ without (?m), \\A), which a resumed run cannot keep`);
  const settings = settingsHash(ruleSet, { replace: options.replace ?? null, json: options.json, showSecret: options.showSecret, records: options.records !== undefined }, VERSION);
  if (saved?.finished) {
    if (saved.settings !== settings) throw usage(`--resume: checkpoint ${path} does not match: the rules or options (--replace, --json, --show-secret, --records) differ`);
    return finishFinishedUnit(unit, path, saved, options.suffix);
  }
  const identity = await inputIdentity(input);
  const tally = saved === null ? new FindingTally() : savedTally(saved);
  let target: AtomicFile;
  let records: FileSink | null = null;
  if (saved !== null) {
    const refuse = (why: string): never => {
      throw usage(`--resume: checkpoint ${path} does not match: ${why}`);
    };
    const difference = inputDifference(saved.input, identity);
    if (difference !== null) refuse(difference);
    if (saved.settings !== settings) refuse('the rules or options (--replace, --json, --show-secret, --records) differ');
    await checkWrittenFiles(path, saved);
    target = await resumeAtomicFile(unit.target, saved.output.tempPath, saved.output.offset);
    if (target.path !== saved.output.path) {
      await target.end();
      refuse(`it writes ${saved.output.path}, not ${target.path}`);
    }
    if (saved.records !== null) {
      if (options.records === undefined || resolve(options.records) !== saved.records.path) refuse(`its records go to ${saved.records.path}`);
      records = await openDirectFile(saved.records.path, saved.records.offset);
    }
    context.log(`${input}: resuming at byte ${saved.position.offset} (line ${saved.position.lines + 1})`);
  } else {
    target = await openAtomicFile(unit.target, unit.inPlace ? unit.target : undefined);
    if (target.tempPath === null) {
      await target.discard();
      throw usage(`--checkpoint needs -o to name a regular file (${unit.target} is not one)`);
    }
    if (options.records !== undefined) records = await openDirectFile(resolve(options.records));
  }
  const tempPath = target.tempPath as string;
  let hasCheckpoint = saved !== null;
  // What the last checkpoint says: the position saved and, once the output is complete, the file.
  let lastPosition = saved?.position ?? { offset: 0, lines: 0 };
  let finished: WrittenFile | null = null;
  // Writes the checkpoint of `position`, once what it counts is fsynced.
  const recordPosition = async (position: StreamPosition): Promise<void> => {
    await writeCheckpoint(path, {
      version: 1,
      sseredact: VERSION,
      settings,
      input: identity,
      output: { path: target.path, tempPath, offset: target.position },
      records: records === null ? null : { path: records.path, offset: records.position },
      position,
      tally: { streams: tally.streams, bytes: tally.bytes, findings: tally.findings, rules: Object.fromEntries(tally.byRule) },
      hashKey: job.hashKey ?? null,
      finished,
    });
    lastPosition = position;
    hasCheckpoint = true;
  };
  const checkpoints: StreamCheckpoints = {
    ...(saved === null ? {} : { resumeFrom: saved.position }),
    every: options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
    save: async (position) => {
      await target.sync();
      await records?.sync();
      await recordPosition(position);
      context.log(`${input}: checkpoint at byte ${position.offset}`);
    },
  };
  try {
    await redactSource(openInput(input, { start: saved?.position.offset ?? 0 }), context.openStream, unitSinks(target, records, options, tally), checkpoints);
    if (options.json) await target.write(tally.summaryRecord());
    if (records) {
      await records.write(tally.summaryRecord());
      await records.end();
    }
    await target.sync();
    finished = await writtenFile(tempPath);
    await recordPosition(lastPosition);
    killIfAsked('before');
    await target.commit(options.suffix);
  } catch (error) {
    // With a checkpoint to go on from, the partial output stays for --resume.
    if (!hasCheckpoint) await target.discard();
    throw error;
  }
  killIfAsked('after');
  await removeCheckpoint(path);
  return tally;
}

/**
 * Resumes a run killed once its output was complete: renames the output into place unless that was
 * done, says so on stderr, removes the checkpoint; returns the run's totals.
 * @throws SseredactError('usage') when neither the temporary file nor the target is the file the
 * run wrote (moved or changed since): the checkpoint then stays.
 */
async function finishFinishedUnit(unit: Unit, path: string, saved: Checkpoint, backupSuffix: string | undefined): Promise<FindingTally> {
  const finished = saved.finished as WrittenFile;
  const { tempPath, path: target } = saved.output;
  const named = await realpath(unit.target).catch(() => resolve(unit.target));
  if (named !== target) throw usage(`--resume: checkpoint ${path} does not match: it writes ${target}, not ${named}`);
  let what: string;
  if (isSameFile(await writtenFile(tempPath), finished)) {
    await renameIntoPlace(tempPath, target, backupSuffix);
    what = `it had written ${unit.target} whole, which is now renamed into place`;
  } else if (isSameFile(await writtenFile(target), finished)) {
    what = `${unit.target} is complete`;
  } else {
    throw usage(`--resume: checkpoint ${path}: its run had finished, but ${target} is not the file it wrote (changed or moved since); remove the checkpoint`);
  }
  await removeCheckpoint(path);
  process.stderr.write(`sseredact: --resume: checkpoint ${path}: its run had finished (${what}); checkpoint removed\n`);
  return savedTally(saved);
}

/** The totals a checkpoint recorded. */
function savedTally(saved: Checkpoint): FindingTally {
  const tally = new FindingTally();
  Object.assign(tally, { streams: saved.tally.streams, bytes: saved.tally.bytes, findings: saved.tally.findings });
  for (const [rule, count] of Object.entries(saved.tally.rules)) tally.byRule.set(rule, count);
  return tally;
}
