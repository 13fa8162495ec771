/**
 * Which of the last bytes scanned a secret still unknown could cover: the analysis behind minimal
 * holdback (DESIGN §3.4), the same for every engine.
 *
 * An engine's horizon bounds where a match it has not reported may *start*; that is what the
 * confirmer needs, but it is too coarse for what may be emitted. Vectorscan knows only match ends,
 * so its horizon is the last newline or the widest rule back; the ts engine's is tighter but still
 * covers the current token for rules whose head is a class run. What a redactor may not emit yet
 * is smaller: the bytes that the *secret* of a match still in flight could cover. So, over the
 * bytes from the engine's horizon on, this module finds the earliest byte that lies inside the
 * secret group of some match that started at or after the horizon and is still in flight at the
 * last byte scanned (a prefix of a match, or a whole match whose end is not decided yet):
 *
 *     "The quick brown fox"   nothing in flight covers a byte: all may leave
 *     "Password: "            generic-password is in flight, but its secret (the value) has not begun
 *     "key sk-ant-ap"         `sk-ant-ap` is the start of an Anthropic key, whose secret is the whole match
 *     "token Zq8Lr2"          the current token could be the head of a class-run rule (a 52-byte PAT)
 *
 * How: each rule's whole tree, relaxed much as the ts engine relaxes it (assertions dropped, large
 * counts unbounded after their first copies: a superset, so it never misses a match), as one
 * position (Glushkov) automaton in which the positions inside the rule's secret group are marked.
 * A position `p` at byte `j` lies on a match in flight iff some match start in the tail reaches
 * `p` at `j` (forward) and `p` at `j` leads on to a thread alive after the last byte (backward).
 * Both are lazy DFAs over sets of positions (../engine/ts/dfa.ts) run over the tail only: forward
 * over the whole tail, then backward from the threads alive at its end until none is left (for
 * most rules a space ends them), noting the earliest byte whose two sets share a secret position.
 * A tail is at most the widest rule, and usually the end of one line.
 *
 * At a boundary the reader sees (an SSE event's end, StreamRedactor.release) the same pass also
 * finds the earliest byte covered by a secret position that *tells* something of the secret: not
 * a literal byte (positions of the rule's text, such as `sk-ant-`), and, for the `inner` bound,
 * not in the head run of a long anchored secret either (SECRET_HEAD in positions.ts).
 *
 * Memory: two DFAs per rule set, each with its own bounded state cache (flushed when full), a
 * bounded memo of state pairs, and one Int32Array as long as the longest tail analysed.
 *
 * First use: building the automata parses and relaxes every rule (0.3-2 s on the built-in pack),
 * so they are kept in the ts engine's compile cache (../engine/ts/automaton-cache.ts) for the
 * rule sets a command or the library marks with useInFlightCache; a redacting command that
 * builds its set's programs in the background builds them there too (cacheInFlightAutomata).
 */
import { hasEntry } from '../cache.js';
import { inFlightKey, readInFlightAutomata, writeInFlightAutomata } from '../engine/ts/automaton-cache.js';
import { LazyDfa } from '../engine/ts/dfa.js';
import { type InFlightAutomata, SECRET_HEAD, SECRET_INNER, buildInFlightAutomata } from '../engine/ts/positions.js';
import { type CompiledRule, enclosingSecretGroups } from '../rules/compile.js';

/**
 * Bytes of states kept per DFA before its cache is flushed (LazyDfa's estimate: ~540 bytes a state
 * on the built-in pack, now that states' positions share one slab, so ~3,900 states). Tails are
 * short line ends and most of their bytes need a new state; a flush throws the warm ones away with
 * the rest. Over 256 MiB of CI log (1 MiB writes) a cap of 512 states flushed 35 times and built
 * 26,579 states; this cap (at ~650 bytes a state then), twice and 19,833.
 */
const MAX_BYTES_EACH = 2 * 1024 * 1024;

/** Pairs of states remembered (their product could reach millions between two flushes). */
const MAX_SHARED_ENTRIES = 65536;

export interface InFlightAnalysis {
  /**
   * The earliest absolute offset in `[offset, offset + tail.length]` that the secret of a match
   * still in flight at the tail's end could cover, counting only matches that start in the tail;
   * `offset + tail.length` when there is none. `tail` holds the bytes from `offset` (the engine's
   * horizon) to the last byte scanned.
   */
  secretHorizon(tail: Uint8Array, offset: number): number;
  /**
   * The same bound, and two looser ones for a boundary the reader sees (SecretHorizons): what a
   * release there may leave out of the hold. The object is reused by the next call.
   */
  secretHorizons(tail: Uint8Array, offset: number): SecretHorizons;
  /**
   * Whether some match starting in `tail` may still be in flight after its last byte (a
   * superset: a thread that has just accepted counts). False means no match starting in `tail`
   * is still undecided: a stream may be cut there (StreamRedactor.isAtCleanPoint).
   */
  isMatchInFlight(tail: Uint8Array): boolean;
}

/** Earliest offsets (as {@link InFlightAnalysis.secretHorizon}) that a secret in flight could cover… */
export interface SecretHorizons {
  /** …with any byte: the strict bound. */
  any: number;
  /** …with a byte that tells something of it: literal bytes (`sk-ant-ap` of a key) left out. */
  telling: number;
  /** …with a byte that is neither literal nor in a long anchored secret's head run (SECRET_HEAD). */
  inner: number;
}

/** Per rule set: the analysis is built (or read) once and shared by every stream (like the engine's database). */
const analyses = new WeakMap<readonly CompiledRule[], InFlightAnalysis>();

interface CacheUse {
  readonly cacheDirectory: string;
  readonly log: (message: string) => void;
}

/** Rule sets that use the cache (useInFlightCache): where to read the automata from, or cache them once built. */
const caches = new WeakMap<readonly CompiledRule[], CacheUse>();

export function inFlightAnalysis(rules: readonly CompiledRule[]): InFlightAnalysis {
  let analysis = analyses.get(rules);
  if (analysis === undefined) {
    analysis = createAnalysis(cachedAutomata(rules) ?? buildAutomata(indexed(rules)));
    analyses.set(rules, analysis);
  }
  return analysis;
}

/** The automata of `rules` from their cache; on a miss, built and cached. Null for rules that use no cache. */
function cachedAutomata(rules: readonly CompiledRule[]): InFlightAutomata | null {
  const cache = caches.get(rules);
  if (cache === undefined) return null;
  const regex = indexed(rules);
  const key = keyOf(regex);
  const cached = readInFlightAutomata(cache.cacheDirectory, key, cache.log);
  if (cached !== null) return cached;
  const built = buildAutomata(regex);
  writeInFlightAutomata(cache.cacheDirectory, key, built, cache.log);
  return built;
}

export interface CacheOptions {
  /** The compile cache directory (src/cache.ts). */
  readonly cacheDirectory: string;
  /** Told about cache misses and write failures. */
  readonly log?: (message: string) => void;
}

/**
 * Keeps the in-flight analysis of `rules` in the compile cache: its first use reads it from there
 * (tens of milliseconds on the built-in pack, against 0.3-2 s to build) or builds and caches it.
 * Not read ahead: a clean line that ends in a newline never needs it, and reading it in the
 * background would hold such a line up. Never throws for the cache.
 */
export function useInFlightCache(rules: readonly CompiledRule[], options: CacheOptions): void {
  if (!analyses.has(rules)) caches.set(rules, { cacheDirectory: options.cacheDirectory, log: options.log ?? (() => {}) });
}

/**
 * Caches the in-flight automata of a set whose regex rules are `rules`, in order, at `indexes` in
 * the set, unless they are cached already: what the background program builder
 * (src/rules/program-builder.ts) does for a redacting run's set, so that no run builds them on its
 * hot path (0.3-2 s of the first line held mid-secret, on a set the size of the built-in pack).
 * A failure is told to `log`.
 */
export function cacheInFlightAutomata(rules: readonly CompiledRule[], indexes: readonly number[], cacheDirectory: string, log: (message: string) => void): void {
  const regex = rules.map((rule, at) => ({ rule, index: indexes[at]! }));
  const key = keyOf(regex);
  if (!hasEntry(cacheDirectory, 'ts', key)) writeInFlightAutomata(cacheDirectory, key, buildAutomata(regex), log);
}

/** A regex rule and its index in its set (a builder process compiles a set's regex rules alone: theirs are not). */
interface IndexedRule {
  readonly rule: CompiledRule;
  readonly index: number;
}

/** The regex rules of `rules`: literal sets keep their own exact horizon (engine/literal/) and have no tree. */
function indexed(rules: readonly CompiledRule[]): IndexedRule[] {
  return rules.filter((rule) => rule.literals === null).map((rule) => ({ rule, index: rule.index }));
}

/** The cache key: what decides the automata (each rule's index, pattern, cap and secret group); computing it parses no rule. */
function keyOf(rules: readonly IndexedRule[]): string {
  return inFlightKey(rules.map(({ rule, index }) => ({ index, source: rule.source, secretGroups: enclosingSecretGroups(rule.secretGroup) })));
}

function buildAutomata(rules: readonly IndexedRule[]): InFlightAutomata {
  return buildInFlightAutomata(rules.map(({ rule, index }) => ({ index, ast: rule.ast, secretGroups: enclosingSecretGroups(rule.secretGroup) })));
}

function createAnalysis(automata: InFlightAutomata): InFlightAnalysis {
  const forward = new LazyDfa(automata.forward, undefined, MAX_BYTES_EACH);
  const backward = new LazyDfa(automata.backward, undefined, MAX_BYTES_EACH);
  const { secretKind } = automata;
  /** Per byte of the tail: the forward DFA state after it (threads started in the tail, alive there). */
  let forwardStates = new Int32Array(64);
  /** The same positions as a backward state, per forward state id (valid for one pair of generations). */
  const asBackward = new Map<number, number>();
  /** The kinds of secret positions a forward and a backward state share, as bits `1 << kind`: key forward * 2^15 + backward. */
  const sharedKinds = new Map<number, number>();
  let forwardGeneration = forward.generation;
  let backwardGeneration = backward.generation;

  /** Drops what the caches know when either DFA flushed; true when one did. */
  const isFlushed = (): boolean => {
    if (forward.generation === forwardGeneration && backward.generation === backwardGeneration) return false;
    asBackward.clear();
    sharedKinds.clear();
    forwardGeneration = forward.generation;
    backwardGeneration = backward.generation;
    return true;
  };
  const kindsShared = (from: number, to: number): number => {
    const key = from * 32768 + to;
    const known = sharedKinds.get(key);
    if (known !== undefined) return known;
    const kinds = forward.sharedKinds(from, backward, to, secretKind) & ~1; // kind 0: outside the secret
    if (sharedKinds.size >= MAX_SHARED_ENTRIES) sharedKinds.clear();
    sharedKinds.set(key, kinds);
    return kinds;
  };
  const horizons: SecretHorizons = { any: 0, telling: 0, inner: 0 };
  const TELLING = (1 << SECRET_HEAD) | (1 << SECRET_INNER);
  const INNER = 1 << SECRET_INNER;

  /** Fills `horizons` for the tail (see InFlightAnalysis). */
  const analyse = (tail: Uint8Array, offset: number): SecretHorizons => {
    const length = tail.length;
    horizons.any = horizons.telling = horizons.inner = offset + length;
    if (length === 0) return horizons;
    if (forwardStates.length < length) forwardStates = new Int32Array(Math.max(length, forwardStates.length * 2));
    isFlushed();
    // Forward: the threads started in the tail, after each byte.
    let at = 0;
    for (let j = 0; j < length; j++) {
      at = forward.next(at, tail[j]!);
      forwardStates[j] = at;
    }
    if (at === 0) return horizons;
    // Backward from the threads alive at the end: where each of them was at each byte.
    let back = asBackward.get(at);
    if (back === undefined) {
      back = backward.intern(forward.positionsOf(at));
      asBackward.set(at, back);
    }
    // A flush meanwhile made the recorded states stale: hold the whole tail (the next call rebuilds).
    const holdAll = (): SecretHorizons => {
      horizons.any = horizons.telling = horizons.inner = offset;
      return horizons;
    };
    if (isFlushed()) return holdAll();
    let any = length;
    let telling = length;
    let inner = length;
    for (let j = length - 1; back !== 0; j--) {
      const kinds = kindsShared(forwardStates[j]!, back);
      if (kinds !== 0) {
        any = j;
        if ((kinds & TELLING) !== 0) telling = j;
        if ((kinds & INNER) !== 0) inner = j;
      }
      if (j === 0) break;
      back = backward.next(back, tail[j - 1]!);
      if (isFlushed()) return holdAll();
    }
    horizons.any = offset + any;
    horizons.telling = offset + telling;
    horizons.inner = offset + inner;
    return horizons;
  };

  return {
    secretHorizon: (tail, offset) => analyse(tail, offset).any,
    secretHorizons: analyse,
    isMatchInFlight(tail) {
      let at = 0;
      for (let j = 0; j < tail.length; j++) at = forward.next(at, tail[j]!);
      return at !== 0;
    },
  };
}
