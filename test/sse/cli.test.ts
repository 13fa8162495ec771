/**
 * `bin/sseredact --sse` and `--sse-json` end to end (built by `npm test`'s pretest). These run once
 * the CLI has the SSE flags (see the wiring in src/sse/redact.ts's callers); until then they are
 * skipped, not passed.
 */
import { once } from 'node:events';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { AWS_KEY, BIN, sseredact } from '../e2e/cli.js';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
const hasSseFlags = text((await sseredact(['--help'])).stdout).includes('--sse-json');
const REDACTED = '[REDACTED:aws-access-key-id]';

function chatEvent(content: string): string {
  return `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;
}

describe.runIf(hasSseFlags)('sseredact --sse / --sse-json', () => {
  test('--sse redacts within an event and re-emits everything else byte for byte', async () => {
    const input = `\uFEFFevent: delta\r\nid: 7\r\ndata: key=${AWS_KEY}\r\n\r\n: keep-alive\r\n\r\n`;
    const result = await sseredact(['--sse'], { input });
    expect(result.exitCode).toBe(0);
    expect(text(result.stdout)).toBe(input.replace(AWS_KEY, REDACTED));
  });

  test('--sse-json openai finds a key split over events; every event stays valid JSON', async () => {
    const input = `${['key ', AWS_KEY.slice(0, 6), AWS_KEY.slice(6, 13), `${AWS_KEY.slice(13)} done`].map(chatEvent).join('')}data: [DONE]\n\n`;
    const result = await sseredact(['--sse-json', 'openai'], { input });
    expect(result.exitCode).toBe(0);
    const data = text(result.stdout)
      .split('\n\n')
      .filter((event) => event !== '')
      .map((event) => event.replace(/^data: /, ''));
    expect(data.at(-1)).toBe('[DONE]');
    const contents = data.slice(0, -1).map((json) => JSON.parse(json).choices[0].delta.content as string);
    expect(contents.join('')).toBe(`key ${REDACTED} done`);
  });

  test('an event ending in a partial key goes out before the next event arrives', async () => {
    const child = execa(BIN, ['--sse'], { stdin: 'pipe', stdout: 'pipe', reject: false, stripFinalNewline: false });
    const first = `data: partial ${AWS_KEY.slice(0, 8)}\n\n`;
    let output = '';
    child.stdout?.setEncoding('utf8');
    child.stdin?.write(first);
    while (!output.includes(first)) {
      const [chunk] = (await once(child.stdout!, 'data')) as [string];
      output += chunk;
    }
    child.stdin?.end(`data: ${AWS_KEY}\n\n`);
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${first}data: ${REDACTED}\n\n`);
  });

  test('a bad --sse-json path is a usage error', async () => {
    const result = await sseredact(['--sse-json', 'a..b'], { input: '' });
    expect(result.exitCode).toBe(2);
    expect(text(result.stderr)).toContain('--sse-json');
  });

  test.each(['OpenAI', 'claude', 'gpt'])('an unknown preset %s is a usage error that lists the presets', async (preset) => {
    const result = await sseredact(['--sse-json', preset], { input: chatEvent(AWS_KEY) });
    expect(result.exitCode).toBe(2);
    expect(text(result.stderr)).toMatch(/unknown preset .*presets: openai, anthropic, gemini, vercel, auto/);
    expect(text(result.stdout)).toBe('');
  });

  test('a path that never matches says so on stderr, and the members are still redacted', async () => {
    const result = await sseredact(['--sse-json', 'choices[].delta.text'], { input: chatEvent(AWS_KEY) });
    expect(result.exitCode).toBe(0);
    expect(text(result.stderr)).toContain('warning: -: --sse-json choices[].delta.text: no content found in 1 JSON event(s)');
    expect(text(result.stdout)).toBe(chatEvent(REDACTED));
  });

  test('--sse-json auto says which preset it chose under --verbose', async () => {
    const input = `data: {"type":"message_start","message":{"id":"m"}}\n\n${['key ', AWS_KEY.slice(0, 8), AWS_KEY.slice(8)].map((t) => `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(t)}}}\n\n`).join('')}`;
    const result = await sseredact(['--sse-json', 'auto', '--verbose'], { input });
    expect(result.exitCode).toBe(0);
    expect(text(result.stderr)).toContain('--sse-json auto: anthropic events (from event 0)');
    expect(text(result.stdout)).not.toContain(AWS_KEY.slice(8));
    expect(text(result.stdout)).toContain(REDACTED);
  });

  test('JSON nested 4,000 deep is redacted, not a crash', async () => {
    const depth = 4000;
    const input = `data: {"a":${'['.repeat(depth)}"${AWS_KEY}"${']'.repeat(depth)}}\n\n`;
    const result = await sseredact(['--sse-json', 'openai'], { input });
    expect(result.exitCode).toBe(0);
    expect(text(result.stdout)).toBe(input.replace(AWS_KEY, REDACTED));
  });

  test.each([
    ['--sse', `event: note\ndata: hello\n\nid: 2\ndata: first line\ndata: key=${AWS_KEY}\n\n`, 'data'],
    [
      '--sse-json',
      `data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: {"choices":[{"index":0,"delta":{"content":"key ${AWS_KEY}"}}]}\n\n`,
      'choices[0].delta.content',
    ],
  ])('%s --json records place a finding in the input: offsets, line, column, event, path', async (mode, input, path) => {
    const args = mode === '--sse' ? ['--sse', '--json'] : ['--sse-json', 'openai', '--json'];
    const result = await sseredact(args, { input });
    const records = text(result.stdout)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const start = input.indexOf(AWS_KEY);
    const lineStart = input.lastIndexOf('\n', start) + 1;
    const eventOffset = input.lastIndexOf('\n\n', start) + 2;
    expect(records[0]).toMatchObject({
      type: 'finding',
      rule: 'aws-access-key-id',
      start,
      end: start + AWS_KEY.length,
      line: input.slice(0, start).split('\n').length,
      column: start - lineStart + 1,
      event: 1,
      eventOffset,
      path,
    });
  });

  // The 21-word answer of issue 19 must come out word by word: the SSE layer releases each event's
  // clean text, and the engines hold nothing within a line that no secret could still cover.
  test.each(['ts', 'vectorscan'])('a 21-word answer comes out word by word on the %s engine', async (engine) => {
    // Each word with its trailing space, as tokenizers cut prose: nothing can be in flight after it.
    const words = 'The quick brown fox jumps over the lazy cat while seven wise owls watch from an old oak tree at dusk'.split(' ');
    const input = words.map((word) => chatEvent(`${word} `)).join('');
    const result = await sseredact(['--engine', engine, '--sse-json', 'openai'], { input });
    expect(result.exitCode).toBe(0);
    expect(text(result.stdout)).toBe(input);
  });
});
