/**
 * Prints a rule's tree (regex/ast.ts: byte-level, flags applied, repeats capped) as a
 * Vectorscan expression, compiled without UTF-8 mode so that `\xHH` is one byte.
 *
 * The engine is a prefilter, so the printed expression may match *more* than the tree (never
 * less, and never a real match with a different end):
 * - large counted repeats are relaxed: an upper bound above {@link RELAX_ABOVE} becomes unbounded
 *   and a lower bound above it shrinks to it, since Vectorscan's bounded repeats cost stream state
 *   and often exceed its limits with start-of-match tracking ("Pattern is too large");
 * - word boundaries (`\b`, `\B`) are dropped: Vectorscan takes them, but they cost it its fast
 *   paths. Measured on the built-in secrets pack (357 rules, 64 MiB CI log, streaming, no start of
 *   match): 56 MB/s with them, 325 MB/s without, and the same 846 matches. Except where a match
 *   ends: there `\b` costs no fast path and keeps a fixed-width token out of a longer word
 *   (`s\.[A-Za-z0-9]{24}\b`, a Vault token, was 4.9k candidates on a 64 MiB CI log from
 *   `process.processTicksAndRejections`, none of them a match);
 * - stream and line anchors are kept where Vectorscan means the same thing (`\A`, `\z`,
 *   `(?m:^)`, `(?m:$)`), or dropped too with `assertions: 'drop'`. Dropping only widens.
 *
 * @example
 *   printHyperscan(parseRegex('(?i)ghp_[a-z0-9]{36}').ast)
 *   // => '[\x47\x67][\x48\x68][\x50\x70]\x5f[\x30-\x39\x41-\x5a\x61-\x7a]{36}'
 */
import type { ByteSet, Node } from '../../regex/ast.js';

/** Counted repeats above this bound are relaxed (see module doc). */
export const RELAX_ABOVE = 64;

export interface PrintOptions {
  /** 'keep' (default) prints the anchors Vectorscan understands alike; 'drop' removes them too. */
  readonly assertions?: 'keep' | 'drop';
}

const ASSERTIONS = {
  streamStart: '\\A',
  streamEnd: '\\z',
  lineStart: '(?m:^)',
  lineEnd: '(?m:$)',
  wordBoundary: '',
  notWordBoundary: '',
} as const;

/** Word boundaries where a match ends (see the module doc). */
const WORD_ASSERTIONS_AT_END = { wordBoundary: '\\b', notWordBoundary: '\\B' } as const;

const HEX = Array.from({ length: 256 }, (_, byte) => `\\x${byte.toString(16).padStart(2, '0')}`);

function hex(byte: number): string {
  return HEX[byte]!;
}

/** The ranges of a set, reading it a 32-byte word at a time (printing runs at every start-up). */
function ranges(set: ByteSet): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = -1;
  for (let word = 0; word < 8; word++) {
    const bits = set[word]! >>> 0;
    // A word that neither starts nor ends a range changes nothing.
    if (from < 0 ? bits === 0 : bits === 0xffffffff) continue;
    for (let bit = 0; bit < 32; bit++) {
      const byte = word * 32 + bit;
      if ((bits >>> bit) & 1) {
        if (from < 0) from = byte;
      } else if (from >= 0) {
        out.push([from, byte - 1]);
        from = -1;
      }
    }
  }
  if (from >= 0) out.push([from, 255]);
  return out;
}

/** A non-empty set as one byte or a class of ranges. */
function printSet(set: ByteSet): string {
  const all = ranges(set);
  const [first] = all;
  if (all.length === 1 && first !== undefined && first[0] === first[1]) return hex(first[0]);
  return `[${all.map(([from, to]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`)).join('')}]`;
}

function printCount(min: number, max: number): string {
  const low = Math.min(min, RELAX_ABOVE);
  if (max > RELAX_ABOVE) return low === 0 ? '*' : low === 1 ? '+' : `{${low},}`;
  if (low === 0 && max === 1) return '?';
  return low === max ? `{${low}}` : `{${low},${max}}`;
}

/** Whether `node` prints as one atom that a quantifier can follow without a group. */
function isAtom(node: Node): boolean {
  return node.type === 'bytes';
}

/**
 * Prints `node`; null when it can match nothing at all (a class with no byte, as `[^\x00-\xff]`,
 * which Vectorscan cannot spell). The empty string stands for the empty match.
 */
function print(node: Node, options: PrintOptions, isAtEnd: boolean): string | null {
  switch (node.type) {
    case 'empty':
      return '';
    case 'bytes':
      return node.set.every((word) => word === 0) ? null : printSet(node.set);
    case 'assert':
      if (options.assertions === 'drop') return '';
      return isAtEnd && (node.kind === 'wordBoundary' || node.kind === 'notWordBoundary') ? WORD_ASSERTIONS_AT_END[node.kind] : ASSERTIONS[node.kind];
    case 'group':
      return print(node.child, options, isAtEnd);
    case 'concat': {
      const parts: string[] = [];
      for (const [position, item] of node.items.entries()) {
        const part = print(item, options, isAtEnd && position === node.items.length - 1);
        if (part === null) return null;
        parts.push(part);
      }
      return parts.join('');
    }
    case 'alt': {
      const branches = node.items.map((item) => print(item, options, isAtEnd)).filter((part): part is string => part !== null);
      if (branches.length === 0) return null;
      return branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
    }
    case 'repeat': {
      if (node.max === 0) return '';
      const child = print(node.child, options, false);
      if (child === null) return node.min === 0 ? '' : null;
      if (child === '') return '';
      const atom = isAtom(node.child) ? child : `(?:${child})`;
      return atom + printCount(node.min, node.max);
    }
  }
}

/**
 * The Vectorscan expression for a rule's tree, or null when the tree can match nothing (such a
 * rule needs no engine at all).
 */
export function printHyperscan(node: Node, options: PrintOptions = {}): string | null {
  return print(node, options, true);
}
