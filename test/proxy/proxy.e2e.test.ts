/**
 * `sseredact proxy` end to end: the real binary between a fake upstream (bench/fake-upstream.mjs,
 * replaying provider-shaped streams slowly) and unmodified clients — `curl -N`, the official
 * `openai` and `@anthropic-ai/sdk` packages pointed at it with `baseURL`, Node's fetch and http —
 * on 127.0.0.1, with both engines. Every response is compared with the library redacting the same
 * upstream bytes alone (the same pipeline, so the same bytes).
 *
 * SSEREDACT_PROXY_BIG_MB sets the size of the big JSON body: 16 by default, to keep CI fast; the
 * issue's 50 (SSEREDACT_PROXY_BIG_MB=50) takes about a minute on a shared 2-core machine.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Agent, type IncomingMessage, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import { execa } from 'execa';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type FakeUpstream, anthropicEvents, openaiEvents, replayEvents, startFakeUpstream } from '../../bench/fake-upstream.mjs';
import { describeEngines } from '../../src/engine/select.js';
import { compileRules, redact } from '../../src/index.js';
import { AWS_KEY, sseredact } from '../e2e/cli.js';
import { ESCAPED_SECRETS_TEXT, anthropicMessageBody, openaiCompletionBody } from './json-bodies.js';
import { type RunningProxy, startProxy } from './proxy.js';

const ENGINES = describeEngines()
  .filter((engine) => engine.available)
  .map((engine) => engine.name);
const BIG_BYTES = Number(process.env.SSEREDACT_PROXY_BIG_MB ?? 16) * 1024 * 1024;
/** A reply with the AWS key split over three deltas, after a first clean token. */
// The first token ends at a separator: a bare word at the end of what has arrived ('Hello') could
// still be the head of a token-run secret (a 52-character Azure DevOps PAT, say) and is held until
// the next byte shows it is not (DESIGN §3.4).
const PIECES = ['Hello, ', 'your key is AKIA', AWS_KEY.slice(4, 12), AWS_KEY.slice(12), ' - keep it safe.'];
/** How long the upstream waits for the client to show the first token before sending the next anyway. */
const LIVE_WAIT_MS = 5_000;

type Route = Parameters<typeof startFakeUpstream>[0];

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a whole Node response. */
async function bodyOf(response: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function get(url: string, options: { headers?: Record<string, string>; agent?: Agent; method?: string; body?: string } = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: options.agent }, resolve);
    request.on('error', reject);
    request.end(options.body);
  });
}

describe.each(ENGINES)('proxy, %s engine', (engine) => {
  let upstream: FakeUpstream;
  let route: Route = (_request, response) => response.end();
  let openaiProxy: RunningProxy;
  let anthropicProxy: RunningProxy;
  const compiled = compileRules({ engine });
  const redactAlone = (input: string | Uint8Array, sseJson?: string) => redact(input, { compiled, ...(sseJson ? { sseJson } : {}) }).output;
  const expectedText = redactAlone(PIECES.join('')).toString();
  /**
   * What a client assembles: the text redacted alone, but for the key's literal `AKIA`, which the
   * event that ends with it lets out (StreamRedactor.release: those bytes say nothing of the key)
   * when no candidate of the engine holds it yet; the rest of the key is redacted either way.
   */
  const assembled = (text: string): string => text.replace('AKIA[REDACTED:', '[REDACTED:');

  /**
   * Replays `events`; before the event after the one carrying the first token (PIECES[0]) waits
   * until `firstToken` resolves, or LIVE_WAIT_MS. Resolves `forced` with true when it had to stop
   * waiting. (The first token is event 1 of an OpenAI stream but event 3 of an Anthropic one, after
   * message_start, content_block_start and ping: gating on a fixed index made the Anthropic test
   * wait for a token the upstream had not sent yet.)
   */
  function replayLive(events: readonly string[], firstToken: Promise<void>) {
    const next = events.findIndex((event) => event.includes(JSON.stringify(PIECES[0]))) + 1;
    if (next === 0) throw new Error(`no event carries ${JSON.stringify(PIECES[0])}`);
    const forced = deferred<boolean>();
    route = (_request, response) =>
      replayEvents(response, events, {
        beforeEvent: async (i) => {
          if (i === next) forced.resolve(await Promise.race([firstToken.then(() => false), sleep(LIVE_WAIT_MS).then(() => true)]));
        },
      });
    return forced.promise;
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream((request, response, body) => route(request, response, body));
    [openaiProxy, anthropicProxy] = await Promise.all([
      startProxy(upstream.url, ['--engine', engine, '--sse-json', 'openai', '--redact-requests', '--stats']),
      startProxy(upstream.url, ['--engine', engine, '--sse-json', 'anthropic']),
    ]);
  });

  afterAll(async () => {
    await Promise.all([openaiProxy?.stop(), anthropicProxy?.stop()]);
    await upstream?.close();
  });

  const openai = () => new OpenAI({ apiKey: 'sk-test-not-a-secret', baseURL: `${openaiProxy.url}/v1`, maxRetries: 0 });
  const anthropic = () => new Anthropic({ apiKey: 'test-not-a-secret', baseURL: anthropicProxy.url, maxRetries: 0 });

  async function openaiText(onText: (text: string) => void = () => {}): Promise<string> {
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'my key?' }], stream: true });
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      onText(text);
    }
    return text;
  }

  async function anthropicText(onText: (text: string) => void = () => {}): Promise<string> {
    const stream = await anthropic().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'my key?' }], stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      onText(text);
    }
    return text;
  }

  test('openai SDK: the assembled completion has the split secret redacted', async () => {
    route = (_request, response) => replayEvents(response, openaiEvents(PIECES), { gapMs: 20 });
    expect(assembled(await openaiText())).toBe(expectedText);
  });

  test('@anthropic-ai/sdk: the assembled message has the split secret redacted', async () => {
    route = (_request, response) => replayEvents(response, anthropicEvents(PIECES), { gapMs: 20 });
    expect(assembled(await anthropicText())).toBe(expectedText);
  });

  test('curl -N: the stream is the upstream stream redacted alone', async () => {
    const events = openaiEvents(PIECES);
    route = (_request, response) => replayEvents(response, events, { gapMs: 20 });
    const result = await execa('curl', ['-sSN', `${openaiProxy.url}/v1/chat/completions`, '-H', 'content-type: application/json', '-d', '{"stream":true}'], {
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    expect(Buffer.from(result.stdout).toString()).toBe(redactAlone(events.join(''), 'openai').toString());
  });

  test('per event (no --sse-json), openai SDK: the first clean token reaches the client before the upstream sends the next', async () => {
    const proxy = await startProxy(upstream.url, ['--engine', engine]);
    try {
      const firstToken = deferred();
      const forced = replayLive(openaiEvents(PIECES), firstToken.promise);
      const client = new OpenAI({ apiKey: 'sk-test-not-a-secret', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
      let text = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (text.startsWith('Hello')) firstToken.resolve();
      }
      expect(await forced).toBe(false);
    } finally {
      await proxy.stop();
    }
  });

  // Live tokens through the proxy: the upstream sends the next token only once the client has
  // seen the first (or a timeout forces it, which fails the test).
  test('openai SDK: the first clean token reaches the client before the upstream sends the next', async () => {
    const firstToken = deferred();
    const forced = replayLive(openaiEvents(PIECES), firstToken.promise);
    await openaiText((text) => text.startsWith('Hello') && firstToken.resolve());
    expect(await forced).toBe(false);
  });

  test('@anthropic-ai/sdk: the first clean token reaches the client before the upstream sends the next', async () => {
    const firstToken = deferred();
    const forced = replayLive(anthropicEvents(PIECES), firstToken.promise);
    await anthropicText((text) => text.startsWith('Hello') && firstToken.resolve());
    expect(await forced).toBe(false);
  });

  test('curl -N: the first clean token reaches the client before the upstream sends the next', async () => {
    const firstToken = deferred();
    const forced = replayLive(openaiEvents(PIECES), firstToken.promise);
    const curl = execa('curl', ['-sSN', `${openaiProxy.url}/v1/chat/completions`, '-d', '{}'], { buffer: false });
    let seen = '';
    curl.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('"content":"Hello')) firstToken.resolve();
    });
    await curl;
    expect(await forced).toBe(false);
  });

  /** Answers every request with `body` as `application/json`. */
  function replyJson(body: string): void {
    route = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    };
  }

  test('openai SDK, not streaming: a completion whose secrets are written with JSON escapes arrives with them redacted', async () => {
    replyJson(openaiCompletionBody(ESCAPED_SECRETS_TEXT.json));
    const completion = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'my key?' }] });
    expect(completion.choices[0]?.message.content).toBe(redactAlone(ESCAPED_SECRETS_TEXT.decoded).toString());
  });

  test('@anthropic-ai/sdk, not streaming: a message whose secrets are written with JSON escapes arrives with them redacted, its signature intact', async () => {
    const body = anthropicMessageBody(ESCAPED_SECRETS_TEXT.json);
    replyJson(body);
    const message = await anthropic().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'my key?' }] });
    expect(message.content).toEqual([JSON.parse(body).content[0], { type: 'text', text: redactAlone(ESCAPED_SECRETS_TEXT.decoded).toString() }]);
  });

  test('fail closed: a redaction failure mid-stream cuts the response off after the events already out, and is logged once', async () => {
    const proxy = await startProxy(upstream.url, ['--engine', engine, '--sse-json', 'openai'], { NODE_ENV: 'test', SSEREDACT_TEST_FAULT: 'confirm' });
    try {
      const firstToken = deferred();
      replayLive(openaiEvents(PIECES), firstToken.promise);
      const response = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let seen = '';
      let failure: unknown = null;
      try {
        for (let read = await reader.read(); !read.done; read = await reader.read()) {
          seen += Buffer.from(read.value).toString();
          if (seen.includes('"content":"Hello, "')) firstToken.resolve();
        }
      } catch (error) {
        failure = error;
      }
      // The confirmer throws on the key's match (the fault): what came before it went out, nothing after.
      expect({ isCutOff: failure instanceof Error, hasFirstToken: seen.includes('"content":"Hello, "') }).toEqual({ isCutOff: true, hasFirstToken: true });
      expect(seen).not.toMatch(new RegExp(`${AWS_KEY.slice(4, 12)}|${AWS_KEY.slice(12)}|keep it safe|\\[DONE\\]`));
      // The log line is written when the proxy sees the cut-off, which a loaded machine may delay.
      const logLines = () =>
        proxy
          .stderr()
          .split('\n')
          .filter((line) => line.includes('/v1/chat/completions'));
      const failedLine = [expect.stringMatching(/^sseredact: POST \/v1\/chat\/completions 200 sse \d+>\d+ bytes findings: none [\d.]+ ms failed$/)];
      await vi.waitFor(() => expect(logLines()).toEqual(failedLine), { timeout: 10_000, interval: 50 });
      await sleep(100);
      expect(logLines()).toEqual(failedLine);
    } finally {
      await proxy.stop();
    }
  });

  test('a client that goes away aborts the upstream request', async () => {
    const events = openaiEvents(Array.from({ length: 400 }, (_, i) => `token ${i} `));
    const replayed = deferred<number>();
    route = async (_request, response) => replayed.resolve(await replayEvents(response, events, { gapMs: 10 }));
    const controller = new AbortController();
    const response = await fetch(`${openaiProxy.url}/v1/chat/completions`, { method: 'POST', body: '{}', signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    // Without the abort passed on, the upstream would write all 400 events (4 s) and more.
    expect(await replayed.promise).toBeLessThan(events.length);
  });

  test('an upstream 500 passes through, its JSON body redacted; the openai SDK sees the status', async () => {
    const body = JSON.stringify({ error: { message: `internal error near ${AWS_KEY}`, type: 'server_error' } });
    route = (_request, response) => {
      response.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    };
    const response = await get(`${openaiProxy.url}/v1/models`);
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-length']).toBeUndefined();
    expect((await bodyOf(response)).toString()).toBe(redactAlone(body).toString());
    await expect(openai().models.list()).rejects.toMatchObject({ status: 500 });
  });

  test('an upstream that cannot be reached gives 502', async () => {
    const closed = await startFakeUpstream(() => {});
    await closed.close();
    const proxy = await startProxy(closed.url, ['--engine', engine]);
    try {
      const response = await get(`${proxy.url}/v1/models`);
      expect(response.statusCode).toBe(502);
      expect((await bodyOf(response)).toString()).toMatch(/upstream unreachable: ECONNREFUSED/);
    } finally {
      await proxy.stop();
    }
  });

  test(`a ${BIG_BYTES / 1024 / 1024} MB JSON body: a paused client pauses the upstream, then gets it all, redacted`, async () => {
    const big = bigJson(BIG_BYTES);
    let upstreamWritten = 0;
    const upstreamDone = deferred();
    route = async (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': big.length });
      for (let at = 0; at < big.length && !response.destroyed; at += 64 * 1024) {
        if (!response.write(big.subarray(at, at + 64 * 1024))) await once(response, 'drain');
        upstreamWritten = Math.min(big.length, at + 64 * 1024);
      }
      response.end();
      upstreamDone.resolve();
    };
    const response = await get(`${openaiProxy.url}/v1/big`);
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.pause();
    // The client reads nothing now: without backpressure the upstream writes all of it in well under this.
    const finishedWhilePaused = await Promise.race([upstreamDone.promise.then(() => true), sleep(3_000).then(() => false)]);
    expect({ finishedWhilePaused, upstreamWritten }).toEqual({ finishedWhilePaused: false, upstreamWritten: expect.any(Number) });
    response.resume();
    await once(response, 'end');
    const got = Buffer.concat(chunks);
    const want = redactAlone(big);
    expect({ length: got.length, sha256: sha256(got) }).toEqual({ length: want.length, sha256: sha256(want) });
    expect(got.includes(AWS_KEY)).toBe(false);
  });

  test('200 concurrent streaming requests: each response equals its stream redacted alone', async () => {
    const streams = Array.from({ length: 200 }, (_, i) =>
      openaiEvents([`stream ${i}: key `, `AKIA${AWS_KEY.slice(4, 4 + (i % 12))}`, `${AWS_KEY.slice(4 + (i % 12))} `, `end ${i}`]),
    );
    route = (request, response) => replayEvents(response, streams[Number(new URL(request.url!, 'http://x').searchParams.get('i'))]!, { gapMs: 5 });
    const responses = await Promise.all(
      streams.map(async (_, i) => {
        const response = await fetch(`${openaiProxy.url}/v1/chat/completions?i=${i}`, { method: 'POST', body: '{}' });
        return Buffer.from(await response.arrayBuffer()).toString();
      }),
    );
    const mismatched = responses.flatMap((got, i) => {
      const alone = redactAlone(streams[i]!.join(''), 'openai').toString();
      return got === alone ? [] : [{ i, got, alone }];
    });
    expect(mismatched).toEqual([]);
    expect(responses.some((got) => got.includes(AWS_KEY.slice(4, 12)))).toBe(false);
  });

  test('hop-by-hop headers stay on their hop, Host is the upstream, identity encoding is asked for; keep-alive', async () => {
    route = (_request, response) => response.end('ok');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const headers = {
      connection: 'keep-alive, x-hop',
      'x-hop': '1',
      te: 'trailers',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic eDp5',
      'x-end': '2',
      'accept-encoding': 'gzip, br',
    };
    const first = await get(`${openaiProxy.url}/v1/headers?a=1`, { headers, agent });
    await bodyOf(first);
    const second = await get(`${openaiProxy.url}/v1/headers?a=2`, { headers, agent });
    await bodyOf(second);
    agent.destroy();
    const seen = upstream.requests.at(-1)!;
    expect(seen.url).toBe('/v1/headers?a=2');
    expect(seen.headers).toMatchObject({ host: new URL(upstream.url).host, 'x-end': '2', 'accept-encoding': 'identity', via: '1.1 sseredact' });
    expect(Object.keys(seen.headers).filter((name) => ['x-hop', 'te', 'keep-alive', 'proxy-authorization'].includes(name))).toEqual([]);
    const [firstSeen, secondSeen] = upstream.requests.slice(-2);
    expect({ clientReusedSocket: second.socket === first.socket, upstreamReusedConnection: firstSeen!.remotePort === secondSeen!.remotePort }).toEqual({
      clientReusedSocket: true,
      upstreamReusedConnection: true,
    });
  });

  test('a gzip body the upstream sends anyway is decoded and redacted; other media types pass untouched', async () => {
    const text = `log line with ${AWS_KEY}\n`;
    route = (request, response) => {
      if (request.url === '/gzip') {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
        response.end(gzipSync(text));
      } else {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': Buffer.byteLength(text) });
        response.end(text);
      }
    };
    const gzipped = await get(`${openaiProxy.url}/gzip`);
    expect(gzipped.headers['content-encoding']).toBeUndefined();
    expect((await bodyOf(gzipped)).toString()).toBe(redactAlone(text).toString());
    const binary = await get(`${openaiProxy.url}/binary`);
    expect(binary.headers['content-length']).toBe(String(Buffer.byteLength(text)));
    expect((await bodyOf(binary)).toString()).toBe(text);
  });

  test('--redact-requests: a request body is redacted before it goes upstream', async () => {
    route = (_request, response) => response.end('{}');
    const body = JSON.stringify({ messages: [{ role: 'user', content: `deploy with ${AWS_KEY}` }] });
    await bodyOf(
      await get(`${openaiProxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        body,
      }),
    );
    const seen = upstream.requests.at(-1)!;
    expect(seen.body.toString()).toBe(redactAlone(body).toString());
    expect(seen.headers['content-length']).toBeUndefined();
  });

  test('one log line per request on stderr, without secrets: no query string, the path redacted', async () => {
    route = (_request, response) => response.end('ok');
    await bodyOf(await get(`${openaiProxy.url}/v1/files/${AWS_KEY}/content?key=${AWS_KEY}`));
    await sleep(50);
    const lines = openaiProxy.stderr().split('\n');
    expect(lines.filter((line) => line.includes('/v1/files/'))).toEqual([
      expect.stringMatching(/^sseredact: GET \/v1\/files\/\[REDACTED:aws-access-key-id\]\/content 200 untouched 2>2 bytes findings: none [\d.]+ ms$/),
    ]);
    expect(openaiProxy.stderr()).not.toContain(AWS_KEY);
  });

  test('SIGTERM: an open response finishes, then the proxy exits 0 and prints its totals', async () => {
    const proxy = await startProxy(upstream.url, ['--engine', engine, '--sse-json', 'openai', '--stats']);
    const signalled = deferred();
    const events = openaiEvents(PIECES);
    route = (_request, response) => replayEvents(response, events, { beforeEvent: (i) => (i === 3 ? signalled.promise : Promise.resolve()) });
    const response = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
    const body = response.arrayBuffer();
    const exited = proxy.stop();
    await sleep(200);
    signalled.resolve();
    expect(Buffer.from(await body).toString()).toBe(redactAlone(events.join(''), 'openai').toString());
    expect(await exited).toBe(0);
    expect(proxy.stderr()).toMatch(/proxy totals: 1 requests \(1 ok\), \d+ bytes in, \d+ bytes out, findings: aws-access-key-id=1/);
  });
});

// The proxy's --strict-hold reaches its event streams: a word at an event's end waits for the next event.
test.each([
  [[], ['', 'Streaming', ' answers', '']],
  [['--strict-hold'], ['', '', 'Streaming ', 'answers', '']],
])('proxy --sse-json openai %j: the contents per event are %j', async (flags, perEvent) => {
  const events = openaiEvents(['Streaming', ' answers']);
  const upstream = await startFakeUpstream((_request, response) => replayEvents(response, events));
  const proxy = await startProxy(upstream.url, ['--sse-json', 'openai', ...flags]);
  try {
    const text = await (await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: '{}' })).text();
    const contents = text
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map((event) => JSON.parse(event.slice('data: '.length)).choices[0].delta.content ?? '');
    expect(contents).toEqual(perEvent);
  } finally {
    await proxy.stop();
    await upstream.close();
  }
});

test.each([
  [[], /^sseredact: proxy: --upstream URL is required\n$/],
  [['--upstream', 'ftp://127.0.0.1/'], /^sseredact: --upstream: 'ftp:\/\/127.0.0.1\/' is not an http:\/\/ or https:\/\/ URL\n$/],
  [['--upstream', 'http://127.0.0.1:9', '--listen', 'nowhere'], /^sseredact: --listen: 'nowhere' is not HOST:PORT/],
  [['--upstream', 'http://127.0.0.1:9', '--sse-json', 'a..b'], /^sseredact: --sse-json: /],
])('proxy %j: a one-line usage error, exit 2', async (args, message) => {
  const result = await sseredact(['proxy', ...args]);
  expect({ exitCode: result.exitCode, stderr: Buffer.from(result.stderr as Uint8Array).toString() }).toEqual({ exitCode: 2, stderr: expect.stringMatching(message) });
});

/** A JSON document of about `size` bytes: records of text, with keys planted across 64 KiB boundaries. */
function bigJson(size: number): Buffer {
  const parts: string[] = ['{"data":['];
  let length = parts[0]!.length;
  for (let i = 0; length < size - 100; i++) {
    const secret = i % 997 === 0 ? ` key ${AWS_KEY}` : '';
    const record = `${i === 0 ? '' : ','}{"id":${i},"text":"record ${i} of the export, nothing to see here${secret}"}`;
    parts.push(record);
    length += record.length;
  }
  parts.push(']}');
  const json = Buffer.from(parts.join(''));
  // A key exactly across the first 64 KiB boundary too.
  const at = 65536 - 10;
  const field = Buffer.from(`"k":"${AWS_KEY}",`);
  json.set(field.subarray(0, Math.min(field.length, json.length - at - 2)), at - 5);
  return json;
}
