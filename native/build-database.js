'use strict';
// Builds the vectorscan engine's database for the built-in rules into build/database/, so that
// sseredact's first run on this machine reads it instead of compiling for a second
// (src/engine/vectorscan/database.ts reads it when the user's cache misses). Run by install.js
// once the addon is built, and by the package's `prepare` after a checkout's first build (an
// install there runs before dist/ exists); run it again by hand after a build of changed sources
// (its key holds the build id, dist/build-id.txt) or rules, or the first run compiles as before.
//
// The database is made by the CLI itself, on empty input and an empty cache in a temporary
// directory (its own home, so no user configuration changes the rules), and the entry it caches is
// moved here: the entry's key is the one the CLI computes (rules, release, Vectorscan, CPU). It
// never fails an install: without the addon or dist/ it says why and exits 0; `--strict` (tests)
// exits 1 instead.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const strict = process.argv.includes('--strict');
const root = path.join(__dirname, '..');
const target = path.join(__dirname, 'build', 'database');

const isBuilt = fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'));

// In a checkout the install runs before the build, and `prepare` runs this script after it: quietly.
if (!isBuilt && !strict) process.exit(0);

/** Builds the database into `target`; why not, or null. */
function build() {
  if (!isBuilt) return 'sseredact is not built';
  if (!fs.existsSync(path.join(__dirname, 'build', 'Release', 'sseredact_vectorscan.node'))) return 'the addon is not built';
  // The directory holds one database, the one for this build's rules and addon; the old one goes
  // first, or the run would read it instead of compiling.
  fs.rmSync(target, { recursive: true, force: true });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sseredact-database-'));
  try {
    const env = { ...process.env, HOME: home, XDG_CACHE_HOME: home, XDG_CONFIG_HOME: home };
    // The timeout is for a hung run, which must not hang the install (a compile takes seconds).
    const run = spawnSync(process.execPath, [path.join(root, 'bin', 'sseredact'), '--engine', 'vectorscan'], { cwd: home, env, input: '', encoding: 'utf8', timeout: 300_000 });
    if (run.status !== 0) return `sseredact exited ${run.status ?? run.signal}: ${(run.stderr || String(run.error)).trim()}`;
    const cache = path.join(home, 'sseredact');
    const built = fs.readdirSync(cache).filter((name) => name.startsWith('vectorscan-'));
    if (built.length !== 1) return `the run cached ${built.length} vectorscan databases`;
    // Group- or world-writable, sseredact would not read it (src/cache.ts), whatever the umask.
    fs.mkdirSync(target, { recursive: true });
    fs.chmodSync(target, 0o755);
    const file = path.join(target, built[0]);
    fs.copyFileSync(path.join(cache, built[0]), file);
    fs.chmodSync(file, 0o644);
    return null;
  } catch (error) {
    return String(error);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

const failure = build();
if (failure !== null) {
  console.warn(`sseredact-vectorscan: no install-time database (${failure}); the first run compiles it instead`);
  process.exit(strict ? 1 : 0);
}
