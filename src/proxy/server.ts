/**
 * The proxy's listening side: where it listens (`--listen`), and a graceful close that lets open
 * responses finish, up to a deadline, then cuts off what is left.
 */
import { once } from 'node:events';
import { type RequestListener, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SseredactError } from '../errors.js';

/** A TCP host and port, or a unix socket path. */
export type ListenAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, `tcp://HOST:PORT`, a bare `PORT` (on 127.0.0.1) or `unix:PATH`.
 * Port 0 picks a free port.
 * @throws SseredactError('usage') naming the spec.
 */
export function parseListen(spec: string): ListenAddress {
  if (spec.startsWith('unix:') && spec.length > 5) return { path: spec.slice(5) };
  const match = /^(?:tcp:\/\/)?(?:(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):)?(\d{1,5})$/.exec(spec);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new SseredactError('usage', `--listen: '${spec}' is not HOST:PORT, [IPv6]:PORT, PORT or unix:PATH`);
  return { host: (match[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

/** A listening proxy server. */
export interface ProxyServer {
  readonly server: Server;
  /** Where it listens: `http://HOST:PORT` (the port picked when 0 was asked for) or `unix:PATH`. */
  readonly url: string;
  /**
   * Stops accepting connections, lets open responses finish (their connections then close), and
   * after `deadlineMs` cuts off those still open. Resolves with how many were cut off.
   */
  close(deadlineMs: number): Promise<number>;
}

/**
 * Listens on `address` with `handler`.
 * @throws SseredactError('io') when it cannot listen there (address in use, no permission).
 */
export async function startServer(handler: RequestListener, address: ListenAddress): Promise<ProxyServer> {
  let isClosing = false;
  let open = 0;
  const server = createServer({ noDelay: true }, (request, response) => {
    open++;
    // While closing, each response is its connection's last.
    if (isClosing) response.setHeader('connection', 'close');
    response.on('close', () => open--);
    handler(request, response);
  });
  try {
    server.listen('path' in address ? { path: address.path } : { host: address.host, port: address.port });
    await once(server, 'listening');
  } catch (error) {
    const where = 'path' in address ? `unix:${address.path}` : `${address.host}:${address.port}`;
    throw new SseredactError('io', `cannot listen on ${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const bound = server.address();
  const url = typeof bound === 'string' || bound === null ? `unix:${bound ?? ''}` : httpUrlOf(bound);
  const close = async (deadlineMs: number): Promise<number> => {
    isClosing = true;
    const closed = once(server, 'close');
    server.close();
    // A kept-alive connection goes idle once its response is done: close it then.
    const closeIdle = setInterval(() => server.closeIdleConnections(), 20);
    let cutOff = 0;
    const deadline = setTimeout(() => {
      cutOff = open;
      server.closeAllConnections();
    }, deadlineMs);
    await closed;
    clearInterval(closeIdle);
    clearTimeout(deadline);
    return cutOff;
  };
  return { server, url, close };
}

function httpUrlOf(address: AddressInfo): string {
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}
