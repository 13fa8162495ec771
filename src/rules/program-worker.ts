/**
 * The background build of a rule set's programs (buildProgramsInBackground in ./compile.ts), in a
 * worker thread: it compiles the recipe's regex rules as the main thread did, caches their
 * programs (./program-cache.ts) and sends the entry file back, transferred rather than copied,
 * with what it would have logged. A rule that fails to compile fails the worker (its `error`
 * event); the main thread then compiles each program on first use, as without a cache.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RuleSpec } from '../types.js';
import { compileRules } from './compile.js';
import { writePrograms } from './program-cache.js';

/** What the worker is started with (its workerData). */
export interface ProgramRecipe {
  /** The rule set's regex rules, in order. */
  readonly specs: readonly RuleSpec[];
  readonly maxMatch: number;
  readonly cacheDirectory: string;
  readonly key: string;
}

/** What the worker sends back once. */
export interface ProgramsBuilt {
  readonly file: Uint8Array;
  readonly messages: readonly string[];
}

const recipe = workerData as ProgramRecipe;
const messages: string[] = [];
const programs = compileRules(recipe.specs, { maxMatch: recipe.maxMatch }).map((rule) => rule.program);
const file = writePrograms(recipe.cacheDirectory, recipe.key, programs, (message) => messages.push(message));
parentPort?.postMessage({ file, messages } satisfies ProgramsBuilt, [file.buffer as ArrayBuffer]);
