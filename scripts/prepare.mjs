// npm's `prepare`: builds dist/ and the CLI's bundle (what bin/sseredact runs) in a checkout, and where npm prepares
// this package as a git dependency, as the pre-commit framework installs a `language: node` hook
// (`npm install -g git+file://…`). There npm exports npm_config_global=true to the install it runs
// for our devDependencies, which then installs the package globally instead and leaves no
// TypeScript here ("tsc: not found"). So when the compiler is missing, install the locked
// dependency tree into this directory first (--global=false; scripts off: the native addon is
// built by the real install), then build. Output goes to stderr: `npm pack` callers read stdout.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const stdio = ['ignore', 2, 2];

function compilerPath() {
  try {
    return require.resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio });
  if (result.status !== 0) {
    console.error(`sseredact prepare: ${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

if (compilerPath() === null) {
  console.error('sseredact prepare: TypeScript is not installed here; installing the locked dependencies to build dist/');
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['install', '--global=false', '--ignore-scripts', '--no-audit', '--no-fund', '--no-save']);
}
const tsc = compilerPath();
if (tsc === null) {
  console.error('sseredact prepare: TypeScript is still missing after npm install; cannot build dist/');
  process.exit(1);
}
// The steps of `npm run build`, in its order: the build id too, which every cache key holds (a
// dist/ without it, or with an earlier build's, shares keys with other code).
run(process.execPath, [tsc, '-p', 'tsconfig.build.json']);
run(process.execPath, [join(import.meta.dirname, 'build-id.mjs')]);
run(process.execPath, [join(import.meta.dirname, 'prebuild-packs.mjs')]);
// As `npm run build`: the bundle is made from what tsc wrote (rolldown.config.mjs). Its bin is not in its exports map.
run(process.execPath, [join(dirname(require.resolve('rolldown/package.json')), 'bin', 'cli.mjs'), '-c', 'rolldown.config.mjs']);
// The install script ran before dist/ existed: the install-time cache is made now (native/build-database.js; never fails).
spawnSync(process.execPath, [join(import.meta.dirname, '..', 'native', 'build-database.js')], { stdio });
