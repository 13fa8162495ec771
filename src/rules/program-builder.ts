/**
 * The background build of a rule set's programs (buildProgramsInBackground in ./compile.ts), in a
 * detached process of its own, so that it finishes after the run that started it has ended (a
 * short one, `echo hi | sseredact` or a pre-commit hook, ends long before): `node
 * program-builder.js LOCK`, where LOCK is the build's lock file (src/cache.ts, claimBuild) holding
 * its ProgramRecipe as JSON. It compiles the recipe's regex rules as the run did, caches their
 * programs (./program-cache.ts: temp and rename, so a builder killed midway leaves no entry) and
 * removes the lock; exit status 0 when the entry was written. Asked to (a redacting run's set),
 * it first caches the set's in-flight automata as well. A rule that fails to compile fails the
 * build; runs then compile each program on first use, as without a cache.
 */
import { existsSync, rmSync } from 'node:fs';
import { readPrivateFile } from '../cache.js';
import { cacheInFlightAutomata } from '../redact/in-flight.js';
import type { RuleSpec } from '../types.js';
import { compileRules } from './compile.js';
import { writePrograms } from './program-cache.js';

/** What a build compiles: the content of its lock file. */
export interface ProgramRecipe {
  /** The rule set's regex rules, in order (a literal set's values are secrets: never in a recipe). */
  readonly specs: readonly RuleSpec[];
  /** The index of each in the set. */
  readonly indexes: readonly number[];
  readonly maxMatch: number;
  readonly cacheDirectory: string;
  /** The programs' key. */
  readonly key: string;
  /** Whether to cache the set's in-flight automata too (BackgroundBuildOptions in ./compile.ts). */
  readonly inFlight: boolean;
}

/** The largest recipe read: the built-in pack's is under 1 MiB. */
const MAX_RECIPE_BYTES = 64 * 1024 * 1024;

const lock = process.argv[2] ?? '';
let isWritten = false;
try {
  const read = readPrivateFile(lock, MAX_RECIPE_BYTES);
  if ('bytes' in read) {
    const recipe = JSON.parse(read.bytes.toString('utf8')) as ProgramRecipe;
    const rules = compileRules(recipe.specs, { maxMatch: recipe.maxMatch });
    // First: a run still going reads them at its first held tail, a stall where they are missing;
    // its programs it takes when this process ends. A failure here leaves that run to build them.
    if (recipe.inFlight) cacheInFlightAutomata(rules, recipe.indexes, recipe.cacheDirectory, () => {});
    const programs = rules.map((rule) => rule.program);
    // A lock gone meanwhile: its directory was removed (a test's), which a write would make again.
    if (existsSync(lock)) {
      isWritten = true;
      // No one hears why a write failed: the run that asked may have ended. Its status says so.
      writePrograms(recipe.cacheDirectory, recipe.key, programs, () => {
        isWritten = false;
      });
    }
  }
} finally {
  rmSync(lock, { force: true });
}
process.exitCode = isWritten ? 0 : 1;
