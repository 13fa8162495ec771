/**
 * The SSE redactor over the real core (rule compiler, ts engine, stream redactor): the same
 * content-stream property as redact.test.ts, with regex rules instead of the literal stand-in.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { createStreamRedactor } from '../../src/redact/redactor.js';
import { parseReplacement } from '../../src/redact/replace.js';
import { compileRuleSet } from '../../src/rules/ruleset.js';
import { createSseFramer, dataOf } from '../../src/sse/parser.js';
import { createSseRedactor } from '../../src/sse/redact.js';

const ruleSet = compileRuleSet(
  [
    { id: 'aws', regex: 'AKIA[0-9A-Z]{16}' },
    { id: 'github', regex: 'ghp_[0-9A-Za-z]{36}' },
    // A long key with a head run before its anchor, as azure-devops-pat's `[A-Za-z0-9]{52}AZDO…`.
    { id: 'pat', regex: '[a-z]{36}QQ[a-z]{4}' },
  ],
  { engine: tsEngine },
);
const replacement = parseReplacement('[REDACTED:{rule}]');
const openRedactor = () => createStreamRedactor(ruleSet, { replacement });
const AWS = 'AKIAIOSFODNN7EXAMPLE';
const GITHUB = `ghp_${'a1B2'.repeat(9)}`;
const PAT = `${'qwertyuiop'.repeat(3)}asdfghQQzxcv`;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The whole-input result: the core redactor over the content at once. */
function redactWhole(text: string): string {
  const redactor = openRedactor();
  return decoder.decode(Buffer.concat([redactor.write(encoder.encode(text)), redactor.end()]));
}

function run(input: string, contentPath: string | undefined, sizes: readonly number[], strictHold = false): string {
  const redactor = createSseRedactor(contentPath === undefined ? { openRedactor } : { openRedactor, contentPath, strictHold });
  const bytes = encoder.encode(input);
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const size of [...sizes, bytes.length]) {
    out.push(redactor.write(bytes.subarray(offset, Math.min(bytes.length, offset + size))));
    offset = Math.min(bytes.length, offset + size);
  }
  out.push(redactor.end());
  return decoder.decode(Buffer.concat(out));
}

function contentOf(output: string): string {
  const framer = createSseFramer();
  return [...framer.write(encoder.encode(output)), ...framer.end()]
    .map((event) => dataOf(event))
    .filter((data): data is Uint8Array => data !== null)
    .map((data) => decoder.decode(data))
    .filter((data) => data !== '[DONE]')
    .map((data) => (JSON.parse(data) as { choices: { delta: { content: string } }[] }).choices[0]?.delta.content ?? '')
    .join('');
}

describe('SSE over the core redactor', () => {
  test('--sse redacts a secret inside one event and re-emits the rest byte-for-byte', () => {
    expect(run(`event: x\r\ndata: k=${AWS}\r\n\r\n: ok\r\n\r\n`, undefined, [3, 3, 3])).toBe('event: x\r\ndata: k=[REDACTED:aws]\r\n\r\n: ok\r\n\r\n');
  });

  test('a secret planted across a 64 KiB chunk boundary, in one event and split over two', () => {
    const pad = 'x'.repeat(65_536 - 'data: '.length - 10);
    const input = `data: ${pad}${AWS}\n\ndata: {"choices":[{"index":0,"delta":{"content":"${'y'.repeat(65_400)}AKIAIOSF"}}]}\n\n`;
    const chunked = run(input, undefined, [65_536]);
    expect(chunked.startsWith(`data: ${pad}[REDACTED:aws]\n\n`)).toBe(true);
    const tail = `data: {"choices":[{"index":0,"delta":{"content":"ODNN7EXAMPLE"}}]}\n\n`;
    expect(contentOf(run(input.slice(input.indexOf('\n\n') + 2) + tail, 'openai', [65_536]))).toBe(`${'y'.repeat(65_400)}[REDACTED:aws]`);
  });

  test('--sse-json reports each finding once', () => {
    const ruleIds: string[] = [];
    const reporting = () => createStreamRedactor(ruleSet, { replacement, onFinding: (finding) => ruleIds.push(finding.ruleId) });
    const redactor = createSseRedactor({ openRedactor: reporting, contentPath: 'openai' });
    const event = `data: {"tool":"${GITHUB}","choices":[{"index":0,"delta":{"content":"k=${AWS} ."}}]}\n\n`;
    const out = decoder.decode(Buffer.concat([redactor.write(encoder.encode(event)), redactor.end()]));
    expect(out).toBe('data: {"tool":"[REDACTED:github]","choices":[{"index":0,"delta":{"content":"k=[REDACTED:aws] ."}}]}\n\n');
    expect(ruleIds.sort()).toEqual(['aws', 'github']);
  });

  const content = fc
    .array(fc.oneof(fc.constantFrom(AWS, GITHUB, PAT, 'AKIA', 'ghp_', 'word', ' ', 'é'), fc.string({ maxLength: 5 })), { maxLength: 8 })
    .map((parts) => parts.join(''));
  /** `text` cut at `textCuts` into chat events, then [DONE]. */
  const eventsOf = (text: string, textCuts: readonly number[]): string => {
    const points = Array.from(text);
    const cuts = [...new Set(textCuts.map((c) => c % (points.length + 1))), points.length].sort((a, b) => a - b);
    return `${cuts
      .map((cut, i) => points.slice(i === 0 ? 0 : cuts[i - 1], cut).join(''))
      .map((piece) => `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(piece)}}}]}\n\n`)
      .join('')}data: [DONE]\n\n`;
  };

  test('--sse-json openai, strictHold: any split over events and any chunking gives the whole-text result', () => {
    fc.assert(
      fc.property(content, fc.array(fc.nat(), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (text, textCuts, byteCuts) => {
        const sizes = byteCuts.map((c) => (c % 50) + 1);
        expect(contentOf(run(eventsOf(text, textCuts), 'openai', sizes, true))).toBe(redactWhole(text));
      }),
      { numRuns: 300 },
    );
  });

  // By default an event's end releases literal bytes a key could start with, and at most 12 bytes
  // of a long key's head run (StreamRedactor.release): the whole-text result, but for those bytes
  // before a replacement (`AKIA[REDACTED:aws]`), and a replacement split where released bytes came
  // between two touching keys.
  test('--sse-json openai: any chunking gives one result, the whole-text one but for released anchor bytes', () => {
    /** What release may change: anchor or head bytes before a replacement, a region split in two (so names differ too). */
    const normalized = (text: string): string => {
      let previous = '';
      let out = text;
      while (out !== previous) {
        previous = out;
        out = out
          .replace(/\[REDACTED:\w+\]/g, '[R]')
          .replace(/(?:A|AK|AKI|AKIA|g|gh|ghp|ghp_|[a-z]{1,12})\[R\]/g, '[R]')
          .replace(/\[R\]\[R\]/g, '[R]');
      }
      return out;
    };
    fc.assert(
      fc.property(content, fc.array(fc.nat(), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (text, textCuts, byteCuts) => {
        const input = eventsOf(text, textCuts);
        const whole = run(input, 'openai', []);
        expect(
          run(
            input,
            'openai',
            byteCuts.map((c) => (c % 50) + 1),
          ),
        ).toBe(whole);
        expect(normalized(contentOf(whole))).toBe(normalized(redactWhole(text)));
      }),
      { numRuns: 300 },
    );
  });

  test("a long key's head leaves 12 bytes at most, the rest waits and is redacted", () => {
    const redactor = createSseRedactor({ openRedactor, contentPath: 'openai' });
    const event = (piece: string) => encoder.encode(`data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(piece)}}}]}\n\n`);
    const pieces = ['say ', ...(PAT.match(/.{1,5}/g) as string[]), ' ok'];
    const out = pieces.map((piece) => contentOf(decoder.decode(redactor.write(event(piece)))));
    expect(out.slice(0, 4)).toEqual(['say ', 'qwert', 'yuiop', '']);
    expect(out.join('') + contentOf(decoder.decode(redactor.end()))).toBe('say qwertyuiop[REDACTED:pat] ok');
  });

  test('an event ending in an anchor releases it; the key that follows is redacted, its finding says so', () => {
    const released: Array<number | undefined> = [];
    const reporting = () => createStreamRedactor(ruleSet, { replacement, onFinding: (finding) => released.push(finding.released) });
    const redactor = createSseRedactor({ openRedactor: reporting, contentPath: 'openai' });
    const event = (piece: string) => encoder.encode(`data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(piece)}}}]}\n\n`);
    expect(contentOf(decoder.decode(redactor.write(event('key AKIA'))))).toBe('key AKIA');
    expect(contentOf(decoder.decode(Buffer.concat([redactor.write(event(`${AWS.slice(4)} ok`)), redactor.end()])))).toBe('[REDACTED:aws] ok');
    expect(released).toEqual([4]);
  });
});
