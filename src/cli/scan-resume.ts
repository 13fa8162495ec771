/**
 * `scan --resume JOURNAL`: opens the scan journal (src/pipeline/scan-journal.ts) of the scan the
 * options describe. What identifies a scan is what decides its findings: the version, the rules
 * (with the repository's config), `--max-match`, `--max-file-size`, the paths and working
 * directory, and the files (path, size, modification time) or, with `--git`, the commits the range
 * resolves to. What only shapes the report (`--json`, `--sarif`, a baseline, `--jobs`) may change
 * between runs: the report is made again from the journal.
 */
import { stat } from 'node:fs/promises';
import { SseredactError, describeSystemError } from '../errors.js';
import { settingsHash } from '../pipeline/checkpoint.js';
import { type ScanIdentity, type ScanJournal, openScanJournal } from '../pipeline/scan-journal.js';
import type { RuleSet } from '../rules/ruleset.js';
import { resolveRange } from '../sources/git-history.js';
import type { ScanTarget } from '../sources/scan-targets.js';
import { type ScanCommandOptions, VERSION } from './program.js';

/** What a file scan and a history scan are, for their journal: the targets listed, or the range. */
export type ScannedScope = { readonly targets: readonly ScanTarget[] } | { readonly range: string | undefined };

/**
 * The journal `options.resume` names for this scan, null without `--resume`; `log` hears how much
 * an earlier run did. @throws SseredactError('usage') for stdin or --staged (nothing on disk names
 * them again) and for a journal of another scan; SseredactError('io') when a file cannot be read.
 */
export async function openJournal(
  paths: readonly string[],
  options: ScanCommandOptions,
  ruleSet: RuleSet,
  scope: ScannedScope,
  log: (message: string) => void,
): Promise<ScanJournal | null> {
  if (options.resume === undefined) return null;
  if (options.staged) throw new SseredactError('usage', 'scan --resume: not with --staged (the index is not a tree to resume)');
  const identity: Record<string, ScanIdentity[string]> = {
    version: VERSION,
    // Before the rules, whose hash --max-match changes too: the message names the option.
    options: { cwd: process.cwd(), paths: [...paths], '--max-match': options.maxMatch, '--max-file-size': options.maxFileSize ?? null, '--git': options.git ?? null },
    rules: settingsHash(ruleSet, {}, VERSION),
  };
  if ('range' in scope) identity.commits = await resolveRange(process.cwd(), scope.range);
  else identity.files = await Promise.all(scope.targets.map(fileIdentity));
  const journal = openScanJournal(options.resume, identity);
  if (journal.resumed > 0) log(`resuming from ${journal.path}: ${journal.resumed} ${'range' in scope ? 'file patch(es)' : 'file(s)'} already scanned`);
  return journal;
}

/** A target's path, size and modification time. */
async function fileIdentity(target: ScanTarget): Promise<[string, number, number]> {
  if (target.file === undefined) throw new SseredactError('usage', 'scan --resume: not with stdin (-): it cannot be read again');
  try {
    const info = await stat(target.file);
    return [target.path, info.size, info.mtimeMs];
  } catch (error) {
    throw new SseredactError('io', `cannot read ${target.path}: ${describeSystemError(error)}`, { cause: error });
  }
}
