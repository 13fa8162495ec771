/**
 * The vocabulary shared by every stage. All offsets are absolute byte offsets from the start of a
 * stream; every span is half-open `[start, end)`.
 */
import type { Node } from './regex/ast.js';

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
  readonly validator?: 'luhn' | 'github-crc32' | 'iban' | 'ipv4' | 'ipv6';
}

/** Which capture group of a rule's match is the secret (see {@link RuleSpec.secretGroup}). */
export type SecretGroup = number | readonly number[] | 'first-non-empty';

/** A rule as written by a user or a pack, before compilation. */
export interface RuleSpec {
  readonly id: string;
  readonly description?: string;
  /** RE2-compatible syntax; inline flags `(?i)`, `(?s)`, `(?m)` allowed. */
  readonly regex: string;
  /**
   * The capture group that is the secret; 0 (default) is the whole match. A list names groups in
   * different alternatives (`key=(…)|<key>(…)<`): the secret is the first of them that matched
   * something, and every match must fill one. `first-non-empty` is gitleaks' rule when a rule
   * names no group: the first group that matched something, else the whole match.
   */
  readonly secretGroup?: SecretGroup;
  /** Lower-case words that appear in every match; informational for the automaton engines. */
  readonly keywords?: readonly string[];
  readonly predicates?: RulePredicates;
  /** Replacement template for this rule's findings (the PII pack's `[EMAIL:{hash}]`), unless `--replace` is given. */
  readonly replacement?: string;
  /** Where the rule came from: a pack name, a file path, `cli`. */
  readonly source?: string;
}

/**
 * A rule matching any of many literal strings, or their encoded forms (`--literal`,
 * `--literal-file`, `--mask-env`): leftmost-longest, as the alternation of its strings longest
 * first would match. A literal automaton scans it beside the engine, whatever the engine.
 */
export interface LiteralSetSpec {
  readonly id: string;
  readonly description?: string;
  /** Where the list came from: a file path, `cli`, `env:NAME,...`. */
  readonly source?: string;
  /** The literals (UTF-8 text), each at least 4 bytes long. */
  readonly literals: readonly string[];
  /** Also match the forms they travel in: JSON-escaped, URL-encoded, base64 (see rules/load/literals.ts). */
  readonly encodings: boolean;
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
  /** True when `[start, end)` is the rule's match itself (a literal set's scanner decides them): nothing is left to confirm. */
  readonly exact?: boolean;
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
  /**
   * How many of the secret's first bytes had left before it was known: only after a release at a
   * boundary the reader sees (StreamRedactor.release: literal bytes, or a few of a long secret's
   * head). Absent otherwise; the replacement then covers the rest of the secret.
   */
  readonly released?: number;
}

/** What an engine needs of a rule: its bounded pattern and what the rule compiler derived. */
export interface EngineRule {
  /** Index in the rule set; matches carry it. */
  readonly index: number;
  readonly id: string;
  /** The capped pattern, parsed (see regex/ast.ts); after a warm start, on first read. */
  readonly ast: Node;
  /** Largest number of bytes a match can span. */
  readonly maxWidth: number;
  /** Smallest number of bytes a match can span (at least 1). */
  readonly minWidth: number;
  /** False when no match can contain a newline byte: such a rule is never in flight across one. */
  readonly canMatchNewline: boolean;
  /** What the tree was built from (pattern and cap): equal sources give equal trees (cache keys). */
  readonly source: string;
  /**
   * Inputs the rule is known to match (a pack rule's `examples.match`): an engine checks a
   * database loaded from its cache against them before trusting it.
   */
  readonly examples?: readonly string[];
}

/** A finding with where it is, as sinks report it. */
export interface LocatedFinding extends Finding {
  /** 1-based line and byte column of the secret's start. */
  readonly line: number;
  readonly column: number;
}

/** The commit a `scan --git` finding was added in. */
export interface CommitInfo {
  /** The full commit id. */
  readonly id: string;
  readonly author: string;
  readonly email: string;
  /** The author date, strict ISO 8601 (`2026-12-02T09:10:43+00:00`). */
  readonly date: string;
}

/** A finding in a scanned file, as scan sinks report it. */
export interface ScanFinding extends LocatedFinding {
  readonly path: string;
  /** With `scan --git`: the commit whose patch added the secret; `line`/`endLine` are then lines of the file in that commit. */
  readonly commit?: CommitInfo;
  /** 1-based line and byte column just past the secret (SARIF's endLine/endColumn). */
  readonly endLine: number;
  readonly endColumn: number;
  /** The line(s) holding the match, without line terminators, and the offset of their first byte. */
  readonly lines: Uint8Array;
  readonly linesStart: number;
  /**
   * The union of the secrets of every finding in the file (counted or not), disjoint and sorted:
   * what a preview of `lines` must mask. One array shared by the file's findings.
   */
  readonly fileSecrets: readonly Span[];
}

/**
 * How a socket stream ended: the peer's end (`eof`), the idle timeout, a graceful shutdown, or a
 * connection that failed mid-stream (`reset`: what was still held back was dropped).
 */
export type StreamEnd = 'eof' | 'idle' | 'shutdown' | 'reset';

/** What the socket stream registry (pipeline/stream-registry.ts) knows of one stream, open or recently closed. */
export interface StreamStats {
  /** `conn-N`: its name in records, labels and logs. */
  readonly id: string;
  readonly listener: string;
  readonly peer: string;
  /** Bytes read from the connection. */
  readonly bytesIn: number;
  /** Redacted bytes written for it. */
  readonly bytesOut: number;
  /** Newlines received. */
  readonly lines: number;
  readonly findings: number;
  /** Epoch milliseconds. */
  readonly openedAt: number;
  readonly lastActivityAt: number;
  /** How it ended; null while open. */
  readonly end: StreamEnd | null;
}

/** A snapshot of the registry: what `--stats` prints. */
export interface RegistryStats {
  readonly uptimeMs: number;
  readonly connections: { readonly active: number; readonly peak: number; readonly accepted: number; readonly refused: number };
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly findings: number;
  /** Findings per rule id. */
  readonly rules: Readonly<Record<string, number>>;
  /** bytesIn over the uptime. */
  readonly bytesPerSecond: number;
  /** The open streams, then the most recently closed ones (at most 100, oldest first). */
  readonly streams: readonly StreamStats[];
}
