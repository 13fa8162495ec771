/**
 * DESIGN §3.4 through the real binary: an OpenAI-style token stream without a secret goes through
 * `bin/sseredact --sse-json openai` word by word, on every engine this machine has. The test reads
 * the output incrementally: it writes one event, waits until that event's output has arrived, and
 * only then writes the next; content held for a later event shows as a shorter (or empty) content
 * in the event that carried it. (Before minimal holdback within a line, every event came out with
 * `"content":""` and the whole answer arrived at [DONE].)
 */
import { once } from 'node:events';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { BIN } from './cli.js';

const WORDS = 'Streaming answers arrive one word at a time and each word should reach the reader as soon as it is safe'.split(' ');

function chatEvent(content: string): string {
  return `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}]}\n\n`;
}

/** Writes each event in turn and returns the content of the one output event it produced. */
async function contentPerEvent(engine: string, contents: readonly string[]): Promise<string[]> {
  const child = execa(BIN, ['--sse-json', 'openai', '--engine', engine], { stdin: 'pipe', stdout: 'pipe', reject: false, stripFinalNewline: false });
  child.stdout!.setEncoding('utf8');
  let output = '';
  const seen: string[] = [];
  for (const content of contents) {
    child.stdin!.write(chatEvent(content));
    while (!output.includes('\n\n')) output += ((await once(child.stdout!, 'data')) as [string])[0];
    const end = output.indexOf('\n\n') + 2;
    const event = output.slice(0, end);
    output = output.slice(end);
    seen.push(JSON.parse(event.replace(/^data: /, '')).choices[0].delta.content as string);
  }
  child.stdin!.end('data: [DONE]\n\n');
  const result = await child;
  expect(result.exitCode).toBe(0);
  // Whatever was still held comes out before [DONE]; all of it spells the contents again.
  const events = String(result.stdout)
    .split('\n\n')
    .filter((event) => event !== '');
  expect(events.at(-1)).toBe('data: [DONE]');
  const all = events.slice(0, -1).map((event) => JSON.parse(event.replace(/^data: /, '')).choices[0].delta.content as string);
  expect(all.join('')).toBe(contents.join(''));
  return seen;
}

const ENGINES = ['ts', ...('error' in loadAddon() ? [] : ['vectorscan'])];

describe.each(ENGINES)('an OpenAI token stream through --sse-json openai, %s engine', (engine) => {
  test('21 one-word events, each ending in a space: every event carries its own word', async () => {
    expect(WORDS).toHaveLength(21);
    const contents = WORDS.map((word) => `${word} `);
    expect(await contentPerEvent(engine, contents)).toEqual(contents);
  });

  // Tokenizers put the space first (" word"). A word at the end of what has arrived could still
  // be the head of a class-run rule whose secret is the whole match (terraform-cloud-token's
  // `[A-Za-z0-9]{14}\.atlasv1\.`, azure-devops-pat's `[A-Za-z0-9]{52}AZDO`), so that word, and
  // only that word, moves to the next event (DESIGN §3.4: the current token of such a rule).
  test('21 events with the space first: only the last word of each moves to the next event', async () => {
    const contents = WORDS.map((word, i) => (i === 0 ? word : ` ${word}`));
    const want = WORDS.map((_word, i) => (i === 0 ? '' : `${WORDS[i - 1]} `));
    expect(await contentPerEvent(engine, contents)).toEqual(want);
  });
});
