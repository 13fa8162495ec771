/**
 * NDJSON match records: one JSON object per line, findings in stream order, then one summary.
 * This comment is the format's spec.
 *
 *     {"type":"finding","stream":"build.log","rule":"github-pat","start":120,"end":160,"line":3,"column":17,"length":40,"fingerprint":"hmac-sha256:9f86d0…"}
 *     {"type":"summary","streams":1,"bytes":52311,"findings":1,"rules":{"github-pat":1}}
 *
 * In socket mode (`--listen`) each connection is a stream named `conn-N`, and a `stream` record
 * follows its last finding when it closes: where it came from, how it ended (`eof`, `idle`,
 * `shutdown`, or `reset` for a connection aborted mid-stream: what it still held back was dropped,
 * never written) and its totals:
 *
 *     {"type":"stream","stream":"conn-7","listener":"tcp://127.0.0.1:5140","peer":"127.0.0.1:51234","end":"eof","bytes":4096,"bytesOut":4081,"findings":1}
 *
 * - `start`/`end`: absolute byte offsets of the secret (the redacted span) in its stream, half-open.
 * - `line`/`column`: 1-based; the column counts bytes.
 * - `fingerprint`: `hmac-sha256:` and the hex HMAC-SHA256 of the secret's bytes under a per-user
 *   key (src/fingerprint.ts): `SSEREDACT_HASH_KEY` when set, else a random key created once in
 *   `$XDG_CONFIG_HOME/sseredact/fingerprint.key` (mode 0600). Equal secrets have equal fingerprints
 *   for one user (or one SSEREDACT_HASH_KEY), so repeats correlate across runs; without the key, a
 *   guess at a low-entropy secret (an SSN, a card number) cannot be checked against them.
 * - `released`: with `--sse-json` (not `--strict-hold`), how many of the secret's first (decoded)
 *   bytes had left in an earlier event before the rest made it a secret: an anchor's literal
 *   prefix (`sk-ant-`), or at most 12 bytes of a long key's head run; the replacement covers the rest.
 * - `secret`: the secret itself (latin1-decoded bytes), only with `--show-secret`.
 * - `path`: in `scan --json` only, the file's path (as `stream`), relative to the working directory.
 *   The summary's `streams` and `bytes` then count the files scanned (binary ones skipped).
 * - `commit`, `author`, `email`, `date`: in `scan --git --json` only, the commit that added the
 *   secret (full id, author name and email, author date in strict ISO 8601); `line` is then the
 *   line in that commit's version of the file, and `start`/`end` count bytes of the lines that
 *   commit added to the file (`stream` and the summary's `streams` count file patches).
 * - `event`, `eventOffset`, `path`: in SSE modes (`--sse`, `--sse-json`), the 0-based ordinal and
 *   input offset of the event holding the secret's first byte, and where in it: the field (`data`,
 *   `id`, `comment`) or the JSON path (`choices[0].delta.content`). `start`/`end`/`line`/`column`
 *   are still input offsets: a secret written with JSON escapes spans the bytes that spell it, and
 *   one split over events runs from its first event to its last. Findings come in the order they
 *   are decided, which in SSE modes may differ from stream order (a content stream decides later):
 *
 *       {"type":"finding","stream":"-","rule":"aws-access-key-id","start":62,"end":147,"line":1,"column":63,"length":85,"fingerprint":"hmac-sha256:…","event":0,"eventOffset":0,"path":"choices[0].delta.content"}
 */
import { fingerprint } from '../fingerprint.js';
import type { Finding, LocatedFinding, StreamEnd } from '../types.js';

/** One finding's record line; `extra` fields (scan mode's `path`) go after the standard ones. */
export function findingRecord(finding: LocatedFinding, stream: string, showSecret: boolean, extra: Readonly<Record<string, unknown>> = {}): string {
  const record: Record<string, unknown> = {
    type: 'finding',
    stream,
    rule: finding.ruleId,
    start: finding.secret.start,
    end: finding.secret.end,
    line: finding.line,
    column: finding.column,
    length: finding.secret.end - finding.secret.start,
    fingerprint: fingerprint(finding.secretBytes),
    ...(finding.released === undefined ? {} : { released: finding.released }),
    ...extra,
  };
  if (showSecret) record.secret = Buffer.from(finding.secretBytes).toString('latin1');
  return `${JSON.stringify(record)}\n`;
}

/** Totals over a run, for the summary record. */
export class FindingTally {
  streams = 0;
  bytes = 0;
  findings = 0;
  readonly byRule = new Map<string, number>();

  add(finding: Finding): void {
    this.findings++;
    this.byRule.set(finding.ruleId, (this.byRule.get(finding.ruleId) ?? 0) + 1);
  }

  /** Adds the totals of `other` (one stream's) to these. */
  merge(other: FindingTally): void {
    this.streams += other.streams;
    this.bytes += other.bytes;
    this.findings += other.findings;
    for (const [rule, count] of other.byRule) this.byRule.set(rule, (this.byRule.get(rule) ?? 0) + count);
  }

  summaryRecord(): string {
    const rules = Object.fromEntries([...this.byRule].sort(([a], [b]) => (a < b ? -1 : 1)));
    return `${JSON.stringify({ type: 'summary', streams: this.streams, bytes: this.bytes, findings: this.findings, rules })}\n`;
  }
}

/** The `stream` record of a closed socket stream (see the header). */
export interface StreamRecord {
  readonly stream: string;
  readonly listener: string;
  readonly peer: string;
  readonly end: StreamEnd;
  readonly bytes: number;
  readonly bytesOut: number;
  readonly findings: number;
}

export function streamRecord(record: StreamRecord): string {
  return `${JSON.stringify({ type: 'stream', ...record })}\n`;
}
