// `npm run build`, after tsc: dist/build-id.txt, a SHA-256 of the sources dist/ was built from
// (every src/ file's path, length and bytes, in path order). src/cache.ts puts it in every cache key, so two checkouts
// or two builds of one checkout with different code never read each other's cached automata,
// analyses, programs or databases, even where a *_VERSION constant was not bumped.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const hash = createHash('sha256');
const files = readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
  .sort();
for (const file of files) {
  const bytes = readFileSync(join(root, file));
  hash.update(`${file}\0${bytes.length}\0`).update(bytes);
}
writeFileSync(join(root, 'dist', 'build-id.txt'), `${hash.digest('hex')}\n`);
