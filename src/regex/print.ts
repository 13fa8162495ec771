/**
 * Prints a capped tree as a JavaScript RegExp source that means exactly the tree on a latin1
 * string (one char per byte): every class spelled out as byte ranges, anchors as lookarounds where
 * JS's own would differ. This is the regex the oracle runs (DESIGN §2).
 */
import { type ByteSet, type Node, byteRanges } from './ast.js';

function hex(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

function printSet(set: ByteSet): string {
  const ranges = byteRanges(set);
  if (ranges.length === 1 && ranges[0]![0] === ranges[0]![1]) return hex(ranges[0]![0]);
  if (ranges.length === 0) return '[^\\x00-\\xff]';
  return `[${ranges.map(([from, to]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`)).join('')}]`;
}

const ASSERTIONS = {
  streamStart: '^',
  streamEnd: '$',
  lineStart: '(?<![^\\n])',
  lineEnd: '(?![^\\n])',
  wordBoundary: '\\b',
  notWordBoundary: '\\B',
} as const;

/** JS source for `node`; use it with the `dg` flags (no `i`, `m`, `s`, `u`: the tree has applied them). */
export function printJsSource(node: Node): string {
  switch (node.type) {
    case 'empty':
      return '(?:)';
    case 'bytes':
      return printSet(node.set);
    case 'assert':
      return ASSERTIONS[node.kind];
    case 'group':
      return node.index === null ? `(?:${printJsSource(node.child)})` : `(${printJsSource(node.child)})`;
    case 'concat':
      return node.items.map(printJsSource).join('');
    case 'alt':
      return `(?:${node.items.map(printJsSource).join('|')})`;
    case 'repeat': {
      const count = node.max === Infinity ? `{${node.min},}` : node.min === node.max ? `{${node.min}}` : `{${node.min},${node.max}}`;
      return `(?:${printJsSource(node.child)})${count}${node.greedy || node.min === node.max ? '' : '?'}`;
    }
  }
}
