#!/usr/bin/env node
/**
 * SSE benchmark: spawns `bin/sseredact` (the CLI as users run it) and measures
 *
 * 1. throughput: events/s through `--sse` and `--sse-json openai` for a 100,000-event OpenAI-style
 *    chat stream (about 18 MB; every 500th event starts a secret split over 4 events), against
 *    `cat` on the same bytes; wall time includes start-up (rule compilation), so the start-up
 *    time of a run on empty input is also shown, and events/s without it;
 * 2. latency: once the child has echoed a first event (start-up and rule compilation are not
 *    latency), events sent at 1,000 events/s, the first 1,000 not counted (warm-up: JIT, lazy
 *    automaton states); each event's time from its bytes written to stdin to its blank line read
 *    from stdout; p50/p99 for each mode and for `cat`, and the added latency (mode minus cat at the
 *    same percentile).
 *
 * Usage: node bench/sse.mjs [--events N] [--latency-events N] [--json]
 * SSEREDACT_BENCH_CMD overrides the command (a JSON array, e.g. '["node","/tmp/driver.mjs"]');
 * the mode flags are appended to it. Prints numbers; asserts nothing (tests never assert on time).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { option } from './tool.mjs';

const args = process.argv.slice(2);
const EVENTS = Number(option('--events', 100_000));
const LATENCY_EVENTS = Number(option('--latency-events', 5_000));
const WARMUP_EVENTS = 1_000;
const RATE_PER_MS = 1; // 1,000 events/s
const BIN = fileURLToPath(new URL('../bin/sseredact', import.meta.url));
const COMMAND = process.env.SSEREDACT_BENCH_CMD ? JSON.parse(process.env.SSEREDACT_BENCH_CMD) : [process.execPath, BIN];

const MODES = [
  { name: '--sse', command: [...COMMAND, '--sse'] },
  { name: '--sse-json openai', command: [...COMMAND, '--sse-json', 'openai'] },
  { name: 'cat (baseline)', command: ['cat'] },
];

const WORDS = ['the', ' quick', ' brown', ' fox', ' jumps', ' over', ' lazy', ' dog', '.', '\n', ' data', ' stream', ','];
const SECRET_PARTS = [' AKIA', 'IOSFODNN', '7EXAM', 'PLE'];

function chatEvent(content) {
  const json = JSON.stringify({
    id: 'chatcmpl-9xYz',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  });
  return `data: ${json}\n\n`;
}

function generateStream(count) {
  const events = [];
  for (let i = 0; i < count; i++) {
    const secretPart = i % 500;
    events.push(chatEvent(secretPart < SECRET_PARTS.length ? SECRET_PARTS[secretPart] : WORDS[i % WORDS.length]));
  }
  events.push('data: [DONE]\n\n');
  return Buffer.from(events.join(''));
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function startChild(command) {
  const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  return { child, exited };
}

async function writeAll(stream, bytes) {
  const CHUNK = 64 * 1024;
  for (let offset = 0; offset < bytes.length; offset += CHUNK) {
    if (!stream.write(bytes.subarray(offset, offset + CHUNK))) await once(stream, 'drain');
  }
  stream.end();
}

async function measureWall(command, input) {
  const started = process.hrtime.bigint();
  const { child, exited } = startChild(command);
  let outputBytes = 0;
  child.stdout.on('data', (chunk) => {
    outputBytes += chunk.length;
  });
  await writeAll(child.stdin, input);
  const [code] = await exited;
  if (code !== 0) throw new Error(`${command.join(' ')} exited with ${code}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, outputBytes };
}

async function measureThroughput(command, input) {
  const { seconds, outputBytes } = await measureWall(command, input);
  const { seconds: startup } = await measureWall(command, Buffer.alloc(0));
  return {
    seconds,
    startup,
    eventsPerSecond: EVENTS / seconds,
    eventsPerSecondAfterStartup: EVENTS / Math.max(seconds - startup, 1e-9),
    megabytesPerSecond: input.length / seconds / 1e6,
    outputBytes,
  };
}

/** Counts event ends (a blank line: "\n\n") in output arriving in chunks. */
function createEventCounter(onEvent) {
  let previous = -1;
  return (chunk) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
      const before = i === 0 ? previous : chunk[i - 1];
      if (before === 10) onEvent();
    }
    previous = chunk[chunk.length - 1];
  };
}

async function measureLatency(command) {
  const { child, exited } = startChild(command);
  const total = WARMUP_EVENTS + LATENCY_EVENTS;
  const sentAt = new Array(total);
  const latencies = [];
  let received = 0;
  child.stdout.on(
    'data',
    createEventCounter(() => {
      const now = process.hrtime.bigint();
      if (received >= WARMUP_EVENTS && received < total) latencies.push(Number(now - sentAt[received]) / 1e6);
      received++;
    }),
  );
  const events = Array.from({ length: total }, (_, i) => Buffer.from(chatEvent(WORDS[i % WORDS.length])));
  child.stdin.write(events[0]);
  sentAt[0] = process.hrtime.bigint();
  while (received === 0) await sleep(5);
  const start = process.hrtime.bigint();
  for (let i = 1; i < total; i++) {
    const due = start + BigInt(Math.round((i / RATE_PER_MS) * 1e6));
    // Timers, not a busy loop: a spinning sender would take a core from the child it measures.
    const left = Number(due - process.hrtime.bigint()) / 1e6;
    if (left > 0) await sleep(left);
    child.stdin.write(events[i]);
    sentAt[i] = process.hrtime.bigint();
  }
  while (received < total) await sleep(5);
  child.stdin.end();
  await exited;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] };
}

const input = generateStream(EVENTS);
const results = [];
for (const mode of MODES) {
  const throughput = await measureThroughput(mode.command, input);
  const latency = await measureLatency(mode.command);
  results.push({ mode: mode.name, ...throughput, latency });
}
const baseline = results.find((r) => r.mode.startsWith('cat'));

if (args.includes('--json')) {
  console.log(JSON.stringify({ events: EVENTS, inputBytes: input.length, results }, null, 2));
} else {
  console.log(`SSE bench: ${EVENTS} events (${(input.length / 1e6).toFixed(1)} MB); latency at 1,000 events/s over ${LATENCY_EVENTS} events`);
  console.log('mode                 events/s  w/o start-up    MB/s   wall s  start-up s   p50 ms   p99 ms   max ms   added p50/p99 ms vs cat');
  for (const r of results) {
    const added = r === baseline ? '' : `${(r.latency.p50 - baseline.latency.p50).toFixed(3)} / ${(r.latency.p99 - baseline.latency.p99).toFixed(3)}`;
    console.log(
      [
        r.mode.padEnd(18),
        Math.round(r.eventsPerSecond).toString().padStart(10),
        Math.round(r.eventsPerSecondAfterStartup).toString().padStart(13),
        r.megabytesPerSecond.toFixed(1).padStart(7),
        r.seconds.toFixed(2).padStart(8),
        r.startup.toFixed(2).padStart(11),
        r.latency.p50.toFixed(3).padStart(8),
        r.latency.p99.toFixed(3).padStart(8),
        r.latency.max.toFixed(3).padStart(8),
        `  ${added}`,
      ].join(' '),
    );
  }
}
