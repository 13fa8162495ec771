/**
 * The background build of a rule set's in-flight automata (buildInFlightInBackground in
 * ./in-flight.ts), in a detached process of its own: `node in-flight-builder.js LOCK`, where LOCK
 * is the build's lock file (src/cache.ts, claimBuild) holding its InFlightRecipe as JSON. It
 * builds the automata from the rules' sources as a run would, caches them and removes the lock;
 * exit status 0 when the entry was written. A rule that fails to parse fails the build; a run then
 * builds the automata at its first use, as without a cache.
 */
import { existsSync, rmSync } from 'node:fs';
import { readPrivateFile } from '../cache.js';
import { type InFlightKeyInput, writeInFlightAutomata } from '../engine/ts/automaton-cache.js';
import { buildInFlightAutomata } from '../engine/ts/positions.js';
import { treeOfSource } from '../rules/compile.js';

/** What a build builds: the content of its lock file. */
export interface InFlightRecipe {
  /** What decides the automata, rule by rule (regex rules only: a literal set's values are secrets). */
  readonly rules: readonly InFlightKeyInput[];
  readonly cacheDirectory: string;
  readonly key: string;
}

/** The largest recipe read: the built-in packs' is well under 1 MiB. */
const MAX_RECIPE_BYTES = 64 * 1024 * 1024;

const lock = process.argv[2] ?? '';
let isWritten = false;
try {
  const read = readPrivateFile(lock, MAX_RECIPE_BYTES);
  if ('bytes' in read) {
    const recipe = JSON.parse(read.bytes.toString('utf8')) as InFlightRecipe;
    const automata = buildInFlightAutomata(recipe.rules.map((rule) => ({ index: rule.index, ast: treeOfSource(rule.source), secretGroup: rule.secretGroup })));
    // A lock gone meanwhile: its directory was removed (a test's), which a write would make again.
    if (existsSync(lock)) {
      isWritten = true;
      // No one hears why a write failed: the run that asked may have ended. Its status says so.
      writeInFlightAutomata(recipe.cacheDirectory, recipe.key, automata, () => {
        isWritten = false;
      });
    }
  }
} finally {
  rmSync(lock, { force: true });
}
process.exitCode = isWritten ? 0 : 1;
