/**
 * The program cache: the confirmer's Pike VM programs (regex/pikevm.ts) of a rule set, kept on
 * disk in the start-up cache (src/cache.ts, kind `programs`) as the vectorscan engine keeps its
 * database, so that no rule's first candidate compiles its program while a line waits (DESIGN §8,
 * latency: the biggest take tens of milliseconds) and no pool worker compiles one at all. On the
 * built-in secrets pack the entry is ~4.8 MB for its 434 regex rules.
 *
 * One parted entry per rule set (src/cache.ts): one part per regex rule, in order, each a program
 * as encodeProgram lays it out, checked against its own SHA-256 and then decoded (O(its length),
 * every operand checked) when the rule first needs it; so a start reads the file and checks only
 * its small table. Its key is PROGRAM_VERSION (and the package's version, in every key), the
 * host's byte order (parts are typed arrays in it), and each regex rule's `source` (the cap and
 * the pattern: they decide the capped tree, and so the program and its capture groups), in order.
 * A stale, corrupt or malformed entry is a miss; a damaged part is a miss of that rule alone; a
 * miss compiles, never trusts. Meta (JSON): `{"programs": N}`.
 */
import { endianness } from 'node:os';
import { type PartedEntry, cacheKey, encodePartedEntry, readPartedCache, writeCacheFile } from '../cache.js';
import { type Program, decodeProgram, encodeProgram } from '../regex/pikevm.js';

/** Bump when compileProgram can give another program for the same tree, or encodeProgram another layout. */
const PROGRAM_VERSION = '2';

/** The cache key of the programs of the regex rules with these `source`s, in order. */
export function programKey(sources: readonly string[]): string {
  return cacheKey(['sseredact-pike-programs', PROGRAM_VERSION, endianness(), ...sources]);
}

/** The programs of a rule set's regex rules, by their position among them; each decoded (and checked) on first use. */
export interface ProgramStore {
  /** The program of regex rule `index`, or null (told to the log) when its part is damaged. */
  program(index: number): Program | null;
}

/** The store of `count` programs in `entry`, or null (told to `log`) when the entry holds another number. */
function storeOf(entry: PartedEntry, count: number, log: (message: string) => void): ProgramStore | null {
  let programs: unknown;
  try {
    programs = (JSON.parse(entry.meta) as { programs?: unknown } | null)?.programs;
  } catch {
    programs = null;
  }
  if (programs !== count || entry.partCount !== count) {
    log(`programs: cached entry malformed; compiling each rule's program on first use`);
    return null;
  }
  return {
    program(index) {
      const part = entry.part(index);
      const program = part === null ? null : decodeProgram(part);
      if (program === null) log(`programs: cached program ${index} damaged; compiling it`);
      return program;
    },
  };
}

/** The cached programs of `count` regex rules under `key`, or null (told to `log`) on any miss. */
export function readPrograms(directory: string, key: string, count: number, log: (message: string) => void): ProgramStore | null {
  const read = readPartedCache(directory, 'programs', key);
  if ('miss' in read) {
    log(`programs: ${read.miss}`);
    return null;
  }
  return storeOf(read.entry, count, log);
}

/** Caches `programs` under `key`; a failure to write them is told to `log`, never thrown. */
export function writePrograms(directory: string, key: string, programs: readonly Program[], log: (message: string) => void): void {
  const failure = writeCacheFile(directory, 'programs', key, [encodePartedEntry(key, JSON.stringify({ programs: programs.length }), programs.map(encodeProgram))]);
  if (failure !== null) log(`programs: ${failure}`);
}
