/**
 * `--rules` with gitleaks configs, through bin/sseredact, read as gitleaks reads them: a config
 * stands in for the built-in secrets pack unless `[extend] useDefault = true`; `[extend] path`
 * and `disabledRules` extend another config; the config's own rules win over extended and
 * built-in ones of the same id; an unset secretGroup is the first non-empty capture group;
 * per-rule notes only under --verbose.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AWS_KEY, sseredact } from './cli.js';

const GITLEAKS = join(import.meta.dirname, '../../fixtures/rules/gitleaks/gitleaks.toml');
const directory = mkdtempSync(join(tmpdir(), 'sseredact-gitleaks-'));

function config(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

const text = (bytes: unknown): string => Buffer.from(bytes as Uint8Array).toString();

async function ruleIds(args: readonly string[]): Promise<string[]> {
  const result = await sseredact(['rules', 'list', ...args]);
  expect(text(result.stderr)).toBe('');
  return text(result.stdout)
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/)[0]!);
}

const ACME = `[[rules]]
id = "acme-token"
regex = '''acme_(?:"([a-z0-9]{16})"|([a-z0-9]{16}))'''
`;

describe('gitleaks configs with --rules', () => {
  test("gitleaks' own config replaces the built-in secrets pack: no id collision, quiet, redacts", async () => {
    const result = await sseredact(['--rules', GITLEAKS], { input: `key ${AWS_KEY}\n` });
    expect(text(result.stderr)).toBe('');
    expect(result.exitCode).toBe(0);
    expect(text(result.stdout)).toBe('key [REDACTED:aws-access-token]\n');
    const ids = await ruleIds(['--rules', GITLEAKS]);
    expect(ids).toContain('aws-access-token');
    expect(ids).not.toContain('aws-access-key-id'); // a built-in id
  });

  test('the per-rule notes of an import show only under --verbose', async () => {
    const verbose = await sseredact(['--rules', GITLEAKS, '--verbose'], { input: 'x\n' });
    expect(text(verbose.stderr)).toMatch(/rule pkcs12-file not loaded: path-only rule/);
    expect(text(verbose.stderr)).toMatch(/replaces the built-in secrets pack/);
  });

  test('[extend] useDefault = true keeps the built-in pack; a rule of the same id replaces the built-in one', async () => {
    const path = config(
      'use-default.toml',
      `[extend]\nuseDefault = true\ndisabledRules = ["generic-password"]\n\n[[rules]]\nid = "aws-access-key-id"\nregex = '''AKIA[A-Z2-7]{16}'''\n\n${ACME}`,
    );
    const ids = await ruleIds(['--rules', path]);
    expect(ids).toContain('github-pat'); // built-in, kept
    expect(ids).toContain('acme-token');
    expect(ids).not.toContain('generic-password');
    expect(ids.filter((id) => id === 'aws-access-key-id')).toHaveLength(1);
    const result = await sseredact(['--rules', path, '--json'], { input: `key ${AWS_KEY}\n` });
    const finding = JSON.parse(text(result.stdout).split('\n')[0]!) as { rule: string; start: number };
    expect(finding).toMatchObject({ rule: 'aws-access-key-id', start: 4 });
  });

  test('[extend] path: the base config is loaded, disabledRules drop its rules, this config wins on ids', async () => {
    config('base.toml', `${ACME}\n[[rules]]\nid = "old-rule"\nregex = '''old_[0-9]{8}'''\n\n[[rules]]\nid = "shared"\nregex = '''base_[0-9]{8}'''\n`);
    const child = config('child.toml', `[extend]\npath = "base.toml"\ndisabledRules = ["old-rule"]\n\n[[rules]]\nid = "shared"\nregex = '''child_[0-9]{8}'''\n`);
    expect(await ruleIds(['--rules', child])).toEqual(['acme-token', 'shared']);
    const result = await sseredact(['--rules', child], { input: 'old_12345678 base_12345678 child_12345678 acme_0123456789abcdef\n' });
    expect(text(result.stdout)).toBe('old_12345678 base_12345678 [REDACTED:shared] acme_[REDACTED:acme-token]\n');
  });

  test('a config that extends itself is refused with one line, exit 2', async () => {
    const path = config('loop.toml', `[extend]\npath = "loop.toml"\n\n${ACME}`);
    const result = await sseredact(['--rules', path], { input: 'x\n' });
    expect(result.exitCode).toBe(2);
    expect(text(result.stderr)).toMatch(/^sseredact: .*loop\.toml: \[extend\] path chain longer than 8/);
    expect(text(result.stderr).trim().split('\n')).toHaveLength(1);
  });

  test('no secretGroup: the secret is the first non-empty capture group, as in gitleaks', async () => {
    const path = config('groups.toml', ACME);
    const result = await sseredact(['--rules', path], { input: 'a acme_"0123456789abcdef" b acme_fedcba9876543210\n' });
    expect(text(result.stdout)).toBe('a acme_"[REDACTED:acme-token]" b acme_[REDACTED:acme-token]\n');
  });

  test('our own rule file with a built-in id replaces that rule instead of stopping the run', async () => {
    const path = config('own.yaml', "rules:\n  - id: github-pat\n    regex: 'ghp_[A-Za-z0-9]{8}'\n");
    const result = await sseredact(['--rules', path], { input: `ghp_abcdefgh ${AWS_KEY}\n` });
    expect(text(result.stderr)).toBe('');
    expect(text(result.stdout)).toBe('[REDACTED:github-pat] [REDACTED:aws-access-key-id]\n');
  });
});
