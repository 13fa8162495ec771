/** Test helpers for rules: findings of one compiled rule on a whole input, by the oracle. */

import { NEWLINE, type Node, hasByte } from '../../src/regex/ast.js';
import { parseRegex } from '../../src/regex/parse.js';
import type { CompiledRule } from '../../src/rules/compile.js';
import { oracleFindings } from '../oracle.js';

export interface RuleFinding {
  readonly start: number;
  readonly end: number;
  /** The secret as a latin1 string. */
  readonly secret: string;
}

/** Findings of `rule` alone on `bytes`, as the oracle defines them (DESIGN §2). */
export function findSecrets(rule: CompiledRule, bytes: Uint8Array): RuleFinding[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return oracleFindings([rule], bytes).map(({ secret }) => ({ start: secret.start, end: secret.end, secret: text.slice(secret.start, secret.end) }));
}

/** True when the rule's regex, as written (before capping), has a repeat without an upper bound. */
export function hasUnboundedRepeat(regex: string): boolean {
  const visit = (node: Node): boolean => {
    switch (node.type) {
      case 'repeat':
        return node.max === Infinity || visit(node.child);
      case 'group':
        return visit(node.child);
      case 'concat':
      case 'alt':
        return node.items.some(visit);
      default:
        return false;
    }
  };
  return visit(parseRegex(regex).ast);
}

/** True when a match of `regex` can begin with a newline byte (then every line end is in flight). */
export function canStartWithNewline(regex: string): boolean {
  // [may the first byte be \n, can the node match empty]
  const first = (node: Node): [boolean, boolean] => {
    switch (node.type) {
      case 'empty':
      case 'assert':
        return [false, true];
      case 'bytes':
        return [hasByte(node.set, NEWLINE), false];
      case 'group':
        return first(node.child);
      case 'repeat': {
        const [newline, empty] = first(node.child);
        return [newline, empty || node.min === 0];
      }
      case 'alt':
        return node.items.map(first).reduce(([a, b], [c, d]) => [a || c, b || d], [false, false]);
      case 'concat': {
        let newline = false;
        for (const item of node.items) {
          const [itemNewline, empty] = first(item);
          newline ||= itemNewline;
          if (!empty) return [newline, false];
        }
        return [newline, true];
      }
    }
  };
  return first(parseRegex(regex).ast)[0];
}
