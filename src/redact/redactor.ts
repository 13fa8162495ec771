/**
 * The stream redactor: bytes in, redacted bytes out, with exactly the output the oracle gives on
 * the whole stream however the input is chunked (DESIGN §3.1).
 *
 * Each write scans the chunk, confirms what has become decidable, then emits every byte that no
 * finding still unknown could cover (DESIGN §3.4), except merged secret regions that a later
 * finding could still extend (a region is emitted once its end lies before that bound, since spans
 * that touch merge). Two bounds, both absolute offsets:
 * - `retainedFrom = min(engine horizon, earliest undecided start, emittedUpTo)`: every match
 *   starting before it is reported and decided. The buffer keeps the bytes from it on (plus one
 *   byte of left context), and the confirmer takes it as the floor of new candidates' starts.
 * - the emit bound `min(secret horizon, earliest undecided secret)`: no finding not yet known can
 *   have a secret starting before it. The secret horizon (./in-flight.ts) covers matches of
 *   regex rules starting at or after the engine horizon, the scanner's exact secret horizon the
 *   literal sets (engine/literal/) in flight; the confirmer's searches cover the undecided starts before
 *   it. A match in flight may start before the emit bound: `Password: ` leaves before its value.
 *
 * The findings whose secrets start before the emit bound are final, so they are merged into
 * regions in (start, rule) order, exactly as the oracle merges the whole stream's findings, and
 * the rest wait. A region takes in each next finding that overlaps or touches it until it spans
 * MAX_REGION bytes; then it is full, and a finding that reaches past it starts the next region at
 * its end (see replace.ts). A region is emitted once nothing can join it: it lies before the
 * emit bound (a full one may end at it).
 *
 * Findings are reported when their region is emitted, sorted by (start, rule), so the order of
 * findings, like the bytes, does not depend on chunking.
 *
 * Memory: the holdback buffer keeps only the bytes from the first unemitted one on: O(chunk + the
 * widest rule + MAX_REGION), however long a run of touching or overlapping secrets is.
 */
import type { BackgroundWrite, Scanner } from '../engine/engine.js';
import { SseredactError } from '../errors.js';
import type { RuleSet } from '../rules/ruleset.js';
import type { Finding, LocatedFinding, Match, Span } from '../types.js';
import { Confirmer } from './confirm.js';
import { HoldbackBuffer } from './holdback.js';
import { type InFlightAnalysis, inFlightAnalysis } from './in-flight.js';
import { MAX_REGION, type Replacement, regionRuleId, renderReplacement } from './replace.js';

interface ReplacementOptions {
  readonly replacement: Replacement;
  /**
   * Per rule index, the rule's own replacement (a PII rule's `[EMAIL:{hash}]`); used for a region
   * when every finding in it comes from rules that agree on one, `replacement` otherwise.
   */
  readonly ruleReplacements?: ReadonlyArray<Replacement | undefined>;
  /**
   * What write, end and release return may be views of the redactor's buffer, valid only until
   * its next call: for a caller done with each output before it feeds more (the CLI, whose sink
   * resolves once it has written the bytes). Without it, outputs are the caller's to keep (copies).
   */
  readonly lendsOutput?: boolean;
}

/**
 * `onFinding` is called for each finding, in stream order, when its region is emitted: with its
 * line and column, unless `locate` is false. Locating counts every newline of the stream (about a
 * tenth of the redactor's time on a log), so a caller that only counts findings turns it off.
 */
export type RedactOptions = ReplacementOptions &
  ({ readonly locate?: true; readonly onFinding?: (finding: LocatedFinding) => void } | { readonly locate: false; readonly onFinding?: (finding: Finding) => void });

export interface StreamRedactor {
  /**
   * Feeds the next bytes of the stream; returns the bytes now safe to emit, redacted (may be empty).
   * `isFollowed`: the caller already reads the stream's next bytes and writes them at once, or, if
   * that read finds none yet, an empty chunk (or calls end()) before it waits for more. The bytes
   * after the engine's horizon (a line's unfinished end) then wait for that call, as if both
   * writes were one, instead of going through the in-flight analysis: a lazy DFA over text it
   * has mostly never seen, which cost about twice the rest of the redactor per 1 MiB write (CI log).
   * And where the engine can scan on another thread (vectorscan), followed chunks are scanned
   * there while the writes after them confirm and emit what came before: a followed chunk's bytes
   * come out two calls later (see scanInBackground), which are made at once.
   */
  write(chunk: Uint8Array, isFollowed?: boolean): Uint8Array;
  /**
   * Ends the stream, after `last` when given (its final bytes: as `write(last)` then `end()`, without
   * deciding what of `last` could leave before the end); returns everything still held, redacted.
   */
  end(last?: Uint8Array): Uint8Array;
  /**
   * The reader sees a boundary here (an SSE event's end, where held text would wait for the next
   * event): returns what else may leave now. Beyond what `write` releases, that is the bytes
   * in-flight secrets could cover only with literal bytes (`sk-ant-ap`, which say nothing of a
   * key) or with the first MAX_RELEASED_HEAD bytes of a long secret's head run (any word can begin
   * `[A-Za-z0-9]{52}AZDO…`). A secret found later over released bytes is replaced from the first
   * byte still held, and its finding says how many had left (`released`).
   */
  release(): Uint8Array;
  /** How many bytes are held back right now. */
  readonly heldBytes: number;
  /**
   * Whether the stream may be cut after the last byte written: every byte is emitted, no finding
   * waits, and no match starting before that point can still be found. If that byte is a newline
   * and no rule asserts the stream's start (`^` without `(?m)`, `\A`), a new redactor fed the rest
   * of the stream gives the same output and findings (offsets counted from the cut) as this one:
   * the checkpoints of long file jobs (src/pipeline/checkpoint.ts) resume from such points.
   */
  isAtCleanPoint(): boolean;
}

/** A merged region: `[start, end)` and its findings in (start, rule) order. */
interface Region {
  start: number;
  end: number;
  /** LocatedFinding where the redactor locates findings. */
  readonly findings: Finding[];
}

const EMPTY = new Uint8Array(0);

/**
 * Bytes of a long secret's head run (SECRET_HEAD: at least 32-byte secrets, before their anchor)
 * that releases at boundaries may let out: a word of prose, out of a run of random bytes.
 */
export const MAX_RELEASED_HEAD = 12;

/** The fewest bytes scanned on another thread: handing them over costs tens of microseconds. */
const MIN_BACKGROUND_BYTES = 64 * 1024;

export function createStreamRedactor(ruleSet: RuleSet, options: RedactOptions): StreamRedactor {
  return new Redactor(ruleSet, options, null);
}

/**
 * Opens redactors that go back to a free list when they end, to be reset and handed out again:
 * SSE mode redacts each event with a fresh redactor, and opening engine streams (a native
 * Vectorscan stream above all) for every event costs allocations and GC pauses. A redactor from
 * the pool must not be used after its `end()`. `onFinding`, when given, takes the place of the
 * options' callback for that redactor (SSE mode places each unit's findings in the input itself);
 * it gets located findings exactly when the options ask for them.
 */
export function createRedactorPool(ruleSet: RuleSet, options: RedactOptions): (onFinding?: (finding: Finding) => void) => StreamRedactor {
  const free: Redactor[] = [];
  const recycle = (redactor: Redactor): void => {
    if (free.length < 64) free.push(redactor);
  };
  return (onFinding) => {
    const redactor = free.pop() ?? new Redactor(ruleSet, options, recycle);
    redactor.onFinding = onFinding ?? (options.onFinding as ((finding: Finding) => void) | undefined);
    return redactor;
  };
}

class Redactor implements StreamRedactor {
  private readonly scanner: Scanner;
  private confirmer: Confirmer;
  /** Whether findings get their line and column (RedactOptions.locate). */
  private readonly locates: boolean;
  private buffer: HoldbackBuffer;
  private readonly tracksEnds: (rule: number) => boolean;
  /** Findings that start at or after the last bound: others may still come before them. */
  private unmerged: Finding[] = [];
  /** Regions not yet emitted, sorted and disjoint; only the last one can still grow. */
  private regions: Region[] = [];
  /** Where findings go (RedactOptions.onFinding, or the pool's per-redactor callback). */
  onFinding: ((finding: Finding) => void) | undefined;
  /** Built on the first tail to analyse: a stream of whole lines (`echo hi`) never needs it. */
  private inFlight: InFlightAnalysis | null = null;
  /** Absolute offset of the first byte not yet emitted. */
  private emittedUpTo = 0;
  /** Absolute offset before which every secret is known (releases may emit past it, see release()). */
  private knownUpTo = 0;
  /** Absolute offset before which every match is reported and decided (see the module doc). */
  private retainedFrom = 0;
  /** Whether the last write held its tail without the in-flight analysis (see write's `isFollowed`). */
  private isTailDeferred = false;
  /** Followed chunks the engine is scanning on another thread (see scanInBackground), and how many bytes they are. */
  private background: { readonly write: BackgroundWrite; readonly length: number } | null = null;
  private ended = false;
  /** Where a lent output of several pieces is joined: fresh memory for every output would cost page faults and collections. */
  private joined = EMPTY;
  // The engine's and the confirmer's callbacks, made once: a closure per chunk is garbage a
  // line-rate stream collects (a young-generation pause is a clean line's p99).
  private readonly onCandidate = (match: Match): void => this.confirmer.addCandidate(match, this.retainedFrom, this.buffer);
  private readonly onConfirmed = (finding: Finding): void => this.addFinding(finding);

  constructor(
    private readonly ruleSet: RuleSet,
    private readonly options: RedactOptions,
    /** Called once the redactor has ended and been reset (see createRedactorPool). */
    private readonly onRecycled: ((redactor: Redactor) => void) | null,
  ) {
    this.scanner = ruleSet.database.open();
    const database = ruleSet.database;
    this.tracksEnds = (rule) => database.tracksEnds(rule);
    this.confirmer = new Confirmer(ruleSet.rules);
    this.locates = options.locate !== false;
    this.buffer = new HoldbackBuffer(this.locates);
    // Located exactly when the options ask for located findings (see addFinding).
    this.onFinding = options.onFinding as ((finding: Finding) => void) | undefined;
  }

  get heldBytes(): number {
    return this.buffer.appendedUpTo - this.emittedUpTo;
  }

  isAtCleanPoint(): boolean {
    const buffer = this.buffer;
    // Bytes not scanned yet may start anything.
    if (buffer.appendedUpTo !== buffer.scannedUpTo) return false;
    const scanned = buffer.scannedUpTo;
    if (this.ended || this.emittedUpTo !== scanned || this.regions.length > 0 || this.unmerged.length > 0) return false;
    // A literal set's match in flight: the in-flight analysis below knows regex rules only.
    if (this.confirmer.earliestPending() < scanned || (this.scanner.exactSecretHorizon?.() ?? scanned) < scanned) return false;
    const horizon = Math.max(Math.min(this.scanner.horizon(), scanned), buffer.base);
    return horizon === scanned || !this.inFlightAnalysis().isMatchInFlight(buffer.view(horizon, scanned));
  }

  write(chunk: Uint8Array, isFollowed = false): Uint8Array {
    if (this.ended) throw new Error('write after end');
    const scannedBefore = this.buffer.scannedUpTo;
    this.settleBackground();
    if (isFollowed && this.scanner.writeInBackground !== undefined) {
      // Nothing kept moves from here to the next call: the scan started here reads it.
      this.buffer.makeRoomFor(chunk.length);
      this.scanInBackground(this.buffer.appendedUpTo);
      this.buffer.appendUnscanned(chunk);
    } else {
      this.buffer.appendUnscanned(chunk);
      this.scanRest();
    }
    if (this.buffer.scannedUpTo === scannedBefore && !(this.isTailDeferred && !isFollowed)) return EMPTY;
    return this.advance(false, false, isFollowed);
  }

  /**
   * Starts the engine's scan of the unscanned bytes before `to` (the chunks before the one being
   * written) on another thread. Not of the chunk being written: its bytes are still in this core's
   * cache, and a scan on the other core that reads them there took 1.4x as long (AMD EPYC, 1 MiB
   * chunks); once the next chunk has been read and appended after them, they are not. So the
   * output of a followed chunk comes two writes later.
   */
  private scanInBackground(to: number): void {
    const from = this.buffer.scannedUpTo;
    if (to - from < MIN_BACKGROUND_BYTES) {
      this.scanUpTo(to);
      return;
    }
    this.background = { write: this.scanner.writeInBackground!(this.buffer.view(from, to)), length: to - from };
  }

  /** Waits for the chunks being scanned on another thread and takes their candidates. */
  private settleBackground(): void {
    const background = this.background;
    if (background === null) return;
    this.background = null;
    this.buffer.markScanned(background.length);
    background.write.finish(this.onCandidate);
  }

  /** Scans the bytes appended but not scanned yet, here and now. */
  private scanRest(): void {
    this.scanUpTo(this.buffer.appendedUpTo);
  }

  /**
   * Takes the unscanned bytes before `to` through the engine, their candidates to the confirmer.
   * The engine gets the holdback's copy: a caller may reuse a chunk's memory once its write returns
   * (the CLI's sources do), and an engine that keeps bytes (a literal set's carry) copies them with
   * `slice()`, which on a Buffer would be a view.
   */
  private scanUpTo(to: number): void {
    const from = this.buffer.scannedUpTo;
    if (to <= from) return;
    this.buffer.markScanned(to - from);
    this.scanner.write(this.buffer.view(from, to), this.onCandidate);
  }

  release(): Uint8Array {
    if (this.ended) throw new Error('release after end');
    this.settleBackground();
    this.scanRest();
    return this.advance(false, true, false);
  }

  end(last?: Uint8Array): Uint8Array {
    if (this.ended) {
      if (last !== undefined && last.length > 0) throw new Error('write after end');
      return EMPTY;
    }
    this.ended = true;
    this.settleBackground();
    if (last !== undefined) this.buffer.appendUnscanned(last);
    this.scanRest();
    this.scanner.end(this.onCandidate);
    const output = this.advance(true, false, false);
    if (this.onRecycled) {
      this.reset();
      this.onRecycled(this);
    }
    return output;
  }

  /** Back to offset 0 with nothing held, for the next stream. */
  private reset(): void {
    this.scanner.reset();
    this.confirmer = new Confirmer(this.ruleSet.rules);
    this.buffer = new HoldbackBuffer(this.locates);
    this.unmerged = [];
    this.regions = [];
    this.emittedUpTo = 0;
    this.knownUpTo = 0;
    this.retainedFrom = 0;
    this.isTailDeferred = false;
    this.ended = false;
  }

  /** Built on the first unfinished tail: a stream of whole lines (`echo hi`) never needs it. */
  private inFlightAnalysis(): InFlightAnalysis {
    this.inFlight ??= inFlightAnalysis(this.ruleSet.rules);
    return this.inFlight;
  }

  /** Emits what is safe now; `defersTail`: the bytes after the horizon wait for the next write (see write's `isFollowed`). */
  private advance(isStreamEnd: boolean, isBoundary: boolean, defersTail: boolean): Uint8Array {
    const buffer = this.buffer;
    const scanned = buffer.scannedUpTo;
    this.isTailDeferred = false;
    if (isStreamEnd) {
      this.confirmer.run({ buffer, horizon: Infinity, isStreamEnd, tracksEnds: this.tracksEnds }, this.onConfirmed);
      this.mergeBefore(Infinity);
      return this.emit(Infinity, scanned);
    }
    const horizon = Math.max(Math.min(this.scanner.horizon(), scanned), buffer.base);
    this.confirmer.run({ buffer, horizon, isStreamEnd, tracksEnds: this.tracksEnds }, this.onConfirmed);
    let secretHorizon = scanned;
    // Literal sets keep their exact bound: their secrets are whole secrets, no byte says nothing.
    const literals = Math.min(this.scanner.exactSecretHorizon?.() ?? scanned, scanned);
    let safe: number;
    if (!isBoundary) {
      if (horizon < scanned && defersTail) {
        secretHorizon = horizon;
        this.isTailDeferred = true;
      } else if (horizon < scanned) secretHorizon = this.inFlightAnalysis().secretHorizon(buffer.view(horizon, scanned), horizon);
      safe = Math.min(secretHorizon, literals, this.confirmer.earliestSecret());
    } else {
      let releaseHorizon = scanned;
      if (horizon < scanned) {
        const { any, telling, inner } = this.inFlightAnalysis().secretHorizons(buffer.view(horizon, scanned), horizon);
        secretHorizon = any;
        // Only while no secret in flight has reached a byte that tells (past its anchor): then
        // its anchor stays with it. A head run longer than MAX_RELEASED_HEAD (counted from its
        // first byte, released or not) stays held.
        releaseHorizon = inner < scanned ? any : inner - any <= MAX_RELEASED_HEAD ? scanned : telling;
      }
      // Candidates that start from the horizon on are matches the analysis saw in flight.
      safe = Math.min(releaseHorizon, literals, this.confirmer.earliestSecret(horizon));
    }
    this.mergeBefore(safe);
    const output = this.emit(safe, safe);
    this.knownUpTo = Math.max(this.knownUpTo, Math.min(secretHorizon, literals, this.confirmer.earliestSecret(), this.emittedUpTo));
    this.retainedFrom = Math.min(horizon, this.confirmer.earliestPending(), this.emittedUpTo);
    buffer.discardBefore(this.retainedFrom - 1);
    return output;
  }

  private addFinding(finding: Finding): void {
    const start = finding.secret.start;
    // Fail closed: a secret starting in bytes emitted as known to hold none means a bound above was wrong.
    if (start < this.knownUpTo) {
      throw new SseredactError('internal', `finding of rule ${finding.ruleId} at ${start} starts before the ${this.emittedUpTo} bytes already emitted`);
    }
    this.unmerged.push(start < this.emittedUpTo ? { ...finding, released: this.emittedUpTo - start } : finding);
  }

  /** Merges the findings that start before `bound` (all there will be) into regions, in (start, rule) order. */
  private mergeBefore(bound: number): void {
    if (this.unmerged.length === 0) return;
    const ready: Finding[] = [];
    const waiting: Finding[] = [];
    for (const finding of this.unmerged) (regionStart(finding) < bound ? ready : waiting).push(finding);
    this.unmerged = waiting;
    ready.sort(byStartThenRule);
    // Located here, in stream order, not as the rules confirm them: the line count then only moves
    // forward (from the rules' order, it went back and forth over the chunk: 16% of a `--json` run).
    // Their bytes are still kept: nothing is dropped before a finding waiting to merge.
    for (const finding of ready) this.merge(this.locates ? { ...finding, ...this.buffer.lineAndColumn(finding.secret.start) } : finding);
  }

  /** The oracle's merge step (test/oracle.ts): joins the last region or opens the next one. */
  private merge(finding: Finding): void {
    const start = regionStart(finding);
    const end = finding.secret.end;
    const last = this.regions.at(-1);
    const touches = last !== undefined && start <= last.end;
    if (touches && !isFull(last)) {
      last.end = Math.max(last.end, end);
      last.findings.push(finding);
    } else if (touches && end <= last.end) {
      last.findings.push(finding);
    } else {
      this.regions.push({ start: touches ? last.end : start, end, findings: [finding] });
    }
  }

  /**
   * Emits pass-through bytes and replacements up to `safe`: regions nothing can join any more
   * (they end before `bound`, or at it when full) are replaced; bytes before `safe` outside
   * regions pass. Never emits past `bound`: the confirmer still needs the bytes from there on.
   */
  private emit(bound: number, safe: number): Uint8Array {
    if (this.regions.length === 0 || this.regions[0]!.start >= safe) return this.pass(safe);
    const pieces: Uint8Array[] = [];
    let emitted = 0;
    for (const region of this.regions) {
      if (region.start >= safe || !(region.end < bound || (isFull(region) && region.end <= bound))) break;
      pieces.push(this.buffer.view(this.emittedUpTo, region.start));
      pieces.push(this.replace(region));
      this.emittedUpTo = region.end;
      emitted++;
    }
    if (emitted > 0) this.regions.splice(0, emitted);
    const passUpTo = Math.min(safe, this.regions[0]?.start ?? Infinity);
    if (passUpTo > this.emittedUpTo) {
      pieces.push(this.buffer.view(this.emittedUpTo, passUpTo));
      this.emittedUpTo = passUpTo;
    }
    if (pieces.length === 0) return EMPTY;
    // Views alias the buffer, which the next write may overwrite: lent, or copied for the caller.
    if (this.options.lendsOutput !== true) return pieces.length === 1 ? pieces[0]!.slice() : Buffer.concat(pieces);
    return pieces.length === 1 ? pieces[0]! : this.join(pieces);
  }

  /** Emits the bytes up to `safe`, which no region touches (a clean line): one view, no list of pieces. */
  private pass(safe: number): Uint8Array {
    if (safe <= this.emittedUpTo) return EMPTY;
    const bytes = this.buffer.view(this.emittedUpTo, safe);
    this.emittedUpTo = safe;
    return this.options.lendsOutput === true ? bytes : bytes.slice();
  }

  /** `pieces` joined in the reused {@link joined} buffer (lent output only). */
  private join(pieces: readonly Uint8Array[]): Uint8Array {
    let length = 0;
    for (const piece of pieces) length += piece.length;
    if (this.joined.length < length) this.joined = new Uint8Array(Math.max(length, this.joined.length * 2));
    let at = 0;
    for (const piece of pieces) {
      this.joined.set(piece, at);
      at += piece.length;
    }
    return this.joined.subarray(0, length);
  }

  private replacementFor(findings: readonly Finding[]): Replacement {
    const own = this.options.ruleReplacements;
    if (!own) return this.options.replacement;
    const first = own[findings[0]!.rule];
    return first !== undefined && findings.every((finding) => own[finding.rule] === first) ? first : this.options.replacement;
  }

  private replace(region: Region): Uint8Array {
    const findings = region.findings;
    const replacement = renderReplacement(this.replacementFor(findings), this.buffer.view(region.start, region.end), regionRuleId(findings, this.ruleSet.rules));
    for (const finding of findings) this.onFinding?.(finding);
    return replacement;
  }
}

/** Where a finding's replacement starts: at its secret, or after what had left before it was known. */
function regionStart(finding: Finding): number {
  return finding.secret.start + (finding.released ?? 0);
}

function byStartThenRule(a: Finding, b: Finding): number {
  return regionStart(a) - regionStart(b) || a.rule - b.rule;
}

/** A region that takes in no more bytes (see MAX_REGION). */
function isFull(region: Span): boolean {
  return region.end - region.start >= MAX_REGION;
}
