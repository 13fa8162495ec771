/**
 * A throw-away package that depends on sseredact the way a user's project does: a temp directory
 * whose node_modules/sseredact is a symlink to this repository, so that imports go through
 * package.json's `exports` map to the built dist/ (run `npm run build` first; `npm test` does).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

const created: string[] = [];

/** Removes every package {@link createConsumer} made (call from afterAll). */
export function removeConsumers(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Creates the package with `files` (name -> text) and links `links` (e.g. vitest) from our node_modules. */
export function createConsumer(files: Record<string, string>, links: readonly string[] = []): string {
  if (!existsSync(join(REPO, 'dist/index.js')) || !existsSync(join(REPO, 'dist/index.d.ts'))) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  const dir = mkdtempSync(join(tmpdir(), 'sseredact-consumer-'));
  created.push(dir);
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(REPO, join(dir, 'node_modules/sseredact'), 'dir');
  symlinkSync(join(REPO, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir');
  for (const name of links) symlinkSync(join(REPO, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
