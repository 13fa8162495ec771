/**
 * One pipeline for every way in (src/pipeline/open-stream.ts): the CLI and the library, given the
 * same options, must give the same bytes and the same findings. Each row is a CLI command line and
 * the library options that mean the same; both run on the same input, on each engine.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { type RedactorOptions, redact } from '../../src/index.js';
import { sseredact } from '../e2e/cli.js';

const AWS_KEY = 'AKIAZ7VQ3XJ5K2LMN4PQ';
const DEPLOY_TOKEN = 'dt-8f3k2m9x7q4w';
const HASH_KEY = 'parity';

const TEXT = [
  'step 1: build ok',
  `export AWS_ACCESS_KEY_ID=${AWS_KEY}`,
  'contact: jane.doe@acme-corp.io card 4539 1488 0343 6467 ssn 536-22-8741',
  `deploy with ${DEPLOY_TOKEN} and hunter2-prod-9x`,
  'id acme_0123456789abcdef0123456789abcdef ok',
  `at EOF without newline ${AWS_KEY}`,
].join('\n');

const SSE_PLAIN = `event: log\ndata: uploading as ${AWS_KEY}\n\ndata: mail jane.doe@acme-corp.io\n\n`;

/** An OpenAI Chat Completions stream whose content spells a key over three events. */
const SSE_OPENAI = [
  ...['Your key: AKIAZ7', 'VQ3XJ5K2', 'LMN4PQ done'].map((content) => `data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { content } }] })}\n\n`),
  'data: [DONE]\n\n',
].join('');

/** An Anthropic Messages stream with the same key split over text deltas. */
const SSE_ANTHROPIC = [
  `event: content_block_start\ndata: ${JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}\n\n`,
  ...['key AKIAZ7VQ3', 'XJ5K2LMN4PQ', ' ok'].map(
    (text) => `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}\n\n`,
  ),
  `event: message_stop\ndata: ${JSON.stringify({ type: 'message_stop' })}\n\n`,
].join('');

interface ParityCase {
  readonly name: string;
  readonly args: readonly string[];
  readonly options: RedactorOptions;
  readonly input: string;
}

const CASES: readonly ParityCase[] = [
  { name: 'the default pack', args: [], options: {}, input: TEXT },
  { name: '--pii adds the PII pack with its own replacements', args: ['--pii'], options: { packs: ['secrets', 'pii'] }, input: TEXT },
  { name: '--pack pii alone', args: ['--pack', 'pii'], options: { packs: ['pii'] }, input: TEXT },
  { name: '--replace template', args: ['--replace', '<{rule}:{len}>'], options: { replace: '<{rule}:{len}>' }, input: TEXT },
  { name: '--replace {hash}', args: ['--replace', '#{hash}'], options: { replace: '#{hash}' }, input: TEXT },
  { name: '--replace * masks', args: ['--replace', '*'], options: { replace: '*' }, input: TEXT },
  { name: '--replace *4 keeps four', args: ['--replace', '*4', '--pii'], options: { replace: '*4', packs: ['secrets', 'pii'] }, input: TEXT },
  { name: '--literal', args: ['--literal', 'hunter2-prod-9x'], options: { literals: ['hunter2-prod-9x'] }, input: TEXT },
  { name: '--mask-env glob', args: ['--mask-env', 'PARITY_DEPLOY_*'], options: { maskEnv: ['PARITY_DEPLOY_*'] }, input: TEXT },
  {
    name: '--no-builtin --pattern',
    args: ['--no-builtin', '--pattern', 'acme_[0-9a-f]{32}'],
    options: { builtin: false, patterns: ['acme_[0-9a-f]{32}'] },
    input: TEXT,
  },
  { name: '--sse', args: ['--sse', '--pii'], options: { sse: 'on', packs: ['secrets', 'pii'] }, input: SSE_PLAIN },
  { name: '--sse auto on an event stream', args: ['--sse', 'auto'], options: { sse: 'auto' }, input: SSE_PLAIN },
  { name: '--sse auto on text', args: ['--sse', 'auto'], options: { sse: 'auto' }, input: TEXT },
  { name: '--sse-json openai', args: ['--sse-json', 'openai'], options: { sseJson: 'openai' }, input: SSE_OPENAI },
  { name: '--sse-json anthropic', args: ['--sse-json', 'anthropic'], options: { sseJson: 'anthropic' }, input: SSE_ANTHROPIC },
];

const ENGINES: Array<'ts' | 'vectorscan'> = 'error' in loadAddon() ? ['ts'] : ['ts', 'vectorscan'];
const directory = mkdtempSync(join(tmpdir(), 'sseredact-parity-'));
process.env.PARITY_DEPLOY_TOKEN = DEPLOY_TOKEN;

/** The fields a library finding and a CLI record share. */
function comparable(finding: Record<string, unknown>) {
  const { rule, start, end, line, column, fingerprint } = finding;
  return { rule, start, end, line, column, fingerprint };
}

describe.each(ENGINES)('CLI and library agree (%s engine)', (engine) => {
  test.each(CASES)('$name', async ({ name, args, options, input }) => {
    const recordsPath = join(directory, `${engine}-${name.replace(/\W+/g, '-')}.ndjson`);
    const cli = await sseredact(['--engine', engine, '--records', recordsPath, ...args], {
      input,
      env: { SSEREDACT_HASH_KEY: HASH_KEY, PARITY_DEPLOY_TOKEN: DEPLOY_TOKEN },
    });
    expect(Buffer.from(cli.stderr as Uint8Array).toString()).toBe('');
    expect(cli.exitCode).toBe(0);
    const records = readFileSync(recordsPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => record.type === 'finding');

    const library = redact(input, { ...options, engine, hashKey: HASH_KEY });

    expect(Buffer.from(cli.stdout as Uint8Array).toString('latin1')).toEqual(library.output.toString('latin1'));
    expect(records.map(comparable)).toEqual(library.findings.map((finding) => comparable({ ...finding })));
    expect(records.length).toBeGreaterThan(0);
  });
});
