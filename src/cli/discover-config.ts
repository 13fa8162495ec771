/**
 * Configuration discovery: the repository a command runs in (the nearest directory up from the
 * working directory that holds `.git`, a directory or, in a linked worktree or submodule, a file;
 * else the working directory itself), and the rule files it brings: the first of
 * `.sseredact.toml`, `.sseredact.yaml`, `.sseredact.yml`, `.sseredact.json` at its top, and
 * `.gitleaks.toml` there (gitleaks' own rule: the config at the root of what it scans).
 *
 * File system only, no git run: the redact command's start-up pays a few stat calls for it.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Our config file's names, in the order the first found wins. */
export const CONFIG_NAMES = ['.sseredact.toml', '.sseredact.yaml', '.sseredact.yml', '.sseredact.json'] as const;
export const GITLEAKS_CONFIG_NAME = '.gitleaks.toml';

/** The top of the work tree `cwd` is in, or `cwd` (absolute) outside any. */
export function repositoryRoot(cwd: string = process.cwd()): string {
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The config files found at the top of `root`, in load order: `.gitleaks.toml`, then ours, whose
 * rules replace a gitleaks rule of the same id (as a later `--rules` file does).
 */
export function discoverConfigFiles(root: string): string[] {
  const ours = CONFIG_NAMES.map((name) => join(root, name)).find(isFile);
  const gitleaks = join(root, GITLEAKS_CONFIG_NAME);
  return [...(isFile(gitleaks) ? [gitleaks] : []), ...(ours === undefined ? [] : [ours])];
}
