/**
 * How a body is redacted, chosen by its media type, and the stream openers (src/pipeline/) of
 * each way: built once per proxy (or library call) over one compiled rule set, so every
 * concurrent body shares the rules and has its own redactor state.
 *
 * - `text/event-stream`: SSE, with the `--sse-json` preset or path when one is given (passed
 *   through as it is, so every preset the pipeline knows works here), else per event.
 * - JSON (`application/json`, `*+json`): as bytes, and up to 1 MiB also as a JSON document whose
 *   strings written with escapes are scanned decoded (`\u0061`, `\/`: ./json-body.ts).
 * - `text/*` and line-delimited JSON (NDJSON, JSON Lines): the bytes as they come, as the CLI
 *   redacts a file (an NDJSON line's escapes are not undone; literal rules also match the
 *   JSON-escaped form of their secret).
 * - anything else: untouched, unless `redactAll` (then as bytes).
 */
import { type StreamOpener, type StreamOptions, createStreamOpener } from '../pipeline/open-stream.js';
import type { RuleSet } from '../rules/ruleset.js';
import { mediaTypeOf } from './headers.js';
import { createJsonBodyRedactor } from './json-body.js';

/** How one body goes through: the log names it. */
export type BodyMode = 'sse' | 'json' | 'text' | 'bytes' | 'untouched';

/** What every body of a proxy shares: how to replace, and the SSE preset. */
export interface BodyOptions {
  /** `--replace` (see StreamOptions). */
  readonly replace?: string;
  /** Key of `{hash}`. */
  readonly hashKey?: string;
  /** `--sse-json`: a preset or JSON path for event streams; absent: per-event SSE redaction. */
  readonly sseJson?: string;
  /** `--strict-hold` (with `sseJson`): content never leaves an event's end while a secret could cover it (see StreamOptions). */
  readonly strictHold?: boolean;
  /** `--redact-all`: bodies of any other media type are redacted as bytes, not left untouched. */
  readonly redactAll?: boolean;
}

/** The mode of a body with this `Content-Type`. */
export function bodyModeOf(contentType: string | readonly string[] | undefined, redactAll: boolean): BodyMode {
  const type = mediaTypeOf(contentType);
  if (type === 'text/event-stream') return 'sse';
  if (/^application\/([\w.+-]+\+)?json$/.test(type)) return 'json';
  if (type.startsWith('text/') || /^application\/(x-ndjson|ndjson|jsonl|x-jsonlines)$/.test(type)) return 'text';
  return redactAll ? 'bytes' : 'untouched';
}

/** Opens the redactor of one body of a given mode (never `untouched`). */
export type BodyOpener = (mode: Exclude<BodyMode, 'untouched'>) => StreamOpener;

/**
 * The openers of a proxy's bodies over `ruleSet`, checked at once.
 * @throws SseredactError('usage') for a bad `replace` template or `sseJson` path.
 */
export function createBodyOpener(ruleSet: RuleSet, options: BodyOptions): BodyOpener {
  const shared: StreamOptions = {
    ...(options.replace === undefined ? {} : { replace: options.replace }),
    ...(options.hashKey === undefined ? {} : { hashKey: options.hashKey }),
  };
  const sse = createStreamOpener(
    ruleSet,
    options.sseJson === undefined ? { ...shared, sse: 'on' } : { ...shared, sseJson: options.sseJson, ...(options.strictHold === true ? { strictHold: true } : {}) },
  );
  const plain = createStreamOpener(ruleSet, shared);
  const json: StreamOpener = (request) => createJsonBodyRedactor(() => plain(request));
  return (mode) => (mode === 'sse' ? sse : mode === 'json' ? json : plain);
}

/** Prose and an SSE event with a JSON text delta, ending mid-token, and no secret: what warms the holdback analysis. */
const WARM_UP_SAMPLE = Buffer.from('The quick brown fox, jumps: over 12 "lazy" dogs; see a.b/c?d=e&f#g\ndata: {"type":"text_delta","text":"Hi, \\u0041\\n"}\n\nZq8Lr2');

/**
 * Redacts a small sample in every mode and drops the output. The rule set's holdback analysis
 * (src/redact/in-flight.ts) and its first automaton states are built on first use, which takes
 * hundreds of milliseconds on the built-in pack: a long-running proxy pays that at start-up rather
 * than holding its first response's first events while it builds.
 */
export function warmUp(openBody: BodyOpener): void {
  for (const mode of ['sse', 'json', 'text'] as const) {
    const redactor = openBody(mode)({ locate: false });
    redactor.write(WARM_UP_SAMPLE);
    redactor.end();
  }
}
