/**
 * The on-disk cache of compiled Vectorscan databases: compiling a large rule set takes far longer
 * than reading it back (DESIGN §8, start-up under 150 ms with a warm cache).
 *
 * One file per rule set, `<dir>/vectorscan-<key>.db`, where the key is a SHA-256 of everything the
 * database depends on (expressions, flags, ids, mode, Vectorscan's version, the CPU features it was
 * compiled for, the translator's version). A file is trusted only when its header, key, lengths and
 * checksum all agree; anything else (truncated, corrupt, written by another version or machine) is
 * reported as a miss and overwritten by the caller's fresh compile. Vectorscan's own
 * hs_deserialize_database does not checksum the bytecode, so the checksum here is what stands
 * between a flipped bit and a wrong scan.
 *
 * Layout (integers little-endian):
 *
 *     offset  size  field
 *     0       8     magic "SSRVSDB" + format version byte 1
 *     8       32    key (raw SHA-256)
 *     40      4     meta length M
 *     44      4     database length D
 *     48      32    SHA-256 of meta || database
 *     80      M     meta (UTF-8 JSON, the caller's)
 *     80+M    D     hs_serialize_database output
 *
 * Writes go to a temporary file renamed into place, so a reader never sees half a file; two
 * processes compiling the same set at once both write whole files and the last rename wins.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const MAGIC = Buffer.from('SSRVSDB\x01', 'latin1');
const HEADER_SIZE = 80;

/** `$XDG_CACHE_HOME/sseredact`, else `~/.cache/sseredact`. */
export function defaultCacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CACHE_HOME'] !== undefined && env['XDG_CACHE_HOME'] !== '' ? env['XDG_CACHE_HOME'] : join(homedir(), '.cache');
  return join(base, 'sseredact');
}

/** Hex SHA-256 of the parts, each length-prefixed so that no two lists hash alike. */
export function cacheKey(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    hash.update(length).update(bytes);
  }
  return hash.digest('hex');
}

export function cachePath(directory: string, key: string): string {
  return join(directory, `vectorscan-${key}.db`);
}

function checksum(meta: Uint8Array, database: Uint8Array): Buffer {
  return createHash('sha256').update(meta).update(database).digest();
}

export interface CacheEntry {
  readonly meta: string;
  readonly database: Uint8Array;
}

/** What a read found: the entry, or why the file cannot be used (a miss, never an error). */
export type CacheRead = { readonly entry: CacheEntry } | { readonly miss: string };

/** Reads and verifies the entry for `key`; never throws. */
export function readCache(directory: string, key: string): CacheRead {
  let file: Buffer;
  try {
    file = readFileSync(cachePath(directory, key));
  } catch (error) {
    return { miss: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no cached database' : `unreadable: ${String(error)}` };
  }
  if (file.length < HEADER_SIZE || !file.subarray(0, 8).equals(MAGIC)) return { miss: 'not a cache file of this version' };
  if (file.subarray(8, 40).toString('hex') !== key) return { miss: 'cache file of another rule set' };
  const metaLength = file.readUInt32LE(40);
  const databaseLength = file.readUInt32LE(44);
  if (HEADER_SIZE + metaLength + databaseLength !== file.length) return { miss: 'truncated cache file' };
  const meta = file.subarray(HEADER_SIZE, HEADER_SIZE + metaLength);
  const database = file.subarray(HEADER_SIZE + metaLength);
  if (!checksum(meta, database).equals(file.subarray(48, 80))) return { miss: 'corrupt cache file (checksum)' };
  return { entry: { meta: meta.toString('utf8'), database: new Uint8Array(database) } };
}

/** Writes the entry for `key` atomically; returns an error message instead of throwing. */
export function writeCache(directory: string, key: string, entry: CacheEntry): string | null {
  const meta = Buffer.from(entry.meta, 'utf8');
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  Buffer.from(key, 'hex').copy(header, 8);
  header.writeUInt32LE(meta.length, 40);
  header.writeUInt32LE(entry.database.length, 44);
  checksum(meta, entry.database).copy(header, 48);
  const target = cachePath(directory, key);
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    writeFileSync(temporary, Buffer.concat([header, meta, entry.database]), { mode: 0o600 });
    renameSync(temporary, target);
    return null;
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was written where nothing could be: the error below says why.
    }
    return `cannot write the compile cache: ${error instanceof Error ? error.message : String(error)}`;
  }
}
