/**
 * Global setup: the whole run (test workers and every CLI they start) caches into a temporary
 * XDG_CACHE_HOME, removed at the end, never into the user's ~/.cache/sseredact.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const directory = mkdtempSync(join(tmpdir(), 'sseredact-test-cache-'));
  process.env['XDG_CACHE_HOME'] = directory;
  return () => rmSync(directory, { recursive: true, force: true });
}
