/**
 * RE2-syntax front end: a pattern string in, a byte-level {@link Node} tree out.
 *
 * Flags are applied while parsing, so the tree needs no flag context: `(?i)` folds ASCII letters
 * into byte sets, `.` becomes "any byte but \n" (or any byte under `(?s)`), `^`/`$` become stream
 * or line anchors, `(?U)` swaps greedy and lazy. Classes are ASCII-only (DESIGN §2). Non-ASCII
 * literals stand for their UTF-8 bytes.
 *
 * Unsupported syntax (backreferences, lookaround, Unicode classes) throws a {@link RegexSyntaxError}
 * naming the construct and its offset; the rule compiler adds the rule id.
 */
import {
  type AssertionKind,
  type ByteSet,
  DIGIT_BYTES,
  type Node,
  SPACE_BYTES,
  WORD_BYTES,
  addByte,
  addRange,
  byteSetOf,
  complement,
  emptyByteSet,
  hasByte,
  union,
} from './ast.js';

export class RegexSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'RegexSyntaxError';
  }
}

interface Flags {
  readonly caseless: boolean;
  readonly dotAll: boolean;
  readonly multiline: boolean;
  readonly ungreedy: boolean;
}

const NO_FLAGS: Flags = { caseless: false, dotAll: false, multiline: false, ungreedy: false };

/** Largest repeat count RE2 accepts. */
const MAX_REPEAT_COUNT = 1000;

/** Parses `source`; the result's capture groups are numbered like RE2 and JS (by opening paren). */
export function parseRegex(source: string): { ast: Node; groupCount: number } {
  const parser = new Parser(source);
  const ast = parser.parseAlternation(NO_FLAGS);
  if (parser.pos < source.length) throw new RegexSyntaxError('unmatched )', parser.pos);
  return { ast, groupCount: parser.groupCount };
}

const POSIX_CLASSES: Record<string, ByteSet> = {
  alnum: byteSetOf([0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]),
  alpha: byteSetOf([0x41, 0x5a], [0x61, 0x7a]),
  ascii: byteSetOf([0x00, 0x7f]),
  blank: byteSetOf([0x09, 0x09], [0x20, 0x20]),
  cntrl: byteSetOf([0x00, 0x1f], [0x7f, 0x7f]),
  digit: DIGIT_BYTES,
  graph: byteSetOf([0x21, 0x7e]),
  lower: byteSetOf([0x61, 0x7a]),
  print: byteSetOf([0x20, 0x7e]),
  punct: byteSetOf([0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]),
  space: SPACE_BYTES,
  upper: byteSetOf([0x41, 0x5a]),
  word: WORD_BYTES,
  xdigit: byteSetOf([0x30, 0x39], [0x41, 0x46], [0x61, 0x66]),
};

const SIMPLE_ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, f: 0x0c, v: 0x0b, a: 0x07 };

/** Adds the other ASCII case of every letter in `set`. */
function foldCase(set: ByteSet): ByteSet {
  const out = union(set, emptyByteSet());
  for (let b = 0x41; b <= 0x5a; b++) {
    if (hasByte(set, b) || hasByte(set, b + 0x20)) {
      addByte(out, b);
      addByte(out, b + 0x20);
    }
  }
  return out;
}

function bytesNode(set: ByteSet, flags: Flags): Node {
  return { type: 'bytes', set: flags.caseless ? foldCase(set) : set };
}

class Parser {
  pos = 0;
  groupCount = 0;

  constructor(private readonly source: string) {}

  private peek(offset = 0): string | undefined {
    return this.source[this.pos + offset];
  }

  private fail(message: string, at = this.pos): never {
    throw new RegexSyntaxError(message, at);
  }

  parseAlternation(outerFlags: Flags): Node {
    // Flags set by (?i) inside a group last until the group's end, across alternatives.
    let flags = outerFlags;
    const alternatives: Node[] = [];
    for (;;) {
      const items: Node[] = [];
      while (this.pos < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
        const flagChange = this.tryFlagGroup(flags);
        if (flagChange) {
          flags = flagChange;
          continue;
        }
        items.push(this.parseRepeat(this.parseAtom(flags), flags));
      }
      alternatives.push(items.length === 1 ? items[0]! : items.length === 0 ? { type: 'empty' } : { type: 'concat', items });
      if (this.peek() !== '|') break;
      this.pos++;
    }
    return alternatives.length === 1 ? alternatives[0]! : { type: 'alt', items: alternatives };
  }

  /** `(?flags)` alone: returns the new flags and consumes it; otherwise consumes nothing. */
  private tryFlagGroup(flags: Flags): Flags | null {
    const match = /^\(\?([imsU-]*)\)/.exec(this.source.slice(this.pos, this.pos + 12));
    if (!match) return null;
    const next = this.applyFlags(flags, match[1]!, this.pos + 2);
    this.pos += match[0].length;
    return next;
  }

  private applyFlags(flags: Flags, spec: string, at: number): Flags {
    let negate = false;
    const next = { ...flags };
    for (const c of spec) {
      if (c === '-') {
        if (negate) this.fail('bad flag syntax', at);
        negate = true;
        continue;
      }
      const key = ({ i: 'caseless', s: 'dotAll', m: 'multiline', U: 'ungreedy' } as const)[c as 'i' | 's' | 'm' | 'U'];
      next[key] = !negate;
    }
    return next;
  }

  private parseRepeat(atom: Node, flags: Flags): Node {
    let node = atom;
    for (;;) {
      const c = this.peek();
      const start = this.pos;
      let min: number;
      let max: number;
      if (c === '*' || c === '+' || c === '?') {
        this.pos++;
        [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
      } else if (c === '{') {
        const bounds = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos, this.pos + 24));
        if (!bounds) return node; // RE2 reads a '{' that starts no repeat as a literal.
        this.pos += bounds[0].length;
        min = Number(bounds[1]);
        max = bounds[2] === undefined ? min : bounds[3] === '' ? Infinity : Number(bounds[3]);
        if (min > MAX_REPEAT_COUNT || (max !== Infinity && max > MAX_REPEAT_COUNT)) this.fail('repeat count above 1000', start);
        if (max < min) this.fail('repeat with max < min', start);
      } else {
        return node;
      }
      if (node.type === 'empty' || node.type === 'assert') this.fail('missing argument to repetition operator', start);
      if (node.type === 'repeat' && node !== atom) this.fail('bad repetition operator', start);
      let greedy = true;
      if (this.peek() === '?') {
        this.pos++;
        greedy = false;
      }
      if (flags.ungreedy) greedy = !greedy;
      node = { type: 'repeat', child: node, min, max, greedy };
      // A second operator directly after one (a** or a+*) is an error in RE2.
      const after = this.peek();
      if (after === '*' || after === '+' || after === '?') this.fail('bad repetition operator', this.pos);
    }
  }

  private parseAtom(flags: Flags): Node {
    const c = this.peek()!;
    const start = this.pos;
    switch (c) {
      case '(':
        return this.parseGroup(flags);
      case '[':
        return bytesNode(this.parseClass(), flags);
      case '.':
        this.pos++;
        return { type: 'bytes', set: flags.dotAll ? byteSetOf([0, 255]) : complement(byteSetOf([0x0a, 0x0a])) };
      case '^':
        this.pos++;
        return { type: 'assert', kind: flags.multiline ? 'lineStart' : 'streamStart' };
      case '$':
        this.pos++;
        return { type: 'assert', kind: flags.multiline ? 'lineEnd' : 'streamEnd' };
      case '\\':
        return this.parseEscapeAtom(flags);
      case '*':
      case '+':
      case '?':
        this.fail('missing argument to repetition operator', start);
      // falls through (fail never returns)
      default: {
        const codePoint = this.source.codePointAt(start)!;
        this.pos += codePoint > 0xffff ? 2 : 1;
        return this.literal(codePoint, flags);
      }
    }
  }

  private literal(codePoint: number, flags: Flags): Node {
    if (codePoint < 0x80) return bytesNode(byteSetOf([codePoint, codePoint]), flags);
    const bytes = Buffer.from(String.fromCodePoint(codePoint), 'utf8');
    return { type: 'concat', items: [...bytes].map((b) => ({ type: 'bytes', set: byteSetOf([b, b]) }) as Node) };
  }

  private parseGroup(flags: Flags): Node {
    const start = this.pos;
    this.pos++; // (
    let index: number | null = null;
    let innerFlags = flags;
    if (this.peek() === '?') {
      const rest = this.source.slice(this.pos, this.pos + 40);
      const named = /^\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      const scoped = /^\?([imsU-]*):/.exec(rest);
      if (named) {
        this.pos += named[0].length;
        index = ++this.groupCount;
      } else if (scoped) {
        this.pos += scoped[0].length;
        innerFlags = this.applyFlags(flags, scoped[1]!, start + 2);
      } else if (/^\?(=|!|<=|<!)/.test(rest)) {
        this.fail('lookaround is not supported (RE2 syntax has none)', start);
      } else if (rest.startsWith('?P=')) {
        this.fail('backreferences are not supported', start);
      } else {
        this.fail('unknown group syntax', start);
      }
    } else {
      index = ++this.groupCount;
    }
    const child = this.parseAlternation(innerFlags);
    if (this.peek() !== ')') this.fail('missing )', start);
    this.pos++;
    return { type: 'group', index, child };
  }

  private parseEscapeAtom(flags: Flags): Node {
    const start = this.pos;
    const c = this.source[this.pos + 1];
    if (c === undefined) this.fail('trailing backslash', start);
    const assertion = ({ b: 'wordBoundary', B: 'notWordBoundary', A: 'streamStart', z: 'streamEnd' } as Record<string, AssertionKind>)[c];
    if (assertion) {
      this.pos += 2;
      return { type: 'assert', kind: assertion };
    }
    if (c === 'Q') {
      const end = this.source.indexOf('\\E', this.pos + 2);
      const text = this.source.slice(this.pos + 2, end < 0 ? undefined : end);
      this.pos = end < 0 ? this.source.length : end + 2;
      const items: Node[] = [];
      for (const ch of text) items.push(this.literal(ch.codePointAt(0)!, flags));
      return items.length === 1 ? items[0]! : { type: 'concat', items };
    }
    if (c === 'C') {
      this.pos += 2;
      return { type: 'bytes', set: byteSetOf([0, 255]) };
    }
    return bytesNode(this.parseEscapeSet(), flags);
  }

  /** An escape that stands for a set of bytes (in or out of a class); consumes it. */
  private parseEscapeSet(): ByteSet {
    const start = this.pos;
    const c = this.source[this.pos + 1];
    this.pos += 2;
    switch (c) {
      case 'd':
        return DIGIT_BYTES;
      case 'D':
        return complement(DIGIT_BYTES);
      case 'w':
        return WORD_BYTES;
      case 'W':
        return complement(WORD_BYTES);
      case 's':
        return SPACE_BYTES;
      case 'S':
        return complement(SPACE_BYTES);
      case 'x': {
        const braced = /^\{([0-9A-Fa-f]{1,6})\}/.exec(this.source.slice(this.pos, this.pos + 9));
        const plain = /^[0-9A-Fa-f]{2}/.exec(this.source.slice(this.pos, this.pos + 2));
        const hex = braced ? braced[1]! : plain ? plain[0] : this.fail('bad \\x escape', start);
        this.pos += braced ? braced[0].length : 2;
        const value = parseInt(hex, 16);
        if (value > 0xff) this.fail('\\x escape above \\xFF (only bytes are matched)', start);
        return byteSetOf([value, value]);
      }
      case 'p':
      case 'P':
        return this.fail('Unicode classes (\\p, \\P) are not supported: classes are ASCII-only', start);
      case undefined:
        return this.fail('trailing backslash', start);
      default: {
        if (c in SIMPLE_ESCAPES) return byteSetOf([SIMPLE_ESCAPES[c]!, SIMPLE_ESCAPES[c]!]);
        if (c >= '1' && c <= '9') this.fail('backreferences are not supported', start);
        if (c >= '0' && c <= '7') {
          const octal = /^[0-7]{1,3}/.exec(this.source.slice(this.pos - 1, this.pos + 2))![0];
          this.pos += octal.length - 1;
          const value = parseInt(octal, 8);
          if (value > 0xff) this.fail('octal escape above \\377', start);
          return byteSetOf([value, value]);
        }
        const code = c.charCodeAt(0);
        if (code < 0x80 && !/[A-Za-z0-9]/.test(c)) return byteSetOf([code, code]);
        return this.fail(`unknown escape \\${c}`, start);
      }
    }
  }

  private parseClass(): ByteSet {
    const start = this.pos;
    this.pos++; // [
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    let set = emptyByteSet();
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('missing ]', start);
      if (c === ']' && !first) break;
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.source.slice(this.pos, this.pos + 12));
      if (posix) {
        const named = POSIX_CLASSES[posix[2]!] ?? this.fail(`unknown POSIX class ${posix[0]}`);
        set = union(set, posix[1] ? complement(named) : named);
        this.pos += posix[0].length;
        continue;
      }
      const low = this.classItem();
      if (low.size !== 1 || this.peek() !== '-' || this.peek(1) === ']' || this.peek(1) === undefined) {
        set = union(set, low.set);
        continue;
      }
      this.pos++; // -
      const high = this.classItem();
      if (high.size !== 1) this.fail('bad character class range', start);
      if (high.byte < low.byte) this.fail('bad character class range (reversed)', start);
      addRange(set, low.byte, high.byte);
    }
    this.pos++; // ]
    return negated ? complement(set) : set;
  }

  /** One class member: a single byte (`size` 1) or a set such as \d. */
  private classItem(): { set: ByteSet; size: number; byte: number } {
    const c = this.peek()!;
    if (c === '\\') {
      const set = this.parseEscapeSet();
      const members: number[] = [];
      for (let b = 0; b < 256 && members.length < 2; b++) if (hasByte(set, b)) members.push(b);
      return { set, size: members.length, byte: members[0] ?? 0 };
    }
    const code = c.charCodeAt(0);
    if (code >= 0x80) this.fail('non-ASCII character in a class (classes are byte sets)');
    this.pos++;
    return { set: byteSetOf([code, code]), size: 1, byte: code };
  }
}
