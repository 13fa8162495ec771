/**
 * Turns framed events back into bytes. `serializeEvent` of an event from the framer (parser.ts)
 * gives back exactly the bytes it was framed from; callers that change a value build new lines
 * with {@link withValue} and keep everything else as it came.
 */
import { type LineEnding, type SseEvent, type SseLine, concat, parseLine } from './parser.js';

const ENDING_BYTES: Record<LineEnding, Uint8Array> = {
  '': new Uint8Array(0),
  '\n': Uint8Array.of(0x0a),
  '\r': Uint8Array.of(0x0d),
  '\r\n': Uint8Array.of(0x0d, 0x0a),
};

/** Appends the bytes of `lines` (each line's bytes then its ending) to `parts`. */
export function pushLines(parts: Uint8Array[], lines: readonly SseLine[]): void {
  for (const line of lines) {
    if (line.bytes.length > 0) parts.push(line.bytes);
    if (line.ending !== '') parts.push(ENDING_BYTES[line.ending]);
  }
}

/** The bytes of an event: its prefix, then each line and its ending. */
export function serializeEvent(event: SseEvent): Uint8Array {
  const parts: Uint8Array[] = [];
  if (event.prefix.length > 0) parts.push(event.prefix);
  pushLines(parts, event.lines);
  return concat(parts);
}

/**
 * A copy of `line` whose bytes from `start` on are `value`: the bytes before `start` (field name,
 * colon, space) are kept; `ending` overrides the ending when given. When `start` is not the line's
 * value start (a whole line was replaced), the new bytes are classified afresh.
 */
export function withValue(line: SseLine, value: Uint8Array, start: number = line.valueStart, ending: LineEnding = line.ending): SseLine {
  const bytes = new Uint8Array(start + value.length);
  bytes.set(line.bytes.subarray(0, start), 0);
  bytes.set(value, start);
  return start === line.valueStart ? { ...line, bytes, ending } : parseLine(bytes, ending);
}
