/**
 * The vocabulary shared by every stage. All offsets are absolute byte offsets from the start of a
 * stream; every span is half-open `[start, end)`.
 */

/** A half-open byte range `[start, end)` in a stream. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Predicates a finding's secret must pass to count (see DESIGN §2). */
export interface RulePredicates {
  /** Minimum Shannon entropy, in bits per byte, of the secret. */
  readonly minEntropy?: number;
  /** Findings whose secret matches any of these regexes (same syntax as rules) are dropped. */
  readonly allowlist?: readonly string[];
  /** Findings whose secret contains any of these words (case-insensitive) are dropped. */
  readonly stopwords?: readonly string[];
  /** A checksum the secret must satisfy. */
  readonly validator?: 'luhn' | 'github-crc32' | 'iban';
}

/** A rule as written by a user or a pack, before compilation. */
export interface RuleSpec {
  readonly id: string;
  readonly description?: string;
  /** RE2-compatible syntax; inline flags `(?i)`, `(?s)`, `(?m)` allowed. */
  readonly regex: string;
  /** The capture group that is the secret; 0 (default) is the whole match. */
  readonly secretGroup?: number;
  /** Lower-case words that appear in every match; informational for the automaton engines. */
  readonly keywords?: readonly string[];
  readonly predicates?: RulePredicates;
  /** Where the rule came from: a pack name, a file path, `cli`. */
  readonly source?: string;
}

/**
 * An engine hit: rule `rule` may match starting in `[start, lastStart]`; the engine saw the match
 * (or, for an engine that tracks only a rule's anchored prefix, that prefix) end at `end`.
 */
export interface Match {
  /** Index of the rule in the compiled rule set. */
  readonly rule: number;
  /** Lower bound on where the match starts (exact when the engine knows it). */
  readonly start: number;
  readonly end: number;
  /** Upper bound on the start; when absent, `end` minus the rule's minimum width. */
  readonly lastStart?: number;
}

/** A confirmed, predicate-checked match. */
export interface Finding {
  /** Index of the rule in the compiled rule set. */
  readonly rule: number;
  readonly ruleId: string;
  /** The whole match. */
  readonly match: Span;
  /** The part that gets redacted (the rule's secretGroup). */
  readonly secret: Span;
  /** The secret's bytes; kept only as long as a sink needs them. */
  readonly secretBytes: Uint8Array;
}
