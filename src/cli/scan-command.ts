/**
 * `sseredact scan`: finds secrets in files, directories, stdin or the staged blobs of the git
 * index, and reports them as text, NDJSON records or SARIF. Exit 1 when anything was found.
 */
import { type NotScanned, scanTargets } from '../pipeline/scan.js';
import { parseReplacement, renderReplacement } from '../redact/replace.js';
import type { RuleSet } from '../rules/ruleset.js';
import { scanAnnotation } from '../sinks/github.js';
import { FindingTally, findingRecord } from '../sinks/ndjson.js';
import { createByteSink } from '../sinks/output.js';
import { sarifLog } from '../sinks/sarif.js';
import { formatFinding, formatSummary } from '../sinks/text-report.js';
import { listFileTargets, listStagedTargets } from '../sources/scan-targets.js';
import type { ScanFinding } from '../types.js';
import { EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK } from './exit.js';
import { type ScanCommandOptions, VERSION } from './program.js';
import { scanStatsText } from './scan-stats.js';
import { startProgress, stdoutColors } from './terminal.js';

/** How a text report shows a secret: starred, its last bytes kept as `--replace '*4'` keeps them. */
const PREVIEW_MASK = parseReplacement('*4');

/** Scans `paths` (with --staged: git pathspecs; none: the working directory, or the whole index). */
export async function scan(paths: readonly string[], options: ScanCommandOptions, ruleSet: RuleSet, log: (message: string) => void): Promise<number> {
  const targets = options.staged ? await listStagedTargets(paths) : await listFileTargets(paths.length > 0 ? paths : ['.']);
  const stdout = createByteSink(process.stdout, { ownsStream: false });
  const tally = new FindingTally();
  // Annotations go to stderr, beside whichever report stdout carries; on by default in a GitHub Actions job.
  const annotates = options.github ?? process.env.GITHUB_ACTIONS === 'true';
  const sarifFindings: ScanFinding[] = [];
  const pathsWithFindings = new Set<string>();
  const report = { showSecret: options.showSecret, colors: await stdoutColors(), mask: (secret: Uint8Array) => renderReplacement(PREVIEW_MASK, secret, '') };
  const scanning = `scanning ${targets.length} file${targets.length === 1 ? '' : 's'}`;
  const progress = startProgress(scanning);
  const onNotScanned = ({ path, detail }: NotScanned): void => {
    progress.around(async () => process.stderr.write(`sseredact: ${path}: not scanned: ${detail}\n`));
  };
  const scanOptions = { maxMatch: options.maxMatch, fileTimeoutMs: options.fileTimeout > 0 ? options.fileTimeout * 1000 : null, onNotScanned };
  const totals = await scanTargets(
    ruleSet,
    targets,
    async (finding) => {
      tally.add(finding);
      pathsWithFindings.add(finding.path);
      progress.update(`${scanning}: ${tally.findings} finding(s)`);
      if (options.sarif) sarifFindings.push(finding);
      await progress.around(async () => {
        if (annotates) process.stderr.write(scanAnnotation(finding));
        if (!options.sarif) await stdout.write(options.json ? findingRecord(finding, finding.path, options.showSecret, { path: finding.path }) : formatFinding(finding, report));
      });
    },
    options.jobs === undefined ? scanOptions : { ...scanOptions, jobs: options.jobs },
  ).finally(() => progress.stop());
  tally.streams = totals.files;
  tally.bytes = totals.bytes;
  if (options.sarif) await stdout.write(`${JSON.stringify(sarifLog(sarifFindings, ruleSet.rules, VERSION), null, 2)}\n`);
  else await stdout.write(options.json ? tally.summaryRecord() : formatSummary(totals.findings, pathsWithFindings.size));
  log(`scanned ${totals.files} file(s), ${totals.bytes} bytes; skipped ${totals.binaryFiles} binary file(s); ${totals.findings} finding(s)`);
  if (options.stats) process.stderr.write(scanStatsText(totals));
  // A file not scanned may hold a secret: the run cannot pass, whatever else it found.
  if (totals.failedFiles > 0) {
    process.stderr.write(`sseredact: ${totals.failedFiles} file(s) not scanned\n`);
    return EXIT_INTERNAL;
  }
  return totals.findings > 0 ? EXIT_FINDINGS : EXIT_OK;
}
