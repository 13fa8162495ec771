/**
 * Wires `scan --git [RANGE]`: the lines each commit adds (sources/git-history.ts), file by file,
 * through the scan of a whole buffer (scan.ts), with each finding's lines mapped back to the file
 * in that commit and the commit attached.
 *
 * With a journal (`scan --resume`, ./scan-journal.ts), each file patch scanned is recorded (its key:
 * `COMMIT:PATH`), and one an earlier run recorded is not scanned again: its findings are reported
 * from the journal at its turn. Git still reads the whole log (the skipped patches included): a
 * range cannot be cut at a commit in general, and reading is the cheaper part.
 *
 * Memory: one file's added lines of one commit at a time (see git-history.ts).
 */
import type { RuleSet } from '../rules/ruleset.js';
import { readAddedLines } from '../sources/git-history.js';
import type { ScanFinding } from '../types.js';
import { createFileScanner } from './scan-file.js';
import type { ScanJournal } from './scan-journal.js';

export interface HistoryScanOptions {
  /** A revision range (`main..topic`); default every commit of every ref. */
  readonly range?: string;
  /** Git pathspecs (relative to `cwd`) the patches are limited to. */
  readonly pathspecs?: readonly string[];
  /** A file's added lines of one commit longer than this are skipped (`onNote` hears of it). */
  readonly maxFileSize?: number;
  readonly onNote?: (what: string, note: string) => void;
  /** `scan --resume`: records each file patch scanned and holds those already scanned. */
  readonly journal?: ScanJournal;
}

export interface HistoryTotals {
  /** Commits that added lines to a file. */
  readonly commits: number;
  /** File patches scanned. */
  readonly files: number;
  /** Bytes of added lines scanned. */
  readonly bytes: number;
  readonly skippedFiles: number;
  readonly findings: number;
}

/** The line of the file in the commit that the `line`th (1-based) added line is; past the last, the line after it. */
function lineInCommit(lineNumbers: readonly number[], line: number): number {
  return lineNumbers[line - 1] ?? (lineNumbers.at(-1) ?? 0) + 1;
}

/**
 * Scans the history in `cwd` (inside a git work tree); `onFinding` hears each finding that counts,
 * newest commit first, and is awaited. Throws SseredactError('io') when git fails (a bad range).
 */
export async function scanHistory(ruleSet: RuleSet, cwd: string, options: HistoryScanOptions, onFinding: (finding: ScanFinding) => Promise<void>): Promise<HistoryTotals> {
  const scanFile = createFileScanner(ruleSet);
  const totals = { commits: 0, files: 0, bytes: 0, skippedFiles: 0, findings: 0 };
  let lastCommit = '';
  for await (const added of readAddedLines(cwd, options.range, options.pathspecs ?? [])) {
    if (added.commit.id !== lastCommit) totals.commits++;
    lastCommit = added.commit.id;
    if (options.maxFileSize !== undefined && added.bytes.length > options.maxFileSize) {
      totals.skippedFiles++;
      options.onNote?.(`${added.commit.id.slice(0, 12)}:${added.path}`, `skipped: ${added.bytes.length} bytes added, over --max-file-size`);
      continue;
    }
    const unit = `${added.commit.id}:${added.path}`;
    let scanned = options.journal?.finished(unit);
    if (scanned === undefined) {
      scanned = { ...scanFile(added.path, added.bytes), size: added.bytes.length };
      options.journal?.record(unit, scanned);
    }
    // Git shows no lines of a binary file; text with a NUL byte is skipped as a file scan skips it.
    if (scanned.binary) continue;
    totals.files++;
    totals.bytes += added.bytes.length;
    for (const finding of scanned.findings) {
      totals.findings++;
      await onFinding({
        ...finding,
        line: lineInCommit(added.lineNumbers, finding.line),
        endLine: lineInCommit(added.lineNumbers, finding.endLine),
        commit: added.commit,
      });
    }
  }
  return totals;
}
