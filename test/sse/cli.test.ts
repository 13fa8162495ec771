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
    const input = ['key ', AWS_KEY.slice(0, 6), AWS_KEY.slice(6, 13), `${AWS_KEY.slice(13)} done`].map(chatEvent).join('') + 'data: [DONE]\n\n';
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
});
