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

/**
 * Writes every character past ASCII as a `\uXXXX` escape (one per UTF-16 unit), so that each
 * file is ASCII. V8 keeps a source with a single character past Latin-1 (an ellipsis in a
 * comment was enough) as a two-byte string, twice its size, and the loader holds it and hashes
 * it at every start: four of a start's files were (~4 ms of `echo hi`). In a string, template,
 * regex or identifier the escape means the character; in a comment it is text. After an odd run of
 * backslashes (an identity escape, `\…`) the backslash is there already.
 * @type {import('rolldown').Plugin}
 */
const asciiOnly = {
  name: 'ascii-only',
  // Not renderChunk: rolldown 1.2 prints the code renderChunk returns again, and writes the
  // escapes of string literals back as the characters (yaml's and ora's chunks kept theirs).
  generateBundle(_, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      chunk.code = chunk.code.replace(/(\\*)([^\x00-\x7f])/g, (_, backslashes, char) => {
        const hex = char.charCodeAt(0).toString(16).padStart(4, '0');
        return `${backslashes}${backslashes.length % 2 === 1 ? '' : '\\'}u${hex}`;
      });
    }
  },
};

/** @type {import('rolldown').RolldownOptions[]} */
export default [
  {
    input: { sseredact: 'dist/cli/main.js' },
    platform: 'node',
    plugins: [keepModuleUrls(OUT_DIR), asciiOnly],
    output: { dir: OUT_DIR, format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name]-[hash].cjs', cleanDir: true },
  },
  {
    input: { 'bundle-loader': 'dist/cli/bundle-loader.js' },
    platform: 'node',
    plugins: [keepModuleUrls(LOADER_DIR), asciiOnly],
    output: { dir: LOADER_DIR, format: 'cjs', entryFileNames: '[name].cjs', cleanDir: true },
  },
];
