/** Real temporary git repositories and directories for the scan tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/** A fresh directory holding `files` (path -> content), outside any git work tree. */
export function directoryWith(files: Readonly<Record<string, string | Uint8Array>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sseredact-scan-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Runs git in `dir` with a fixed identity (commits need one) and no user or system config. */
export function git(dir: string, args: readonly string[]) {
  return execa('git', args, {
    cwd: dir,
    env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.test', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.test' },
  });
}

/** A new git repository holding `files` in its work tree, nothing staged yet. */
export async function repositoryWith(files: Readonly<Record<string, string | Uint8Array>>): Promise<string> {
  const dir = directoryWith(files);
  await git(dir, ['init', '-q']);
  return dir;
}
