/**
 * Wires scan mode: each target (file, staged blob, stdin) is scanned whole (./scan-file.ts) and
 * each finding that counts goes to the sink, in target order, whoever scanned it.
 *
 * Unless `--jobs` says how many workers, small inputs are scanned on this thread: a worker's start
 * (loading the rule set) costs more than they take. Others go to a pool of worker threads
 * (src/pool/), smallest file first;
 * the main thread only lists, hands out and reports, and the report is the same byte for byte
 * whatever the number of workers: results wait in a reorder buffer (their findings, not the
 * files' bytes) until every earlier target is reported. A `--file-timeout` needs workers (a
 * worker is what can be stopped mid-file), so it always uses the pool.
 *
 * A file the pool could not scan (it timed out, or workers died on it twice) is reported through
 * `onNotScanned` and counted in the totals, never passed as clean.
 *
 * With a journal (`scan --resume`, ./scan-journal.ts), each file scanned is recorded as it finishes
 * (with workers, out of order), and a file an earlier run recorded is not scanned again: its
 * findings are reported from the journal at its turn. The target list is the journal's (the caller
 * checks that), so the report is byte for byte that of one run.
 *
 * Memory: on this thread, one target at a time, whole. With the pool, each worker holds the file
 * it scans and the one it has next; the queue holds at most QUEUE_PER_WORKER tasks per worker
 * (names, or the bytes of staged blobs), and the reorder buffer the findings of scanned files.
 */

import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { SseredactError } from '../errors.js';
import { type TaskOutcome, type WorkerPoolStats, createWorkerPool } from '../pool/worker-pool.js';
import type { RuleSet } from '../rules/ruleset.js';
import { type ScanTarget, createWholeFileReader } from '../sources/scan-targets.js';
import type { ScanFinding } from '../types.js';
import { type FileScan, createFileScanner } from './scan-file.js';
import type { ScanJournal } from './scan-journal.js';
import type { RuleSetRecipe, ScanTask, WorkerScan } from './scan-worker.js';

export interface ScanOptions {
  /**
   * `--jobs`: worker threads; 1 scans on this thread. Absent: the number of cores for a large
   * input, this thread for a small one.
   */
  readonly jobs?: number;
  /** `--file-timeout` in milliseconds: a file that takes longer is reported as not scanned. */
  readonly fileTimeoutMs?: number | null;
  /** The `--max-match` the rule set was compiled with (workers compile it the same way). */
  readonly maxMatch: number;
  /** Told of each file that could not be scanned, at its turn in the report. */
  readonly onNotScanned?: (notScanned: NotScanned) => void;
  /** `scan --resume`: records each file scanned (its key: its index in the targets) and holds those already scanned. */
  readonly journal?: ScanJournal;
}

export interface NotScanned {
  readonly path: string;
  /** `timeout`: it ran past --file-timeout; `crash`: a worker died on it on both tries. */
  readonly reason: 'timeout' | 'crash';
  readonly detail: string;
}

export interface ScanTotals {
  /** Targets scanned (binary ones not included). */
  readonly files: number;
  readonly bytes: number;
  /** Targets skipped as binary: a NUL byte in their first 8 KiB (as git and grep decide). */
  readonly binaryFiles: number;
  /** Targets not scanned (timeout, crash): see ScanOptions.onNotScanned. */
  readonly failedFiles: number;
  readonly findings: number;
  /** Milliseconds from the first target to the last report. */
  readonly elapsedMs: number;
  /** The pool's telemetry; null when the scan ran on this thread. */
  readonly pool: WorkerPoolStats | null;
}

/** Inputs below both of these run on this thread (a worker's start-up costs more than they take). */
const POOL_MIN_FILES = 200;
const POOL_MIN_BYTES = 16 * 1024 * 1024;
/** Tasks waiting for a worker, per worker, before the listing waits. */
const QUEUE_PER_WORKER = 16;

type Emit = (finding: ScanFinding) => Promise<void>;

interface Counts {
  files: number;
  bytes: number;
  binaryFiles: number;
  failedFiles: number;
  findings: number;
}

async function report(scan: FileScan, size: number, counts: Counts, onFinding: Emit): Promise<void> {
  if (scan.binary) {
    counts.binaryFiles++;
    return;
  }
  counts.files++;
  counts.bytes += size;
  for (const finding of scan.findings) {
    counts.findings++;
    await onFinding(finding);
  }
}

/** A target's key in the journal: its index in the target list (the journal's scan fixes the list). */
const unitOfTarget = (index: number): string => String(index);

/**
 * Scans `targets`; `onFinding` hears each finding that counts, in target order, and is awaited (a
 * slow sink slows the report). Throws SseredactError('io') when a target cannot be read, at its
 * turn (findings of earlier targets are reported first); SseredactError('internal') when a worker's
 * scan failed, and an Error when the pool's workers cannot start (both: exit 3).
 */
export async function scanTargets(ruleSet: RuleSet, targets: readonly ScanTarget[], onFinding: Emit, options: ScanOptions): Promise<ScanTotals> {
  const startedAt = performance.now();
  const counts: Counts = { files: 0, bytes: 0, binaryFiles: 0, failedFiles: 0, findings: 0 };
  const jobs = Math.max(1, options.jobs ?? availableParallelism());
  const fileTimeoutMs = options.fileTimeoutMs ?? null;
  const sizes = targets.map((target) => target.size);
  const journal = options.journal ?? null;
  const pending = targets.flatMap((_target, index) => (journal?.finished(unitOfTarget(index)) === undefined ? [index] : []));
  const pendingBytes = pending.reduce((sum, index) => sum + sizes[index]!, 0);
  const isLarge = pending.length >= POOL_MIN_FILES || pendingBytes >= POOL_MIN_BYTES;
  // A large scan keeps its memory as flat as a stream does (cli/main.ts, collectEarly), its pool
  // workers too (2 workers on 10,000 files / 500 MiB: 170 MB peak RSS instead of 300); a small
  // one would only pay a full collection for it (10-45 ms of a pre-commit scan on the ts engine).
  if (isLarge) setFlagsFromString('--optimize-for-size');
  const usesPool = pending.length > 0 && (fileTimeoutMs !== null || (jobs > 1 && (options.jobs !== undefined || isLarge)));
  let pool: WorkerPoolStats | null = null;
  if (!usesPool) {
    const scanFile = createFileScanner(ruleSet);
    const readFile = createWholeFileReader();
    for (const [index, target] of targets.entries()) {
      let scanned = journal?.finished(unitOfTarget(index));
      if (scanned === undefined) {
        const bytes = target.file === undefined ? await target.read() : readFile(target.file, target.path);
        scanned = { ...scanFile(target.path, bytes), size: bytes.length };
        journal?.record(unitOfTarget(index), scanned);
      }
      await report(scanned, scanned.size, counts, onFinding);
    }
  } else {
    const poolOptions = { jobs: Math.min(jobs, pending.length), fileTimeoutMs, maxMatch: options.maxMatch, journal };
    pool = await scanOnPool(ruleSet, targets, sizes, poolOptions, async (outcome, target) => {
      if (outcome.kind === 'done') {
        const scanned = outcome.value;
        if ('unreadable' in scanned) throw new SseredactError('io', scanned.unreadable);
        return report(scanned, scanned.size, counts, onFinding);
      }
      // The scan itself failed in the worker (a redactor's fail-closed check): an internal failure.
      if (outcome.kind === 'error') throw new SseredactError('internal', `scanning ${target.path}: ${outcome.message}`);
      counts.failedFiles++;
      const detail = outcome.kind === 'timeout' ? `it took longer than --file-timeout (${fileTimeoutMs} ms)` : `a worker died on it twice (${outcome.message})`;
      options.onNotScanned?.({ path: target.path, reason: outcome.kind, detail });
    });
  }
  return { ...counts, elapsedMs: performance.now() - startedAt, pool };
}

interface PoolScanOptions {
  readonly jobs: number;
  readonly fileTimeoutMs: number | null;
  readonly maxMatch: number;
  /** Files it holds are not handed out (their outcome is what it recorded); the others are recorded as they finish. */
  readonly journal: ScanJournal | null;
}

/**
 * Hands `targets` to a pool, smallest first, and calls `onOutcome` for each in target order.
 * Returns the pool's telemetry.
 */
async function scanOnPool(
  ruleSet: RuleSet,
  targets: readonly ScanTarget[],
  sizes: readonly number[],
  options: PoolScanOptions,
  onOutcome: (outcome: TaskOutcome<WorkerScan>, target: ScanTarget) => Promise<void>,
): Promise<WorkerPoolStats> {
  const recipe: RuleSetRecipe = { specs: ruleSet.rules.map((rule) => rule.spec), maxMatch: options.maxMatch, engine: ruleSet.database.engine };
  const pool = createWorkerPool<ScanTask, WorkerScan>({
    script: new URL('./scan-worker.js', import.meta.url),
    workerData: recipe,
    size: options.jobs,
    queueLimit: QUEUE_PER_WORKER * options.jobs,
    taskTimeoutMs: options.fileTimeoutMs,
  });
  // Each target's outcome, settled once it was handed out and scanned; reported in target order.
  const outcomes = targets.map(() => {
    let settle: (outcome: Promise<TaskOutcome<WorkerScan>>) => void = () => {};
    const promise = new Promise<TaskOutcome<WorkerScan>>((resolve) => {
      settle = resolve;
    });
    return { promise, settle };
  });
  const { journal } = options;
  const order: number[] = [];
  for (const [index, outcome] of outcomes.entries()) {
    const finished = journal?.finished(unitOfTarget(index));
    if (finished === undefined) order.push(index);
    else outcome.settle(Promise.resolve({ kind: 'done', value: finished }));
  }
  order.sort((a, b) => sizes[a]! - sizes[b]! || a - b);
  let stopped = false;
  const handOut = (async () => {
    for (const index of order) {
      await pool.whenRoom();
      if (stopped) return;
      const target = targets[index]!;
      // A staged blob is a view into git's whole output: copied, so that only its own bytes cross.
      const task: ScanTask = target.file !== undefined ? { path: target.path, file: target.file } : { path: target.path, bytes: new Uint8Array(await target.read()) };
      const outcome = pool.run(task, sizes[index]!);
      // Recorded as it finishes, not at its turn in the report: a kill loses only the files in work.
      const recorded = outcome.then((result) => {
        if (journal !== null && result.kind === 'done' && !('unreadable' in result.value)) journal.record(unitOfTarget(index), result.value);
        return result;
      });
      // Rejected only when the pool breaks or closes (or the journal cannot be written): the report's wait hears it, or no one needs to.
      recorded.catch(() => {});
      outcomes[index]!.settle(recorded);
    }
  })();
  // A failure while handing out (stdin unreadable) must end the report's wait too.
  const handOutFailed = handOut.then(
    () => new Promise<never>(() => {}),
    (error: unknown) => Promise.reject(error),
  );
  handOutFailed.catch(() => {});
  try {
    for (const [index, target] of targets.entries()) {
      await onOutcome(await Promise.race([outcomes[index]!.promise, handOutFailed]), target);
    }
    return pool.stats();
  } finally {
    stopped = true;
    await pool.close();
    await handOut.catch(() => {});
  }
}
