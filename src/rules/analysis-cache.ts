/**
 * The rule analysis cache: what the rule compiler derived from each rule of a set (widths, whether
 * a match can hold a newline or needs the byte after it), kept on disk in the start-up cache
 * (src/cache.ts, kind `rules`) so that a warm start parses no regex before its first candidate
 * (DESIGN §8). On the built-in secrets pack, parsing, capping and analysing every rule is most of
 * a start's own work.
 *
 * One entry per rule set. Its key is everything the analyses depend on: the package's version
 * (in every key), ANALYSIS_VERSION for the code in between, maxMatch, and each rule's regex and
 * secretGroup in order; ids, keywords and descriptions play no part in them. The key also covers
 * each rule's predicates, which a hit leaves to compile on first use: an entry is written only
 * once the whole set compiled, so it vouches that they do. A stale, corrupt or malformed entry is
 * a miss, never an analysis.
 *
 * Meta (JSON): `rules`, one `[minWidth, maxWidth, canMatchNewline, needsRightContext]` per rule,
 * booleans as 0 or 1, e.g. `[[40,40,0,1],[12,4096,1,0]]`, and `regexes`, the `[source, JS source]`
 * of each predicate regex the set compiled (./predicates.ts, useJsSources); no data bytes.
 */
import { cacheKey, readCache, writeCache } from '../cache.js';
import type { RuleSpec } from '../types.js';

/**
 * Bump when parsing, capping or analysing a regex can give other numbers, or predicates that
 * compiled may no longer: old entries then miss.
 */
const ANALYSIS_VERSION = '2';

/** What the rule compiler derives from a rule's capped tree: all an engine needs on a warm start. */
export interface RuleAnalysis {
  /** Smallest number of bytes a match can span (at least 1). */
  readonly minWidth: number;
  /** Largest number of bytes a match can span. */
  readonly maxWidth: number;
  /** False when no match can contain a newline byte. */
  readonly canMatchNewline: boolean;
  /** Whether a match is decided only once the byte after it is known (`$`, `\b`). */
  readonly needsRightContext: boolean;
}

/** The cache key of the analyses of `specs` capped at `maxMatch`. */
export function analysisKey(specs: readonly RuleSpec[], maxMatch: number): string {
  const parts = specs.flatMap((spec) => [spec.regex, String(spec.secretGroup ?? 0), JSON.stringify(spec.predicates ?? null)]);
  return cacheKey(['sseredact-rule-analysis', ANALYSIS_VERSION, String(maxMatch), ...parts]);
}

type Entry = readonly [number, number, number, number];

function isEntry(value: unknown): value is Entry {
  if (!Array.isArray(value) || value.length !== 4) return false;
  const [minWidth, maxWidth, newline, rightContext] = value as unknown[];
  return (
    Number.isInteger(minWidth) &&
    (minWidth as number) >= 1 &&
    Number.isInteger(maxWidth) &&
    (maxWidth as number) >= (minWidth as number) &&
    (newline === 0 || newline === 1) &&
    (rightContext === 0 || rightContext === 1)
  );
}

function isJsSource(value: unknown): value is readonly [string, string] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string';
}

/** A rule set's cached analyses, and the JS sources of its predicate regexes. */
export interface CachedAnalyses {
  readonly rules: RuleAnalysis[];
  readonly regexes: ReadonlyArray<readonly [string, string]>;
}

/** The cached analyses of `count` rules under `key`, or null (told to `log`) on any miss. */
export function readAnalyses(directory: string, key: string, count: number, log: (message: string) => void): CachedAnalyses | null {
  const read = readCache(directory, 'rules', key);
  if ('miss' in read) {
    log(`rule analyses: ${read.miss}; analysing ${count} rules`);
    return null;
  }
  let meta: { rules?: unknown; regexes?: unknown } | null;
  try {
    meta = JSON.parse(read.entry.meta);
  } catch {
    meta = null;
  }
  const entries = meta?.rules;
  const regexes = meta?.regexes;
  if (!Array.isArray(entries) || entries.length !== count || !entries.every(isEntry) || !Array.isArray(regexes) || !regexes.every(isJsSource)) {
    log(`rule analyses: cached entry malformed; analysing ${count} rules`);
    return null;
  }
  return {
    rules: entries.map(([minWidth, maxWidth, newline, rightContext]) => ({ minWidth, maxWidth, canMatchNewline: newline === 1, needsRightContext: rightContext === 1 })),
    regexes,
  };
}

/** Caches the analyses of a rule set, and the JS sources of its predicate regexes, under `key`; a failure is told to `log`, never thrown. */
export function writeAnalyses(
  directory: string,
  key: string,
  analyses: readonly RuleAnalysis[],
  regexes: ReadonlyArray<readonly [string, string]>,
  log: (message: string) => void,
): void {
  const rules = analyses.map((rule): Entry => [rule.minWidth, rule.maxWidth, Number(rule.canMatchNewline), Number(rule.needsRightContext)]);
  const failure = writeCache(directory, 'rules', key, { meta: JSON.stringify({ rules, regexes }), data: new Uint8Array(0) });
  if (failure !== null) log(`rule analyses: ${failure}`);
}
