/**
 * `sseredact hook install|uninstall` end to end: the real bin/sseredact writes the pre-commit hook
 * of a real temporary git repository, and real `git commit`s run it. Every secret here is a fake
 * of a real format; git reads no user or system config (GIT_ENV).
 */
import { chmodSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AWS_KEY, BIN, sseredact } from '../e2e/cli.js';
import { GIT_ENV, directoryWith, git, repositoryWith } from './git-repo.js';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
const FOREIGN_HOOK = '#!/bin/sh\necho another tool\n';
/** The hook's last line when it stops a commit (execa strips the final newline). */
const HINT = 'sseredact: commit stopped; allow a line with sseredact:allow, or skip this check once: git commit --no-verify';

async function hook(cwd: string, args: readonly string[], env: Record<string, string> = {}) {
  const result = await sseredact(['hook', ...args], { cwd, env: { ...GIT_ENV, ...env } });
  return { exitCode: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) };
}

/** A repository with our hook installed and a secret staged in config/app.env. */
async function repositoryWithStagedSecret(): Promise<string> {
  const repo = await repositoryWith({ 'config/app.env': `# deploy\naws_key = ${AWS_KEY}\n`, 'README.md': 'clean\n' });
  expect(await hook(repo, ['install'])).toEqual({ exitCode: 0, stdout: 'pre-commit hook installed: .git/hooks/pre-commit\n', stderr: '' });
  await git(repo, ['add', '.']);
  return repo;
}

/** Puts another tool's pre-commit hook into `repo`; returns its path. */
function writeForeignHook(repo: string): string {
  const path = join(repo, '.git/hooks/pre-commit');
  mkdirSync(join(repo, '.git/hooks'), { recursive: true });
  writeFileSync(path, FOREIGN_HOOK);
  chmodSync(path, 0o755);
  return path;
}

async function commit(repo: string, args: readonly string[] = []) {
  return git(repo, ['commit', '-qm', 'a commit', ...args], { reject: false });
}

async function commitCount(repo: string): Promise<number> {
  const result = await git(repo, ['rev-list', '--count', 'HEAD'], { reject: false });
  return result.exitCode === 0 ? Number(result.stdout) : 0;
}

describe('hook install', () => {
  test('writes an executable sh script that runs this sseredact, resolved; installing again is fine', async () => {
    const repo = await repositoryWith({});
    expect(await hook(repo, ['install'])).toEqual({ exitCode: 0, stdout: 'pre-commit hook installed: .git/hooks/pre-commit\n', stderr: '' });
    const path = join(repo, '.git/hooks/pre-commit');
    const script = readFileSync(path, 'utf8');
    expect(statSync(path).mode & 0o111).toBe(0o111);
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    expect(script).toContain(`sseredact='${realpathSync(BIN)}'\n`);
    expect(script).toContain('scan --staged\n');
    expect(await hook(repo, ['install'])).toEqual({ exitCode: 0, stdout: 'pre-commit hook installed: .git/hooks/pre-commit\n', stderr: '' });
    expect(readFileSync(path, 'utf8')).toBe(script);
  });

  test('a commit with a secret staged is refused, naming the file; without it, it is made', async () => {
    const repo = await repositoryWithStagedSecret();
    const refused = await commit(repo);
    expect(refused.exitCode).not.toBe(0);
    // git sends a hook's stdout to stderr.
    expect(refused.stderr).toContain('config/app.env:2:11 aws-access-key-id: aws_key = ****************N4PQ\n');
    expect(refused.stderr).not.toContain(AWS_KEY);
    expect(refused.stderr.endsWith(HINT)).toBe(true);
    expect(await commitCount(repo)).toBe(0);

    writeFileSync(join(repo, 'config/app.env'), '# deploy\naws_key = (from the vault)\n');
    await git(repo, ['add', '.']);
    const made = await commit(repo);
    expect({ exitCode: made.exitCode, stdout: made.stdout, stderr: made.stderr }).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await commitCount(repo)).toBe(1);
  });

  test('git commit --no-verify skips the hook', async () => {
    const repo = await repositoryWithStagedSecret();
    expect((await commit(repo, ['--no-verify'])).exitCode).toBe(0);
    expect(await commitCount(repo)).toBe(1);
  });

  test('a line marked sseredact:allow does not stop the commit', async () => {
    const repo = await repositoryWithStagedSecret();
    writeFileSync(join(repo, 'config/app.env'), `aws_key = ${AWS_KEY}  # sseredact:allow (a documented example)\n`);
    await git(repo, ['add', '.']);
    expect((await commit(repo)).exitCode).toBe(0);
  });

  test('when the sseredact that installed it is gone, the hook runs sseredact from the PATH', async () => {
    const repo = await repositoryWithStagedSecret();
    const path = join(repo, '.git/hooks/pre-commit');
    writeFileSync(path, readFileSync(path, 'utf8').replace(`'${realpathSync(BIN)}'`, "'/nonexistent/bin/sseredact'"));
    const bin = directoryWith({});
    symlinkSync(BIN, join(bin, 'sseredact'));
    const onPath = await git(repo, ['commit', '-qm', 'a commit'], { reject: false, env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(onPath.stderr).toContain('config/app.env:2:11 aws-access-key-id');
    // Neither there nor on the PATH: the commit is stopped all the same (sh: not found, 127).
    const nowhere = await git(repo, ['commit', '-qm', 'a commit'], { reject: false, env: { PATH: '/usr/bin:/bin' } });
    expect(nowhere.exitCode).not.toBe(0);
    expect(nowhere.stderr.endsWith(HINT)).toBe(true);
    expect(await commitCount(repo)).toBe(0);
  });

  test("another tool's hook is refused without --force, replaced with it", async () => {
    const repo = await repositoryWith({});
    const path = writeForeignHook(repo);
    expect(await hook(repo, ['install'])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "sseredact: hook install: .git/hooks/pre-commit exists and is not sseredact's; --force replaces it\n",
    });
    expect(readFileSync(path, 'utf8')).toBe(FOREIGN_HOOK);
    expect(await hook(repo, ['install', '--force'])).toEqual({ exitCode: 0, stdout: 'pre-commit hook installed: .git/hooks/pre-commit\n', stderr: '' });
    expect(readFileSync(path, 'utf8')).toContain('scan --staged');
  });

  test('a hook that is a link is replaced by a file, its target left alone', async () => {
    const repo = await repositoryWith({ 'tools/hook.sh': FOREIGN_HOOK });
    symlinkSync(join(repo, 'tools/hook.sh'), join(repo, '.git/hooks/pre-commit'));
    expect((await hook(repo, ['install', '--force'])).exitCode).toBe(0);
    expect(readFileSync(join(repo, 'tools/hook.sh'), 'utf8')).toBe(FOREIGN_HOOK);
    expect(readFileSync(join(repo, '.git/hooks/pre-commit'), 'utf8')).toContain('scan --staged');
  });

  test('from a subdirectory, into a core.hooksPath that does not exist yet, and from a linked worktree', async () => {
    const repo = await repositoryWith({ 'src/app.js': '\n' });
    expect((await hook(join(repo, 'src'), ['install'])).stdout).toBe('pre-commit hook installed: ../.git/hooks/pre-commit\n');

    await git(repo, ['config', 'core.hooksPath', 'ci/hooks']);
    expect((await hook(repo, ['install'])).stdout).toBe('pre-commit hook installed: ci/hooks/pre-commit\n');
    expect(statSync(join(repo, 'ci/hooks/pre-commit')).mode & 0o111).toBe(0o111);
    await git(repo, ['config', '--unset', 'core.hooksPath']);

    await git(repo, ['add', '.']);
    await git(repo, ['commit', '-qm', 'first']);
    const worktree = join(directoryWith({}), 'linked');
    await git(repo, ['worktree', 'add', '-q', worktree]);
    expect(await hook(repo, ['uninstall'])).toMatchObject({ exitCode: 0 });
    // The worktree's hooks are the repository's: installed from there, a commit here runs it.
    expect((await hook(worktree, ['install'])).stdout).toBe(`pre-commit hook installed: ${realpathSync(repo)}/.git/hooks/pre-commit\n`);
    writeFileSync(join(repo, 'src/app.js'), `const key = '${AWS_KEY}';\n`);
    await git(repo, ['add', '.']);
    expect((await commit(repo)).stderr).toContain('src/app.js:1:14 aws-access-key-id');
  });

  test('outside a git repository: one line on stderr, exit 2', async () => {
    const dir = directoryWith({});
    expect(await hook(dir, ['install'])).toEqual({ exitCode: 2, stdout: '', stderr: 'sseredact: hook install: not inside a git repository\n' });
    expect(await hook(dir, ['uninstall'])).toEqual({ exitCode: 2, stdout: '', stderr: 'sseredact: hook uninstall: not inside a git repository\n' });
  });
});

describe('hook uninstall', () => {
  test('removes our hook; then there is nothing to remove', async () => {
    const repo = await repositoryWithStagedSecret();
    expect(await hook(repo, ['uninstall'])).toEqual({ exitCode: 0, stdout: 'pre-commit hook removed: .git/hooks/pre-commit\n', stderr: '' });
    expect(() => statSync(join(repo, '.git/hooks/pre-commit'))).toThrow(/ENOENT/);
    expect((await commit(repo)).exitCode).toBe(0);
    expect(await hook(repo, ['uninstall'])).toEqual({ exitCode: 0, stdout: 'no pre-commit hook to remove: .git/hooks/pre-commit\n', stderr: '' });
  });

  test("leaves another tool's hook as it is: one line on stderr, exit 2", async () => {
    const repo = await repositoryWith({});
    const path = writeForeignHook(repo);
    expect(await hook(repo, ['uninstall'])).toEqual({ exitCode: 2, stdout: '', stderr: "sseredact: hook uninstall: .git/hooks/pre-commit is not sseredact's; left as it is\n" });
    expect(readFileSync(path, 'utf8')).toBe(FOREIGN_HOOK);
  });
});
