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
import { SseredactError } from '../../errors.js';
import { findLastNewline } from '../../newlines.js';
import type { Match } from '../../types.js';
import type { Database, Engine, EngineRule, OnMatch, Scanner } from '../engine.js';
import type { Addon } from './addon.js';
import { type Built, type PatternMode, type VectorscanOptions, buildDatabase, isScanned, reportedSpan } from './database.js';

export type { PatternMode, VectorscanOptions } from './database.js';

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
  const built = buildDatabase(addon, rules, options);
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

    /** Set between writeInBackground and its finish: no other call may come in between. */
    let isScanningInBackground = false;
    const checkIdle = (call: string): void => {
      if (isScanningInBackground) throw new SseredactError('internal', `vectorscan scanner: ${call} before its background write finished`);
    };
    const checkWritable = (): void => {
      if (ended) throw new SseredactError('internal', 'vectorscan scanner written after end() without reset()');
      checkIdle('write');
    };
    // The fallback engine's matches of `chunk`, merged with the `count` spans the addon reported for it; then the chunk counts as scanned.
    const finishWrite = (chunk: Uint8Array, count: number, onMatch: OnMatch): void => {
      const fromFallback = fallbackScanner === null ? none : collected((collect) => fallbackScanner.write(chunk, collect));
      deliver(count, fromFallback, onMatch);
      if (widestWithinLine >= 0) {
        const newline = findLastNewline(chunk);
        if (newline >= 0) lastNewline = scannedUpTo + newline;
      }
      scannedUpTo += chunk.length;
    };

    return {
      write(chunk, onMatch) {
        checkWritable();
        finishWrite(chunk, stream === null ? 0 : stream.scan(chunk), onMatch);
      },
      // The fallback engine scans at finish, on this thread: written earlier, its horizon would
      // pass matches it has reported but this scanner has not delivered yet.
      writeInBackground(chunk) {
        checkWritable();
        stream?.scanStart(chunk);
        isScanningInBackground = true;
        return {
          finish(onMatch) {
            if (!isScanningInBackground) throw new SseredactError('internal', 'a background write finished twice');
            isScanningInBackground = false;
            finishWrite(chunk, stream === null ? 0 : stream.scanFinish(), onMatch);
          },
        };
      },
      horizon() {
        let horizon = scannedUpTo;
        if (widestAcrossLines >= 0) horizon = Math.min(horizon, scannedUpTo - widestAcrossLines);
        if (widestWithinLine >= 0) horizon = Math.min(horizon, Math.max(scannedUpTo - widestWithinLine, lastNewline + 1));
        if (fallbackScanner !== null) horizon = Math.min(horizon, fallbackScanner.horizon());
        return Math.max(horizon, 0);
      },
      end(onMatch) {
        checkIdle('end()');
        if (ended) return;
        ended = true;
        const fromFallback = fallbackScanner === null ? none : collected((collect) => fallbackScanner.end(collect));
        deliver(stream === null ? 0 : stream.end(), fromFallback, onMatch);
      },
      reset() {
        checkIdle('reset()');
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
