/**
 * What a scan leaves out because someone accepted it: a baseline (`scan --baseline FILE`, written
 * by `scan --write-baseline FILE`) and the ignore files at the top of the repository,
 * `.sseredactignore` and gitleaks' `.gitleaksignore`. This comment is the formats' spec.
 *
 * A finding's **place fingerprint** is `PATH:RULE:HASH`: the path from the top of the repository,
 * the rule id and the unkeyed SHA-256 of both and the secret (src/fingerprint.ts
 * `placeFingerprint`; SARIF's `partialFingerprints` carries the same hash). No line number, so it
 * still matches after lines move; no commit, so a secret accepted in the work tree is accepted in
 * the history too.
 *
 * The baseline is JSON, entries sorted by path, line and rule so that it diffs well:
 *
 *     {"version": 1, "tool": "sseredact 0.1.0",
 *      "findings": [{"fingerprint": "config/app.env:aws-access-key-id:9f86d0…", "rule": "aws-access-key-id",
 *                    "path": "config/app.env", "line": 2, "commit": "4b825d…"}]}
 *
 * `line` (and `commit`, from `scan --git`) say where it was when recorded, for a reader; only the
 * fingerprint's hash is matched.
 *
 * `.sseredactignore`: one fingerprint a line (`PATH:RULE:HASH`, or the bare HASH), `#` comments.
 * `.gitleaksignore`: gitleaks' fingerprints, `COMMIT:PATH:RULE:LINE` for a finding in history and
 * `PATH:RULE:LINE` otherwise, matched as gitleaks matches them (rule id and start line exactly, a
 * commit only against a finding of `scan --git`), `#` comments.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SseredactError, describeSystemError } from '../errors.js';
import { placeFingerprint } from '../fingerprint.js';
import type { ScanFinding } from '../types.js';

/** A finding and its path from the top of the repository (what fingerprints name). */
export interface PlacedFinding {
  readonly finding: ScanFinding;
  readonly repositoryPath: string;
}

export const SSEREDACT_IGNORE = '.sseredactignore';
export const GITLEAKS_IGNORE = '.gitleaksignore';
const BASELINE_VERSION = 1;
const HASH = /(?:^|:)([0-9a-f]{64})$/;
const GITLEAKS_FINGERPRINT = /^(?:([0-9a-f]{40}|[0-9a-f]{64}):)?(.+):([^:]+):(\d+)$/;

/** The `PATH:RULE:HASH` fingerprint of a finding (see the module doc). */
export function placeFingerprintOf({ finding, repositoryPath }: PlacedFinding): string {
  return `${repositoryPath}:${finding.ruleId}:${placeFingerprint(finding.ruleId, repositoryPath, finding.secretBytes)}`;
}

const BASELINE_LINE = /^\s*"fingerprint": "[^"]*:[0-9a-f]{64}",?$/;

/**
 * True when `line` is a fingerprint line of a baseline: its hash looks like a key to the generic
 * rules, so a scan that meets a baseline (committed, say) leaves these lines alone.
 */
export function isBaselineLine(line: Uint8Array): boolean {
  return BASELINE_LINE.test(Buffer.from(line).toString('latin1'));
}

/** The hash part of a fingerprint, or null when `text` is none. */
function hashOf(text: string): string | null {
  return HASH.exec(text)?.[1] ?? null;
}

/** The lines of a `#`-commented list file, trimmed, without blanks and comments; null when there is no such file. */
function readListFile(path: string): Array<{ text: string; number: number }> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SseredactError('io', `cannot read ${path}: ${describeSystemError(error)}`, { cause: error });
  }
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ text: line.trim(), number: index + 1 }))
    .filter((line) => line.text !== '' && !line.text.startsWith('#'));
}

interface GitleaksEntry {
  readonly commit?: string;
  readonly path: string;
  readonly rule: string;
  readonly line: number;
}

/** What the ignore files and a baseline accept; `accepts` says why a finding is left out, or null. */
export interface Acceptance {
  accepts(placed: PlacedFinding): 'baseline' | 'ignore file' | null;
}

/**
 * Reads the ignore files in `root` (missing ones are no error) and the baseline at `baselinePath`
 * (missing is an error: a typo must not turn a baseline off). `onNote` hears lines that are no
 * fingerprint. Throws SseredactError('io') when a file cannot be read and ('format') when the
 * baseline is not one.
 */
export function loadAcceptance(root: string, baselinePath: string | undefined, onNote: (message: string) => void): Acceptance {
  const ignored = new Set<string>();
  for (const line of readListFile(join(root, SSEREDACT_IGNORE)) ?? []) {
    const hash = hashOf(line.text);
    if (hash === null) onNote(`${SSEREDACT_IGNORE}:${line.number}: not a fingerprint (PATH:RULE:HASH), ignored`);
    else ignored.add(hash);
  }
  const gitleaks: GitleaksEntry[] = [];
  for (const line of readListFile(join(root, GITLEAKS_IGNORE)) ?? []) {
    const match = GITLEAKS_FINGERPRINT.exec(line.text);
    if (match === null) onNote(`${GITLEAKS_IGNORE}:${line.number}: not a gitleaks fingerprint ([COMMIT:]PATH:RULE:LINE), ignored`);
    else gitleaks.push({ ...(match[1] === undefined ? {} : { commit: match[1] }), path: match[2]!, rule: match[3]!, line: Number(match[4]) });
  }
  const baseline = baselinePath === undefined ? new Set<string>() : readBaseline(baselinePath);
  return {
    accepts(placed) {
      const { finding, repositoryPath } = placed;
      const hash = placeFingerprint(finding.ruleId, repositoryPath, finding.secretBytes);
      if (baseline.has(hash)) return 'baseline';
      if (ignored.has(hash)) return 'ignore file';
      const isGitleaksIgnored = gitleaks.some(
        (entry) => entry.rule === finding.ruleId && entry.line === finding.line && entry.path === repositoryPath && entry.commit === finding.commit?.id,
      );
      return isGitleaksIgnored ? 'ignore file' : null;
    },
  };
}

/** The hashes of a baseline file's fingerprints. */
function readBaseline(path: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SseredactError('io', `cannot read baseline ${path}: ${describeSystemError(error)}`, { cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SseredactError('format', `${path}: not a baseline: invalid JSON: ${(error as Error).message}`, { cause: error });
  }
  const findings = (document as { findings?: unknown } | null)?.findings;
  if (!Array.isArray(findings)) throw new SseredactError('format', `${path}: not a baseline: no "findings" list`);
  const hashes = new Set<string>();
  findings.forEach((entry: unknown, index) => {
    const hash = typeof (entry as { fingerprint?: unknown })?.fingerprint === 'string' ? hashOf((entry as { fingerprint: string }).fingerprint) : null;
    if (hash === null) throw new SseredactError('format', `${path}: findings[${index}] has no fingerprint PATH:RULE:HASH`);
    hashes.add(hash);
  });
  return hashes;
}

/** The baseline document of `placed` (see the module doc), with its final newline. */
export function baselineText(placed: readonly PlacedFinding[], tool: string): string {
  const entries = placed
    .map((item) => ({
      fingerprint: placeFingerprintOf(item),
      rule: item.finding.ruleId,
      path: item.repositoryPath,
      line: item.finding.line,
      ...(item.finding.commit === undefined ? {} : { commit: item.finding.commit.id }),
    }))
    .sort((a, b) => (a.path === b.path ? a.line - b.line || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) : a.path < b.path ? -1 : 1));
  return `${JSON.stringify({ version: BASELINE_VERSION, tool, findings: entries }, null, 2)}\n`;
}

/** Writes `text` to `path` whole or not at all (a temporary file renamed over it). Throws SseredactError('io') naming it. */
export function writeFileAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new SseredactError('io', `cannot write ${path}: ${describeSystemError(error)}`, { cause: error });
  }
}
