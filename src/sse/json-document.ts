/**
 * A whole JSON document (a non-streaming API response, a JSON request body) redacted with the
 * field rules `--sse-json` applies to an event's JSON outside its content streams
 * (json-members.ts): every member is scanned decoded (escapes undone: `sk-\u0061nt-`, `\/`) with
 * its name as context, numbers and member names included, and the document is re-emitted as it
 * came but for the strings and numbers that changed, rewritten in place as valid JSON. Leaves a
 * provider preset never touches (Anthropic's `signature`, Gemini's `thoughtSignature`) are left
 * as they are here too.
 *
 * Memory: the document's text and its parse tree (a few times the text): the caller bounds the
 * size (the proxy redacts a longer body as bytes instead).
 *
 * @example
 * redactJsonDocument('{"key":"AKIA\\u005a7VQ3XJ5K2LMN4PQ"}', redactUnit);
 * // '{"key":"[REDACTED:aws-access-key-id]"}'
 */
import { type RedactUnit, applyEdits, createMemberScanner } from './json-members.js';
import { type JsonLeaf, parseJsonTree } from './json-tree.js';
import { PRESETS } from './presets.js';

const PRESET_LIST = [...PRESETS.values()];

function isUntouched(leaf: JsonLeaf): boolean {
  return PRESET_LIST.some((preset) => preset.isUntouched(leaf));
}

/**
 * `text` redacted member by member, or null when it is not one JSON value (RFC 8259, as
 * `JSON.parse` reads it). `redactUnit` redacts one member's unit as a whole stream (a fresh
 * redactor each call). Errors of `redactUnit` propagate.
 */
export function redactJsonDocument(text: string, redactUnit: RedactUnit): string | null {
  const tree = parseJsonTree(text);
  if (tree === null) return null;
  const skip = new Set(tree.leaves.filter(isUntouched));
  const edits = createMemberScanner(redactUnit)(tree.leaves, skip, null);
  return edits.length === 0 ? text : applyEdits(text, edits);
}
