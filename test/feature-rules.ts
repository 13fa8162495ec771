/** The rule set the property tests share: chunk invariance and engine equivalence. */
import { withTokenBoundary } from '../src/rules/token-boundary.js';
import type { RuleSpec } from '../src/types.js';

/** Rules that exercise every construct the engines must get right. */
export const FEATURE_RULES: RuleSpec[] = [
  { id: 'gh', regex: 'ghp_[A-Za-z0-9]{8}' },
  { id: 'aws', regex: '\\b(AKIA[0-9A-Z]{6})\\b', secretGroup: 1 },
  { id: 'pw', regex: '(?i)pass(?:word)?\\s*[=:]\\s*"?([^"\\s]{3,12})', secretGroup: 1 },
  { id: 'eol', regex: 'tok-[a-z]+$' },
  { id: 'line', regex: '(?m)^key:[a-z0-9]+$' },
  { id: 'lazy', regex: 'BEGIN[\\s\\S]*?END' },
  { id: 'nested', regex: '(x+y?)+z' },
  { id: 'alt', regex: '(?:ab|abc)(d|cd)' },
  { id: 'entropy', regex: 'E:([a-z0-9]{6,10})', secretGroup: 1, predicates: { minEntropy: 2.5 } },
  { id: 'crlf', regex: 'a\\r?\\nb' },
  { id: 'wide', regex: 'W[a-z ]+W' },
  { id: 'nonword', regex: '\\Bq[0-9]{2}' },
  // A class head before the anchor: the ts engine tracks only from the anchor (head dropped).
  { id: 'head', regex: '[a-z0-9]{2,6}\\.atl\\.[a-z]{3}' },
  { id: 'url', regex: '\\b[a-z][a-z0-9+.-]{1,8}://[a-z]{1,8}:([a-z0-9]{3,10})@', secretGroup: 1 },
  // A token head wider than a dropped head may be: dropped all the same, bounded by separators.
  { id: 'widehead', regex: '\\b[a-z0-9]{12,40}_mk\\b' },
  // A token boundary (`\b` or a glued escape) before a token head: the ts engine tracks the
  // escapes and drops the bare token's head.
  withTokenBoundary({ id: 'glued', regex: '\\b[a-z0-9]{4,12}_gl\\b' }),
  // No anchor and a final loop: the ts engine tracks it up to the loop's first byte.
  { id: 'trail', regex: '\\bs\\.[a-z0-9]{4,6}\\b' },
  // No literal anchor: tracked from the byte that ends the head's run and the short run after it,
  // of token bytes only (bounded by separators) or with a separator (`:`, bounded by the line).
  withTokenBoundary({ id: 'dots', regex: '\\b[MNO][a-z0-9_-]{3,5}\\.[a-z0-9]{2}\\.[a-z0-9_-]{3,5}' }),
  withTokenBoundary({ id: 'slash', regex: '\\b[012]/[0-9]{2,3}/[0-9]{2,3}:[0-9a-f]{4}\\b' }),
  // An anchor, then a class run: the ts engine tracks the run's first copies.
  { id: 'copies', regex: 'ion_[A-Za-z0-9]{5}' },
  // The secret in one of two groups (a quoted value runs to its quote, a tagged one ends at `</`):
  // the in-flight analysis holds either group's bytes, not the key.
  { id: 'either', regex: 'sec(?:="([^"\\s]{3,8})|>((?:[^<\\s]|<[^/\\s]){3,8}))', secretGroup: [1, 2] },
];
