/**
 * The one place that opens a stream redactor from options: the CLI, the library (`createRedactor`,
 * `redact`), and every later way in (sockets, the proxy) call {@link createStreamOpener}, so two
 * ways in cannot give two outputs for the same bytes and options.
 *
 * An opener is built once per run (or per library redactor) from a compiled rule set and the
 * options, which it checks at once (a bad template or content path is a usage error before any
 * input is read); then it opens any number of streams, each with its own redactor state and its
 * own finding handler.
 *
 * @example
 * ```ts
 * const openStream = createStreamOpener(ruleSet, { sseJson: 'openai' });
 * const redactor = openStream({ onFinding: (finding) => records.push(finding) });
 * out.write(redactor.write(chunk)); // for each chunk, in order
 * out.write(redactor.end());
 * ```
 */
import { type RedactOptions, type StreamRedactor, createRedactorPool } from '../redact/redactor.js';
import { DEFAULT_TEMPLATE, parseReplacement } from '../redact/replace.js';
import { withGithubMaskRules } from '../rules/github-masks.js';
import type { RuleSet } from '../rules/ruleset.js';
import { createAutoRedactor } from '../sse/detect.js';
import { compileContentPath } from '../sse/json-path.js';
import { type ByteRedactor, type SseFindingContext, createSseRedactor } from '../sse/redact.js';
import type { Finding, LocatedFinding } from '../types.js';

export type { ByteRedactor, SseFindingContext } from '../sse/redact.js';

/** How every stream of a run is redacted: the CLI's flags, the library's options. */
export interface StreamOptions {
  /**
   * `--replace`: a template with `{rule}`, `{len}`, `{hash}`, or `*` / `*N` to mask. Absent: each
   * rule's own replacement where it has one (the PII pack's `[EMAIL:{hash}]`), else
   * `[REDACTED:{rule}]`.
   */
  readonly replace?: string;
  /** Key of `{hash}` (the CLI's SSEREDACT_HASH_KEY); random per opener when absent. */
  readonly hashKey?: string;
  /** `--sse`: off (plain bytes, the default), on (per event), auto (detected from the first bytes). */
  readonly sse?: 'off' | 'on' | 'auto';
  /** `--sse-json`: a preset or a JSON path whose strings form content streams across events; implies SSE. */
  readonly sseJson?: string;
  /**
   * `--strict-hold`: with `sseJson`, content waits for the next event whenever a secret could
   * still cover it, even where it is only an anchor's literal bytes or a word that could begin a
   * long secret's head (StreamRedactor.release). Off by default: such text leaves in its own event.
   */
  readonly strictHold?: boolean;
  /**
   * `--github-masks`: GitHub Actions' `::add-mask::VALUE` lines are redacted and VALUE is a secret
   * for the rest of their stream (rules/github-masks.ts). Plain (text) streams only: an event
   * stream is redacted per event, and a job log is no event stream.
   */
  readonly githubMasks?: boolean;
  /** Told which mode a stream was given and which preset `--sse-json auto` chose (`--verbose`). */
  readonly log?: (message: string) => void;
  /** Warnings a user must see: a content path that found nothing in a stream of JSON events. */
  readonly onWarning?: (message: string) => void;
}

/**
 * What one stream reports. With `locate` (the default) each finding carries its line and column
 * in the input, and in SSE modes also where it is in the event stream (`context`: the event, its
 * offset, the field or JSON path); a caller that only counts findings turns `locate` off, sparing
 * the redactor the line count (SSE findings then have offsets in the unit that was scanned).
 */
export type StreamFindings =
  | { readonly locate?: true; readonly onFinding?: (finding: LocatedFinding, context?: SseFindingContext) => void }
  | { readonly locate: false; readonly onFinding?: (finding: Finding) => void };

/**
 * A stream to open: its name (for `--verbose`), what it reports, and whether a plain (non-SSE)
 * redactor may lend its outputs (RedactOptions.lendsOutput).
 */
export type StreamRequest = StreamFindings & { readonly name?: string; readonly lendsOutput?: boolean };

/** A stream's redactor; plain (non-SSE) ones also say where the stream may be cut (checkpoints). */
export type OpenedRedactor = ByteRedactor & Partial<Pick<StreamRedactor, 'isAtCleanPoint'>>;

/** Opens the redactor of one stream; each call is a new stream at offset 0. */
export type StreamOpener = (request?: StreamRequest) => OpenedRedactor;

/** The replacement of every region and, unless `replace` is given, each rule's own. */
function replacementsOf(ruleSet: RuleSet, options: StreamOptions): Pick<RedactOptions, 'replacement' | 'ruleReplacements'> {
  if (options.replace !== undefined) return { replacement: parseReplacement(options.replace, options.hashKey) };
  const ruleReplacements = ruleSet.rules.map(({ spec }) =>
    'replacement' in spec && spec.replacement !== undefined ? parseReplacement(spec.replacement, options.hashKey) : undefined,
  );
  const replacement = parseReplacement(DEFAULT_TEMPLATE, options.hashKey);
  return ruleReplacements.some((own) => own !== undefined) ? { replacement, ruleReplacements } : { replacement };
}

/**
 * Checks what of `options` needs no rules, so that a usage error comes before rules compile.
 * @throws SseredactError('usage') for a bad `replace` template or `sseJson` path.
 */
export function checkStreamOptions(options: StreamOptions): void {
  if (options.replace !== undefined) parseReplacement(options.replace, options.hashKey);
  if (options.sseJson !== undefined) compileContentPath(options.sseJson);
}

/**
 * Checks `options` and returns the opener of streams over `ruleSet`.
 * @throws SseredactError('usage') for a bad `replace` template or `sseJson` path.
 */
export function createStreamOpener(ruleSet: RuleSet, options: StreamOptions = {}): StreamOpener {
  checkStreamOptions(options);
  const replacements = replacementsOf(ruleSet, options);
  const log = options.log ?? (() => {});
  const textRuleSet = options.githubMasks ? withGithubMaskRules(ruleSet, options.onWarning ? { onWarning: options.onWarning } : {}) : ruleSet;
  return (request = {}) => {
    const name = request.name ?? 'stream';
    // SSE keeps its units' outputs as parts of events: they are copies.
    const openRedactor = createRedactorPool(ruleSet, { ...replacements, ...request, lendsOutput: false } as RedactOptions);
    const openText = createRedactorPool(textRuleSet, { ...replacements, ...request } as RedactOptions);
    const openSse = (contentPath?: string): ByteRedactor =>
      createSseRedactor({
        openRedactor,
        ...(contentPath === undefined ? {} : { contentPath }),
        ...(options.strictHold === true ? { strictHold: true } : {}),
        // Located findings are placed in the input by the SSE layer, which knows the events.
        ...(request.locate !== false && request.onFinding ? { onFinding: request.onFinding } : {}),
        log: (message) => log(`${name}: ${message}`),
        ...(options.onWarning ? { onWarning: (message: string) => options.onWarning?.(`${name}: ${message}`) } : {}),
      });
    if (options.sseJson !== undefined) return openSse(options.sseJson);
    if (options.sse === 'on') return openSse();
    if (options.sse !== 'auto') return openText();
    return createAutoRedactor({
      text: () => {
        log(`${name}: not an event stream, plain redaction`);
        return openText();
      },
      sse: () => {
        log(`${name}: event stream detected, SSE mode`);
        return openSse();
      },
    });
  };
}
