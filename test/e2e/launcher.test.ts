/**
 * The launcher (bin/sseredact) runs the CLI's bundle that `npm run build` makes (dist/bundle/,
 * rolldown.config.mjs), not the ~70 modules tsc wrote, and the bundled CLI behaves as the
 * modules do: the other e2e tests drive it. The bundle is CommonJS, loaded with its code cache
 * (src/cli/bundle-loader.ts): which ES modules Node loads is recorded by a module hook given with
 * NODE_OPTIONS (none of dist/), and the code cache entry names the bundle's files that ran. Its
 * files are ASCII (rolldown.config.mjs escapes the rest).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { AWS_KEY, sseredact } from './cli.js';

const directory = mkdtempSync(join(tmpdir(), 'sseredact-launcher-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Hooks that append the process id and URL of every file module Node loads to $SSEREDACT_TEST_LOADED. */
const RECORD_LOADS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.SSEREDACT_TEST_LOADED, process.pid + ' ' + url + '\\n');
  return next(url, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RECORD_LOADS)}`)});`;

/** The ES modules of this package (paths from its root) that `sseredact args` loads, caching into `cacheHome`. */
async function loadedFiles(args: readonly string[], input: string, cacheHome: string): Promise<{ files: string[]; stdout: string; exitCode: number | undefined }> {
  const record = join(directory, `loaded-${args.join('-')}.txt`);
  rmSync(record, { force: true });
  const subprocess = sseredact(args, {
    input,
    encoding: 'utf8',
    env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(REGISTER)}`, SSEREDACT_TEST_LOADED: record, XDG_CACHE_HOME: cacheHome },
  });
  const run = await subprocess;
  const root = new URL('../../', import.meta.url).href;
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
