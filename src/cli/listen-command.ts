/**
 * `sseredact --listen ADDRESS...`: socket mode. Listens on every address, hands each connection to
 * the stream registry (src/pipeline/stream-registry.ts), and runs until SIGINT or SIGTERM: then it
 * stops accepting, ends and flushes every open stream, writes the summary record and the stats,
 * removes its Unix socket files and exits 0 (1 with --fail-on-match and findings). A second signal
 * exits at once, 130 (SIGINT) or 143 (SIGTERM), dropping what streams still held back. SIGUSR1
 * prints the stats. The reader of stdout going away (EPIPE) ends the run quietly, like `| head`.
 */

import { SseredactError } from '../errors.js';
import type { StreamOpener } from '../pipeline/open-stream.js';
import { createStreamRegistry } from '../pipeline/stream-registry.js';
import { createSharedOutput } from '../sinks/line-atomic.js';
import type { ByteSink } from '../sinks/output.js';
import { statsJson, statsText } from '../sinks/stats-report.js';
import { type ListenAddress, type SocketListener, listenOn, parseListenAddress } from '../sources/socket.js';
import { EXIT_FINDINGS, EXIT_OK, reportError } from './exit.js';
import type { RedactCommandOptions } from './program.js';

type Log = (message: string) => void;

const say: Log = (message) => process.stderr.write(`sseredact: ${message}\n`);

/** Exit statuses of a second signal: 128 + the signal's number, as shells report it. */
const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Checks the socket-mode options before any rule compiles.
 * @throws SseredactError('usage') for a bad address, files given too, or --label with --reply.
 */
export function checkListenOptions(files: readonly string[], options: RedactCommandOptions): ListenAddress[] {
  if (files.length > 0) throw new SseredactError('usage', `--listen reads sockets, not files (got ${files[0]})`);
  if (options.label && options.reply) throw new SseredactError('usage', '--label labels lines on stdout, and with --reply nothing goes there');
  return options.listen.map(parseListenAddress);
}

/** Serves `addresses` until a signal; returns the exit status. `records`: the `--records` sink, if any. */
export async function listen(
  addresses: readonly ListenAddress[],
  openStream: StreamOpener,
  options: RedactCommandOptions,
  records: ByteSink | null,
  verbose: Log,
): Promise<number> {
  const stdout = createSharedOutput(process.stdout, { maxQueued: options.maxBuffer });
  const recordSink = options.json ? stdout : records;
  let finish: (status: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let shutdown: Promise<void> | null = null;
  const registry = createStreamRegistry({
    openStream,
    output: options.reply ? 'reply' : options.json ? null : stdout,
    label: options.label,
    records: recordSink,
    showSecret: options.showSecret,
    maxConnections: options.maxConnections,
    log: say,
    verbose,
    onFatal: (error) => finish(reportError(error)),
    onOutputClosed: () => shutDown(),
  });
  const printStats = (): void => {
    if (options.statsJson) process.stderr.write(statsJson(registry.stats()));
    else process.stderr.write(statsText(registry.stats()));
  };

  const listeners: SocketListener[] = [];
  const closeListeners = (): Promise<void> => Promise.all(listeners.splice(0).map((listener) => listener.close())).then(() => {});
  const stop = (): Promise<void> =>
    (shutdown ??= (async () => {
      const closing = closeListeners();
      await registry.drain();
      await closing;
      if (recordSink && !recordSink.isClosed) {
        await recordSink.write(registry.totals().summaryRecord());
        if (recordSink !== stdout) await recordSink.end();
      }
      if (options.stats || options.statsJson) printStats();
      finish(options.failOnMatch && registry.totals().findings > 0 ? EXIT_FINDINGS : EXIT_OK);
    })());
  const shutDown = (): void => {
    stop().catch((error: unknown) => finish(reportError(error)));
  };
  // Stats are there to ask for once a "listening" line is out (a SIGUSR1 without a handler would
  // start Node's inspector instead).
  process.on('SIGUSR1', printStats);
  try {
    for (const address of addresses) {
      const listener = await listenOn(address, { idleTimeoutMs: options.idleTimeout * 1000, onConnection: (connection) => registry.accept(connection) });
      listeners.push(listener);
      say(`listening on ${listener.address}`);
    }
  } catch (error) {
    process.off('SIGUSR1', printStats);
    await closeListeners();
    throw error;
  }

  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    // The second signal: exit now (the exit handlers remove the socket files).
    if (shutdown) process.exit(SIGNAL_EXIT[signal]);
    say(`${signal}: no new connections; flushing ${registry.stats().connections.active} open stream(s) (again to exit at once)`);
    shutDown();
  };
  const onInterrupt = (): void => onSignal('SIGINT');
  const onTerminate = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInterrupt).on('SIGTERM', onTerminate);
  try {
    return await finished;
  } finally {
    process.off('SIGINT', onInterrupt).off('SIGTERM', onTerminate).off('SIGUSR1', printStats);
  }
}
