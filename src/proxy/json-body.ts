/**
 * The redactor of a JSON body (`application/json`, `*+json`): a non-streaming completion, an
 * error, a request's prompt. The body is read whole, up to a bound, and redacted as a JSON
 * document with the field rules of `--sse-json` (src/sse/json-document.ts: strings decoded before
 * they are scanned, so a secret written with JSON escapes is found, and re-encoded as valid JSON).
 * A client parses such a body only once it is whole, so holding it costs the client nothing.
 *
 * Fallbacks, never a pass-through: a body longer than the bound is redacted as bytes from its
 * first byte on, streaming (what is held goes out then, and the rest as it comes: memory stays
 * bounded for a 50 MB export); a body that is not valid UTF-8 or not one JSON value is redacted as
 * bytes at its end.
 *
 * Memory: up to `maxBytes` of body plus its parse tree (a few times that), per open body.
 */
import type { ByteRedactor } from '../pipeline/open-stream.js';
import { redactJsonDocument } from '../sse/json-document.js';

/** Bodies up to this size are redacted as JSON documents; longer ones as bytes. */
export const DEFAULT_MAX_JSON_DOCUMENT_BYTES = 4 * 1024 * 1024;

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A JSON body's redactor. `openBytes` opens a byte redactor (the same rules and replacement):
 * one per member while the document is redacted, one for the whole body when it falls back.
 */
export function createJsonBodyRedactor(openBytes: () => ByteRedactor, maxBytes = DEFAULT_MAX_JSON_DOCUMENT_BYTES): ByteRedactor {
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  /** Set once the body is past the bound: it redacts the whole body as bytes. */
  let asBytes: ByteRedactor | null = null;
  return {
    write(chunk) {
      if (asBytes !== null) return asBytes.write(chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes <= maxBytes) return EMPTY;
      asBytes = openBytes();
      const head = asBytes.write(Buffer.concat(held));
      held.length = 0;
      return head;
    },
    end() {
      if (asBytes !== null) return asBytes.end();
      const body = Buffer.concat(held);
      const document = textOf(body);
      const redacted = document === null ? null : redactJsonDocument(document, (unit) => wholeOf(openBytes(), unit));
      return redacted === null ? wholeOf(openBytes(), body) : encoder.encode(redacted);
    },
  };
}

/** The body as text, or null when it is not valid UTF-8 (re-encoding it would change its bytes). */
function textOf(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** `bytes` redacted as a whole stream. */
function wholeOf(redactor: ByteRedactor, bytes: Uint8Array): Uint8Array {
  const head = redactor.write(bytes);
  const tail = redactor.end();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}
