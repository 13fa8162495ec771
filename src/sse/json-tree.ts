/**
 * A JSON parser for `--sse-json` that keeps what `JSON.parse` throws away: where each string and
 * number sits in the text, every member of an object even when a name repeats, the member names
 * themselves. Redaction rewrites only the strings and numbers it must, in place, so an event is
 * re-emitted as the text that was scanned (duplicates and numbers included), still valid JSON.
 *
 * The grammar is RFC 8259's, exactly: a text `JSON.parse` rejects is rejected here. It is
 * iterative (an explicit stack), so nesting depth costs heap, never call stack: 4,000 or 400,000
 * levels parse alike. A caller may accept a truncated text (a stream cut mid-event): the tree then
 * holds what was read up to the cut, the last string possibly unterminated.
 *
 * @example
 * const tree = parseJsonTree('{"a":[1,"x\\u0041"]}');
 * // tree.root: object; member a: array of [number 1 (span 6..7), string "xA" (span 8..17)]
 */

/** A string or number: the leaves redaction may rewrite. */
export interface JsonLeaf {
  readonly kind: 'string' | 'number';
  /** Span in the text: a string's quotes included; a truncated string runs to the text's end. */
  readonly start: number;
  readonly end: number;
  /** The decoded string; a number's text as written. */
  readonly value: string;
  /** False for a string cut by the end of a truncated text. */
  readonly isClosed: boolean;
  /** Where the leaf sits; its parent is null only for a top-level scalar. */
  readonly parent: JsonContainer | null;
  /** Member name (its own leaf) in an object, or position in an array. */
  readonly key: JsonLeaf | number | null;
}

export interface JsonLiteral {
  readonly kind: 'literal';
  readonly value: true | false | null;
}

export interface JsonObject {
  readonly kind: 'object';
  /** Span in the text, brackets included; a container cut by a truncation ends at the text's end. */
  readonly start: number;
  end: number;
  /** Every member in order, repeated names included. */
  readonly members: { readonly name: JsonLeaf; value: JsonNode | null }[];
  readonly parent: JsonContainer | null;
  readonly key: JsonLeaf | number | null;
}

export interface JsonArray {
  readonly kind: 'array';
  readonly start: number;
  end: number;
  readonly items: JsonNode[];
  readonly parent: JsonContainer | null;
  readonly key: JsonLeaf | number | null;
}

export type JsonContainer = JsonObject | JsonArray;
export type JsonNode = JsonLeaf | JsonLiteral | JsonContainer;

export interface JsonTree {
  readonly root: JsonNode;
  /** Every string (member names included) and number, in text order. */
  readonly leaves: readonly JsonLeaf[];
  /** False when the text ended before the value did (only with `allowTruncated`). */
  readonly isComplete: boolean;
}

/** The value of an object's member `name` as a client's `JSON.parse` sees it: the last one wins. */
export function memberOf(node: JsonNode | null | undefined, name: string): JsonNode | undefined {
  if (node?.kind !== 'object') return undefined;
  for (let i = node.members.length - 1; i >= 0; i--) {
    const member = node.members[i];
    if (member !== undefined && member.name.value === name) return member.value ?? undefined;
  }
  return undefined;
}

/** The string at `node`, or undefined. */
export function stringOf(node: JsonNode | null | undefined): string | undefined {
  return node?.kind === 'string' ? node.value : undefined;
}

/** The number at `node` (its text parsed), or undefined. */
export function numberOf(node: JsonNode | null | undefined): number | undefined {
  return node?.kind === 'number' ? Number(node.value) : undefined;
}

/** `a.b[2].c`-style path of a node, for finding records; member names as `["x y"]` when not plain. */
export function pathOf(node: { readonly parent: JsonContainer | null; readonly key: JsonLeaf | number | null }): string {
  const steps: string[] = [];
  for (let at: typeof node | null = node; at !== null && at.key !== null; at = at.parent) {
    const key = at.key;
    if (typeof key === 'number') steps.push(`[${key}]`);
    else steps.push(/^[A-Za-z_$][\w$]*$/.test(key.value) ? `.${key.value}` : `[${JSON.stringify(key.value)}]`);
  }
  const path = steps.reverse().join('');
  return path.startsWith('.') ? path.slice(1) : path === '' ? '$' : path;
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/**
 * Parses `text`. Returns null when it is not JSON — or, with `allowTruncated`, when it is not a
 * prefix of a JSON text. Memory: O(text) for the tree.
 */
export function parseJsonTree(text: string, options: { readonly allowTruncated?: boolean } = {}): JsonTree | null {
  const leaves: JsonLeaf[] = [];
  let position = 0;
  let root: JsonNode | null = null;
  /** Open containers, innermost last. */
  const stack: JsonContainer[] = [];
  /** In an object: a name is expected next (after `{` or `,`), or a value (after `:`). */
  let isNameNext = false;
  /** A value or name has just ended in the innermost container (`,` or a close may follow). */
  let isAfterValue = false;

  /** Ends `container` at its closing bracket (the byte at `position`): a value of its parent now. */
  const close = (container: JsonContainer): void => {
    position++;
    container.end = position;
    stack.pop();
    isAfterValue = true;
    isNameNext = false;
  };
  const skipSpace = (): void => {
    while (position < text.length) {
      const c = text.charCodeAt(position);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      position++;
    }
  };
  /** Reads a string at `position` (a quote); null on a syntax error. */
  const readString = (parent: JsonContainer | null, key: JsonLeaf | number | null): JsonLeaf | null => {
    const start = position;
    position++;
    let value = '';
    let runStart = position;
    while (position < text.length) {
      const c = text.charCodeAt(position);
      if (c === 0x22) {
        value += text.slice(runStart, position);
        position++;
        return { kind: 'string', start, end: position, value, isClosed: true, parent, key };
      }
      if (c < 0x20) return null;
      if (c !== 0x5c) {
        position++;
        continue;
      }
      value += text.slice(runStart, position);
      runStart = position;
      const escape = text[position + 1];
      // An escape cut by a truncation: what it would decode to is not known yet, so it is left out.
      if (escape === undefined) break;
      if (escape === 'u') {
        const hex = text.slice(position + 2, position + 6);
        if (hex.length < 4 && position + 6 > text.length && /^[0-9A-Fa-f]*$/.test(hex)) break;
        if (!HEX4.test(hex)) return null;
        value += String.fromCharCode(Number.parseInt(hex, 16));
        position += 6;
      } else {
        const decoded = ESCAPES[escape];
        if (decoded === undefined) return null;
        value += decoded;
        position += 2;
      }
      runStart = position;
    }
    // The text ended inside the string.
    if (options.allowTruncated !== true) return null;
    if (position >= text.length) value += text.slice(runStart);
    position = text.length;
    return { kind: 'string', start, end: text.length, value, isClosed: false, parent, key };
  };

  const attach = (node: JsonNode): boolean => {
    const container = stack[stack.length - 1];
    if (container === undefined) {
      if (root !== null) return false;
      root = node;
    } else if (container.kind === 'array') {
      container.items.push(node);
    } else {
      const member = container.members[container.members.length - 1];
      if (member === undefined) return false;
      member.value = node;
    }
    isAfterValue = true;
    return true;
  };
  const keyForNext = (): JsonLeaf | number | null => {
    const container = stack[stack.length - 1];
    if (container === undefined) return null;
    return container.kind === 'array' ? container.items.length : (container.members[container.members.length - 1]?.name ?? null);
  };

  for (;;) {
    skipSpace();
    if (position >= text.length) break;
    const container = stack[stack.length - 1];
    const c = text[position];
    if (isAfterValue) {
      if (container === undefined) return null;
      if (c === ',') {
        position++;
        isAfterValue = false;
        isNameNext = container.kind === 'object';
        skipSpace();
        if (position < text.length && (text[position] === ']' || text[position] === '}')) return null;
        continue;
      }
      if ((c === ']' && container.kind === 'array') || (c === '}' && container.kind === 'object')) {
        close(container);
        continue;
      }
      return null;
    }
    if (isNameNext) {
      if (container?.kind !== 'object') return null;
      if (c === '}' && container.members.length === 0) {
        close(container);
        continue;
      }
      if (c !== '"') return null;
      const name = readString(container, null);
      if (name === null) return null;
      leaves.push(name);
      container.members.push({ name, value: null });
      if (!name.isClosed) break;
      skipSpace();
      if (position >= text.length) break;
      if (text[position] !== ':') return null;
      position++;
      isNameNext = false;
      continue;
    }
    const parent = container ?? null;
    const key = keyForNext();
    if (c === '{' || c === '[') {
      const node: JsonContainer =
        c === '{' ? { kind: 'object', start: position, end: text.length, members: [], parent, key } : { kind: 'array', start: position, end: text.length, items: [], parent, key };
      if (!attach(node)) return null;
      stack.push(node);
      position++;
      isAfterValue = false;
      isNameNext = c === '{';
      if (c === '[') {
        skipSpace();
        if (text[position] === ']') {
          position++;
          node.end = position;
          stack.pop();
          isAfterValue = true;
        }
      }
      continue;
    }
    if (c === '"') {
      const leaf = readString(parent, key);
      if (leaf === null || !attach(leaf)) return null;
      leaves.push(leaf);
      if (!leaf.isClosed) break;
      continue;
    }
    NUMBER.lastIndex = position;
    const number = NUMBER.exec(text);
    if (number !== null && number[0] !== '' && number[0] !== '-') {
      const end = position + number[0].length;
      // A number cut by a truncation could go on: treat only a closed one as a number.
      if (end === text.length && options.allowTruncated === true && stack.length > 0) {
        const leaf: JsonLeaf = { kind: 'number', start: position, end, value: number[0], isClosed: false, parent, key };
        if (!attach(leaf)) return null;
        leaves.push(leaf);
        position = end;
        break;
      }
      const leaf: JsonLeaf = { kind: 'number', start: position, end, value: number[0], isClosed: true, parent, key };
      if (!attach(leaf)) return null;
      leaves.push(leaf);
      position = end;
      continue;
    }
    const literal = (['true', 'false', 'null'] as const).find((word) => text.startsWith(word, position));
    if (literal !== undefined) {
      if (!attach({ kind: 'literal', value: literal === 'null' ? null : literal === 'true' })) return null;
      position += literal.length;
      continue;
    }
    if (options.allowTruncated === true && isTruncatedToken(text.slice(position))) break;
    return null;
  }
  const isComplete = root !== null && stack.length === 0 && position >= text.length && !(leaves[leaves.length - 1]?.isClosed === false);
  if (!isComplete && options.allowTruncated !== true) return null;
  if (root === null) return options.allowTruncated === true ? { root: { kind: 'literal', value: null }, leaves, isComplete: false } : null;
  return { root, leaves, isComplete };
}

/** A text's tail that could still become a literal or number: `tr`, `-`, `1.`, `2e`. */
function isTruncatedToken(tail: string): boolean {
  return ['true', 'false', 'null'].some((word) => word.startsWith(tail)) || /^-?(?:0|[1-9]\d*)?(?:\.\d*)?(?:[eE][+-]?\d*)?$/.test(tail);
}
