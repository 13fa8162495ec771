/**
 * `sseredact scan`'s report for a person: one line per finding, then one summary line; nothing at
 * all when nothing was found.
 *
 *     config/app.env:2:19 aws-access-key-id: AWS_ACCESS_KEY_ID=****************4PQ  # rotated?
 *
 *     1 secret in 1 file; a false positive can be marked with sseredact:allow on its line
 *
 * From `scan --git`, a line starts with the commit (12 hex digits) and ends with its author and
 * date; `line` is then the line in that commit's version of the file:
 *
 *     4b825dc642cb config/app.env:2:19 aws-access-key-id: AWS_ACCESS_KEY_ID=****************4PQ  (Ann <ann@example.com> 2026-12-02T09:10:43+00:00)
 *
 * `path:line:column` (1-based, the column in bytes) as editors and terminals link it, the rule,
 * and the line around the secret with the secret masked (by `mask`, which the caller passes in:
 * `--replace '*4'` keeps the last bytes); the secret itself only with `--show-secret`. Every other
 * secret the shown context overlaps is masked whole (`*`), with or without `--show-secret`: the
 * report of one finding never prints another. Colour comes from the chalk instance passed in
 * (none when it has level 0).
 */
import type { ChalkInstance } from 'chalk';
import type { ScanFinding, Span } from '../types.js';

export interface TextReportOptions {
  readonly showSecret: boolean;
  readonly colors: ChalkInstance;
  /** The masked form of a secret's bytes (same length or shorter). */
  readonly mask: (secret: Uint8Array) => Uint8Array;
}

/** Bytes of the line shown on each side of the secret. */
const CONTEXT = 40;
/** A masked secret longer than this (a private key) is shown by its end only. */
const MASK_WIDTH = 24;
const STAR = 0x2a;
/** Hex digits of a commit id shown. */
const COMMIT_WIDTH = 12;

/** The bytes as text on one line: UTF-8, control characters (line breaks of a multi-line secret) as spaces. */
function printable(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('utf8')
    .replace(/[\x00-\x1f\x7f]+/g, ' ');
}

function shownSecret(finding: ScanFinding, options: TextReportOptions): string {
  if (options.showSecret) return printable(finding.secretBytes);
  const masked = printable(options.mask(finding.secretBytes));
  return masked.length > MASK_WIDTH ? `…${masked.slice(-MASK_WIDTH)}` : masked;
}

/** Index of the first of the sorted, disjoint `spans` that ends after `offset`. */
function firstEndingAfter(spans: readonly Span[], offset: number): number {
  let low = 0;
  let high = spans.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (spans[middle]!.end <= offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The bytes `[from, to)` of the finding's lines (absolute offsets), every secret in them starred. */
function context(finding: ScanFinding, from: number, to: number): Uint8Array {
  const bytes = finding.lines.slice(from - finding.linesStart, to - finding.linesStart);
  const spans = finding.fileSecrets;
  for (let i = firstEndingAfter(spans, from); i < spans.length && spans[i]!.start < to; i++) {
    bytes.fill(STAR, Math.max(spans[i]!.start, from) - from, Math.min(spans[i]!.end, to) - from);
  }
  return bytes;
}

/** The report line of one finding, with its newline. */
export function formatFinding(finding: ScanFinding, options: TextReportOptions): string {
  const { colors } = options;
  const linesEnd = finding.linesStart + finding.lines.length;
  const secretStart = finding.secret.start;
  const secretEnd = Math.min(finding.secret.end, linesEnd);
  const before = printable(context(finding, Math.max(finding.linesStart, secretStart - CONTEXT), secretStart)).trimStart();
  const after = printable(context(finding, secretEnd, Math.min(linesEnd, secretEnd + CONTEXT))).trimEnd();
  const where = `${colors.magenta(finding.path)}:${colors.green(String(finding.line))}:${finding.column}`;
  const line = `${where} ${colors.bold.red(finding.ruleId)}: ${before}${colors.yellow(shownSecret(finding, options))}${after}`;
  if (finding.commit === undefined) return `${line}\n`;
  const { id, author, email, date } = finding.commit;
  return `${colors.cyan(id.slice(0, COMMIT_WIDTH))} ${line}  (${printable(Buffer.from(`${author} <${email}> ${date}`))})\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The summary line (after a blank line), or nothing when nothing was found. */
export function formatSummary(findings: number, filesWithFindings: number): string {
  if (findings === 0) return '';
  return `\n${plural(findings, 'secret')} in ${plural(filesWithFindings, 'file')}; a false positive can be marked with sseredact:allow on its line\n`;
}
