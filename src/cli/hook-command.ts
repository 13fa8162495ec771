/**
 * `sseredact hook install|uninstall`: writes, or removes, the git pre-commit hook of the current
 * repository: a small sh script that runs `sseredact scan --staged`, so a commit that would add a
 * secret is stopped (the scan's exit status passes through). A marker comment in the script says it
 * is ours: install replaces only our hook (or, with --force, any), uninstall removes only ours.
 */
import { realpathSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SseredactError, describeSystemError } from '../errors.js';
import { hooksDirectory } from '../sources/git.js';
import { EXIT_OK } from './exit.js';
import type { HookInstallOptions } from './program.js';

/** The line that marks a pre-commit hook as sseredact's. */
const MARKER = '# sseredact pre-commit hook: written by `sseredact hook install`, removed by `sseredact hook uninstall`';

/** Quotes `text` as one sh word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The hook script. It runs the launcher of the sseredact that installed it (a local `npm i -D` or
 * a global install alike) and falls back to `sseredact` on the PATH when that is gone (the package
 * moved or was removed); if neither is there, sh's "not found" stops the commit too.
 */
function hookScript(launcher: string): string {
  return `#!/bin/sh
${MARKER}
sseredact=${shellQuote(launcher)}
[ -x "$sseredact" ] || sseredact=sseredact
"$sseredact" scan --staged
status=$?
if [ "$status" -ne 0 ]; then
  echo 'sseredact: commit stopped; allow a line with sseredact:allow, or skip this check once: git commit --no-verify' >&2
fi
exit "$status"
`;
}

/** This package's bin/sseredact, links resolved (node_modules/.bin holds a link to it). */
function launcherPath(): string {
  return realpathSync(fileURLToPath(new URL('../../bin/sseredact', import.meta.url)));
}

/** The pre-commit hook's path (relative to the working directory, or absolute); a usage error outside a repository. */
async function preCommitHookPath(command: string): Promise<string> {
  const hooks = await hooksDirectory(process.cwd());
  if (hooks === null) throw new SseredactError('usage', `hook ${command}: not inside a git repository`);
  return join(hooks, 'pre-commit');
}

/** Whose the hook at `path` is: nobody's (there is none), ours, or another's. */
async function ownerOf(path: string, command: string): Promise<'none' | 'ours' | 'foreign'> {
  let script: string;
  try {
    script = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw new SseredactError('io', `hook ${command}: cannot read ${path}: ${describeSystemError(error)}`, { cause: error });
  }
  return script.split('\n').includes(MARKER) ? 'ours' : 'foreign';
}

/** Runs a file system step of `hook COMMAND`, turning its failure into a one-line io error. */
async function fileStep(command: string, what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    throw new SseredactError('io', `hook ${command}: cannot ${what}: ${describeSystemError(error)}`, { cause: error });
  }
}

/** Writes the pre-commit hook; refuses to replace another's unless `force`. Prints where it went. */
export async function installHook(options: HookInstallOptions): Promise<number> {
  const hook = await preCommitHookPath('install');
  if ((await ownerOf(hook, 'install')) === 'foreign' && !options.force) {
    throw new SseredactError('usage', `hook install: ${hook} exists and is not sseredact's; --force replaces it`);
  }
  // Written beside the hook and renamed over it: a hook that is a link (another tool's script) is
  // replaced, not written through, and git never runs a half-written hook.
  const written = `${hook}.sseredact-${process.pid}`;
  await fileStep('install', `write ${hook}`, async () => {
    await mkdir(dirname(hook), { recursive: true });
    await writeFile(written, hookScript(launcherPath()));
    await chmod(written, 0o755);
    await rename(written, hook);
  }).catch(async (error: unknown) => {
    await rm(written, { force: true });
    throw error;
  });
  process.stdout.write(`pre-commit hook installed: ${hook}\n`);
  return EXIT_OK;
}

/** Removes the pre-commit hook if it is ours; another's is left as it is (a usage error). */
export async function uninstallHook(): Promise<number> {
  const hook = await preCommitHookPath('uninstall');
  const owner = await ownerOf(hook, 'uninstall');
  if (owner === 'foreign') throw new SseredactError('usage', `hook uninstall: ${hook} is not sseredact's; left as it is`);
  if (owner === 'none') {
    process.stdout.write(`no pre-commit hook to remove: ${hook}\n`);
    return EXIT_OK;
  }
  await fileStep('uninstall', `remove ${hook}`, () => rm(hook));
  process.stdout.write(`pre-commit hook removed: ${hook}\n`);
  return EXIT_OK;
}
