/** Real temporary git repositories and directories for the scan tests. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll } from 'vitest';

/** The directories made for the test file that imports this module: removed after its last test. */
const madeDirectories: string[] = [];
afterAll(() => {
  for (const dir of madeDirectories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory holding `files` (path -> content), outside any git work tree; removed after the file's tests. */
export function directoryWith(files: Readonly<Record<string, string | Uint8Array>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sseredact-scan-'));
  madeDirectories.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/**
 * A fixed identity (commits need one) and no user or system config (whose core.hooksPath, say,
 * would move the hooks): for git, and for the sseredact runs that call git.
 */
export const GIT_ENV = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.test',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.test',
};

/** Runs git in `dir` with {@link GIT_ENV} (and `options.env`); `options.reject: false` to look at a failure. */
export function git(dir: string, args: readonly string[], options: { reject?: boolean; env?: Readonly<Record<string, string>> } = {}) {
  return execa('git', args, { cwd: dir, reject: options.reject ?? true, env: { ...GIT_ENV, ...options.env } });
}

/** A new git repository holding `files` in its work tree, nothing staged yet. */
export async function repositoryWith(files: Readonly<Record<string, string | Uint8Array>>): Promise<string> {
  const dir = directoryWith(files);
  await git(dir, ['init', '-q']);
  return dir;
}
