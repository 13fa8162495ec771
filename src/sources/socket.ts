/**
 * Socket sources (`--listen`): listeners on TCP addresses and Unix socket paths, and for each
 * accepted connection the chunks its peer sends, in order. A connection is one stream; this module
 * only yields its chunks and says why they ended, it knows nothing of what reads them.
 *
 * Flow: a connection's socket is paused whenever a chunk is waiting to be taken, so a reader that
 * takes chunks slowly slows that peer (TCP backpressure) and holds at most one chunk of it.
 *
 * How the chunks of a connection end:
 * - the peer ends its side (FIN): they end, `endReason` is 'eof';
 * - nothing arrived for `idleTimeoutMs` while the reader was waiting: 'idle' (time the reader spends
 *   elsewhere, e.g. waiting for a slow output, is not idleness);
 * - `stop()` (graceful shutdown): they end after what was already read, 'stopped';
 * - the peer resets the connection, or it fails: the iteration throws SseredactError('io').
 * The socket stays open for writing after the chunks end (`allowHalfOpen`), so a reply can follow.
 *
 * Unix socket files are created 0600 and removed when their listener closes (or the process
 * exits); a stale file left by a crashed run is replaced, one a live process listens on is never.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { type AddressInfo, type Server, type Socket, createConnection, createServer } from 'node:net';
import { SseredactError } from '../errors.js';

/** A parsed `--listen` address. */
export type ListenAddress = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/**
 * Parses `tcp://HOST:PORT` (IPv6 hosts in brackets, port 0 for any free port) or `unix:PATH`.
 * @throws SseredactError('usage') for anything else.
 */
export function parseListenAddress(text: string): ListenAddress {
  const tcp = /^tcp:\/\/(?:\[([0-9A-Fa-f:.]+)\]|([^[\]:/]+)):(\d{1,5})$/.exec(text);
  if (tcp) {
    const port = Number(tcp[3]);
    if (port > 65535) throw new SseredactError('usage', `--listen ${text}: port ${port} is out of range`);
    return { kind: 'tcp', host: tcp[1] ?? tcp[2] ?? '', port };
  }
  const unix = /^unix:(.+)$/.exec(text);
  if (unix?.[1] !== undefined) return { kind: 'unix', path: unix[1] };
  throw new SseredactError('usage', `--listen ${text}: expected tcp://HOST:PORT or unix:PATH`);
}

/** Why the chunks of a connection ended without an error. */
export type ConnectionEnd = 'eof' | 'idle' | 'stopped';

/** One accepted connection. */
export interface Connection {
  /** The address of the listener that accepted it, as `--listen` spells it (with the real port). */
  readonly listener: string;
  /** The peer: `HOST:PORT` for TCP, `unix` for a Unix socket. */
  readonly peer: string;
  /** What the peer sends, chunk by chunk; iterate once. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** The socket, for writing a reply after (or while) the chunks flow. */
  readonly socket: Socket;
  /** Why the chunks ended, once they have (null while they flow or after an error). */
  readonly endReason: ConnectionEnd | null;
  /** The socket's error (a reset), once it had one. */
  readonly failure: Error | null;
  /** Ends the chunks after what was already read (graceful shutdown). */
  stop(): void;
  /** Resets the connection at once (a refused connection); the peer sees ECONNRESET. */
  reset(): void;
}

export interface ListenOptions {
  /** Ends a connection's chunks after this long without data while its reader waits; 0: never. */
  readonly idleTimeoutMs: number;
  readonly onConnection: (connection: Connection) => void;
}

/** A listening socket. */
export interface SocketListener {
  /** Where it listens, with the real port: `tcp://127.0.0.1:40123`, `unix:/run/x.sock`. */
  readonly address: string;
  /** Stops accepting (open connections go on) and removes a Unix socket file. */
  close(): Promise<void>;
}

/**
 * Listens on `address`; resolves once it accepts connections.
 * @throws SseredactError('usage') when the address is taken (EADDRINUSE, a live Unix socket) or
 * cannot be listened on (EACCES, a path that is not a socket).
 */
export async function listenOn(address: ListenAddress, options: ListenOptions): Promise<SocketListener> {
  const idle = options.idleTimeoutMs > 0 ? createIdleSweep(options.idleTimeoutMs) : null;
  let name = '';
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const peer = socket.remoteAddress === undefined ? 'unix' : `${socket.remoteAddress.includes(':') ? `[${socket.remoteAddress}]` : socket.remoteAddress}:${socket.remotePort}`;
    options.onConnection(openConnection(socket, name, peer, idle));
  });
  if (address.kind === 'unix') {
    await claimUnixPath(address.path);
    // Created 0600: the umask applies to the bind, which listen() does before it returns.
    const umask = process.umask(0o177);
    try {
      server.listen(address.path);
    } finally {
      process.umask(umask);
    }
  } else {
    server.listen(address.port, address.host);
  }
  await whenListening(server, address);
  name = address.kind === 'unix' ? `unix:${address.path}` : tcpName(server.address() as AddressInfo);
  const removeFile = address.kind === 'unix' ? unixFileRemover(address.path) : () => {};
  process.on('exit', removeFile);
  return {
    address: name,
    close: async () => {
      idle?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      removeFile();
      process.off('exit', removeFile);
    },
  };
}

function tcpName(info: AddressInfo): string {
  return `tcp://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
}

function whenListening(server: Server, address: ListenAddress): Promise<void> {
  const spelled = address.kind === 'unix' ? `unix:${address.path}` : `tcp://${address.host}:${address.port}`;
  return new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reasons: Record<string, string> = { EADDRINUSE: 'address in use', EACCES: 'permission denied', EADDRNOTAVAIL: 'no such local address', ENOENT: 'no such directory' };
      reject(new SseredactError('usage', `cannot listen on ${spelled}: ${(error.code && reasons[error.code]) ?? error.message}`, { cause: error }));
    });
  });
}

/**
 * Makes `path` free to listen on: nothing there, or a stale socket file (nobody accepts on it),
 * which is removed. A live socket or any other file is left alone.
 */
async function claimUnixPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there (or unreadable: listen() will say)
  }
  if (!isSocket) throw new SseredactError('usage', `cannot listen on unix:${path}: it exists and is not a socket`);
  if (await acceptsConnections(path)) throw new SseredactError('usage', `cannot listen on unix:${path}: another process is listening there`);
  unlinkSync(path);
}

function acceptsConnections(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes the socket file at `path` if it is still the one this listener made (same inode). */
function unixFileRemover(path: string): () => void {
  const inode = lstatSync(path).ino;
  return () => {
    try {
      if (lstatSync(path).ino === inode) unlinkSync(path);
    } catch {
      // already gone
    }
  };
}

/** One timer for all connections of a listener: ends those whose reader has waited too long. */
interface IdleSweep {
  readonly waiting: Set<Waiter>;
  stop(): void;
}

interface Waiter {
  readonly since: number;
  readonly onIdle: () => void;
}

function createIdleSweep(timeoutMs: number): IdleSweep {
  const waiting = new Set<Waiter>();
  const timer = setInterval(
    () => {
      const now = Date.now();
      for (const waiter of waiting) if (now - waiter.since >= timeoutMs) waiter.onIdle();
    },
    Math.max(10, Math.min(1000, timeoutMs / 4)),
  );
  timer.unref();
  return { waiting, stop: () => clearInterval(timer) };
}

function openConnection(socket: Socket, listener: string, peer: string, idle: IdleSweep | null): Connection {
  let queued: Buffer | null = null;
  let endReason: ConnectionEnd | null = null;
  let isPeerDone = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  socket.on('data', (chunk: Buffer) => {
    queued = queued ? Buffer.concat([queued, chunk]) : chunk;
    socket.pause();
    notify();
  });
  socket.on('end', () => {
    isPeerDone = true;
    notify();
  });
  socket.on('error', (error) => {
    failure = error;
    notify();
  });
  socket.on('close', () => {
    isPeerDone = true;
    notify();
  });
  const stop = (reason: ConnectionEnd): void => {
    endReason ??= reason;
    notify();
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (queued) {
        const chunk: Buffer = queued;
        queued = null;
        yield chunk;
        continue;
      }
      if (failure) throw new SseredactError('io', `connection from ${peer} failed: ${failure.message}`, { cause: failure });
      if (endReason) return;
      if (isPeerDone) {
        // A close without an end is a reset whose error was not reported; say so as one.
        if (!socket.readableEnded) throw new SseredactError('io', `connection from ${peer} closed before its end`);
        endReason = 'eof';
        return;
      }
      socket.resume();
      const waiter: Waiter = { since: Date.now(), onIdle: () => stop('idle') };
      idle?.waiting.add(waiter);
      await new Promise<void>((resolve) => (wake = resolve));
      idle?.waiting.delete(waiter);
    }
  }
  return {
    listener,
    peer,
    chunks: chunks(),
    socket,
    get endReason() {
      return endReason;
    },
    get failure() {
      return failure;
    },
    stop: () => stop('stopped'),
    reset: () => socket.resetAndDestroy(),
  };
}
