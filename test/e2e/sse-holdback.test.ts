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

/**
 * Writes each event in turn and returns the content of the one output event it produced; checks
 * that all the output's contents spell `spelled` (the input's contents when nothing is redacted).
 */
async function contentPerEvent(engine: string, contents: readonly string[], flags: readonly string[] = [], spelled = contents.join('')): Promise<string[]> {
  const child = execa(BIN, ['--sse-json', 'openai', '--engine', engine, ...flags], { stdin: 'pipe', stdout: 'pipe', reject: false, stripFinalNewline: false });
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
  expect(all.join('')).toBe(spelled);
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
  // `[A-Za-z0-9]{14}\.atlasv1\.`, azure-devops-pat's `[A-Za-z0-9]{76}AZDO`), or end in the
  // start of a key's literal prefix (`p` of `pypi-`). At an event's end such text leaves anyway
  // (StreamRedactor.release: a word of at most 12 bytes, literal bytes), so each word keeps its event.
  test('21 events with the space first: every event carries its own word', async () => {
    const contents = WORDS.map((word, i) => (i === 0 ? word : ` ${word}`));
    expect(await contentPerEvent(engine, contents)).toEqual(contents);
  });

  // --strict-hold keeps DESIGN §3.4's bound at event ends too: the last word waits for the next event.
  test('21 events with the space first, --strict-hold: only the last word of each moves to the next event', async () => {
    const contents = WORDS.map((word, i) => (i === 0 ? word : ` ${word}`));
    const want = WORDS.map((_word, i) => (i === 0 ? '' : `${WORDS[i - 1]} `));
    expect(await contentPerEvent(engine, contents, ['--strict-hold'])).toEqual(want);
  });

  // A key's head run gets at most 12 bytes out before the rest is seen: here the first token of an
  // Azure DevOps PAT (`[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}`) leaves, every later byte is redacted.
  test('a long key streamed in tokens: at most 12 bytes of its head leave, the rest is redacted', async () => {
    const pat = `${'q7Rk2mX9pL4vN8bT6wZ3yH5cJ1dF0gS4aE7uB2iO9nM3kV8xC6rWJQQJ99BCACAAAAAAAAAAAAAS'}AZDO${'Qx7P'}`;
    const tokens = [' Here', ' is', ' ', ...(pat.match(/.{1,5}/g) as string[]), ' done'];
    const seen = await contentPerEvent(engine, tokens, [], ' Here is q7Rk2mX9pL[REDACTED:azure-devops-pat] done');
    // The third token makes the run 15 bytes: from there on it waits, and then is redacted.
    expect(seen.slice(3, 6)).toEqual(['q7Rk2', 'mX9pL', '']);
  });
});
