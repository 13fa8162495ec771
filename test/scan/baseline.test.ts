/**
 * Baselines, ignore files and allow pragmas end to end: the real bin/sseredact in real temporary
 * git repositories. Every secret here is a fake of a real format.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AWS_KEY, sseredact } from '../e2e/cli.js';
import { git, repositoryWith } from './git-repo.js';

const ENV = { NO_COLOR: '', FORCE_COLOR: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
const GITHUB_PAT = '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';

async function scan(cwd: string, args: readonly string[]) {
  const result = await sseredact(['scan', '--no-config', ...args], { cwd, env: ENV });
  return { exitCode: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) };
}

/** The `path:line:column rule` of each report line. */
function reported(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => /^\S+:\d+:\d+ /.test(line))
    .map((line) => line.split(': ')[0]!);
}

interface BaselineEntry {
  readonly fingerprint: string;
  readonly rule: string;
  readonly path: string;
  readonly line: number;
}

describe('--write-baseline and --baseline', () => {
  test('round trip: written, then nothing new; lines moved: still matched; a new secret: reported alone', async () => {
    const repo = await repositoryWith({ 'config/app.env': `# app\naws_key = ${AWS_KEY}\n`, 'notes.txt': 'clean\n' });
    const written = await scan(repo, ['--write-baseline', 'baseline.json']);
    expect(written).toEqual({ exitCode: 0, stdout: '', stderr: 'sseredact: 1 finding(s) recorded in baseline.json\n' });
    const entries = (JSON.parse(readFileSync(join(repo, 'baseline.json'), 'utf8')) as { findings: BaselineEntry[] }).findings;
    expect(entries.map(({ rule, path, line }) => ({ rule, path, line }))).toEqual([{ rule: 'aws-access-key-id', path: 'config/app.env', line: 2 }]);
    expect(entries[0]!.fingerprint).toMatch(/^config\/app\.env:aws-access-key-id:[0-9a-f]{64}$/);
    expect(readFileSync(join(repo, 'baseline.json'), 'utf8')).not.toContain(AWS_KEY);
    // The baseline file itself (fingerprints look like keys) is not scanned.
    expect(await scan(repo, ['--baseline', 'baseline.json'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });

    writeFileSync(join(repo, 'config/app.env'), `# app\n# moved down\n\n\nexport aws_key=${AWS_KEY}\n`);
    expect(await scan(repo, ['--baseline', 'baseline.json'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });

    writeFileSync(join(repo, 'notes.txt'), `token ${GITHUB_PAT}\n`);
    const result = await scan(repo, ['--baseline', 'baseline.json']);
    expect({ exitCode: result.exitCode, reported: reported(result.stdout) }).toEqual({ exitCode: 1, reported: ['notes.txt:1:7 github-pat'] });
  });

  test('the same secret in another file, or a changed secret in the same file, is new', async () => {
    const repo = await repositoryWith({ 'a.env': `aws_key = ${AWS_KEY}\n` });
    await scan(repo, ['--write-baseline', 'baseline.json']);
    writeFileSync(join(repo, 'b.env'), `aws_key = ${AWS_KEY}\n`);
    expect(reported((await scan(repo, ['--baseline', 'baseline.json'])).stdout)).toEqual(['b.env:1:11 aws-access-key-id']);
  });

  test('paths are from the top of the repository: a baseline written at the top works from a subdirectory', async () => {
    const repo = await repositoryWith({ 'sub/app.env': `aws_key = ${AWS_KEY}\n` });
    await scan(repo, ['--write-baseline', 'baseline.json']);
    expect(await scan(join(repo, 'sub'), ['--baseline', '../baseline.json', '.'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  test('a baseline also accepts the secret where --git finds it in history', async () => {
    const repo = await repositoryWith({ 'app.env': `aws_key = ${AWS_KEY}\n` });
    await git(repo, ['add', '.']);
    await git(repo, ['commit', '-qm', 'add']);
    await scan(repo, ['--write-baseline', 'baseline.json']);
    expect((await scan(repo, ['--git'])).exitCode).toBe(1);
    expect((await scan(repo, ['--git', '--baseline', 'baseline.json'])).exitCode).toBe(0);
  });

  test('a missing or malformed baseline is a one-line error, exit 2', async () => {
    const repo = await repositoryWith({ 'bad.json': '{"findings": [{"rule": "x"}]}\n' });
    expect(await scan(repo, ['--baseline', 'nope.json'])).toEqual({ exitCode: 2, stdout: '', stderr: 'sseredact: cannot read baseline nope.json: no such file\n' });
    expect(await scan(repo, ['--baseline', 'bad.json'])).toEqual({ exitCode: 2, stdout: '', stderr: 'sseredact: bad.json: findings[0] has no fingerprint PATH:RULE:HASH\n' });
  });
});

describe('ignore files at the top of the repository', () => {
  test('.sseredactignore: fingerprints from a baseline, one a line, # comments; a bare hash too', async () => {
    const repo = await repositoryWith({ 'a.env': `aws_key = ${AWS_KEY}\n`, 'b.txt': `token ${GITHUB_PAT}\n` });
    await scan(repo, ['--write-baseline', 'baseline.json']);
    const [aws, pat] = (JSON.parse(readFileSync(join(repo, 'baseline.json'), 'utf8')) as { findings: BaselineEntry[] }).findings;
    writeFileSync(join(repo, '.sseredactignore'), `# accepted: the docs key\n${aws!.fingerprint}\n\nnot a fingerprint\n`);
    const result = await scan(repo, ['-v']);
    expect(reported(result.stdout)).toEqual(['b.txt:1:7 github-pat']);
    expect(result.stderr).toContain('sseredact: .sseredactignore:4: not a fingerprint (PATH:RULE:HASH), ignored\n');
    writeFileSync(join(repo, '.sseredactignore'), `${aws!.fingerprint}\n${pat!.fingerprint.split(':').at(-1)}\n`);
    expect(await scan(repo, [])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  test(".gitleaksignore: gitleaks' PATH:RULE:LINE, and COMMIT:PATH:RULE:LINE for history", async () => {
    const repo = await repositoryWith({ 'a.env': `# x\naws_key = ${AWS_KEY}\n`, 'b.env': `aws_key = ${AWS_KEY}\n` });
    await git(repo, ['add', '.']);
    await git(repo, ['commit', '-qm', 'add']);
    const commit = (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim();
    writeFileSync(join(repo, '.gitleaksignore'), '# gitleaks fingerprints\na.env:aws-access-key-id:2\nb.env:aws-access-key-id:7\n');
    // b.env's line is wrong, so only a.env's finding is ignored; a plain fingerprint never matches history.
    expect(reported((await scan(repo, [])).stdout)).toEqual(['b.env:1:11 aws-access-key-id']);
    expect((await scan(repo, ['--git'])).stdout).toContain(' a.env:2:11 ');
    writeFileSync(join(repo, '.gitleaksignore'), `${commit}:a.env:aws-access-key-id:2\n${commit}:b.env:aws-access-key-id:1\n`);
    expect(await scan(repo, ['--git'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect((await scan(repo, [])).exitCode).toBe(1);
  });
});

describe('allow pragmas of other tools, like sseredact:allow', () => {
  test.each([
    ['detect-secrets', `aws_key = ${AWS_KEY}  # pragma: allowlist secret\n`],
    ['secretlint', `const key = "${AWS_KEY}"; // secretlint-disable-line\n`],
    ['gitleaks', `aws_key = ${AWS_KEY}  # gitleaks:allow\n`],
  ])('%s', async (_tool, line) => {
    const repo = await repositoryWith({ 'app.env': `${line}other = ${GITHUB_PAT}\n` });
    expect(reported((await scan(repo, [])).stdout)).toEqual(['app.env:2:9 github-pat']);
  });
});
