/**
 * The confirmer turns engine candidates into exact findings: for each rule it replays what a
 * global JS RegExp does over the whole stream (leftmost-first, non-overlapping, resuming at the
 * previous match's end), but only over the starts the engine says may match, and only once the
 * bytes that decide those starts are in the buffer.
 *
 * Per rule it keeps `cursor` (every start before it is decided) and the ranges `[low, high]` of
 * starts that candidates point at, sorted and disjoint: only those starts are searched, so sparse
 * candidates cost little however far apart they are. A start `s` is decided ("final") once no
 * match from `s` can reach beyond the bytes we have, or need the byte after them (see
 * {@link finalStartBound}), or when a search shows that no thread from it got that far.
 *
 * Test-only fault injection: with NODE_ENV=test and SSEREDACT_TEST_FAULT=confirm in the
 * environment, the confirmer throws on the first match it accepts, as if its state were corrupt,
 * so that fail closed (DESIGN §3.5: nothing after the failure leaves, exit 3) is tested through
 * bin/sseredact (test/e2e/fail-closed.test.ts). Read once at load; nothing else sets it.
 * An exact match (Match.exact: a literal set's scanner decided it, engine/literal/) needs none of
 * this: it is reported as it is on the next run.
 *
 * A match the rule's predicates reject does not hide what starts inside it: the rule resumes at the
 * next start rather than at the match's end, as the oracle does (test/oracle.ts), so a Luhn-valid
 * card glued after `%35` (a rejected run of digits from `35`) is still found. A match whose secret
 * lies inside the last rejected secret is rejected with it ({@link isShadowed}): the predicates
 * judged those bytes (a documentation address, a csrf token after its name), and a part of them
 * is no new secret. Each retry searches again the rejected match's bytes after its start;
 * {@link mayRetry} bounds those bytes per rule to RETRY_FACTOR per stream byte (plus
 * RETRY_ALLOWANCE), so that a run of rejected matches overlapping each other costs a constant
 * factor, never the match width per byte.
 */

import { type SearchProbe, type SearchWindow, type Slots, searchProgram } from '../regex/pikevm.js';
import { type CompiledRule, enclosingSecretGroups, secretGroupOf } from '../rules/compile.js';
import { findingRuleId } from '../rules/keyword-groups.js';
import type { Finding, Match, Span } from '../types.js';
import type { HoldbackBuffer } from './holdback.js';

const FAULT_ON_ACCEPT = process.env.NODE_ENV === 'test' && process.env.SSEREDACT_TEST_FAULT === 'confirm';
/** How many bytes of starts one search may cover at most (see runRule). */
const GROUPED_SPAN = 4096;
/**
 * The widest gap of starts no candidate points at that one search steps over to reach the next
 * range, unless the starts it already covers are more (see runRule).
 */
const GROUPED_GAP = 64;
/** Bytes of rejected matches a rule may search again, per byte of stream up to their end... */
const RETRY_FACTOR = 4;
/** ...and in all, beyond that: more than any stream holds unless crafted to. */
const RETRY_ALLOWANCE = 65536;

/**
 * Whether a rule that has searched `spent` bytes again after rejected matches may resume inside
 * the rejected `match` (at its start + 1) rather than at its end, searching again the bytes from
 * there to its end. Beyond the budget it resumes at the end, as a global RegExp does.
 */
export function mayRetry(spent: number, match: Span): boolean {
  return spent + retryCost(match) <= RETRY_ALLOWANCE + RETRY_FACTOR * match.end;
}

/** Whether `secret` lies inside `rejected`, the secret of the rule's last match its predicates rejected. */
export function isShadowed(secret: Span, rejected: Span | undefined): boolean {
  return rejected !== undefined && secret.start >= rejected.start && secret.end <= rejected.end;
}

/** The bytes a retry after the rejected `match` searches again. */
export function retryCost(match: Span): number {
  return Math.max(0, match.end - match.start - 1);
}

interface PendingStarts {
  low: number;
  high: number;
  /**
   * Where a finding from these starts can begin its secret at the earliest, as the last search
   * that could not decide them saw it (see SearchProbe.secretFrom); undefined until one did.
   * Always present (never deleted): ranges of one shape keep the walks over them monomorphic.
   */
  secretFrom: number | undefined;
}

/** A rule's pending ranges, oldest first; `head` skips the decided ones without shifting. */
interface PendingQueue {
  readonly ranges: PendingStarts[];
  head: number;
}

function dropDecided(queue: PendingQueue): void {
  if (queue.head > 64 && queue.head * 2 > queue.ranges.length) {
    queue.ranges.splice(0, queue.head);
    queue.head = 0;
  }
}

const NO_BYTES = new Uint8Array(0);

/** A search's window, moved from search to search: one object, not one (and a view) per search. */
type MovingWindow = { -readonly [Field in keyof SearchWindow]: SearchWindow[Field] };

/** What the stream looks like now, for deciding which starts are final. */
export interface ConfirmContext {
  readonly buffer: HoldbackBuffer;
  /** The engine's horizon: matches starting before it are reported (and, where tracksEnds, scanned to their end). */
  readonly horizon: number;
  readonly isStreamEnd: boolean;
  /** Whether the engine follows this rule to the end of its matches (see Database.tracksEnds). */
  readonly tracksEnds: (rule: number) => boolean;
}

export class Confirmer {
  /**
   * Per rule: the cursor, and the pending queue. Both are created on the rule's first candidate:
   * SSE mode opens a redactor per event, and most rules never see a candidate there.
   */
  private readonly cursors = new Map<number, number>();
  /** Per rule: the bytes its retries after rejected matches have searched again (see mayRetry). */
  private readonly retried = new Map<number, number>();
  /** Per rule: the secret of its last match the predicates rejected (see isShadowed). */
  private readonly rejected = new Map<number, Span>();
  private readonly pending = new Map<number, PendingQueue>();
  /** Rules with pending starts, so a pass touches only those. */
  private readonly active = new Set<number>();
  /** Exact matches (Match.exact) not reported yet: they need no search. */
  private decided: Match[] = [];
  private readonly probe: SearchProbe = { reachedLimit: false, secretGroups: [0], secretFrom: Infinity };
  /**
   * Every search of a pass views the bytes kept (nothing is appended during a pass) from the
   * buffer's base: a search reads no byte before its first start's, so the wider view changes nothing.
   */
  private readonly window: MovingWindow = { bytes: NO_BYTES, offset: 0, limit: 0, isStreamEnd: false };

  constructor(private readonly rules: readonly CompiledRule[]) {}

  /**
   * Records an engine candidate; starts before `floor` (already emitted) are known to be decided.
   * `buffer` holds the bytes up to the candidate's end.
   */
  addCandidate(match: Match, floor: number, buffer: HoldbackBuffer): void {
    if (match.exact === true) {
      this.decided.push(match);
      return;
    }
    const rule = this.rules[match.rule]!;
    const high = match.lastStart ?? match.end - rule.minWidth;
    // match.start already bounds the start (an engine may report a run of ends as one match, whose
    // first end is up to maxWidth before its last: end - maxWidth would hide those starts).
    let low = Math.max(match.start, this.cursors.get(match.rule) ?? 0, floor);
    if (high < low) return;
    // A match without newlines starts after the last one before its reported end: engines that
    // know only ends (end - maxWidth) would otherwise send the search back over whole lines.
    if (!rule.canMatchNewline) {
      const from = Math.max(low, buffer.base);
      const newline = buffer.lastNewlineIn(from, match.end);
      low = Math.max(low, newline >= 0 ? newline + 1 : from);
      if (high < low) return;
    }
    let queue = this.pending.get(match.rule);
    if (queue === undefined) {
      queue = { ranges: [], head: 0 };
      this.pending.set(match.rule, queue);
    }
    const last = queue.head < queue.ranges.length ? queue.ranges.at(-1) : undefined;
    if (last && low <= last.high + 1) {
      // Overlapping, adjacent, or (rarely) earlier than the last range: widen it.
      last.low = Math.min(last.low, low);
      last.high = Math.max(last.high, high);
      last.secretFrom = undefined; // the new starts were not searched
    } else {
      queue.ranges.push({ low, high, secretFrom: undefined });
      this.active.add(match.rule);
    }
  }

  /** The earliest start still undecided, or Infinity. */
  earliestPending(): number {
    // Most passes have nothing pending: iterating an empty Set still allocates an iterator.
    if (this.active.size === 0 && this.decided.length === 0) return Infinity;
    let earliest = this.decided.reduce((start, match) => Math.min(start, match.start), Infinity);
    for (const index of this.active) {
      const queue = this.pending.get(index)!;
      earliest = Math.min(earliest, queue.ranges[queue.head]!.low);
    }
    return earliest;
  }

  /**
   * The earliest offset a finding from a start still undecided can begin its secret at, or
   * Infinity: what the redactor may not emit yet (the starts themselves may lie before it, as
   * `Password: ` before its value). Exact for the first range of each rule after {@link run},
   * which searched it; the ranges behind it count from their lowest start. With `startsBefore`,
   * only ranges with a start before it count (the in-flight analysis covers the later ones).
   */
  earliestSecret(startsBefore = Infinity): number {
    let earliest = Infinity;
    if (this.active.size === 0) return earliest;
    for (const index of this.active) {
      const queue = this.pending.get(index)!;
      const first = queue.ranges[queue.head]!;
      if (first.low < startsBefore) earliest = Math.min(earliest, first.secretFrom ?? first.low);
      for (let i = queue.head + 1; i < queue.ranges.length; i++) if (queue.ranges[i]!.low < startsBefore) earliest = Math.min(earliest, queue.ranges[i]!.low);
    }
    return earliest;
  }

  /** Decides every pending start that is final now; reports findings that pass the rule's predicates. */
  run(context: ConfirmContext, onFinding: (finding: Finding) => void): void {
    if (this.decided.length > 0) {
      const decided = this.decided;
      this.decided = [];
      for (const match of decided) this.report(this.rules[match.rule]!, match, match, context.buffer, onFinding);
    }
    if (this.active.size === 0) return;
    const { buffer } = context;
    this.window.bytes = buffer.view(buffer.base, buffer.scannedUpTo);
    this.window.offset = buffer.base;
    for (const index of this.active) {
      const queue = this.pending.get(index)!;
      this.runRule(this.rules[index]!, queue, context, onFinding);
      if (queue.head === queue.ranges.length) {
        queue.ranges.length = 0;
        queue.head = 0;
        this.active.delete(index);
      } else {
        dropDecided(queue);
      }
    }
    this.window.bytes = NO_BYTES; // not to keep the buffer's storage once it grows
  }

  private runRule(rule: CompiledRule, queue: PendingQueue, context: ConfirmContext, onFinding: (finding: Finding) => void): void {
    const { buffer } = context;
    const limit = buffer.scannedUpTo;
    const ranges = queue.ranges;
    while (queue.head < ranges.length) {
      const range = ranges[queue.head]!;
      if (range.low > range.high) {
        queue.head++;
        continue;
      }
      const bound = finalStartBound(rule, range.low, context);
      let lastStart = Math.min(range.high, bound);
      if (lastStart < range.low) {
        // Not final by width, newlines or the engine: search anyway, and keep the answer if no
        // thread of the rule got as far as the last byte we have (then no later byte can change it).
        if (!this.decideEarly(rule, queue, range, context, onFinding)) return;
        continue;
      }
      // Ranges close together share a window: search them in one pass. A gap between two is
      // stepped over only when it is narrower than GROUPED_GAP or than the starts the pass already
      // covers, so that the pass costs at most about twice the starts candidates point at: the ts
      // engine points at a few bytes before each keyword (generic-api-key's every ~1.6 KB of a CI
      // log), and stepping over every gap up to a match width cost it ~20% of its CPU. The window
      // spans at most GROUPED_SPAN starts: a search stops at its first match, and then the walk
      // begins again after it, so an unbounded walk would make touching secrets quadratic.
      let last = queue.head;
      const groupEnd = Math.min(bound, range.low + GROUPED_SPAN);
      while (last + 1 < ranges.length && ranges[last + 1]!.low <= Math.min(lastStart + Math.min(rule.maxWidth, Math.max(GROUPED_GAP, lastStart - range.low)), groupEnd)) {
        last++;
        lastStart = Math.min(ranges[last]!.high, bound);
      }
      const windowEnd = Math.min(limit, lastStart + rule.maxWidth + 1);
      const window = this.window;
      window.limit = windowEnd;
      window.isStreamEnd = context.isStreamEnd && windowEnd === limit;
      const slots = searchProgram(rule.program, window, range.low, lastStart);
      if (slots === null) {
        // No match starts in [low, lastStart]; nor in the gaps between the ranges, or the engine
        // would have reported it (every start up to lastStart is final).
        queue.head = last;
        ranges[last]!.low = lastStart + 1;
        this.cursors.set(rule.index, lastStart + 1);
        continue;
      }
      this.accept(rule, queue, slots, buffer, onFinding);
    }
  }

  /**
   * Records a match and reports it if it passes the predicates. The rule resumes at its end, as a
   * global RegExp does; after a rejected match, at the next start (within the budget of mayRetry).
   */
  private accept(rule: CompiledRule, queue: PendingQueue, slots: Slots, buffer: HoldbackBuffer, onFinding: (finding: Finding) => void): void {
    if (FAULT_ON_ACCEPT) throw new Error(`injected fault (SSEREDACT_TEST_FAULT=confirm): the confirmer failed on rule ${rule.id}`);
    const match = { start: slots[0]!, end: slots[1]! };
    const secret = secretOf(rule, slots);
    let resume = match.end;
    if (secret.start >= 0 && secret.end > secret.start && !this.reportUnlessRejected(rule, match, secret, buffer, onFinding)) {
      const spent = this.retried.get(rule.index) ?? 0;
      if (mayRetry(spent, match)) {
        this.retried.set(rule.index, spent + retryCost(match));
        resume = match.start + 1;
      }
    }
    this.cursors.set(rule.index, resume);
    const ranges = queue.ranges;
    while (queue.head < ranges.length && ranges[queue.head]!.high < resume) queue.head++;
    if (queue.head < ranges.length) ranges[queue.head]!.low = Math.max(ranges[queue.head]!.low, resume);
  }

  /** Reports a match unless its secret is shadowed by the last rejected one or the predicates reject it (then false). */
  private reportUnlessRejected(rule: CompiledRule, match: Span, secret: Span, buffer: HoldbackBuffer, onFinding: (finding: Finding) => void): boolean {
    if (isShadowed(secret, this.rejected.get(rule.index))) return false;
    if (this.report(rule, match, secret, buffer, onFinding)) return true;
    this.rejected.set(rule.index, secret);
    return false;
  }

  /** Reports a match whose secret is `secret` if it passes the rule's predicates; false if they reject it. */
  private report(rule: CompiledRule, match: Span, secret: Span, buffer: HoldbackBuffer, onFinding: (finding: Finding) => void): boolean {
    const secretBytes = buffer.view(secret.start, secret.end);
    // Allowlists may look at the whole match, never at the rest of the line: how much of a line is
    // in the buffer depends on chunking, and the findings must not.
    const matchBytes = buffer.view(match.start, match.end);
    if (rule.keep && !rule.keep(secretBytes, { match: matchBytes })) return false;
    onFinding({
      rule: rule.index,
      ruleId: findingRuleId(rule, matchBytes),
      match: { start: match.start, end: match.end },
      secret: { start: secret.start, end: secret.end },
      secretBytes: secretBytes.slice(),
    });
    return true;
  }

  /** The speculative search of runRule; true when it decided the first range (or part of it). */
  private decideEarly(rule: CompiledRule, queue: PendingQueue, range: PendingStarts, context: ConfirmContext, onFinding: (finding: Finding) => void): boolean {
    const { buffer } = context;
    const limit = buffer.scannedUpTo;
    const lastStart = Math.min(range.high, limit - 1);
    if (lastStart < range.low) return false;
    const window = this.window;
    window.limit = limit;
    window.isStreamEnd = false;
    this.probe.secretGroups = enclosingSecretGroups(rule.secretGroup);
    const slots = searchProgram(rule.program, window, range.low, lastStart, this.probe);
    if (this.probe.reachedLimit) {
      // Undecided; a match found meanwhile may still lose to a longer one, but its secret counts.
      const found = slots === null ? -1 : secretOf(rule, slots).start;
      range.secretFrom = Math.min(this.probe.secretFrom, found >= 0 ? found : Infinity);
      return false;
    }
    if (slots === null) {
      range.low = lastStart + 1;
      this.cursors.set(rule.index, range.low);
    } else {
      this.accept(rule, queue, slots, buffer, onFinding);
    }
    return true;
  }
}

/** The secret's span in a match of `rule` (start -1 when its group matched nothing). */
function secretOf(rule: CompiledRule, slots: Slots): Span {
  const group = secretGroupOf(rule.secretGroup, slots.length / 2 - 1, (other) => slots[other * 2]! >= 0 && slots[other * 2 + 1]! > slots[other * 2]!);
  return { start: slots[group * 2]!, end: slots[group * 2 + 1]! };
}

/**
 * The largest start `s >= low` such that every start in `[low, s]` is final: a match from it lies
 * within the buffer together with the byte after it (or the stream has ended).
 */
function finalStartBound(rule: CompiledRule, low: number, context: ConfirmContext): number {
  if (context.isStreamEnd) return Infinity;
  const { buffer, horizon } = context;
  const limit = buffer.scannedUpTo;
  // Wide enough: even the widest match from s ends before the last byte we have.
  let bound = limit - rule.maxWidth - 1;
  // A rule that cannot match a newline cannot run past one.
  if (!rule.canMatchNewline) bound = Math.max(bound, buffer.lastNewline(low));
  // The engine says matches starting before the horizon end by it (or by the last byte we have).
  if (context.tracksEnds(rule.index) && (horizon < limit || !rule.needsRightContext)) bound = Math.max(bound, horizon - 1);
  return bound;
}
