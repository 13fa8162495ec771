/**
 * The proxy's per-response redaction for WHATWG `Response`s (fetch, edge runtimes, gateways that
 * hold a `Response`): the same choice of mode by media type and the same body redaction as the
 * proxy's Node handler, as a new `Response` whose body streams redacted.
 */
import { type BodyOpener, bodyModeOf } from './body-mode.js';
import { createBodyStream } from './body-stream.js';

/**
 * `response` with its body redacted as it streams, or `response` itself when its body is to be
 * left untouched (no body, or a media type not redacted without `redactAll`). The body must be
 * decoded, as `fetch()` gives it: `Content-Encoding` is dropped with `Content-Length`.
 */
export function redactWebResponse(response: Response, openBody: BodyOpener, redactAll: boolean): Response {
  const mode = bodyModeOf(response.headers.get('content-type') ?? undefined, redactAll);
  if (response.body === null || mode === 'untouched') return response;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  const body = response.body.pipeThrough(createBodyStream(openBody(mode)({ locate: false })));
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
