/**
 * The on-disk caches of what a start would otherwise compute again (DESIGN §8, start-up under
 * 150 ms with a warm cache): compiled Vectorscan databases (engine/vectorscan/engine.ts) and the
 * rule compiler's analyses (rules/analysis-cache.ts).
 *
 * One file per kind and input, `<dir>/<kind>-<key>.db`, where the key is a SHA-256 of everything
 * the entry depends on (the caller's parts, and always the package's version). A file is trusted
 * only when its header, key, lengths and checksum all agree; anything else (truncated, corrupt,
 * written by another version or machine) is reported as a miss and overwritten by the caller's
 * fresh result. Vectorscan's own hs_deserialize_database does not checksum the bytecode, so the
 * checksum here is what stands between a flipped bit and a wrong scan.
 *
 * Layout (integers little-endian):
 *
 *     offset  size  field
 *     0       8     magic "SSRVSDB" + format version byte 1
 *     8       32    key (raw SHA-256)
 *     40      4     meta length M
 *     44      4     data length D
 *     48      32    SHA-256 of meta || data
 *     80      M     meta (UTF-8 JSON, the caller's)
 *     80+M    D     data (the caller's bytes: hs_serialize_database output, or nothing)
 *
 * Writes go to a temporary file renamed into place, so a reader never sees half a file; two
 * processes computing the same entry at once both write whole files and the last rename wins.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

// The magic predates the rule analyses; the format is the same, so it stays.
const MAGIC = Buffer.from('SSRVSDB\x01', 'latin1');
const HEADER_SIZE = 80;

/** The package's version, part of every key: entries from another release are never reused. */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `$XDG_CACHE_HOME/sseredact`, else `~/.cache/sseredact`. */
export function defaultCacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CACHE_HOME'] !== undefined && env['XDG_CACHE_HOME'] !== '' ? env['XDG_CACHE_HOME'] : join(homedir(), '.cache');
  return join(base, 'sseredact');
}

/**
 * Hex SHA-256 of the package's version and the parts, each prefixed with its UTF-8 length and a
 * colon so that no two lists hash alike. One string, hashed at once: a key over a large rule set
 * has thousands of parts.
 */
export function cacheKey(parts: readonly string[]): string {
  const text = [PACKAGE_VERSION, ...parts].map((part) => `${Buffer.byteLength(part)}:${part}`).join('');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What a cache holds: the file name's prefix. */
export type CacheKind = 'vectorscan' | 'rules';

export function cachePath(directory: string, kind: CacheKind, key: string): string {
  return join(directory, `${kind}-${key}.db`);
}

function checksum(meta: Uint8Array, data: Uint8Array): Buffer {
  return createHash('sha256').update(meta).update(data).digest();
}

export interface CacheEntry {
  readonly meta: string;
  readonly data: Uint8Array;
}

/** What a read found: the entry, or why the file cannot be used (a miss, never an error). */
export type CacheRead = { readonly entry: CacheEntry } | { readonly miss: string };

/** Reads and verifies the entry for `key`; never throws. */
export function readCache(directory: string, kind: CacheKind, key: string): CacheRead {
  let file: Buffer;
  try {
    file = readFileSync(cachePath(directory, kind, key));
  } catch (error) {
    return { miss: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'nothing cached' : `unreadable: ${String(error)}` };
  }
  if (file.length < HEADER_SIZE || !file.subarray(0, 8).equals(MAGIC)) return { miss: 'not a cache file of this version' };
  if (file.subarray(8, 40).toString('hex') !== key) return { miss: 'cache file of another rule set' };
  const metaLength = file.readUInt32LE(40);
  const dataLength = file.readUInt32LE(44);
  if (HEADER_SIZE + metaLength + dataLength !== file.length) return { miss: 'truncated cache file' };
  const meta = file.subarray(HEADER_SIZE, HEADER_SIZE + metaLength);
  const data = file.subarray(HEADER_SIZE + metaLength);
  if (!checksum(meta, data).equals(file.subarray(48, 80))) return { miss: 'corrupt cache file (checksum)' };
  return { entry: { meta: meta.toString('utf8'), data: new Uint8Array(data) } };
}

/** Writes the entry for `key` atomically; returns an error message instead of throwing. */
export function writeCache(directory: string, kind: CacheKind, key: string, entry: CacheEntry): string | null {
  const meta = Buffer.from(entry.meta, 'utf8');
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  Buffer.from(key, 'hex').copy(header, 8);
  header.writeUInt32LE(meta.length, 40);
  header.writeUInt32LE(entry.data.length, 44);
  checksum(meta, entry.data).copy(header, 48);
  const target = cachePath(directory, kind, key);
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    writeFileSync(temporary, Buffer.concat([header, meta, entry.data]), { mode: 0o600 });
    renameSync(temporary, target);
    return null;
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was written where nothing could be: the error below says why.
    }
    return `cannot write the cache: ${error instanceof Error ? error.message : String(error)}`;
  }
}
