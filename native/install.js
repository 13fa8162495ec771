'use strict';
// Builds the addon with node-gyp, in place (sseredact's install script runs this). A
// machine without Vectorscan (Debian: `apt-get install libvectorscan-dev`) must still install
// sseredact: so the addon builds there with its pipe call alone, or a failed build prints one
// warning and exits 0, and sseredact falls back to its TypeScript engine. `npm run rebuild`
// (this script with --strict) fails loudly on either instead.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { hasVectorscan } = require('./has-vectorscan.js');

const strict = process.argv.includes('--strict');

// Inside npm, lifecycle scripts find npm's bundled node-gyp on PATH (and npm's config, such as
// nodedir, in the environment); npm_config_node_gyp names it explicitly when set.
const gyp = process.env.npm_config_node_gyp;
const [command, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { cwd: __dirname, stdio: strict ? 'inherit' : 'pipe', encoding: 'utf8' });

/** The install-time cache (build-database.js), so that the first run need not compile; never fails the install. */
function buildInstallTimeCache() {
  spawnSync(process.execPath, [path.join(__dirname, 'build-database.js')], { stdio: 'inherit' });
}

const isBuilt = result.status === 0;
if (isBuilt && hasVectorscan()) {
  buildInstallTimeCache();
  process.exit(0);
}

if (strict) {
  console.error(isBuilt ? 'sseredact-vectorscan: built without Vectorscan: hs.h was not found' : 'sseredact-vectorscan: the build failed (see above)');
  process.exit(isBuilt ? 1 : (result.status ?? 1));
}
const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
const missing = isBuilt || /hs\.h|-lhs|cannot find -lhs/.test(output) ? 'Vectorscan was not found' : 'the native build failed';
console.warn(
  `sseredact-vectorscan: ${missing}; sseredact will use its TypeScript engine. ` +
    'To enable the vectorscan engine: apt-get install libvectorscan-dev, then npm rebuild sseredact (-g for a global install).',
);
console.warn(`sseredact-vectorscan: build log: ${path.join(__dirname, 'build', 'install.log')}`);
try {
  const fs = require('node:fs');
  fs.mkdirSync(path.join(__dirname, 'build'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'build', 'install.log'), output);
} catch {
  // The log is a convenience; the install goes on without it.
}
// The ts engine's part of it, which needs no addon.
buildInstallTimeCache();
process.exit(0);
