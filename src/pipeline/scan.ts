/**
 * Wires scan mode: each target (file, staged blob, stdin) is read whole, run through a stream
 * redactor of the compiled rule set (the same engine and confirmer as redaction; the redacted bytes
 * are dropped), and each finding that counts in scan mode (see rules/scan-scope.ts) goes to the
 * sink with its path and where it starts and ends.
 *
 * Memory: one target at a time, whole (line allowlists and inline markers need whole lines), plus
 * the redactor's holdback, which the target is fed to in slices.
 */
import type { RuleSet } from '../rules/ruleset.js';
import { compileScanScope } from '../rules/scan-scope.js';
import type { ScanTarget } from '../sources/scan-targets.js';
import type { LocatedFinding, ScanFinding, Span } from '../types.js';
import { createStreamOpener } from './open-stream.js';

export interface ScanTotals {
  /** Targets scanned (binary ones not included). */
  readonly files: number;
  readonly bytes: number;
  /** Targets skipped as binary: a NUL byte in their first 8 KiB (as git and grep decide). */
  readonly binaryFiles: number;
  readonly findings: number;
}

const BINARY_PROBE = 8192;
/** The redactor's holdback grows with its input: slices keep it at this size plus the widest rule. */
const SLICE = 256 * 1024;

export function isBinary(bytes: Uint8Array): boolean {
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
 * `key = value` rule on AKIA...), the report names the narrowest match, as a redaction does.
 */
function oneFindingPerSecret<T extends { readonly finding: LocatedFinding }>(counted: readonly T[]): T[] {
  const secretOf = ({ finding }: T): string => `${finding.secret.start}:${finding.secret.end}`;
  const width = ({ finding }: T): number => finding.match.end - finding.match.start;
  const kept = new Map<string, T>();
  for (const entry of counted) {
    const other = kept.get(secretOf(entry));
    if (other === undefined || width(entry) < width(other)) kept.set(secretOf(entry), entry);
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

/** Finds what counts in one whole text buffer, reported under `path`; binary buffers are the caller's to skip. */
export type BufferScanner = (path: string, bytes: Uint8Array) => ScanFinding[];

/** A {@link BufferScanner} over `ruleSet`: the same engine, confirmer and scan scope for every buffer. */
export function createBufferScanner(ruleSet: RuleSet): BufferScanner {
  const isInScope = compileScanScope(ruleSet.rules);
  const openStream = createStreamOpener(ruleSet);
  return (path, bytes) => {
    const found: LocatedFinding[] = [];
    const redactor = openStream({ name: path, locate: true, onFinding: (finding) => found.push(finding) });
    for (let at = 0; at < bytes.length; at += SLICE) redactor.write(bytes.subarray(at, at + SLICE));
    redactor.end();
    if (found.length === 0) return [];
    const lineIndex = new LineIndex(bytes);
    const fileSecrets = unionOf(found.map((finding) => finding.secret));
    const counted = found.flatMap((finding) => {
      const lines = lineIndex.linesOf(finding.match);
      const scope = { path, match: bytes.subarray(finding.match.start, finding.match.end), line: bytes.subarray(lines.start, lines.end) };
      return isInScope(finding, scope) ? [{ finding, lines: scope.line, linesStart: lines.start }] : [];
    });
    return oneFindingPerSecret(counted).map(({ finding, lines, linesStart }) => {
      const end = lineIndex.position(finding.secret.end);
      return { ...finding, path, endLine: end.line, endColumn: end.column, lines, linesStart, fileSecrets };
    });
  };
}

/**
 * Scans `targets` in order; `onFinding` hears each finding that counts, in file order, and is
 * awaited (a slow sink slows the scan). Throws SseredactError('io') when a target cannot be read.
 */
export async function scanTargets(ruleSet: RuleSet, targets: readonly ScanTarget[], onFinding: (finding: ScanFinding) => Promise<void>): Promise<ScanTotals> {
  const scanBuffer = createBufferScanner(ruleSet);
  const totals = { files: 0, bytes: 0, binaryFiles: 0, findings: 0 };
  for (const target of targets) {
    const bytes = await target.read();
    if (isBinary(bytes)) {
      totals.binaryFiles++;
      continue;
    }
    totals.files++;
    totals.bytes += bytes.length;
    for (const finding of scanBuffer(target.path, bytes)) {
      totals.findings++;
      await onFinding(finding);
    }
  }
  return totals;
}
