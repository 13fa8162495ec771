/**
 * A scan worker (run by src/pool/worker-pool.ts from src/pipeline/scan.ts): it rebuilds the run's
 * rule set from the recipe it is started with and scans the files it is handed with the same
 * {@link createFileScanner} as the main thread. It compiles nothing the main thread has not just
 * compiled: the rule analyses come from the start-up cache (src/rules/analysis-cache.ts), a
 * Vectorscan database or the ts engine's position automaton (engine/ts/automaton-cache.ts) from
 * theirs, all written by the main thread's compile (`--stats`: each worker's time to ready; ~150
 * CPU ms). Any other cache that compileRuleSet reads reaches the workers the same way, through the
 * same directory and key. What each thread still builds for itself, lazily, as its first files
 * need them (CPU per thread over the first 16 MB, bench tree): the ts engine's DFA states (~0.5 s),
 * the confirmer's Pike VM programs (~0.17 s; only on a program cache miss, which the pool's scan
 * fills in the background for the next run: ./scan.ts) and V8's optimised code (~0.13-0.25 s). On two idle
 * cores the workers build them at the same time, so this costs --jobs 2 about the wall time it
 * costs --jobs 1; it takes CPU from the other worker only on a busy machine.
 *
 * Reading: a file is read whole, synchronously, into the one buffer the worker reuses
 * (createWholeFileReader in src/sources/scan-targets.ts), as on the main thread with --jobs 1.
 *
 * Test-only fault injection: with NODE_ENV=test and SSEREDACT_TEST_FAULT set to one of
 *   scan-crash:NAME       the worker dies (an uncaught error) on every try of the file named NAME
 *   scan-crash-once:NAME  the same, on the first try only (the retry succeeds)
 *   scan-hang:NAME        the worker blocks for ever on NAME (a --file-timeout ends it)
 * where NAME is the file's base name, the pool's crash and timeout handling is tested through
 * bin/sseredact (test/scan/pool.test.ts). Read once at load; nothing else sets it.
 */
import { basename } from 'node:path';
import { defaultCacheDirectory } from '../cache.js';
import type { EngineName } from '../engine/engine.js';
import { selectEngine } from '../engine/select.js';
import { serveTasks } from '../pool/serve.js';
import { compileRuleSet } from '../rules/ruleset.js';
import { createWholeFileReader } from '../sources/scan-targets.js';
import type { LiteralSetSpec, RuleSpec } from '../types.js';
import { type FileScan, createFileScanner } from './scan-file.js';

/** What a worker rebuilds the run's rule set from (structured-cloned to it once). */
export interface RuleSetRecipe {
  readonly specs: ReadonlyArray<RuleSpec | LiteralSetSpec>;
  readonly maxMatch: number;
  readonly engine: EngineName;
}

/** One file to scan: read by the worker from `file`, or its bytes handed over (staged blobs, stdin). */
export type ScanTask = { readonly path: string; readonly file: string } | { readonly path: string; readonly bytes: Uint8Array };

/** A file's scan and its size in bytes, or why it could not be read (an input error, not the worker's). */
export type WorkerScan = (FileScan & { readonly size: number }) | { readonly unreadable: string };

const FAULT = process.env.NODE_ENV === 'test' ? /^scan-(crash|crash-once|hang):(.+)$/.exec(process.env.SSEREDACT_TEST_FAULT ?? '') : null;

/** Blocks for ever, or dies with an uncaught error before any reply, when the fault names `path`. */
async function injectFault(path: string, attempt: number): Promise<void> {
  if (FAULT === null || basename(path) !== FAULT[2]) return;
  if (FAULT[1] === 'hang') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  else if (FAULT[1] === 'crash' || attempt === 1) {
    // Thrown outside the task's promise chain: an uncaught error kills the worker, as a bug would.
    await new Promise<never>(() =>
      setImmediate(() => {
        throw new Error(`injected fault (SSEREDACT_TEST_FAULT=${FAULT[0]}): the worker died on ${path}`);
      }),
    );
  }
}

const readFile = createWholeFileReader();

/** The task's bytes (a file's: until the next task's are read), or the message naming why its file cannot be read. */
function readTask(task: ScanTask): Uint8Array | string {
  if ('bytes' in task) return task.bytes;
  try {
    return readFile(task.file, task.path);
  } catch (error) {
    return (error as Error).message;
  }
}

await serveTasks<ScanTask, WorkerScan>((data) => {
  const recipe = data as RuleSetRecipe;
  const engine = selectEngine(recipe.engine);
  const scanFile = createFileScanner(compileRuleSet(recipe.specs, { engine, maxMatch: recipe.maxMatch, cacheDirectory: defaultCacheDirectory() }));
  return async (task, attempt) => {
    const bytes = readTask(task);
    if (typeof bytes === 'string') return { unreadable: bytes };
    await injectFault(task.path, attempt);
    return { ...scanFile(task.path, bytes), size: bytes.length };
  };
});
