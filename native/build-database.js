'use strict';
// Builds the install-time cache into build/database/: what sseredact caches on a first run of
// each engine over the built-in rules (the vectorscan engine's database where the addon is built,
// the ts engine's automaton, the rule analyses, the confirmer's programs, the CLI's compiled code),
// so that sseredact's first run on this machine starts as a warm one instead of compiling for half
// a second to a second and a half: a start copies what the user's cache lacks (src/cache.ts,
// seedCache), and the vectorscan engine also reads its database here on a miss. Run by install.js
// (whether the addon built or not), and by the package's `prepare` after a checkout's first build
// (an install there runs before dist/ exists); run it again by hand after a build of changed
// sources (every key holds the build id, dist/build-id.txt) or rules, or the first run compiles as
// before.
//
// The entries are made by the CLI itself, on empty input and an empty cache in a temporary
// directory (its own home, so no user configuration changes the rules), and moved here: each
// entry's key is the one the CLI computes (rules, release, build, Node, Vectorscan, CPU). It never
// fails an install: without dist/ it says why and exits 0; `--strict` (tests) exits 1 instead.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { hasVectorscan } = require('./has-vectorscan.js');

const strict = process.argv.includes('--strict');
const root = path.join(__dirname, '..');
// `--into DIR` builds it elsewhere (tests: the run then names DIR as its install-time cache).
const into = process.argv.indexOf('--into');
const target = into >= 0 && process.argv[into + 1] !== undefined ? path.resolve(process.argv[into + 1]) : path.join(__dirname, 'build', 'database');

const isBuilt = fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'));

// In a checkout the install runs before the build, and `prepare` runs this script after it: quietly.
if (!isBuilt && !strict) process.exit(0);

/** An entry's file name, as src/cache.ts names them. */
const ENTRY_NAME = /^[a-z]+-[0-9a-f]{64}\.db$/;
/** How long to wait for the confirmer's programs, built by a process of their own (src/rules/compile.ts). */
const PROGRAMS_TIMEOUT_MS = 120_000;

/** Builds the install-time cache into `target`; why not, or null. */
function build() {
  if (!isBuilt) return 'sseredact is not built';
  const hasAddon = hasVectorscan();
  // The directory holds the entries of this build's rules and addon; the old ones go first, or the
  // runs would read them instead of compiling.
  fs.rmSync(target, { recursive: true, force: true });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sseredact-database-'));
  try {
    const env = { ...process.env, HOME: home, XDG_CACHE_HOME: home, XDG_CONFIG_HOME: home };
    const runs = (hasAddon ? ['vectorscan', 'ts'] : ['ts']).map((engine) => ({ args: ['--engine', engine], input: '' }));
    // The in-flight analysis (src/redact/in-flight.ts) is built at the first tail that ends in a
    // secret's prefix, which empty input never has: an event that ends in one (the boundary is
    // the event's end, however the input is read). Built on the hot path, it held that first line
    // 0.3-2 s and took ~30 MB more memory for the rest of the run.
    runs.push({ args: ['--engine', 'ts', '--sse'], input: 'data: key sk-ant-api03-\n\n' });
    for (const { args, input } of runs) {
      // The timeout is for a hung run, which must not hang the install (a compile takes seconds).
      const run = spawnSync(process.execPath, [path.join(root, 'bin', 'sseredact'), ...args], { cwd: home, env, input, encoding: 'utf8', timeout: 300_000 });
      if (run.status !== 0) return `sseredact ${args.join(' ')} exited ${run.status ?? run.signal}: ${(run.stderr || String(run.error)).trim()}`;
    }
    const cache = path.join(home, 'sseredact');
    const waited = waitForPrograms(cache);
    if (waited !== null) return waited;
    const built = fs.readdirSync(cache).filter((name) => ENTRY_NAME.test(name));
    const databases = built.filter((name) => name.startsWith('vectorscan-')).length;
    if (databases !== (hasAddon ? 1 : 0)) return `the runs cached ${databases} vectorscan databases`;
    // Group- or world-writable, sseredact would not read them (src/cache.ts), whatever the umask.
    fs.mkdirSync(target, { recursive: true });
    fs.chmodSync(target, 0o755);
    for (const name of built) {
      const file = path.join(target, name);
      fs.copyFileSync(path.join(cache, name), file);
      fs.chmodSync(file, 0o644);
    }
    return null;
  } catch (error) {
    return String(error);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Waits until `cache` holds the programs' entry and no build lock; why it did not, or null. The
 * run took the lock before it started the builder, which removes it when done: with neither the
 * lock nor the entry there, the build failed.
 */
function waitForPrograms(cache) {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const started = Date.now(); Date.now() - started < PROGRAMS_TIMEOUT_MS; Atomics.wait(pause, 0, 0, 50)) {
    const names = fs.readdirSync(cache);
    if (names.some((name) => name.endsWith('.lock'))) continue;
    return names.some((name) => name.startsWith('programs-') && name.endsWith('.db')) ? null : "the confirmer's programs' build failed";
  }
  return `the confirmer's programs were not built within ${PROGRAMS_TIMEOUT_MS / 1000} s`;
}

const failure = build();
if (failure !== null) {
  console.warn(`sseredact: no install-time cache (${failure}); the first run compiles instead`);
  process.exit(strict ? 1 : 0);
}
