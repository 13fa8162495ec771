// An SSE proxy for an LLM API that never lets a secret through: every upstream response is piped
// through its own redactor (one compiled rule set shared by all), and each event leaves as soon
// as it is safe. Run: UPSTREAM=http://127.0.0.1:9000 PORT=8080 node examples/sse-proxy.js
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compileRules, createRedactorStream } from 'sseredact';

const upstream = process.env.UPSTREAM ?? 'http://127.0.0.1:9000';
const compiled = compileRules({ literals: process.env.DEPLOY_TOKEN ? [process.env.DEPLOY_TOKEN] : [] });

const server = createServer(async (request, response) => {
  try {
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    const reply = await fetch(new URL(request.url ?? '/', upstream), {
      method: request.method,
      headers: { 'content-type': request.headers['content-type'] ?? 'application/json', authorization: request.headers.authorization ?? '' },
      body: hasBody ? Readable.toWeb(request) : undefined,
      duplex: 'half',
    });
    response.writeHead(reply.status, { 'content-type': reply.headers.get('content-type') ?? 'text/event-stream', 'cache-control': 'no-cache' });
    if (!reply.body) return void response.end();
    const redacted = reply.body.pipeThrough(createRedactorStream({ compiled }));
    await pipeline(Readable.fromWeb(redacted), response);
  } catch (error) {
    // Fail closed: cut the response off rather than send anything unredacted.
    console.error(`proxy: ${error.message}`);
    response.destroy();
  }
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
