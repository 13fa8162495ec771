/**
 * `sseredact scan`: finds secrets in files, directories, stdin, the staged blobs of the git index
 * or the commits of the git history, and reports them as text, NDJSON records or SARIF, leaving
 * out what a baseline or the repository's ignore files accept. Exit 1 (or `--exit-code`) when
 * anything was reported.
 */
import { relative, resolve, sep } from 'node:path';
import { SseredactError } from '../errors.js';
import { GITLEAKS_IGNORE, type PlacedFinding, SSEREDACT_IGNORE, baselineText, isBaselineLine, loadAcceptance, writeFileAtomically } from '../pipeline/baseline.js';
import { type NotScanned, type ScanTotals, scanTargets } from '../pipeline/scan.js';
import { scanHistory } from '../pipeline/scan-history.js';
import type { ScanJournal } from '../pipeline/scan-journal.js';
import { parseReplacement, renderReplacement } from '../redact/replace.js';
import { ruleIdentities } from '../rules/keyword-groups.js';
import type { RuleSet } from '../rules/ruleset.js';
import { scanAnnotation } from '../sinks/github.js';
import { FindingTally, findingRecord } from '../sinks/ndjson.js';
import { createByteSink } from '../sinks/output.js';
import { sarifLog } from '../sinks/sarif.js';
import { type TextReportOptions, formatFinding, formatSummary } from '../sinks/text-report.js';
import { type ScanTarget, listFileTargets, listStagedTargets } from '../sources/scan-targets.js';
import type { ScanFinding } from '../types.js';
import { repositoryRoot } from './discover-config.js';
import { EXIT_INTERNAL, EXIT_OK } from './exit.js';
import { type ScanCommandOptions, VERSION } from './program.js';
import { openJournal } from './scan-resume.js';
import { scanStatsText } from './scan-stats.js';
import { type Progress, startProgress, stdoutColors } from './terminal.js';

/** How a text report shows a secret: starred, its last bytes kept as `--replace '*4'` keeps them. */
const PREVIEW_MASK = parseReplacement('*4');

/** What a scan read: files (with --git: file patches) and bytes, for the summary, and a line saying so for --verbose. */
interface ScanRun {
  readonly files: number;
  readonly bytes: number;
  readonly what: string;
  /** A file scan's totals, for --stats and the files not scanned; null for --git. */
  readonly totals: ScanTotals | null;
  /** `--resume`: the journal, removed once the report is written. */
  readonly journal: ScanJournal | null;
}

/** The spinner of a scan (on a TTY only) and what it says it is doing. */
interface ScanProgress {
  readonly spinner: Progress;
  label: string;
}

/** A note about one path, for --verbose. */
function noteLogger(log: (message: string) => void): (path: string, note: string) => void {
  return (path, note) => log(`${path}: ${note}`);
}

/** `--max-file-size` as the listing and history options take it. */
function maxFileSizeOption(options: ScanCommandOptions): { maxFileSize?: number } {
  return options.maxFileSize === undefined ? {} : { maxFileSize: options.maxFileSize };
}

/**
 * The files a scan of files or of the index reads, and what to wait for before the rules compile
 * (`listed`: never rejects); null for a scan of history (`--git [RANGE]`), which lists nothing first.
 */
function listTargets(paths: readonly string[], options: ScanCommandOptions, log: (message: string) => void): { listed: Promise<void>; targets: Promise<ScanTarget[]> } | null {
  if (options.git === true || typeof options.git === 'string') return null;
  const onNote = noteLogger(log);
  // The index: listed before the compile (a few milliseconds), so that `git cat-file` then reads
  // the blobs beside it. The compile holds this thread, and with it the list's arrival: cat-file
  // started after it cost a pre-commit scan ~20 ms.
  if (options.staged) return listStagedTargets(paths, { ...maxFileSizeOption(options), onNote });
  return { listed: Promise.resolve(), targets: listFileTargets(paths.length > 0 ? paths : ['.'], { useGit: options.git !== false, ...maxFileSizeOption(options), onNote }) };
}

/**
 * Runs the scan the options choose on `listing` ({@link listTargets}; null: history); `onFinding`
 * hears each finding, its path as the report shows it.
 */
async function runScan(
  paths: readonly string[],
  options: ScanCommandOptions,
  ruleSet: RuleSet,
  listing: { targets: Promise<ScanTarget[]> } | null,
  log: (message: string) => void,
  progress: ScanProgress,
  onFinding: (finding: ScanFinding) => Promise<void>,
): Promise<ScanRun> {
  const onNote = noteLogger(log);
  const maxFileSize = maxFileSizeOption(options);
  if (listing === null) {
    if (options.staged) throw new SseredactError('usage', 'scan: --git and --staged cannot be used together');
    const range = typeof options.git === 'string' ? { range: options.git } : {};
    const journal = await openJournal(paths, options, ruleSet, { range: range.range }, log);
    const totals = await scanHistory(ruleSet, process.cwd(), { ...range, pathspecs: paths, ...maxFileSize, onNote, ...(journal ? { journal } : {}) }, onFinding);
    return {
      files: totals.files,
      bytes: totals.bytes,
      what: `${totals.files} file patch(es) of ${totals.commits} commit(s), ${totals.bytes} bytes added; skipped ${totals.skippedFiles} large patch(es)`,
      totals: null,
      journal,
    };
  }
  const targets = await listing.targets;
  progress.label = `scanning ${targets.length} file${targets.length === 1 ? '' : 's'}`;
  progress.spinner.update(progress.label);
  const onNotScanned = ({ path, detail }: NotScanned): void => {
    progress.spinner.around(async () => process.stderr.write(`sseredact: ${path}: not scanned: ${detail}\n`));
  };
  const journal = await openJournal(paths, options, ruleSet, { targets }, log);
  const scanOptions = { maxMatch: options.maxMatch, fileTimeoutMs: options.fileTimeout > 0 ? options.fileTimeout * 1000 : null, onNotScanned, ...(journal ? { journal } : {}) };
  const totals = await scanTargets(ruleSet, targets, onFinding, options.jobs === undefined ? scanOptions : { ...scanOptions, jobs: options.jobs });
  return { files: totals.files, bytes: totals.bytes, what: `${totals.files} file(s), ${totals.bytes} bytes; skipped ${totals.binaryFiles} binary file(s)`, totals, journal };
}

/**
 * Scans `paths` (with --staged or --git: git pathspecs; none: the working directory, the whole
 * index or all history) with the rules `compileRules` gives.
 */
export async function scan(paths: readonly string[], options: ScanCommandOptions, compileRules: () => Promise<RuleSet>, log: (message: string) => void): Promise<number> {
  // The files are listed while the rules compile (a tree's listing can take longer than the
  // compile), all but the first step of a staged one (listTargets). A listing's error is reported
  // after the rules' own, as when one followed the other.
  const listing = listTargets(paths, options, log);
  listing?.targets.catch(() => {});
  await listing?.listed;
  const ruleSet = await compileRules();
  const root = repositoryRoot();
  // History paths already are from the top; the others are relative to the working directory.
  const toRepositoryPath = (path: string): string => relative(root, resolve(path)).split(sep).join('/');
  const repositoryPath = (finding: ScanFinding): string => (finding.commit !== undefined || finding.path === '-' ? finding.path : toRepositoryPath(finding.path));
  const acceptance = loadAcceptance(root, options.baseline, log);
  // Fingerprints look like keys to the generic rules: the files and lines that hold them are left alone.
  const fingerprintFiles = new Set([SSEREDACT_IGNORE, GITLEAKS_IGNORE]);
  const stdout = createByteSink(process.stdout, { ownsStream: false });
  const tally = new FindingTally();
  const sarifFindings: ScanFinding[] = [];
  const toRecord: PlacedFinding[] = [];
  const accepted = { baseline: 0, 'ignore file': 0 };
  const pathsWithFindings = new Set<string>();
  // Annotations go to stderr, beside whichever report stdout carries; on by default in a GitHub Actions job.
  const annotates = options.github ?? process.env.GITHUB_ACTIONS === 'true';
  // chalk is imported for the first finding shown as text: a clean pre-commit scan does not wait for it (~10 ms).
  let report: TextReportOptions | undefined;
  const textOf = async (finding: ScanFinding): Promise<string> => {
    report ??= { showSecret: options.showSecret, colors: await stdoutColors(), mask: (secret: Uint8Array) => renderReplacement(PREVIEW_MASK, secret, '') };
    return formatFinding(finding, report);
  };
  const progress: ScanProgress = { spinner: startProgress('scanning'), label: 'scanning' };
  const run = await runScan(paths, options, ruleSet, listing, log, progress, async (finding) => {
    const placed = { finding, repositoryPath: repositoryPath(finding) };
    if (fingerprintFiles.has(placed.repositoryPath) || isBaselineLine(finding.lines)) return;
    const why = acceptance.accepts(placed);
    // A new baseline holds every current finding, those the old one accepted too: it replaces it.
    if (options.writeBaseline !== undefined && why !== 'ignore file') {
      toRecord.push({ finding: { ...finding, lines: new Uint8Array(0), fileSecrets: [] }, repositoryPath: placed.repositoryPath });
      return;
    }
    if (why !== null) {
      accepted[why]++;
      return;
    }
    tally.add(finding);
    pathsWithFindings.add(finding.path);
    progress.spinner.update(`${progress.label}: ${tally.findings} finding(s)`);
    if (options.sarif) sarifFindings.push({ ...finding, path: placed.repositoryPath });
    await progress.spinner.around(async () => {
      if (annotates) process.stderr.write(scanAnnotation(finding));
      if (!options.sarif) await stdout.write(options.json ? findingRecord(finding, finding.path, options.showSecret, recordFields(finding)) : await textOf(finding));
    });
  }).finally(() => progress.spinner.stop());
  const acceptedNote = accepted.baseline + accepted['ignore file'] > 0 ? `, and ${accepted.baseline} in the baseline, ${accepted['ignore file']} in an ignore file` : '';
  log(`scanned ${run.what}; ${tally.findings} finding(s)${acceptedNote}`);
  if (options.writeBaseline !== undefined) {
    writeFileAtomically(options.writeBaseline, baselineText(toRecord, `sseredact ${VERSION}`));
    process.stderr.write(`sseredact: ${toRecord.length} finding(s) recorded in ${options.writeBaseline}\n`);
    run.journal?.complete();
    return EXIT_OK;
  }
  tally.streams = run.files;
  tally.bytes = run.bytes;
  if (options.sarif) await stdout.write(`${JSON.stringify(sarifLog(sarifFindings, ruleIdentities(ruleSet.rules), VERSION), null, 2)}\n`);
  else await stdout.write(options.json ? tally.summaryRecord() : formatSummary(tally.findings, pathsWithFindings.size));
  if (options.stats && run.totals !== null) process.stderr.write(scanStatsText(run.totals));
  // A file not scanned may hold a secret: the run cannot pass, whatever else it found.
  if (run.totals !== null && run.totals.failedFiles > 0) {
    process.stderr.write(`sseredact: ${run.totals.failedFiles} file(s) not scanned\n`);
    // Kept: a --resume scans again only what was not scanned.
    run.journal?.close();
    return EXIT_INTERNAL;
  }
  run.journal?.complete();
  return tally.findings > 0 ? options.exitCode : EXIT_OK;
}

/** The scan-only fields of a finding's NDJSON record: its path and, from history, its commit. */
function recordFields(finding: ScanFinding): Record<string, string> {
  if (finding.commit === undefined) return { path: finding.path };
  const { id, author, email, date } = finding.commit;
  return { path: finding.path, commit: id, author, email, date };
}
