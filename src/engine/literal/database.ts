/**
 * Literal-set rules (`--literal`, `--literal-file`, `--mask-env`) beside a regex engine: the
 * engine's database scans the regex rules, a literal automaton (./automaton.ts) per literal set
 * scans the literals, and {@link withLiteralRules} composes the two into one Database, so neither
 * engine (ts, vectorscan) ever compiles the literals.
 *
 * A literal scanner reports exact matches (start and end of the rule's own leftmost-longest,
 * non-overlapping matches), each once it is decided; Match.exact tells the confirmer to take it
 * as it is. Its horizon is exact: the earliest start where a literal may still match given the
 * bytes to come, i.e. where the bytes scanned so far end in the beginning of a literal.
 *
 * Memory per stream and literal set: the undecided bytes, fewer than the set's longest literal.
 */
import type { Match } from '../../types.js';
import type { BackgroundWrite, Database, OnMatch, Scanner } from '../engine.js';
import type { LiteralAutomaton } from './automaton.js';

/** A literal-set rule, as the literal scanner needs it. */
export interface LiteralRule {
  /** Index in the rule set; matches carry it. */
  readonly index: number;
  readonly literals: LiteralAutomaton;
}

const EMPTY = new Uint8Array(0);

/** One literal set's position in one stream. */
export interface LiteralStream {
  readonly rule: number;
  readonly literals: LiteralAutomaton;
  /** Absolute offset of the first start not decided yet: every match before it has been reported. */
  next: number;
  /** The bytes `[next, scannedUpTo)`, copied (the chunk they came in may be reused). */
  carry: Uint8Array;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

/**
 * Scans `chunk` (at absolute offset `base`) for one literal set, starts in the carried bytes
 * first: they see up to the set's longest literal of the chunk, all a start among them needs.
 */
export function writeLiteralStream(stream: LiteralStream, chunk: Uint8Array, base: number, onMatch: OnMatch): void {
  const { rule, literals } = stream;
  const carried = stream.carry;
  let next = stream.next;
  if (carried.length > 0) {
    const window = concat(carried, chunk.subarray(0, literals.maxLength));
    const windowBase = next;
    const stop = literals.scan(window, 0, carried.length, false, (start, end) => onMatch(exactMatch(rule, windowBase + start, windowBase + end)));
    next = windowBase + stop;
    if (stop < carried.length) {
      // Undecided within the carried bytes: the window holds the whole chunk (see the doc above).
      stream.next = next;
      stream.carry = window.subarray(stop);
      return;
    }
  }
  const stop = literals.scan(chunk, next - base, chunk.length, false, (start, end) => onMatch(exactMatch(rule, base + start, base + end)));
  stream.next = base + stop;
  stream.carry = stop < chunk.length ? chunk.slice(stop) : EMPTY;
}

export function exactMatch(rule: number, start: number, end: number): Match {
  return { rule, start, end, exact: true };
}

/** A literal set's stream that decides starts from `next` (absolute) on. */
export function openLiteralStream(rule: number, literals: LiteralAutomaton, next: number): LiteralStream {
  return { rule, literals, next, carry: EMPTY };
}

/** Ends one literal set's stream at `scannedUpTo`: reports the matches among its carried bytes that nothing more can extend. */
export function endLiteralStream(stream: LiteralStream, scannedUpTo: number, onMatch: OnMatch): void {
  const base = stream.next;
  stream.literals.scan(stream.carry, 0, stream.carry.length, true, (start, end) => onMatch(exactMatch(stream.rule, base + start, base + end)));
  stream.next = scannedUpTo;
  stream.carry = EMPTY;
}

/**
 * For a scanner that wraps `scanner` and adds `after(chunk, onMatch)` to each of its writes:
 * `writeInBackground` as `scanner`'s, with `after` run on this thread at finish (before it, the
 * wrapper's horizons stay where they were, as the engine interface asks); nothing when `scanner`
 * cannot write in the background.
 */
export function inBackgroundThen(scanner: Scanner, after: (chunk: Uint8Array, onMatch: OnMatch) => void): Pick<Scanner, 'writeInBackground'> {
  const inBackground = scanner.writeInBackground?.bind(scanner);
  if (inBackground === undefined) return {};
  return {
    writeInBackground(chunk): BackgroundWrite {
      const pending = inBackground(chunk);
      return {
        finish(onMatch) {
          pending.finish(onMatch);
          after(chunk, onMatch);
        },
      };
    },
  };
}

function openLiteralStreams(rules: readonly LiteralRule[]): LiteralStream[] {
  return rules.map((rule) => openLiteralStream(rule.index, rule.literals, 0));
}

/**
 * `database` with `rules` scanned beside it: its scanners report both, and their horizon is the
 * earlier of the two. `database` alone when there is no literal rule.
 */
export function withLiteralRules(database: Database, rules: readonly LiteralRule[]): Database {
  if (rules.length === 0) return database;
  const literalRules = new Set(rules.map((rule) => rule.index));
  return {
    engine: database.engine,
    maxWidth: rules.reduce((width, rule) => Math.max(width, rule.literals.maxLength), database.maxWidth),
    tracksEnds: (rule) => literalRules.has(rule) || database.tracksEnds(rule),
    open(): Scanner {
      const scanner = database.open();
      let streams = openLiteralStreams(rules);
      /** Absolute offset of the next byte to scan. */
      let scannedUpTo = 0;
      const scanLiterals = (chunk: Uint8Array, onMatch: OnMatch): void => {
        for (const stream of streams) writeLiteralStream(stream, chunk, scannedUpTo, onMatch);
        scannedUpTo += chunk.length;
      };
      return {
        write(chunk, onMatch) {
          scanner.write(chunk, onMatch);
          scanLiterals(chunk, onMatch);
        },
        ...inBackgroundThen(scanner, scanLiterals),
        horizon() {
          return streams.reduce((horizon, stream) => Math.min(horizon, stream.next), scanner.horizon());
        },
        exactSecretHorizon() {
          return streams.reduce((horizon, stream) => Math.min(horizon, stream.next), scannedUpTo);
        },
        end(onMatch) {
          scanner.end(onMatch);
          for (const stream of streams) endLiteralStream(stream, scannedUpTo, onMatch);
        },
        reset() {
          scanner.reset();
          streams = openLiteralStreams(rules);
          scannedUpTo = 0;
        },
      };
    },
  };
}
