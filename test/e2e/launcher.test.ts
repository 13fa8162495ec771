/**
 * The launcher (bin/sseredact) runs the CLI's bundle that `npm run build` makes (dist/bundle/,
 * rolldown.config.mjs), not the ~70 modules tsc wrote, and the bundled CLI behaves as the
 * modules do: the other e2e tests drive it. The bundle is CommonJS, loaded with its code cache
 * (src/cli/bundle-loader.ts): which ES modules Node loads is recorded by a module hook given with
 * NODE_OPTIONS (none of dist/), and the code cache entry names the bundle's files that ran. Its
 * files are ASCII (rolldown.config.mjs escapes the rest).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';
import { AWS_KEY, sseredact } from './cli.js';

/** This checkout. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const directory = mkdtempSync(join(tmpdir(), 'sseredact-launcher-'));
// A cold run here leaves a builder (rules/compile.ts, buildProgramsInBackground) writing into its cache: removed once
// every build's lock is gone (a builder removes it last).
afterAll(async () => {
  const isBuilding = () => readdirSync(directory, { recursive: true }).some((name) => String(name).endsWith('.lock'));
  for (let waited = 0; waited < 60_000 && isBuilding(); waited += 100) await sleep(100);
  rmSync(directory, { recursive: true, force: true, maxRetries: 5 });
}, 70_000);

/** Hooks that append the process id and URL of every file module Node loads to $SSEREDACT_TEST_LOADED. */
const RECORD_LOADS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.SSEREDACT_TEST_LOADED, process.pid + ' ' + url + '\\n');
  return next(url, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RECORD_LOADS)}`)});`;

/** The ES modules of the package at `packageRoot` (paths from there) that its `sseredact args` loads, caching into `cacheHome`. */
async function loadedFiles(
  args: readonly string[],
  input: string,
  cacheHome: string,
  packageRoot = ROOT,
): Promise<{ files: string[]; stdout: string; exitCode: number | undefined }> {
  const record = join(directory, `loaded-${args.join('-')}.txt`);
  rmSync(record, { force: true });
  const options = {
    input,
    encoding: 'utf8',
    env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(REGISTER)}`, SSEREDACT_TEST_LOADED: record, XDG_CACHE_HOME: cacheHome },
  } as const;
  const subprocess = packageRoot === ROOT ? sseredact(args, options) : execa(join(packageRoot, 'bin', 'sseredact'), args, { reject: false, stripFinalNewline: false, ...options });
  const run = await subprocess;
  const root = pathToFileURL(join(packageRoot, '/')).href;
  // Lines of this process only: a program builder it starts (src/rules/compile.ts) has its NODE_OPTIONS too.
  const files = readFileSync(record, { encoding: 'utf8', flag: 'a+' })
    .split('\n')
    .filter((line) => line.startsWith(`${subprocess.pid} `))
    .map((line) => line.slice(line.indexOf(' ') + 1))
    .filter((url) => url.startsWith(root))
    .map((url) => url.slice(root.length));
  return { files, stdout: String(run.stdout), exitCode: run.exitCode };
}

test.each([
  { args: ['--engine', 'ts'], exitCode: 0, says: `key [REDACTED:aws-access-key-id]\n` },
  { args: ['scan', '-', '--engine', 'ts'], exitCode: 1, says: 'aws-access-key-id' },
])('sseredact $args runs the bundle, none of the modules tsc wrote; a second run takes its code from the cache', async ({ args, exitCode, says }) => {
  const cacheHome = mkdtempSync(join(directory, 'cache-'));
  const run = await loadedFiles(args, `key ${AWS_KEY}\n`, cacheHome);
  expect(run.files.filter((file) => file.startsWith('dist/'))).toEqual([]);
  expect(run.stdout).toContain(says);
  expect(run.exitCode).toBe(exitCode);
  const [entry] = readdirSync(join(cacheHome, 'sseredact')).filter((name) => name.startsWith('code-'));
  const path = join(cacheHome, 'sseredact', entry!);
  expect(readFileSync(path, 'latin1')).toContain('["sseredact.cjs",');
  const written = statSync(path);

  const again = await loadedFiles(args, `key ${AWS_KEY}\n`, cacheHome);
  expect({ stdout: again.stdout, exitCode: again.exitCode }).toEqual({ stdout: run.stdout, exitCode: run.exitCode });
  // Written again only when a file's cached code was missing or rejected.
  expect(statSync(path).mtimeMs).toBe(written.mtimeMs);
});

/**
 * A copy of this package as npm installs it (package.json's `files`, no sources to build from,
 * the install-time cache its install script made), with the modules tsc wrote dated after the
 * bundle, as npm's extraction can leave them; and the same with the CLI's source beside them, as
 * in a checkout where tsc ran alone after the bundle.
 */
function installedCopy(withSources: boolean): string {
  const copy = mkdtempSync(join(directory, 'installed-'));
  const parts = ['package.json', 'bin', 'dist', 'src/rules/packs/secrets', 'src/rules/packs/pii', 'native/build/database', ...(withSources ? ['src/cli/main.ts'] : [])];
  for (const part of parts.filter((path) => existsSync(join(ROOT, path)))) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(copy, 'dist', 'cli', 'main.js'), later, later);
  return copy;
}

test.each([
  ['an installed package runs its bundle, whatever times npm gave its files', false],
  ['a checkout whose modules tsc wrote after the bundle runs the modules, never a stale bundle', true],
])('%s', async (_, withSources) => {
  const runsModules = withSources;
  const run = await loadedFiles(['--engine', 'ts'], `key ${AWS_KEY}\n`, mkdtempSync(join(directory, 'cache-')), installedCopy(withSources));
  expect(run.stdout).toBe('key [REDACTED:aws-access-key-id]\n');
  expect(run.files.includes('dist/cli/main.js')).toBe(runsModules);
});

test('a code cache written by a run that never compiled rules (--version) is written again by the next start-up that does, then kept', async () => {
  const cacheHome = mkdtempSync(join(directory, 'cache-'));
  const env = { XDG_CACHE_HOME: cacheHome };
  await sseredact(['--version'], { env });
  const entries = join(cacheHome, 'sseredact');
  const [entry] = readdirSync(entries).filter((name) => name.startsWith('code-'));
  const path = join(entries, entry!);
  const identity = () => `${statSync(path).ino}:${statSync(path).mtimeMs}`;
  const afterVersion = identity();

  const run = async () => String((await sseredact(['--engine', 'ts'], { env, input: `key ${AWS_KEY}\n`, encoding: 'utf8' })).stdout);
  expect(await run()).toBe('key [REDACTED:aws-access-key-id]\n');
  const afterStartUp = identity();
  expect(afterStartUp).not.toBe(afterVersion);
  expect(await run()).toBe('key [REDACTED:aws-access-key-id]\n');
  expect(identity()).toBe(afterStartUp);
});

test("the bundle's files are ASCII: V8 keeps a source with one character past Latin-1 as a two-byte string", () => {
  for (const dir of ['../../dist/bundle/', '../../dist/bundle-loader/']) {
    const url = new URL(dir, import.meta.url);
    const files = readdirSync(url).filter((name) => name.endsWith('.cjs'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) expect({ name, ascii: /^[\x00-\x7f]*$/.test(readFileSync(new URL(name, url), 'latin1')) }).toEqual({ name, ascii: true });
  }
});
