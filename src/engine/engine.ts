/**
 * The engine interface (DESIGN §4). An engine compiles a rule set once into an immutable
 * {@link Database}; each stream opens its own cheap {@link Scanner} on it.
 *
 * Engines are prefilters: they may report more candidates than there are findings (the confirmer
 * makes them exact), but they must never miss the end of a real match.
 */
import type { EngineRule, Match } from '../types.js';

export type { EngineRule } from '../types.js';

export type EngineName = 'ts' | 'vectorscan';

export interface Engine {
  readonly name: EngineName;
  /** Compiles the rules; throws SseredactError('engine' | 'rule') naming a rule it cannot take. */
  compile(rules: readonly EngineRule[]): Database;
}

/** An immutable compiled rule set, shareable by any number of streams. */
export interface Database {
  readonly engine: EngineName;
  /** Largest maxWidth of its rules. */
  readonly maxWidth: number;
  /**
   * Whether the engine follows rule `rule` to the end of its matches, so that a match starting
   * before the horizon also ends by the last byte scanned. False for a rule the engine tracks
   * only up to an anchor: its matches are then decided by width or by newlines.
   */
  tracksEnds(rule: number): boolean;
  open(): Scanner;
}

export type OnMatch = (match: Match) => void;

/** A chunk being scanned on another thread (Scanner.writeInBackground). */
export interface BackgroundWrite {
  /** Waits for the scan; then reports its matches and advances the scanner, exactly as write(chunk, onMatch) would have. */
  finish(onMatch: OnMatch): void;
}

/** Per-stream state over a {@link Database}. Never sees another stream's bytes. */
export interface Scanner {
  /** Scans the next chunk; reports matches (by absolute offsets) that end inside what was scanned. */
  write(chunk: Uint8Array, onMatch: OnMatch): void;
  /**
   * For scanners that can scan on another thread (vectorscan): starts scanning the next chunk
   * there and returns at once, so that the caller goes on with what came before on this one. The
   * scanner's state (horizon, offsets) stays as it was until {@link BackgroundWrite.finish}, which
   * must come before any other call on the scanner; the chunk's bytes must not change until then.
   */
  writeInBackground?(chunk: Uint8Array): BackgroundWrite;
  /**
   * Every match that starts before `horizon()` has been reported; for rules the database
   * `tracksEnds`, it also ends within what was scanned (at or before the horizon, or before the
   * last byte scanned), so the byte after it is known.
   * Bytes before the horizon can only be covered by matches already reported.
   */
  horizon(): number;
  /**
   * For scanners that decide some rules' matches exactly (literal sets: the secret is the whole
   * match): the earliest offset where such a match not reported yet may start, the scanned end
   * when none is in flight. The redactor's in-flight analysis (redact/in-flight.ts) covers every
   * other rule; absent when the scanner has no such rule.
   */
  exactSecretHorizon?(): number;
  /** Ends the stream: reports what only the end can decide. */
  end(onMatch: OnMatch): void;
  /** Back to offset 0 for a new stream. */
  reset(): void;
}
