/**
 * Socket mode's telemetry (`--stats`, `--stats-json`, SIGUSR1), for stderr.
 *
 * Text: a totals line, then a line per open or recently closed stream:
 *
 *     sseredact: stats: 1 open, 3 peak, 7 accepted, 0 refused connections; 5243 bytes in, 5201 out, 2 findings (aws-access-key 2); 1.1 MB/s over 4.7 s
 *     sseredact: stats: conn-7 127.0.0.1:51234 on tcp://127.0.0.1:5140: open, 1024 bytes in, 1010 out, 12 lines, 1 finding, opened 2.0 s ago, last data 0.1 s ago
 *
 * JSON: one line, `{"type":"stats", ...}` with the fields of RegistryStats (types.ts), times in
 * milliseconds (`openedAt`, `lastActivityAt`: epoch milliseconds).
 */
import type { RegistryStats, StreamStats } from '../types.js';

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function streamLine(stream: StreamStats, now: number): string {
  return (
    `sseredact: stats: ${stream.id} ${stream.peer} on ${stream.listener}: ${stream.end === null ? 'open' : `closed (${stream.end})`}, ` +
    `${stream.bytesIn} bytes in, ${stream.bytesOut} out, ${plural(stream.lines, 'line')}, ${plural(stream.findings, 'finding')}, ` +
    `opened ${seconds(now - stream.openedAt)} ago, last data ${seconds(now - stream.lastActivityAt)} ago\n`
  );
}

/** The text report: totals, then one line per stream. */
export function statsText(stats: RegistryStats, now: number = Date.now()): string {
  const { connections } = stats;
  const rules = Object.entries(stats.rules).map(([rule, count]) => `${rule} ${count}`);
  const totals =
    `sseredact: stats: ${connections.active} open, ${connections.peak} peak, ${connections.accepted} accepted, ${connections.refused} refused connections; ` +
    `${stats.bytesIn} bytes in, ${stats.bytesOut} out, ${plural(stats.findings, 'finding')}${rules.length > 0 ? ` (${rules.join(', ')})` : ''}; ` +
    `${(stats.bytesPerSecond / 1e6).toFixed(1)} MB/s over ${seconds(stats.uptimeMs)}\n`;
  return totals + stats.streams.map((stream) => streamLine(stream, now)).join('');
}

/** The JSON report: one line. */
export function statsJson(stats: RegistryStats): string {
  return `${JSON.stringify({ type: 'stats', ...stats })}\n`;
}
