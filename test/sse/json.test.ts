/**
 * `--sse-json` against the JSON tricks and edges an attacker would try (issue 20 items 5 and 11,
 * issue 19's bounds and decoding), with the built-in packs on both engines: whatever goes out was
 * scanned (repeated names, numbers, names as context and as secrets), escapes and split surrogate
 * pairs, a stream cut mid-event, too many content streams, deep nesting, and findings placed in the
 * input bytes.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { createRedactorPool } from '../../src/redact/redactor.js';
import { chooseRuleSpecs } from '../../src/rules/choose.js';
import type { RuleSet } from '../../src/rules/ruleset.js';
import { type SseFindingContext, createSseRedactor } from '../../src/sse/redact.js';
import type { LocatedFinding } from '../../src/types.js';
import { TEMPLATE, everyBytes, ruleSetOf } from '../support.js';

const AWS = 'AKIA3SQC2PRH67RHILAS';
const AWS_SECRET = 'y+Nr3GL0AeYLhNYp1Uao9se+7g+qJeVXwei6KKGe';
const CARD = '5105105105105100';
const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

const engines: [string, () => Engine][] = [
  ['ts', () => tsEngine],
  ['vectorscan', () => selectEngine('vectorscan')],
];

const chat = (content: string, extra = ''): string => `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}${extra}}]}\n\n`;

describe.each(engines)('--sse-json on the %s engine', (_name, engine) => {
  let ruleSet: RuleSet;
  beforeAll(() => {
    ruleSet = ruleSetOf(chooseRuleSpecs({ packs: ['secrets', 'pii'], source: 'test' }), engine());
  }, 120_000);

  function run(input: string, options: { spec?: string; chunk?: number; maxContentStreams?: number } = {}) {
    const findings: [LocatedFinding, SseFindingContext][] = [];
    const warnings: string[] = [];
    const pool = createRedactorPool(ruleSet, { replacement: TEMPLATE });
    const redactor = createSseRedactor({
      openRedactor: pool,
      contentPath: options.spec ?? 'openai',
      onFinding: (finding, context) => findings.push([finding, context]),
      onWarning: (message) => warnings.push(message),
      ...(options.maxContentStreams === undefined ? {} : { maxContentStreams: options.maxContentStreams }),
    });
    const bytes = encoder.encode(input);
    const out = (options.chunk === undefined ? [bytes] : everyBytes(bytes, options.chunk)).map((chunk) => redactor.write(chunk));
    out.push(redactor.end());
    return { output: utf8.decode(Buffer.concat(out)), findings, warnings };
  }

  test.each([
    ['a secret in an earlier member of a repeated name', `data: {"k":"${AWS}","k":"x"}\n\n`, `data: {"k":"[REDACTED:aws-access-key-id]","k":"x"}\n\n`],
    ['a card number written as a JSON number', `data: {"pan": ${CARD}}\n\n`, 'data: {"pan": "[REDACTED:pii-payment-card]"}\n\n'],
    ['a card number in an array of numbers', `data: {"x":[1,${CARD},2.5e3]}\n\n`, 'data: {"x":[1,"[REDACTED:pii-payment-card]",2.5e3]}\n\n'],
    ['a secret that needs its member name', `data: {"aws_secret_access_key": "${AWS_SECRET}"}\n\n`, 'data: {"aws_secret_access_key": "[REDACTED:aws-secret-access-key]"}\n\n'],
    ['a password that needs its member name', 'data: {"password": "Xq7!mP2#vL9zQ"}\n\n', 'data: {"password": "[REDACTED:generic-password]"}\n\n'],
    ['a secret used as a member name', `data: {"${AWS}": 1}\n\n`, 'data: {"[REDACTED:aws-access-key-id]": 1}\n\n'],
    ['a secret written with escapes', `data: {"e":"\\u0041KIA3SQC2PRH67RHIL\\u0041S"}\n\n`, 'data: {"e":"[REDACTED:aws-access-key-id]"}\n\n'],
    ['an unchanged event keeps its bytes, escapes and spacing', 'data: { "a" : "\\u00e9\\/" ,"n":1.50 }\n\n', 'data: { "a" : "\\u00e9\\/" ,"n":1.50 }\n\n'],
    ['a member over two data lines stays split where it was', `data: {"a":1,\ndata:  "k":"${AWS}"}\n\n`, 'data: {"a":1,\ndata:  "k":"[REDACTED:aws-access-key-id]"}\n\n'],
  ])('%s', (_case, input, want) => {
    expect(run(input).output).toBe(want);
    expect(run(input, { chunk: 1 }).output).toBe(want);
  });

  test('a secret split over events inside escapes is found; events stay valid JSON', () => {
    const escaped = [...AWS].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const input = [
      'data: {"choices":[{"index":0,"delta":{"content":"key "}}]}\n\n',
      ...escaped.map((e) => `data: {"choices":[{"index":0,"delta":{"content":"${e}"}}]}\n\n`),
      chat(' done', ',"finish_reason":"stop"'),
    ].join('');
    const { output } = run(input, { chunk: 5 });
    const contents = output
      .split('\n\n')
      .filter((event) => event !== '')
      .map((event) => JSON.parse(event.replace(/^data: /, '')).choices[0].delta.content as string);
    expect(contents.join('')).toBe('key [REDACTED:aws-access-key-id] done');
  });

  test('a surrogate pair split over two events stays one character', () => {
    const input = 'data: {"choices":[{"index":0,"delta":{"content":"a\\ud83d"}}]}\n\ndata: {"choices":[{"index":0,"delta":{"content":"\\ude00b"}}]}\n\ndata: [DONE]\n\n';
    const { output } = run(input);
    const contents = output
      .split('\n\n')
      .filter((event) => event.startsWith('data: {'))
      .map((event) => JSON.parse(event.slice(6)).choices[0].delta.content as string);
    expect(contents.join('')).toBe('a\u{1F600}b');
  });

  test.each([
    ['after its last line, before the blank line', `${chat(`key ${AWS.slice(0, 12)}`)}${chat(`${AWS.slice(12)} more`).slice(0, -1)}`],
    ['inside its last line', `${chat(`key ${AWS.slice(0, 12)}`)}${chat(`${AWS.slice(12)} more`).trimEnd()}`],
    ['inside the JSON of its last event', `${chat(`key ${AWS.slice(0, 12)}`)}data: {"choices":[{"index":0,"delta":{"content":"${AWS.slice(12)}`],
    ['inside an escape of its last event', `${chat(`key ${AWS.slice(0, 12)}`)}data: {"choices":[{"index":0,"delta":{"content":"${AWS.slice(12)}\\u00`],
  ])('a stream cut %s: no part of a split key leaves in clear', (_case, input) => {
    for (const chunk of [undefined, 1]) {
      const { output } = run(input, chunk === undefined ? {} : { chunk });
      expect(output).not.toContain(AWS.slice(0, 12));
      expect(output).not.toContain(AWS.slice(12));
      expect(output).toContain('[REDACTED:aws-access-key-id]');
    }
  });

  test('past the bound on content streams an event is redacted as plain SSE, never passed', () => {
    const input = Array.from({ length: 10 }, (_, i) => `data: {"choices":[{"index":${i},"delta":{"content":"${i === 7 ? AWS : 'x'}"}}]}\n\n`).join('');
    const { output } = run(input, { maxContentStreams: 4 });
    expect(output).not.toContain(AWS);
    expect(output).toContain('[REDACTED:aws-access-key-id]');
    for (const event of output.split('\n\n').filter((e) => e !== '')) expect(() => JSON.parse(event.slice(6))).not.toThrow();
  });

  test('JSON nested 4,000 deep is read and redacted', () => {
    const depth = 4000;
    const input = `data: {"a":${'['.repeat(depth)}"${AWS}"${']'.repeat(depth)}}\n\n`;
    const { output } = run(input);
    expect(output).toBe(input.replace(AWS, '[REDACTED:aws-access-key-id]'));
  });

  test('findings carry input offsets, the event and the JSON path', () => {
    const first = chat(`key ${AWS.slice(0, 9)}`);
    const input = `${first}${chat(`${AWS.slice(9)} ok`)}data: {"meta":{"k":"\\u0041${AWS.slice(1)}"}}\n\n`;
    // Sorted: a unit reports a finding when its redactor decides it, which for a content stream
    // may be later than for a member of a later event.
    const findings = run(input, { chunk: 3 }).findings.sort(([a], [b]) => a.secret.start - b.secret.start);
    const start = input.indexOf(AWS.slice(0, 9));
    const secondEnd = input.indexOf(AWS.slice(9)) + AWS.length - 9;
    const third = input.indexOf('\\u0041');
    expect(findings.map(([f, c]) => [f.ruleId, f.secret.start, f.secret.end, f.line, f.column, c.event, c.eventOffset, c.path])).toEqual([
      ['aws-access-key-id', start, secondEnd, 1, start + 1, 0, 0, 'choices[0].delta.content'],
      ['aws-access-key-id', third, third + 6 + AWS.length - 1, 5, third - input.lastIndexOf('data:') + 1, 2, input.lastIndexOf('data:'), 'meta.k'],
    ]);
  });

  test('a secret sent one character per event is placed from its first character to its last', () => {
    const events = [chat('key '), ...[...AWS].map((c) => chat(c)), chat(' done')];
    const input = events.join('');
    const [[finding, context]] = run(input).findings as [[LocatedFinding, SseFindingContext]];
    const offsetOf = (event: number) => events.slice(0, event).join('').length;
    const contentStart = chat('X').indexOf('"X"') + 1;
    expect([finding.secret.start, finding.secret.end, context.event, context.eventOffset]).toEqual([
      offsetOf(1) + contentStart,
      offsetOf(AWS.length) + contentStart + 1,
      1,
      offsetOf(1),
    ]);
  });

  test('a path that never matches warns at the end of the stream', () => {
    expect(run(`data: {"x":"${AWS}"}\n\n`, { spec: 'choices[].delta.text' }).warnings).toEqual([
      expect.stringContaining('--sse-json choices[].delta.text: no content found in 1 JSON event(s)'),
    ]);
  });
});
