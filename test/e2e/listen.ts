/**
 * Drives `sseredact --listen` (the real bin/sseredact) for socket tests: starts it, learns its real
 * addresses from the `listening on` lines, connects to them, and waits for output. Every wait has a
 * deadline so that a hang fails the test with what was awaited instead of timing it out silently;
 * no test asserts on time.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type Socket, createConnection } from 'node:net';
import { execa } from 'execa';
import { BIN } from './cli.js';

export interface ListeningServer {
  readonly child: { kill(signal: NodeJS.Signals): boolean; readonly pid?: number | undefined };
  /** The server's resident and peak resident memory now, in KiB (/proc/PID/status). */
  memory(): { rssKiB: number; peakKiB: number };
  /** The addresses it listens on, with real ports: `tcp://127.0.0.1:40123`, `unix:/tmp/x.sock`. */
  readonly addresses: readonly string[];
  stdout(): Buffer;
  /** Stops reading the server's stdout (a slow consumer), or reads it again. */
  readStdout(isReading: boolean): void;
  stderr(): string;
  /** Waits until `isDone()` holds, checking after each output; throws naming `what` after `ms`. */
  waitFor(isDone: () => boolean, what: string, ms?: number): Promise<void>;
  /** Sends `signal` and waits for the exit; returns its status. */
  stop(signal?: NodeJS.Signals): Promise<number | undefined>;
}

/** Starts `sseredact ARGS` (which must have --listen) and waits for its `listening on` lines. */
export async function startListening(args: readonly string[], env: Record<string, string> = {}): Promise<ListeningServer> {
  const child = execa(BIN, args, { reject: false, encoding: 'buffer', buffer: false, env, forceKillAfterDelay: false });
  const out: Buffer[] = [];
  let err = '';
  let exited = false;
  // Each output or the exit wakes every waiter.
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const resolve of waiters) resolve();
  };
  child.stdout.on('data', (data: Buffer) => {
    out.push(data);
    wake();
  });
  child.stderr.on('data', (data: Buffer) => {
    err += data.toString('latin1');
    wake();
  });
  const finished = child.then((result) => {
    exited = true;
    wake();
    return result;
  });
  const waitFor = async (isDone: () => boolean, what: string, ms = 20_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!isDone()) {
      const left = deadline - Date.now();
      if (left <= 0 || exited) throw new Error(`${exited ? 'sseredact exited' : `waited ${ms} ms`} for ${what}; stderr:\n${err}`);
      let resolve = (): void => {};
      const woken = new Promise<void>((done) => (resolve = done));
      waiters.add(resolve);
      const timer = setTimeout(resolve, Math.min(left, 100));
      await woken;
      clearTimeout(timer);
      waiters.delete(resolve);
    }
  };
  const listens = args.filter((arg) => arg === '--listen').length;
  await waitFor(() => (err.match(/^sseredact: listening on /gm) ?? []).length === listens, 'the listening lines');
  return {
    child,
    addresses: [...err.matchAll(/^sseredact: listening on (\S+)$/gm)].map((match) => match[1]!),
    stdout: () => Buffer.concat(out),
    readStdout: (isReading) => void (isReading ? child.stdout.resume() : child.stdout.pause()),
    memory: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') };
    },
    stderr: () => err,
    waitFor,
    async stop(signal = 'SIGTERM') {
      if (!exited) child.kill(signal);
      return (await finished).exitCode;
    },
  };
}

/** Connects to a `tcp://HOST:PORT` or `unix:PATH` address, half-open so a reply can follow our end. */
export async function connect(address: string): Promise<Socket> {
  const tcp = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  const socket = tcp
    ? createConnection({ host: tcp[1]!, port: Number(tcp[2]), allowHalfOpen: true })
    : createConnection({ path: address.replace(/^unix:/, ''), allowHalfOpen: true });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  // A reset (a refused connection, a server killed) is for the test to look at, not a crash.
  socket.on('error', () => {});
  return socket;
}

/** Everything `socket` receives until the server ends it. */
export async function readAll(socket: Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of socket) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Stdout of a `--label` run, split per stream: each line's `conn-N | ` taken off, lines kept in order. */
export function demultiplex(stdout: Buffer): Map<string, Buffer> {
  const pieces = new Map<string, Buffer[]>();
  const text = stdout.toString('latin1');
  for (const line of text.split(/(?<=\n)/)) {
    if (line === '') continue;
    const label = /^(conn-\d+) \| /.exec(line);
    if (!label) throw new Error(`an unlabelled line on stdout: ${JSON.stringify(line)}`);
    const list = pieces.get(label[1]!) ?? [];
    list.push(Buffer.from(line.slice(label[0].length), 'latin1'));
    pieces.set(label[1]!, list);
  }
  return new Map([...pieces].map(([id, list]) => [id, Buffer.concat(list)]));
}

/** NDJSON lines parsed. */
export function records(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
