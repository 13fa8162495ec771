/**
 * A fake LLM API upstream for the proxy's tests and benchmark (plain ESM, so bench/ needs no
 * build step): an HTTP server on 127.0.0.1 whose `route` answers each request, plus builders of
 * provider-shaped event streams (OpenAI Chat Completions chunks, Anthropic Messages events) and a
 * replayer that writes them one event at a time, waiting between events as told (a gate the test
 * opens, or a pause), honouring backpressure.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** OpenAI Chat Completions stream events whose `delta.content` are `pieces`, then the finish chunk and `[DONE]`. */
export function openaiEvents(pieces, { id = 'chatcmpl-fake', model = 'gpt-4o-mini' } = {}) {
  const chunk = (delta, finishReason = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1767225600, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`;
  return [chunk({ role: 'assistant', content: '' }), ...pieces.map((content) => chunk({ content })), chunk({}, 'stop'), 'data: [DONE]\n\n'];
}

/** Anthropic Messages stream events whose text deltas are `pieces`. */
export function anthropicEvents(pieces, { id = 'msg_fake', model = 'claude-sonnet-4-5' } = {}) {
  const event = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return [
    event('message_start', {
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } },
    }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    event('ping', {}),
    ...pieces.map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
    event('content_block_stop', { index: 0 }),
    event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: pieces.length } }),
    event('message_stop', {}),
  ];
}

/** Resolves once `response` can take more (`drain`) or has closed; leaves no listener behind. */
export function drained(response) {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/**
 * Writes `events` as a `text/event-stream` response, one write per event. Before event i > 0 it
 * awaits `beforeEvent(i)` when given, else sleeps `gapMs`. Resolves with the number of events
 * written (fewer when the client went away).
 */
export async function replayEvents(response, events, { beforeEvent, gapMs = 0, headers = {} } = {}) {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  response.flushHeaders();
  let written = 0;
  for (const [i, event] of events.entries()) {
    if (i > 0) {
      if (beforeEvent) await beforeEvent(i);
      else if (gapMs > 0) await sleep(gapMs);
    }
    if (response.destroyed) return written;
    if (!response.write(event)) await drained(response);
    written++;
  }
  response.end();
  return written;
}

/**
 * Starts the fake upstream on 127.0.0.1 (a free port). `route(request, response, body)` answers
 * each request, `body` being the whole request body. Returns its `url`, the `requests` received
 * (method, url, headers, body, and the client's port: one per connection) and `close()`.
 */
export async function startFakeUpstream(route) {
  const requests = [];
  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    requests.push({ method: request.method, url: request.url, headers: request.headers, body, remotePort: request.socket.remotePort });
    try {
      await route(request, response, body);
    } catch (error) {
      response.destroy(error);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
