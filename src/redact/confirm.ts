/**
 * The confirmer turns engine candidates into exact findings: for each rule it replays what a
 * global JS RegExp does over the whole stream (leftmost-first, non-overlapping, resuming at the
 * previous match's end), but only over the starts the engine says may match, and only once the
 * bytes that decide those starts are in the buffer.
 *
 * Per rule it keeps `cursor` (every start before it is decided) and a pending range `[low, high]`
 * of starts that candidates point at. A start `s` is decided ("final") once no match from `s` can
 * reach beyond the bytes we have, or need the byte after them (see {@link finalStartBound}).
 */
import type { CompiledRule } from '../rules/compile.js';
import { searchProgram } from '../rules/regex/pikevm.js';
import type { Finding, Match } from '../types.js';
import type { HoldbackBuffer } from './holdback.js';

interface PendingStarts {
  low: number;
  high: number;
}

/** What the stream looks like now, for deciding which starts are final. */
export interface ConfirmContext {
  readonly buffer: HoldbackBuffer;
  /** The engine's horizon: matches starting before it are reported and end by it. */
  readonly horizon: number;
  readonly isStreamEnd: boolean;
}

export class Confirmer {
  private readonly cursors: Float64Array;
  private readonly pending: Array<PendingStarts | null>;
  /** Rules with pending starts, so a pass touches only those. */
  private readonly active = new Set<number>();

  constructor(private readonly rules: readonly CompiledRule[]) {
    this.cursors = new Float64Array(rules.length);
    this.pending = rules.map(() => null);
  }

  /** Records an engine candidate; starts before `floor` (already emitted) are known to be decided. */
  addCandidate(match: Match, floor: number): void {
    const rule = this.rules[match.rule]!;
    const high = match.end - rule.minWidth;
    const low = Math.max(match.start, match.end - rule.maxWidth, this.cursors[match.rule]!, floor);
    if (high < low) return;
    const pending = this.pending[match.rule];
    if (pending) {
      pending.low = Math.min(pending.low, low);
      pending.high = Math.max(pending.high, high);
    } else {
      this.pending[match.rule] = { low, high };
      this.active.add(match.rule);
    }
  }

  /** The earliest start still undecided, or Infinity. */
  earliestPending(): number {
    let earliest = Infinity;
    for (const index of this.active) earliest = Math.min(earliest, this.pending[index]!.low);
    return earliest;
  }

  /** Decides every pending start that is final now; reports findings that pass the rule's predicates. */
  run(context: ConfirmContext, onFinding: (finding: Finding) => void): void {
    for (const index of this.active) {
      this.runRule(this.rules[index]!, this.pending[index]!, context, onFinding);
      if (this.pending[index]!.low > this.pending[index]!.high) {
        this.pending[index] = null;
        this.active.delete(index);
      }
    }
  }

  private runRule(rule: CompiledRule, pending: PendingStarts, context: ConfirmContext, onFinding: (finding: Finding) => void): void {
    const { buffer } = context;
    const limit = buffer.scannedUpTo;
    while (pending.low <= pending.high) {
      const lastStart = Math.min(pending.high, finalStartBound(rule, pending.low, context));
      if (lastStart < pending.low) return;
      const from = Math.max(buffer.base, pending.low - 1);
      const windowEnd = Math.min(limit, lastStart + rule.maxWidth + 1);
      const window = { bytes: buffer.view(from, windowEnd), offset: from, limit: windowEnd, isStreamEnd: context.isStreamEnd && windowEnd === limit };
      const slots = searchProgram(rule.program, window, pending.low, lastStart);
      if (slots === null) {
        pending.low = lastStart + 1;
        this.cursors[rule.index] = pending.low;
        continue;
      }
      const [start, end] = [slots[0]!, slots[1]!];
      pending.low = end;
      this.cursors[rule.index] = end;
      const secretStart = slots[rule.secretGroup * 2]!;
      const secretEnd = slots[rule.secretGroup * 2 + 1]!;
      if (secretStart < 0 || secretEnd <= secretStart) continue;
      const secretBytes = buffer.view(secretStart, secretEnd);
      if (rule.keep && !rule.keep(secretBytes)) continue;
      onFinding({
        rule: rule.index,
        ruleId: rule.id,
        match: { start, end },
        secret: { start: secretStart, end: secretEnd },
        secretBytes: secretBytes.slice(),
      });
    }
  }
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
  // The engine says matches starting before the horizon end by it.
  if (horizon < limit || !rule.needsRightContext) bound = Math.max(bound, horizon - 1);
  return bound;
}
