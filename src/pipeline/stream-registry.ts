/**
 * The registry of concurrent socket streams: every accepted connection becomes a stream with its
 * own redactor (opened by ./open-stream.ts over the one compiled rule set) and its own context,
 * pumped by ./redact-stream.ts into its output: its line-atomic sink on the shared stdout, or the
 * connection itself (`--reply`), and the shared records. The registry keeps the limits
 * (`--max-connections`), the per-stream telemetry, and the graceful end of all streams.
 *
 * How a stream ends (its `stream` record says which, see sinks/ndjson.ts):
 * - `eof`, `idle`, `shutdown`: the source ended (the peer's end, the idle timeout, `drain()`); the
 *   redactor's end flushes its holdback through the end-of-stream path, like the end of a file.
 * - `reset`: the connection failed mid-stream (ECONNRESET, a reply reader gone). What the redactor
 *   had released is written (a stdout stream's unfinished line is ended), what it still held back
 *   is dropped: it may be the start of a secret whose end never came.
 * An error that is not the connection's own (the redactor's, the shared output's) goes to
 * `onFatal`: the run must stop writing (fail closed, DESIGN §3.5).
 *
 * Memory per open stream: its context, its redactor (holdback: up to the widest rule), at most one
 * chunk read from its socket, and on stdout its unfinished line (at most sinks/line-atomic.ts's
 * MAX_LINE).
 */

import type { SharedOutput } from '../sinks/line-atomic.js';
import { FindingTally, streamRecord } from '../sinks/ndjson.js';
import { type ByteSink, createByteSink } from '../sinks/output.js';
import type { Connection } from '../sources/socket.js';
import type { RegistryStats, StreamEnd, StreamStats } from '../types.js';
import type { StreamOpener } from './open-stream.js';
import { type StreamSinks, redactSource } from './redact-stream.js';

/** How many closed streams the stats keep: a long run must not grow with every connection. */
export const RECENT_STREAMS = 100;

export interface RegistryOptions {
  readonly openStream: StreamOpener;
  /** Where redacted bytes go: 'reply' (back to each connection), the shared stdout, or nowhere. */
  readonly output: 'reply' | SharedOutput | null;
  /** Label each stdout line with its stream id. */
  readonly label: boolean;
  /** NDJSON records, shared by all streams (each write is whole lines). */
  readonly records: ByteSink | null;
  readonly showSecret: boolean;
  readonly maxConnections: number;
  /** Lines every run prints (a refused connection). */
  readonly log: (message: string) => void;
  /** Lines for `--verbose` (a connection opened, closed). */
  readonly verbose: (message: string) => void;
  /** An error that is not one connection's: stop writing. */
  readonly onFatal: (error: unknown) => void;
  /** The reader of the shared output went away (EPIPE): nothing more can be written. */
  readonly onOutputClosed: () => void;
}

export interface StreamRegistry {
  /** Takes a new connection as a stream, or refuses it (reset) past `maxConnections`. */
  accept(connection: Connection): void;
  /** Ends every open stream after what it has read and resolves once all are flushed and closed; refuses later connections. */
  drain(): Promise<void>;
  stats(): RegistryStats;
  /** Totals of every stream so far (for the summary record). */
  totals(): FindingTally;
}

interface Context {
  readonly id: string;
  readonly connection: Connection;
  readonly tally: FindingTally;
  readonly openedAt: number;
  lastActivityAt: number;
  bytesOut: number;
  lines: number;
  end: StreamEnd | null;
  done: Promise<void> | null;
}

export function createStreamRegistry(options: RegistryOptions): StreamRegistry {
  const startedAt = Date.now();
  const open = new Map<string, Context>();
  const recent: Context[] = [];
  const closedTotals = new FindingTally();
  let closedBytesOut = 0;
  let accepted = 0;
  let refused = 0;
  let peak = 0;
  let isDraining = false;

  const outputOf = (context: Context): ByteSink | null => {
    if (options.output === null) return null;
    if (options.output === 'reply') return createByteSink(context.connection.socket, { ownsStream: true });
    return options.output.open(options.label ? context.id : null);
  };

  /** The source's chunks, noting activity and lines as they pass. */
  async function* observed(context: Context): AsyncGenerator<Uint8Array> {
    for await (const chunk of context.connection.chunks) {
      context.lastActivityAt = Date.now();
      context.lines += countNewlines(chunk);
      yield chunk;
    }
  }

  const counted = (sink: ByteSink, context: Context): ByteSink => ({
    get isClosed() {
      return sink.isClosed;
    },
    write: (bytes) => {
      context.bytesOut += bytes.length;
      return sink.write(bytes);
    },
    end: () => sink.end(),
  });

  const isSharedClosed = (): boolean => (options.output !== 'reply' && options.output?.isClosed) || (options.records?.isClosed ?? false);

  async function run(context: Context): Promise<void> {
    const { connection } = context;
    const output = outputOf(context);
    const sinks: StreamSinks = { output: output && counted(output, context), records: options.records, showSecret: options.showSecret, tally: context.tally };
    try {
      await redactSource({ name: context.id, chunks: observed(context) }, options.openStream, sinks);
      context.end = connection.failure || output?.isClosed ? 'reset' : connection.endReason === 'idle' ? 'idle' : connection.endReason === 'stopped' ? 'shutdown' : 'eof';
      if (context.end !== 'reset') {
        // In reply mode this ends the socket after the last bytes.
        await output?.end();
        // Closed even if the peer has not ended its side (idle, shutdown): it is no longer read.
        connection.socket.destroySoon();
      }
    } catch (error) {
      // Only the connection's own failure ends just this stream; anything else stops the run.
      if (!connection.failure) throw error;
      context.end = 'reset';
    }
    if (isSharedClosed()) return options.onOutputClosed();
    if (context.end === 'reset') {
      // A stdout stream's unfinished line is redacted already: end it, so the next line is whole.
      if (options.output !== 'reply') await output?.end();
      connection.socket.destroy();
    }
    if (options.records) {
      const { tally } = context;
      const record = {
        stream: context.id,
        listener: connection.listener,
        peer: connection.peer,
        end: context.end,
        bytes: tally.bytes,
        bytesOut: context.bytesOut,
        findings: tally.findings,
      };
      await options.records.write(streamRecord(record));
    }
  }

  const close = (context: Context): void => {
    open.delete(context.id);
    closedTotals.merge(context.tally);
    closedBytesOut += context.bytesOut;
    recent.push(context);
    if (recent.length > RECENT_STREAMS) recent.shift();
    options.verbose(`${context.id} closed (${context.end ?? 'failed'}): ${context.tally.bytes} bytes in, ${context.bytesOut} out, ${context.tally.findings} finding(s)`);
  };

  const statsOf = (context: Context): StreamStats => ({
    id: context.id,
    listener: context.connection.listener,
    peer: context.connection.peer,
    // What the socket received, whether or not it has reached the redactor yet.
    bytesIn: context.connection.socket.bytesRead,
    bytesOut: context.bytesOut,
    lines: context.lines,
    findings: context.tally.findings,
    openedAt: context.openedAt,
    lastActivityAt: context.lastActivityAt,
    end: context.end,
  });

  const totals = (): FindingTally => {
    const all = new FindingTally();
    all.merge(closedTotals);
    for (const context of open.values()) all.merge(context.tally);
    return all;
  };

  return {
    accept(connection) {
      if (isDraining || open.size >= options.maxConnections) {
        refused++;
        const why = isDraining ? 'shutting down' : `${options.maxConnections} connections open (--max-connections)`;
        options.log(`refused a connection from ${connection.peer} on ${connection.listener}: ${why}`);
        connection.reset();
        return;
      }
      const now = Date.now();
      const context: Context = {
        id: `conn-${++accepted}`,
        connection,
        tally: new FindingTally(),
        openedAt: now,
        lastActivityAt: now,
        bytesOut: 0,
        lines: 0,
        end: null,
        done: null,
      };
      open.set(context.id, context);
      peak = Math.max(peak, open.size);
      options.verbose(`${context.id} opened: ${connection.peer} on ${connection.listener}`);
      context.done = run(context).then(
        () => close(context),
        (error: unknown) => {
          close(context);
          options.onFatal(error);
        },
      );
    },
    async drain() {
      isDraining = true;
      const waiting = [...open.values()];
      for (const context of waiting) context.connection.stop();
      await Promise.all(waiting.map((context) => context.done));
    },
    stats() {
      const all = totals();
      const uptimeMs = Date.now() - startedAt;
      let bytesOut = closedBytesOut;
      for (const context of open.values()) bytesOut += context.bytesOut;
      return {
        uptimeMs,
        connections: { active: open.size, peak, accepted, refused },
        bytesIn: all.bytes,
        bytesOut,
        findings: all.findings,
        rules: Object.fromEntries([...all.byRule].sort(([a], [b]) => (a < b ? -1 : 1))),
        bytesPerSecond: uptimeMs > 0 ? Math.round((all.bytes * 1000) / uptimeMs) : 0,
        streams: [...open.values(), ...recent].map(statsOf),
      };
    },
    totals,
  };
}

function countNewlines(chunk: Uint8Array): number {
  let count = 0;
  for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) count++;
  return count;
}
