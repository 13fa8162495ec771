/**
 * The typed face of the native addon (source in native/, loaded by ./native.ts), and its loader
 * on a runtime copy that finds every canary. native/src/addon.cc documents each call; the types
 * here mirror it.
 */
import { defaultCacheDirectory } from '../../cache.js';
import { NATIVE_PATH, nativeModule } from './native.js';
import { type RuntimeChoice, chooseRuntimeCached } from './runtime-cache.js';

/** Flag and mode bits of Vectorscan's hs_compile.h. */
export interface AddonConstants {
  readonly HS_FLAG_CASELESS: number;
  readonly HS_FLAG_DOTALL: number;
  readonly HS_FLAG_MULTILINE: number;
  readonly HS_FLAG_SINGLEMATCH: number;
  readonly HS_FLAG_ALLOWEMPTY: number;
  readonly HS_FLAG_PREFILTER: number;
  readonly HS_FLAG_SOM_LEFTMOST: number;
  readonly HS_MODE_STREAM: number;
  readonly HS_MODE_SOM_HORIZON_LARGE: number;
  readonly HS_MODE_SOM_HORIZON_MEDIUM: number;
  readonly HS_MODE_SOM_HORIZON_SMALL: number;
}

/** One stream's state. Spans come out as triples (pattern id, start, end) in {@link spans}. */
export interface NativeStream {
  /** Scans the next chunk; returns how many spans it wrote to `spans()`. Throws on hs errors. */
  scan(chunk: Uint8Array): number;
  /**
   * Starts scanning the next chunk on a thread of its own and returns at once; the chunk's bytes
   * must not change, and no other call be made on the stream, until {@link scanFinish}.
   */
  scanStart(chunk: Uint8Array): void;
  /** Waits for the scan {@link scanStart} began; returns what `scan(chunk)` would have. Throws on hs errors. */
  scanFinish(): number;
  /** Reports what only the end decides, then resets the stream to offset 0; returns the count. */
  end(): number;
  /** The output array; replaced by a larger one when a call returns more spans than it holds. */
  spans(): Float64Array;
  reset(): void;
  /** Frees the stream state now instead of at garbage collection; later calls throw. */
  close(): void;
}

export interface NativeDatabase {
  /** Bytes of the compiled database. */
  size(): number;
  /** Bytes of state each open stream holds. */
  streamSize(): number;
  /** Vectorscan's description, e.g. "Version: 5.4.9 Features: AVX2 Mode: STREAM". */
  info(): string;
  serialize(): Uint8Array;
  open(): NativeStream;
}

/** What `compile` throws for a pattern Vectorscan refuses (an Error with these fields). */
export interface NativeCompileError extends Error {
  readonly code: 'HS_COMPILER_ERROR';
  /** Index in the expression list, or -1 when the error is about the whole set. */
  readonly expression: number;
  /** The pattern id of that expression. */
  readonly id?: number;
  /** Vectorscan's own message. */
  readonly hsMessage: string;
}

export interface Addon {
  readonly constants: AddonConstants;
  compile(expressions: readonly string[], flags: Uint32Array, ids: Uint32Array, maxWidths: Float64Array, mode: number): NativeDatabase;
  /** `ids`, `maxWidths` and `flags` as given to compile() (start-of-match flags change what a report means). */
  deserialize(bytes: Uint8Array, ids: Uint32Array, maxWidths: Float64Array, flags: Uint32Array): NativeDatabase;
  /** Compiles one expression alone; null when Vectorscan takes it, else its error message. */
  check(expression: string, flags: number, mode: number): string | null;
  platform(): { readonly tune: number; readonly cpuFeatures: number };
  version(): string;
  /** The copy of Vectorscan's runtime that databases made from now on, in this thread, run on. */
  runtime(): string;
  /** The copies this CPU can run, fastest first (native/src/addon.cc, "Runtimes"); never empty. */
  runtimes(): string[];
  /** Makes `name` (one of runtimes()) the copy for databases compiled or loaded from now on, in this thread. */
  useRuntime(name: string): void;
  validPlatform(): boolean;
  /** Not Vectorscan: widens a pipe for src/sources/input.ts; the capacity afterwards, or -1 (no pipe, no such call). */
  widenPipe(fd: number, bytes: number): number;
}

export function isNativeCompileError(error: unknown): error is NativeCompileError {
  return error instanceof Error && (error as Partial<NativeCompileError>).code === 'HS_COMPILER_ERROR';
}

/**
 * Inputs a correct Vectorscan matches, which a known-broken runtime copy does not
 * (native/src/addon.cc, "Runtimes"). Debian 12's 5.4.9: the AVX-512 copy finds nothing in the
 * second (VectorCamp/vectorscan#378); the AVX-512 and AVX2 copies lose the third, whose two-byte
 * anchor `c_` a write cuts 36 bytes into the stream (double-shufti skips a scan call's last byte
 * when it begins a pair, VectorCamp/vectorscan#402; the fuzz target found it on an Authress key).
 * Both fixed upstream in 2026. Each stream's writes are scanned in turn.
 */
const CANARIES: ReadonlyArray<{ readonly expression: string; readonly streams: ReadonlyArray<{ readonly writes: readonly string[]; readonly end: number }> }> = [
  {
    expression: 'W[a-z ]+W',
    streams: [
      { writes: ['Wab cdW'], end: 7 },
      { writes: [`${'a'.repeat(64)}Wab cdW`], end: 71 },
    ],
  },
  {
    expression: String.raw`(?:sc|ext)_[0-9a-z]{5,30}\.[0-9a-z]{4,6}\.acc`,
    streams: [{ writes: [`${'x'.repeat(36)} sc`, '_kmv9hriafiafe.ckmb.acc'], end: 62 }],
  },
];

/**
 * Null when the addon's current runtime finds every canary's match, else what it missed: a
 * runtime that misses one must not be used, since it would let secrets through.
 */
export function missedCanary(addon: Addon): string | null {
  for (const { expression, streams } of CANARIES) {
    const maxWidth = Math.max(...streams.map(({ end }) => end));
    const database = addon.compile([expression], Uint32Array.of(0), Uint32Array.of(0), Float64Array.of(maxWidth), addon.constants.HS_MODE_STREAM);
    const found = scanEach(
      database,
      streams.map(({ writes }) => writes.map((write) => Buffer.from(write, 'latin1'))),
    );
    const missed = streams.find(({ end }, at) => found[at]?.length !== 1 || found[at]![0]!.end !== end);
    if (missed !== undefined) {
      const input = missed.writes.join('');
      const cut = missed.writes.length > 1 ? ` cut after ${missed.writes[0]!.length}` : '';
      return `/${expression}/ on ${input.length} bytes ending in ${JSON.stringify(input.slice(-7))}${cut}`;
    }
  }
  return null;
}

/** An input a database must report pattern `id` somewhere in (a rule's own example). */
export interface KnownAnswer {
  readonly id: number;
  readonly input: Uint8Array;
}

/**
 * The first known answer `database` does not report, or null: run on a database loaded from disk
 * before it is trusted, since one that reports nothing would turn detection off.
 */
export function missedKnownAnswer(database: NativeDatabase, answers: readonly KnownAnswer[]): KnownAnswer | null {
  const found = scanEach(
    database,
    answers.map((answer) => [answer.input]),
  );
  return answers.find((answer, position) => !found[position]?.some((span) => span.id === answer.id)) ?? null;
}

/** The spans `database` reports on each stream, given as its writes, each stream scanned on its own. */
function scanEach(database: NativeDatabase, streams: ReadonlyArray<readonly Uint8Array[]>): Array<Array<{ readonly id: number; readonly end: number }>> {
  const stream = database.open();
  try {
    return streams.map((writes) => {
      const found: Array<{ id: number; end: number }> = [];
      const collect = (count: number): void => {
        const spans = stream.spans();
        for (let at = 0; at < count * 3; at += 3) found.push({ id: spans[at] ?? -1, end: spans[at + 2] ?? -1 });
      };
      for (const write of writes) collect(stream.scan(write));
      collect(stream.end()); // which also takes the stream back to offset 0 for the next one
      return found;
    });
  } finally {
    stream.close();
  }
}

/**
 * Makes the fastest runtime copy that finds every canary the addon's runtime (useRuntime), and
 * says why each faster one was passed over; runtime null when none finds them all. Fail closed: a
 * copy that misses a match would let secrets through.
 */
export function chooseRuntime(addon: Addon): RuntimeChoice {
  const passedOver: string[] = [];
  for (const runtime of addon.runtimes()) {
    addon.useRuntime(runtime);
    const missed = missedCanary(addon);
    if (missed === null) return { runtime, passedOver };
    passedOver.push(`${runtime} misses ${missed}`);
  }
  return { runtime: null, passedOver };
}

/**
 * The addon on the first runtime copy that finds every canary, with the faster copies passed over
 * and why, whether that choice came from the cache (./runtime-cache.ts) and why not; or why it
 * could not be loaded.
 */
export type AddonLoad =
  | { readonly addon: Addon; readonly from: string; readonly passedOver: readonly string[]; readonly runtimeCached: boolean; readonly notes: readonly string[] }
  | { readonly error: Error };

let loaded: AddonLoad | undefined;

/**
 * Loads the addon once per thread from native/ of this package, where the package's install script
 * built it (`npm rebuild sseredact` builds it again), on the runtime copy cached in
 * `cacheDirectory` (null: none) or chosen by the canaries. `SSEREDACT_VECTORSCAN=off` in the
 * environment makes it unavailable (to run as on a machine without Vectorscan). Never throws.
 */
export function loadAddon(cacheDirectory: string | null = defaultCacheDirectory()): AddonLoad {
  if (process.env.SSEREDACT_VECTORSCAN === 'off') {
    return { error: new Error('the vectorscan addon is disabled by SSEREDACT_VECTORSCAN=off') };
  }
  if (loaded !== undefined) return loaded;
  const path = NATIVE_PATH;
  const errors: string[] = [];
  try {
    const addon = nativeModule() as Addon;
    if (typeof addon.compile !== 'function' || typeof addon.version !== 'function') {
      // native/binding.gyp builds widenPipe alone where hs.h is missing.
      errors.push(`${path}: built without Vectorscan (its headers were not found at install)`);
    } else if (!addon.validPlatform()) {
      errors.push(`${path}: this CPU lacks the instructions Vectorscan was built for`);
    } else {
      const choice = chooseRuntimeCached(addon, cacheDirectory, JSON.stringify(CANARIES), () => chooseRuntime(addon));
      if (choice.runtime !== null) {
        loaded = { addon, from: path, passedOver: choice.passedOver, runtimeCached: choice.cached, notes: choice.notes };
        return loaded;
      }
      errors.push(`${path}: Vectorscan ${addon.version().trim()} misses matches on this CPU (${choice.passedOver.join('; ')})`);
    }
  } catch (error) {
    // dlopen's message names the file already.
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    errors.push(message.startsWith(path) ? message : `${path}: ${message}`);
  }
  loaded = { error: new Error(`the vectorscan addon is not available (${errors.join('; ')})`) };
  return loaded;
}
