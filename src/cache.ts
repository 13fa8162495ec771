/**
 * The on-disk caches of what a start would otherwise compute again (DESIGN §8, start-up under
 * 150 ms with a warm cache): compiled Vectorscan databases (engine/vectorscan/database.ts), the
 * Vectorscan runtime copy chosen for this machine (engine/vectorscan/runtime-cache.ts), the ts
 * engine's automata (engine/ts/automaton-cache.ts) and its DFA's states (engine/ts/dfa-cache.ts:
 * what a run over the same rules would build again), the rule compiler's analyses
 * (rules/analysis-cache.ts), the confirmer's programs (rules/program-cache.ts) and V8's code of
 * the CLI's bundle (cli/bundle-loader.ts).
 *
 * One file per kind and input, `<dir>/<kind>-<key>.db`, where the key is a SHA-256 of everything
 * the entry depends on (the caller's parts, and always the package's version and build). A file is trusted
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
 * An entry too large to read and checksum at every start (the confirmer's programs, one part per
 * rule: rules/program-cache.ts) is *parted* instead: format byte 2, and its checksum covers only
 * the meta and a table of its parts, each with a SHA-256 of its own that is checked when the part
 * is first used (a bad part is a miss of that part alone):
 *
 *     offset  size  field
 *     0       8     magic "SSRVSDB" + format version byte 2
 *     8       32    key (raw SHA-256)
 *     40      4     meta length M
 *     44      4     part count N
 *     48      32    SHA-256 of meta || part table
 *     80      M     meta (UTF-8 JSON, the caller's)
 *     T       40N   part table, T = 80 + M rounded up to 8: per part its offset in the file, its
 *                   length (4 bytes each) and its SHA-256 (32)
 *     ...           the parts, each at an offset that is a multiple of 8 (typed arrays view them)
 *
 * Writes go to a temporary file renamed into place, so a reader never sees half a file; two
 * processes computing the same entry at once both write whole files and the last rename wins.
 * An entry too slow to compute at a start (a rule set's programs, and with them its in-flight
 * automata) is built by a process of its own, which holds `<dir>/<kind>-<key>.lock` (claimBuild)
 * while it runs: one builder at a time.
 *
 * Install time: the package's install runs sseredact once on each engine into a cache of its own
 * (native/build-database.js) and keeps that cache's entries in INSTALL_TIME_DIRECTORY; a start
 * copies into the user's cache those it lacks (seedCache), so that a first run (every CI job on
 * a fresh runner) starts as a warm one instead of compiling for half a second or more.
 *
 * Size: each release, build and rule set has entries of its own (~12 MB for the built-in packs),
 * so a directory would only grow. A read that hits marks its entry used (its mtime, at most once a
 * day); a write that takes the directory past CACHE_BUDGET_BYTES removes the entries used longest
 * ago until it is back under (pruneCache), and temporary files a dead writer left. A run that
 * loses an entry another removed just misses it.
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
import {
  closeSync,
  constants,
  fstatSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The magic predates the rule analyses; the format is the same, so it stays.
const MAGIC = Buffer.from('SSRVSDB\x01', 'latin1');
const PARTED_MAGIC = Buffer.from('SSRVSDB\x02', 'latin1');
const HEADER_SIZE = 80;
/** Bytes per part in a parted entry's table: offset, length, SHA-256. */
const PART_ROW_SIZE = 40;
/** The largest entry read (the built-in pack's database is under 1 MiB): a bound, not a guess. */
const MAX_ENTRY_BYTES = 256 * 1024 * 1024;
/** The most bytes of entries a cache directory keeps (pruneCache): about ten releases' or rule sets' worth. */
export const CACHE_BUDGET_BYTES = 128 * 1024 * 1024;
/** A hit on an entry whose mtime is older than this sets it to now: often enough to order entries by use. */
const MARK_USED_AFTER_MS = 24 * 60 * 60 * 1000;
/** A temporary file older than this is a dead writer's: no write takes an hour. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;
/** An entry's file name (cachePath): its kind and key. And a temporary one of writeCacheFile's. */
const ENTRY_NAME = /^([a-z]+)-([0-9a-f]{64})\.db$/;
const TEMPORARY_NAME = /^[a-z]+-[0-9a-f]{64}\.db\.\d+\.[0-9a-f]+\.tmp$/;

/** The package's version, part of every key: entries from another release are never reused. */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The hash of the sources this build was made from (scripts/build-id.mjs writes it beside the
 * built modules), part of every key: builds with different code never share entries. Running from
 * src/ (the tests) there is none; those runs use caches of their own.
 */
const BUILD_ID = readBuildId();

function readBuildId(): string {
  try {
    return readFileSync(new URL('./build-id.txt', import.meta.url), 'utf8').trim();
  } catch {
    return '';
  }
}

/** `$XDG_CACHE_HOME/sseredact`, else `~/.cache/sseredact`. */
export function defaultCacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'sseredact');
}

/**
 * Hex SHA-256 of the package's version, the build's id and the parts, each prefixed with its UTF-8 length and a
 * colon so that no two lists hash alike. One string, hashed at once: a key over a large rule set
 * has thousands of parts.
 */
export function cacheKey(parts: readonly string[]): string {
  const text = [PACKAGE_VERSION, BUILD_ID, ...parts].map((part) => `${Buffer.byteLength(part)}:${part}`).join('');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What a cache holds: the file name's prefix. */
const CACHE_KINDS = ['vectorscan', 'runtime', 'rules', 'ts', 'programs', 'code'] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

/**
 * The entries the package's install cached (see the module doc): root's where root installed the
 * package (npm install -g under sudo), so read as 'user or root'.
 */
export const INSTALL_TIME_DIRECTORY = fileURLToPath(new URL('../native/build/database/', import.meta.url));

/**
 * Where seedCache copies from by default. Test-only: with NODE_ENV=test, SSEREDACT_TEST_INSTALL_CACHE
 * names another directory, or none when empty (the tests' global setup: a test of a cold start
 * stays cold; a test of seeding names one it made). Read once at load; nothing else sets it.
 */
const SEED_DIRECTORY =
  process.env.NODE_ENV === 'test' && process.env.SSEREDACT_TEST_INSTALL_CACHE !== undefined ? process.env.SSEREDACT_TEST_INSTALL_CACHE || null : INSTALL_TIME_DIRECTORY;

export function cachePath(directory: string, kind: CacheKind, key: string): string {
  return join(directory, `${kind}-${key}.db`);
}

function checksum(meta: Uint8Array, data: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256').update(meta);
  for (const part of data) hash.update(part);
  return hash.digest();
}

export interface CacheEntry {
  readonly meta: string;
  readonly data: Uint8Array;
}

/** What a read found: the entry, or why the file cannot be used (a miss, never an error). */
export type CacheRead = { readonly entry: CacheEntry } | { readonly miss: string };

/** Why `file` is not an entry with `magic` for `key`, or null. */
function checkHeader(file: Buffer, key: string, magic: Buffer): { readonly miss: string } | null {
  if (file.length < HEADER_SIZE || !file.subarray(0, 8).equals(magic)) return { miss: 'not a cache file of this version' };
  if (file.subarray(8, 40).toString('hex') !== key) return { miss: 'cache file of another rule set' };
  return null;
}

/**
 * Whose files are trusted besides this user's: no one's (a user's cache), or root's too (what a
 * package installed by root ships, as the vectorscan engine's install-time database).
 */
export type Owners = 'user' | 'user or root';

/**
 * Reads and verifies the entry for `key`; never throws, never blocks. The data is read into an
 * array of its own (aligned: typed arrays view it where they can), not copied out of the file's
 * bytes: memory touched the first time is dear (~12 us a page on the machine of issue 17), and
 * a DFA's kept states are megabytes.
 */
export function readCache(directory: string, kind: CacheKind, key: string, owners: Owners = 'user'): CacheRead {
  const untrusted = untrustedDirectory(directory, owners);
  if (untrusted !== null) return { miss: untrusted };
  const read = withPrivateFile(
    cachePath(directory, kind, key),
    MAX_ENTRY_BYTES,
    (fd, size): CacheRead => {
      const header = Buffer.alloc(HEADER_SIZE);
      const wrong = checkHeader(header.subarray(0, readAt(fd, header, 0)), key, MAGIC);
      if (wrong !== null) return wrong;
      const metaLength = header.readUInt32LE(40);
      const dataLength = header.readUInt32LE(44);
      if (HEADER_SIZE + metaLength + dataLength !== size) return { miss: 'truncated cache file' };
      const meta = Buffer.alloc(metaLength);
      const data = new Uint8Array(dataLength);
      if (readAt(fd, meta, HEADER_SIZE) !== metaLength || readAt(fd, data, HEADER_SIZE + metaLength) !== dataLength) return { miss: 'truncated cache file' };
      if (!checksum(meta, [data]).equals(header.subarray(48, 80))) return { miss: 'corrupt cache file (checksum)' };
      return { entry: { meta: meta.toString('utf8'), data } };
    },
    owners,
    true,
  );
  return 'miss' in read ? read : read.value;
}

/** What a use of a private file gave, or why the file could not be used. */
type PrivateRead<T> = { readonly value: T } | { readonly miss: string; readonly absent: boolean };

/**
 * Opens `path` and hands its descriptor and size to `use` when it is a regular file of at most
 * `maxBytes` that this user alone could have written, else says why not (never throws, never
 * blocks: an error in `use` is a miss too). With `markUsed`, a file used has its mtime set to now
 * when it is older than MARK_USED_AFTER_MS (pruneCache removes the entries used longest ago).
 */
function withPrivateFile<T>(path: string, maxBytes: number, use: (fd: number, size: number) => T, owners: Owners = 'user', markUsed = false): PrivateRead<T> {
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
    const unsafe = foreignWritable(stat, false, owners);
    if (unsafe !== null) return { miss: `${path} ${unsafe}; not used`, absent: false };
    if (stat.size > maxBytes) return { miss: `${path} is larger than ${maxBytes} bytes; not used`, absent: false };
    const value = use(fd, stat.size);
    if (markUsed && Date.now() - stat.mtimeMs > MARK_USED_AFTER_MS) markedUsed(fd, stat);
    return { value };
  } catch (error) {
    return { miss: `unreadable: ${String(error)}`, absent: false };
  } finally {
    closeSync(fd);
  }
}

/** Sets the mtime of the file open as `fd` to now; a file this user may not touch (root's) keeps its own. */
function markedUsed(fd: number, stat: Stats): void {
  try {
    futimesSync(fd, stat.atime, new Date());
  } catch {
    // Not ours to touch: it is not in the directory pruneCache prunes either.
  }
}

/** Reads from `fd` at `position` into `bytes` until they are full or the file ends; the count read. */
function readAt(fd: number, bytes: Uint8Array, position: number): number {
  let filled = 0;
  for (let count = 1; filled < bytes.length && count > 0; filled += count) count = readSync(fd, bytes, filled, bytes.length - filled, position + filled);
  return filled;
}

/**
 * The bytes of the file at `path` when it is a regular file of at most `maxBytes` that this user
 * alone could have written, else why not (never throws, never blocks). Also for the fingerprint key.
 */
export function readPrivateFile(path: string, maxBytes: number, owners: Owners = 'user'): { readonly bytes: Buffer } | { readonly miss: string; readonly absent: boolean } {
  const read = withPrivateFile(
    path,
    maxBytes,
    (fd, size) => {
      const bytes = Buffer.allocUnsafe(size);
      return bytes.subarray(0, readAt(fd, bytes, 0));
    },
    owners,
  );
  return 'miss' in read ? read : { bytes: read.value };
}

/**
 * Why `stat` (a cache file or directory, or with `isAncestor` a directory above one) could have
 * been written by another user, or null. Without user ids (Windows) there is nothing to check.
 */
function foreignWritable(stat: Stats, isAncestor: boolean, owners: Owners = 'user'): string | null {
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  if (stat.uid !== uid && !((isAncestor || owners === 'user or root') && stat.uid === 0)) return `is owned by user ${stat.uid}, not by this user (${uid})`;
  const sticky = isAncestor && stat.isDirectory() && (stat.mode & 0o1000) !== 0;
  if ((stat.mode & 0o022) !== 0 && !sticky) return `is writable by ${(stat.mode & 0o002) !== 0 ? 'others' : 'its group'}`;
  return null;
}

/**
 * Why a private directory (the cache's, the fingerprint key's) must not be used, or null;
 * 'nothing cached' when it does not exist.
 */
export function untrustedDirectory(directory: string, owners: Owners = 'user'): string | null {
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
      const unsafe = foreignWritable(stat, isAncestor, owners);
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

/** The 80-byte header: magic, key, the two lengths, the checksum. */
function header(magic: Buffer, key: string, lengths: readonly [number, number], sum: Buffer): Buffer {
  const bytes = Buffer.alloc(HEADER_SIZE);
  magic.copy(bytes, 0);
  Buffer.from(key, 'hex').copy(bytes, 8);
  bytes.writeUInt32LE(lengths[0], 40);
  bytes.writeUInt32LE(lengths[1], 44);
  sum.copy(bytes, 48);
  return bytes;
}

/** An entry to write: its data whole, or as the arrays whose bytes, one after the other, are its data (written as they are, never copied into one). */
export interface EntryToWrite {
  readonly meta: string;
  readonly data: Uint8Array | readonly Uint8Array[];
}

/** Writes the entry for `key` atomically; returns an error message instead of throwing. */
export function writeCache(directory: string, kind: CacheKind, key: string, entry: EntryToWrite): string | null {
  const meta = Buffer.from(entry.meta, 'utf8');
  const data = entry.data instanceof Uint8Array ? [entry.data] : entry.data;
  const dataLength = data.reduce((n, part) => n + part.length, 0);
  return writeCacheFile(directory, kind, key, [header(MAGIC, key, [meta.length, dataLength], checksum(meta, data)), meta, ...data]);
}

/** A parted entry as read: its meta, and its parts, each checked on its first use. */
export interface PartedEntry {
  readonly meta: string;
  readonly partCount: number;
  /**
   * Part `index`'s bytes when they match their SHA-256, else null. A view of the entry's file at
   * an offset that is a multiple of 8 (callers view it as typed arrays, and must not write it).
   */
  part(index: number): Uint8Array | null;
}

export type PartedRead = { readonly entry: PartedEntry } | { readonly miss: string };

const alignTo8 = (n: number): number => Math.ceil(n / 8) * 8;

/** A parted entry's file: see the layout above. */
export function encodePartedEntry(key: string, meta: string, parts: readonly Uint8Array[]): Uint8Array {
  const metaBytes = Buffer.from(meta, 'utf8');
  const tableAt = alignTo8(HEADER_SIZE + metaBytes.length);
  const table = Buffer.alloc(parts.length * PART_ROW_SIZE);
  let end = alignTo8(tableAt + table.length);
  const offsets = parts.map((part, i) => {
    const offset = end;
    table.writeUInt32LE(offset, i * PART_ROW_SIZE);
    table.writeUInt32LE(part.length, i * PART_ROW_SIZE + 4);
    createHash('sha256')
      .update(part)
      .digest()
      .copy(table, i * PART_ROW_SIZE + 8);
    end = alignTo8(offset + part.length);
    return offset;
  });
  const file = new Uint8Array(end);
  file.set(header(PARTED_MAGIC, key, [metaBytes.length, parts.length], checksum(metaBytes, [table])), 0);
  file.set(metaBytes, HEADER_SIZE);
  file.set(table, tableAt);
  parts.forEach((part, i) => file.set(part, offsets[i]!));
  return file;
}

/** Where a parted entry's part table ends: its head (header, meta, table) is the file up to there. */
function partedHeadLength(header: Buffer): number {
  return alignTo8(HEADER_SIZE + header.readUInt32LE(40)) + header.readUInt32LE(44) * PART_ROW_SIZE;
}

/**
 * The parted entry for `key` whose head is `head` (at least its header) in a file of `fileLength`
 * bytes, its parts read with `readRange` (a fresh or 8-aligned array, or null), or why it is not one.
 */
function partedEntry(head: Buffer, key: string, fileLength: number, readRange: (offset: number, length: number) => Uint8Array | null): PartedRead {
  const wrong = checkHeader(head, key, PARTED_MAGIC);
  if (wrong !== null) return wrong;
  const metaLength = head.readUInt32LE(40);
  const partCount = head.readUInt32LE(44);
  const tableEnd = partedHeadLength(head);
  if (tableEnd > head.length || tableEnd > fileLength) return { miss: 'truncated cache file' };
  const meta = head.subarray(HEADER_SIZE, HEADER_SIZE + metaLength);
  const table = head.subarray(tableEnd - partCount * PART_ROW_SIZE, tableEnd);
  if (!checksum(meta, [table]).equals(head.subarray(48, 80))) return { miss: 'corrupt cache file (checksum)' };
  const offsetOf = (index: number): number => table.readUInt32LE(index * PART_ROW_SIZE);
  const lengthOf = (index: number): number => table.readUInt32LE(index * PART_ROW_SIZE + 4);
  // Parts are written in order: a file cut short loses the last one.
  if (partCount > 0 && offsetOf(partCount - 1) + lengthOf(partCount - 1) > fileLength) return { miss: 'truncated cache file' };
  return {
    entry: {
      meta: meta.toString('utf8'),
      partCount,
      part(index) {
        if (!Number.isInteger(index) || index < 0 || index >= partCount) return null;
        const offset = offsetOf(index);
        const length = lengthOf(index);
        if (offset % 8 !== 0 || offset < tableEnd || offset + length > fileLength) return null;
        const part = readRange(offset, length);
        const sum = table.subarray(index * PART_ROW_SIZE + 8, (index + 1) * PART_ROW_SIZE);
        return part !== null && createHash('sha256').update(part).digest().equals(sum) ? part : null;
      },
    },
  };
}

/**
 * Reads the parted entry for `key`: only its head (header, meta, part table), checked; each part
 * is read from the file, and checked, when it is asked for (never throws, never blocks). A part
 * whose file has gone or changed since is null, as a damaged one is.
 */
export function readPartedCache(directory: string, kind: CacheKind, key: string): PartedRead {
  const untrusted = untrustedDirectory(directory);
  if (untrusted !== null) return { miss: untrusted };
  const path = cachePath(directory, kind, key);
  const read = withPrivateFile(
    path,
    MAX_ENTRY_BYTES,
    (fd, size) => {
      const header = Buffer.alloc(HEADER_SIZE);
      const headerLength = readAt(fd, header, 0);
      if (headerLength < HEADER_SIZE || checkHeader(header, key, PARTED_MAGIC) !== null) return { head: header.subarray(0, headerLength), size };
      const head = Buffer.alloc(Math.min(partedHeadLength(header), size));
      return { head: head.subarray(0, readAt(fd, head, 0)), size };
    },
    'user',
    true,
  );
  if ('miss' in read) return read;
  const readRange = (offset: number, length: number): Uint8Array | null => {
    const range = withPrivateFile(path, MAX_ENTRY_BYTES, (fd) => {
      const part = new Uint8Array(length);
      return readAt(fd, part, offset) === length ? part : null;
    });
    return 'miss' in range ? null : range.value;
  };
  return partedEntry(read.value.head, key, read.value.size, readRange);
}

/** Makes the cache directory when it is missing; why it cannot be written to, or null. */
function writableDirectory(directory: string): string | null {
  try {
    makeDirectory(directory);
  } catch (error) {
    return `cannot write the cache: ${error instanceof Error ? error.message : String(error)}`;
  }
  return untrustedDirectory(directory);
}

/**
 * How long a build's lock (claimBuild) holds: a builder that has not removed it by then is taken
 * to have died (a build of the built-in pack's programs takes a few seconds on a loaded machine).
 */
const BUILD_LOCK_STALE_MS = 120_000;

/** The lock file of the build of the entry `kind`/`key`: its builder's recipe while it runs. */
function buildLockPath(directory: string, kind: CacheKind, key: string): string {
  return join(directory, `${kind}-${key}.lock`);
}

/**
 * Claims the build of the entry `kind`/`key` for a builder process: creates its lock file
 * (buildLockPath) holding `recipe`, which the builder reads and removes when it is done (whether
 * or not it wrote the entry). Returns the lock's path, or why not: another build holds a lock
 * younger than BUILD_LOCK_STALE_MS (an older one is removed and claimed anew), or the directory
 * cannot be used. Never throws, never waits: one builder at a time, however many runs start.
 */
export function claimBuild(directory: string, kind: CacheKind, key: string, recipe: string): { readonly lock: string } | { readonly busy: string } {
  const lock = buildLockPath(directory, kind, key);
  const unwritable = writableDirectory(directory);
  if (unwritable !== null) return { busy: unwritable };
  try {
    if (Date.now() - lstatSync(lock).mtimeMs < BUILD_LOCK_STALE_MS) return { busy: 'another process is building them' };
    rmSync(lock, { force: true });
  } catch {
    // No lock: claim it below.
  }
  try {
    // 'wx': of two runs that claim at once, one creates the file and the other fails here.
    writeFileSync(lock, recipe, { mode: 0o600, flag: 'wx' });
    return { lock };
  } catch (error) {
    return { busy: (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'another process is building them' : `cannot write the cache: ${String(error)}` };
  }
}

/** Whether the entry `kind`/`key` is in `directory` (not whether it is sound: a read checks that). */
export function hasEntry(directory: string, kind: CacheKind, key: string): boolean {
  return isPresent(cachePath(directory, kind, key));
}

/**
 * Writes a whole entry file (`writeCache`'s, or `encodePartedEntry`'s: the concatenation of
 * `file`'s arrays) for `key` atomically; returns an error message instead of throwing.
 */
export function writeCacheFile(directory: string, kind: CacheKind, key: string, file: readonly Uint8Array[]): string | null {
  const target = cachePath(directory, kind, key);
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const unwritable = writableDirectory(directory);
  if (unwritable !== null) return unwritable;
  try {
    // 'wx': a name someone else planted (a link, a FIFO) is an error, never followed or opened.
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      for (const part of file) {
        for (let written = 0; written < part.length; ) written += writeSync(fd, part, written);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
    pruneCache(directory, target);
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

/**
 * Keeps `directory` under `budget` bytes of entries: removes the entries used longest ago (by
 * mtime: written, or marked used by a hit) until it is, never `written` (the entry just written);
 * and removes temporary files older than STALE_TEMPORARY_MS. Touches nothing else (only names an
 * entry or a temporary file of this module has) and never throws: a file it cannot remove stays.
 */
export function pruneCache(directory: string, written: string, budget = CACHE_BUDGET_BYTES): void {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return;
  }
  const now = Date.now();
  const entries: Array<{ readonly path: string; readonly bytes: number; readonly usedAt: number }> = [];
  let total = 0;
  for (const name of names) {
    const isTemporary = TEMPORARY_NAME.test(name);
    if (!isTemporary && !ENTRY_NAME.test(name)) continue;
    const path = join(directory, name);
    try {
      const stat = lstatSync(path);
      if (!stat.isFile()) continue;
      if (isTemporary) {
        if (now - stat.mtimeMs > STALE_TEMPORARY_MS) rmSync(path, { force: true });
        continue;
      }
      total += stat.size;
      if (path !== written) entries.push({ path, bytes: stat.size, usedAt: stat.mtimeMs });
    } catch {
      // Gone already (another run pruned it), or not ours to remove.
    }
  }
  if (total <= budget) return;
  entries.sort((a, b) => a.usedAt - b.usedAt);
  for (const entry of entries) {
    if (total <= budget) break;
    try {
      rmSync(entry.path, { force: true });
      total -= entry.bytes;
    } catch {
      // Not removable: it stays, and so does what it holds.
    }
  }
}

/**
 * Copies into the cache `directory` each entry of `from` (default INSTALL_TIME_DIRECTORY; null:
 * none) that it lacks; returns what it did, a line each, for --verbose: one for what it copied
 * and one per entry it could not (nothing when there was nothing to do). Only regular files of
 * entry names of the kinds this version has, in a directory and files that no one but this user or root could have written; a
 * copy is checked as any entry is when it is read. Never throws: the run compiles what it misses.
 */
export function seedCache(directory: string, from: string | null = SEED_DIRECTORY): string[] {
  if (from === null) return [];
  let names: string[];
  try {
    names = readdirSync(from);
  } catch {
    return []; // no install-time cache: a checkout not built, an install without one
  }
  // A kind this version does not know (a newer install's) is never read, so never missed.
  const missing = names.filter((name) => CACHE_KINDS.includes(ENTRY_NAME.exec(name)?.[1] as CacheKind) && !isPresent(join(directory, name)));
  if (missing.length === 0) return [];
  const untrusted = untrustedDirectory(from, 'user or root') ?? writableDirectory(directory);
  if (untrusted !== null) return [`install-time cache: ${untrusted}`];
  const copied: string[] = [];
  const failures: string[] = [];
  for (const name of missing) {
    const [, kind, key] = ENTRY_NAME.exec(name)!;
    const read = readPrivateFile(join(from, name), MAX_ENTRY_BYTES, 'user or root');
    if ('miss' in read) {
      failures.push(`install-time cache: ${name}: ${read.miss}`);
      continue;
    }
    const failure = writeCacheFile(directory, kind as CacheKind, key!, [read.bytes]);
    if (failure === null) copied.push(kind!);
    else {
      // A cache that refused one write (a read-only file system, a full disk) refuses the others:
      // not read at every start in vain.
      failures.push(`install-time cache: ${name}: ${failure}`);
      break;
    }
  }
  return [...(copied.length === 0 ? [] : [`install-time cache: copied ${[...new Set(copied)].join(', ')}`]), ...failures];
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
