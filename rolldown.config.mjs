/**
 * The CLI as a bundle: `npm run build` compiles src/ to dist/ with tsc, then bundles the CLI's
 * modules from dist/cli/main.js into dist/bundle/ (the entry sseredact.cjs and one file per group of
 * modules that a dynamic import loads later, so a command still loads only what it needs).
 * bin/sseredact runs it: Node loads a start-up's ~16 files instead of ~70 modules and their
 * package lookups (~30 ms less per start). dist/ itself stays as tsc wrote it: it is the library
 * (`import 'sseredact'`) and the worker threads' code.
 *
 * The bundle is CommonJS (.cjs: the package is `type: module`), which Node 20 can compile with
 * V8's code cache (a vm.Script's cachedData) where it cannot for ES modules: bin/sseredact loads it
 * through dist/bundle-loader/bundle-loader.cjs (src/cli/bundle-loader.ts, a bundle of its own so
 * that it loads before the CLI's), which keeps that code in the start-up cache. A CommonJS module
 * also skips the ES module loader's resolve and link steps (~9 ms CPU per start).
 *
 * Each module keeps its own location: `import.meta.url` in a bundled module becomes the URL of the
 * file it was bundled from, so the paths it resolves from there (the packs, package.json,
 * the native addon, the scan worker) are those of the unbundled layout.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT_DIR = fileURLToPath(new URL('./dist/bundle/', import.meta.url));
const LOADER_DIR = fileURLToPath(new URL('./dist/bundle-loader/', import.meta.url));

/** @type {(outDir: string) => import('rolldown').Plugin} */
const keepModuleUrls = (outDir) => ({
  name: 'keep-module-urls',
  transform(code, id) {
    // Ids that start with \0 are the bundler's own modules, which have no file.
    if (id.startsWith('\0') || !code.includes('import.meta.url')) return null;
    const fromBundle = relative(outDir, id).split('\\').join('/');
    return code.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
  },
});

/** @type {import('rolldown').RolldownOptions[]} */
export default [
  {
    input: { sseredact: 'dist/cli/main.js' },
    platform: 'node',
    plugins: [keepModuleUrls(OUT_DIR)],
    output: { dir: OUT_DIR, format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', cleanDir: true },
  },
  {
    input: { 'bundle-loader': 'dist/cli/bundle-loader.js' },
    platform: 'node',
    plugins: [keepModuleUrls(LOADER_DIR)],
    output: { dir: LOADER_DIR, format: 'cjs', entryFileNames: '[name].cjs', cleanDir: true },
  },
];
