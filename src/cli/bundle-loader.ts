/**
 * Runs the CLI's bundle (dist/bundle/, CommonJS files: rolldown.config.mjs) with V8's code cache
 * kept in the start-up cache (src/cache.ts, kind `code`), as Node 22's module.enableCompileCache
 * would: a warm start then takes each function's bytecode from there instead of parsing and
 * compiling it (importing the bundle: ~23 ms CPU instead of ~34, and ~42 as ES modules). Bundled
 * alone (dist/bundle-loader/) so that bin/sseredact can load it before the bundle.
 *
 * Each of the bundle's files is loaded here, not by Node's require: its source is read, wrapped as
 * Node wraps a CommonJS module, and compiled by a vm.Script given the cached data of that file,
 * when the entry holds data made from the same source (its SHA-256; V8 itself checks only the
 * length). What V8 rejects (another V8, other flags) it compiles as without a cache: a stale,
 * corrupt or foreign entry is a miss, never code that runs. Requests for anything but a file of
 * the bundle (`./name.cjs`) go to Node's require.
 *
 * When the start-up is over (see LoadedBundle.saveCode), if a file loaded without usable cached
 * data, the entry is written again (temp and rename) with the code V8 then holds for each file
 * this run loaded (every function it ran so far, not only the top level), and the old entry's data
 * for the files it did not load. The entry is a
 * parted one: meta `{"files": [[name, sourceSha256], ...], "complete": true}`, part i the cached
 * data of file i; `complete` when the run that wrote it got to the end of its start-up.
 * Its key is the bundle's directory (one entry per installation), Node's version, the machine and
 * Node's options.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { type PartedEntry, cacheKey, defaultCacheDirectory, encodePartedEntry, readPartedCache, writeCacheFile } from '../cache.js';

/** Bump when the entry's meta or parts change meaning. */
const CODE_VERSION = '1';

/** The bundle's own files, as its files require each other. */
const BUNDLE_FILE = /^\.\/([^/]+\.cjs)$/;

/** A file of the bundle as this run loaded it. */
interface LoadedFile {
  readonly module: { exports: unknown };
  readonly sourceHash: string;
  readonly script: Script;
  /** Whether V8 took its code from the cache. */
  readonly isCached: boolean;
}

/** What an entry holds: the cached data by file name, with the SHA-256 of the source it was made from. */
interface CachedFiles {
  readonly files: Map<string, { readonly sourceHash: string; readonly part: number }>;
  /** Whether the run that wrote it got to the end of its start-up (see LoadedBundle.saveCode), so holds the code of all of it. */
  readonly isComplete: boolean;
}

function cachedFilesOf(entry: PartedEntry | null): CachedFiles {
  const files = new Map<string, { readonly sourceHash: string; readonly part: number }>();
  try {
    const meta = entry === null ? null : (JSON.parse(entry.meta) as { files?: unknown; complete?: unknown } | null);
    const listed = meta?.files;
    if (!Array.isArray(listed) || listed.length !== entry?.partCount) return { files, isComplete: false };
    listed.forEach((file: unknown, part) => {
      if (Array.isArray(file) && typeof file[0] === 'string' && typeof file[1] === 'string') files.set(file[0], { sourceHash: file[1], part });
    });
    return { files, isComplete: meta?.complete === true };
  } catch {
    // Meta that is no JSON: no file has cached data.
    return { files, isComplete: false };
  }
}

/** A loaded bundle. */
export interface LoadedBundle {
  /** The entry file's exports. */
  readonly exports: unknown;
  /**
   * Says that the start-up is over, before V8's flags change (src/cli/main.ts sets one once the
   * rules are compiled): V8 rejects code cached under other flags than a start's. Writes the entry
   * when a file loaded so far had no cached code, or the entry was written by a run that ended
   * before this point; a file loaded later is not cached. At exit, when it was not called, the
   * entry is written if a file loaded had no cached code. Only the first call does anything.
   */
  readonly saveCode: () => void;
}

/**
 * Loads the bundle whose entry file is `entryPath`; each file's code comes from the code cache in
 * `cacheDirectory` when it holds that file's. Never fails for the cache: an unusable one is a run
 * without it.
 */
export function loadBundle(entryPath: string, cacheDirectory: string = defaultCacheDirectory()): LoadedBundle {
  const directory = dirname(entryPath);
  // V8 rejects code cached under other flags: those of each command line get an entry of their own.
  const key = cacheKey(['sseredact-code', CODE_VERSION, process.version, process.arch, directory, process.execArgv.join(' '), process.env.NODE_OPTIONS ?? '']);
  const read = readPartedCache(cacheDirectory, 'code', key);
  const entry = 'entry' in read ? read.entry : null;
  const { files: cachedFiles, isComplete } = cachedFilesOf(entry);
  const loaded = new Map<string, LoadedFile>();

  const load = (name: string): unknown => {
    const known = loaded.get(name);
    if (known !== undefined) return known.module.exports;
    const path = join(directory, name);
    const source = readFileSync(path, 'utf8');
    const sourceHash = createHash('sha256').update(source).digest('hex');
    const cached = cachedFiles.get(name);
    const cachedData = (cached?.sourceHash === sourceHash ? entry?.part(cached.part) : null) ?? undefined;
    // As Node wraps a CommonJS module: the same five names in scope.
    const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename: path,
      ...(cachedData === undefined ? {} : { cachedData }),
    });
    const module = { exports: {} };
    loaded.set(name, { module, sourceHash, script, isCached: cachedData !== undefined && script.cachedDataRejected !== true });
    const nodeRequire = createRequire(path);
    const require = (id: string): unknown => {
      const file = BUNDLE_FILE.exec(id);
      return file === null ? nodeRequire(id) : load(file[1]!);
    };
    (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, require, module, path, directory);
    return module.exports;
  };

  let isSaved = false;
  const save = (isStartedUp: boolean): void => {
    if (isSaved) return;
    isSaved = true;
    // An entry written before a start-up's end (`--help` first) lacks what a start-up runs: the next that ends one writes it again.
    if ([...loaded.values()].every((file) => file.isCached) && (isComplete || !isStartedUp)) return;
    try {
      const files: Array<[string, string]> = [];
      const parts: Uint8Array[] = [];
      for (const [name, file] of loaded) {
        files.push([name, file.sourceHash]);
        parts.push(file.script.createCachedData());
      }
      for (const [name, cached] of cachedFiles) {
        const part = loaded.has(name) ? null : entry?.part(cached.part);
        if (part === null || part === undefined) continue;
        files.push([name, cached.sourceHash]);
        parts.push(part);
      }
      writeCacheFile(cacheDirectory, 'code', key, [encodePartedEntry(key, JSON.stringify({ files, complete: isStartedUp }), parts)]);
    } catch {
      // The cache is an optimisation: a run never fails for it, nor says anything about it.
    }
  };
  process.on('exit', () => save(false));
  return { exports: load(basename(entryPath)), saveCode: () => save(true) };
}
