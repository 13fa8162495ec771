/**
 * SSE-aware redaction: `--sse` (event mode) and `--sse-json SPEC` (content-stream mode). Both are
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
 * ## `--sse-json SPEC`: secrets are matched across events
 * SPEC is a provider preset, `auto`, or a path (json-path.ts, presets.ts). The content strings of
 * successive events form one continuous content stream per key (per choice, tool call, content
 * block, output item), fed decoded (JSON escapes undone; a UTF-16 surrogate pair split over two
 * events joined) to one long-lived redactor per key. Each event's string is replaced by what the
 * redactor releases while that string is fed: only text that could still be the start of a secret
 * is *held back* — removed from its event — and appears, redacted or not, at the start of the same
 * key's string in a later event. So the client sees an event whose content is shorter (or `""`),
 * and the held text arriving at the front of a later event's content; the concatenation of all
 * contents is the redacted content stream. Every event still goes out the moment it arrives.
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
 * content for that key (its non-`id` fields, its data with that key's content set to the held text
 * and any other content emptied). Ends: the preset's end events, any event whose data is not JSON
 * (such as `data: [DONE]`, which clients treat as the end), and the end of the input. A stream that
 * ends mid-event (the connection dropped): the partial JSON of that last event is read as far as it
 * goes and its content joins its streams before they end, so what was held is redacted together
 * with the rest of the secret through the end-of-stream path, never released in clear beside it.
 *
 * Outside the content, every member is scanned with its name, decoded (json-members.ts), and the
 * event is re-emitted as it came but for the strings and numbers that changed, rewritten in place:
 * what goes out is what was scanned (repeated names, numbers, names themselves included). Non-JSON
 * data, events without data, and the other lines of a JSON event are redacted as in `--sse`.
 *
 * Bounds: at most `maxContentStreams` (default 256) content streams are open at once; an event that
 * would open more is redacted as in `--sse` (never passed through) while the open streams go on; an
 * event cut by the framer's `maxEventBytes` too (it ends every stream first, as non-JSON data does). JSON is parsed without recursion, so nesting depth is no bound.
 *
 * Findings (`onFinding`): with the input offsets of the secret (a secret written with escapes or
 * spread over events spans the bytes that spell it), the line and byte column of its start, and an
 * {@link SseFindingContext}: the event holding its first byte and the field or JSON path there.
 *
 * Memory: O(1 MiB + longest line) for the framer (an event with more lines than that goes out in
 * parts: a secret spanning such a cut between two lines is not found), plus per open content
 * stream the redactor's holdback and one template event.
 *
 * @example
 * const pool = createRedactorPool(ruleSet, options);
 * const sse = createSseRedactor({ openRedactor: (onFinding) => pool(onFinding), contentPath: 'openai', onFinding: (f, at) => log(f.secret, at.path) });
 * process.stdout.write(sse.write(chunk)); // for each chunk
 * process.stdout.write(sse.end());
 */
import type { StreamRedactor } from '../redact/redactor.js';
import type { Finding, LocatedFinding } from '../types.js';
import { type Edit, applyEdits, bytesJson, createMemberScanner, leafText } from './json-members.js';
import { compileContentPath } from './json-path.js';
import { type JsonLeaf, type JsonTree, parseJsonTree, pathOf } from './json-tree.js';
import {
  type DataPlace,
  type EventPlace,
  type InputPoint,
  type SseFindingContext,
  type UnitMap,
  createPlaceTracker,
  dataOffset,
  fieldPath,
  leafIndex,
  lineAndColumn,
  valuesMap,
} from './locate.js';
import { type SseEvent, type SseLine, concat, createSseFramer } from './parser.js';
import { AUTO_ORDER, type ContentLocator, type ContentSlot } from './presets.js';
import { pushLines, withValue } from './serialize.js';

export type { SseFindingContext } from './locate.js';

/** What this module needs of the core's StreamRedactor (src/redact/redactor.ts). */
export type ByteRedactor = Pick<StreamRedactor, 'write' | 'end'>;

/** A content stream's redactor also releases at event ends (StreamRedactor.release). */
export type ContentRedactor = Pick<StreamRedactor, 'write' | 'end' | 'release'>;

/**
 * Opens a fresh redactor over the compiled rule set (one per event run, JSON member or content
 * stream). When `onFinding` is given, the redactor must report its findings (offsets in the bytes
 * written to it) there instead of to its usual callback: the SSE redactor maps them to the input.
 */
export type OpenRedactor = (onFinding?: (finding: Finding) => void) => ContentRedactor;

export interface SseRedactOptions {
  readonly openRedactor: OpenRedactor;
  /** `--sse-json SPEC`: a preset (`openai`, `anthropic`, `gemini`, `vercel`), `auto`, or a path; absent for `--sse`. */
  readonly contentPath?: string;
  /** Passed to the framer (parser.ts): complete lines of one event held at most; default 1 MiB. */
  readonly maxEventBytes?: number;
  /** Content streams open at once at most (see the module comment); default 256. */
  readonly maxContentStreams?: number;
  /**
   * Hold content across events by the strict bound only: no release of literal bytes or a short
   * head run at an event's end (StreamRedactor.release); text may then arrive an event late.
   */
  readonly strictHold?: boolean;
  /**
   * Called for each finding with its secret's input offsets, line and column (the finding's other
   * fields as the unit's redactor reported them; `secretBytes` are the decoded secret) and where it is.
   */
  readonly onFinding?: (finding: LocatedFinding, context: SseFindingContext) => void;
  /** Informational messages (`auto`'s choice of preset): the CLI shows them under --verbose. */
  readonly log?: (message: string) => void;
  /** Warnings a user must see (a preset or path that found no content in a stream of JSON events). */
  readonly onWarning?: (message: string) => void;
}

/** One event stream's redactor; feed it the stream's chunks in order. */
export interface SseRedactor {
  /** Feeds the next chunk; returns the redacted bytes of every event it completes. */
  write(chunk: Uint8Array): Uint8Array;
  /** Ends the stream; returns the rest: a final partial event, held content (synthetic events). */
  end(): Uint8Array;
}

/** The default of {@link SseRedactOptions.maxContentStreams}. */
export const DEFAULT_MAX_CONTENT_STREAMS = 256;

/**
 * Creates the redactor for one event stream.
 * @throws SseredactError('usage') when `contentPath` is not a preset or a valid path. Errors of
 * the byte redactor propagate (fail closed: the caller must stop writing).
 */
export function createSseRedactor(options: SseRedactOptions): SseRedactor {
  const framer = createSseFramer(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes });
  const track = createPlaceTracker();
  const redactUnit = createUnitRedactor(options);
  const emit: EmitEvent =
    options.contentPath === undefined
      ? (place, parts) => {
          if (place !== null) pushEvent(parts, place.event.prefix, redactLines(place, redactUnit, isAnyLine));
        }
      : createContentStreams(options, redactUnit, compileContentPath(options.contentPath));
  const run = (events: SseEvent[], atEnd: boolean): Uint8Array => {
    const parts: Uint8Array[] = [];
    for (const event of events) emit(track(event), parts, atEnd);
    if (atEnd) emit(null, parts, true);
    return concat(parts);
  };
  return {
    // A copy: the framer keeps views of an unfinished event's lines, and a source reuses its buffers.
    write: (chunk) => run(framer.write(Buffer.from(chunk)), false),
    end: () => run(framer.end(), true),
  };
}

/**
 * Emits one event (or, with `null` at the end, what is still held) into `parts`; `isAtEnd` when
 * the input has ended (an undispatched event is then the stream's last, cut short).
 */
type EmitEvent = (place: EventPlace | null, parts: Uint8Array[], isAtEnd: boolean) => void;

/** Redacts one unit as a whole stream with a fresh redactor; `map` places its findings. */
type RedactUnit = (bytes: Uint8Array, map: UnitMap | null) => Uint8Array;

/** Reports a unit's finding through `options.onFinding` with its place in the input. */
function reportFinding(options: SseRedactOptions, finding: Finding, map: UnitMap): void {
  const start = map(finding.secret.start, false);
  const end = map(finding.secret.end, true);
  const matchStart = map(finding.match.start, false).offset;
  const matchEnd = map(finding.match.end, true).offset;
  const located: LocatedFinding = {
    ...finding,
    secret: { start: start.offset, end: Math.max(start.offset, end.offset) },
    match: { start: Math.min(matchStart, start.offset), end: Math.max(matchEnd, end.offset) },
    ...lineAndColumn(start.place, start.offset),
  };
  options.onFinding?.(located, { event: start.place.ordinal, eventOffset: start.place.offset, path: start.path });
}

function createUnitRedactor(options: SseRedactOptions): RedactUnit {
  return (bytes, map) => {
    const redactor = options.onFinding === undefined || map === null ? options.openRedactor() : options.openRedactor((finding) => reportFinding(options, finding, map));
    const head = redactor.write(bytes);
    const tail = redactor.end();
    return tail.length === 0 ? head : head.length === 0 ? tail : concat([head, tail]);
  };
}

const KNOWN_FIELDS = new Set(['data', 'event', 'id', 'retry']);
const LF = 0x0a;
const LF_BYTES = Uint8Array.of(LF);
const EMPTY = new Uint8Array(0);
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

function isData(line: SseLine): boolean {
  return line.kind === 'field' && line.field === 'data';
}

function isNotData(line: SseLine): boolean {
  return !isData(line);
}

function isEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Redacts the lines `isScanned` selects of `place`'s event, run by run (module comment, `--sse`);
 * returns the event's lines themselves when nothing changed.
 */
function redactLines(place: EventPlace, redactUnit: RedactUnit, isScanned: (line: SseLine) => boolean): readonly SseLine[] {
  const lines = place.event.lines;
  let out: SseLine[] | null = null;
  let runStart = 0;
  while (runStart < lines.length) {
    const first = lines[runStart] as SseLine;
    let runEnd = runStart + 1;
    const isRun = first.kind !== 'blank' && isScanned(first);
    if (isRun) {
      while (runEnd < lines.length && isSameRun(first, lines[runEnd] as SseLine)) runEnd++;
      const replaced = redactRun(place, runStart, runEnd, redactUnit);
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

/** Redacts the run of lines `[runStart, runEnd)` of `place`'s event; null when nothing changed. */
function redactRun(place: EventPlace, runStart: number, runEnd: number, redactUnit: RedactUnit): SseLine[] | null {
  const run = place.event.lines.slice(runStart, runEnd);
  const starts = run.map(scanStart);
  const values = run.map((line, i) => line.bytes.subarray(starts[i]));
  const joined = values.length === 1 ? (values[0] as Uint8Array) : concat(values.flatMap((v, i) => (i === 0 ? [v] : [LF_BYTES, v])));
  const indexes = run.map((_, i) => runStart + i);
  const redacted = redactUnit(
    joined,
    valuesMap(place, indexes, starts, (index) => fieldPath(place.event.lines[index] as SseLine)),
  );
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

/** Where one piece of content fed to a content stream came from, to place findings in it. */
interface FedPiece {
  /** Offset of the piece's first byte in the content stream, and its length in bytes. */
  readonly start: number;
  readonly length: number;
  /** Bytes of a surrogate carried from the previous piece, fed before this leaf's own. */
  readonly carried: number;
  readonly leaf: JsonLeaf;
  readonly data: DataPlace;
}

/** Fed pieces kept per stream for placing findings: those within this many bytes of the end. */
const FED_PIECES_WINDOW = 1 << 20;

/** A content stream of `--sse-json` mode. */
interface ContentStream {
  readonly redactor: ContentRedactor;
  /** Carries a UTF-8 sequence cut by the redactor's holdback over to the next release. */
  readonly decoder: InstanceType<typeof TextDecoder>;
  /** A high surrogate that ended the last piece: it is fed with the next one (a pair split over events). */
  carry: string;
  /** The last event that carried content for this stream, as emitted: a synthetic event's model. */
  template: { readonly lines: readonly SseLine[]; readonly data: string };
  /** The locator that found this stream (auto's choice): it finds the slots of the template. */
  readonly locator: ContentLocator;
  /** Bytes fed so far, and the pieces that are still placeable (onFinding only). */
  fed: number;
  readonly pieces: FedPiece[];
}

/** The locator for an event: the given one, or for `auto` the first preset whose shape an event has (then kept). */
function createLocatorChoice(spec: ContentLocator | 'auto', log: (message: string) => void): (root: JsonTree['root'], ordinal: number) => ContentLocator | null {
  if (spec !== 'auto') return () => spec;
  let chosen: ContentLocator | null = null;
  return (root, ordinal) => {
    if (chosen !== null) return chosen;
    chosen = AUTO_ORDER.find((preset) => preset.isShape(root)) ?? null;
    if (chosen !== null) log(`--sse-json auto: ${chosen.name} events (from event ${ordinal})`);
    return chosen;
  };
}

/** The `--sse-json` emitter: one content stream per key, opened on first content. */
function createContentStreams(options: SseRedactOptions, redactUnit: RedactUnit, spec: ContentLocator | 'auto'): EmitEvent {
  const streams = new Map<string, ContentStream>();
  const scanMembers = createMemberScanner(redactUnit);
  const chooseLocator = createLocatorChoice(spec, options.log ?? (() => {}));
  const maxStreams = options.maxContentStreams ?? DEFAULT_MAX_CONTENT_STREAMS;
  const isPlacing = options.onFinding !== undefined;
  const isStrict = options.strictHold === true;
  let jsonEvents = 0;
  let contentEvents = 0;

  const openStream = (key: string, locator: ContentLocator): ContentStream => {
    const pieces: FedPiece[] = [];
    const map: UnitMap = (offset, isEnd) => placeInPieces(pieces, offset, isEnd);
    const stream: ContentStream = {
      redactor: isPlacing ? options.openRedactor((finding) => reportFinding(options, finding, map)) : options.openRedactor(),
      decoder: new TextDecoder('utf-8', UTF8_OPTIONS),
      carry: '',
      template: { lines: [], data: '' },
      fed: 0,
      pieces,
      locator,
    };
    streams.set(key, stream);
    return stream;
  };

  /** Feeds `text` (and `leaf`'s place) to a stream; returns what it releases. */
  const feed = (stream: ContentStream, leaf: JsonLeaf, data: DataPlace): string => {
    let text = stream.carry + leaf.value;
    const carried = stream.carry.length === 0 ? 0 : 3;
    stream.carry = '';
    const last = text.charCodeAt(text.length - 1);
    if (leaf.isClosed && last >= 0xd800 && last < 0xdc00) {
      stream.carry = text.slice(-1);
      text = text.slice(0, -1);
    }
    const bytes = encoder.encode(text);
    if (isPlacing) {
      stream.pieces.push({ start: stream.fed, length: bytes.length, carried, leaf, data });
      while (stream.pieces.length > 1 && stream.fed - (stream.pieces[1] as FedPiece).start > FED_PIECES_WINDOW) stream.pieces.shift();
    }
    stream.fed += bytes.length;
    const written = stream.decoder.decode(stream.redactor.write(bytes), { stream: true });
    return isStrict ? written : written + stream.decoder.decode(stream.redactor.release(), { stream: true });
  };

  /** Ends a stream: returns its held text, redacted (a carried lone surrogate included). */
  const endStream = (key: string): string => {
    const stream = streams.get(key);
    if (stream === undefined) return '';
    streams.delete(key);
    const tail = stream.carry === '' ? EMPTY : stream.redactor.write(encoder.encode(stream.carry));
    return stream.decoder.decode(tail, { stream: true }) + stream.decoder.decode(stream.redactor.end());
  };

  /** Ends the streams `prefixes` name; their held text goes into `slots` of this event or synthetic events. */
  const endStreams = (prefixes: readonly string[] | 'all', slots: readonly ContentSlot[], texts: Map<ContentSlot, string>, parts: Uint8Array[]): void => {
    const keys = [...streams.keys()].filter((key) => prefixes === 'all' || prefixes.some((prefix) => key.startsWith(prefix)));
    for (const key of keys) {
      const { template, locator } = streams.get(key) as ContentStream;
      const held = endStream(key);
      if (held === '') continue;
      const slot = slots.findLast((s) => s.key === key);
      if (slot !== undefined) texts.set(slot, (texts.get(slot) ?? slot.leaf.value) + held);
      else pushEvent(parts, EMPTY, syntheticEvent(template, key, held, locator));
    }
  };

  const syntheticEvent = (template: ContentStream['template'], key: string, held: string, locator: ContentLocator): SseLine[] => {
    const tree = parseJsonTree(template.data);
    const edits: Edit[] = [];
    if (tree !== null) {
      let isPlaced = false;
      for (const slot of locator.slots(tree.root)) {
        const text = slot.key === key && !isPlaced ? held : '';
        isPlaced ||= slot.key === key;
        pushSlotEdits(edits, slot, text);
      }
    }
    const data = tree === null ? held : applyEdits(template.data, edits);
    const dataLine = template.lines.find(isData) as SseLine;
    const kept = template.lines.filter((line) => line.kind === 'field' && line.field !== 'id' && line.field !== 'data');
    const ending = dataLine.ending === '' ? '\n' : dataLine.ending;
    const blank: SseLine = { bytes: EMPTY, kind: 'blank', field: '', valueStart: 0, hasColon: false, ending };
    return [...kept, withValue(dataLine, encoder.encode(data), dataLine.valueStart, ending), blank];
  };

  /** Redacts the whole event as `--sse` does (no JSON reading): for events past a bound. */
  const asPlainEvent = (place: EventPlace, parts: Uint8Array[]): void => pushLines(parts, redactLines(place, redactUnit, isAnyLine));

  return (place, parts, isAtEnd) => {
    if (place === null) {
      endStreams('all', [], new Map(), parts);
      if (jsonEvents > 0 && contentEvents === 0) {
        options.onWarning?.(
          `--sse-json ${options.contentPath ?? ''}: no content found in ${jsonEvents} JSON event(s); each was redacted member by member, so a secret split over events was not looked for`,
        );
      }
      return;
    }
    const event = place.event;
    const data = dataPlaceOf(place);
    if (data === null) {
      pushEvent(parts, event.prefix, redactLines(place, redactUnit, isAnyLine));
      return;
    }
    if (event.prefix.length > 0) parts.push(event.prefix);
    // A final event without its blank line (the connection dropped) is read as far as it goes.
    const isFinalPartial = isAtEnd && !event.isDispatched;
    const tree = event.isDispatched || isFinalPartial ? parseJsonTree(data.text, { allowTruncated: isFinalPartial }) : null;
    if (tree === null || (tree.root.kind !== 'object' && tree.root.kind !== 'array')) {
      // Non-JSON data ([DONE]) ends every content stream; so does an event cut by the framer
      // (its content cannot join the stream, and held text must come before it).
      endStreams('all', [], new Map(), parts);
      asPlainEvent(place, parts);
      return;
    }
    jsonEvents++;
    const locator = chooseLocator(tree.root, place.ordinal);
    const slots = locator?.slots(tree.root) ?? [];
    const newKeys = new Set(slots.map((slot) => slot.key).filter((key) => !streams.has(key)));
    if (streams.size + newKeys.size > maxStreams) {
      // The open streams go on (a secret split over their events is still found); only this
      // event's content joins none.
      asPlainEvent(place, parts);
      return;
    }
    if (slots.length > 0) contentEvents++;
    const texts = new Map<ContentSlot, string>();
    for (const slot of slots) {
      const stream = streams.get(slot.key) ?? openStream(slot.key, locator as ContentLocator);
      texts.set(slot, feed(stream, slot.leaf, data));
    }
    const ends = locator?.ends(tree.root) ?? [];
    endStreams(isFinalPartial ? 'all' : ends, slots, texts, parts);
    const edits: Edit[] = [];
    for (const slot of slots) {
      const text = texts.get(slot) as string;
      if (text !== slot.leaf.value) pushSlotEdits(edits, slot, text);
    }
    const skip = new Set<JsonLeaf>(slots.map((slot) => slot.leaf));
    for (const leaf of tree.leaves) if (locator?.isUntouched(leaf) === true) skip.add(leaf);
    edits.push(...scanMembers(tree.leaves, skip, isPlacing ? data : null));
    const lines = redactLines(place, redactUnit, isNotData);
    const out = edits.length === 0 ? lines : replaceData(lines, encoder.encode(applyEdits(data.text, edits)));
    const emitted = edits.length === 0 ? data.text : applyEdits(data.text, edits);
    for (const slot of slots) {
      const stream = streams.get(slot.key);
      if (stream !== undefined) stream.template = { lines: out, data: emitted };
    }
    pushLines(parts, out);
  };
}

/** Edits that set a slot's text (and what spells it again: logprobs bytes and alternatives). */
function pushSlotEdits(edits: Edit[], slot: ContentSlot, text: string): void {
  edits.push({ start: slot.leaf.start, end: slot.leaf.end, text: leafText(slot.leaf, text) });
  const bytes = slot.dependents?.bytes;
  if (bytes !== undefined && (bytes.kind === 'array' || bytes.kind === 'string')) edits.push({ start: bytes.start, end: bytes.end, text: bytesJson(text) });
  const alternatives = slot.dependents?.alternatives;
  if (alternatives?.kind === 'array') edits.push({ start: alternatives.start, end: alternatives.end, text: '[]' });
}

/**
 * Maps a content stream offset to the input, through the fed piece that holds it; an offset
 * where two pieces meet belongs to the later one, or with `isEnd` to the earlier one (so a secret
 * that starts or ends at an event's content boundary is placed in the event that holds its bytes).
 */
function placeInPieces(pieces: readonly FedPiece[], offset: number, isEnd: boolean): InputPoint {
  let piece = pieces[0] as FedPiece;
  for (const candidate of pieces) {
    if (candidate !== pieces[0] && (isEnd ? candidate.start >= offset : candidate.start > offset)) break;
    piece = candidate;
  }
  const within = Math.max(0, offset - piece.start - piece.carried);
  const index = leafIndex(piece.data.text, piece.leaf, within);
  return { offset: dataOffset(piece.data, index), place: piece.data.place, path: pathOf(piece.leaf) };
}

/** The event's data as text with where its lines are, or null when it has no `data` line. */
function dataPlaceOf(place: EventPlace): DataPlace | null {
  const lineIndexes: number[] = [];
  const starts: number[] = [];
  const values: Uint8Array[] = [];
  place.event.lines.forEach((line, index) => {
    if (!isData(line)) return;
    if (values.length > 0) values.push(LF_BYTES);
    values.push(line.bytes.subarray(line.valueStart));
    lineIndexes.push(index);
    starts.push(line.valueStart);
  });
  if (lineIndexes.length === 0) return null;
  const bytes = values.length === 1 ? (values[0] as Uint8Array) : concat(values);
  return { place, lineIndexes, starts, text: utf8.decode(bytes) };
}

/**
 * `lines` with its data lines replaced by `json`, where the first was: one `data` line per line of
 * it (JSON whitespace may hold LFs; a string never does), the last ending as the data did.
 */
function replaceData(lines: readonly SseLine[], json: Uint8Array): SseLine[] {
  const out: SseLine[] = [];
  const dataLines = lines.filter(isData);
  const lastEnding = (dataLines[dataLines.length - 1] as SseLine).ending;
  let isPlaced = false;
  for (const line of lines) {
    if (isNotData(line)) out.push(line);
    else if (!isPlaced) {
      const pieces = splitLines(json);
      pieces.forEach((piece, i) => {
        out.push(withValue(line, piece, line.valueStart, i < pieces.length - 1 ? lineEnding(line) : lastEnding));
      });
      isPlaced = true;
    }
  }
  return out;
}

/** A line's ending, LF where it had none. */
function lineEnding(line: SseLine): SseLine['ending'] {
  return line.ending === '' ? '\n' : line.ending;
}
