/**
 * The library examples README shows (examples/*.js, shown verbatim in README) run here against
 * servers and commands on 127.0.0.1, and their output is the one README prints. The examples
 * import 'sseredact', which Node resolves to this package's built dist/ (`npm run build` first).
 */
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, test } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const AWS_KEY = 'AKIAZ7VQ3XJ5K2LMN4PQ';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A deferred: resolves when the test says so. */
function signal() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts).toString();
}

/** Waits until `isDone()`, checking after data on any of `streams`; fails after `ms` instead of hanging. */
async function waitFor(streams: readonly NodeJS.ReadableStream[], isDone: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!isDone()) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`waited ${ms} ms for ${what}`);
    await Promise.race([...streams.map((stream) => once(stream, 'data')), new Promise((resolve) => setTimeout(resolve, left))]);
  }
}

/** Starts an example that prints `listening on URL`; returns the URL. */
async function startExample(file: string, env: Record<string, string>): Promise<string> {
  const child = execa('node', [join(REPO, 'examples', file)], { env, reject: false, buffer: false, cwd: REPO });
  cleanups.push(() => child.kill());
  let seen = '';
  child.stdout!.setEncoding('utf8');
  while (!/listening on (\S+)\n/.test(seen)) {
    const [data] = (await Promise.race([once(child.stdout!, 'data'), child.then(() => [`exited early: ${seen}`])])) as [string];
    if (data.startsWith('exited early')) throw new Error(data);
    seen += data;
  }
  return /listening on (\S+)\n/.exec(seen)![1]!;
}

describe('README shows the examples verbatim', () => {
  const files = readdirSync(join(REPO, 'examples')).filter((file) => file.endsWith('.js'));

  test('there are examples', () => expect(files.sort()).toEqual(['redact-child.js', 'sse-proxy.js']));

  test.each(files)('examples/%s is in README, whole, in a js block, with a link to it', (file) => {
    const text = readFileSync(join(REPO, 'examples', file), 'utf8');
    expect(README).toContain(`\`\`\`js\n${text}\`\`\``);
    expect(README).toContain(`](examples/${file})`);
  });
});

describe('examples/sse-proxy.js', () => {
  test('streams an upstream SSE response through createRedactorStream(), event by event', async () => {
    const FIRST_EVENT = 'data: {"choices":[{"index":0,"delta":{"content":"Your key is "}}]}\n\n';
    const clientHasFirstEvent = signal();
    let isStreamed = false;
    const upstreamRequests: { method: string; url: string; authorization: string | undefined; body: string }[] = [];
    const upstream = createServer(async (request, response) => {
      upstreamRequests.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, body: await bodyOf(request) });
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(FIRST_EVENT);
      // The next event is sent once the client has the first (all but its last newline, which a
      // rule could still start a match with): the proxy does not buffer. If it did, the wait
      // ends after 5 s and the test fails below.
      isStreamed = await Promise.race([clientHasFirstEvent.promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 5000, false))]);
      const second = `data: {"choices":[{"index":0,"delta":{"content":"${AWS_KEY} (rotate it)"}}]}\n\n`;
      const cut = second.indexOf(AWS_KEY) + 9; // the key arrives in two TCP writes
      response.write(second.slice(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 50));
      response.write(second.slice(cut));
      response.end('data: [DONE]\n\n');
    });
    const url = await startExample('sse-proxy.js', { UPSTREAM: await listen(upstream), PORT: '0' });

    const reply = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-test' }, body: '{"stream":true}' });
    expect(reply.headers.get('content-type')).toBe('text/event-stream');
    const decoder = new TextDecoder();
    let received = '';
    for await (const chunk of reply.body!) {
      received += decoder.decode(chunk, { stream: true });
      if (received.startsWith(FIRST_EVENT.slice(0, -1))) clientHasFirstEvent.resolve();
    }

    expect(isStreamed, 'the first event reached the client before the upstream sent the second').toBe(true);
    expect(upstreamRequests).toEqual([{ method: 'POST', url: '/v1/chat/completions', authorization: 'Bearer sk-test', body: '{"stream":true}' }]);
    const transcript = [
      'data: {"choices":[{"index":0,"delta":{"content":"Your key is "}}]}',
      '',
      'data: {"choices":[{"index":0,"delta":{"content":"[REDACTED:aws-access-key-id] (rotate it)"}}]}',
      '',
      'data: [DONE]',
      '',
      '',
    ].join('\n');
    expect(received).toBe(transcript);
    // README shows this very stream after its curl command.
    expect(README).toContain(`$ curl -sN http://127.0.0.1:8080/v1/chat/completions -d '{"stream":true}'\n${transcript.trimEnd()}\n`);
  });

  test('an upstream that is down gives a cut-off response, not a hang', async () => {
    const down = createServer();
    const upstreamUrl = await listen(down);
    down.close();
    const url = await startExample('sse-proxy.js', { UPSTREAM: upstreamUrl, PORT: '0' });
    await expect(fetch(`${url}/`).then((reply) => reply.text())).rejects.toThrow();
  });
});

describe('examples/redact-child.js', () => {
  const example = join(REPO, 'examples/redact-child.js');

  test("README's run: stdout redacted, findings counted, the command's status kept", async () => {
    const result = await execa('node', [example, 'sh', '-c', 'echo "deploying with $AWS_ACCESS_KEY_ID"; exit 3'], {
      env: { AWS_ACCESS_KEY_ID: AWS_KEY },
      reject: false,
      all: true,
    });
    expect(result.stdout).toBe('deploying with [REDACTED:aws-access-key-id]');
    expect(result.stderr).toBe('redact-child: 1 secret(s) redacted');
    expect(result.exitCode).toBe(3);
    expect(README).toContain(`$ node examples/redact-child.js sh -c 'echo "deploying with $AWS_ACCESS_KEY_ID"; exit 3'\n${result.stdout}\n${result.stderr}\n$ echo $?\n3\n`);
  });

  test('stdout and stderr stream line by line; a key split over two writes is still caught', async () => {
    // The command copies its stdin to stdout and to stderr, so the test decides when each byte is written.
    const script = "process.stdin.on('data', (d) => { process.stdout.write(d); process.stderr.write(d); })";
    const child = execa('node', [example, process.execPath, '-e', script], { reject: false, buffer: false });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('latin1').on('data', (data: string) => (out += data));
    child.stderr!.setEncoding('latin1').on('data', (data: string) => (err += data));
    child.stdin!.write('a clean line\n');
    // Each stream's clean line is passed on before the next is written (all but a final newline
    // that a rule could still start a match with, at most).
    await waitFor([child.stdout!, child.stderr!], () => out.startsWith('a clean line') && err.startsWith('a clean line'), 'the clean line on stdout and stderr');
    child.stdin!.write(`key=${AWS_KEY.slice(0, 11)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(out).toMatch(/^a clean line\n(?:key=)?$/);
    child.stdin!.end(`${AWS_KEY.slice(11)}\n`);
    expect((await child).exitCode).toBe(0);
    expect(out).toBe('a clean line\nkey=[REDACTED:aws-access-key-id]\n');
    expect(err).toBe('a clean line\nkey=[REDACTED:aws-access-key-id]\nredact-child: 2 secret(s) redacted\n');
  });
});
