/**
 * One file of scan mode: its bytes, whole, through a stream redactor of the compiled rule set (the
 * same engine and confirmer as redaction; the redacted bytes are dropped), and each finding that
 * counts in scan mode (see rules/scan-scope.ts) with its path and where it starts and ends.
 * The main thread and the scan workers (./scan-worker.ts) both scan with {@link createFileScanner},
 * so a report cannot depend on which of them scanned a file.
 *
 * Memory: the file, whole (line allowlists and inline markers need whole lines), plus the
 * redactor's holdback, which the file is fed to in slices.
 */
import { createRedactorPool } from '../redact/redactor.js';
import { DEFAULT_TEMPLATE, parseReplacement } from '../redact/replace.js';
import { compareNaming } from '../rules/generic-rules.js';
import type { RuleSet } from '../rules/ruleset.js';
import { compileScanScope } from '../rules/scan-scope.js';
import type { Finding, LocatedFinding, ScanFinding, Span } from '../types.js';

/** What scanning one file gave: nothing for a binary file, else its counted findings in order. */
export type FileScan = { readonly binary: true } | { readonly binary: false; readonly findings: ScanFinding[] };

const BINARY_PROBE = 8192;
/** The redactor's holdback grows with its input: slices keep it at this size plus the widest rule. */
const SLICE = 256 * 1024;

/**
 * Where the slice from `at` ends: after the last newline within SLICE bytes, if any. A slice that
 * ends inside a line leaves a token in flight, and deciding what of it could be emitted costs the
 * redactor its in-flight analysis (redact/in-flight.ts): built once per process (hundreds of
 * milliseconds a pre-commit scan need not pay, as its output is dropped anyway), then a pass over
 * the tail at every such write. The file's last slice goes with the stream's end, which needs none.
 */
function sliceEnd(bytes: Uint8Array, at: number): number {
  const limit = Math.min(bytes.length, at + SLICE);
  if (limit === bytes.length) return limit;
  const newline = bytes.lastIndexOf(0x0a, limit - 1);
  return newline >= at ? newline + 1 : limit;
}

/** A NUL byte in the first 8 KiB, as git and grep decide. */
function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_PROBE).includes(0);
}

/** The line starts of a whole file: positions and line spans by binary search. */
class LineIndex {
  private readonly starts = [0];

  constructor(private readonly bytes: Uint8Array) {
    for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) this.starts.push(i + 1);
  }

  /** 0-based index of the line holding `offset`. */
  private lineOf(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** 1-based line and byte column of `offset`. */
  position(offset: number): { line: number; column: number } {
    const index = this.lineOf(offset);
    return { line: index + 1, column: offset - this.starts[index]! + 1 };
  }

  /** The lines holding the non-empty span, without the final line's terminator (LF or CRLF). */
  linesOf(span: Span): Span {
    const start = this.starts[this.lineOf(span.start)]!;
    const next = this.starts[this.lineOf(span.end - 1) + 1];
    let end = next === undefined ? this.bytes.length : next - 1;
    if (end > start && this.bytes[end - 1] === 0x0d) end--;
    return { start, end };
  }
}

/**
 * One finding per secret: where rules find the very same bytes (`aws-access-key-id` and the generic
 * `key = value` rule on AKIA...), the report names a provider's rule before a generic one, then the
 * narrowest match, as a redaction does (regionRuleId).
 */
function oneFindingPerSecret<T extends { readonly finding: LocatedFinding }>(counted: readonly T[], rules: RuleSet['rules']): T[] {
  const secretOf = ({ finding }: T): string => `${finding.secret.start}:${finding.secret.end}`;
  const kept = new Map<string, T>();
  for (const entry of counted) {
    const other = kept.get(secretOf(entry));
    if (other === undefined || compareNaming(entry.finding, other.finding, rules) < 0) kept.set(secretOf(entry), entry);
  }
  return counted.filter((entry) => kept.get(secretOf(entry)) === entry);
}

/** The union of `spans`: disjoint, sorted, touching spans joined. */
function unionOf(spans: readonly Span[]): Span[] {
  const union: Array<{ start: number; end: number }> = [];
  for (const { start, end } of [...spans].sort((a, b) => a.start - b.start)) {
    const last = union.at(-1);
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, end);
    else union.push({ start, end });
  }
  return union;
}

/**
 * The scanner of whole files over `ruleSet`. Its redactors are recycled from file to file (a
 * fresh engine stream, confirmer and holdback per file cost allocations and GC on a large tree).
 * The findings' `lines` are copies (a Buffer's `slice` would be a view): a result outlives the
 * file's bytes, and crosses threads without them.
 */
export function createFileScanner(ruleSet: RuleSet): (path: string, bytes: Uint8Array) => FileScan {
  const isInScope = compileScanScope(ruleSet.rules);
  const found: LocatedFinding[] = [];
  const openRedactor = createRedactorPool(ruleSet, { replacement: parseReplacement(DEFAULT_TEMPLATE), locate: true });
  const onFinding = (finding: LocatedFinding): void => {
    found.push(finding);
  };
  return (path, bytes) => {
    if (isBinary(bytes)) return { binary: true };
    found.length = 0;
    const redactor = openRedactor(onFinding as (finding: Finding) => void);
    let at = 0;
    for (let end = sliceEnd(bytes, at); end < bytes.length; end = sliceEnd(bytes, at)) {
      redactor.write(bytes.subarray(at, end));
      at = end;
    }
    // The last slice ends the stream: nothing of it is in flight, so no in-flight analysis runs.
    redactor.end(bytes.subarray(at));
    if (found.length === 0) return { binary: false, findings: [] };
    const lineIndex = new LineIndex(bytes);
    const fileSecrets = unionOf(found.map((finding) => finding.secret));
    const counted = found.splice(0).flatMap((finding) => {
      const lines = lineIndex.linesOf(finding.match);
      const scope = { path, match: bytes.subarray(finding.match.start, finding.match.end), line: bytes.subarray(lines.start, lines.end) };
      return isInScope(finding, scope) ? [{ finding, lines: scope.line, linesStart: lines.start }] : [];
    });
    const findings = oneFindingPerSecret(counted, ruleSet.rules).map(({ finding, lines, linesStart }): ScanFinding => {
      const end = lineIndex.position(finding.secret.end);
      return { ...finding, path, endLine: end.line, endColumn: end.column, lines: new Uint8Array(lines), linesStart, fileSecrets };
    });
    return { binary: false, findings };
  };
}
