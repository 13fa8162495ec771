/**
 * `--sse=auto`: does the start of a stream look like `text/event-stream`? The stream's first bytes
 * are tested until they decide. After an optional BOM and blank lines, it is an event stream when
 * a first event completes (a blank line) whose every line is a comment or one of the fields
 * `data`, `event`, `id`, `retry` with a colon (the forms real servers send); it is text as soon as
 * a line is anything else. So a real event stream is not delayed (its first event could not go out
 * before its blank line anyway), and a log that merely starts with `id: 5` is text by its second
 * line.
 *
 * @example
 * detectEventStream(bytes('data: {"a":1}\n\n')); // 'sse'
 * detectEventStream(bytes('data: {"a":1}\n'));   // 'undecided': feed more, or call with isEnd
 * detectEventStream(bytes('2026-01-01 INFO'));    // 'text'
 *
 * // In a pipeline: text mode or SSE mode, decided by the stream's first bytes.
 * const redactor = createAutoRedactor({ text: () => createStreamRedactor(ruleSet, options), sse: () => createSseRedactor(sseOptions) });
 */
import type { ByteRedactor } from './redact.js';

export type Detection = 'sse' | 'text' | 'undecided';

const STARTS = ['data:', 'event:', 'id:', 'retry:', ':'].map((start) => new TextEncoder().encode(start));
const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
const LF = 0x0a;
const CR = 0x0d;

/**
 * Decides from the first bytes of a stream (all of them so far, from offset 0). Returns
 * 'undecided' only while the bytes are still a possible start of an event stream without a first
 * complete event; pass `isEnd` when no more bytes will come (then it never returns 'undecided').
 */
export function detectEventStream(head: Uint8Array, isEnd = false): Detection {
  let position = 0;
  for (let i = 0; i < BOM.length && i < head.length && head[i] === BOM[i]; i++) position = i + 1;
  if (position > 0 && position < BOM.length) return position === head.length && !isEnd ? 'undecided' : 'text';
  let hasField = false;
  while (position < head.length) {
    const lf = head.indexOf(LF, position);
    const cr = head.indexOf(CR, position);
    const lineEnd = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
    if (lineEnd === -1) break;
    if (lineEnd === position) {
      if (hasField) return 'sse';
    } else if (startOf(head.subarray(position, lineEnd)) !== 'whole') {
      return 'text';
    } else {
      hasField = true;
    }
    position = lineEnd + 1;
  }
  if (isEnd) return 'text';
  return startOf(head.subarray(position)) === 'none' ? 'text' : 'undecided';
}

/** How `line` (without its ending) begins: with a whole known start, a part of one, or neither. */
function startOf(line: Uint8Array): 'whole' | 'part' | 'none' {
  let result: 'part' | 'none' = 'none';
  for (const start of STARTS) {
    const compared = Math.min(line.length, start.length);
    let isSame = true;
    for (let i = 0; i < compared && isSame; i++) isSame = line[i] === start[i];
    if (!isSame) continue;
    if (line.length >= start.length) return 'whole';
    result = 'part';
  }
  return result;
}

/** Bytes held undecided at most (leading blank lines); past this the stream is text. */
const MAX_UNDECIDED_BYTES = 4096;

/**
 * A redactor that holds the stream's first bytes until {@link detectEventStream} decides, then
 * opens `sse()` or `text()` and runs the whole stream through it. Only bytes that could still
 * start an event stream are held (until its first blank line, never more than 4 KiB); `end`
 * decides with what there is.
 */
export function createAutoRedactor(open: { readonly text: () => ByteRedactor; readonly sse: () => ByteRedactor }): ByteRedactor {
  let chosen: ByteRedactor | null = null;
  let head: Uint8Array[] = [];
  let headLength = 0;
  /** The redactor the head calls for; null while it is undecided (never at the end). */
  const choose = (isEnd: boolean): ByteRedactor | null => {
    const detection = headLength > MAX_UNDECIDED_BYTES ? 'text' : detectEventStream(Buffer.concat(head), isEnd);
    if (detection === 'undecided') return null;
    return detection === 'sse' ? open.sse() : open.text();
  };
  /** Makes `redactor` the chosen one and writes the held head to it. */
  const start = (redactor: ByteRedactor): Uint8Array => {
    chosen = redactor;
    const bytes = Buffer.concat(head);
    head = [];
    return redactor.write(bytes);
  };
  return {
    write(chunk, isFollowed) {
      if (chosen !== null) return chosen.write(chunk, isFollowed);
      head.push(Buffer.from(chunk)); // held past this write: a source reuses its buffers
      headLength += chunk.length;
      const redactor = choose(false);
      return redactor === null ? new Uint8Array(0) : start(redactor);
    },
    end() {
      if (chosen !== null) return chosen.end();
      const redactor = choose(true) as ByteRedactor;
      // Copied before the next call: a text redactor may lend its output (RedactOptions.lendsOutput).
      const head = Buffer.from(start(redactor));
      return Buffer.concat([head, redactor.end()]);
    },
  };
}
