/**
 * `sseredact scan` end to end: the real bin/sseredact against real temporary git repositories and
 * directories. Every secret here is a fake of a real format.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { AWS_KEY, BIN, sseredact } from '../e2e/cli.js';
import { directoryWith, git, repositoryWith } from './git-repo.js';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
const SCOPE_RULES = fileURLToPath(new URL('../../fixtures/rules/scan-scope.toml', import.meta.url));
/** The rule options of the scope tests: only the fixture's rules. */
const SCOPE = ['--no-builtin', '--rules', SCOPE_RULES];
const ENV = { NO_COLOR: '', FORCE_COLOR: '0' };

async function scan(cwd: string, args: readonly string[], input?: string) {
  const result = await sseredact(['scan', ...args], { cwd, env: ENV, ...(input !== undefined ? { input } : {}) });
  return { exitCode: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) };
}

/** The `path:line:column rule` of each report line. */
function reported(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => /^\S+:\d+:\d+ /.test(line))
    .map((line) => line.split(': ')[0]!);
}

describe('scan --staged reads the git index', () => {
  test('a staged secret: exit 1, reported by path, line and column, masked', async () => {
    const repo = await repositoryWith({ 'config/app.env': `# deploy\naws_key = ${AWS_KEY}\n`, 'README.md': 'clean\n' });
    await git(repo, ['add', '.']);
    const result = await scan(repo, ['--staged']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe(
      'config/app.env:2:11 aws-access-key-id: aws_key = ****************N4PQ\n\n1 secret in 1 file; a false positive can be marked with sseredact:allow on its line\n',
    );
    expect(result.stdout).not.toContain(AWS_KEY);
    expect(result.stderr).toBe('');
  });

  test('what is only in the work tree is not reported; what is staged is, even if the work tree changed since', async () => {
    const repo = await repositoryWith({ 'staged.txt': `key ${AWS_KEY}\n`, 'unstaged.txt': `key ${AWS_KEY}\n` });
    await git(repo, ['add', 'staged.txt']);
    writeFileSync(join(repo, 'staged.txt'), 'the key is gone from the work tree, not from the index\n');
    const result = await scan(repo, ['--staged']);
    expect(reported(result.stdout)).toEqual(['staged.txt:1:5 aws-access-key-id']);
  });

  test('only the files the commit adds or changes; nothing staged: exit 0, no output', async () => {
    const repo = await repositoryWith({ 'old.txt': `key ${AWS_KEY}\n`, 'new.txt': 'clean\n' });
    await git(repo, ['add', 'old.txt']);
    await git(repo, ['commit', '-qm', 'old']);
    expect(await scan(repo, ['--staged'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    writeFileSync(join(repo, 'new.txt'), `key ${AWS_KEY}\n`);
    await git(repo, ['add', 'new.txt']);
    expect(reported((await scan(repo, ['--staged'])).stdout)).toEqual(['new.txt:1:5 aws-access-key-id']);
  });

  test('from a subdirectory: pathspecs are relative to it, and so are the paths reported', async () => {
    const repo = await repositoryWith({ 'a/one.txt': `k ${AWS_KEY}\n`, 'b/two.txt': `k ${AWS_KEY}\n` });
    await git(repo, ['add', '.']);
    expect(reported((await scan(join(repo, 'b'), ['--staged'])).stdout)).toEqual(['../a/one.txt:1:3 aws-access-key-id', 'two.txt:1:3 aws-access-key-id']);
    expect(reported((await scan(join(repo, 'b'), ['--staged', 'two.txt'])).stdout)).toEqual(['two.txt:1:3 aws-access-key-id']);
  });

  test('outside a git work tree: one line on stderr, exit 2', async () => {
    const dir = directoryWith({ 'a.txt': 'clean\n' });
    const result = await scan(dir, ['--staged']);
    expect(result).toEqual({ exitCode: 2, stdout: '', stderr: 'sseredact: scan --staged: not inside a git work tree\n' });
  });
});

describe('scan PATH...', () => {
  test('a directory in a git work tree: what git ignores is skipped, unless named', async () => {
    const repo = await repositoryWith({ '.gitignore': 'secret.log\n', 'secret.log': `k ${AWS_KEY}\n`, 'src/app.js': `const key = '${AWS_KEY}';\n` });
    expect(reported((await scan(repo, [])).stdout)).toEqual(['src/app.js:1:14 aws-access-key-id']);
    expect(reported((await scan(repo, ['.', 'secret.log'])).stdout)).toEqual(['src/app.js:1:14 aws-access-key-id', 'secret.log:1:3 aws-access-key-id']);
  });

  test('a directory outside git: walked recursively, in order; binary files skipped and counted under --verbose', async () => {
    const dir = directoryWith({ 'b.txt': `k ${AWS_KEY}\n`, 'a/deep/c.txt': `\n\n  ${AWS_KEY}\n`, 'blob.bin': `\x00\x01 ${AWS_KEY}` });
    const result = await scan(dir, ['-v', '.']);
    expect(reported(result.stdout)).toEqual(['a/deep/c.txt:3:3 aws-access-key-id', 'b.txt:1:3 aws-access-key-id']);
    expect(result.stderr).toContain('sseredact: scanned 2 file(s), 48 bytes; skipped 1 binary file(s); 2 finding(s)\n');
  });

  test('- reads stdin', async () => {
    const result = await scan(directoryWith({}), ['-'], `one\ntwo ${AWS_KEY}\n`);
    expect(result.exitCode).toBe(1);
    expect(reported(result.stdout)).toEqual(['-:2:5 aws-access-key-id']);
  });

  test('- reads stdin from a pipe that is slow to fill (a non-blocking fd 0 must not fail with EAGAIN)', async () => {
    const child = execa(BIN, ['scan', '-'], { cwd: directoryWith({}), env: ENV, reject: false });
    child.stdin!.write('one\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdin!.end(`two ${AWS_KEY}\n`);
    const result = await child;
    expect(result.stderr).toBe('');
    expect(reported(result.stdout)).toEqual(['-:2:5 aws-access-key-id']);
  });

  test('one report per secret: the rule with the narrowest match names it, not every rule that found it', async () => {
    // aws-access-key-id and generic-api-key both find this key; a redaction names the former too.
    const dir = directoryWith({ 'deploy.env': `AWS_ACCESS_KEY_ID=${AWS_KEY}\n` });
    const result = await scan(dir, ['--json', '.']);
    const records = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; rule?: string });
    expect(records.filter((record) => record.type === 'finding').map((record) => record.rule)).toEqual(['aws-access-key-id']);
  });

  test('nothing found: exit 0 and no output at all', async () => {
    expect(await scan(directoryWith({ 'a.txt': 'clean\n' }), ['.'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  });

  test('a missing path: one line on stderr naming it, exit 2, nothing scanned', async () => {
    const dir = directoryWith({ 'a.txt': `k ${AWS_KEY}\n` });
    expect(await scan(dir, ['a.txt', 'missing.txt'])).toEqual({ exitCode: 2, stdout: '', stderr: 'sseredact: cannot read missing.txt: no such file\n' });
  });

  test('--show-secret shows the secret instead of the mask', async () => {
    const result = await scan(directoryWith({ 'a.txt': `k ${AWS_KEY}\n` }), ['--show-secret', 'a.txt']);
    expect(result.stdout.split('\n')[0]).toBe(`a.txt:1:3 aws-access-key-id: k ${AWS_KEY}`);
  });

  // Issue 20 item 4: the preview of one finding printed the other secrets on its line in clear.
  test.each([[[]], [['--show-secret']]])('a preview masks every other secret it shows (%j)', async (flags) => {
    const token = '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';
    const dir = directoryWith({ 'ci.env': `AWS_ACCESS_KEY_ID=${AWS_KEY} GITHUB_TOKEN=${token} # both\n` });
    const result = await scan(dir, [...flags, 'ci.env']);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('ci.env:'));
    expect(lines.map((line) => line.split(': ')[0])).toEqual(['ci.env:1:19 aws-access-key-id', 'ci.env:1:53 github-pat']);
    const shown = (line: string, secret: string) => line.includes(secret.slice(4, 14));
    expect(lines.map((line) => [shown(line, AWS_KEY), shown(line, token)])).toEqual(
      flags.length === 0
        ? [
            [false, false],
            [false, false],
          ]
        : [
            [true, false],
            [false, true],
          ],
    );
  });

  test('the rule options apply as when redacting', async () => {
    const dir = directoryWith({ 'a.txt': `k ${AWS_KEY} acme_0123456789abcdef\n` });
    expect(reported((await scan(dir, ['--no-builtin', '--pattern', 'acme_[0-9a-f]{16}', 'a.txt'])).stdout)).toEqual(['a.txt:1:24 pattern-1']);
    expect((await scan(dir, ['--disable', 'aws-access-key-id', 'a.txt'])).exitCode).toBe(0);
  });

  test.each([
    ['FORCE_COLOR=1 colours the report', { FORCE_COLOR: '1', NO_COLOR: '' }, true],
    ['NO_COLOR wins over FORCE_COLOR', { FORCE_COLOR: '1', NO_COLOR: '1' }, false],
    ['not a terminal: no colour', {}, false],
  ])('%s', async (_label, env, isColoured) => {
    const dir = directoryWith({ 'a.txt': `k ${AWS_KEY}\n` });
    // Only PATH, the test cache and `env`: the test runner's own FORCE_COLOR must not leak in.
    const result = await sseredact(['scan', 'a.txt'], { cwd: dir, env: { PATH: process.env.PATH, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, ...env }, extendEnv: false });
    expect(text(result.stdout).includes('\x1b[')).toBe(isColoured);
  });
});

describe('what only a scan applies', () => {
  test.each(['sseredact:allow', 'gitleaks:allow'])('a line with %s is not reported in scan mode, and still redacted in redact mode', async (marker) => {
    const content = `a ${AWS_KEY} # ${marker}\nb ${AWS_KEY}\n`;
    const dir = directoryWith({ 'a.txt': content });
    expect(reported((await scan(dir, ['a.txt'])).stdout)).toEqual(['a.txt:2:3 aws-access-key-id']);
    const redacted = await sseredact([], { input: content });
    expect(text(redacted.stdout)).toBe(`a [REDACTED:aws-access-key-id] # ${marker}\nb [REDACTED:aws-access-key-id]\n`);
  });

  test("a rule's paths limit it to matching files", async () => {
    const dir = directoryWith({ 'prod.env': 'X=demo_abcd1234\n', 'notes.txt': 'X=demo_abcd1234\n' });
    expect(reported((await scan(dir, [...SCOPE, '.'])).stdout)).toEqual(['prod.env:1:3 demo-env-key']);
  });

  test('an allowlist with paths suppresses findings in matching files only', async () => {
    const dir = directoryWith({ 'testdata/fake.txt': 'key_abcd1234\n', 'src/real.txt': 'key_abcd1234\n' });
    expect(reported((await scan(dir, [...SCOPE, '.'])).stdout)).toEqual(['src/real.txt:1:1 demo-key']);
  });

  test('an allowlist on the line applies in scan mode, not in redact mode', async () => {
    const content = '# example: key_abcd1234\nkey_efgh5678\n';
    const dir = directoryWith({ 'doc.txt': content });
    expect(reported((await scan(dir, [...SCOPE, 'doc.txt'])).stdout)).toEqual(['doc.txt:2:1 demo-key']);
    const redacted = await sseredact(SCOPE, { input: content });
    expect(text(redacted.stdout)).toBe('# example: [REDACTED:demo-key]\n[REDACTED:demo-key]\n');
  });
});

describe('scan --json', () => {
  test('one record per finding with its path, then a summary; never the secret', async () => {
    const dir = directoryWith({ 'a.txt': `x\n  ${AWS_KEY}\n`, 'b.txt': 'clean\n' });
    const result = await sseredact(['scan', '--json', '.'], { cwd: dir, env: { ...ENV, SSEREDACT_HASH_KEY: 'test-key' } });
    expect(result.exitCode).toBe(1);
    const records = text(result.stdout)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([
      {
        type: 'finding',
        stream: 'a.txt',
        rule: 'aws-access-key-id',
        start: 4,
        end: 24,
        line: 2,
        column: 3,
        length: 20,
        fingerprint: `hmac-sha256:${createHmac('sha256', 'test-key').update(AWS_KEY).digest('hex')}`,
        path: 'a.txt',
      },
      { type: 'summary', streams: 2, bytes: 31, findings: 1, rules: { 'aws-access-key-id': 1 } },
    ]);
  });

  test('--json and --sarif together: a usage error', async () => {
    const result = await scan(directoryWith({}), ['--json', '--sarif']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^sseredact: option '--json' cannot be used with option '--sarif'\n$/);
  });
});
