/**
 * `sseredact proxy`: turns the flags into a proxy handler (src/proxy/), listens, writes one log
 * line per request on stderr, and on SIGTERM or SIGINT closes gracefully and exits 0.
 */

import { SseredactError } from '../errors.js';
import { checkStreamOptions } from '../pipeline/open-stream.js';
import { type ProxyRequestLog, createProxyHandler } from '../proxy/handler.js';
import { parseListen, startServer } from '../proxy/server.js';
import type { RuleSet } from '../rules/ruleset.js';
import { EXIT_OK } from './exit.js';
import type { ProxyCommandOptions } from './program.js';

/** Totals over every request of a run (`--stats`). */
class ProxyTotals {
  requests = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly outcomes = new Map<string, number>();
  readonly findings = new Map<string, number>();

  add(entry: ProxyRequestLog): void {
    this.requests++;
    this.bytesIn += entry.bytesIn;
    this.bytesOut += entry.bytesOut;
    this.outcomes.set(entry.outcome, (this.outcomes.get(entry.outcome) ?? 0) + 1);
    for (const [rule, count] of Object.entries(entry.findings)) this.findings.set(rule, (this.findings.get(rule) ?? 0) + count);
  }

  summary(): string {
    const outcomes = [...this.outcomes].map(([outcome, count]) => `${count} ${outcome}`).join(', ');
    return `sseredact: proxy totals: ${this.requests} requests${outcomes ? ` (${outcomes})` : ''}, ${this.bytesIn} bytes in, ${this.bytesOut} bytes out, findings: ${countsOf(this.findings)}\n`;
  }
}

function countsOf(counts: Iterable<[string, number]>): string {
  const parts = [...counts].map(([rule, count]) => `${rule}=${count}`);
  return parts.length === 0 ? 'none' : parts.join(' ');
}

/**
 * One request's log line: method, path (no query, redacted), status, body mode, bytes from the
 * upstream and to the client, findings per rule, duration, and how it ended when not whole.
 */
export function formatRequestLog(entry: ProxyRequestLog): string {
  const outcome = entry.outcome === 'ok' ? '' : ` ${entry.outcome}`;
  return `sseredact: ${entry.method} ${entry.path} ${entry.status || '-'} ${entry.mode} ${entry.bytesIn}>${entry.bytesOut} bytes findings: ${countsOf(Object.entries(entry.findings))} ${entry.durationMs.toFixed(1)} ms${outcome}\n`;
}

/** The upstream URL: http or https only. @throws SseredactError('usage') */
function parseUpstream(spec: string | undefined): URL {
  if (spec === undefined) throw new SseredactError('usage', 'proxy: --upstream URL is required');
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new SseredactError('usage', `--upstream: '${spec}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SseredactError('usage', `--upstream: '${spec}' is not an http:// or https:// URL`);
  return url;
}

/** Runs the proxy until SIGTERM or SIGINT; returns the exit status (0 after a graceful close). */
export async function runProxy(options: ProxyCommandOptions, compileRules: () => Promise<RuleSet>, log: (message: string) => void): Promise<number> {
  const upstream = parseUpstream(options.upstream);
  const address = parseListen(options.listen);
  const hashKey = process.env.SSEREDACT_HASH_KEY;
  const bodyOptions = {
    ...(options.replace === undefined ? {} : { replace: options.replace }),
    ...(options.sseJson === undefined ? {} : { sseJson: options.sseJson }),
    ...(options.strictHold ? { strictHold: true } : {}),
    ...(hashKey === undefined ? {} : { hashKey }),
  };
  // A bad template or content path is a usage error before any rule compiles.
  checkStreamOptions(bodyOptions);
  const ruleSet = await compileRules();
  const totals = new ProxyTotals();
  const handler = createProxyHandler(ruleSet, {
    ...bodyOptions,
    upstream,
    redactAll: options.redactAll,
    redactRequests: options.redactRequests,
    onRequest: (entry) => {
      totals.add(entry);
      process.stderr.write(formatRequestLog(entry));
    },
  });
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const proxy = await startServer(handler, address);
  // The origin, never the whole URL: it may carry credentials.
  process.stderr.write(`sseredact: proxy listening on ${proxy.url}, upstream ${upstream.origin}\n`);
  const signal = await signalled;
  log(`${signal}: closing, open responses have ${options.shutdownTimeout} s to finish`);
  const cutOff = await proxy.close(options.shutdownTimeout * 1000);
  handler.close();
  if (cutOff > 0) process.stderr.write(`sseredact: proxy: ${cutOff} response(s) cut off at the shutdown deadline\n`);
  if (options.stats) process.stderr.write(totals.summary());
  return EXIT_OK;
}
