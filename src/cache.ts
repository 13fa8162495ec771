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
 *
 * The checksum is no seal: whoever can write the directory can forge an entry that matches it.
 * So, as ssh does with its files, a directory or file that another user could have written is not
 * used at all: the directory (after symbolic links) and each entry must be owned by this user and
 * writable by no one else, and every directory above it must be owned by this user or root and be
 * writable by no one else unless sticky (/tmp: no one can rename another's entry there). Entries
 * are read only when they are regular files of a bounded size (never a FIFO or a device, which
 * would block or never end). Nothing here waits or throws: any problem (an unwritable directory, a
 * read-only or full file system, a file where a directory should be) is a miss or a failed write
 * with a reason, and the caller works without the cache and says so under --verbose.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

// The magic predates the rule analyses; the format is the same, so it stays.
const MAGIC = Buffer.from('SSRVSDB\x01', 'latin1');
const HEADER_SIZE = 80;
/** The largest entry read (the built-in pack's database is under 1 MiB): a bound, not a guess. */
const MAX_ENTRY_BYTES = 256 * 1024 * 1024;

/** The package's version, part of every key: entries from another release are never reused. */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `$XDG_CACHE_HOME/sseredact`, else `~/.cache/sseredact`. */
export function defaultCacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
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
export type CacheKind = 'vectorscan' | 'rules' | 'ts';

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

/** Reads and verifies the entry for `key`; never throws, never blocks. */
export function readCache(directory: string, kind: CacheKind, key: string): CacheRead {
  const untrusted = untrustedDirectory(directory);
  if (untrusted !== null) return { miss: untrusted };
  const read = readPrivateFile(cachePath(directory, kind, key), MAX_ENTRY_BYTES);
  if ('miss' in read) return read;
  const file = read.bytes;
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

/**
 * The bytes of the file at `path` when it is a regular file of at most `maxBytes` that this user
 * alone could have written, else why not (never throws, never blocks). Also for the fingerprint key.
 */
export function readPrivateFile(path: string, maxBytes: number): { readonly bytes: Buffer } | { readonly miss: string; readonly absent: boolean } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would wait for a writer; O_NOFOLLOW: no links.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { miss: code === 'ENOENT' ? 'nothing cached' : code === 'ELOOP' ? `${path} is a symbolic link; not used` : `unreadable: ${String(error)}`, absent: code === 'ENOENT' };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { miss: `${path} is not a regular file; not used`, absent: false };
    const unsafe = foreignWritable(stat, false);
    if (unsafe !== null) return { miss: `${path} ${unsafe}; not used`, absent: false };
    if (stat.size > maxBytes) return { miss: `${path} is larger than ${maxBytes} bytes; not used`, absent: false };
    const bytes = Buffer.allocUnsafe(stat.size);
    let filled = 0;
    for (let count = 1; filled < bytes.length && count > 0; filled += count) count = readSync(fd, bytes, filled, bytes.length - filled, filled);
    return { bytes: bytes.subarray(0, filled) };
  } catch (error) {
    return { miss: `unreadable: ${String(error)}`, absent: false };
  } finally {
    closeSync(fd);
  }
}

/**
 * Why `stat` (a cache file or directory, or with `isAncestor` a directory above one) could have
 * been written by another user, or null. Without user ids (Windows) there is nothing to check.
 */
function foreignWritable(stat: Stats, isAncestor: boolean): string | null {
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  if (stat.uid !== uid && !(isAncestor && stat.uid === 0)) return `is owned by user ${stat.uid}, not by this user (${uid})`;
  const sticky = isAncestor && stat.isDirectory() && (stat.mode & 0o1000) !== 0;
  if ((stat.mode & 0o022) !== 0 && !sticky) return `is writable by ${(stat.mode & 0o002) !== 0 ? 'others' : 'its group'}`;
  return null;
}

/**
 * Why a private directory (the cache's, the fingerprint key's) must not be used, or null;
 * 'nothing cached' when it does not exist.
 */
export function untrustedDirectory(directory: string): string | null {
  let real: string;
  try {
    real = realpathSync(directory);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'nothing cached' : `directory ${directory} unusable: ${String(error)}`;
  }
  try {
    for (let path = real, isAncestor = false; ; path = dirname(path), isAncestor = true) {
      const stat = statSync(path);
      if (!stat.isDirectory()) return `${directory} is not a directory; not used`;
      const unsafe = foreignWritable(stat, isAncestor);
      if (unsafe !== null) return `directory ${path === real ? directory : `${directory}: ${path}`} ${unsafe}; not used`;
      if (dirname(path) === path) return null;
    }
  } catch (error) {
    return `directory ${directory} unusable: ${String(error)}`;
  }
}

/**
 * Creates `directory` (mode 0700) and what is missing above it, one level at a time: Node's
 * recursive mkdir spins for ever where mkdir fails with ENOENT under an existing parent (/proc).
 * Throws the first error.
 */
export function makeDirectory(directory: string): void {
  const missing: string[] = [];
  for (let path = directory; ; path = dirname(path)) {
    try {
      lstatSync(path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(path) === path) throw error;
      missing.unshift(path);
    }
  }
  for (const path of missing) mkdirSync(path, { mode: 0o700 });
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
    makeDirectory(directory);
  } catch (error) {
    return `cannot write the cache: ${error instanceof Error ? error.message : String(error)}`;
  }
  const untrusted = untrustedDirectory(directory);
  if (untrusted !== null) return untrusted;
  try {
    // 'wx': a name someone else planted (a link, a FIFO) is an error, never followed or opened.
    writeFileSync(temporary, Buffer.concat([header, meta, entry.data]), { mode: 0o600, flag: 'wx' });
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
