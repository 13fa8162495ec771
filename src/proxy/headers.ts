/**
 * Which header fields cross the proxy, and how (RFC 9110 §7.6.1 and §7.2). Hop-by-hop fields —
 * `Connection` and every field it names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Transfer-Encoding`,
 * `Upgrade`, `Trailer` (trailers are not forwarded) and the proxy's own `Proxy-Authorization` /
 * `Proxy-Authenticate` — stay on their hop: Node's server and client set their own. Every other
 * field is forwarded with all its values. Upstream, `Host` becomes the upstream's and the body is
 * asked for uncompressed (`Accept-Encoding: identity`), so it can be scanned; `Via` gains this hop.
 */
import type { OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

/** The headers of one message, every value of each field: Node's `headersDistinct`. */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

/** The end-to-end fields of `headers`, less `drop`: what a proxy forwards. */
function endToEnd(headers: DistinctHeaders, drop: readonly string[]): OutgoingHttpHeaders {
  const named = (headers.connection ?? []).flatMap((value) => value.split(',')).map((name) => name.trim().toLowerCase());
  const dropped = new Set([...HOP_BY_HOP, ...named, ...drop]);
  const kept: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(headers)) {
    if (values === undefined || dropped.has(name)) continue;
    kept[name] = values.length === 1 ? values[0] : [...values];
  }
  return kept;
}

function withVia(headers: OutgoingHttpHeaders, incoming: DistinctHeaders): OutgoingHttpHeaders {
  headers.via = [...(incoming.via ?? []), '1.1 sseredact'].join(', ');
  return headers;
}

/**
 * The headers of the request sent upstream. `isBodyRedacted`: the body may change length on the
 * way (`--redact-requests`), so `Content-Length` goes and Node sends it chunked.
 */
export function upstreamRequestHeaders(incoming: DistinctHeaders, upstream: URL, isBodyRedacted: boolean): OutgoingHttpHeaders {
  const headers = endToEnd(incoming, isBodyRedacted ? ['host', 'accept-encoding', 'content-length'] : ['host', 'accept-encoding']);
  headers.host = upstream.host;
  headers['accept-encoding'] = 'identity';
  return withVia(headers, incoming);
}

/**
 * The headers of the response sent to the client. `isBodyRedacted`: its length may change, so
 * `Content-Length` goes (Node sends it chunked); `isDecoded`: the proxy undid the upstream's
 * `Content-Encoding`, so that goes too.
 */
export function clientResponseHeaders(incoming: DistinctHeaders, isBodyRedacted: boolean, isDecoded: boolean): OutgoingHttpHeaders {
  const drop = [...(isBodyRedacted ? ['content-length'] : []), ...(isDecoded ? ['content-encoding'] : [])];
  return withVia(endToEnd(incoming, drop), incoming);
}

/** The media type of a `Content-Type` value, lower case, without parameters (`text/event-stream`). */
export function mediaTypeOf(contentType: string | readonly string[] | undefined): string {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return (typeof value === 'string' ? value : '').split(';')[0]!.trim().toLowerCase();
}
