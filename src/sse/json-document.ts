/**
 * The part of a whole JSON document (a non-streaming API response, a JSON request body) that a
 * scan of its bytes cannot see: strings written with escapes (`sk-\u0061nt-`, `postgres:\/\/`).
 * Each string leaf (member name or value) whose JSON text holds a `\` is scanned decoded with the
 * field rules `--sse-json` applies outside its content streams (json-members.ts: the unit
 * `"name":"value"`, both decoded) and rewritten in place, re-encoded, when redaction changes it;
 * leaves a provider preset never touches (Anthropic's `signature`, Gemini's `thoughtSignature`)
 * stay as they are. Every other string decodes to its own bytes, so the caller's scan of the
 * whole text (which this does not replace) sees it as a client will.
 *
 * Why not every member: a unit costs a fresh redactor (tens of microseconds), and a large
 * document has hundreds of thousands of leaves (an embeddings response is mostly numbers); one
 * scan of the bytes plus the few escaped strings costs about the scan alone.
 *
 * Memory: the parse tree of the document (a few times its text): the caller bounds its size.
 *
 * @example
 * redactEscapedStrings('{"key":"AKIA\\u005a7VQ3XJ5K2LMN4PQ","n":1}', redactUnit);
 * // '{"key":"[REDACTED:aws-access-key-id]","n":1}'
 */
import { type RedactUnit, applyEdits, createMemberScanner } from './json-members.js';
import { type JsonLeaf, parseJsonTree } from './json-tree.js';
import { PRESETS } from './presets.js';

const PRESET_LIST = [...PRESETS.values()];
const BACKSLASH = '\\';

function isUntouched(leaf: JsonLeaf): boolean {
  return PRESET_LIST.some((preset) => preset.isUntouched(leaf));
}

/**
 * `text` with its escaped strings redacted decoded; `text` itself when it has none, or is not one
 * JSON value (RFC 8259, as `JSON.parse` reads it: there is nothing to decode then, and its bytes
 * are what a reader gets). `redactUnit` redacts one unit as a whole stream (a fresh redactor each
 * call); its errors propagate.
 */
export function redactEscapedStrings(text: string, redactUnit: RedactUnit): string {
  // Without a backslash no string has an escape: the parse would find nothing to do.
  if (!text.includes(BACKSLASH)) return text;
  const tree = parseJsonTree(text);
  if (tree === null) return text;
  const isEscaped = (leaf: JsonLeaf): boolean => leaf.kind === 'string' && text.slice(leaf.start, leaf.end).includes(BACKSLASH) && !isUntouched(leaf);
  // An escaped value is scanned with its name as context; an escaped name whose value is not, alone.
  const scanned = new Set<JsonLeaf>();
  for (const leaf of tree.leaves) {
    if (!isEscaped(leaf)) continue;
    scanned.add(leaf);
    if (typeof leaf.key === 'object' && leaf.key !== null) scanned.add(leaf.key);
  }
  if (scanned.size === 0) return text;
  const edits = createMemberScanner(redactUnit)(
    tree.leaves.filter((leaf) => scanned.has(leaf)),
    new Set(),
    null,
  );
  return edits.length === 0 ? text : applyEdits(text, edits);
}
