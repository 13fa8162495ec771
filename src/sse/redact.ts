/**
 * SSE-aware redaction: `--sse` (event mode) and `--sse-json PATH` (content-stream mode). Both are
 * a {@link SseRedactor}: bytes of one event stream in, redacted event-stream bytes out, each event
 * returned by the `write` call that completes it (so the caller can write and flush it at once).
 *
 * ## `--sse`: secrets are matched within one event
 * When an event's blank line arrives, each run of consecutive lines with the same field (and each
 * comment) is redacted on its own, by a fresh redactor ended at once: the values of a run of `data`
 * lines are joined with LF, exactly as a client joins them, so a PEM key spread over many `data`
 * lines is found. Scanned: the value of `data`, `event`, `id` and `retry` lines; the text after the
 * `:` of a comment; the whole line of any other field (clients ignore those, and a secret in the
 * name must not pass). Nothing is held across events, so no event waits for the next one. A secret
 * split across two events is not found in this mode — that is what `--sse-json` is for.
 * Unchanged lines are re-emitted byte-for-byte; a run whose redacted text has fewer (or more) LFs
 * than it had lines (a secret spanning lines became one replacement) is re-emitted as one line per
 * LF-separated piece, with the original lines' field prefixes and endings: a client still sees the
 * redacted data.
 *
 * ## `--sse-json PATH`: secrets are matched across events
 * The strings at PATH (see json-path.ts) of successive events form one continuous content stream
 * per key (per choice index, per content block), fed to one long-lived redactor per key. Each
 * event's string is replaced by what the redactor releases while that string is fed: text that
 * could still be the start of a secret is *held back* — removed from its event — and appears,
 * redacted or not, at the start of the same key's string in a later event. So the client sees:
 * an event whose content is shorter, or the empty string `""`, and the held text arriving at the
 * front of a later event's content; the concatenation of all contents is the redacted content
 * stream. Every event still goes out the moment it arrives, with valid JSON and every other member
 * as it was (an event whose JSON changed is re-serialized with `JSON.stringify`: same value, compact
 * formatting; an unchanged event keeps its bytes).
 *
 *     content in:  "Key: AK" | "IAIOS" | "FODNN7EX" | "AMPLE done"          | [DONE]
 *     content out: "Key: "   | ""      | ""         | "[REDACTED:aws] done" | [DONE]
 *
 *     content in:  "ends with AKIA" |                          [DONE]
 *     content out: "ends with "     | "AKIA" (synthetic event) | [DONE]
 *
 * Held text is released, at the latest, where its stream ends: into the ending event itself when
 * that carries content for the key (e.g. an OpenAI chunk with `finish_reason` and content), else in
 * a *synthetic event* emitted just before the ending event — a copy of the last event that carried
 * content for that key (its non-`id` fields, its JSON with that key's content set to the held text
 * and any other content emptied). Ends: the preset's end events, any event whose data is not JSON
 * (such as `data: [DONE]`, which clients treat as the end), and the end of the input (synthetic
 * events then come last, or just before a final event that lacks its blank line).
 *
 * Outside the content path, every string member of the JSON (decoded, so escapes hide nothing) is
 * redacted on its own (fail closed). Members repeat from event to event (ids, model names), so
 * short strings found clean are remembered (at most 1,024 of at most 256 characters) and not
 * scanned again. Object keys are not scanned. Non-JSON data, events without data, and the other
 * lines of a JSON event are redacted as in `--sse`.
 *
 * Findings: each scanned unit has its own redactor, so the offsets, lines and columns a redactor
 * reports (`onFinding`) are relative to that unit: a run's joined values (`--sse`), a content
 * stream's UTF-8 text, or one JSON member — not to the input stream.
 *
 * Memory: O(1 MiB + longest line) for the framer (an event with more lines than that goes out in
 * parts: a secret spanning such a cut between two lines is not found), plus per open content
 * stream the redactor's holdback and one template event.
 *
 * @example
 * const sse = createSseRedactor({ openRedactor: () => createStreamRedactor(ruleSet, options), contentPath: 'openai' });
 * process.stdout.write(sse.write(chunk)); // for each chunk
 * process.stdout.write(sse.end());
 */
import type { StreamRedactor } from '../redact/redactor.js';
import { compileContentPath, type ContentLocator, type ContentSlot } from './json-path.js';
import { concat, createSseFramer, dataOf, type SseEvent, type SseLine } from './parser.js';
import { pushLines, withValue } from './serialize.js';

/** What this module needs of the core's StreamRedactor (src/redact/redactor.ts). */
export type ByteRedactor = Pick<StreamRedactor, 'write' | 'end'>;

export interface SseRedactOptions {
  /** Opens a fresh redactor over the compiled rule set (one per event run or content stream). */
  readonly openRedactor: () => ByteRedactor;
  /** `--sse-json PATH`: a preset (`openai`, `anthropic`) or a dotted path; absent for `--sse`. */
  readonly contentPath?: string;
  /** Passed to the framer (parser.ts): complete lines of one event held at most; default 1 MiB. */
  readonly maxEventBytes?: number;
}

/** One event stream's redactor; feed it the stream's chunks in order. */
export interface SseRedactor {
  /** Feeds the next chunk; returns the redacted bytes of every event it completes. */
  write(chunk: Uint8Array): Uint8Array;
  /** Ends the stream; returns the rest: a final partial event, held content (synthetic events). */
  end(): Uint8Array;
}

/**
 * Creates the redactor for one event stream.
 * @throws SseredactError('usage') when `contentPath` is not a preset or a valid path. Errors of
 * the byte redactor propagate (fail closed: the caller must stop writing).
 */
export function createSseRedactor(options: SseRedactOptions): SseRedactor {
  const framer = createSseFramer(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes });
  const emit =
    options.contentPath === undefined
      ? (event: SseEvent | null, parts: Uint8Array[]) => {
          if (event !== null) pushEvent(parts, event.prefix, redactLines(event.lines, options.openRedactor, isAnyLine));
        }
      : createContentStreams(options.openRedactor, compileContentPath(options.contentPath));
  const run = (events: SseEvent[], atEnd: boolean): Uint8Array => {
    const parts: Uint8Array[] = [];
    for (const event of events) emit(event, parts);
    if (atEnd) emit(null, parts);
    return concat(parts);
  };
  return {
    write: (chunk) => run(framer.write(chunk), false),
    end: () => run(framer.end(), true),
  };
}

/** Emits one event (or, with `null` at the end, what is still held) into `parts`. */
type EmitEvent = (event: SseEvent | null, parts: Uint8Array[]) => void;

const KNOWN_FIELDS = new Set(['data', 'event', 'id', 'retry']);
const LF = 0x0a;
const LF_BYTES = Uint8Array.of(LF);
const encoder = new TextEncoder();
/** Content may start with U+FEFF: keep it (TextDecoder drops a leading BOM by default). */
const UTF8_OPTIONS = { ignoreBOM: true } as const;
const utf8 = new TextDecoder('utf-8', UTF8_OPTIONS);

function pushEvent(parts: Uint8Array[], prefix: Uint8Array, lines: readonly SseLine[]): void {
  if (prefix.length > 0) parts.push(prefix);
  pushLines(parts, lines);
}

/** Where scanning starts in a line (see the module comment); -1 for a blank line. */
function scanStart(line: SseLine): number {
  if (line.kind === 'blank') return -1;
  if (line.kind === 'comment') return 1;
  return line.hasColon && KNOWN_FIELDS.has(line.field) ? line.valueStart : 0;
}

function isAnyLine(): boolean {
  return true;
}

function isNotData(line: SseLine): boolean {
  return !(line.kind === 'field' && line.field === 'data');
}

/** Redacts `bytes` as one whole stream with a fresh redactor. */
function redactWhole(openRedactor: () => ByteRedactor, bytes: Uint8Array): Uint8Array {
  const redactor = openRedactor();
  const head = redactor.write(bytes);
  const tail = redactor.end();
  return tail.length === 0 ? head : head.length === 0 ? tail : concat([head, tail]);
}

function isEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Redacts the lines `isScanned` selects, run by run (module comment, `--sse`); returns `lines`
 * itself when nothing changed.
 */
function redactLines(
  lines: readonly SseLine[],
  openRedactor: () => ByteRedactor,
  isScanned: (line: SseLine) => boolean,
): readonly SseLine[] {
  let out: SseLine[] | null = null;
  let runStart = 0;
  while (runStart < lines.length) {
    const first = lines[runStart] as SseLine;
    let runEnd = runStart + 1;
    const isRun = first.kind !== 'blank' && isScanned(first);
    if (isRun) {
      while (runEnd < lines.length && isSameRun(first, lines[runEnd] as SseLine)) runEnd++;
      const replaced = redactRun(lines.slice(runStart, runEnd), openRedactor);
      if (replaced !== null) {
        out ??= lines.slice(0, runStart);
        out.push(...replaced);
      } else if (out !== null) {
        for (let i = runStart; i < runEnd; i++) out.push(lines[i] as SseLine);
      }
    } else if (out !== null) {
      out.push(first);
    }
    runStart = runEnd;
  }
  return out ?? lines;
}

function isSameRun(first: SseLine, line: SseLine): boolean {
  return line.kind === first.kind && line.kind === 'field' && line.field === first.field && line.hasColon === first.hasColon;
}

/** Redacts one run of lines; null when nothing changed. */
function redactRun(run: readonly SseLine[], openRedactor: () => ByteRedactor): SseLine[] | null {
  const starts = run.map(scanStart);
  const values = run.map((line, i) => line.bytes.subarray(starts[i]));
  const joined = values.length === 1 ? (values[0] as Uint8Array) : concat(values.flatMap((v, i) => (i === 0 ? [v] : [LF_BYTES, v])));
  const redacted = redactWhole(openRedactor, joined);
  if (isEqual(redacted, joined)) return null;
  const pieces = splitLines(redacted);
  const last = run.length - 1;
  return pieces.map((piece, i) => {
    const source = Math.min(i, last);
    const line = run[source] as SseLine;
    // The last piece ends as the run did; the others need a line ending even where the source
    // line had none (the stream's unterminated last line).
    const ending = i === pieces.length - 1 ? (run[last] as SseLine).ending : line.ending === '' ? '\n' : line.ending;
    return withValue(line, piece, starts[source], ending);
  });
}

function splitLines(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (let lf = bytes.indexOf(LF); lf !== -1; lf = bytes.indexOf(LF, start)) {
    pieces.push(bytes.subarray(start, lf));
    start = lf + 1;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** A content stream of `--sse-json` mode. */
interface ContentStream {
  readonly redactor: ByteRedactor;
  /** Carries a UTF-8 sequence cut by the redactor's holdback over to the next release. */
  readonly decoder: InstanceType<typeof TextDecoder>;
  /** The last event that carried content for this stream, as emitted: a synthetic event's model. */
  template: { readonly lines: readonly SseLine[]; readonly value: unknown };
}

/** The `--sse-json` emitter: one content stream per key, opened on first content. */
function createContentStreams(openRedactor: () => ByteRedactor, locator: ContentLocator): EmitEvent {
  const streams = new Map<string, ContentStream>();
  const cleanStrings = new Set<string>();

  /** Ends the stream `key`; returns its held text, redacted. */
  const endStream = (key: string): string => {
    const stream = streams.get(key);
    if (stream === undefined) return '';
    streams.delete(key);
    return stream.decoder.decode(stream.redactor.end());
  };

  /** Ends `keys` (all streams for 'all'); puts held text into `slots` or synthetic events. */
  const endStreams = (keys: readonly string[] | 'all', slots: readonly ContentSlot[], parts: Uint8Array[]): boolean => {
    let isChanged = false;
    for (const key of keys === 'all' ? [...streams.keys()] : keys) {
      const template = streams.get(key)?.template;
      const held = endStream(key);
      if (held === '' || template === undefined) continue;
      const slot = slots.findLast((s) => s.key === key);
      if (slot !== undefined) {
        slot.set(slot.text + held);
        isChanged = true;
      } else {
        pushEvent(parts, new Uint8Array(0), syntheticEvent(template, key, held));
      }
    }
    return isChanged;
  };

  const syntheticEvent = (template: ContentStream['template'], key: string, held: string): SseLine[] => {
    const value: unknown = structuredClone(template.value);
    for (const slot of locator.slots(value)) slot.set(slot.key === key ? held : '');
    const dataLine = template.lines.find((line) => !isNotData(line)) as SseLine;
    const kept = template.lines.filter((line) => line.kind === 'field' && line.field !== 'id' && line.field !== 'data');
    const ending = dataLine.ending === '' ? '\n' : dataLine.ending;
    const blank: SseLine = { bytes: new Uint8Array(0), kind: 'blank', field: '', valueStart: 0, hasColon: false, ending };
    return [...kept, withValue(dataLine, encoder.encode(JSON.stringify(value)), dataLine.valueStart, ending), blank];
  };

  return (event, parts) => {
    if (event === null) {
      endStreams('all', [], parts);
      return;
    }
    const data = dataOf(event);
    if (data === null) {
      pushEvent(parts, event.prefix, redactLines(event.lines, openRedactor, isAnyLine));
      return;
    }
    if (event.prefix.length > 0) parts.push(event.prefix);
    const value = parseJson(data);
    if (value === undefined || !event.isDispatched) {
      // Non-JSON data ([DONE]) ends every content stream; so does a final event a client never
      // dispatches (its content cannot join the stream, and held text must come before it).
      endStreams('all', [], parts);
      pushLines(parts, redactLines(event.lines, openRedactor, isAnyLine));
      return;
    }
    let isChanged = false;
    for (const slot of locator.slots(value)) {
      let stream = streams.get(slot.key);
      if (stream === undefined) {
        stream = { redactor: openRedactor(), decoder: new TextDecoder('utf-8', UTF8_OPTIONS), template: { lines: [], value: null } };
        streams.set(slot.key, stream);
      }
      const released = stream.decoder.decode(stream.redactor.write(encoder.encode(slot.text)), { stream: true });
      if (released !== slot.text) {
        slot.set(released);
        isChanged = true;
      }
    }
    // Located again: the slots' texts are now what goes out.
    const slots = locator.slots(value);
    if (endStreams(locator.ends(value), slots, parts)) isChanged = true;
    if (redactMembers(value, slots, openRedactor, cleanStrings)) isChanged = true;
    const lines = redactLines(event.lines, openRedactor, isNotData);
    const out = isChanged ? replaceData(lines, encoder.encode(JSON.stringify(value))) : lines;
    for (const slot of slots) {
      const stream = streams.get(slot.key);
      if (stream !== undefined) stream.template = { lines: out, value };
    }
    pushLines(parts, out);
  };
}

/** The parsed data when it is a JSON object or array; undefined otherwise. */
function parseJson(data: Uint8Array): unknown {
  try {
    const value: unknown = JSON.parse(utf8.decode(data));
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Strings remembered clean by {@link redactMembers}: how many, and how long at most. */
const MAX_CLEAN_STRINGS = 1024;
const MAX_CLEAN_STRING_LENGTH = 256;

/**
 * Redacts every string member of `value` outside `slots`, each on its own; true when one changed.
 * `cleanStrings` remembers short strings found clean across calls.
 */
function redactMembers(value: unknown, slots: readonly ContentSlot[], openRedactor: () => ByteRedactor, cleanStrings: Set<string>): boolean {
  // Content members are marked for the walk to skip, then given their text back.
  const texts = slots.map((slot) => slot.text);
  for (const slot of slots) slot.set(CONTENT_MARKER);
  let isChanged = false;
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const member = record[key];
      if (typeof member !== 'string') {
        visit(member);
      } else if (member !== CONTENT_MARKER && member !== '' && !cleanStrings.has(member)) {
        const bytes = encoder.encode(member);
        const redacted = redactWhole(openRedactor, bytes);
        if (!isEqual(redacted, bytes)) {
          record[key] = utf8.decode(redacted);
          isChanged = true;
        } else if (member.length <= MAX_CLEAN_STRING_LENGTH) {
          if (cleanStrings.size >= MAX_CLEAN_STRINGS) cleanStrings.clear();
          cleanStrings.add(member);
        }
      }
    }
  };
  visit(value);
  slots.forEach((slot, i) => slot.set(texts[i] as string));
  return isChanged;
}

/** A string no JSON text can hold (a lone surrogate pair reversed), marking content members. */
const CONTENT_MARKER = '\udc00\ud800sseredact-content';

/** `lines` with its data lines replaced by one `data` line holding `json`, where the first was. */
function replaceData(lines: readonly SseLine[], json: Uint8Array): SseLine[] {
  const out: SseLine[] = [];
  const dataLines = lines.filter((line) => !isNotData(line));
  const lastEnding = (dataLines[dataLines.length - 1] as SseLine).ending;
  let isPlaced = false;
  for (const line of lines) {
    if (isNotData(line)) out.push(line);
    else if (!isPlaced) {
      out.push(withValue(line, json, line.valueStart, lastEnding));
      isPlaced = true;
    }
  }
  return out;
}
