/**
 * Where a finding in a scanned unit (a run of field values, a JSON member, a content stream) is in
 * the input stream: SSE mode scans text that is not laid out as the input is (values without field
 * names, JSON escapes undone, content joined across events), so each unit carries a map from its
 * bytes back to input offsets, and findings are reported with input offsets, lines and columns
 * plus the event and the field or JSON path they are in (see {@link SseFindingContext}).
 */
import type { JsonLeaf } from './json-tree.js';
import type { SseEvent, SseLine } from './parser.js';

/** Where one event is in the input. */
export interface EventPlace {
  /** 0-based ordinal of the event in the stream. */
  readonly ordinal: number;
  /** Input offset of the event's first byte (its prefix included). */
  readonly offset: number;
  /** 1-based line number of the event's first line. */
  readonly line: number;
  readonly event: SseEvent;
  /** Input offset of each of the event's lines. */
  readonly lineOffsets: readonly number[];
}

/** Where a finding is, besides its input offsets. */
export interface SseFindingContext {
  /** 0-based ordinal of the event holding the secret's first byte, and that event's input offset. */
  readonly event: number;
  readonly eventOffset: number;
  /** Where in that event: a JSON path (`choices[0].delta.content`), or the line's field (`data`, `id`, `comment`). */
  readonly path: string;
}

/** A point of a unit mapped to the input: its offset there, and the event and path it is in. */
export interface InputPoint {
  readonly offset: number;
  readonly place: EventPlace;
  readonly path: string;
}

/**
 * Maps a byte offset of a scanned unit to the input. `isEnd`: the offset is where something ends,
 * so where a unit joins two pieces of input (content of two events) it belongs to the earlier.
 */
export type UnitMap = (unitOffset: number, isEnd: boolean) => InputPoint;

/** Tracks event places as the framer yields events, in order. */
export function createPlaceTracker(): (event: SseEvent) => EventPlace {
  let ordinal = 0;
  let offset = 0;
  let line = 1;
  return (event) => {
    const lineOffsets: number[] = [];
    let at = offset + event.prefix.length;
    let lines = 0;
    for (const eventLine of event.lines) {
      lineOffsets.push(at);
      at += eventLine.bytes.length + eventLine.ending.length;
      if (eventLine.ending !== '') lines++;
    }
    const place: EventPlace = { ordinal, offset, line, event, lineOffsets };
    ordinal++;
    offset = at;
    line += lines;
    return place;
  };
}

/** 1-based line and byte column of an input offset inside `place`'s event. */
export function lineAndColumn(place: EventPlace, offset: number): { line: number; column: number } {
  let index = 0;
  while (index + 1 < place.lineOffsets.length && (place.lineOffsets[index + 1] as number) <= offset) index++;
  return { line: place.line + index, column: offset - (place.lineOffsets[index] ?? place.offset) + 1 };
}

/** The name a line's field has in finding paths. */
export function fieldPath(line: SseLine): string {
  return line.kind === 'comment' ? 'comment' : line.field;
}

/**
 * Maps a byte offset into the values of `lines` (those of `place`'s event at `lineIndexes`),
 * joined with LF, to the input; each value starts at `starts[i]` in its line.
 */
export function valuesMap(place: EventPlace, lineIndexes: readonly number[], starts: readonly number[], path: (index: number) => string): UnitMap {
  return (unitOffset) => {
    let rest = unitOffset;
    for (let i = 0; i < lineIndexes.length; i++) {
      const lineIndex = lineIndexes[i] as number;
      const line = place.event.lines[lineIndex] as SseLine;
      const length = line.bytes.length - (starts[i] as number);
      if (rest <= length || i === lineIndexes.length - 1) {
        return { offset: (place.lineOffsets[lineIndex] as number) + (starts[i] as number) + Math.min(rest, length), place, path: path(lineIndex) };
      }
      rest -= length + 1;
    }
    return { offset: place.offset, place, path: path(0) };
  };
}

/** Where an event's JSON data text is: its event, and its data lines' indexes and value starts. */
export interface DataPlace {
  readonly place: EventPlace;
  readonly lineIndexes: readonly number[];
  readonly starts: readonly number[];
  /** The data as decoded text. */
  readonly text: string;
}

/** The input offset of index `index` (a UTF-16 index) of a data text. */
export function dataOffset(data: DataPlace, index: number): number {
  const bytes = Buffer.byteLength(data.text.slice(0, index), 'utf8');
  return valuesMap(data.place, data.lineIndexes, data.starts, () => 'data')(bytes, false).offset;
}

/** UTF-8 length of one UTF-16 code unit (a surrogate pair counts 2 + 2). */
function utf8Length(code: number): number {
  return code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code < 0xe000) ? 2 : 3;
}

/**
 * The index in the data text of the character at decoded UTF-8 byte `byteOffset` of a leaf's
 * value (a boundary: the end maps to the closing quote). Escapes count as what they decode to.
 */
export function leafIndex(text: string, leaf: JsonLeaf, byteOffset: number): number {
  if (leaf.kind === 'number') return leaf.start + Math.min(byteOffset, leaf.value.length);
  let index = leaf.start + 1;
  let counted = 0;
  while (counted < byteOffset && index < leaf.end) {
    if (text.charCodeAt(index) === 0x5c) {
      const escape = text[index + 1];
      counted += escape === 'u' ? utf8Length(Number.parseInt(text.slice(index + 2, index + 6), 16)) : 1;
      index += escape === 'u' ? 6 : 2;
    } else {
      counted += utf8Length(text.charCodeAt(index));
      index++;
    }
  }
  return Math.min(index, leaf.end);
}
