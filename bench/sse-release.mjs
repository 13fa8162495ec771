#!/usr/bin/env node
/**
 * How promptly `--sse-json` releases an LLM token stream's text (issue 19; DESIGN §3.4 and §8).
 *
 * Corpus: generated LLM-like answers (prose, fenced code, JSON), no secret in them, cut the way
 * tokenizers cut (1-6 characters per event, seeded), as OpenAI Chat Completions chunks.
 *
 * 1. Release: the whole stream through `bin/sseredact --sse-json openai` on each engine; each
 *    output event is matched to its input event (synthetic events come last) and we report the
 *    share of content bytes that left in their own event (target >= 99%), and the largest hold:
 *    in events (how many events later a byte left) and in bytes (content received but not yet
 *    released after some event).
 * 2. Latency: events written at 50 and at 1,000 events/s to a running child (after its first event
 *    came back: start-up is not latency; the first 5% of events are warm-up); each event's time
 *    from its write to its blank line read back; p50/p99 for each engine and for `cat` in the same
 *    run, and the added latency (engine minus cat at the same percentile).
 *
 * Usage: node bench/sse-release.mjs [--events N] [--slow-events N] [--fast-events N] [--seed N] [--engines ts,vectorscan]
 * Prints numbers; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { option, random } from './tool.mjs';

const EVENTS = Number(option('--events', 20_000));
const SLOW_EVENTS = Number(option('--slow-events', 400));
const FAST_EVENTS = Number(option('--fast-events', 4_000));
const SEED = Number(option('--seed', 19));
const ENGINES = String(option('--engines', 'ts,vectorscan')).split(',');
const BIN = fileURLToPath(new URL('../bin/sseredact', import.meta.url));

const PROSE = [
  'To stream a response, set the stream parameter and read the events as they arrive.',
  'The function returns a list of records sorted by their creation time, newest first.',
  'If the request fails, retry it with exponential backoff and a maximum of five attempts.',
  'Here is a short explanation of how the cache works and why it improves latency.',
  'Note that the configuration file is read once at start-up; changes need a restart.',
  'Each worker handles one connection at a time, so the pool size bounds concurrency.',
];
const CODE = [
  '```python\ndef fetch(url, timeout=10):\n    response = requests.get(url, timeout=timeout)\n    response.raise_for_status()\n    return response.json()\n```',
  '```ts\nexport async function main(): Promise<void> {\n  const items = await load();\n  for (const item of items) console.log(item.id, item.name);\n}\n```',
  '```bash\nnpm ci && npm run build\nnode dist/index.js --port 8080\n```',
];
const JSON_SNIPPETS = [
  '{"name": "sseredact", "version": "0.1.0", "scripts": {"build": "tsc", "test": "vitest run"}}',
  '{"user": {"id": 42, "email_verified": true, "roles": ["admin", "editor"]}, "page": 3}',
];

/** The content of `count` events: answers made of prose, code and JSON, cut 1-6 characters apiece. */
function corpus(count, seed) {
  const next = random(seed);
  const pick = (list) => list[Math.floor(next() * list.length)];
  const pieces = [];
  while (pieces.length < count) {
    const kind = next();
    const text = kind < 0.6 ? `${pick(PROSE)} ` : kind < 0.85 ? `\n${pick(CODE)}\n` : `\n${pick(JSON_SNIPPETS)}\n`;
    for (let at = 0; at < text.length && pieces.length < count; ) {
      const size = 1 + Math.floor(next() * 6);
      pieces.push(text.slice(at, at + size));
      at += size;
    }
  }
  return pieces;
}

/** One chunk of one response: id, model and the rest repeat, as in a real stream. */
const chatEvent = (content) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT', object: 'chat.completion.chunk', created: 1_741_570_283, model: 'gpt-4o-2024-08-06', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] })}\n\n`;

function run(command, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`${command.join(' ')} exited ${code}`))));
    child.stdin.end(input);
  });
}

/** Release figures of one output against the contents that went in. */
function release(contents, output) {
  const events = output.split('\n\n').filter((event) => event.startsWith('data: {'));
  const released = events.map((event) => JSON.parse(event.slice(6)).choices[0]?.delta?.content ?? '');
  let inputTotal = 0;
  let outputTotal = 0;
  let ownBytes = 0;
  let maxHoldBytes = 0;
  let maxHoldEvents = 0;
  /** Per event, the input byte count up to and including it (to find when a byte came in). */
  const inputEnds = [];
  for (let i = 0; i < contents.length; i++) {
    const before = inputTotal;
    inputTotal += Buffer.byteLength(contents[i]);
    inputEnds.push(inputTotal);
    outputTotal += Buffer.byteLength(released[i] ?? '');
    ownBytes += Math.max(0, Math.min(outputTotal - before, inputTotal - before));
    maxHoldBytes = Math.max(maxHoldBytes, inputTotal - outputTotal);
  }
  // How many events later each byte left: walk outputs, find the input event of its last byte.
  let out = 0;
  let inputEvent = 0;
  for (let i = 0; i < released.length; i++) {
    out += Buffer.byteLength(released[i]);
    while (inputEvent < inputEnds.length && inputEnds[inputEvent] <= out) inputEvent++;
    if (Buffer.byteLength(released[i]) > 0) {
      // Bytes up to `out` left in event i; the earliest of them came in by event `first`.
      const firstByte = out - Buffer.byteLength(released[i]);
      let first = 0;
      while (first < inputEnds.length && inputEnds[first] <= firstByte) first++;
      maxHoldEvents = Math.max(maxHoldEvents, i - first);
    }
  }
  return { share: ownBytes / inputTotal, maxHoldBytes, maxHoldEvents, identical: released.join('') === contents.join('') };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const immediate = () => new Promise((resolve) => setImmediate(resolve));

/** Per-event latency (ms) of `command` at `rate` events/s over `contents`. */
async function latency(command, contents, rate) {
  const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const writtenAt = [];
  const readAt = [];
  let pending = '';
  let seen = 0;
  let onEvent = () => {};
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
      pending = pending.slice(end + 2);
      readAt[seen++] = performance.now();
      onEvent();
    }
  });
  // A first event, waited for: start-up and rule compilation are not latency.
  const first = new Promise((resolve) => (onEvent = resolve));
  child.stdin.write(chatEvent('Hi'));
  await first;
  onEvent = () => {};
  seen = 0;
  readAt.length = 0;
  const interval = 1000 / rate;
  const start = performance.now();
  for (let i = 0; i < contents.length; i++) {
    const due = start + i * interval;
    while (performance.now() < due - 2) await sleep(1);
    while (performance.now() < due) await immediate();
    writtenAt[i] = performance.now();
    child.stdin.write(chatEvent(contents[i]));
  }
  while (seen < contents.length) await new Promise((resolve) => (onEvent = resolve));
  child.stdin.end();
  await once(child, 'close');
  const warmUp = Math.floor(contents.length / 20);
  const times = contents
    .map((_, i) => readAt[i] - writtenAt[i])
    .slice(warmUp)
    .sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

const contents = corpus(EVENTS, SEED);
const input = contents.map((content) => chatEvent(content)).join('');
const contentBytes = contents.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
console.log(`corpus: ${EVENTS} events, ${contentBytes} content bytes (1-6 characters per event, seed ${SEED}), no secret`);
console.log('\nrelease (whole stream through the CLI):');
console.log('engine        own-event share   largest hold (events)   largest hold (bytes)   content intact');
for (const engine of ENGINES) {
  const output = await run([process.execPath, BIN, '--engine', engine, '--sse-json', 'openai'], input);
  const figures = release(contents, output);
  console.log(
    `${engine.padEnd(13)} ${(figures.share * 100).toFixed(2).padStart(14)}%   ${String(figures.maxHoldEvents).padStart(21)}   ${String(figures.maxHoldBytes).padStart(20)}   ${figures.identical}`,
  );
}
for (const [rate, count] of [
  [50, SLOW_EVENTS],
  [1000, FAST_EVENTS],
]) {
  const sample = contents.slice(0, count);
  console.log(`\nlatency at ${rate} events/s (${count} events, first ${Math.floor(count / 20)} not counted), ms:`);
  const cat = await latency(['cat'], sample, rate);
  console.log(`cat           p50 ${cat.p50.toFixed(3)}  p99 ${cat.p99.toFixed(3)}`);
  for (const engine of ENGINES) {
    const figures = await latency([process.execPath, BIN, '--engine', engine, '--sse-json', 'openai'], sample, rate);
    console.log(
      `${engine.padEnd(13)} p50 ${figures.p50.toFixed(3)}  p99 ${figures.p99.toFixed(3)}   added: p50 ${(figures.p50 - cat.p50).toFixed(3)}  p99 ${(figures.p99 - cat.p99).toFixed(3)}`,
    );
  }
}
