/**
 * sseredact as a library: the same redaction as the CLI, in-process, for services and LLM
 * gateways. This module is the whole public API (package.json's `exports` map exposes nothing
 * else).
 *
 * @example
 * ```ts
 * import { compileRules, createRedactor } from 'sseredact';
 * const compiled = compileRules({ literals: [process.env.DEPLOY_TOKEN!] }); // compile once
 * upstream.pipe(createRedactor({ compiled })).pipe(response);            // one redactor per stream
 * ```
 *
 * Guarantees (as in the CLI): the output does not depend on how the input is chunked; clean bytes
 * are released as soon as no secret can still cover them; on an internal error the stream errors
 * and nothing unredacted is passed on. The runnable examples in `examples/` show an SSE proxy and
 * a child process's output.
 */
import type { Transform } from 'node:stream';
import { defaultCacheDirectory, seedCache } from './cache.js';
import { selectEngine } from './engine/select.js';
import { SseredactError } from './errors.js';
import { fingerprint } from './fingerprint.js';
import { type StreamOpener, type StreamOptions, createStreamOpener } from './pipeline/open-stream.js';
import { type BodyOptions, createBodyOpener } from './proxy/body-mode.js';
import { createBodyStream, createBodyTransform } from './proxy/body-stream.js';
import { type ProxyHandler, type ProxyRequestLog, createProxyHandler as createNodeProxyHandler } from './proxy/handler.js';
import { redactWebResponse } from './proxy/response.js';
import { useInFlightCache } from './redact/in-flight.js';
import { chooseRuleSpecs } from './rules/choose.js';
import { DEFAULT_MAX_MATCH } from './rules/compile.js';
import { ruleIdentities } from './rules/keyword-groups.js';
import { maskEnvRules } from './rules/load/literals.js';
import { type RuleSet, compileRuleSet } from './rules/ruleset.js';
import type { LocatedFinding, RuleSpec } from './types.js';

export type { ErrorType } from './errors.js';
export type { BodyMode } from './proxy/body-mode.js';
export type { ProxyHandler, ProxyRequestLog } from './proxy/handler.js';
export type { RulePredicates, RuleSpec } from './types.js';
export { SseredactError };

/** Which rules to compile (the CLI's `--no-builtin`, `--pattern`, `--literal`, `--max-match`). */
export interface RuleOptions {
  /** Load the built-in packs (default true). */
  readonly builtin?: boolean;
  /** Which built-in packs: `secrets` (the default) and/or `pii` (emails, cards, IBANs, SSNs, phones, IPs). */
  readonly packs?: ReadonlyArray<'secrets' | 'pii'>;
  /** Rule ids to leave out; an unknown id is an error. */
  readonly disable?: readonly string[];
  /** Extra rules given as data, regexes in RE2 syntax (see {@link RuleSpec}). */
  readonly rules?: readonly RuleSpec[];
  /** Extra regexes, RE2 syntax, as rules named `pattern-1`, `pattern-2`, ... */
  readonly patterns?: readonly string[];
  /** Literal secrets, as one rule named `literal` that also matches their JSON-escaped, URL-encoded and base64 forms. */
  readonly literals?: readonly string[];
  /** Names or globs (`NPM_TOKEN`, `*_SECRET`) of environment variables whose values are literal secrets, as the CLI's `--mask-env`. */
  readonly maskEnv?: readonly string[];
  /** The widest match any rule may have, in bytes (default 4096): unbounded repeats are capped to it. */
  readonly maxMatch?: number;
  /** The matching engine, as the CLI's `--engine`: `ts` (default here: no native code), `vectorscan`, or `auto`. */
  readonly engine?: 'auto' | 'ts' | 'vectorscan';
}

/**
 * A compiled rule set, from {@link compileRules}: immutable, so compile once and pass it as
 * `compiled` to any number of redactors, concurrent or not; each redactor keeps its own stream
 * state.
 */
export interface CompiledRules {
  /** The ids of the compiled rules, in rule-set order (built-in pack first, then yours). */
  readonly ruleIds: readonly string[];
  /** @internal The rules and the engine database. Not part of the API: it changes without notice. */
  readonly ruleSet: RuleSet;
}

/**
 * A finding as the library reports it: the same fields as the CLI's `--json` records. The secret
 * itself only with `showSecret`.
 */
export interface Finding {
  /** The id of the rule that found it (`aws-access-key-id`, `pattern-1`, `literal-1`, ...). */
  readonly rule: string;
  /** Byte offset of the secret's first byte from the start of the stream. */
  readonly start: number;
  /** Byte offset just past the secret (half-open: `end - start` is its length in bytes). */
  readonly end: number;
  /** 1-based line of the secret's start. */
  readonly line: number;
  /** 1-based byte column of the secret's start. */
  readonly column: number;
  /**
   * `hmac-sha256:` and the hex HMAC-SHA256 of the secret's bytes, keyed by the redactor's `hashKey`
   * when given, else as the CLI's records are: `SSEREDACT_HASH_KEY`, else a per-user random key kept in `$XDG_CONFIG_HOME/sseredact/fingerprint.key`
   * (created 0600 on first use). Equal secrets have equal fingerprints for one user; without the
   * key, a guess at a low-entropy secret cannot be checked against one.
   */
  readonly fingerprint: string;
  /** The secret, decoded as latin1 (one character per byte); present only with `showSecret`. */
  readonly secret?: string;
  /**
   * With `sseJson` (not `strictHold`): how many of the secret's first bytes had left in an earlier
   * event before the rest made it a secret (an anchor's literal prefix, or at most 12 bytes of a
   * long key's head); absent when none had.
   */
  readonly released?: number;
}

/**
 * Options of a redactor: which rules (or a compiled set), how to replace what they find, and the
 * stream's shape; each means what the CLI's flag of the same name means, and gives the same bytes.
 */
export interface RedactorOptions extends RuleOptions {
  /** Rules compiled by {@link compileRules}; the other rule options are then ignored. */
  readonly compiled?: CompiledRules;
  /**
   * The replacement (the CLI's `--replace`): a template with `{rule}`, `{len}`, `{hash}`, or `*`
   * (mask, same length) / `*N` (mask, keep the last N bytes). Default: the rule's own where it
   * has one (the PII pack's `[EMAIL:{hash}]`), else `[REDACTED:{rule}]`.
   */
  readonly replace?: string;
  /**
   * Key for `{hash}` and for the findings' fingerprints (the CLI reads `SSEREDACT_HASH_KEY` for
   * both); absent: `{hash}` is keyed at random per redactor, fingerprints by the per-user key.
   */
  readonly hashKey?: string;
  /**
   * Server-Sent Events (the CLI's `--sse`): `off` (default) redacts plain bytes; `on` parses
   * events and redacts each one, re-emitted at once; `auto` decides from the first bytes.
   */
  readonly sse?: 'off' | 'on' | 'auto';
  /**
   * SSE with JSON deltas (the CLI's `--sse-json`): a preset (`openai`, `anthropic`) or a JSON path
   * whose strings form one content stream across events, so a secret split over events is found.
   */
  readonly sseJson?: string;
  /**
   * With `sseJson`: hold content at an event's end whenever a secret could still cover it (the
   * CLI's `--strict-hold`). Default false: an anchor's literal prefix (`sk-ant-`) or a word of at
   * most 12 bytes that could begin a long key's head leaves in its own event; if a secret follows,
   * the replacement covers the rest and the finding's `released` counts what had left.
   */
  readonly strictHold?: boolean;
  /** Include the secret in findings (default false: they are secrets). */
  readonly showSecret?: boolean;
}

/**
 * Compiles rules once, for any number of redactors. Takes the time the rules need to compile
 * (the built-in pack: a few milliseconds); the result is immutable and shareable.
 *
 * @throws {@link SseredactError} with `type` 'rule' naming a rule that does not compile, or
 * 'usage' when the options select no rule at all.
 */
export function compileRules(options: RuleOptions = {}): CompiledRules {
  seedCache(defaultCacheDirectory());
  const specs = chooseRuleSpecs({
    packs: options.builtin === false ? [] : (options.packs ?? ['secrets']),
    rules: [...(options.rules ?? []), ...(options.maskEnv ? maskEnvRules(options.maskEnv, process.env) : [])],
    patterns: options.patterns ?? [],
    literals: options.literals ?? [],
    disable: options.disable ?? [],
    source: 'api',
  });
  // The CLI's cache: analyses and programs it cached serve here; a miss compiles each program on
  // first use (no builder process: a library starts none in its host).
  const ruleSet = compileRuleSet(specs, { engine: selectEngine(options.engine ?? 'ts'), maxMatch: options.maxMatch ?? DEFAULT_MAX_MATCH, cacheDirectory: defaultCacheDirectory() });
  useInFlightCache(ruleSet.rules, { cacheDirectory: defaultCacheDirectory() });
  return { ruleIds: ruleIdentities(ruleSet.rules).map((rule) => rule.id), ruleSet };
}

/** The stream opener (src/pipeline/) of a library redactor's options: the CLI's own. */
function openerOf(options: RedactorOptions): StreamOpener {
  const compiled = options.compiled ?? compileRules(options);
  const streamOptions: StreamOptions = {
    ...(options.replace === undefined ? {} : { replace: options.replace }),
    ...(options.hashKey === undefined ? {} : { hashKey: options.hashKey }),
    ...(options.sse === undefined ? {} : { sse: options.sse }),
    ...(options.sseJson === undefined ? {} : { sseJson: options.sseJson }),
    ...(options.strictHold === true ? { strictHold: true } : {}),
  };
  return createStreamOpener(compiled.ruleSet, streamOptions);
}

function publicFinding(finding: LocatedFinding, options: RedactorOptions): Finding {
  const base = {
    rule: finding.ruleId,
    start: finding.secret.start,
    end: finding.secret.end,
    line: finding.line,
    column: finding.column,
    fingerprint: fingerprint(finding.secretBytes, options.hashKey),
    ...(finding.released === undefined ? {} : { released: finding.released }),
  };
  return options.showSecret === true ? { ...base, secret: Buffer.from(finding.secretBytes).toString('latin1') } : base;
}

/**
 * A redacting Node Transform, from {@link createRedactor}. Besides a Transform's own events it
 * emits `finding` (one {@link Finding} per finding, in stream order, just before the bytes that
 * replace it are pushed), and `error` when redaction fails, after which nothing more is pushed.
 */
export interface Redactor extends Transform {
  on(event: 'finding', listener: (finding: Finding) => void): this;
  // Node's own signature for every other event, so that `on('data', ...)` keeps its types.
  // biome-ignore lint/suspicious/noExplicitAny: Node's own listener type, which `any[]` spells
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'finding', listener: (finding: Finding) => void): this;
  // biome-ignore lint/suspicious/noExplicitAny: Node's own listener type, which `any[]` spells
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  /**
   * The same redactor as a WHATWG TransformStream (its `finding` events still fire on this
   * object). Use one side or the other, not both.
   */
  toWeb(): TransformStream<Uint8Array, Uint8Array>;
}

/**
 * A Node Transform that redacts the bytes written to it: one per stream (one file, response,
 * connection). Strings written to it are encoded as UTF-8; chunks may be cut anywhere, the output
 * is the same.
 *
 * Memory: it holds back only the bytes a secret could still cover, at most about the chunk size
 * plus the widest rule (`maxMatch`). At end of stream it flushes everything, redacted.
 *
 * Errors: throws {@link SseredactError} at once if the rules or the `replace` template are bad.
 * A failure while redacting makes the stream emit `error`; the chunk being processed and
 * everything held back are dropped, never passed on unredacted.
 *
 * @example
 * ```ts
 * const redactor = createRedactor({ compiled });
 * redactor.on('finding', (finding) => console.error(`${finding.rule} at line ${finding.line}`));
 * await pipeline(child.stdout, redactor, process.stdout);
 * ```
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  let transform: Transform;
  const redactor = openerOf(options)({
    locate: true,
    onFinding: (finding) => transform.emit('finding', publicFinding(finding, options)),
  });
  transform = createBodyTransform(redactor, { in: 0, out: 0 });
  // A real WHATWG TransformStream over the same stream redactor (not Duplex.toWeb's pair of
  // streams): a throw in transform or flush errors both of its sides, so nothing more is enqueued.
  const toWeb = (): TransformStream<Uint8Array, Uint8Array> => createBodyStream(redactor);
  return Object.assign(transform, { toWeb }) as Redactor;
}

/**
 * A WHATWG TransformStream that redacts, for fetch bodies and `Response` streams: the same as
 * `createRedactor(options).toWeb()`, for when the `finding` events are not needed.
 *
 * @example
 * ```ts
 * const upstream = await fetch(url);
 * return new Response(upstream.body!.pipeThrough(createRedactorStream({ compiled })), upstream);
 * ```
 */
export function createRedactorStream(options: RedactorOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  return createRedactor(options).toWeb();
}

/**
 * Redacts a whole input at once (strings as UTF-8); returns the redacted bytes and the findings.
 * Same output as a redactor fed the same bytes in any chunks. Throws {@link SseredactError} on bad
 * rules or template.
 */
export function redact(input: string | Uint8Array, options: RedactorOptions = {}): { output: Buffer; findings: Finding[] } {
  const findings: Finding[] = [];
  const redactor = openerOf(options)({
    locate: true,
    onFinding: (finding) => findings.push(publicFinding(finding, options)),
  });
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const output = Buffer.concat([redactor.write(bytes), redactor.end()]);
  return { output, findings };
}

/** Finds the secrets in a whole input (strings as UTF-8); the findings of {@link redact}. */
export function scan(input: string | Uint8Array, options: RedactorOptions = {}): Finding[] {
  return redact(input, options).findings;
}

/**
 * Options of {@link redactResponse}: the rules and replacement of a redactor (the CLI's flags of
 * `sseredact proxy`), and which bodies to redact.
 */
export interface RedactResponseOptions extends Omit<RedactorOptions, 'sse' | 'showSecret'> {
  /**
   * Redact bodies of every media type (as bytes), the CLI's `--redact-all`. Default: only
   * `text/event-stream` (per event, or with `sseJson` across events), JSON and `text/*`.
   */
  readonly redactAll?: boolean;
}

/** Options of {@link createProxyHandler}. */
export interface ProxyHandlerOptions extends RedactResponseOptions {
  /** Where requests go: an http:// or https:// URL; its path is prefixed to each request's path. */
  readonly upstream: string | URL;
  /** Redact request bodies (by their media type) before they go upstream, the CLI's `--redact-requests`. */
  readonly redactRequests?: boolean;
  /** Told about each request once it is over: the CLI's log line, as data (never a secret). */
  readonly onRequest?: (log: ProxyRequestLog) => void;
}

/** The body options of a response-redacting call: compiled rules, checked options. */
function bodyOptionsOf(options: RedactResponseOptions): BodyOptions {
  return {
    ...(options.replace === undefined ? {} : { replace: options.replace }),
    ...(options.hashKey === undefined ? {} : { hashKey: options.hashKey }),
    ...(options.sseJson === undefined ? {} : { sseJson: options.sseJson }),
    ...(options.strictHold === true ? { strictHold: true } : {}),
    ...(options.redactAll === undefined ? {} : { redactAll: options.redactAll }),
  };
}

/**
 * A new WHATWG `Response` whose body is `response`'s, redacted as it streams, as `sseredact proxy`
 * redacts it: by media type, `text/event-stream` per event (with `sseJson`, a preset such as
 * `openai` or `anthropic`: across events, so a secret split over deltas is found), JSON as bytes
 * plus its strings written with escapes decoded (up to 1 MiB), `text/*` as bytes; other types are
 * returned untouched unless `redactAll`. Status and headers are
 * kept but `Content-Length` and `Content-Encoding` (the body must be decoded, as `fetch()` gives
 * it). Each event is released as soon as it is safe; a reader that cancels cancels `response`'s
 * body.
 *
 * Memory: a holdback of about a chunk plus the widest rule. Errors: throws {@link SseredactError}
 * at once for bad rules or options; a failure while redacting errors the body stream, and nothing
 * unredacted is passed on.
 *
 * @example
 * ```ts
 * const compiled = compileRules({ maskEnv: ['OPENAI_API_KEY'] }); // once
 * export default { fetch: async (request) => redactResponse(await fetch(toUpstream(request)), { compiled, sseJson: 'openai' }) };
 * ```
 */
export function redactResponse(response: Response, options: RedactResponseOptions = {}): Response {
  const compiled = options.compiled ?? compileRules(options);
  return redactWebResponse(response, createBodyOpener(compiled.ruleSet, bodyOptionsOf(options)), options.redactAll ?? false);
}

/**
 * A Node request handler that is `sseredact proxy`: it forwards each request to `upstream`
 * (hop-by-hop headers dropped, `Host` rewritten, the body asked for uncompressed) and streams the
 * response back redacted as {@link redactResponse} does, with the proxy's manners: a slow client
 * slows the upstream read, a client that goes away aborts the upstream request, statuses pass
 * through (502 when the upstream cannot be reached), upstream connections are kept alive. One
 * compiled rule set serves every request. Call `handler.close()` when the server is closed.
 *
 * @throws {@link SseredactError} at once for bad rules, options or `upstream`.
 *
 * @example
 * ```ts
 * const handler = createProxyHandler({ upstream: 'https://api.openai.com', sseJson: 'openai', maskEnv: ['OPENAI_API_KEY'] });
 * http.createServer(handler).listen(8080, '127.0.0.1');
 * ```
 */
export function createProxyHandler(options: ProxyHandlerOptions): ProxyHandler {
  const upstream = new URL(options.upstream);
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new SseredactError('usage', `upstream: '${upstream.href}' is not an http:// or https:// URL`);
  const compiled = options.compiled ?? compileRules(options);
  return createNodeProxyHandler(compiled.ruleSet, {
    ...bodyOptionsOf(options),
    upstream,
    ...(options.redactRequests === undefined ? {} : { redactRequests: options.redactRequests }),
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
  });
}
