/**
 * The pre-commit framework (https://pre-commit.com) installing and running this repository's hook
 * (.pre-commit-hooks.yaml) for real: a temporary repository lists this checkout (`repo:` its path,
 * `rev:` its HEAD, so only committed work is tested), pre-commit installs the package with npm as it
 * does for any `language: node` hook, and commits go through it. CI installs Debian's pre-commit
 * (3.0.4: the oldest the manifest must work with); where it is absent the test is skipped.
 *
 * Another pre-commit runs too when SSEREDACT_TEST_PRE_COMMIT names its command line (split on
 * spaces; leading NAME=VALUE words are its environment, for the commits' hooks as well), e.g.
 * pre-commit 4.x run from its source, which Debian does not package:
 *   SSEREDACT_TEST_PRE_COMMIT='PYTHONPATH=/tmp/pre-commit-src /usr/bin/python3 -m pre_commit'
 * (4.x installs a node hook with `npm install -g git+file://…`, which scripts/prepare.mjs serves.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { REPO } from '../api/consumer.js';
import { git, repositoryWith } from './git-repo.js';

/** A pre-commit to run: its command, arguments and environment. */
function runnerOf(commandLine: string): { command: string; args: string[]; env: Record<string, string> } {
  const words = commandLine.split(' ').filter((word) => word !== '');
  const assignments = words.filter((word, i) => /^\w+=/.test(word) && words.slice(0, i).every((before) => /^\w+=/.test(before)));
  const [command = 'pre-commit', ...args] = words.slice(assignments.length);
  return { command, args, env: Object.fromEntries(assignments.map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)])) };
}

const RUNNERS = ['pre-commit', ...(process.env.SSEREDACT_TEST_PRE_COMMIT ? [process.env.SSEREDACT_TEST_PRE_COMMIT] : [])].map(runnerOf);
const available = await Promise.all(
  RUNNERS.map(async (runner) => {
    const version = await execa(runner.command, [...runner.args, '--version'], { reject: false, env: runner.env }).catch(() => null);
    return [version?.exitCode === 0 ? String(version.stdout).trim() : `${runner.command} (not installed)`, version?.exitCode === 0, runner] as const;
  }),
);

describe.each(available)('the pre-commit framework runs the sseredact hook: %s', (_version, isInstalled, runner) => {
  test.skipIf(!isInstalled)(
    'a clean commit passes; a staged secret is refused, naming where it is',
    async () => {
      const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: REPO })).stdout.trim();
      const config = `repos:\n  - repo: ${REPO}\n    rev: ${head}\n    hooks:\n      - id: sseredact\n`;
      const dir = await repositoryWith({ '.pre-commit-config.yaml': config, 'README.md': 'hello\n' });
      const env = { ...runner.env, PRE_COMMIT_HOME: mkdtempSync(join(tmpdir(), 'sseredact-pre-commit-home-')) };
      await execa(runner.command, [...runner.args, 'install'], { cwd: dir, env });

      await git(dir, ['add', '.']);
      const clean = await git(dir, ['commit', '-m', 'clean'], { reject: false, env });
      expect(clean.exitCode, String(clean.stdout) + String(clean.stderr)).toBe(0);
      // git passes the hook's output through on either stream; what matters is what the user sees.
      expect(`${clean.stdout}${clean.stderr}`).toMatch(/sseredact.*Passed/);

      writeFileSync(join(dir, 'deploy.env'), 'export AWS_ACCESS_KEY_ID=AKIAZ7VQ3XJ5K2LMN4PQ\n');
      await git(dir, ['add', 'deploy.env']);
      const refused = await git(dir, ['commit', '-m', 'add a key'], { reject: false, env });
      expect(refused.exitCode).not.toBe(0);
      const seen = `${refused.stdout}${refused.stderr}`;
      expect(seen).toMatch(/sseredact.*Failed/);
      expect(seen).toContain('deploy.env:1:26 aws-access-key-id');
      expect(seen).not.toContain('AKIAZ7VQ3XJ5K2LMN4PQ');
    },
    900_000,
  );
});
