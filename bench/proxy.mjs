#!/usr/bin/env node
/**
 * Proxy benchmark: spawns `bin/sseredact proxy` (as users run it) in front of a fake OpenAI-style
 * upstream (bench/fake-upstream.mjs, in this process) and measures, in one run, each figure
 * straight to the upstream and through the proxy, per engine and per SSE mode (each event on its
 * own, and `--sse-json openai`, where the deltas' text is one content stream):
 *
 * 1. throughput: events/s of one stream of N chat chunks sent as fast as the client reads them;
 * 2. latency: events sent at 1,000 events/s, the first 500 not counted (warm-up); each event's
 *    time from the upstream's write to the client's read of its blank line (same process, same
 *    clock); p50/p99 straight and through the proxy, and the added latency (proxy minus straight at
 *    the same percentile);
 * 3. memory per open stream: the proxy's RSS (/proc/PID/status) with K streams open (each has sent
 *    its first event and waits), minus its RSS with none, over K;
 * 4. first event: the latency of the first event of the first response of a fresh proxy (the rule
 *    set's lazily built parts are warmed at start-up, so it should be near the steady p50).
 *
 * Usage: node bench/proxy.mjs [--events N] [--latency-events N] [--streams K] [--engine ts|vectorscan]
 * [--mode sse|openai] (default: both engines when the addon loads, both modes). Prints numbers;
 * asserts nothing (tests never assert on time).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { drained, startFakeUpstream } from './fake-upstream.mjs';
import { BIN, defaultEngines, option } from './tool.mjs';

const EVENTS = Number(option('--events', 20_000));
const LATENCY_EVENTS = Number(option('--latency-events', 3_000));
const WARMUP_EVENTS = 500;
const STREAMS = Number(option('--streams', 1_000));

/** One chat chunk whose id carries its sequence number (the content is what the proxy may move). */
function chunk(seq, content) {
  return `data: ${JSON.stringify({ id: `t-${seq}`, object: 'chat.completion.chunk', created: 1767225600, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
}
const WORDS = ['The ', 'build ', 'passed ', 'on ', 'the ', 'second ', 'try; ', 'logs ', 'are ', 'attached. '];

const sentAt = new Map();
const upstream = await startFakeUpstream(async (request, response) => {
  const url = new URL(request.url, 'http://x');
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.flushHeaders();
  const write = async (text) => {
    if (!response.write(text)) await drained(response);
  };
  if (url.pathname === '/throughput') {
    for (let seq = 0; seq < EVENTS && !response.destroyed; seq++) await write(chunk(seq, WORDS[seq % WORDS.length]));
  } else if (url.pathname === '/latency') {
    const started = performance.now();
    for (let seq = 0; seq < LATENCY_EVENTS && !response.destroyed; seq++) {
      const due = started + seq;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sentAt.set(seq, performance.now());
      await write(chunk(seq, WORDS[seq % WORDS.length]));
    }
  } else if (url.pathname === '/first') {
    sentAt.set(0, performance.now());
    await write(chunk(0, WORDS[0]));
  } else {
    await write(chunk(0, 'hold '));
    await once(response, 'close'); // open until the client goes
    return;
  }
  await write('data: [DONE]\n\n');
  response.end();
});

/** Reads an event stream from `url`; calls onEvent(seq, now) per event; resolves with the count. */
function readEvents(url, onEvent = () => {}, agent = undefined) {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { agent }, (response) => {
      let tail = '';
      let count = 0;
      response.setEncoding('utf8');
      response.on('data', (text) => {
        const now = performance.now();
        const parts = (tail + text).split('\n\n');
        tail = parts.pop();
        for (const event of parts) {
          const seq = /"id":"t-(\d+)"/.exec(event);
          if (seq) onEvent(Number(seq[1]), now);
          count++;
        }
      });
      response.on('end', () => {
        if (count < 2) console.error(`warning: ${url} gave only ${count} events (status ${response.statusCode})`);
        resolve(count);
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

const MODES = { sse: [], openai: ['--sse-json', 'openai'] };

async function startProxy(engine, mode) {
  // The launcher itself, as users run it.
  const child = spawn(BIN, ['proxy', '--upstream', upstream.url, '--listen', '127.0.0.1:0', ...MODES[mode], '--engine', engine], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (text) => {
      stderr += text;
      const listening = /listening on (http:\/\/\S+),/.exec(stderr);
      if (listening) resolve(listening[1]);
    });
    child.on('exit', (code) => reject(new Error(`proxy exited ${code}: ${stderr}`)));
  });
  return { url, child };
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function throughput(base) {
  const started = performance.now();
  const events = await readEvents(`${base}/throughput`);
  return events / ((performance.now() - started) / 1000);
}

async function latency(base) {
  sentAt.clear();
  const latencies = [];
  await readEvents(`${base}/latency`, (seq, now) => {
    if (seq >= WARMUP_EVENTS && sentAt.has(seq)) latencies.push(now - sentAt.get(seq));
  });
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function memoryPerStream(proxy) {
  await sleep(1_000);
  const before = rssOf(proxy.child.pid);
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const requests = [];
  const firstEvents = [];
  for (let i = 0; i < STREAMS; i++) {
    firstEvents.push(
      new Promise((resolve, reject) => {
        const request = httpRequest(`${proxy.url}/hold`, { agent }, (response) => response.once('data', resolve));
        request.on('error', reject);
        request.end();
        requests.push(request);
      }),
    );
  }
  await Promise.all(firstEvents);
  await sleep(500);
  const after = rssOf(proxy.child.pid);
  for (const request of requests) request.destroy();
  agent.destroy();
  return (after - before) / STREAMS;
}

/** The first event's latency on a fresh proxy's first response. */
async function firstEvent(base) {
  sentAt.clear();
  let latency = Number.NaN;
  await readEvents(`${base}/first`, (seq, now) => {
    if (seq === 0) latency = now - sentAt.get(0);
  });
  return latency;
}

const chosenEngines = (option('--engine', null) ?? (await defaultEngines())).split(',');

const format = (value, digits = 2) => value.toFixed(digits);
console.log(`proxy benchmark: ${EVENTS} events (throughput), ${LATENCY_EVENTS} at 1,000/s (latency, first ${WARMUP_EVENTS} not counted), ${STREAMS} open streams (memory)`);
const chosenModes = option('--mode', null) ? [option('--mode', null)] : Object.keys(MODES);
for (const engine of chosenEngines)
  for (const mode of chosenModes) {
    const proxy = await startProxy(engine, mode);
    const first = await firstEvent(proxy.url);
    await readEvents(`${proxy.url}/throughput`); // warm-up: JIT, lazy automaton states
    // Straight right before through, so that both see the same load on a shared machine.
    const straightThroughput = await throughput(upstream.url);
    const straightLatency = await latency(upstream.url);
    const proxyThroughput = await throughput(proxy.url);
    const proxyLatency = await latency(proxy.url);
    const perStream = await memoryPerStream(proxy);
    console.log(
      `through proxy (${engine}, ${mode === 'sse' ? 'per event' : '--sse-json openai'}): ${format(proxyThroughput, 0)} events/s (${format((100 * proxyThroughput) / straightThroughput, 1)}% of straight), ` +
        `(straight: ${format(straightThroughput, 0)} events/s, p50 ${format(straightLatency.p50)} ms, p99 ${format(straightLatency.p99)} ms), ` +
        `latency p50 ${format(proxyLatency.p50)} ms, p99 ${format(proxyLatency.p99)} ms; added p50 ${format(proxyLatency.p50 - straightLatency.p50)} ms, p99 ${format(proxyLatency.p99 - straightLatency.p99)} ms; ` +
        `memory ${format(perStream / 1024, 1)} KiB per open stream; first event of a fresh proxy ${format(first)} ms`,
    );
    proxy.child.kill('SIGTERM');
    await once(proxy.child, 'exit');
  }
await upstream.close();
