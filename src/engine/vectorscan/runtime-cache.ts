/**
 * The runtime copy chosen on this machine (./addon.ts, chooseRuntime), kept in the cache
 * (src/cache.ts, kind `runtime`) so that a warm start compiles and scans no canary: testing the
 * copies costs a start about 6.5 ms (Debian 12 on an AVX-512 CPU: two copies fail before the
 * third passes), identifying the files and reading the entry about 1.5 ms.
 *
 * The key is what decides the choice: the canaries, Vectorscan's library file and the addon's
 * file (path, device, inode, size and modification time of each, as mapped into this process),
 * the CPU (Vectorscan's tune and feature bits, the model name, the copies it can run) and the
 * build (in every key). Anything else (no entry, a corrupt one, a copy the CPU no longer offers,
 * no /proc/self/maps to identify the files by) means testing the copies again: a copy is never
 * used unless the canaries passed on it, on this library, addon and CPU. As for the databases,
 * whoever can write the cache could name a copy that loses matches: the ownership checks of
 * src/cache.ts are what keep such an entry out.
 */
import { readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { cacheKey, readCache, writeCache } from '../../cache.js';
import type { Addon } from './addon.js';

/** The copy that finds every canary (null: none does), and why each faster one was passed over. */
export interface RuntimeChoice {
  readonly runtime: string | null;
  readonly passedOver: readonly string[];
}

export interface CachedRuntimeChoice extends RuntimeChoice {
  /** Whether the choice came from the cache (no canary compiled). */
  readonly cached: boolean;
  /** Why the cache was not used or not written, for --verbose. */
  readonly notes: readonly string[];
}

/** Vectorscan's library and the addon, as the dynamic loader mapped them: the files whose code the canaries ran. */
const MAPPED_FILE = /^\S+ \S+ \S+ (\S+) (\d+) +(\/\S*(?:\/libhs[^/]*\.so[^/]*|\/sseredact_vectorscan\.node))$/;

/** Each mapped library and addon file with its device, inode, size and mtime; null without /proc or the addon's file. */
function mappedFiles(): string | null {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return null;
  }
  const files = new Set<string>();
  for (const line of maps.split('\n')) {
    const [, device, inode, path] = MAPPED_FILE.exec(line) ?? [];
    if (path === undefined) continue;
    try {
      const stat = statSync(path);
      files.add(`${path} ${device} ${inode} ${stat.size} ${stat.mtimeMs}`);
    } catch {
      return null;
    }
  }
  return [...files].some((file) => file.includes('/sseredact_vectorscan.node ')) ? [...files].sort().join('\n') : null;
}

function parseChoice(meta: string, runtimes: readonly string[]): { readonly runtime: string; readonly passedOver: readonly string[] } | null {
  try {
    const { runtime, passedOver } = JSON.parse(meta) as Partial<Record<keyof RuntimeChoice, unknown>>;
    if (typeof runtime !== 'string' || !runtimes.includes(runtime)) return null;
    if (!Array.isArray(passedOver) || !passedOver.every((reason) => typeof reason === 'string')) return null;
    return { runtime, passedOver };
  } catch {
    return null;
  }
}

/**
 * Makes the addon's runtime the copy cached for this machine when there is a valid entry in
 * `directory` (null: no cache), else the one `choose` picks by testing (`canaries`: what it
 * tests, part of the key), and caches that when it found one. Never throws for the cache's sake.
 */
export function chooseRuntimeCached(addon: Addon, directory: string | null, canaries: string, choose: () => RuntimeChoice): CachedRuntimeChoice {
  const files = directory === null ? null : mappedFiles();
  if (directory === null || files === null) {
    return { ...choose(), cached: false, notes: directory === null ? [] : ['runtime choice not cached: the addon and library files are not known (no /proc/self/maps)'] };
  }
  const platform = addon.platform();
  const runtimes = addon.runtimes();
  const key = cacheKey([
    'sseredact-vectorscan-runtime',
    canaries,
    addon.version(),
    files,
    `${process.platform}-${process.arch}-${platform.tune}-${platform.cpuFeatures}`,
    cpus()[0]?.model ?? '',
    runtimes.join(' '),
  ]);
  const read = readCache(directory, 'runtime', key);
  const cached = 'entry' in read ? parseChoice(read.entry.meta, runtimes) : null;
  if (cached !== null) {
    addon.useRuntime(cached.runtime);
    return { ...cached, cached: true, notes: [] };
  }
  const notes = [`runtime choice: ${'miss' in read ? read.miss : 'bad metadata'}`];
  const choice = choose();
  if (choice.runtime !== null) {
    const failure = writeCache(directory, 'runtime', key, { meta: JSON.stringify({ runtime: choice.runtime, passedOver: choice.passedOver }), data: new Uint8Array(0) });
    if (failure !== null) notes.push(`runtime choice: ${failure}`);
  }
  return { ...choice, cached: false, notes };
}
