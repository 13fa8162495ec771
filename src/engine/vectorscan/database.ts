/**
 * The vectorscan engine's database (./engine.ts explains the treatments): each rule's treatment,
 * the compile of the set, and the compile cache (src/cache.ts) that spares a warm start both.
 */
import { type CacheEntry, INSTALL_TIME_DIRECTORY, type Owners, cacheKey, defaultCacheDirectory, readCache, writeCache } from '../../cache.js';
import { SseredactError } from '../../errors.js';
import type { Engine, EngineRule } from '../engine.js';
import { type Addon, type KnownAnswer, type NativeDatabase, isNativeCompileError, missedKnownAnswer } from './addon.js';
import { type AnchoredPrefix, anchoredPrefix, withoutUnanchoredHead } from './anchored.js';
import { printHyperscan } from './pattern.js';

/** Bump when the printed expressions or the cached meta change meaning: old cache files then miss. */
const TRANSLATION_VERSION = '9';

export type PatternMode = 'som' | 'end' | 'prefix' | 'prefilter' | 'fallback' | 'never';

const LADDER = ['som', 'end', 'prefilter', 'fallback'] as const;
const MODES: ReadonlySet<string> = new Set<PatternMode>(['som', 'end', 'prefix', 'prefilter', 'fallback', 'never']);

export interface VectorscanOptions {
  /**
   * Engine for the rules Vectorscan refuses (the ts engine in production). Without one, such a
   * rule makes compile() throw SseredactError('engine') naming it.
   */
  readonly fallback?: Engine;
  /** Directory of the compile cache (src/cache.ts); null disables it. Default: defaultCacheDirectory(). */
  readonly cacheDirectory?: string | null;
  /** Told about cache misses and every rule that did not get the first treatment. */
  readonly log?: (message: string) => void;
  /**
   * The first treatment tried for each rule (default 'end', see the module doc): 'som' buys exact
   * starts (narrower confirmation windows) for about half the throughput; 'prefilter' exists so
   * that tests can cover it.
   */
  readonly firstTreatment?: 'som' | 'end' | 'prefilter';
  /**
   * Directory of the databases built when the package was installed (native/build-database.js),
   * read when the cache misses; null: none. Default: the package's INSTALL_TIME_DIRECTORY
   * (src/cache.ts): an entry like the user's, under the same key, so one built for other rules,
   * another release, Vectorscan or CPU is never read.
   */
  readonly prebuiltDirectory?: string | null;
}

/** What Vectorscan can scan for one rule. */
interface Target {
  /** The whole rule's expression, or null when the rule can match nothing. */
  readonly expression: string | null;
  /** What `end` scans: the rule without its unanchored head (./anchored.ts), or the whole rule. */
  readonly endExpression: string | null;
  /** For a rule that can match a newline, its anchored prefix (./anchored.ts) when it has one. */
  readonly prefix: { readonly shape: AnchoredPrefix; readonly expression: string } | null;
}

function targetOf(rule: EngineRule): Target {
  const expression = printHyperscan(rule.ast);
  const shape = expression !== null && rule.canMatchNewline ? anchoredPrefix(rule.ast) : null;
  const prefixExpression = shape === null ? null : printHyperscan(shape.node);
  const tail = expression === null ? null : withoutUnanchoredHead(rule.ast);
  return {
    expression,
    endExpression: (tail === null ? null : printHyperscan(tail)) ?? expression,
    prefix: shape === null || prefixExpression === null ? null : { shape, expression: prefixExpression },
  };
}

/** The expression Vectorscan compiles for a target in a scanned mode (start of match needs the whole rule). */
function scannedExpression(target: Target, mode: PatternMode): string {
  return mode === 'prefix' ? target.prefix!.expression : mode === 'end' ? target.endExpression! : target.expression!;
}

/** What scanning needs of a prefix (kept in the cache meta, so a warm start computes no prefix). */
export type PrefixWidths = Pick<AnchoredPrefix, 'minWidth' | 'maxWidth' | 'canMatchNewline'>;

/** The most bytes from a match's start to where Vectorscan reports it, and whether a newline may come between. */
export function reportedSpan(rule: EngineRule, prefix: PrefixWidths | null, mode: PatternMode): { readonly maxWidth: number; readonly canMatchNewline: boolean } {
  return mode === 'prefix' ? prefix! : rule;
}

function prefixWidthsOf(target: Target): PrefixWidths | null {
  if (target.prefix === null) return null;
  const { minWidth, maxWidth, canMatchNewline } = target.prefix.shape;
  return { minWidth, maxWidth, canMatchNewline };
}

interface Plan {
  readonly targets: readonly Target[];
  readonly modes: PatternMode[];
  /** Why each rule left `som`, for the log. */
  readonly reasons: Array<string | undefined>;
}

function flagsFor(addon: Addon, mode: PatternMode): number {
  const c = addon.constants;
  return mode === 'som' ? c.HS_FLAG_SOM_LEFTMOST : mode === 'prefilter' ? c.HS_FLAG_PREFILTER : 0;
}

function modeBits(addon: Addon, withSom: boolean): number {
  const c = addon.constants;
  // The small horizon keeps stream state low; a start further back than 2^16 bytes comes back as
  // "past the horizon", which the addon turns into end - maxWidth: still a lower bound.
  return withSom ? c.HS_MODE_STREAM | c.HS_MODE_SOM_HORIZON_SMALL : c.HS_MODE_STREAM;
}

/** The first treatment at or after `from` that Vectorscan takes for `expression` alone. */
function firstAccepted(addon: Addon, expression: string, from: PatternMode, reasons: string[]): PatternMode {
  for (const mode of LADDER.slice(LADDER.indexOf(from as (typeof LADDER)[number]))) {
    if (mode === 'fallback') return mode;
    const message = addon.check(expression, flagsFor(addon, mode), modeBits(addon, mode === 'som'));
    if (message === null) return mode;
    reasons.push(`${mode}: ${message}`);
  }
  return 'fallback';
}

/**
 * The treatment of each rule before the set is compiled. Start-of-match tracking is refused by
 * Vectorscan often enough, and a refused set costs a whole compile, that each rule is first tried
 * alone; the other treatments are rarely refused, so they are assumed and compileSet() corrects.
 */
function planRules(addon: Addon, rules: readonly EngineRule[], targets: readonly Target[], first: PatternMode, hasFallback: boolean): Plan {
  const reasons: Array<string | undefined> = [];
  const modes = targets.map(({ expression, prefix }, position): PatternMode => {
    if (expression === null) return 'never';
    if (rules[position]!.canMatchNewline) {
      if (prefix !== null) {
        reasons[position] = 'can match a newline: Vectorscan scans its anchored prefix, the confirmer the rest';
        return 'prefix';
      }
      if (hasFallback) {
        // Scanned whole, every line would wait for maxWidth more bytes; the ts engine's automaton
        // knows when such a match is no longer in flight, and keeps lines flowing.
        reasons[position] = 'can match a newline and has no anchor: the ts engine tracks when it is in flight';
        return 'fallback';
      }
    }
    if (first !== 'som') return first;
    const why: string[] = [];
    const mode = firstAccepted(addon, expression, first, why);
    reasons[position] = why.length > 0 ? why.join('; ') : undefined;
    return mode;
  });
  return { targets, modes, reasons };
}

export function isScanned(mode: PatternMode): boolean {
  return mode === 'som' || mode === 'end' || mode === 'prefix' || mode === 'prefilter';
}

/** The rules Vectorscan scans, with what the native side needs of them (but their expressions). */
function nativeInputs(rules: readonly EngineRule[], modes: readonly PatternMode[], prefixes: ReadonlyArray<PrefixWidths | null>, addon: Addon) {
  const positions = rules.map((_, position) => position).filter((position) => isScanned(modes[position]!));
  return {
    positions,
    flags: Uint32Array.from(positions, (position) => flagsFor(addon, modes[position]!)),
    ids: Uint32Array.from(positions, (position) => rules[position]!.index),
    maxWidths: Float64Array.from(positions, (position) => reportedSpan(rules[position]!, prefixes[position]!, modes[position]!).maxWidth),
    mode: modeBits(
      addon,
      positions.some((position) => modes[position] === 'som'),
    ),
  };
}

/**
 * Compiles the scanned rules together. A rule Vectorscan accepted alone can still be refused in
 * the set (resource limits): it then moves one step down the ladder and the set is compiled again.
 */
function compileSet(addon: Addon, rules: readonly EngineRule[], plan: Plan, hasFallback: boolean): NativeDatabase | null {
  for (;;) {
    const inputs = nativeInputs(rules, plan.modes, plan.targets.map(prefixWidthsOf), addon);
    if (inputs.positions.length === 0) return null;
    const expressions = inputs.positions.map((position) => scannedExpression(plan.targets[position]!, plan.modes[position]!));
    try {
      return addon.compile(expressions, inputs.flags, inputs.ids, inputs.maxWidths, inputs.mode);
    } catch (error) {
      const position = isNativeCompileError(error) ? inputs.positions[error.expression] : undefined;
      if (position === undefined || !isNativeCompileError(error)) {
        throw new SseredactError('engine', `Vectorscan cannot compile the rule set: ${(error as Error).message}`, { cause: error });
      }
      const current = plan.modes[position]!;
      const why = [`${current} (in the set): ${error.hsMessage}`];
      // A refused prefix leaves the whole rule to the fallback engine, or to `end` without one.
      const next = current === 'prefix' ? (hasFallback ? 'fallback' : 'end') : (LADDER[LADDER.indexOf(current as (typeof LADDER)[number]) + 1] ?? 'fallback');
      plan.modes[position] = firstAccepted(addon, plan.targets[position]!.expression!, next, why);
      plan.reasons[position] = [plan.reasons[position], ...why].filter(Boolean).join('; ');
    }
  }
}

/** What the cache keeps beside the database: each rule's treatment and, for `prefix`, its prefix's widths. */
interface CachedPlan {
  readonly modes: readonly PatternMode[];
  readonly prefixes: ReadonlyArray<PrefixWidths | null>;
}

function isPrefixWidths(value: unknown): value is PrefixWidths {
  const widths = value as Partial<PrefixWidths> | null;
  return typeof widths === 'object' && widths !== null && Number.isInteger(widths.minWidth) && Number.isInteger(widths.maxWidth) && typeof widths.canMatchNewline === 'boolean';
}

function parseMeta(meta: string, count: number): CachedPlan | null {
  try {
    const { modes, prefixes } = JSON.parse(meta) as { modes?: unknown; prefixes?: unknown };
    if (!Array.isArray(modes) || modes.length !== count || !Array.isArray(prefixes) || prefixes.length !== count) return null;
    if (!modes.every((mode) => typeof mode === 'string' && MODES.has(mode))) return null;
    if (!prefixes.every((prefix, position) => (modes[position] === 'prefix' ? isPrefixWidths(prefix) : prefix === null))) return null;
    return { modes: modes as PatternMode[], prefixes: prefixes as Array<PrefixWidths | null> };
  } catch {
    return null;
  }
}

export interface Built extends CachedPlan {
  readonly database: NativeDatabase | null;
  /** What Vectorscan compiled per rule (see VectorscanStats.expressions); printed on demand after a warm start. */
  readonly expressions: () => ReadonlyArray<string | null>;
  readonly fromCache: boolean;
}

/**
 * The database of the entry for `key` in `directory` (the user's cache or the install-time one),
 * or why it is not to be used: none there, unreadable, corrupt, bad metadata, refused by
 * Vectorscan, or missing a rule's example. Never throws.
 */
function readDatabase(
  addon: Addon,
  rules: readonly EngineRule[],
  directory: string,
  key: string,
  owners: Owners,
): { readonly built: Omit<Built, 'expressions'>; readonly entry: CacheEntry } | { readonly miss: string } {
  const read = readCache(directory, 'vectorscan', key, owners);
  if (!('entry' in read)) return read;
  const cached = parseMeta(read.entry.meta, rules.length);
  if (cached === null) return { miss: 'bad metadata' };
  const inputs = nativeInputs(rules, cached.modes, cached.prefixes, addon);
  try {
    const database = inputs.positions.length === 0 && read.entry.data.length === 0 ? null : addon.deserialize(read.entry.data, inputs.ids, inputs.maxWidths, inputs.flags);
    const missed = missedExample(rules, cached.modes, database);
    return missed === null ? { built: { ...cached, database, fromCache: true }, entry: read.entry } : { miss: `does not find rule ${missed}'s example` };
  } catch (error) {
    return { miss: `unusable (${(error as Error).message})` };
  }
}

/** The compiled set, from the cache when a verified entry exists, else compiled and cached. */
export function buildDatabase(addon: Addon, rules: readonly EngineRule[], options: VectorscanOptions): Built {
  const log = options.log ?? (() => undefined);
  if (rules.length === 0) return { database: null, modes: [], prefixes: [], expressions: () => [], fromCache: false };
  const directory = options.cacheDirectory === undefined ? defaultCacheDirectory() : options.cacheDirectory;
  const platform = addon.platform();
  const first = options.firstTreatment ?? 'end';
  // Rule sources, not printed expressions: printing every rule would cost a warm start more than
  // reading the cache. TRANSLATION_VERSION (and the release's version, in every key) covers the
  // code in between.
  const key = cacheKey([
    'sseredact-vectorscan',
    TRANSLATION_VERSION,
    first,
    addon.version(),
    `${process.platform}-${process.arch}-${platform.tune}-${platform.cpuFeatures}`,
    options.fallback === undefined ? 'alone' : 'with-fallback',
    ...rules.flatMap((rule) => [String(rule.index), rule.source]),
  ]);
  const printed = (modes: readonly PatternMode[]) => () => {
    const targets = rules.map(targetOf);
    return modes.map((mode, position) => (isScanned(mode) ? scannedExpression(targets[position]!, mode) : null));
  };

  const cache = (entry: CacheEntry) => {
    const failure = directory === null ? null : writeCache(directory, 'vectorscan', key, entry);
    if (failure !== null) log(`vectorscan: ${failure}`);
  };
  // A package installed by root (npm install -g under sudo) has root's install-time database.
  for (const [where, from, owners] of [
    ['cached', directory, 'user'],
    ['install-time', options.prebuiltDirectory === undefined ? INSTALL_TIME_DIRECTORY : options.prebuiltDirectory, 'user or root'],
  ] as const) {
    if (from === null) continue;
    const read = readDatabase(addon, rules, from, key, owners);
    if ('miss' in read) {
      log(`vectorscan: ${where} database: ${read.miss}`);
      continue;
    }
    // Copied into the user's cache, warm starts need the package's file no more than after a compile.
    if (where === 'install-time') cache(read.entry);
    return { ...read.built, expressions: printed(read.built.modes) };
  }
  log(`vectorscan: compiling ${rules.length} rules`);

  const targets = rules.map(targetOf);
  const plan = planRules(addon, rules, targets, first, options.fallback !== undefined);
  const database = compileSet(addon, rules, plan, options.fallback !== undefined);
  plan.modes.forEach((mode, position) => {
    if (mode === first || mode === 'never') return;
    const rule = rules[position]!;
    if (mode === 'fallback' && options.fallback === undefined) {
      throw new SseredactError('engine', `rule ${rule.id}: Vectorscan cannot compile it (${plan.reasons[position] ?? 'refused'})`);
    }
    log(`vectorscan: rule ${rule.id}: ${mode} (${plan.reasons[position] ?? ''})`);
  });
  const prefixes = plan.modes.map((mode, position) => (mode === 'prefix' ? prefixWidthsOf(targets[position]!) : null));
  cache({ meta: JSON.stringify({ modes: plan.modes, prefixes }), data: database === null ? new Uint8Array(0) : database.serialize() });
  const expressions = plan.modes.map((mode, position) => (isScanned(mode) ? scannedExpression(targets[position]!, mode) : null));
  return { database, modes: plan.modes, prefixes, expressions: () => expressions, fromCache: false };
}

/** How many rules' examples a warm start scans: a few milliseconds, where all of the built-in pack's take tens. */
const EXAMPLES_CHECKED = 32;

/**
 * The id of a rule whose example a database loaded from the cache does not find, or null. The
 * checksum only catches accidents: whoever can write the cache could forge an entry that finds
 * nothing, or whose metadata says a rule can never match. The metadata is checked for every rule
 * with examples, the database on a random sample of them: a forged database that finds nothing is
 * caught at once, one that drops a single rule only when the sample holds it (what keeps such a
 * file out is the ownership check in src/cache.ts). A rule left to the fallback engine is scanned
 * by it, so it needs no check.
 */
function missedExample(rules: readonly EngineRule[], modes: readonly PatternMode[], database: NativeDatabase | null): string | null {
  const scanned: EngineRule[] = [];
  for (const [position, rule] of rules.entries()) {
    const mode = modes[position];
    if (mode === 'fallback') continue;
    if (mode === 'never' || database === null) {
      if (hasExamples(rule)) return rule.id;
    } else scanned.push(rule);
  }
  if (database === null) return null;
  // Only the sample's examples are read: a prebuilt pack parses a rule's on demand (src/rules/packs/prebuilt.ts).
  const answers = randomSample(scanned, EXAMPLES_CHECKED, hasExamples).map(
    (rule): KnownAnswer => ({
      id: rule.index,
      input: Buffer.from(rule.examples?.[Math.floor(Math.random() * rule.examples.length)] ?? '', 'utf8'),
    }),
  );
  const missed = missedKnownAnswer(database, answers);
  return missed === null ? null : (rules.find((rule) => rule.index === missed.id)?.id ?? String(missed.id));
}

function hasExamples(rule: EngineRule): boolean {
  return rule.examples !== undefined && rule.examples.length > 0;
}

/**
 * Up to `count` distinct items of `items` that pass `isWanted`, chosen at random (a partial
 * Fisher-Yates shuffle, asking `isWanted` only of the items it draws).
 */
function randomSample<T>(items: readonly T[], count: number, isWanted: (item: T) => boolean): T[] {
  const pool = [...items];
  const sample: T[] = [];
  for (let at = 0; at < pool.length && sample.length < count; at++) {
    const pick = at + Math.floor(Math.random() * (pool.length - at));
    [pool[at], pool[pick]] = [pool[pick]!, pool[at]!];
    if (isWanted(pool[at]!)) sample.push(pool[at]!);
  }
  return sample;
}
