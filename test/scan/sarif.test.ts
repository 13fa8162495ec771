/**
 * `sseredact scan --sarif`: the log has what SARIF 2.1.0 and GitHub code scanning require, and
 * its regions point at the secrets (checked on a multi-line file, a multi-line secret and a line
 * with a non-ASCII character, where UTF-16 columns differ from byte columns).
 */
import { describe, expect, test } from 'vitest';
import { sseredact } from '../e2e/cli.js';
import { directoryWith } from './git-repo.js';

interface Region {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: Region } }[];
  partialFingerprints: Record<string, string>;
}

interface SarifLog {
  $schema: string;
  version: string;
  runs: { tool: { driver: { name: string; version: string; rules: { id: string; shortDescription: { text: string } }[] } }; results: SarifResult[] }[];
}

const CONTENT = 'line one\n  key_abcd1234 two\nxx \u00fc key_12345678 end\nBEGIN\nabc\nEND tail\n';
const RULES = ['--no-builtin', '--pattern', 'key_[a-z0-9]{8}', '--pattern', 'BEGIN\\nabc\\nEND'];

async function sarifOf(files: Record<string, string>, args: readonly string[]): Promise<{ exitCode: number | undefined; log: SarifLog }> {
  const result = await sseredact(['scan', '--sarif', ...args], { cwd: directoryWith(files) });
  return { exitCode: result.exitCode, log: JSON.parse(Buffer.from(result.stdout as Uint8Array).toString('utf8')) as SarifLog };
}

describe('scan --sarif', () => {
  test('a keyword provider found by its shape group is logged under its own rule id and description', async () => {
    const { log } = await sarifOf({ 'app.env': 'mixpanel_project = "Zd0xL2aWf13UPH9SInf7ltJmhpgmeXSd"\ninfura_project: ba79d7edf2ebeaec2f064509f433c12e\n' }, ['.']);
    const [run] = log.runs;
    expect(run!.results.map((result) => result.ruleId)).toEqual(['mixpanel-api-secret', 'infura-api-key']);
    for (const result of run!.results) expect(run!.tool.driver.rules[result.ruleIndex]!.id).toBe(result.ruleId);
    expect(run!.tool.driver.rules.map((rule) => rule.shortDescription.text)).toEqual([expect.stringMatching(/^Mixpanel /), expect.stringMatching(/^Infura /)]);
  });

  test('the fields SARIF 2.1.0 and code scanning require', async () => {
    const { exitCode, log } = await sarifOf({ 'src/doc.txt': CONTENT }, [...RULES, '.']);
    expect(exitCode).toBe(1);
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    expect(log.runs).toHaveLength(1);
    const [run] = log.runs;
    expect(run!.tool.driver.name).toBe('sseredact');
    expect(run!.tool.driver.rules.map((rule) => rule.id)).toEqual(['pattern-1', 'pattern-2']);
    for (const rule of run!.tool.driver.rules) expect(rule.shortDescription.text).not.toBe('');
    expect(run!.results).toHaveLength(3);
    for (const result of run!.results) {
      expect(run!.tool.driver.rules[result.ruleIndex]!.id).toBe(result.ruleId);
      expect(result.level).toBe('error');
      expect(result.message.text).toContain(result.ruleId);
      expect(result.locations[0]!.physicalLocation.artifactLocation.uri).toBe('src/doc.txt');
      expect(Object.values(result.partialFingerprints)[0]).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  test('regions: 1-based, end exclusive, columns in UTF-16 code units', async () => {
    const { log } = await sarifOf({ 'doc.txt': CONTENT }, [...RULES, 'doc.txt']);
    expect(log.runs[0]!.results.map((result) => [result.ruleId, result.locations[0]!.physicalLocation.region])).toEqual([
      ['pattern-1', { startLine: 2, startColumn: 3, endLine: 2, endColumn: 15 }],
      // "xx ü " is 6 bytes but 5 UTF-16 code units.
      ['pattern-1', { startLine: 3, startColumn: 6, endLine: 3, endColumn: 18 }],
      ['pattern-2', { startLine: 4, startColumn: 1, endLine: 6, endColumn: 4 }],
    ]);
  });

  test('the fingerprint stays when the line moves, and differs between files; no secret in the log', async () => {
    const fingerprints = async (files: Record<string, string>) =>
      (await sarifOf(files, [...RULES, '.'])).log.runs[0]!.results.map((result) => result.partialFingerprints['sseredact/secret/v1']);
    const [before] = await fingerprints({ 'a.txt': 'key_abcd1234\n' });
    const [moved] = await fingerprints({ 'a.txt': '\n\nmoved: key_abcd1234\n' });
    const [elsewhere] = await fingerprints({ 'b.txt': 'key_abcd1234\n' });
    expect(moved).toBe(before);
    expect(elsewhere).not.toBe(before);
    const { log } = await sarifOf({ 'a.txt': 'key_abcd1234\n' }, [...RULES, '.']);
    expect(JSON.stringify(log)).not.toContain('key_abcd1234');
  });

  test('nothing found: a valid log with no results, exit 0', async () => {
    const { exitCode, log } = await sarifOf({ 'a.txt': 'clean\n' }, [...RULES, '.']);
    expect(exitCode).toBe(0);
    expect(log.runs[0]!.results).toEqual([]);
    expect(log.runs[0]!.tool.driver.rules).toEqual([]);
  });
});
