/**
 * README's socket-mode examples ("Behind Vector", "Behind Fluent Bit") run here. Neither tool is
 * installed where the tests run, so small stand-ins do what each does with the configuration README
 * shows, read from README itself:
 * - Vector: the `exec` source starts its `command` (sseredact) and reads its stdout as events; the
 *   `socket` sink (mode tcp, codec text) sends each event's message and a newline to `address`.
 * - Fluent Bit: the `tcp` output with `Format json_lines` sends each record as one JSON object and a
 *   newline to Host:Port, where README's sseredact command line listens.
 * The one change: the port becomes 0 (any free one), and the stand-ins use the one sseredact prints.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { afterEach, describe, expect, test } from 'vitest';
import { type ListeningServer, connect, startListening } from '../e2e/listen.js';
import { sseredactArguments } from './commander.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const AWS_KEY = 'AKIAZ7VQ3XJ5K2LMN4PQ';
const GITHUB_TOKEN = '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';

const running: ListeningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
});

/** The text of a `### ` subsection of README, up to the next heading. */
function subsection(title: string): string {
  const match = new RegExp(`^### ${title}\\n([\\s\\S]*?)(?=^##)`, 'm').exec(README);
  if (!match) throw new Error(`README has no "### ${title}"`);
  return match[1]!;
}

function fenced(text: string, language: string): string {
  const match = new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(text);
  if (!match) throw new Error(`no \`\`\`${language} block`);
  return match[1]!;
}

/** A `--listen tcp://HOST:PORT` argument list with the port made 0; the original address too. */
function onAnyPort(args: readonly string[]): { args: string[]; address: string } {
  const at = args.indexOf('--listen');
  const address = args[at + 1]!;
  return { args: args.map((arg, index) => (index === at + 1 ? arg.replace(/:\d+$/, ':0') : arg)), address };
}

/** Starts sseredact with README's arguments, records going to `records` instead of README's path. */
async function startAsReadmeSays(args: readonly string[], records: string): Promise<ListeningServer> {
  const recordsAt = args.indexOf('--records');
  const server = await startListening(args.map((arg, index) => (recordsAt >= 0 && index === recordsAt + 1 ? records : arg)));
  running.push(server);
  return server;
}

const LOG_LINES = ['app started on :8080', `loaded AWS_ACCESS_KEY_ID=${AWS_KEY}`, 'request GET /health 200', `deploying with token ${GITHUB_TOKEN}`];
const REDACTED_LINES = ['app started on :8080', 'loaded AWS_ACCESS_KEY_ID=[REDACTED:aws-access-key-id]', 'request GET /health 200', 'deploying with token [REDACTED:github-pat]'];

describe('README: Behind Vector', () => {
  const config = parseToml(fenced(subsection('Behind Vector'), 'toml')) as {
    sources: Record<string, { type: string; mode?: string; command?: string[] }>;
    sinks: Record<string, { type: string; inputs: string[]; mode?: string; address?: string; encoding?: { codec?: string } }>;
  };

  test('the socket sink sends to the address the exec source starts sseredact on, and the redacted lines come back', async () => {
    const socketSink = Object.values(config.sinks).find((sink) => sink.type === 'socket')!;
    const exec = Object.entries(config.sources).find(([, source]) => source.type === 'exec')!;
    expect({ mode: socketSink.mode, codec: socketSink.encoding?.codec }).toEqual({ mode: 'tcp', codec: 'text' });
    expect(exec[1].mode).toBe('streaming');
    expect(exec[1].command![0]).toBe('sseredact');
    // A sink after the exec source ships what sseredact writes.
    expect(Object.values(config.sinks).some((sink) => sink.inputs.includes(exec[0]))).toBe(true);
    const { args, address } = onAnyPort(exec[1].command!.slice(1));
    expect(address).toBe(`tcp://${socketSink.address}`);
    const records = join(mkdtempSync(join(tmpdir(), 'sseredact-vector-')), 'findings.ndjson');
    const server = await startAsReadmeSays(args, records);
    // Vector's socket sink: each event's message, newline-delimited, on one TCP connection.
    const sink = await connect(server.addresses[0]!);
    for (const line of LOG_LINES) sink.write(`${line}\n`);
    await server.waitFor(() => server.stdout().toString().split('\n').length > LOG_LINES.length, 'every line back');
    // Vector's exec source: one event per line of stdout.
    expect(server.stdout().toString().split('\n').slice(0, -1)).toEqual(REDACTED_LINES);
    sink.end();
    // Vector stops its exec source's command with SIGTERM.
    expect(await server.stop('SIGTERM')).toBe(0);
    const findings = readFileSync(records, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"type":"finding"'));
    expect(findings.map((line) => (JSON.parse(line) as { rule: string }).rule)).toEqual(expect.arrayContaining(['aws-access-key-id', 'github-pat']));
  });
});

describe('README: Behind Fluent Bit', () => {
  const section = subsection('Behind Fluent Bit');
  const output = Object.fromEntries(
    fenced(section, 'ini')
      .split('\n')
      .map((line) => /^\s+(\w+)\s+(.+)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!.trim()]),
  );
  const command = [...section.matchAll(/^ {4}(sseredact .*)$/gm)].map((match) => sseredactArguments(match[1]!)!)[0]!;

  test('the tcp output sends json_lines to the port sseredact listens on, and each record comes out whole and redacted', async () => {
    expect({ name: output.Name, format: output.Format }).toEqual({ name: 'tcp', format: 'json_lines' });
    const { args, address } = onAnyPort(command);
    expect(address).toBe(`tcp://${output.Host}:${output.Port}`);
    const server = await startAsReadmeSays(args, join(mkdtempSync(join(tmpdir(), 'sseredact-fluent-bit-')), 'findings.ndjson'));
    // Fluent Bit's tcp output, json_lines: one JSON object per record, with the date and the log line.
    const sink = await connect(server.addresses[0]!);
    for (const [index, log] of LOG_LINES.entries()) sink.write(`${JSON.stringify({ date: 1_764_633_600 + index, log })}\n`);
    sink.end();
    await server.waitFor(() => server.stdout().toString().split('\n').length > LOG_LINES.length, 'every record');
    const got = server
      .stdout()
      .toString()
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as { date: number; log: string });
    expect(got).toEqual(REDACTED_LINES.map((log, index) => ({ date: 1_764_633_600 + index, log })));
    expect(await server.stop('SIGTERM')).toBe(0);
  });
});
