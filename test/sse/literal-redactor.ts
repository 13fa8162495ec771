/**
 * A test stand-in for the core StreamRedactor with the same contract: literal secrets, redacted
 * leftmost-first to `[REDACTED]`, holding back exactly the tail that could still start one, and
 * chunk-invariant. `redactLiterals` is its whole-input oracle.
 */
import type { ContentRedactor } from '../../src/sse/redact.js';

const REPLACEMENT = '[REDACTED]';

/** The oracle: every leftmost-first occurrence of a literal replaced. */
export function redactLiterals(text: string, literals: readonly string[]): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const literal = literals.find((l) => text.startsWith(l, i));
    if (literal !== undefined) {
      out += REPLACEMENT;
      i += literal.length;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/**
 * A streaming redactor of `literals` (latin1 byte strings) with minimal holdback. Literal secrets
 * are whole secrets, so an event's end releases nothing more (as the core's literal sets).
 */
export function createLiteralRedactor(literals: readonly string[]): ContentRedactor {
  let pending = '';
  const drain = (isEnd: boolean): Uint8Array => {
    let out = '';
    let i = 0;
    while (i < pending.length) {
      const literal = literals.find((l) => pending.startsWith(l, i));
      if (literal !== undefined) {
        out += REPLACEMENT;
        i += literal.length;
        continue;
      }
      const rest = pending.slice(i);
      if (!isEnd && literals.some((l) => l.length > rest.length && l.startsWith(rest))) break;
      out += pending[i];
      i++;
    }
    pending = pending.slice(i);
    return Buffer.from(out, 'latin1');
  };
  return {
    write(chunk) {
      pending += Buffer.from(chunk).toString('latin1');
      return drain(false);
    },
    end() {
      return drain(true);
    },
    release: () => new Uint8Array(0),
  };
}
