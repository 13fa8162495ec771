/**
 * Global setup: the whole run (test workers and every CLI they start) caches into a temporary
 * XDG_CACHE_HOME and keeps its fingerprint key in a temporary XDG_CONFIG_HOME, both removed at the
 * end, never in the user's ~/.cache/sseredact or ~/.config/sseredact. GITHUB_ACTIONS is unset, and
 * no run copies the package's install-time cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  // In a GitHub Actions job, scan would print annotations and redaction honour ::add-mask:: by
  // default; the tests of those defaults set GITHUB_ACTIONS themselves.
  delete process.env.GITHUB_ACTIONS;
  // No install-time cache (src/cache.ts, seedCache): a run on an empty cache is a cold start, as
  // the tests of one expect; the tests of seeding name a directory of their own.
  process.env.NODE_ENV = 'test';
  process.env.SSEREDACT_TEST_INSTALL_CACHE = '';
  const directories = ['XDG_CACHE_HOME', 'XDG_CONFIG_HOME'].map((name) => {
    const directory = mkdtempSync(join(tmpdir(), `sseredact-test-${name.toLowerCase()}-`));
    process.env[name] = directory;
    return directory;
  });
  return () => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  };
}
