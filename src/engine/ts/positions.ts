/**
 * The position (Glushkov) automaton of a rule set: one state per byte-set occurrence, no epsilon
 * moves, so a DFA state is just a set of positions and "no position" means no match is in flight.
 *
 * It is built from a relaxed copy of each rule: assertions become empty (but `$`, see below) and
 * large counted repeats become unbounded ones. The relaxed language contains the rule's, so the automaton reports every
 * end of a real match (and some more: the confirmer drops those).
 */
import { canMatchNewline, widths } from '../../regex/analyze.js';
import { type AnchorRange, findAnchor, flatten, hasRareByte, literalLength } from '../../regex/anchors.js';
import { type ByteSet, NEWLINE, type Node, SPACE_BYTES, byteSetOf, byteSetSize, emptyByteSet, hasByte } from '../../regex/ast.js';

/**
 * Counted repeats stay exact only when small. Larger ones become `x{k,}` with k at most
 * MAX_COUNTED_PREFIX: exact counts of the same byte class in several rules multiply into a huge
 * number of DFA states, while the confirmer checks counts anyway.
 */
const MAX_EXACT_REPEAT = 4;
const MAX_COUNTED_PREFIX = 1;
const MAX_EXPANDED_POSITIONS = 64;

/** Per byte, its class (its column in a DFA state's row, see byteClassesOf), and how many classes there are. */
export interface ByteClasses {
  readonly byteClass: Uint8Array;
  readonly count: number;
}

export interface PositionAutomaton {
  /** The byte set each position consumes, 8 words a position (one array: not an object per position). */
  readonly setWords: Uint32Array;
  /** The byte classes of setWords. */
  readonly byteClasses: ByteClasses;
  /** For each position p, the positions that may follow it: followTargets[followOffsets[p] .. followOffsets[p + 1]). */
  readonly followOffsets: Int32Array;
  readonly followTargets: Int32Array;
  /** For each position, the rule index whose match ends there, or -1. */
  readonly acceptsRule: Int32Array;
  /** For each byte, the positions a match may start with on that byte. */
  readonly startsOn: readonly Int32Array[];
  /** Per rule index: whether the automaton tracks only the rule's anchored prefix (see trackedPart). */
  readonly isTruncated: Uint8Array;
  /** Per rule index: whether it also leaves out what comes before the anchor (see trackedPart). */
  readonly isHeadDropped: Uint8Array;
  /** Per rule index: the fewest bytes from a match's start to where the automaton reports it. */
  readonly trackedMinWidth: Int32Array;
  /** Per rule index: the most bytes from a match's start to where the automaton reports it. */
  readonly trackedMaxWidth: Int32Array;
  /** For each position, the index of its rule. */
  readonly positionRule: Int32Array;
  /**
   * Per rule index: 1 when a match holds only token bytes ([A-Za-z0-9_.+/=-]) from its start to
   * the end of what the automaton tracks: such a match started after the last other byte.
   */
  readonly isTokenOnly: Uint8Array;
  /** Per rule index: TrackedPart.droppedWidth and isDroppedTokenOnly (see trackedPart). */
  readonly droppedWidth: Int32Array;
  readonly isDroppedTokenOnly: Uint8Array;
  /**
   * Per rule index: TrackedPart.pastDroppedHeadWidth, the most bytes from a match's start to the
   * end of what is tracked over the alternatives whose head is left out but which the automaton
   * follows past the anchor (see stoppedRuns), else 0. A thread there may have started before the
   * DFA was last idle (though not before the last newline).
   */
  readonly droppedHeadDepth: Int32Array;
  /** The same over such alternatives whose bytes are all token bytes: a thread there started after the last separator, too. */
  readonly droppedTokenHeadDepth: Int32Array;
  /**
   * For each position, the rule that matches there if the stream ends right after it, or -1. `$`
   * (end of stream) becomes a marker position no byte enters; its predecessors accept at the end.
   */
  readonly acceptsAtEnd: Int32Array;
}

function countPositions(node: Node): number {
  switch (node.type) {
    case 'bytes':
      return 1;
    case 'concat':
    case 'alt':
      return node.items.reduce((n, item) => n + countPositions(item), 0);
    case 'group':
      return countPositions(node.child);
    case 'repeat':
      return countPositions(node.child) * (node.max === Infinity ? Math.max(node.min, 1) : node.max);
    default:
      return 0;
  }
}

/**
 * A superset of `node`'s language with few enough positions to expand; `countedPrefix` is how many
 * leading copies of a large repeat stay exact. Groups go, but the capture groups `keptGroups`.
 */
function relax(node: Node, countedPrefix = MAX_COUNTED_PREFIX, keptGroups: readonly number[] = []): Node {
  switch (node.type) {
    case 'assert':
      return node.kind === 'streamEnd' ? node : { type: 'empty' };
    case 'concat':
    case 'alt':
      return { type: node.type, items: node.items.map((item) => relax(item, countedPrefix, keptGroups)) };
    case 'group':
      return node.index !== null && keptGroups.includes(node.index)
        ? { ...node, child: relax(node.child, countedPrefix, keptGroups) }
        : relax(node.child, countedPrefix, keptGroups);
    case 'repeat': {
      const child = relax(node.child, countedPrefix, keptGroups);
      if (countedPrefix === Infinity) return { ...node, child }; // the shape of relax() with the rule's own counts
      const size = Math.max(countPositions(child), 1);
      if (node.max <= MAX_EXACT_REPEAT && node.max * size <= MAX_EXPANDED_POSITIONS) return { ...node, child };
      const budget = Math.min(countedPrefix, Math.floor(MAX_EXPANDED_POSITIONS / size));
      const min = node.min === 0 ? 0 : Math.max(1, Math.min(node.min, budget));
      return { type: 'repeat', child, min, max: Infinity, greedy: true };
    }
    default:
      return node;
  }
}

/**
 * A rule's head is left out only when a match reaches its anchor within this many bytes (or the
 * head is token bytes only): until the anchor is seen, the engine must hold back that much of an
 * unfinished line.
 */
const MAX_DROPPED_PREFIX = 32;

/** What the DFA tracks of a rule (see {@link trackedPart}). */
interface TrackedPart {
  readonly node: Node;
  /** Something after the tracked part is left to the confirmer. */
  readonly isTruncated: boolean;
  /** Something before it is too: the DFA then knows nothing of a match until its anchor. */
  readonly isHeadDropped: boolean;
  /** The fewest bytes from a match's start to the end of the tracked part. */
  readonly prefixMinWidth: number;
  /** The most bytes from a match's start to the end of the tracked part (from the capped rule). */
  readonly prefixMaxWidth: number;
  /** Whether the bytes from a match's start to the end of the tracked part are all token bytes. */
  readonly isTokenOnly: boolean;
  /** Over the alternatives whose head was left out: the most bytes from a match's start to the anchor's end (0: none). */
  readonly droppedWidth: number;
  /** Whether those alternatives' heads are all token bytes. */
  readonly isDroppedTokenOnly: boolean;
  /**
   * Over the alternatives whose head was left out and that are tracked past their anchor, with a
   * separator byte: the most bytes from a match's start to the end of the tracked part (0: none).
   */
  readonly pastDroppedHeadWidth: number;
  /** The same over such alternatives of token bytes only. */
  readonly pastDroppedTokenHeadWidth: number;
}

/**
 * The part of a relaxed rule the DFA tracks: up to and including its last anchor (a literal such
 * as `ghp_`, `-----END`, or a keyword alternation) and the stopped runs after it (see
 * {@link stoppedRuns}), or the whole rule but a trailing loop when it has none; each
 * alternative of a top-level alternation on its own. What follows the last anchor is usually the
 * secret's long byte classes: tracking those for hundreds of rules at once multiplies DFA states,
 * while the confirmer checks them anyway. When no newline can come before the anchor's end, the
 * byte classes before the last anchor are left out too: a class run such as `[a-z0-9]{14}` before
 * `.atlasv1.` keeps a thread alive on every word of ordinary text.
 */
function trackedPart(relaxed: Node, exact: Node, mayDropHeads = true): TrackedPart {
  if (relaxed.type === 'alt' && exact.type === 'alt') return alternativesPart(relaxed.items.map((item, i) => trackedPart(item, exact.items[i]!, mayDropHeads)));
  const items = flatten(relaxed);
  const exactItems = flatten(exact);
  const split = mayDropHeads ? splitOptionalContext(items, exactItems) : null;
  if (split !== null) return split;
  const anchor = findAnchor(items, 'last');
  if (anchor === null) {
    if (!mayDropHeads) return withoutTrailingLoop(relaxed, exact);
    return partAfterStopByte(items, exactItems) ?? partPerAlternative(items, exactItems) ?? withoutTrailingLoop(relaxed, exact);
  }
  const part = partUpTo(items, exactItems, anchor, mayDropHeads);
  if (part.isHeadDropped) {
    const early = rarerEarlierAnchor(items, exactItems, anchor);
    return early === null ? part : partUpTo(items, exactItems, { start: early.start, end: anchor.end }, mayDropHeads);
  }
  if (!mayDropHeads) return part;
  // A head too wide to leave out before the last anchor may be narrow enough before the first
  // (`://` of `[A-Za-z][A-Za-z0-9+.-]{1,20}://[0-9A-Za-z_]{20,255}:x-oauth-basic@`): tracked whole,
  // it kept a thread alive through every word. Not for a match that may span lines: the confirmer
  // would search up to the widest match after every first anchor (`data:` of a Kubernetes secret).
  const first = findAnchor(items, 'first');
  if (first === null || first.end >= anchor.end || canMatchNewline(relaxed)) return part;
  const early = partUpTo(items, exactItems, first, mayDropHeads);
  return early.isHeadDropped ? early : part;
}

/** The bytes of an anchor's literal (of an alternation, its shortest alternative's). */
function anchorLength(items: readonly Node[], anchor: AnchorRange): number {
  let length = 0;
  for (let i = anchor.start; i <= anchor.end; i++) length += literalLength(items[i]!) ?? 0;
  return length;
}

/** A literal this long is rare in text, where a short keyword is not (see rarerEarlierAnchor). */
const RARE_ANCHOR_LENGTH = 6;
/** The most bytes between that literal and the last anchor for both to be tracked as one (a name's `[\w.-]{0,20}`). */
const MAX_ANCHOR_GAP = 20;

/**
 * The nearest anchor before the last one that is longer than it and at least RARE_ANCHOR_LENGTH
 * bytes, with at most MAX_ANCHOR_GAP bytes and no newline between them (counted on the exact
 * items: relaxed runs have no bound), or null: the part is then tracked from it through the last
 * anchor. authorization-header's last anchor is its scheme (`basic|bearer|token|...`): with the
 * head left out, the DFA reported every `token` and `digest` of a CI log (6,900 candidates per 64
 * MiB); from `authorization` on, 70. polymarket-private-key's, `key` after `private[\w.-]{0,20}`,
 * made 7,100.
 */
function rarerEarlierAnchor(items: readonly Node[], exactItems: readonly Node[], last: AnchorRange): AnchorRange | null {
  const lastLength = anchorLength(items, last);
  for (let before = findAnchor(items.slice(0, last.start), 'last'); before !== null; before = findAnchor(items.slice(0, before.start), 'last')) {
    const gap: Node = { type: 'concat', items: exactItems.slice(before.end + 1, last.start) };
    if (widths(gap).max > MAX_ANCHOR_GAP || canMatchNewline(gap)) return null;
    const length = anchorLength(items, before);
    if (length >= RARE_ANCHOR_LENGTH && length > lastLength) return before;
  }
  return null;
}

/** The part of an alternation whose alternatives' parts are `parts`. */
function alternativesPart(parts: readonly TrackedPart[]): TrackedPart {
  return {
    node: { type: 'alt', items: parts.map((part) => part.node) },
    isTruncated: parts.some((part) => part.isTruncated),
    isHeadDropped: parts.some((part) => part.isHeadDropped),
    prefixMinWidth: Math.min(...parts.map((part) => part.prefixMinWidth)),
    prefixMaxWidth: Math.max(...parts.map((part) => part.prefixMaxWidth)),
    isTokenOnly: parts.every((part) => part.isTokenOnly),
    droppedWidth: Math.max(...parts.map((part) => part.droppedWidth)),
    isDroppedTokenOnly: parts.every((part) => part.droppedWidth === 0 || part.isDroppedTokenOnly),
    pastDroppedHeadWidth: Math.max(...parts.map((part) => part.pastDroppedHeadWidth)),
    pastDroppedTokenHeadWidth: Math.max(...parts.map((part) => part.pastDroppedTokenHeadWidth)),
  };
}

/**
 * A sequence with no anchor that ends in an alternation each of whose alternatives has one, or a
 * stop byte to be tracked from (facebook's `(?:EAA[A-Za-z0-9]{90,400}\b|[0-9]{15,16}\|[A-Za-z0-9_-]{27,40})`):
 * each alternative tracked on its own with what comes before the alternation; null when some
 * alternative has none (vault's `s\.[A-Za-z0-9]{24}`: tracked whole, its ends stay exact). Tracked
 * whole, facebook's alternatives counted their trailing runs (64 positions after `EAA`, 27 after
 * `|`) and its digit run kept a thread alive on every digit: those threads, alive for dozens of
 * bytes, were in a third of the states the DFA built late in a long CI log.
 */
function partPerAlternative(items: readonly Node[], exactItems: readonly Node[]): TrackedPart | null {
  const last = items.length - 1;
  const choice = items[last];
  const exactChoice = exactItems[last];
  if (choice?.type !== 'alt' || exactChoice?.type !== 'alt') return null;
  const withPrefix = (sequence: readonly Node[], alternative: Node): Node => ({ type: 'concat', items: [...sequence.slice(0, last), alternative] });
  const parts = choice.items.map((item, i) => trackedPart(withPrefix(items, item), withPrefix(exactItems, exactChoice.items[i]!)));
  const isOwn = (part: TrackedPart, i: number): boolean => part.isHeadDropped || findAnchor(flatten(choice.items[i]!), 'last') !== null;
  return parts.every(isOwn) ? alternativesPart(parts) : null;
}

/**
 * A sequence that begins with a context alternation one of whose alternatives is empty, as the
 * token boundary `(?:\b|<escapes>)` of the packs (src/rules/token-boundary.ts; `\b` relaxes to
 * empty), tracked as two alternatives: the sequence without the context, and with its other
 * alternatives. Together, the context keeps the head from being left out, and a thread alive
 * through every token; apart, the bare token's head goes (the horizon holds the current token, or
 * a few bytes of the current line) while the escapes, rare bytes, start the only threads. Null when the bare
 * sequence keeps its head anyway (splitting would only double its positions).
 */
function splitOptionalContext(items: readonly Node[], exactItems: readonly Node[]): TrackedPart | null {
  const context = items[0];
  const exactContext = exactItems[0];
  if (context?.type !== 'alt' || exactContext?.type !== 'alt' || items.length < 2) return null;
  const kept = context.items.flatMap((item, i) => (item.type === 'empty' ? [] : [{ item, exact: exactContext.items[i]! }]));
  if (kept.length === context.items.length) return null;
  const sequence = (head: readonly Node[], rest: readonly Node[]): Node => ({ type: 'concat', items: [...head, ...rest] });
  const bare = trackedPart(sequence([], items.slice(1)), sequence([], exactItems.slice(1)));
  // Left out as token bytes only, the bare head bounds the horizon by the current token; left out
  // with an anchor that holds separators (`==:`, `://`), by its dropped width on the current line
  // (at most MAX_DROPPED_PREFIX, see partUpTo): the bytes emitted stay those the in-flight
  // analysis allows (src/redact/in-flight.ts), while a thread through the head lived on 65-82% of
  // a CI log's bytes (tableau, url-password).
  if (!bare.isHeadDropped) return null;
  if (kept.length === 0) return bare;
  const contextOf = (alternatives: readonly Node[]): Node => (alternatives.length === 1 ? alternatives[0]! : { type: 'alt', items: [...alternatives] });
  const relaxedAlternatives: Node = {
    type: 'alt',
    items: [sequence([], items.slice(1)), sequence([contextOf(kept.map((k) => k.item))], items.slice(1))],
  };
  const exactAlternatives: Node = {
    type: 'alt',
    items: [sequence([], exactItems.slice(1)), sequence([contextOf(kept.map((k) => k.exact))], exactItems.slice(1))],
  };
  return trackedPart(relaxedAlternatives, exactAlternatives);
}

/**
 * A sequence with no literal anchor tracked from a byte that ends a class run of its head and the
 * stopped runs after it (see stoppedRuns), as the first `.` of discord's
 * `[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.` or the second `/` of asana's
 * `[012]/[0-9]{16}/[0-9]{16}:`: the latest such byte whose head may be left out (see partUpTo),
 * or null. Tracked whole, discord's head kept a thread alive through every word with an M, N or O
 * (11% of a CI log's bytes), and that thread was in 62% of the DFA's states.
 */
function partAfterStopByte(items: readonly Node[], exactItems: readonly Node[]): TrackedPart | null {
  for (let end = items.length - 1; end > 0; end--) {
    const stop = items[end]!;
    const run = items[end - 1]!;
    if (stop.type !== 'bytes' || byteSetSize(stop.set) !== 1 || hasByte(stop.set, NEWLINE)) continue;
    if (run.type !== 'repeat' || run.child.type !== 'bytes' || !isDisjoint(run.child.set, stop.set)) continue;
    // A rare stop byte (`|` of facebook's `[0-9]{15,16}\|[A-Za-z0-9_-]{27,40}`) starts a thread
    // through the first bytes of the run after it, as an anchor does (see leadingCopies).
    const part = partUpTo(items, exactItems, { start: end, end }, true, hasRareByte([stop]));
    // A common byte alone (`.`, `/`) would make a candidate of every one: it needs a run after it.
    if (part.isHeadDropped && (part.pastDroppedHeadWidth > 0 || part.pastDroppedTokenHeadWidth > 0)) return part;
  }
  return null;
}

/**
 * The part of a sequence up to and including the anchor at `anchor` (see {@link trackedPart});
 * without `mayDropHeads`, every byte from the sequence's start on is tracked. A trailing run's
 * first copies are tracked when the head is (see leadingCopies), or with `isCopiedPastHead`.
 */
function partUpTo(items: readonly Node[], exactItems: readonly Node[], anchor: AnchorRange, mayDropHeads: boolean, isCopiedPastHead = false): TrackedPart {
  const { start, end } = anchor;
  const anchorItem = items[end]!;
  const exactAnchor = exactItems[end]!;
  // An alternation that anchors (a keyword list) is itself cut after each alternative's anchor.
  const partOfAnchor = (mayDropInnerHeads: boolean): TrackedPart =>
    anchorItem.type === 'alt' && literalLength(anchorItem) === null ? trackedPart(anchorItem, exactAnchor, mayDropInnerHeads) : wholePart(anchorItem, exactAnchor, false);
  let last = partOfAnchor(mayDropHeads);
  const head: Node = { type: 'concat', items: items.slice(0, end) };
  const anchorMaxWidth = widths({ type: 'concat', items: exactItems.slice(0, end) }).max + last.prefixMaxWidth;
  const isAnchorTokenOnly = last.isTokenOnly && bytesWithin(head, TOKEN_BYTES);
  // The head may go only if no match can have a newline before its anchor's end: the horizon
  // (engine.ts) then knows a match it has not seen cannot start before the last newline. A wide
  // head must be token bytes only: the horizon then needs only the bytes since the last separator.
  const mayDropHead =
    mayDropHeads && start > 0 && (anchorMaxWidth <= MAX_DROPPED_PREFIX || isAnchorTokenOnly) && !canMatchNewline({ type: 'concat', items: items.slice(0, end + 1) });
  const first = mayDropHead ? start : 0;
  // An alternative's head may go only where it begins the match: with items kept before the
  // alternation (`curl … --header "` before `(?:api-?)?token`), dropping `api-` would lose `Api-Token`.
  if (first < end) last = partOfAnchor(false);
  const stopped = last.isTruncated ? [] : stoppedRuns(items, exactItems, end);
  const copies =
    (first === 0 || isCopiedPastHead) && !last.isTruncated ? leadingCopies(items[end + 1 + stopped.length], exactItems[end + 1 + stopped.length], isAnchorTokenOnly) : null;
  const tail = copies === null ? stopped : [...stopped, copies.relaxed];
  const exactTail = [...exactItems.slice(end + 1, end + 1 + stopped.length), ...(copies === null ? [] : [copies.exact])];
  const prefixMaxWidth = anchorMaxWidth + widths({ type: 'concat', items: exactTail }).max;
  const isTokenOnly = isAnchorTokenOnly && bytesWithin({ type: 'concat', items: tail }, TOKEN_BYTES);
  const isPastDroppedHead = first > 0 && tail.length > 0;
  return {
    node: { type: 'concat', items: [...items.slice(first, end), last.node, ...tail] },
    // The leading copies are only the first of a run: what follows them is left to the confirmer.
    isTruncated: last.isTruncated || copies !== null || end + tail.length < items.length - 1,
    isHeadDropped: first > 0 || last.isHeadDropped,
    prefixMinWidth: widths({ type: 'concat', items: [head, ...tail] }).min + last.prefixMinWidth,
    prefixMaxWidth,
    isTokenOnly,
    droppedWidth: first > 0 ? anchorMaxWidth : last.droppedWidth,
    isDroppedTokenOnly: first > 0 ? isAnchorTokenOnly : last.isDroppedTokenOnly,
    pastDroppedHeadWidth: isPastDroppedHead && !isTokenOnly ? prefixMaxWidth : last.pastDroppedHeadWidth,
    pastDroppedTokenHeadWidth: isPastDroppedHead && isTokenOnly ? prefixMaxWidth : last.pastDroppedTokenHeadWidth,
  };
}

/**
 * The items after an anchor (at `end`) worth tracking too: single byte sets (`[dou]_` after
 * `fig`), and runs of a class without blanks each followed by a byte the class lacks, but not a
 * newline, as `[^\s:@/"'<>]{1,64}:` after `://`. Such a thread dies at the first byte that does
 * not fit or the first separator, and the candidates left are the few anchors those bytes follow
 * (every URL but the ones with a password was a candidate of the URL password rules, every
 * `config` of a CI log one of figma's). No newline in them: the horizon bounds such threads by the
 * last newline. A trailing class run's first copies are another matter (see leadingCopies). A run
 * of at most MAX_EXACT_STOPPED_RUN copies keeps its own counts.
 */
function stoppedRuns(items: readonly Node[], exactItems: readonly Node[], end: number): Node[] {
  let next = end + 1;
  for (;;) {
    const item = items[next];
    if (item?.type === 'bytes' && !hasByte(item.set, NEWLINE)) {
      next += 1;
      continue;
    }
    const stop = items[next + 1];
    if (item?.type !== 'repeat' || item.child.type !== 'bytes' || stop?.type !== 'bytes') break;
    const runSet = item.child.set;
    if (byteSetSize(stop.set) > 2 || !isDisjoint(runSet, stop.set) || !isDisjoint(runSet, SPACE_BYTES) || hasByte(stop.set, NEWLINE)) break;
    next += 2;
  }
  // A short run keeps its own counts: `\.[A-Za-z0-9_-]+\.` would be every dotted name's.
  return items.slice(end + 1, next).map((item, i) => {
    const exact = exactItems[end + 1 + i]!;
    return item.type === 'repeat' && exact.type === 'repeat' && exact.max <= MAX_EXACT_STOPPED_RUN ? exact : item;
  });
}

/** Copies of a class run after an anchor tracked in full (see {@link leadingCopies}). */
const LEADING_COPIES = 3;

/**
 * The first LEADING_COPIES copies of a class run that every match has after the anchor and its
 * stopped runs (`[A-Za-z0-9]{42}` after `ion_`), relaxed and exact; null when the item is no such
 * run, or a run with separator bytes after token bytes. Only for a rule whose head is tracked (a
 * dropped head's thread past its anchor holds bytes back, see droppedHeadDepth), or past a rare
 * stop byte (see partAfterStopByte). On a CI log `ion_` of `duration_ms` made 30% of all
 * candidates: three copies cut the candidates by a third for 1% more DFA steps (four copies, on
 * every rule, built 18% more states).
 */
function leadingCopies(item: Node | undefined, exact: Node | undefined, isTokenOnly: boolean): { relaxed: Node; exact: Node } | null {
  if (item?.type !== 'repeat' || item.child.type !== 'bytes' || exact?.type !== 'repeat' || exact.min < LEADING_COPIES || hasByte(item.child.set, NEWLINE)) return null;
  // A part of token bytes only stays one: its threads are bounded by the last separator.
  if (isTokenOnly && !bytesWithin(item.child, TOKEN_BYTES)) return null;
  return { relaxed: { ...item, min: LEADING_COPIES, max: LEADING_COPIES }, exact: { ...exact, min: LEADING_COPIES, max: LEADING_COPIES } };
}

/** The most copies of a stopped run tracked with the rule's own counts (see stoppedRuns). */
const MAX_EXACT_STOPPED_RUN = 8;

function isDisjoint(a: ByteSet, b: ByteSet): boolean {
  return a.every((word, i) => (word & b[i]!) === 0);
}

/**
 * An unanchored part, tracked whole but for a trailing loop. Relaxed, `s\.[A-Za-z0-9]{24}` ends
 * in `[A-Za-z0-9]+`: tracked, it would report a candidate on every byte of the token and keep a
 * thread alive through it. The part stops after the loop's mandatory copies instead and leaves
 * the rest to the confirmer, unless a match may hold a newline (its candidates would then wait
 * for maxWidth bytes rather than the horizon).
 */
function withoutTrailingLoop(relaxed: Node, exact: Node): TrackedPart {
  const items = flatten(relaxed);
  const exactItems = flatten(exact);
  let end = items.length;
  while (end > 0 && items[end - 1]!.type === 'empty') end--; // a relaxed assertion such as a final \b
  const loop = items[end - 1];
  const exactLoop = exactItems[end - 1];
  const isCut = loop?.type === 'repeat' && loop.max === Infinity && exactLoop?.type === 'repeat' && (loop.min > 0 || end > 1) && !canMatchNewline(relaxed);
  if (!isCut) return wholePart(withCountedEnds(relaxed, exact), exact, false);
  // The loop's mandatory copies (relaxed, at most MAX_COUNTED_PREFIX), as many in the exact rule.
  const node: Node = { type: 'concat', items: [...items.slice(0, end - 1), { ...loop, max: loop.min }] };
  const exactPrefix: Node = { type: 'concat', items: [...exactItems.slice(0, end - 1), { ...exactLoop, min: loop.min, max: loop.min }] };
  return wholePart(node, exactPrefix, true);
}

/**
 * `relaxed` with each loop a match ends in (`exact` has its own counts) counting its rule's
 * fewest copies again, up to MAX_EXPANDED_POSITIONS positions: tracked whole, `s\.[A-Za-z0-9]{24}`
 * relaxed to `s\.[A-Za-z0-9]+` reported a candidate on every byte after each `s.` of ordinary text
 * (72% of all candidates in a CI log); `s\.[A-Za-z0-9]{24,}` reports only runs that can match.
 * Threads die on the same bytes, so the horizon is the same.
 */
function withCountedEnds(relaxed: Node, exact: Node): Node {
  if ((relaxed.type === 'alt' || relaxed.type === 'concat') && exact.type === relaxed.type) {
    let last = relaxed.items.length - 1;
    if (relaxed.type === 'concat') while (last > 0 && relaxed.items[last]!.type === 'empty') last--;
    const items = relaxed.items.map((item, i) => (relaxed.type === 'alt' || i === last ? withCountedEnds(item, exact.items[i]!) : item));
    return { type: relaxed.type, items };
  }
  if (relaxed.type !== 'repeat' || relaxed.max !== Infinity || exact.type !== 'repeat') return relaxed;
  const size = Math.max(countPositions(relaxed.child), 1);
  const min = Math.max(relaxed.min, Math.min(exact.min, Math.floor(MAX_EXPANDED_POSITIONS / size)));
  return { ...relaxed, min };
}

/** `node` tracked from a match's start to its end; `exact` is the same part with the rule's own counts. */
function wholePart(node: Node, exact: Node, isTruncated: boolean): TrackedPart {
  return {
    node,
    isTruncated,
    isHeadDropped: false,
    prefixMinWidth: widths(node).min,
    prefixMaxWidth: widths(exact).max,
    isTokenOnly: bytesWithin(node, TOKEN_BYTES),
    droppedWidth: 0,
    isDroppedTokenOnly: true,
    pastDroppedHeadWidth: 0,
    pastDroppedTokenHeadWidth: 0,
  };
}

/** Bytes of tokens, keys and identifiers; everything else separates them. */
export const TOKEN_BYTES = byteSetOf([0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0x5f, 0x5f], [0x2b, 0x2b], [0x2d, 0x2f], [0x3d, 0x3d]);

/** Whether every byte `node` can match is in `allowed`. */
function bytesWithin(node: Node, allowed: ByteSet): boolean {
  switch (node.type) {
    case 'bytes':
      return node.set.every((word, i) => (word & ~allowed[i]!) === 0);
    case 'concat':
    case 'alt':
      return node.items.every((item) => bytesWithin(item, allowed));
    case 'group':
    case 'repeat':
      return bytesWithin(node.child, allowed);
    default:
      return true;
  }
}

interface Fragment {
  readonly first: number[];
  readonly last: number[];
  readonly nullable: boolean;
}

/** The Glushkov positions of some trees, one per rule (see {@link glushkov}). */
interface Positions {
  readonly sets: ByteSet[];
  /** May hold a target twice (see {@link dedupedFollow}): a Set per position cost 10 MB of peak RSS. */
  readonly follow: number[][];
  /** Per position: the rule whose match ends there, or -1; `$` markers (empty sets) included. */
  readonly acceptsRule: number[];
  readonly positionRule: number[];
  /** Per position: 1 when it lies inside its rule's capture group `secretGroup` (see glushkov). */
  readonly inSecret: number[];
  /** The positions a match may start with. */
  readonly starts: number[];
  /** The positions of `$`. */
  readonly endMarkers: Set<number>;
}

/**
 * The positions of each tree (relaxed: no assertion but `$`, no group but those `secretGroups`
 * name, which are then marked; group 0 marks the whole tree). Each tree ends at its last positions.
 */
function glushkov(trees: ReadonlyArray<{ readonly rule: number; readonly node: Node; readonly secretGroups?: readonly number[] }>): Positions {
  const positions: Positions = { sets: [], follow: [], acceptsRule: [], positionRule: [], inSecret: [], starts: [], endMarkers: new Set() };
  const { sets, follow, acceptsRule, positionRule, inSecret } = positions;
  const link = (from: readonly number[], to: readonly number[]): void => {
    for (const p of from) follow[p]!.push(...to);
  };
  const seq = (a: Fragment, b: Fragment): Fragment => {
    link(a.last, b.first);
    return {
      first: a.nullable ? [...a.first, ...b.first] : a.first,
      last: b.nullable ? [...a.last, ...b.last] : b.last,
      nullable: a.nullable && b.nullable,
    };
  };
  const EMPTY: Fragment = { first: [], last: [], nullable: true };

  let currentRule = -1;
  let isSecret = false;
  const newPosition = (set: ByteSet): number => {
    follow.push([]);
    acceptsRule.push(-1);
    positionRule.push(currentRule);
    inSecret.push(isSecret ? 1 : 0);
    return sets.push(set) - 1;
  };

  // Each call creates fresh positions, so calling it twice on a node makes two copies.
  const build = (node: Node): Fragment => {
    switch (node.type) {
      case 'empty':
        return EMPTY;
      case 'assert': {
        // Only `$` is left by relax(): a marker position with an empty byte set.
        const p = newPosition(emptyByteSet());
        positions.endMarkers.add(p);
        return { first: [p], last: [p], nullable: false };
      }
      case 'bytes': {
        const p = newPosition(node.set);
        return { first: [p], last: [p], nullable: false };
      }
      case 'group': {
        // Only the secret groups are left by relax().
        const outer = isSecret;
        isSecret = true;
        const fragment = build(node.child);
        isSecret = outer;
        return fragment;
      }
      case 'concat':
        return node.items.map(build).reduce(seq, EMPTY);
      case 'alt': {
        const parts = node.items.map(build);
        return {
          first: parts.flatMap((f) => f.first),
          last: parts.flatMap((f) => f.last),
          nullable: parts.some((f) => f.nullable),
        };
      }
      case 'repeat': {
        let result = EMPTY;
        const mandatory = node.max === Infinity ? Math.max(node.min - 1, 0) : node.min;
        for (let i = 0; i < mandatory; i++) result = seq(result, build(node.child));
        if (node.max === Infinity) {
          const loop = build(node.child);
          link(loop.last, loop.first);
          result = seq(result, node.min === 0 ? { ...loop, nullable: true } : loop);
        } else {
          // Optional copies: each may be followed by the next, or end the repeat.
          let optional = EMPTY;
          for (let i = node.min; i < node.max; i++) {
            const copy = build(node.child);
            optional = i === node.min ? { ...copy, nullable: true } : { ...seq(optional, copy), last: [...optional.last, ...copy.last], nullable: true };
          }
          result = seq(result, optional);
        }
        return result;
      }
    }
  };

  for (const tree of trees) {
    currentRule = tree.rule;
    isSecret = tree.secretGroups?.includes(0) === true;
    const fragment = build(tree.node);
    for (const p of fragment.last) acceptsRule[p] = tree.rule;
    positions.starts.push(...fragment.first);
  }
  return positions;
}

/** Each position's targets, once each, as offsets and targets (see PositionAutomaton.followOffsets). */
function dedupedFollow(follow: readonly number[][]): { followOffsets: Int32Array; followTargets: Int32Array } {
  const lists = follow.map((targets) => {
    const sorted = Int32Array.from(targets).sort();
    let length = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[length++] = sorted[i]!;
    return sorted.subarray(0, length);
  });
  const followOffsets = new Int32Array(lists.length + 1);
  lists.forEach((list, p) => {
    followOffsets[p + 1] = followOffsets[p]! + list.length;
  });
  const followTargets = new Int32Array(followOffsets[lists.length]!);
  lists.forEach((list, p) => followTargets.set(list, followOffsets[p]!));
  return { followOffsets, followTargets };
}

/** The sets as one array, 8 words a position. */
function setWordsOf(sets: readonly ByteSet[]): Uint32Array {
  const words = new Uint32Array(sets.length * 8);
  sets.forEach((set, p) => words.set(set, p * 8));
  return words;
}

/**
 * The byte classes of an automaton: two bytes share one when every position's set holds both or
 * neither, so every transition is the same on both and a row needs a column per class, not per
 * byte (96 classes on the built-in pack). Each distinct set splits the classes it cuts in two.
 */
export function byteClassesOf(setWords: Uint32Array): ByteClasses {
  let byteClass = new Uint8Array(256);
  let count = 1;
  const seen = new Set<string>();
  const splits = new Int16Array(512);
  for (let at = 0; at < setWords.length; at += 8) {
    const set: ByteSet = setWords.subarray(at, at + 8);
    const key = set.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    // (old class, whether the set holds the byte) numbered in order of first appearance.
    splits.fill(-1);
    const split = new Uint8Array(256);
    count = 0;
    for (let byte = 0; byte < 256; byte++) {
      const pair = byteClass[byte]! * 2 + (hasByte(set, byte) ? 1 : 0);
      if (splits[pair] === -1) splits[pair] = count++;
      split[byte] = splits[pair]!;
    }
    byteClass = split;
  }
  return { byteClass, count };
}

/** Per byte, the positions of `starts` whose set holds it. */
function startsByByte(sets: readonly ByteSet[], starts: readonly number[]): Int32Array[] {
  const lists: number[][] = Array.from({ length: 256 }, () => []);
  for (const p of new Set(starts)) {
    const set = sets[p]!;
    for (let word = 0; word < 8; word++) {
      for (let bits = set[word]!; bits !== 0; bits &= bits - 1) lists[word * 32 + (31 - Math.clz32(bits & -bits))]!.push(p);
    }
  }
  return lists.map((list) => Int32Array.from(list.sort((a, b) => a - b)));
}

/** Builds the automaton of `rules` (relaxed trees, in rule-index order). */
export function buildPositionAutomaton(rules: ReadonlyArray<{ readonly index: number; readonly ast: Node }>): PositionAutomaton {
  const ruleCount = rules.reduce((n, rule) => Math.max(n, rule.index + 1), 0);
  const isTruncated = new Uint8Array(ruleCount);
  const isHeadDropped = new Uint8Array(ruleCount);
  const trackedMinWidth = new Int32Array(ruleCount);
  const trackedMaxWidth = new Int32Array(ruleCount);
  const isTokenOnly = new Uint8Array(ruleCount);
  const droppedWidth = new Int32Array(ruleCount);
  const isDroppedTokenOnly = new Uint8Array(ruleCount);
  const droppedHeadDepth = new Int32Array(ruleCount);
  const droppedTokenHeadDepth = new Int32Array(ruleCount);
  const trees = rules.map((rule) => {
    const tracked = trackedPart(relax(rule.ast), relax(rule.ast, Infinity));
    isTruncated[rule.index] = tracked.isTruncated || tracked.isHeadDropped ? 1 : 0;
    isHeadDropped[rule.index] = tracked.isHeadDropped ? 1 : 0;
    trackedMinWidth[rule.index] = tracked.prefixMinWidth;
    trackedMaxWidth[rule.index] = tracked.prefixMaxWidth;
    isTokenOnly[rule.index] = tracked.isTokenOnly ? 1 : 0;
    droppedWidth[rule.index] = tracked.droppedWidth;
    isDroppedTokenOnly[rule.index] = tracked.isDroppedTokenOnly ? 1 : 0;
    droppedHeadDepth[rule.index] = tracked.pastDroppedHeadWidth;
    droppedTokenHeadDepth[rule.index] = tracked.pastDroppedTokenHeadWidth;
    return { rule: rule.index, node: tracked.node };
  });
  const { sets, follow, acceptsRule, positionRule, starts, endMarkers } = glushkov(trees);

  const acceptsAtEnd = new Int32Array(sets.length).fill(-1);
  follow.forEach((targets, p) => {
    for (const q of targets) if (endMarkers.has(q) && acceptsRule[q]! >= 0) acceptsAtEnd[p] = acceptsRule[q]!;
  });
  for (const p of endMarkers) acceptsRule[p] = -1;

  const setWords = setWordsOf(sets);
  return {
    setWords,
    byteClasses: byteClassesOf(setWords),
    ...dedupedFollow(follow),
    acceptsRule: Int32Array.from(acceptsRule),
    startsOn: startsByByte(sets, starts),
    acceptsAtEnd,
    isTruncated,
    isHeadDropped,
    trackedMinWidth,
    trackedMaxWidth,
    positionRule: Int32Array.from(positionRule),
    isTokenOnly,
    droppedWidth,
    isDroppedTokenOnly,
    droppedHeadDepth,
    droppedTokenHeadDepth,
  };
}

/**
 * What a secret position's byte tells of the secret, for releases at a boundary the reader sees
 * (an SSE event's end, src/redact/in-flight.ts): 0 outside every secret; a `LITERAL` byte (one
 * byte, or one letter in either case) tells nothing; a `HEAD` byte lies in the class run before
 * a long anchored secret's first literal (`[A-Za-z0-9]{52}` of `…{52}AZDO…`), where any word may
 * begin one; an `INNER` byte is any other byte of a secret.
 */
export const SECRET_LITERAL = 1;
export const SECRET_HEAD = 2;
export const SECRET_INNER = 3;

/** A secret counts as long, and its head as releasable, from this many bytes on (its rule's minimum width). */
const MIN_HEADED_SECRET = 32;

/**
 * The automata of the in-flight analysis (src/redact/in-flight.ts), over each rule's whole relaxed
 * tree: `forward` starts a match on every byte, as the engine's automaton does; `backward` runs the
 * same positions the other way (`follow` reversed, no starts). `secretKind` says, per position,
 * whether it lies inside a rule's secret group and what its byte tells of the secret (SECRET_*).
 */
export interface InFlightAutomata {
  readonly forward: PositionAutomaton;
  readonly backward: PositionAutomaton;
  readonly secretKind: Uint8Array;
}

/**
 * Leading copies of a large repeat the in-flight automata keep exact (up to MAX_EXPANDED_POSITIONS
 * positions): they run over a few bytes at the end of each write, not over the stream, so their
 * states cost little; with `[A-Za-z0-9+/]{22}==:` kept as `{8,}`, `KEY=` is no longer a prefix of it.
 */
const IN_FLIGHT_COUNTED_PREFIX = 8;

export function buildInFlightAutomata(rules: ReadonlyArray<{ readonly index: number; readonly ast: Node; readonly secretGroups: readonly number[] }>): InFlightAutomata {
  // One tree per alternative of the secret, so that each is long or not on its own (SECRET_HEAD).
  const trees = rules.flatMap((rule) => secretAlternatives(rule.ast, rule.secretGroups).map((split) => ({ ...split, rule: rule.index, secretGroups: rule.secretGroups })));
  const {
    sets,
    follow,
    positionRule: positionTree,
    inSecret,
    starts,
  } = glushkov(trees.map((tree, t) => ({ rule: t, node: relax(tree.node, IN_FLIGHT_COUNTED_PREFIX, tree.secretGroups), secretGroups: tree.secretGroups })));
  const positionRule = Int32Array.from(positionTree, (t) => trees[t]!.rule);
  const isLongTree = trees.map((tree) => tree.secretMinWidth >= MIN_HEADED_SECRET);
  const ruleCount = rules.reduce((n, rule) => Math.max(n, rule.index + 1), 0);
  const noAccepts = new Int32Array(sets.length).fill(-1);
  const perRule = {
    isTruncated: new Uint8Array(ruleCount),
    isHeadDropped: new Uint8Array(ruleCount),
    trackedMinWidth: new Int32Array(ruleCount),
    trackedMaxWidth: new Int32Array(ruleCount),
    isTokenOnly: new Uint8Array(ruleCount),
    droppedWidth: new Int32Array(ruleCount),
    isDroppedTokenOnly: new Uint8Array(ruleCount),
    droppedHeadDepth: new Int32Array(ruleCount),
    droppedTokenHeadDepth: new Int32Array(ruleCount),
  };
  const predecessors: number[][] = sets.map(() => []);
  follow.forEach((targets, p) => {
    for (const q of targets) predecessors[q]!.push(p);
  });
  const setWords = setWordsOf(sets);
  const shared = { setWords, byteClasses: byteClassesOf(setWords), acceptsRule: noAccepts, acceptsAtEnd: noAccepts, positionRule, ...perRule };
  const none = new Int32Array(0);
  return {
    forward: { ...shared, ...dedupedFollow(follow), startsOn: startsByByte(sets, starts) },
    backward: { ...shared, ...dedupedFollow(predecessors), startsOn: Array.from({ length: 256 }, () => none) },
    secretKind: secretKinds(sets, follow, predecessors, inSecret, (p) => isLongTree[positionTree[p]!]!),
  };
}

/**
 * A rule's tree once per alternative of its secret (`A|B` as the secret: a tree with `A` there and
 * one with `B`), with that alternative's fewest bytes; the tree itself when the secret is no
 * alternation, and, with the fewest bytes of any, when several groups may hold it.
 */
function secretAlternatives(ast: Node, secretGroups: readonly number[]): ReadonlyArray<{ readonly node: Node; readonly secretMinWidth: number }> {
  if (secretGroups.length > 1) {
    const fewest = Math.min(...secretGroups.map((group) => groupNode(ast, group)).map((node) => (node === null ? 0 : widths(node).min)));
    return [{ node: ast, secretMinWidth: fewest }];
  }
  const secretGroup = secretGroups[0]!;
  const secret = secretGroup === 0 ? ast : groupNode(ast, secretGroup);
  let inner = secret !== null && secretGroup !== 0 && secret.type === 'group' ? secret.child : secret;
  while (inner !== null && inner.type === 'group' && inner.index === null) inner = inner.child;
  if (secret === null || inner === null || inner.type !== 'alt') return [{ node: ast, secretMinWidth: secret === null ? 0 : widths(secret).min }];
  const replace = (node: Node, by: Node): Node => {
    if (node === inner) return by;
    switch (node.type) {
      case 'concat':
      case 'alt':
        return { ...node, items: node.items.map((item) => replace(item, by)) };
      case 'group':
      case 'repeat':
        return { ...node, child: replace(node.child, by) };
      default:
        return node;
    }
  };
  return inner.items.map((item) => ({ node: replace(ast, item), secretMinWidth: widths(item).min }));
}

/** Capture group `index` of `ast`, or null. */
function groupNode(ast: Node, index: number): Node | null {
  if (ast.type === 'group' && ast.index === index) return ast;
  if (ast.type === 'concat' || ast.type === 'alt') {
    for (const item of ast.items) {
      const found = groupNode(item, index);
      if (found !== null) return found;
    }
    return null;
  }
  return ast.type === 'group' || ast.type === 'repeat' ? groupNode(ast.child, index) : null;
}

/** One byte, or one ASCII letter in either case: a byte of the rule's text, not of the secret. */
function isLiteralSet(set: ByteSet): boolean {
  const size = byteSetSize(set);
  if (size === 1) return true;
  if (size !== 2) return false;
  for (let byte = 0x41; byte <= 0x5a; byte++) if (hasByte(set, byte) && hasByte(set, byte + 0x20)) return true;
  return false;
}

/**
 * SECRET_* per position (see there). A head position is a non-literal secret position of a long
 * rule that no literal of the secret leads to and that leads to one (an anchor after the run; what
 * comes before the secret, a keyword or a token boundary, does not count): both walks stay within
 * one rule, since positions of different rules never link.
 */
function secretKinds(
  sets: readonly ByteSet[],
  follow: readonly (readonly number[])[],
  predecessors: readonly (readonly number[])[],
  inSecret: readonly number[],
  isLongRule: (p: number) => boolean,
): Uint8Array {
  const isLiteral = sets.map(isLiteralSet);
  const reach = (seeds: (p: number) => boolean, edges: readonly (readonly number[])[]): Uint8Array => {
    const reached = new Uint8Array(sets.length);
    const stack: number[] = [];
    for (let p = 0; p < sets.length; p++) if (seeds(p)) stack.push(p);
    while (stack.length > 0) {
      for (const q of edges[stack.pop()!]!) {
        if (reached[q] === 0) {
          reached[q] = 1;
          stack.push(q);
        }
      }
    }
    return reached;
  };
  const isSecretLiteral = (p: number): boolean => isLiteral[p]! && inSecret[p] === 1;
  const afterLiteral = reach(isSecretLiteral, follow);
  const beforeAnchor = reach(isSecretLiteral, predecessors);
  const kinds = new Uint8Array(sets.length);
  for (let p = 0; p < sets.length; p++) {
    if (inSecret[p] !== 1) continue;
    if (isLiteral[p]) kinds[p] = SECRET_LITERAL;
    else kinds[p] = afterLiteral[p] === 0 && beforeAnchor[p] === 1 && isLongRule(p) ? SECRET_HEAD : SECRET_INNER;
  }
  return kinds;
}
