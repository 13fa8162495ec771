/**
 * The proxy's Node request handler: forwards each request to the upstream (method, path under the
 * upstream's base path, end-to-end headers, the body streamed) and streams the response back, its
 * body redacted by its media type (./body-mode.ts) through the pipeline like any other stream.
 *
 * Streaming manners:
 * - the status and headers go to the client as soon as the upstream sends them, and each chunk's
 *   safe bytes (each SSE event) the moment the redactor releases them;
 * - a slow client slows the upstream read (stream pipes, bounded buffers on each side);
 * - a client that goes away before its response is done aborts the upstream request;
 * - upstream statuses and bodies pass through; an upstream that cannot be reached gives 502, one
 *   that fails mid-body cuts the client's response off (as it was cut off);
 * - upstream connections are kept alive and reused (one agent per handler);
 * - fail closed: if redaction fails the response is cut off, nothing unredacted is sent.
 *
 * Memory per open exchange: the stream buffers (16 KiB a side by default) and the body redactor's
 * holdback (about a chunk plus the widest rule).
 */
import { type ClientRequest, Agent as HttpAgent, type IncomingMessage, type ServerResponse, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { RuleSet } from '../rules/ruleset.js';
import type { Finding } from '../types.js';
import { type BodyMode, type BodyOptions, bodyModeOf, createBodyOpener, warmUp } from './body-mode.js';
import { type ByteCount, createBodyTransform } from './body-stream.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';

/**
 * What happened to one request: the proxy's log line. Never holds a secret: the path is redacted
 * and has no query string; findings are counted per rule.
 */
export interface ProxyRequestLog {
  readonly method: string;
  /** The request's path without its query string, redacted. */
  readonly path: string;
  /** The status sent to the client; 0 when the client went away before there was one. */
  readonly status: number;
  /** How the response body was redacted. */
  readonly mode: BodyMode;
  /** Response body bytes from the upstream (decoded) and to the client. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Findings per rule id, in the request body (`redactRequests`) and the response body. */
  readonly findings: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /**
   * `ok`: the response was sent whole; `aborted`: the client went away first; `upstream-error`:
   * the upstream could not be reached or failed mid-body; `failed`: redaction failed, the
   * response was cut off.
   */
  readonly outcome: 'ok' | 'aborted' | 'upstream-error' | 'failed';
}

/** Options of {@link createProxyHandler}: the CLI's flags. */
export interface ProxyOptions extends BodyOptions {
  /** Where requests go: an http or https URL; its path is the base of every request's path. */
  readonly upstream: URL;
  /** `--redact-requests`: redact request bodies (by their media type) before they leave. */
  readonly redactRequests?: boolean;
  /** Told about each request once it is over. */
  readonly onRequest?: (log: ProxyRequestLog) => void;
}

/** A Node request handler (`http.createServer(handler)`) that proxies and redacts. */
export interface ProxyHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  /** Closes the kept-alive upstream connections (call when the server is closed). */
  close(): void;
}

/**
 * Frees an idle upstream connection at half the keep-alive timeout its upstream announced
 * (`Keep-Alive: timeout=N`, noted per connection by `noteKeepAlive`). A request sent on a
 * connection the upstream has just closed fails (ECONNRESET, EPIPE), and one with a body cannot be
 * sent again; Node 20's agent does not apply the announced timeout here (its connection's response
 * is gone when it frees it), so an idle connection stayed until the upstream's close arrived, and
 * under load a request went out on it first (two of 200 concurrent requests got 502 in
 * test/proxy/proxy.e2e.test.ts). A mitigation, not a cure: a body is never replayed, and an
 * upstream that announces nothing keeps Node's behaviour.
 */
function withEarlyIdleClose<T extends HttpAgent>(agent: T): { agent: T; noteKeepAlive: (response: IncomingMessage) => void } {
  const idleLimits = new WeakMap<Socket, number>();
  const keepSocketAlive = agent.keepSocketAlive.bind(agent) as (socket: Socket) => boolean;
  Object.assign(agent, {
    keepSocketAlive: (socket: Socket): boolean => {
      const isKept = keepSocketAlive(socket);
      const limit = idleLimits.get(socket);
      if (isKept && limit !== undefined) socket.setTimeout(limit);
      return isKept;
    },
  });
  const noteKeepAlive = (response: IncomingMessage): void => {
    const seconds = Number(/\btimeout=(\d+)/.exec(String(response.headers['keep-alive'] ?? ''))?.[1]);
    if (seconds > 0) idleLimits.set(response.socket, Math.max(1, (seconds * 1000) / 2));
  };
  return { agent, noteKeepAlive };
}

/** The decoder of a `Content-Encoding`; null for none; 'unsupported' for one that cannot be undone. */
function decoderOf(encoding: string | undefined): Transform | null | 'unsupported' {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return null;
  if (name === 'gzip' || name === 'x-gzip') return createGunzip();
  if (name === 'deflate') return createInflate();
  if (name === 'br') return createBrotliDecompress();
  return 'unsupported';
}

function replyWithError(response: ServerResponse, status: number, message: string): void {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  response.end(`sseredact proxy: ${message}\n`);
}

/** The path and query of a request target, also when a client sent it in absolute form. */
function originFormOf(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return url.pathname + url.search;
  } catch {
    return `/${target}`;
  }
}

/** Statuses and methods whose responses have no body. */
function hasBody(method: string | undefined, status: number): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 304 && status >= 200;
}

/**
 * The handler of a proxy to `options.upstream` over `ruleSet` (shared by every request).
 * @throws SseredactError('usage') for a bad `replace` template or `sseJson` path.
 */
export function createProxyHandler(ruleSet: RuleSet, options: ProxyOptions): ProxyHandler {
  const openBody = createBodyOpener(ruleSet, options);
  warmUp(openBody);
  const redactAll = options.redactAll ?? false;
  const isHttps = options.upstream.protocol === 'https:';
  const { agent, noteKeepAlive } = withEarlyIdleClose(isHttps ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true }));
  const send = isHttps ? httpsRequest : httpRequest;
  const basePath = options.upstream.pathname.replace(/\/$/, '');
  const pathRedactor = openBody('text');

  /** The path for the log: no query string (keys travel there), and redacted. */
  const loggedPath = (url: string): string => {
    const redactor = pathRedactor({ locate: false });
    const path = Buffer.from(url.split('?')[0] ?? '', 'latin1');
    return Buffer.concat([redactor.write(path), redactor.end()]).toString('latin1');
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const started = performance.now();
    const findings: Record<string, number> = {};
    const onFinding = (finding: Finding): void => {
      findings[finding.ruleId] = (findings[finding.ruleId] ?? 0) + 1;
    };
    const openRedactor = (mode: BodyMode, name: string) => (mode === 'untouched' ? null : openBody(mode)({ name, locate: false, onFinding }));
    const count: ByteCount = { in: 0, out: 0 };
    let mode: BodyMode = 'untouched';
    let outcome: ProxyRequestLog['outcome'] | null = null;
    let outgoing: ClientRequest | null = null;

    // 'close' comes once the response is done or the client has gone: log then.
    response.on('close', () => {
      if (!response.writableFinished) outgoing?.destroy();
      options.onRequest?.({
        method: request.method ?? '',
        path: loggedPath(request.url ?? '/'),
        status: response.headersSent ? response.statusCode : 0,
        mode,
        bytesIn: count.in,
        bytesOut: count.out,
        findings,
        durationMs: performance.now() - started,
        outcome: outcome ?? (response.writableFinished ? 'ok' : 'aborted'),
      });
    });

    const requestMode = options.redactRequests ? bodyModeOf(request.headers['content-type'], redactAll) : 'untouched';
    if (requestMode !== 'untouched' && decoderOf(request.headers['content-encoding']) !== null) {
      // A compressed request body would be scanned compressed: refuse rather than pass it unread.
      outcome = 'failed';
      replyWithError(response, 415, 'cannot redact a compressed request body (--redact-requests)');
      return;
    }
    const hasRequestBody = request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] ?? '0') !== '0';
    const forward = (isRetry: boolean): ClientRequest => {
      const upstreamRequest = send({
        protocol: options.upstream.protocol,
        hostname: options.upstream.hostname.replace(/^\[|\]$/g, ''),
        port: options.upstream.port,
        method: request.method,
        path: basePath + originFormOf(request.url ?? '/'),
        headers: upstreamRequestHeaders(request.headersDistinct, options.upstream, requestMode !== 'untouched'),
        agent,
      });
      outgoing = upstreamRequest;
      upstreamRequest.on('error', (error: NodeJS.ErrnoException) => {
        if (response.destroyed || response.writableEnded) return;
        // A kept-alive connection the upstream closed as we reused it: send a bodiless request
        // again, once, on a fresh connection (a body already streamed cannot be sent again).
        if (upstreamRequest.reusedSocket && !isRetry && !hasRequestBody && !response.headersSent && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
          forward(true).on('response', onResponse);
          return;
        }
        outcome ??= 'upstream-error';
        replyWithError(response, 502, `upstream unreachable: ${error.code ?? error.message}`);
      });
      if (!hasRequestBody) {
        upstreamRequest.end();
        return upstreamRequest;
      }
      const requestBody = createBodyTransform(openRedactor(requestMode, 'request'), { in: 0, out: 0 });
      requestBody.on('error', () => {
        // Fail closed: the upstream gets a cut-off body (the request is destroyed), the client a 500.
        outcome = 'failed';
        replyWithError(response, 500, 'request redaction failed');
      });
      // Errors of this pipe end up on the response: the handlers above and below report them.
      pipeline(request, requestBody, upstreamRequest).catch(() => {});
      return upstreamRequest;
    };

    const onResponse = (upstreamResponse: IncomingMessage): void => {
      noteKeepAlive(upstreamResponse);
      const status = upstreamResponse.statusCode ?? 502;
      mode = hasBody(request.method, status) ? bodyModeOf(upstreamResponse.headers['content-type'], redactAll) : 'untouched';
      const decoder = mode === 'untouched' ? null : decoderOf(upstreamResponse.headers['content-encoding']);
      if (decoder === 'unsupported') {
        outcome = 'failed';
        upstreamResponse.destroy();
        replyWithError(response, 502, "cannot decode the upstream's content-encoding");
        return;
      }
      response.writeHead(status, upstreamResponse.statusMessage, clientResponseHeaders(upstreamResponse.headersDistinct, mode !== 'untouched', decoder !== null));
      response.flushHeaders();
      const body = createBodyTransform(openRedactor(mode, 'response'), count);
      // These fire before the pipe destroys the response, so the log says why it was cut off.
      body.on('error', () => {
        outcome = 'failed';
      });
      upstreamResponse.on('error', () => {
        if (!response.destroyed) outcome ??= 'upstream-error';
      });
      pipeline(decoder ? [upstreamResponse, decoder, body, response] : [upstreamResponse, body, response]).catch(() => response.destroy());
    };
    forward(false).on('response', onResponse);
  };
  return Object.assign(handle, { close: () => agent.destroy() });
}
