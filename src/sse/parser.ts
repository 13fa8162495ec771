/**
 * A byte-level, incremental framer for `text/event-stream` (WHATWG HTML §9.2.6, "Interpreting an
 * event stream"). It cuts a stream into events without decoding or copying the hot path, and keeps
 * every byte: the concatenation of `serializeEvent(e)` over every event it yields, in order, is the
 * input byte-for-byte (see serialize.ts).
 *
 * What it follows from the spec:
 * - a line ends at LF, CR or CRLF; a CR that ends one chunk and an LF that starts the next are one
 *   line ending;
 * - a blank line dispatches the event; it is the last line of the {@link SseEvent} it ends;
 * - a line starting with `:` is a comment; otherwise the field name runs to the first `:` (the
 *   whole line when there is none, with an empty value) and one optional space after the colon is
 *   not part of the value;
 * - one leading U+FEFF (bytes EF BB BF) at the start of the stream is not part of the first line.
 *
 * What it does not do: the spec's event semantics (joining `data` values, last `id` wins, ignoring
 * unknown fields) are the client's business; {@link dataOf} gives the joined data where a caller
 * needs it.
 *
 * Latency: an event is yielded by the `write` call that delivers its blank line. When that blank
 * line is a lone CR at the very end of a chunk, the framer cannot know yet whether an LF follows;
 * it dispatches at once (ending `'\r'`) and, if the next chunk starts with an LF, that LF becomes
 * the `prefix` of the next event. So chunking can move that one byte between two events; the
 * events' lines, fields and values, and the concatenated bytes, never depend on chunking.
 *
 * Memory: a partial line is kept as the list of its fragments (copied, since the caller may reuse a
 * chunk's memory) and concatenated once when its ending arrives. Complete lines inside a chunk are
 * views of that chunk, not copies: callers must not mutate a chunk after writing it. A pending
 * event holds its lines until its blank line, but no more than `maxEventBytes` (default 1 MiB) of
 * complete lines: past that they are yielded early as an undispatched event and the event goes on
 * in the next one (a client buffers lines until the blank line anyway). So memory is
 * O(maxEventBytes + longest line); a single line is always kept whole.
 *
 * @example
 * const framer = createSseFramer();
 * const events = framer.write(new TextEncoder().encode('event: x\ndata: 1\n\n'));
 * // events[0].lines: [{field: 'event', ...}, {field: 'data', ...}, {kind: 'blank', ...}]
 * framer.end(); // [] — nothing pending
 */

/** How a line ended; `''` only for the last line of a stream that ends without a line ending. */
export type LineEnding = '' | '\n' | '\r' | '\r\n';

/** One line of an event stream, with the raw bytes needed to re-emit it untouched. */
export interface SseLine {
  /** The line's bytes without its ending. */
  readonly bytes: Uint8Array;
  readonly kind: 'field' | 'comment' | 'blank';
  /** Field name for a field line (UTF-8 decoded); `''` for comments and blank lines. */
  readonly field: string;
  /**
   * Where the value starts in `bytes`: after the colon and one optional space; `bytes.length` for
   * a field without a colon; 1 for a comment (its text after the `:`); 0 for a blank line. The
   * value runs to the end of `bytes`.
   */
  readonly valueStart: number;
  /** True when the field line has a colon (`data` and `data:` are both the field `data`). */
  readonly hasColon: boolean;
  readonly ending: LineEnding;
}

/** The lines between two dispatches, in order, blank line included. */
export interface SseEvent {
  /**
   * Bytes before the first line that belong to no line: the stream's leading BOM, or an LF that
   * completes a CRLF whose CR ended the previous event at a chunk end. Usually empty.
   */
  readonly prefix: Uint8Array;
  readonly lines: readonly SseLine[];
  /**
   * True when a blank line ended the event (a client dispatches it). False for what remained at
   * end of stream (lines without the final blank line, possibly none but a prefix), and for the
   * complete lines of an event that outgrew `maxEventBytes` (its next lines follow in the next
   * event).
   */
  readonly isDispatched: boolean;
}

export interface SseFramerOptions {
  /** Complete lines of one event kept at most before they are yielded early; default 1 MiB. */
  readonly maxEventBytes?: number;
}

/** The default of {@link SseFramerOptions.maxEventBytes}. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

/** An incremental framer over one stream. */
export interface SseFramer {
  /** Feeds the next chunk; returns the events its bytes complete, in order (often none). */
  write(chunk: Uint8Array): SseEvent[];
  /**
   * Ends the stream: returns the pending partial event (its last line may have ending `''`), if
   * any byte is pending. The framer must not be written to afterwards.
   */
  end(): SseEvent[];
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
const EMPTY = new Uint8Array(0);
const LF_BYTES = Uint8Array.of(LF);
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Creates a framer for one stream. */
export function createSseFramer(options: SseFramerOptions = {}): SseFramer {
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  /** Bytes seen at the start of the stream while they may still be a BOM. */
  let head: Uint8Array | null = EMPTY;
  /** Bytes before the next event's first line (see SseEvent.prefix). */
  let prefix: Uint8Array = EMPTY;
  /** Complete lines of the event being built, and their size with endings. */
  let lines: SseLine[] = [];
  let linesBytes = 0;
  /** Copied fragments of the current partial line. */
  let fragments: Uint8Array[] = [];
  /** The previous chunk ended with a CR: an LF starting this chunk completes its CRLF. */
  let skipNextLineFeed = false;

  function takeEvent(isDispatched: boolean): SseEvent {
    const event: SseEvent = { prefix, lines, isDispatched };
    prefix = EMPTY;
    lines = [];
    linesBytes = 0;
    return event;
  }

  function feed(chunk: Uint8Array, events: SseEvent[]): void {
    let position = 0;
    if (skipNextLineFeed && chunk.length > 0) {
      skipNextLineFeed = false;
      if (chunk[0] === LF) {
        position = 1;
        const last = lines.pop();
        if (last === undefined) {
          // The CR's line has gone out already (it dispatched, or was yielded early).
          prefix = prefix.length === 0 ? LF_BYTES : concat([prefix, LF_BYTES]);
        } else {
          lines.push({ ...last, ending: '\r\n' });
          linesBytes++;
        }
      }
    }
    // Search positions of the next LF and CR; -1 when none is left in the chunk.
    let nextLf = chunk.indexOf(LF, position);
    let nextCr = chunk.indexOf(CR, position);
    while (position < chunk.length) {
      if (nextLf !== -1 && nextLf < position) nextLf = chunk.indexOf(LF, position);
      if (nextCr !== -1 && nextCr < position) nextCr = chunk.indexOf(CR, position);
      const lineEnd = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (lineEnd === -1) {
        fragments.push(chunk.slice(position));
        return;
      }
      let ending: LineEnding;
      let next: number;
      if (chunk[lineEnd] === LF) {
        ending = '\n';
        next = lineEnd + 1;
      } else if (lineEnd + 1 < chunk.length) {
        ending = chunk[lineEnd + 1] === LF ? '\r\n' : '\r';
        next = lineEnd + (ending === '\r\n' ? 2 : 1);
      } else {
        ending = '\r';
        next = lineEnd + 1;
        skipNextLineFeed = true;
      }
      let bytes = chunk.subarray(position, lineEnd);
      if (fragments.length > 0) {
        fragments.push(bytes);
        bytes = concat(fragments);
        fragments = [];
      }
      const line = parseLine(bytes, ending);
      lines.push(line);
      linesBytes += bytes.length + ending.length;
      if (line.kind === 'blank') events.push(takeEvent(true));
      else if (linesBytes > maxEventBytes) events.push(takeEvent(false));
      position = next;
    }
  }

  /** Returns the bytes past a leading BOM once it is decided, or null while it is not. */
  function skipBom(chunk: Uint8Array): Uint8Array | null {
    if (head === null) return chunk;
    const seen = head.length === 0 ? chunk : concat([head, chunk]);
    const compared = Math.min(seen.length, BOM.length);
    let isBomPrefix = true;
    for (let i = 0; i < compared; i++) if (seen[i] !== BOM[i]) isBomPrefix = false;
    if (isBomPrefix && seen.length < BOM.length) {
      head = seen.slice();
      return null;
    }
    head = null;
    if (!isBomPrefix) return seen;
    prefix = BOM;
    return seen.subarray(BOM.length);
  }

  return {
    write(chunk) {
      const events: SseEvent[] = [];
      const rest = skipBom(chunk);
      if (rest !== null) feed(rest, events);
      return events;
    },
    end() {
      const events: SseEvent[] = [];
      if (head !== null && head.length > 0) {
        const pending = head;
        head = null;
        feed(pending, events);
      }
      if (fragments.length > 0) {
        lines.push(parseLine(concat(fragments), ''));
        fragments = [];
      }
      if (lines.length > 0 || prefix.length > 0) events.push(takeEvent(false));
      return events;
    },
  };
}

/** Classifies one line (its bytes without the ending). */
export function parseLine(bytes: Uint8Array, ending: LineEnding): SseLine {
  if (bytes.length === 0) {
    return { bytes, kind: 'blank', field: '', valueStart: 0, hasColon: false, ending };
  }
  if (bytes[0] === COLON) {
    return { bytes, kind: 'comment', field: '', valueStart: 1, hasColon: true, ending };
  }
  const colon = bytes.indexOf(COLON);
  if (colon === -1) {
    return { bytes, kind: 'field', field: fieldName(bytes), valueStart: bytes.length, hasColon: false, ending };
  }
  const valueStart = bytes[colon + 1] === SPACE ? colon + 2 : colon + 1;
  return { bytes, kind: 'field', field: fieldName(bytes.subarray(0, colon)), valueStart, hasColon: true, ending };
}

const DATA = Uint8Array.of(0x64, 0x61, 0x74, 0x61);

function fieldName(bytes: Uint8Array): string {
  // `data` is nearly every line of a real stream: skip the decoder for it.
  if (bytes.length === 4 && bytes[0] === DATA[0] && bytes[1] === DATA[1] && bytes[2] === DATA[2] && bytes[3] === DATA[3]) {
    return 'data';
  }
  return utf8.decode(bytes);
}

/** The value bytes of a line (a view, not a copy). */
export function valueOf(line: SseLine): Uint8Array {
  return line.bytes.subarray(line.valueStart);
}

/**
 * The event's data as a client sees it: the values of its `data` lines joined with LF, or null
 * when it has no `data` line (a client then dispatches nothing).
 */
export function dataOf(event: SseEvent): Uint8Array | null {
  const values: Uint8Array[] = [];
  for (const line of event.lines) {
    if (line.kind === 'field' && line.field === 'data') {
      if (values.length > 0) values.push(LF_BYTES);
      values.push(valueOf(line));
    }
  }
  if (values.length === 0) return null;
  return values.length === 1 ? (values[0] as Uint8Array) : concat(values);
}

/** Concatenates byte arrays into one new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
