/**
 * The proxy's parts and its library face: header forwarding (RFC 9110 hop-by-hop), the choice of
 * body mode, `--listen` addresses, `redactResponse()` on WHATWG Responses and `createProxyHandler()`
 * in-process, with both engines where engines matter.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { openaiEvents, replayEvents, startFakeUpstream } from '../../bench/fake-upstream.mjs';
import { describeEngines } from '../../src/engine/select.js';
import { type ProxyRequestLog, compileRules, createProxyHandler, redact, redactResponse } from '../../src/index.js';
import { createStreamOpener } from '../../src/pipeline/open-stream.js';
import { bodyModeOf } from '../../src/proxy/body-mode.js';
import { clientResponseHeaders, upstreamRequestHeaders } from '../../src/proxy/headers.js';
import { createJsonBodyRedactor } from '../../src/proxy/json-body.js';
import { parseListen } from '../../src/proxy/server.js';
import { AWS_KEY } from '../e2e/cli.js';
import { ESCAPED_SECRETS_TEXT, anthropicMessageBody, openaiCompletionBody } from './json-bodies.js';

const ENGINES = describeEngines()
  .filter((engine) => engine.available)
  .map((engine) => engine.name);
const PIECES = ['Hello', ', your key is AKIA', AWS_KEY.slice(4, 12), AWS_KEY.slice(12), ' - keep it safe.'];

describe('headers', () => {
  const upstream = new URL('https://api.example.test:8443/base');

  test("hop-by-hop fields and those Connection names stay; Host, Accept-Encoding and Via are the proxy's", () => {
    const incoming = {
      host: ['127.0.0.1:8080'],
      connection: ['keep-alive, X-Hop', 'x-other'],
      'x-hop': ['1'],
      'x-other': ['2'],
      'keep-alive': ['timeout=5'],
      'proxy-connection': ['keep-alive'],
      te: ['trailers'],
      'transfer-encoding': ['chunked'],
      upgrade: ['websocket'],
      trailer: ['x-sum'],
      'proxy-authorization': ['Basic eDp5'],
      'accept-encoding': ['gzip, br'],
      authorization: ['Bearer sk-test'],
      'content-length': ['12'],
      'set-cookie': ['a=1', 'b=2'],
      via: ['1.0 edge'],
    };
    expect(upstreamRequestHeaders(incoming, upstream, false)).toEqual({
      host: 'api.example.test:8443',
      'accept-encoding': 'identity',
      authorization: 'Bearer sk-test',
      'content-length': '12',
      'set-cookie': ['a=1', 'b=2'],
      via: '1.0 edge, 1.1 sseredact',
    });
    expect(upstreamRequestHeaders(incoming, upstream, true)['content-length']).toBeUndefined();
  });

  test.each([
    [false, false, ['content-encoding', 'content-length', 'content-type', 'via']],
    [true, false, ['content-encoding', 'content-type', 'via']],
    [true, true, ['content-type', 'via']],
  ])('response: redacted %s, decoded %s keeps %j', (isRedacted, isDecoded, kept) => {
    const incoming = { 'content-type': ['text/plain'], 'content-length': ['9'], 'content-encoding': ['gzip'], connection: ['close'], 'keep-alive': ['timeout=5'] };
    expect(Object.keys(clientResponseHeaders(incoming, isRedacted, isDecoded)).sort()).toEqual(kept);
  });
});

test.each([
  ['text/event-stream; charset=utf-8', false, 'sse'],
  ['Text/Event-Stream', false, 'sse'],
  ['application/json', false, 'json'],
  ['application/problem+json; charset=utf-8', false, 'json'],
  ['application/x-ndjson', false, 'text'],
  ['application/vnd.api+json', false, 'json'],
  ['text/plain', false, 'text'],
  ['text/html; charset=utf-8', false, 'text'],
  ['application/octet-stream', false, 'untouched'],
  ['image/png', true, 'bytes'],
  [undefined, false, 'untouched'],
  [undefined, true, 'bytes'],
] as const)('body mode of %s (redactAll %s): %s', (contentType, redactAll, mode) => {
  expect(bodyModeOf(contentType, redactAll)).toBe(mode);
});

test.each([
  ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
  ['tcp://localhost:0', { host: 'localhost', port: 0 }],
  ['[::1]:9000', { host: '::1', port: 9000 }],
  ['9000', { host: '127.0.0.1', port: 9000 }],
  ['unix:/tmp/proxy.sock', { path: '/tmp/proxy.sock' }],
])('--listen %s', (spec, address) => {
  expect(parseListen(spec)).toEqual(address);
});

test.each(['', 'host:', 'host:99999', ':80', 'unix:', 'http://x:80'])('--listen %j is a usage error', (spec) => {
  expect(() => parseListen(spec)).toThrow(/--listen/);
});

describe.each(ENGINES)('library, %s engine', (engine) => {
  const compiled = compileRules({ engine });

  test('redactResponse: an SSE body with a key split over deltas, redacted as it streams', async () => {
    const events = openaiEvents(PIECES);
    const response = new Response(events.join(''), {
      status: 201,
      statusText: 'Made',
      headers: { 'content-type': 'text/event-stream', 'content-length': '999', 'x-request-id': 'r1' },
    });
    const redacted = redactResponse(response, { compiled, sseJson: 'openai' });
    expect([redacted.status, redacted.statusText, redacted.headers.get('content-length'), redacted.headers.get('x-request-id')]).toEqual([201, 'Made', null, 'r1']);
    expect(await redacted.text()).toBe(redact(events.join(''), { compiled, sseJson: 'openai' }).output.toString());
  });

  // An event ending in a word: by default the word leaves with its event (StreamRedactor.release);
  // strictHold keeps it until the next event shows it is not a key's head.
  test.each([
    [false, ['', 'Streaming', ' answers', '']],
    [true, ['', '', 'Streaming ', 'answers', '']],
  ])('redactResponse: strictHold %s, the contents per event are %j', async (strictHold, perEvent) => {
    const events = openaiEvents(['Streaming', ' answers']);
    const response = new Response(events.join(''), { headers: { 'content-type': 'text/event-stream' } });
    const text = await redactResponse(response, { compiled, sseJson: 'openai', strictHold }).text();
    const contents = text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map((event) => JSON.parse(event.slice('data: '.length)).choices[0].delta.content ?? '');
    expect(contents).toEqual(perEvent);
  });

  test('redactResponse: other media types are the same Response unless redactAll', async () => {
    const body = `bytes ${AWS_KEY}`;
    const binary = new Response(body, { headers: { 'content-type': 'application/octet-stream' } });
    expect(redactResponse(binary, { compiled })).toBe(binary);
    const all = redactResponse(new Response(body, { headers: { 'content-type': 'application/octet-stream' } }), { compiled, redactAll: true });
    expect(await all.text()).toBe(redact(body, { compiled }).output.toString());
  });

  test('createProxyHandler: in a Node server, a JSON body redacted, the log as data', async () => {
    const body = JSON.stringify({ choices: [{ message: { content: `key ${AWS_KEY}` } }] });
    const upstream = await startFakeUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    });
    const logs: ProxyRequestLog[] = [];
    const handler = createProxyHandler({ upstream: `${upstream.url}/v1`, compiled, onRequest: (log) => logs.push(log) });
    const server = createServer(handler).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/chat/completions?key=${AWS_KEY}`);
      expect(await response.text()).toBe(redact(body, { compiled }).output.toString());
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(upstream.requests.map((request) => request.url)).toEqual([`/v1/chat/completions?key=${AWS_KEY}`]);
      expect(logs).toEqual([
        expect.objectContaining({ method: 'GET', path: '/chat/completions', status: 200, mode: 'json', bytesIn: body.length, findings: { 'aws-access-key-id': 1 }, outcome: 'ok' }),
      ]);
    } finally {
      server.closeAllConnections();
      server.close();
      handler.close();
      await upstream.close();
    }
  });

  test('createProxyHandler: an event stream with the key split over deltas', async () => {
    const events = openaiEvents(PIECES);
    const upstream = await startFakeUpstream((_request, response) => replayEvents(response, events, { gapMs: 5 }));
    const handler = createProxyHandler({ upstream: upstream.url, compiled, sseJson: 'openai' });
    const server = createServer(handler).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, { method: 'POST', body: '{}' });
      expect(await response.text()).toBe(redact(events.join(''), { compiled, sseJson: 'openai' }).output.toString());
    } finally {
      server.closeAllConnections();
      server.close();
      handler.close();
      await upstream.close();
    }
  });

  test.each([
    ['OpenAI chat completion', openaiCompletionBody],
    ['Anthropic message', anthropicMessageBody],
  ])('redactResponse: a %s whose secrets are written with JSON escapes is redacted decoded, still valid JSON', async (_shape, body) => {
    const upstreamBody = body(ESCAPED_SECRETS_TEXT.json);
    const redacted = redactResponse(new Response(upstreamBody, { headers: { 'content-type': 'application/json' } }), { compiled });
    const got = JSON.parse(await redacted.text());
    const want = JSON.parse(upstreamBody);
    expect(JSON.stringify(want)).toContain(JSON.stringify(ESCAPED_SECRETS_TEXT.decoded));
    // Everything but the text as it came (Anthropic's thinking signature included), the text as the redactor gives it alone.
    const text = redact(ESCAPED_SECRETS_TEXT.decoded, { compiled }).output.toString();
    expect(text).not.toMatch(/Zq8Lr2Vx9K|api03-rrL4/);
    expect(JSON.stringify(got)).toBe(JSON.stringify(want).replace(JSON.stringify(ESCAPED_SECRETS_TEXT.decoded), JSON.stringify(text)));
  });

  describe('a JSON body redactor', () => {
    const openBytes = createStreamOpener(compiled.ruleSet);
    const bytes = (input: Uint8Array | string) => redact(input, { compiled }).output.toString('latin1');
    /** Feeds `body` in `chunk`-byte pieces; `early`: bytes released before the end. */
    const run = (body: Uint8Array | string, maxBytes: number, chunk: number) => {
      const redactor = createJsonBodyRedactor(() => openBytes(), maxBytes);
      const input = Buffer.from(body);
      const parts: Uint8Array[] = [];
      for (let at = 0; at < input.length; at += chunk) parts.push(redactor.write(input.subarray(at, at + chunk)));
      parts.push(redactor.end());
      return { text: Buffer.concat(parts).toString('latin1'), early: Buffer.concat(parts.slice(0, -1)).length };
    };

    test.each([1, 7, 4096])('within the bound, in %i-byte chunks: held to the end, then redacted as a document', (chunk) => {
      const { text, early } = run(openaiCompletionBody(ESCAPED_SECRETS_TEXT.json), 1 << 20, chunk);
      expect({ early, content: JSON.parse(Buffer.from(text, 'latin1').toString()).choices[0].message.content }).toEqual({
        early: 0,
        content: redact(ESCAPED_SECRETS_TEXT.decoded, { compiled }).output.toString(),
      });
    });

    test.each([1, 64])('past the bound, in %i-byte chunks: redacted as bytes from the first byte, streaming', (chunk) => {
      const body = JSON.stringify({ items: Array.from({ length: 40 }, (_, i) => `item ${i} key ${AWS_KEY}`) });
      const { text, early } = run(body, 256, chunk);
      expect({ text, isStreaming: early > 0 }).toEqual({ text: bytes(body), isStreaming: true });
    });

    test.each([
      ['not JSON', Buffer.from(`{"a": "${AWS_KEY}"`)],
      ['two values', Buffer.from(`{"a":1} {"b":"${AWS_KEY}"}`)],
      ['not UTF-8', Buffer.concat([Buffer.from('{"a":"'), Buffer.of(0xff), Buffer.from(` ${AWS_KEY}"}`)])],
    ])('%s: redacted as bytes', (_case, body) => {
      expect(run(body, 1 << 20, 5).text).toBe(bytes(body));
    });
  });

  test('createProxyHandler: an upstream that is not http(s) is a usage error', () => {
    expect(() => createProxyHandler({ upstream: 'ftp://example.test', compiled })).toThrow(/not an http/);
  });
});
