/**
 * `--sse-json` outside the content streams: every member of an event's JSON is scanned with its
 * name as context, decoded (escapes undone), and rewritten in place when redaction changes it.
 *
 * The scanned unit of a member is `"name":"value"` with both strings decoded (`"name":123` for a
 * number; `"name"` alone when the value is an object, array or literal; the value alone in an
 * array), so rules that need a member's name (`"aws_secret_access_key": "…"`, `"password": "…"`)
 * see it, numbers (card numbers, SSNs) are scanned, every member of a repeated name is scanned
 * (a client's `JSON.parse` keeps the last, the bytes on the wire keep all), and a secret used as a
 * member name is found. A changed unit is mapped back to its name and value by the common prefix
 * and suffix of the unit before and after: the changed part goes into the string it lies in (a
 * change that spans name and value goes into the value, the name keeping its part before the
 * change); a changed number becomes a string.
 */
import { type JsonLeaf, pathOf } from './json-tree.js';
import { type DataPlace, type UnitMap, dataOffset, leafIndex } from './locate.js';

/** A rewrite of the data text: `[start, end)` becomes `text` (JSON). */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Redacts one unit (UTF-8 bytes) as a whole stream; `map` places its findings in the input. */
export type RedactUnit = (bytes: Uint8Array, map: UnitMap | null) => Uint8Array;

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Units remembered clean across events (ids, model names repeat): how many, and how long at most. */
const MAX_CLEAN_UNITS = 1024;
const MAX_CLEAN_UNIT_LENGTH = 256;

/** The JSON text of a string leaf's new value; an unterminated leaf stays unterminated. */
export function leafText(leaf: JsonLeaf, value: string): string {
  const json = JSON.stringify(value);
  return leaf.isClosed ? json : json.slice(0, -1);
}

/** Creates the member scanner of one event stream (it keeps the clean-unit cache). */
export function createMemberScanner(redactUnit: RedactUnit): (leaves: readonly JsonLeaf[], skip: ReadonlySet<JsonLeaf>, data: DataPlace | null) => Edit[] {
  const cleanUnits = new Set<string>();
  return (leaves, skip, data) => {
    const edits: Edit[] = [];
    const scannedNames = new Set<JsonLeaf>();
    for (const leaf of leaves) {
      if (skip.has(leaf) || isName(leaf)) continue;
      const name = typeof leaf.key === 'object' && leaf.key !== null && !skip.has(leaf.key) ? leaf.key : null;
      if (name !== null) scannedNames.add(name);
      scanMember(name, leaf);
    }
    for (const leaf of leaves) if (isName(leaf) && !skip.has(leaf) && !scannedNames.has(leaf)) scanMember(leaf, null);
    return edits;

    function scanMember(name: JsonLeaf | null, value: JsonLeaf | null): void {
      const namePart = name === null ? '' : value === null ? `"${name.value}"` : `"${name.value}":`;
      const valuePart = value === null ? '' : value.kind === 'number' ? value.value : `"${value.value}"`;
      const unit = namePart + valuePart;
      if (cleanUnits.has(unit)) return;
      const bytes = encoder.encode(unit);
      const nameBytes = name === null ? 0 : Buffer.byteLength(name.value, 'utf8');
      const valueStart = namePart.length + (value?.kind === 'string' ? 1 : 0);
      const valueByteStart = (name === null ? 0 : nameBytes + (value === null ? 2 : 3)) + (value?.kind === 'string' ? 1 : 0);
      const map: UnitMap | null =
        data === null
          ? null
          : (offset) => {
              const isInName = name !== null && (value === null || offset <= nameBytes + 1);
              const leaf = isInName ? (name as JsonLeaf) : (value as JsonLeaf);
              const within = isInName ? offset - 1 : offset - valueByteStart;
              const index = leafIndex(data.text, leaf, Math.max(0, within));
              const path = isInName ? memberPath(leaf) : pathOf(leaf);
              return { offset: dataOffset(data, index), place: data.place, path };
            };
      const redacted = redactUnit(bytes, map);
      if (isEqual(redacted, bytes)) {
        if (unit.length <= MAX_CLEAN_UNIT_LENGTH) {
          if (cleanUnits.size >= MAX_CLEAN_UNITS) cleanUnits.clear();
          cleanUnits.add(unit);
        }
        return;
      }
      const out = utf8.decode(redacted);
      let prefix = 0;
      while (prefix < unit.length && prefix < out.length && unit[prefix] === out[prefix]) prefix++;
      let suffix = 0;
      while (suffix < unit.length - prefix && suffix < out.length - prefix && unit[unit.length - 1 - suffix] === out[out.length - 1 - suffix]) suffix++;
      const changeEnd = unit.length - suffix;
      const middle = out.slice(prefix, out.length - suffix);
      const nameEnd = name === null ? 0 : 1 + name.value.length;
      if (name !== null && prefix < nameEnd + 1) {
        const head = name.value.slice(0, Math.max(0, prefix - 1));
        if (value === null || changeEnd <= nameEnd + 1) {
          edits.push({ start: name.start, end: name.end, text: leafText(name, head + middle + name.value.slice(Math.min(name.value.length, Math.max(0, changeEnd - 1)))) });
          return;
        }
        edits.push({ start: name.start, end: name.end, text: leafText(name, head) });
        rewriteValue(value, '', middle, changeEnd - valueStart);
        return;
      }
      if (value !== null) rewriteValue(value, value.value.slice(0, clip(prefix - valueStart, value)), middle, changeEnd - valueStart);
    }

    function rewriteValue(value: JsonLeaf, head: string, middle: string, restFrom: number): void {
      const text = head + middle + value.value.slice(clip(restFrom, value));
      edits.push({ start: value.start, end: value.end, text: value.kind === 'number' ? JSON.stringify(text) : leafText(value, text) });
    }
  };
}

function clip(index: number, leaf: JsonLeaf): number {
  return Math.min(Math.max(index, 0), leaf.value.length);
}

function isName(leaf: JsonLeaf): boolean {
  // An object's values carry their name as key: a string in an object without one is a name.
  return leaf.key === null && leaf.parent?.kind === 'object';
}

/** The path of the member a name leaf names. */
function memberPath(name: JsonLeaf): string {
  return name.parent === null ? '$' : pathOf({ parent: name.parent, key: name });
}

function isEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `text` with `edits` applied; an edit inside an earlier (wider) one is dropped. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) continue;
    out += text.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + text.slice(at);
}

/** The JSON of a logprobs `bytes` array spelling `text`. */
export function bytesJson(text: string): string {
  return JSON.stringify([...encoder.encode(text)]);
}
