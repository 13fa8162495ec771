/**
 * The CLI as a bundle: `npm run build` compiles src/ to dist/ with tsc, then bundles the CLI's
 * modules from dist/cli/main.js into dist/bundle/ (the entry sseredact.js and one file per group of
 * modules that a dynamic import loads later, so a command still loads only what it needs).
 * bin/sseredact runs it: Node loads a start-up's ~20 files instead of ~70 modules and their
 * package lookups (~30 ms less per start). dist/ itself stays as tsc wrote it: it is the library
 * (`import 'sseredact'`) and the worker threads' code.
 *
 * Each module keeps its own location: `import.meta.url` in a bundled module becomes the URL of the
 * file it was bundled from, so the paths it resolves from there (the packs, package.json,
 * native/index.js, the scan worker) are those of the unbundled layout.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT_DIR = fileURLToPath(new URL('./dist/bundle/', import.meta.url));

/** @type {import('rolldown').Plugin} */
const keepModuleUrls = {
  name: 'keep-module-urls',
  transform(code, id) {
    // Ids that start with \0 are the bundler's own modules, which have no file.
    if (id.startsWith('\0') || !code.includes('import.meta.url')) return null;
    const fromBundle = relative(OUT_DIR, id).split('\\').join('/');
    return code.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
  },
};

/** @type {import('rolldown').RolldownOptions} */
export default {
  input: { sseredact: 'dist/cli/main.js' },
  platform: 'node',
  plugins: [keepModuleUrls],
  output: { dir: OUT_DIR, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js', cleanDir: true },
};
