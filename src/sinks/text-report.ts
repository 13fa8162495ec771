/**
 * `sseredact scan`'s report for a person: one line per finding, then one summary line; nothing at
 * all when nothing was found.
 *
 *     config/app.env:2:19 aws-access-key-id: AWS_ACCESS_KEY_ID=****************4PQ  # rotated?
 *
 *     1 secret in 1 file; a false positive can be marked with sseredact:allow on its line
 *
 * `path:line:column` (1-based, the column in bytes) as editors and terminals link it, the rule,
 * and the line around the secret with the secret masked (`*`, its last bytes kept as `--replace
 * '*4'` keeps them); the secret itself only with `--show-secret`. Colour comes from the chalk
 * instance passed in (none when it has level 0).
 */
import type { ChalkInstance } from 'chalk';
import type { ScanTotals } from '../pipeline/scan.js';
import type { ScanFinding } from '../types.js';
import { parseReplacement, renderReplacement } from '../redact/replace.js';

export interface TextReportOptions {
  readonly showSecret: boolean;
  readonly colors: ChalkInstance;
}

/** Bytes of the line shown on each side of the secret. */
const CONTEXT = 40;
/** A masked secret longer than this (a private key) is shown by its end only. */
const MASK_WIDTH = 24;
const MASK = parseReplacement('*4');

/** The bytes as text on one line: UTF-8, control characters (line breaks of a multi-line secret) as spaces. */
function printable(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8').replace(/[\x00-\x1f\x7f]+/g, ' ');
}

function shownSecret(finding: ScanFinding, showSecret: boolean): string {
  if (showSecret) return printable(finding.secretBytes);
  const masked = printable(renderReplacement(MASK, finding.secretBytes, finding.ruleId));
  return masked.length > MASK_WIDTH ? `…${masked.slice(-MASK_WIDTH)}` : masked;
}

/** The report line of one finding, with its newline. */
export function formatFinding(finding: ScanFinding, options: TextReportOptions): string {
  const { colors } = options;
  const secretStart = finding.secret.start - finding.linesStart;
  const secretEnd = Math.min(finding.secret.end - finding.linesStart, finding.lines.length);
  const before = printable(finding.lines.subarray(Math.max(0, secretStart - CONTEXT), secretStart)).trimStart();
  const after = printable(finding.lines.subarray(secretEnd, secretEnd + CONTEXT)).trimEnd();
  const where = `${colors.magenta(finding.path)}:${colors.green(String(finding.line))}:${finding.column}`;
  return `${where} ${colors.bold.red(finding.ruleId)}: ${before}${colors.yellow(shownSecret(finding, options.showSecret))}${after}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The summary line (after a blank line), or nothing when nothing was found. */
export function formatSummary(totals: ScanTotals, filesWithFindings: number): string {
  if (totals.findings === 0) return '';
  return `\n${plural(totals.findings, 'secret')} in ${plural(filesWithFindings, 'file')}; a false positive can be marked with sseredact:allow on its line\n`;
}
