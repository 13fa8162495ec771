/**
 * What the vectorscan engine scans instead of a whole rule, to keep Vectorscan on literals.
 *
 * ## The anchored prefix of a rule that can match a newline
 *
 * Vectorscan reports match ends only, so a rule is "in flight" for as many bytes as it can span:
 * a rule such as `password\s*=\s*\S+` (a newline may come after the keyword) would make every
 * line wait for thousands of bytes. Its prefix up to the keyword is newline-free and short, so
 * scanning for the prefix bounds how far back a match not yet seen can start (the last newline,
 * or the prefix's width), and each prefix hit becomes a candidate that the confirmer runs the
 * whole rule on, as it does for the ts engine's rules tracked up to an anchor.
 *
 * The prefix runs from the rule's start through its first anchor (regex/anchors.ts), and on
 * while no newline can come into it, into the first item where one can (up to that place in each
 * of its alternatives): a longer prefix reports fewer candidates. A rule without an
 * anchor can still have a prefix: its newline-free start, when that is at least
 * {@link MIN_UNANCHORED_WIDTH} bytes long (`\d{15,16}\|[0-9a-z_-]{27,40}` before a terminator
 * such as `[\s;]`), since such a pattern is rare in text. A top-level alternation gets a prefix
 * per alternative.
 *
 * ## The rule without its unanchored head
 *
 * A rule that starts with a byte-class run (`[M-O][\w-]{23,25}\.[\w-]{6}\.…`, `\d{15,16}\|…`)
 * keeps a Vectorscan automaton running on every word of text: two such rules cost the built-in
 * pack's scan 40% of its rate. Every match of the rule ends with a match of the rule from its
 * first literal byte on, at the same end, so scanning that suffix reports every real end (and
 * some more, which the confirmer drops); the start bound `end - maxWidth` of the whole rule holds.
 */
import { canMatchNewline, widths } from '../../regex/analyze.js';
import { findAnchor, flatten, literalLength } from '../../regex/anchors.js';
import { type Node, byteSetSize } from '../../regex/ast.js';

export interface AnchoredPrefix {
  /** The pattern to scan for: every match of the rule begins with a match of it. */
  readonly node: Node;
  /** The fewest bytes from a match's start to the end of its prefix. */
  readonly minWidth: number;
  /** The most bytes from a match's start to the end of its prefix. */
  readonly maxWidth: number;
  /** Whether a newline can come before the end of the prefix. */
  readonly canMatchNewline: boolean;
}

/** The fewest bytes a prefix without an anchor must match to be scanned for on its own. */
const MIN_UNANCHORED_WIDTH = 8;

/** `node` without group nodes (they only capture, which the prefix needs not). */
function withoutGroups(node: Node): Node {
  switch (node.type) {
    case 'group':
      return withoutGroups(node.child);
    case 'concat':
    case 'alt':
      return { type: node.type, items: node.items.map(withoutGroups) };
    case 'repeat':
      return { ...node, child: withoutGroups(node.child) };
    default:
      return node;
  }
}

function prefixOf(node: Node): AnchoredPrefix | null {
  if (node.type === 'alt') {
    const parts: AnchoredPrefix[] = [];
    for (const item of node.items) {
      const part = prefixOf(item);
      if (part === null) return null;
      parts.push(part);
    }
    return {
      node: { type: 'alt', items: parts.map((part) => part.node) },
      minWidth: Math.min(...parts.map((part) => part.minWidth)),
      maxWidth: Math.max(...parts.map((part) => part.maxWidth)),
      canMatchNewline: parts.some((part) => part.canMatchNewline),
    };
  }
  const items = flatten(node);
  const anchor = findAnchor(items, 'first');
  let end = anchor === null ? -1 : anchor.end;
  const through = (last: number): Node => ({ type: 'concat', items: items.slice(0, last + 1) });
  if (!canMatchNewline(through(end))) {
    while (end + 1 < items.length && !canMatchNewline(items[end + 1]!)) end++;
  }
  const head = end + 1 < items.length && !canMatchNewline(through(end)) ? newlineFreeHead(items[end + 1]!) : null;
  const prefix: Node = head === null ? through(end) : { type: 'concat', items: [...items.slice(0, end + 1), head] };
  const { min, max } = widths(prefix);
  if (anchor === null && min < MIN_UNANCHORED_WIDTH) return null;
  return { node: prefix, minWidth: min, maxWidth: max, canMatchNewline: canMatchNewline(prefix) };
}

/**
 * What every match of `node` begins with, up to the first place a newline can come in: `node`
 * itself when it cannot match one; null when that is nothing (a newline may come first). The
 * alternation after a keyword (`(?:[ \t]{0,4}=|>[ \t\r\n]{0,8})`) thus adds `(?:[ \t]{0,4}=|>)` to
 * the prefix: a keyword followed by no assignment (`sqlalchemy-1.4.whl`) is then no candidate.
 */
function newlineFreeHead(node: Node): Node | null {
  if (!canMatchNewline(node)) return node;
  switch (node.type) {
    case 'concat': {
      const at = node.items.findIndex(canMatchNewline);
      const head = newlineFreeHead(node.items[at]!);
      const items = head === null ? node.items.slice(0, at) : [...node.items.slice(0, at), head];
      return items.length === 0 ? null : { type: 'concat', items };
    }
    case 'alt': {
      const heads = node.items.map(newlineFreeHead);
      // A branch that can start with a newline begins with the empty string only.
      return heads.every((head) => head === null) ? null : { type: 'alt', items: heads.map((head): Node => head ?? { type: 'empty' }) };
    }
    case 'repeat':
      return node.min > 0 ? newlineFreeHead(node.child) : null;
    default:
      return null;
  }
}

/** The anchored prefix of a rule's (capped) tree, or null when some match has no anchor. */
export function anchoredPrefix(ast: Node): AnchoredPrefix | null {
  return prefixOf(withoutGroups(ast));
}

/** The fewest bytes a suffix must match: a shorter one (`.com`) would report ends all over text. */
const MIN_SUFFIX_WIDTH = 8;

/** The most literals the narrow bytes kept before a suffix's first literal may spell it as. */
const MAX_LEAD_SPELLINGS = 8;

/**
 * Where a suffix that starts at `rest[cut]` starts instead with the narrow single bytes before it
 * kept (`[012]` before `/[0-9]{16}/…`): Vectorscan spells them as a few literals (`0/`, `1/`,
 * `2/`), much rarer in text than `/` alone (asana's token cost the pack's scan about a tenth).
 */
function withNarrowLead(rest: readonly Node[], cut: number): number {
  let spellings = 1;
  let start = cut;
  while (start > 0) {
    const item = rest[start - 1]!;
    if (item.type !== 'bytes' || spellings * byteSetSize(item.set) > MAX_LEAD_SPELLINGS) break;
    spellings *= byteSetSize(item.set);
    start--;
  }
  return start;
}

/**
 * `node` from its first literal byte on, when a head without an anchor comes before it (a keyword
 * list such as `(?i:private[_.-]?key|…)` is no head to drop: it is what makes the rule rare); else null.
 *
 * A head that can match empty goes first, whatever it holds: the token boundary
 * `(?:\b|\x1b\[…m|%2F…)` before a token changes no match's end, and left in it hid the token's
 * own head from the cut (`[0-9]{15,16}\|…` alone was 40% of the built-in pack's scan). An
 * alternation that then comes first is cut per alternative, each with what follows it.
 */
function suffixOf(node: Node): Node | null {
  const items = flatten(node).filter((item) => item.type !== 'assert');
  const start = items.findIndex((item) => widths(item).min > 0);
  if (start < 0) return null;
  const rest = items.slice(start);
  const [first, ...after] = rest;
  if (first!.type === 'alt') {
    const branches = first!.items.map((branch): Node => ({ type: 'concat', items: [branch, ...after] }));
    const cut = branches.map(suffixOf);
    if (start === 0 && cut.every((suffix) => suffix === null)) return null;
    return { type: 'alt', items: branches.map((branch, i) => cut[i] ?? branch) };
  }
  const whole: Node | null = start === 0 ? null : { type: 'concat', items: rest };
  const cut = rest.findIndex((item) => literalLength(item) !== null);
  if (cut <= 0) return whole;
  const anchor = findAnchor(rest, 'first');
  if (anchor !== null && anchor.start < cut) return whole;
  const lead = withNarrowLead(rest, cut);
  if (lead === 0) return whole;
  const suffix: Node = { type: 'concat', items: rest.slice(lead) };
  return widths(suffix).min >= MIN_SUFFIX_WIDTH ? suffix : whole;
}

/**
 * The rule (capped tree) without its unanchored head (or a head that can match empty), per
 * alternative of a top-level alternation; null when no alternative has such a head (see the module doc).
 */
export function withoutUnanchoredHead(ast: Node): Node | null {
  const tree = withoutGroups(ast);
  const branches = tree.type === 'alt' ? tree.items : [tree];
  const cut = branches.map(suffixOf);
  if (cut.every((suffix) => suffix === null)) return null;
  const items = branches.map((branch, i) => cut[i] ?? branch);
  return items.length === 1 ? items[0]! : { type: 'alt', items };
}
