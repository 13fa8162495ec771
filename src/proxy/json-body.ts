/**
 * The redactor of a JSON body (`application/json`, `*+json`): a non-streaming completion, an
 * error, a request's prompt. The body is read whole, up to a bound; its strings written with JSON
 * escapes are redacted decoded with the field rules of `--sse-json` and re-encoded
 * (src/sse/json-document.ts: so `sk-\u0061nt-…` or `postgres:\/\/…` is found), then the whole
 * text is redacted as bytes, as a file is (every other string reads the same decoded or not). A
 * client parses such a body only once it is whole, so holding it costs the client nothing.
 *
 * Fallbacks, never a pass-through: a body longer than the bound is redacted as bytes from its
 * first byte on, streaming (what is held goes out then, the rest as it comes: memory stays bounded
 * for a 50 MB export, and its escaped strings are scanned as written); a body that is not valid
 * UTF-8 or not one JSON value is redacted as bytes at its end.
 *
 * Memory: up to `maxBytes` of body plus its parse tree (a few times that), per open body.
 */
import type { ByteRedactor } from '../pipeline/open-stream.js';
import { redactEscapedStrings } from '../sse/json-document.js';

/** Bodies up to this size are held and read as JSON documents; longer ones are redacted as bytes only, streaming. */
export const DEFAULT_MAX_JSON_DOCUMENT_BYTES = 1024 * 1024;

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A JSON body's redactor. `openBytes` opens a byte redactor (the same rules and replacement):
 * one per escaped string, one for the whole body.
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
      const text = textOf(body);
      if (text === null) return wholeOf(openBytes(), body);
      const decoded = redactEscapedStrings(text, (unit) => wholeOf(openBytes(), unit));
      return wholeOf(openBytes(), decoded === text ? body : encoder.encode(decoded));
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
