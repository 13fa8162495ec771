/**
 * The typed face of the native addon (source in native/, built in place by the package's install
 * script where libvectorscan is present), and its loader. native/src/addon.cc documents each call; the types here mirror it.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

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
  /** Which copy of Vectorscan's runtime the streams use (native/src/addon.cc explains the choice). */
  runtime(): string;
  validPlatform(): boolean;
  /** Not Vectorscan: widens a pipe for src/sources/input.ts; the capacity afterwards, or -1 (no pipe, no such call). */
  widenPipe(fd: number, bytes: number): number;
}

export function isNativeCompileError(error: unknown): error is NativeCompileError {
  return error instanceof Error && (error as Partial<NativeCompileError>).code === 'HS_COMPILER_ERROR';
}

/**
 * Inputs a correct Vectorscan matches, which a known-broken build does not: the AVX-512 copy of
 * Debian's 5.4.9 runtime finds nothing in the second one (native/src/addon.cc, "Runtime").
 */
const CANARIES: ReadonlyArray<{ readonly expression: string; readonly input: string; readonly end: number }> = [
  { expression: 'W[a-z ]+W', input: 'Wab cdW', end: 7 },
  { expression: 'W[a-z ]+W', input: `${'a'.repeat(64)}Wab cdW`, end: 71 },
];

/** Null when the addon finds every canary's match, else what it missed (it must not be used then). */
export function missedCanary(addon: Addon): string | null {
  for (const { expression, input, end } of CANARIES) {
    const database = addon.compile([expression], Uint32Array.of(0), Uint32Array.of(0), Float64Array.of(input.length), addon.constants.HS_MODE_STREAM);
    const [spans] = scanEach(database, [Buffer.from(input, 'latin1')]);
    if (spans?.length !== 1 || spans[0]?.end !== end) return `/${expression}/ on ${input.length} bytes ending in ${JSON.stringify(input.slice(-7))}`;
  }
  return null;
}

/**
 * A match whose two-byte anchor a write cuts (`c_`, 36 bytes into the first write), which Debian
 * 12's Vectorscan 5.4.9 loses in streaming mode: its double-shufti accelerator skips a scan call's
 * last byte when that byte begins such an anchor (VectorCamp/vectorscan#402, fixed upstream in
 * 2026). The fuzz target found it on an Authress key cut after its `sc`.
 */
const CUT_ANCHOR = { expression: String.raw`(?:sc|ext)_[0-9a-z]{5,30}\.[0-9a-z]{4,6}\.acc`, writes: [`${'x'.repeat(36)} sc`, '_kmv9hriafiafe.ckmb.acc'] };

const cutAnchorLosses = new WeakMap<Addon, boolean>();

/**
 * Whether `addon` loses the match of {@link CUT_ANCHOR} (once per addon: a compile, ~2 ms). Such a
 * Vectorscan leaks secrets that a read cuts at the wrong byte, so `--engine auto` does not choose it.
 */
export function losesCutAnchors(addon: Addon): boolean {
  let loses = cutAnchorLosses.get(addon);
  if (loses === undefined) {
    const database = addon.compile([CUT_ANCHOR.expression], Uint32Array.of(0), Uint32Array.of(0), Float64Array.of(64), addon.constants.HS_MODE_STREAM);
    const stream = database.open();
    try {
      let spans = 0;
      for (const write of CUT_ANCHOR.writes) spans += stream.scan(Buffer.from(write, 'latin1'));
      loses = spans + stream.end() === 0;
    } finally {
      stream.close();
    }
    cutAnchorLosses.set(addon, loses);
  }
  return loses;
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
    answers.map((answer) => answer.input),
  );
  return answers.find((answer, position) => !found[position]?.some((span) => span.id === answer.id)) ?? null;
}

/** The spans `database` reports on each input, each scanned as a whole stream of its own. */
function scanEach(database: NativeDatabase, inputs: readonly Uint8Array[]): Array<Array<{ readonly id: number; readonly end: number }>> {
  const stream = database.open();
  try {
    return inputs.map((input) => {
      const found: Array<{ id: number; end: number }> = [];
      const collect = (count: number): void => {
        const spans = stream.spans();
        for (let at = 0; at < count * 3; at += 3) found.push({ id: spans[at] ?? -1, end: spans[at + 2] ?? -1 });
      };
      collect(stream.scan(input));
      collect(stream.end()); // which also takes the stream back to offset 0 for the next input
      return found;
    });
  } finally {
    stream.close();
  }
}

/** The addon, or why it could not be loaded. */
export type AddonLoad = { readonly addon: Addon; readonly from: string } | { readonly error: Error };

let loaded: AddonLoad | undefined;

/**
 * Loads the addon once per thread from native/ of this package, where the package's install script
 * built it (`npm rebuild sseredact` builds it again). `SSEREDACT_VECTORSCAN=off` in the
 * environment makes it unavailable (to run as on a machine without Vectorscan). Never throws.
 */
export function loadAddon(): AddonLoad {
  if (process.env.SSEREDACT_VECTORSCAN === 'off') {
    return { error: new Error('the vectorscan addon is disabled by SSEREDACT_VECTORSCAN=off') };
  }
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  // src/engine/vectorscan/ and dist/engine/vectorscan/ are both three levels below the root.
  const path = fileURLToPath(new URL('../../../native/index.js', import.meta.url));
  const errors: string[] = [];
  try {
    const addon = require(path) as Addon;
    if (typeof addon.compile !== 'function' || typeof addon.version !== 'function') {
      errors.push(`${path}: not the sseredact vectorscan addon`);
    } else if (!addon.validPlatform()) {
      errors.push(`${path}: this CPU lacks the instructions Vectorscan was built for`);
    } else {
      // Fail closed: a runtime that misses a match would let secrets through.
      const missed = missedCanary(addon);
      if (missed === null) {
        loaded = { addon, from: path };
        return loaded;
      }
      errors.push(`${path}: Vectorscan ${addon.version().trim()} misses matches on this CPU (${missed}; runtime: ${addon.runtime()})`);
    }
  } catch (error) {
    errors.push(`${path}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  loaded = { error: new Error(`the vectorscan addon is not available (${errors.join('; ')})`) };
  return loaded;
}
