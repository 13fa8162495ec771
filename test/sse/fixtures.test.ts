/**
 * Provider-shaped streams (fixtures/sse/*.sse, written by fixtures/sse/make.mjs) through the SSE
 * redactor with the built-in secrets pack, on both engines, whole and in 1- and 7-byte chunks, with
 * the preset and with `auto`: no secret survives anywhere — not in any content stream joined over
 * its events, not in any decoded string, not in the raw bytes — every event stays valid JSON, a
 * surrogate pair split over two events comes out one character, and signatures pass untouched.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { SECRETS } from '../../fixtures/sse/make.mjs';
import type { Engine } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { createRedactorPool } from '../../src/redact/redactor.js';
import { chooseRuleSpecs } from '../../src/rules/choose.js';
import type { RuleSet } from '../../src/rules/ruleset.js';
import { parseJsonTree } from '../../src/sse/json-tree.js';
import { createSseFramer, dataOf } from '../../src/sse/parser.js';
import { createSseRedactor } from '../../src/sse/redact.js';
import type { LocatedFinding } from '../../src/types.js';
import { TEMPLATE, everyBytes, ruleSetOf } from '../support.js';

// biome-ignore lint/suspicious/noExplicitAny: provider JSON is read loosely here, as a client reads it
type Json = Record<string, any>;
/** The content pieces of one parsed event, as [stream, text]: written here from the providers' docs, apart from presets.ts. */
type Pieces = (value: Json) => [string, string][];

const openaiPieces: Pieces = (value) => {
  if (typeof value.type === 'string') {
    const tokens = (value.logprobs ?? []).map((entry: Json): [string, string] => [`${value.item_id}/${value.type}/logprobs`, entry.token]);
    return value.type.endsWith('.delta') ? [[`${value.item_id}/${value.type}`, value.delta], ...tokens] : tokens;
  }
  return (value.choices ?? []).flatMap((choice: Json): [string, string][] => [
    ...['content', 'refusal', 'reasoning_content'].filter((f) => typeof choice.delta?.[f] === 'string').map((f): [string, string] => [`${choice.index}/${f}`, choice.delta[f]]),
    ...(choice.delta?.tool_calls ?? []).map((call: Json): [string, string] => [`${choice.index}/tool/${call.index}`, call.function?.arguments ?? '']),
    ...(typeof choice.text === 'string' ? [[`${choice.index}/text`, choice.text] as [string, string]] : []),
    ...(choice.logprobs?.content ?? []).map((entry: Json): [string, string] => [`${choice.index}/logprobs`, entry.token]),
  ]);
};
const FIXTURES: Record<string, [preset: string, pieces: Pieces]> = {
  openai: ['openai', openaiPieces],
  'openai-responses': ['openai', openaiPieces],
  anthropic: [
    'anthropic',
    (v) =>
      v.type === 'content_block_delta'
        ? Object.entries(v.delta)
            .filter(([k]) => k !== 'type' && k !== 'signature' && typeof v.delta[k] === 'string')
            .map(([k, t]) => [`${v.index}/${k}`, t as string])
        : [],
  ],
  gemini: [
    'gemini',
    (v) =>
      (v.candidates ?? []).flatMap((c: Json) =>
        (c.content?.parts ?? []).filter((p: Json) => typeof p.text === 'string').map((p: Json) => [`${c.index}/${p.thought === true}`, p.text]),
      ),
  ],
  vercel: ['vercel', (v) => (typeof v.delta === 'string' ? [[`${v.id}`, v.delta]] : typeof v.inputTextDelta === 'string' ? [[`${v.toolCallId}`, v.inputTextDelta]] : [])],
};
const SECRET_VALUES = Object.values(SECRETS) as string[];
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

const engines: [string, () => Engine][] = [
  ['ts', () => tsEngine],
  ['vectorscan', () => selectEngine('vectorscan')],
];

interface Output {
  /** Per content stream key, the decoded content joined over the events. */
  readonly streams: Map<string, string>;
  /** Every decoded string of every event, in order. */
  readonly strings: string[];
  readonly raw: string;
}

/** Reads an output stream back as a client would, with `pieces` finding its content streams. */
function readOutput(output: Uint8Array, pieces: Pieces): Output {
  const framer = createSseFramer();
  const streams = new Map<string, string>();
  const strings: string[] = [];
  for (const event of [...framer.write(output), ...framer.end()]) {
    const data = dataOf(event);
    if (data === null) continue;
    const text = utf8.decode(data);
    if (text === '[DONE]') continue;
    expect(() => JSON.parse(text), text).not.toThrow();
    const tree = parseJsonTree(text);
    if (tree === null) throw new Error(`not JSON: ${text}`);
    strings.push(...tree.leaves.map((leaf) => leaf.value));
    for (const [key, piece] of pieces(JSON.parse(text) as Json)) streams.set(key, (streams.get(key) ?? '') + piece);
  }
  return { streams, strings, raw: utf8.decode(output) };
}

function run(ruleSet: RuleSet, input: Uint8Array, preset: string, chunkSize: number, findings: LocatedFinding[] = []): Uint8Array {
  const pool = createRedactorPool(ruleSet, { replacement: TEMPLATE });
  const redactor = createSseRedactor({ openRedactor: pool, contentPath: preset, onFinding: (finding) => findings.push(finding) });
  const pieces = (chunkSize === 0 ? [input] : everyBytes(input, chunkSize)).map((chunk) => redactor.write(chunk));
  pieces.push(redactor.end());
  return Buffer.concat(pieces);
}

describe.each(engines)('provider fixtures on the %s engine', (_name, engine) => {
  let ruleSet: RuleSet;
  beforeAll(() => {
    ruleSet = ruleSetOf(chooseRuleSpecs({ packs: ['secrets'], source: 'test' }), engine());
  }, 120_000);

  describe.each(Object.entries(FIXTURES))('%s', (fixture, [preset, pieces]) => {
    const input = readFileSync(new URL(`../../fixtures/sse/${fixture}.sse`, import.meta.url));

    test('the fixture carries every secret, split over content events or whole (so the checks below can fail)', () => {
      const before = readOutput(input, pieces);
      const streams = [...before.streams.values()].join('\n');
      for (const secret of SECRET_VALUES) expect(streams + before.strings.join('\n')).toContain(secret);
      for (const secret of [SECRETS.aws, SECRETS.github]) expect(streams).toContain(secret);
    });

    test.each([
      [preset, 0],
      [preset, 1],
      [preset, 7],
      ['auto', 0],
    ])('--sse-json %s, chunks of %i bytes: no secret survives', (spec, chunkSize) => {
      const findings: LocatedFinding[] = [];
      const out = readOutput(run(ruleSet, input, spec, chunkSize, findings), pieces);
      for (const secret of SECRET_VALUES) {
        for (const [key, text] of out.streams) expect(text, `stream ${key}`).not.toContain(secret);
        for (const text of out.strings) expect(text).not.toContain(secret);
        expect(out.strings.join('')).not.toContain(secret);
        expect(out.raw).not.toContain(secret);
      }
      // The smile split over two events is one character again, never two U+FFFD.
      expect([...out.streams.values()].some((text) => text.includes('a smile \u{1F600} then'))).toBe(true);
      expect(out.raw).not.toContain('\uFFFD');
      // Findings point at the input bytes that spell a secret's first character.
      expect(findings.length).toBeGreaterThan(0);
      for (const finding of findings) expect(finding.secret.start).toBeLessThan(input.length);
    });

    test('signatures pass untouched', () => {
      const out = utf8.decode(run(ruleSet, input, preset, 0));
      const signatures = utf8.decode(input).match(/"(?:signature|thoughtSignature)":"[^"]+"/g) ?? [];
      for (const signature of signatures) expect(out).toContain(signature);
    });
  });
});
