#!/usr/bin/env node
/**
 * Socket-mode benchmark (DESIGN §8 "Scale"): `bin/sseredact --listen tcp://127.0.0.1:0` with its
 * stdout on /dev/null, fed over loopback by this process, in one run and for each engine:
 *
 * 1. many: --connections (default 1,000) concurrent connections, each sending --size (default
 *    1 MiB) of the generated CI-log corpus (bench/corpus.mjs: secrets planted every ~100 KiB);
 * 2. one: a single connection sending the same total (connections x size);
 *
 * each timed from the first connect to the last connection closed by the server (it closes a
 * connection once its stream is redacted and written), on a fresh server. Printed: aggregate MB/s
 * of both, their ratio (target >= 70%), MB per CPU-second of the server (user + system, from
 * /proc: a figure a loaded machine disturbs less than wall time), and the server's peak RSS
 * (VmHWM) in each.
 * 3. memory per open stream: RSS of a fresh server with --connections connections open, each having
 *    sent one unfinished line (so each has a redactor, a holdback and an unfinished output line),
 *    minus its RSS before they connected, divided by their number.
 *
 * Usage: node bench/sockets.mjs [--connections 1000] [--size 1MiB] [--engine ts,vectorscan] [--seed 1]
 * Prints numbers; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateCorpus, parseFlags, parseSize } from './corpus.mjs';
import { BIN, defaultEngines } from './tool.mjs';

const flags = parseFlags(process.argv.slice(2));
if (flags.has('help')) {
  process.stdout.write('usage: node bench/sockets.mjs [--connections 1000] [--size 1MiB] [--engine ts,vectorscan] [--seed 1]\n');
  process.exit(0);
}
const CONNECTIONS = Number(flags.get('connections') ?? 1000);
const SIZE = parseSize(flags.get('size') ?? '1MiB');
const SEED = Number(flags.get('seed') ?? 1);
const ENGINES = String(flags.get('engine') ?? (await defaultEngines())).split(',');
const PAYLOAD = Buffer.concat([...generateCorpus({ bytes: SIZE, seed: SEED })]);

/** Starts a server; resolves with its pid, port and a stop function once it listens. */
async function startServer(engine) {
  const child = spawn(process.execPath, [BIN, '--listen', 'tcp://127.0.0.1:0', '--engine', engine, '--max-connections', String(CONNECTIONS + 10)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => (stderr += text));
  while (!/listening on tcp:\/\/127\.0\.0\.1:(\d+)/.test(stderr)) {
    if (child.exitCode !== null) throw new Error(`sseredact exited: ${stderr}`);
    await Promise.race([once(child.stderr, 'data'), once(child, 'exit')]);
  }
  const port = Number(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)[1]);
  return {
    port,
    memory: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
      return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') };
    },
    /** User + system CPU seconds the server has used (/proc/PID/stat, in clock ticks of 1/100 s). */
    cpuSeconds: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      if (child.exitCode !== 0) throw new Error(`sseredact exited ${child.exitCode}: ${stderr}`);
    },
  };
}

function connect(port) {
  const socket = createConnection({ port, host: '127.0.0.1' });
  socket.resume();
  return socket;
}

/** Sends `payload` `times` times on a new connection; resolves when the server has closed it. */
async function send(port, payload, times) {
  const socket = connect(port);
  await once(socket, 'connect');
  const closed = once(socket, 'close');
  for (let i = 0; i < times; i++) if (!socket.write(payload)) await once(socket, 'drain');
  socket.end();
  await closed;
}

/** Runs `connections` x `times` sends on a fresh server; returns MB/s and the server's peak RSS. */
async function measure(engine, connections, times) {
  const server = await startServer(engine);
  const cpuBefore = server.cpuSeconds();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: connections }, () => send(server.port, PAYLOAD, times)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = server.cpuSeconds() - cpuBefore;
  const { peakKiB } = server.memory();
  await server.stop();
  const megabytes = (connections * times * PAYLOAD.length) / 1e6;
  return { megabytesPerSecond: megabytes / seconds, megabytesPerCpuSecond: megabytes / cpu, peakMiB: peakKiB / 1024 };
}

/** RSS per open stream: `connections` connections, each with an unfinished line sent. */
async function memoryPerStream(engine) {
  const server = await startServer(engine);
  await sleep(500);
  const before = server.memory().rssKiB;
  const sockets = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const socket = connect(server.port);
    socket.write(PAYLOAD.subarray(0, 4096));
    socket.write('an unfinished line with the start of a key AKIAZ7VQ');
    sockets.push(socket);
  }
  await Promise.all(sockets.map((socket) => (socket.connecting ? once(socket, 'connect') : null)));
  // Let the server read what was sent.
  await sleep(2000);
  const after = server.memory().rssKiB;
  for (const socket of sockets) socket.end();
  await Promise.all(sockets.map((socket) => once(socket, 'close')));
  await server.stop();
  return { before, after, perStreamKiB: (after - before) / CONNECTIONS };
}

const MiB = 1024 * 1024;
console.log(
  `socket mode: ${CONNECTIONS} connections x ${(SIZE / MiB).toFixed(2)} MiB over loopback vs 1 connection x ${((CONNECTIONS * SIZE) / MiB).toFixed(0)} MiB; stdout to /dev/null`,
);
console.log('| engine | many: MB/s | one: MB/s | many/one | many: MB per server CPU-s | one: MB per server CPU-s | peak RSS many | peak RSS one | RSS per open stream |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const engine of ENGINES) {
  const one = await measure(engine, 1, CONNECTIONS);
  const many = await measure(engine, CONNECTIONS, 1);
  const memory = await memoryPerStream(engine);
  console.log(
    `| ${engine} | ${many.megabytesPerSecond.toFixed(1)} | ${one.megabytesPerSecond.toFixed(1)} | ${((100 * many.megabytesPerSecond) / one.megabytesPerSecond).toFixed(0)}% | ` +
      `${many.megabytesPerCpuSecond.toFixed(1)} | ${one.megabytesPerCpuSecond.toFixed(1)} | ` +
      `${many.peakMiB.toFixed(0)} MiB | ${one.peakMiB.toFixed(0)} MiB | ${memory.perStreamKiB.toFixed(1)} KiB (${(memory.before / 1024).toFixed(0)} -> ${(memory.after / 1024).toFixed(0)} MiB) |`,
  );
}
