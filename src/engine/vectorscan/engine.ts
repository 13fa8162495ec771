/**
 * The vectorscan engine (DESIGN §4): the rules printed as Vectorscan expressions
 * (./pattern.ts), compiled in streaming mode, scanned by the native addon (native/), which merges
 * Vectorscan's many raw reports into one span per run before anything crosses into JavaScript.
 *
 * Each rule gets the first treatment Vectorscan accepts, tried in this order:
 * - `som` (only with `firstTreatment: 'som'`): exact start of match (HS_FLAG_SOM_LEFTMOST, small
 *   SOM horizon);
 * - `end` (the default first): end of match only; the start is reported as `end - maxWidth`, a
 *   lower bound the confirmer narrows, as it does for the ts engine's starts. A rule with a
 *   byte-class head is scanned from its first literal byte on (./anchored.ts): same ends;
 * - `prefix`, for rules that can match a newline: Vectorscan scans for the rule's anchored prefix
 *   (./anchored.ts) and each prefix hit is a candidate the confirmer follows to the match's end, as
 *   for the ts engine's rules tracked up to an anchor (tracksEnds is false for them). Scanned
 *   whole, such a rule would be in flight for its whole width after every byte, so each line
 *   would wait for thousands of bytes; its prefix is short and newline-free;
 * - `prefilter`: HS_FLAG_PREFILTER, Vectorscan's own widening of what it cannot take exactly;
 * - `fallback`: the rule runs on the fallback engine (ts) inside the same scanner;
 * - `never`: the rule can match nothing (a class with no byte) and needs no engine.
 * Every treatment but `prefix` reports the end of every real match (the expressions only widen),
 * which is all a prefilter owes the confirmer; `prefix` reports the end of every real match's
 * prefix, with the start bounds (Match.lastStart) that go with it.
 *
 * Why `end` is the default: on the built-in secrets pack (356 rules, 64 MiB CI log, 256 KiB
 * writes) start-of-match tracking halves the scan (142 vs 273 MB/s), makes the first compile
 * 5x slower (6.1 vs 1.1 s) and the stream state larger (2426 vs 1701 bytes), while no consumer
 * needs exact starts: Match.start is a lower bound for every engine.
 *
 * @example
 *   const engine = createVectorscanEngine(addon, { fallback: tsEngine });
 *   const scanner = engine.compile(rules).open();
 *   scanner.write(chunk, (match) => confirm(match));
 *   scanner.end((match) => confirm(match));
 */
import { cacheKey, defaultCacheDirectory, readCache, writeCache } from '../../cache.js';
import { SseredactError } from '../../errors.js';
import type { Match } from '../../types.js';
import type { Database, Engine, EngineRule, OnMatch, Scanner } from '../engine.js';
import { type Addon, type KnownAnswer, type NativeDatabase, isNativeCompileError, missedKnownAnswer } from './addon.js';
import { type AnchoredPrefix, anchoredPrefix, withoutUnanchoredHead } from './anchored.js';
import { printHyperscan } from './pattern.js';

/** Bump when the printed expressions or the cached meta change meaning: old cache files then miss. */
const TRANSLATION_VERSION = '7';

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
}

/** What one compile produced, for --verbose and tests. */
export interface VectorscanStats {
  /** Treatment per rule, in the order of the rules given to compile(). */
  readonly modes: readonly PatternMode[];
  /** What Vectorscan compiled per rule (the rule or its prefix), null for a rule it does not scan. */
  readonly expressions: ReadonlyArray<string | null>;
  /** Bytes of the Vectorscan database (0 when every rule fell back). */
  readonly databaseBytes: number;
  /** Bytes of Vectorscan stream state per open scanner. */
  readonly streamBytes: number;
  /** Vectorscan's description of the database, or '' without one. */
  readonly info: string;
  /** Whether the database came from the compile cache. */
  readonly fromCache: boolean;
}

export interface VectorscanDatabase extends Database {
  readonly engine: 'vectorscan';
  readonly stats: VectorscanStats;
}

export interface VectorscanEngine extends Engine {
  readonly name: 'vectorscan';
  compile(rules: readonly EngineRule[]): VectorscanDatabase;
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
type PrefixWidths = Pick<AnchoredPrefix, 'minWidth' | 'maxWidth' | 'canMatchNewline'>;

/** The most bytes from a match's start to where Vectorscan reports it, and whether a newline may come between. */
function reportedSpan(rule: EngineRule, prefix: PrefixWidths | null, mode: PatternMode): { readonly maxWidth: number; readonly canMatchNewline: boolean } {
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

function isScanned(mode: PatternMode): boolean {
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

interface Built extends CachedPlan {
  readonly database: NativeDatabase | null;
  /** What Vectorscan compiled per rule (see VectorscanStats.expressions); printed on demand after a warm start. */
  readonly expressions: () => ReadonlyArray<string | null>;
  readonly fromCache: boolean;
}

/** The compiled set, from the cache when a verified entry exists, else compiled and cached. */
function build(addon: Addon, rules: readonly EngineRule[], options: VectorscanOptions): Built {
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

  if (directory !== null) {
    const read = readCache(directory, 'vectorscan', key);
    if ('entry' in read) {
      const cached = parseMeta(read.entry.meta, rules.length);
      if (cached !== null) {
        const inputs = nativeInputs(rules, cached.modes, cached.prefixes, addon);
        const warm = { ...cached, expressions: printed(cached.modes), fromCache: true };
        try {
          const database = inputs.positions.length === 0 && read.entry.data.length === 0 ? null : addon.deserialize(read.entry.data, inputs.ids, inputs.maxWidths, inputs.flags);
          const missed = missedExample(rules, cached.modes, database);
          if (missed === null) return { ...warm, database };
          log(`vectorscan: cached database does not find rule ${missed}'s example; compiling`);
        } catch (error) {
          log(`vectorscan: cached database unusable (${(error as Error).message}); compiling`);
        }
      } else {
        log('vectorscan: cached database has bad metadata; compiling');
      }
    } else {
      log(`vectorscan: ${read.miss}; compiling ${rules.length} rules`);
    }
  }

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
  if (directory !== null) {
    const failure = writeCache(directory, 'vectorscan', key, {
      meta: JSON.stringify({ modes: plan.modes, prefixes }),
      data: database === null ? new Uint8Array(0) : database.serialize(),
    });
    if (failure !== null) log(`vectorscan: ${failure}`);
  }
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
  const checked: Array<{ readonly rule: EngineRule; readonly examples: readonly string[] }> = [];
  for (const [position, rule] of rules.entries()) {
    const mode = modes[position];
    if (mode === 'fallback' || rule.examples === undefined || rule.examples.length === 0) continue;
    if (mode === 'never' || database === null) return rule.id;
    checked.push({ rule, examples: rule.examples });
  }
  if (database === null) return null;
  const answers = randomSample(checked, EXAMPLES_CHECKED).map(
    ({ rule, examples }): KnownAnswer => ({
      id: rule.index,
      input: Buffer.from(examples[Math.floor(Math.random() * examples.length)] ?? '', 'utf8'),
    }),
  );
  const missed = missedKnownAnswer(database, answers);
  return missed === null ? null : (rules.find((rule) => rule.index === missed.id)?.id ?? String(missed.id));
}

/** Up to `count` distinct items of `items`, chosen at random (a partial Fisher-Yates shuffle). */
function randomSample<T>(items: readonly T[], count: number): T[] {
  const pool = [...items];
  const size = Math.min(count, pool.length);
  for (let at = 0; at < size; at++) {
    const pick = at + Math.floor(Math.random() * (pool.length - at));
    [pool[at], pool[pick]] = [pool[pick]!, pool[at]!];
  }
  return pool.slice(0, size);
}

/**
 * The most bytes from a match's start to where Vectorscan reports it, over the scanned rules whose
 * reported part can (or cannot) hold a newline; -1 when there is none.
 */
function widestReported(rules: readonly EngineRule[], built: Built, acrossLines: boolean): number {
  let width = -1;
  built.modes.forEach((mode, position) => {
    if (!isScanned(mode)) return;
    const span = reportedSpan(rules[position]!, built.prefixes[position]!, mode);
    if (span.canMatchNewline === acrossLines) width = Math.max(width, span.maxWidth);
  });
  return width;
}

function byEnd(a: Match, b: Match): number {
  return a.end - b.end || a.start - b.start || a.rule - b.rule;
}

function compileDatabase(addon: Addon, rules: readonly EngineRule[], options: VectorscanOptions): VectorscanDatabase {
  const built = build(addon, rules, options);
  const native = built.database;
  const positions = rules.map((_, position) => position);
  const fallbackRules = positions.filter((position) => built.modes[position] === 'fallback').map((position) => rules[position]!);
  const fallback = fallbackRules.length > 0 && options.fallback !== undefined ? options.fallback.compile(fallbackRules) : null;
  // Horizon inputs: a match not reported yet ends its reported part after the last byte scanned,
  // so it starts at most that part's width back, and after the last newline if the part holds none.
  const widestAcrossLines = widestReported(rules, built, true);
  const widestWithinLine = widestReported(rules, built, false);
  // For rules scanned by prefix: the fewest bytes from a match's start to its prefix's end (-1: not one).
  const ruleCount = rules.reduce((count, rule) => Math.max(count, rule.index + 1), 0);
  const prefixMinWidths = new Int32Array(ruleCount).fill(-1);
  built.modes.forEach((mode, position) => {
    if (mode === 'prefix') prefixMinWidths[rules[position]!.index] = built.prefixes[position]!.minWidth;
  });

  const open = (): Scanner => {
    const stream = native?.open() ?? null;
    const fallbackScanner = fallback?.open() ?? null;
    let spans = stream?.spans() ?? new Float64Array(0);
    /** Absolute offset of the next byte to scan (bytes written so far). */
    let scannedUpTo = 0;
    /** Absolute offset of the last newline scanned; -1 before the first. */
    let lastNewline = -1;
    let ended = false;

    // Reports the `count` spans the addon just wrote (in end order), merged in end order with the
    // fallback engine's matches of the same call when there are any.
    const deliver = (count: number, fromFallback: Match[], onMatch: OnMatch): void => {
      if (count * 3 > spans.length) spans = stream!.spans();
      if (fromFallback.length === 0) {
        for (let i = 0; i < count * 3; i += 3) onMatch(spanMatch(spans, i));
        return;
      }
      for (let i = 0; i < count * 3; i += 3) fromFallback.push(spanMatch(spans, i));
      fromFallback.sort(byEnd);
      for (const match of fromFallback) onMatch(match);
    };
    // A prefix hit is where a match's prefix ends: the match starts in [end - maxWidth, end - minWidth].
    const spanMatch = (triples: Float64Array, i: number): Match => {
      const rule = triples[i]!;
      const end = triples[i + 2]!;
      const minWidth = prefixMinWidths[rule]!;
      return minWidth < 0 ? { rule, start: triples[i + 1]!, end } : { rule, start: triples[i + 1]!, end, lastStart: end - minWidth };
    };
    const none: Match[] = [];
    const collected = (scan: (onMatch: OnMatch) => void): Match[] => {
      const matches: Match[] = [];
      scan((match) => matches.push(match));
      return matches;
    };

    return {
      write(chunk, onMatch) {
        if (ended) throw new SseredactError('internal', 'vectorscan scanner written after end() without reset()');
        const fromFallback = fallbackScanner === null ? none : collected((collect) => fallbackScanner.write(chunk, collect));
        deliver(stream === null ? 0 : stream.scan(chunk), fromFallback, onMatch);
        if (widestWithinLine >= 0) {
          const newline = chunk.lastIndexOf(0x0a);
          if (newline >= 0) lastNewline = scannedUpTo + newline;
        }
        scannedUpTo += chunk.length;
      },
      horizon() {
        let horizon = scannedUpTo;
        if (widestAcrossLines >= 0) horizon = Math.min(horizon, scannedUpTo - widestAcrossLines);
        if (widestWithinLine >= 0) horizon = Math.min(horizon, Math.max(scannedUpTo - widestWithinLine, lastNewline + 1));
        if (fallbackScanner !== null) horizon = Math.min(horizon, fallbackScanner.horizon());
        return Math.max(horizon, 0);
      },
      end(onMatch) {
        if (ended) return;
        ended = true;
        const fromFallback = fallbackScanner === null ? none : collected((collect) => fallbackScanner.end(collect));
        deliver(stream === null ? 0 : stream.end(), fromFallback, onMatch);
      },
      reset() {
        stream?.reset();
        fallbackScanner?.reset();
        scannedUpTo = 0;
        lastNewline = -1;
        ended = false;
      },
    };
  };

  const fallbackIndexes = new Set(fallbackRules.map((rule) => rule.index));
  return {
    engine: 'vectorscan',
    maxWidth: rules.reduce((width, rule) => Math.max(width, rule.maxWidth), 0),
    // Vectorscan reports real match ends, but of a prefix only; a rule handed to the fallback engine is tracked as it says.
    tracksEnds: (rule) => prefixMinWidths[rule] === -1 && (fallback === null || !fallbackIndexes.has(rule) || fallback.tracksEnds(rule)),
    stats: {
      modes: built.modes,
      get expressions() {
        return built.expressions();
      },
      databaseBytes: native?.size() ?? 0,
      streamBytes: native?.streamSize() ?? 0,
      info: native?.info() ?? '',
      fromCache: built.fromCache,
    },
    open,
  };
}

/**
 * The vectorscan engine over a loaded addon (./addon.ts loadAddon()). compile() throws
 * SseredactError('engine') when Vectorscan refuses the set as a whole, or refuses a rule and no
 * fallback engine was given; it never throws at scan time except for Vectorscan runtime errors
 * (out of memory), which surface as exceptions from write()/end().
 *
 * Memory: the database is shared by every scanner; each scanner holds Vectorscan's stream state
 * (`stats.streamBytes`, typically tens of bytes) and a span buffer that grows to the most spans one
 * write reported. Both are freed when the scanner is garbage collected.
 */
export function createVectorscanEngine(addon: Addon, options: VectorscanOptions = {}): VectorscanEngine {
  return {
    name: 'vectorscan',
    compile: (rules) => compileDatabase(addon, rules, options),
  };
}
