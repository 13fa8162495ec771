import { describe, expect, test } from 'vitest';
import { type Detection, createAutoRedactor, detectEventStream } from '../../src/sse/detect.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test.each<[name: string, head: string, isEnd: boolean, want: Detection]>([
  ['a first event', 'data: {"a":1}\n\n', false, 'sse'],
  ['a first event with CR endings', 'data:x\r\r', false, 'sse'],
  ['event, id, retry and data fields', 'event: m\nid: 1\nretry: 3000\ndata: x\r\n\r\n', false, 'sse'],
  ['a comment event', ': ping\n\n', false, 'sse'],
  ['BOM then an event', '\uFEFFdata: x\n\n', false, 'sse'],
  ['blank lines then an event', '\r\n\ndata: x\n\n', false, 'sse'],
  ['a data line without its blank line yet', 'data: x\n', false, 'undecided'],
  ['a prefix of a field name', 'da', false, 'undecided'],
  ['a prefix of a field name at end', 'da', true, 'text'],
  ['an event without blank line at end', 'data: x\n', true, 'text'],
  ['part of a BOM', '\xEF', false, 'undecided'],
  ['empty so far', '', false, 'undecided'],
  ['empty stream', '', true, 'text'],
  ['log line', '2026-01-01 INFO started', false, 'text'],
  ['field name without colon', 'data x', false, 'text'],
  ['JSON lines', '{"data": 1}\n', false, 'text'],
  ['unknown field', 'foo: bar\n', false, 'text'],
  ['a log that starts like a field', 'id: 5\nname: x\n', false, 'text'],
  ['a data field then a plain line', 'data: x\nhello\n\n', false, 'text'],
])('%s', (_name, head, isEnd, want) => {
  const input = head === '\xEF' ? Uint8Array.of(0xef) : bytes(head);
  expect(detectEventStream(input, isEnd)).toBe(want);
});

describe('createAutoRedactor', () => {
  const tagging = (tag: string) => () => ({
    write: (chunk: Uint8Array) => Buffer.concat([Buffer.from(`<${tag}>`), chunk]),
    end: () => Buffer.from(`</${tag}>`),
  });
  const run = (chunks: string[]) => {
    const redactor = createAutoRedactor({ text: tagging('text'), sse: tagging('sse') });
    const outputs = chunks.map((chunk) => Buffer.from(redactor.write(bytes(chunk))).toString());
    return [...outputs, Buffer.from(redactor.end()).toString()];
  };

  test.each<[name: string, chunks: string[], want: string[]]>([
    ['decides on the first chunk', ['data: x\n\n', 'data: y\n\n'], ['<sse>data: x\n\n', '<sse>data: y\n\n', '</sse>']],
    ['holds a possible start, then passes it whole', ['d', 'at', 'a: x\n', '\n'], ['', '', '', '<sse>data: x\n\n', '</sse>']],
    ['text as soon as a byte rules SSE out', ['d', 'ax'], ['', '<text>dax', '</text>']],
    ['an undecided stream at end is text', ['da'], ['', '<text>da</text>']],
    ['an empty stream is text', [], ['<text></text>']],
    ['more than 4 KiB of blank lines is text', ['\n'.repeat(5000)], [`<text>${'\n'.repeat(5000)}`, '</text>']],
  ])('%s', (_name, chunks, want) => {
    expect(run(chunks)).toEqual(want);
  });
});
