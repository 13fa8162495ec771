/**
 * Socket mode end to end: the real bin/sseredact with `--listen`, real TCP (127.0.0.1) and Unix
 * sockets, on both engines.
 *
 * - 200 concurrent connections, each a different mix of clean lines and secrets sent in random
 *   chunks with random pauses: every stream's output (demultiplexed from labelled stdout, or its
 *   `--reply`) equals redacting that stream alone. The reference is the library's `redact()` (the
 *   same pipeline, src/pipeline/open-stream.ts) for every stream, and the CLI reading the stream on
 *   stdin for a sample of them (for all of them with SSEREDACT_SOCKET_STDIN_ALL=1: slow).
 *   The seed is printed; SSEREDACT_SOCKET_SEED=N replays one.
 * - a connection reset mid-stream, the idle timeout, --max-connections, SIGTERM's flush and the
 *   second signal, Unix socket files (0600, removed, stale replaced, live never stolen), `--reply`
 *   with a reader that stops reading (backpressure: the server stops reading that sender only),
 *   and the telemetry (--stats-json, SIGUSR1).
 */
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type Socket, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { compileRules, redact } from '../../src/index.js';
import { AWS_KEY, sseredact } from './cli.js';
import { type ListeningServer, connect, demultiplex, readAll, records, startListening } from './listen.js';

const ENGINES = ['ts', 'vectorscan'] as const;
const STREAMS = 200;
const SEED = Number(process.env.SSEREDACT_SOCKET_SEED ?? Math.floor(Math.random() * 2 ** 31));
const STDIN_SAMPLE = process.env.SSEREDACT_SOCKET_STDIN_ALL ? STREAMS : 4;
console.log(`sockets.test.ts: seed ${SEED} (SSEREDACT_SOCKET_SEED=${SEED} replays it)`);

const running: ListeningServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
});

interface OpenStreamStats {
  readonly id: string;
  readonly bytesIn: number;
  readonly end: string | null;
}

/** The stats line SIGUSR1 makes a `--stats-json` server print. */
async function statsOf(server: ListeningServer): Promise<{ streams: OpenStreamStats[] }> {
  const count = (): number => (server.stderr().match(/^\{"type":"stats"/gm) ?? []).length;
  const before = count();
  server.child.kill('SIGUSR1');
  await server.waitFor(() => count() > before, 'the stats');
  return JSON.parse(
    server
      .stderr()
      .split('\n')
      .filter((line) => line.startsWith('{"type":"stats"'))
      .at(-1)!,
  ) as { streams: OpenStreamStats[] };
}

/** Waits until the one open stream has read something and then reads nothing more between two looks; returns its stats. */
async function untilStalled(server: ListeningServer): Promise<OpenStreamStats> {
  let last = -1;
  for (;;) {
    const open = (await statsOf(server)).streams.filter((stream) => stream.end === null);
    expect(open).toHaveLength(1);
    const stream = open[0]!;
    if (stream.bytesIn > 0 && stream.bytesIn === last) return stream;
    last = stream.bytesIn;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function start(args: readonly string[]): Promise<ListeningServer> {
  const server = await startListening(args);
  running.push(server);
  return server;
}

async function open(address: string): Promise<Socket> {
  const socket = await connect(address);
  sockets.push(socket);
  return socket;
}

function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'sseredact-sockets-'));
}

/** mulberry32: small, seeded, good enough to pick test data. */
function randomFrom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (below: number) => Math.floor(next() * below), pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]! };
}
type Random = ReturnType<typeof randomFrom>;

const CLEAN = [
  'GET /api/v1/items 200 12ms',
  'worker 3 started',
  'caf\xe9 cr\xe8me, latin1 bytes',
  '',
  '   indented',
  'progress 40%\rprogress 80%',
  'a AKIA that is not a key',
  'password: see vault',
];
const SECRETS = [
  `export AWS_ACCESS_KEY_ID=${AWS_KEY}`,
  'token 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 used',
  'slack xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn',
  'password = "hunter2-Prod-9x!"',
  'mongodb://admin:s3cr3tP4ss@db.example.com:27017/app',
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAw3j8kL2mQ9xZ\nabcdEFGH1234ijklMNOP5678\n-----END RSA PRIVATE KEY-----',
];

/** One stream's bytes: clean lines and secrets; some end without a newline, one is empty. */
function streamText(random: Random, index: number): Buffer {
  if (index === 0) return Buffer.alloc(0);
  const lines = Array.from({ length: random.int(60) + 1 }, () => (random.next() < 0.25 ? random.pick(SECRETS) : random.pick(CLEAN)));
  const text = lines.join('\n') + (random.next() < 0.15 ? '' : '\n');
  return Buffer.from(text, 'latin1');
}

/** Writes `data` in random chunks (1 byte to 2 KiB) with random pauses, then ends our side. */
async function sendChunked(socket: Socket, data: Buffer, random: Random): Promise<void> {
  for (let at = 0; at < data.length; ) {
    const size = 1 + random.int(random.next() < 0.3 ? 8 : 2048);
    if (!socket.write(data.subarray(at, at + size))) await once(socket, 'drain');
    at += size;
    if (random.next() < 0.1) await new Promise((resolve) => setTimeout(resolve, random.int(15)));
  }
  socket.end();
}

const compiled = new Map(ENGINES.map((engine) => [engine, compileRules({ engine })]));

/** The redacted bytes and findings of `data` as one stream alone, by the library. */
function reference(data: Buffer, engine: (typeof ENGINES)[number]) {
  const { output, findings } = redact(data, { compiled: compiled.get(engine)! });
  return { output, findings: findings.map((finding) => [finding.rule, finding.start, finding.end]) };
}

/** The CLI on stdin must give the library's bytes for a sample of the streams. */
async function checkStdinSample(texts: readonly Buffer[], expected: readonly Buffer[], engine: string): Promise<void> {
  const sample = texts.map((_text, index) => index).filter((index) => index % Math.ceil(texts.length / STDIN_SAMPLE) === 0);
  for (const index of sample) {
    const result = await sseredact(['--engine', engine], { input: texts[index]! });
    expect(Buffer.from(result.stdout as Uint8Array).toString('latin1'), `stream ${index}, seed ${SEED}`).toBe(expected[index]!.toString('latin1'));
  }
}

describe.each(ENGINES)('engine %s', (engine) => {
  test(`${STREAMS} concurrent TCP connections, random chunks and pauses: each labelled stream equals that stream redacted alone`, async () => {
    const random = randomFrom(SEED);
    const texts = Array.from({ length: STREAMS }, (_unused, index) => streamText(random, index));
    const expected = texts.map((text) => reference(text, engine));
    await checkStdinSample(
      texts,
      expected.map((want) => want.output),
      engine,
    );
    const recordsPath = join(temporaryDirectory(), 'records.ndjson');
    const server = await start(['--listen', 'tcp://127.0.0.1:0', '--label', '--records', recordsPath, '--engine', engine]);
    const clients = await Promise.all(texts.map(() => open(server.addresses[0]!)));
    const ports = clients.map((client) => client.localPort);
    await Promise.all(
      clients.map(async (client, index) => {
        client.resume();
        const closed = once(client, 'close');
        await sendChunked(client, texts[index]!, randomFrom(SEED + index + 1));
        await closed;
      }),
    );
    expect(await server.stop('SIGTERM')).toBe(0);
    const written = records(readFileSync(recordsPath, 'utf8'));
    const idOfPort = new Map(written.filter((record) => record.type === 'stream').map((record) => [Number(String(record.peer).split(':')[1]), String(record.stream)]));
    const outputs = demultiplex(server.stdout());
    for (const [index, text] of texts.entries()) {
      const id = idOfPort.get(ports[index]!);
      const want = expected[index]!;
      // A stream's last line without a newline is ended with one on stdout (sinks/line-atomic.ts).
      const wantText = want.output.toString('latin1') + (want.output.length > 0 && !want.output.toString('latin1').endsWith('\n') ? '\n' : '');
      expect(outputs.get(id ?? '')?.toString('latin1') ?? '', `stream ${index} (${id}, ${text.length} bytes), seed ${SEED}`).toBe(wantText);
      const found = written.filter((record) => record.type === 'finding' && record.stream === id).map((record) => [record.rule, record.start, record.end]);
      expect(found, `findings of stream ${index}, seed ${SEED}`).toEqual(want.findings);
    }
    const summary = written.at(-1)!;
    expect(summary.type).toBe('summary');
    expect(summary.streams).toBe(STREAMS);
    expect(summary.bytes).toBe(texts.reduce((sum, text) => sum + text.length, 0));
  });

  test(`${STREAMS} concurrent Unix connections with --reply: each gets back its own stream redacted alone`, async () => {
    const random = randomFrom(SEED ^ 0x5eed);
    const texts = Array.from({ length: STREAMS }, (_unused, index) => streamText(random, index));
    const path = join(temporaryDirectory(), 'reply.sock');
    const server = await start(['--listen', `unix:${path}`, '--reply', '--engine', engine]);
    const replies = await Promise.all(
      texts.map(async (text, index) => {
        const client = await open(server.addresses[0]!);
        const reply = readAll(client);
        await sendChunked(client, text, randomFrom(SEED + 7 * index));
        return reply;
      }),
    );
    for (const [index, text] of texts.entries()) {
      expect(replies[index]!.toString('latin1'), `stream ${index}, seed ${SEED}`).toBe(reference(text, engine).output.toString('latin1'));
    }
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.stdout().length).toBe(0);
  });

  test('a connection reset mid-stream: what was released is written, the held-back start of a key is dropped, the others go on', async () => {
    const directory = temporaryDirectory();
    const server = await start(['--listen', 'tcp://127.0.0.1:0', '--label', '--records', join(directory, 'records.ndjson'), '--engine', engine]);
    const aborted = await open(server.addresses[0]!);
    aborted.write('clean line\nkey starts AKIAZ7VQ3X');
    await server.waitFor(() => server.stdout().toString().includes('clean line\n'), 'the clean line');
    aborted.resetAndDestroy();
    const other = await open(server.addresses[0]!);
    other.resume();
    other.end(`after the reset ${AWS_KEY}\n`);
    await once(other, 'close');
    expect(await server.stop('SIGTERM')).toBe(0);
    const lines = server.stdout().toString('latin1').split('\n');
    expect(lines).toContain('conn-1 | clean line');
    expect(lines).toContain('conn-2 | after the reset [REDACTED:aws-access-key-id]');
    expect(server.stdout().toString('latin1')).not.toContain('AKIAZ7VQ3X');
    const streams = records(readFileSync(join(directory, 'records.ndjson'), 'utf8')).filter((record) => record.type === 'stream');
    expect(streams.map((record) => [record.stream, record.end])).toEqual([
      ['conn-1', 'reset'],
      ['conn-2', 'eof'],
    ]);
  });

  test('--idle-timeout ends a silent connection through the end-of-stream path and closes it', async () => {
    const directory = temporaryDirectory();
    const server = await start(['--listen', 'tcp://127.0.0.1:0', '--idle-timeout', '0.2', '--records', join(directory, 'records.ndjson'), '--engine', engine]);
    const silent = await open(server.addresses[0]!);
    silent.resume();
    silent.write(`first line\nkey at the end ${AWS_KEY}`);
    // Nothing more is sent and our side stays open: only the timeout can end the stream.
    await once(silent, 'end');
    await server.waitFor(() => server.stdout().toString().includes('[REDACTED'), 'the flushed last line');
    expect(server.stdout().toString('latin1')).toBe('first line\nkey at the end [REDACTED:aws-access-key-id]\n');
    expect(await server.stop('SIGTERM')).toBe(0);
    const streams = records(readFileSync(join(directory, 'records.ndjson'), 'utf8')).filter((record) => record.type === 'stream');
    expect(streams.map((record) => record.end)).toEqual(['idle']);
  });
});

describe('limits, signals and socket files', () => {
  test('--max-connections: one more is refused (reset) with a log line, and a slot freed is taken again', async () => {
    const server = await start(['--listen', 'tcp://127.0.0.1:0', '--max-connections', '2', '--label', '--stats-json', '--verbose', '--engine', 'ts']);
    const first = await open(server.addresses[0]!);
    const second = await open(server.addresses[0]!);
    await server.waitFor(() => server.stderr().includes('conn-2 opened'), 'two open connections');
    // The third is reset, maybe before our side has seen it connected.
    const third = createConnection({ host: '127.0.0.1', port: Number(server.addresses[0]!.split(':').at(-1)) });
    sockets.push(third);
    const [refusal] = await Promise.race([once(third, 'error').catch((error: unknown) => [error]), once(third, 'end').then(() => [new Error('ended without a reset')])]);
    expect((refusal as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(server.stderr()).toMatch(/^sseredact: refused a connection from 127\.0\.0\.1:\d+ on tcp:\/\/127\.0\.0\.1:\d+: 2 connections open \(--max-connections\)$/m);
    first.resume();
    first.end('first\n');
    await once(first, 'close');
    await server.waitFor(() => server.stderr().includes('conn-1 closed'), 'the first to close');
    const fourth = await open(server.addresses[0]!);
    fourth.resume();
    fourth.end('fourth\n');
    await once(fourth, 'close');
    second.resume();
    second.end('second\n');
    await once(second, 'close');
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.stdout().toString().split('\n').sort()).toEqual(['', 'conn-1 | first', 'conn-2 | second', 'conn-3 | fourth']);
    const stats = JSON.parse(
      server
        .stderr()
        .split('\n')
        .find((line) => line.startsWith('{"type":"stats"'))!,
    ) as { connections: Record<string, number> };
    expect(stats.connections).toEqual({ active: 0, peak: 2, accepted: 3, refused: 1 });
  });

  test('SIGTERM: no new connections, every open stream flushed through its end, exit 0; the socket file is removed', async () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'flush.sock');
    const server = await start(['--listen', `unix:${path}`, '--label', '--records', join(directory, 'records.ndjson'), '--engine', 'ts']);
    const clients = await Promise.all([0, 1].map(() => open(server.addresses[0]!)));
    for (const [index, client] of clients.entries()) {
      client.resume();
      // Each ends in a key the redactor still holds back: only the end of the stream decides it.
      client.write(`stream ${index}\nits key ${AWS_KEY}`);
    }
    await server.waitFor(
      () =>
        (
          server
            .stdout()
            .toString()
            .match(/\| stream \d\n/g) ?? []
        ).length === 2,
      'both first lines',
    );
    expect(server.stdout().toString()).not.toContain('its key');
    const ended = Promise.all(clients.map((client) => once(client, 'end')));
    expect(await server.stop('SIGTERM')).toBe(0);
    await ended;
    const lines = server.stdout().toString().split('\n');
    expect(lines.filter((line) => line.endsWith('| its key [REDACTED:aws-access-key-id]'))).toHaveLength(2);
    const written = records(readFileSync(join(directory, 'records.ndjson'), 'utf8'));
    expect(written.filter((record) => record.type === 'stream').map((record) => record.end)).toEqual(['shutdown', 'shutdown']);
    expect(written.at(-1)).toMatchObject({ type: 'summary', streams: 2, findings: 2 });
    expect(server.stderr()).toContain('SIGTERM: no new connections; flushing 2 open stream(s)');
    expect(existsSync(path)).toBe(false);
  });

  test.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('a second %s exits at once with %i while a stream cannot flush (its --reply reader reads nothing)', async (signal, status) => {
    const path = join(temporaryDirectory(), 'stuck.sock');
    const server = await start(['--listen', `unix:${path}`, '--reply', '--stats-json', '--engine', 'ts']);
    const stuck = await open(server.addresses[0]!);
    stuck.pause();
    stuck.on('error', () => {});
    // Far more than the socket buffers hold, written at once: the server's reply to it stalls.
    stuck.write(Buffer.alloc(64 * 1024 * 1024, 'x\n'));
    await untilStalled(server);
    server.child.kill(signal);
    await server.waitFor(() => server.stderr().includes(`${signal}: no new connections`), 'the first signal');
    expect(await server.stop(signal)).toBe(status);
    expect(existsSync(path)).toBe(false);
  });

  test('Unix socket files: 0600 while listening; a live one is never stolen; a stale one is replaced; a plain file is left alone', async () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'app.sock');
    const first = await start(['--listen', `unix:${path}`, '--engine', 'ts']);
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    const second = await sseredact(['--listen', `unix:${path}`, '--engine', 'ts']);
    expect(second.exitCode).toBe(2);
    expect(Buffer.from(second.stderr as Uint8Array).toString()).toBe(`sseredact: cannot listen on unix:${path}: another process is listening there\n`);
    // The first still serves.
    const client = await open(first.addresses[0]!);
    client.end('still here\n');
    await first.waitFor(() => first.stdout().toString() === 'still here\n', 'the first server to answer');
    // Killed: its file stays behind, stale; the next run takes the path over.
    expect(await first.stop('SIGKILL')).toBeUndefined();
    expect(statSync(path).isSocket()).toBe(true);
    const next = await start(['--listen', `unix:${path}`, '--engine', 'ts']);
    const again = await open(next.addresses[0]!);
    again.end('served again\n');
    await next.waitFor(() => next.stdout().toString() === 'served again\n', 'the new server to answer');
    expect(await next.stop('SIGINT')).toBe(0);
    expect(existsSync(path)).toBe(false);
    const plain = join(directory, 'plain');
    writeFileSync(plain, 'data');
    const refused = await sseredact(['--listen', `unix:${plain}`]);
    expect(refused.exitCode).toBe(2);
    expect(Buffer.from(refused.stderr as Uint8Array).toString()).toBe(`sseredact: cannot listen on unix:${plain}: it exists and is not a socket\n`);
    expect(readFileSync(plain, 'utf8')).toBe('data');
  });

  test('--reply with a reader that stops reading: the server stops reading that sender only; the reader resuming gets every byte', async () => {
    const server = await start(['--listen', 'tcp://127.0.0.1:0', '--reply', '--stats-json', '--engine', 'ts']);
    const line = `payload ${AWS_KEY} ${'y'.repeat(80)}\n`;
    const block = Buffer.from(line.repeat(1000));
    const total = 64 * 1024 * 1024;
    const blocks = Math.ceil(total / block.length);
    const baseline = server.memory().rssKiB;
    const slow = await open(server.addresses[0]!);
    slow.pause();
    let written = 0;
    const sending = (async () => {
      for (; written < blocks; written++) if (!slow.write(block)) await once(slow, 'drain');
      slow.end();
    })();
    // The server stops reading the slow sender: what it has read stops growing, far short of all.
    const stalled = await untilStalled(server);
    expect(stalled.bytesIn).toBeLessThan(total / 2);
    expect(written).toBeLessThan(blocks);
    // Measured as the server's memory too, not only its own count: it grows by far less than was
    // sent (some growth is lazy automaton states and JIT code).
    expect(server.memory().peakKiB - baseline).toBeLessThan((2 * total) / 3 / 1024);
    // Another client is served in full meanwhile.
    const fast = await open(server.addresses[0]!);
    const fastReply = readAll(fast);
    fast.end(`fast ${AWS_KEY}\n`);
    expect((await fastReply).toString()).toBe('fast [REDACTED:aws-access-key-id]\n');
    // Reading again: everything arrives, redacted.
    const reply = readAll(slow);
    await sending;
    const got = await reply;
    const want = line.replace(AWS_KEY, '[REDACTED:aws-access-key-id]');
    expect(got.length).toBe(want.length * 1000 * blocks);
    expect(got.toString() === want.repeat(1000 * blocks)).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  test('a slow stdout pauses the reading of the connections (--max-buffer), and nothing is lost when it reads again', async () => {
    const server = await start(['--listen', 'tcp://127.0.0.1:0', '--max-buffer', '65536', '--stats-json', '--engine', 'ts']);
    const baseline = server.memory().rssKiB;
    server.readStdout(false);
    const line = `log ${AWS_KEY} ${'z'.repeat(60)}\n`;
    const block = Buffer.from(line.repeat(1000));
    const total = 64 * 1024 * 1024;
    const blocks = Math.ceil(total / block.length);
    const sender = await open(server.addresses[0]!);
    sender.resume();
    const sending = (async () => {
      for (let sent = 0; sent < blocks; sent++) if (!sender.write(block)) await once(sender, 'drain');
      sender.end();
    })();
    const stalled = await untilStalled(server);
    expect(stalled.bytesIn).toBeLessThan(total / 2);
    // Its memory grows by far less than what was sent (lazy automaton states and JIT code grow too).
    expect(server.memory().peakKiB - baseline).toBeLessThan((2 * total) / 3 / 1024);
    const closed = once(sender, 'close');
    server.readStdout(true);
    await sending;
    await closed;
    const want = line.replace(AWS_KEY, '[REDACTED:aws-access-key-id]');
    expect(server.stdout().length).toBe(want.length * 1000 * blocks);
    expect(await server.stop('SIGTERM')).toBe(0);
  });

  test.each([
    [['--reply'], 'sseredact: --reply and --label need --listen'],
    [['--listen', 'tcp://127.0.0.1:99999'], 'sseredact: --listen tcp://127.0.0.1:99999: port 99999 is out of range'],
    [['--listen', 'udp://127.0.0.1:5140'], 'sseredact: --listen udp://127.0.0.1:5140: expected tcp://HOST:PORT or unix:PATH'],
    [['--listen', 'tcp://127.0.0.1:0', 'app.log'], 'sseredact: --listen reads sockets, not files (got app.log)'],
    [['--listen', 'tcp://127.0.0.1:0', '--label', '--reply'], 'sseredact: --label labels lines on stdout, and with --reply nothing goes there'],
  ])('usage error %j: one line, exit 2', async (args, message) => {
    const result = await sseredact(args, { input: '' });
    expect(Buffer.from(result.stderr as Uint8Array).toString()).toBe(`${message}\n`);
    expect(result.exitCode).toBe(2);
  });
});
