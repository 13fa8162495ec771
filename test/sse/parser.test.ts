import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type SseEvent, createSseFramer, dataOf, valueOf } from '../../src/sse/parser.js';
import { serializeEvent } from '../../src/sse/serialize.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const bytes = (text: string): Uint8Array => encoder.encode(text);

/** Frames `input` cut into `chunks` (sizes; the last chunk takes the rest). */
function frame(input: Uint8Array, sizes: readonly number[] = [], maxEventBytes?: number): SseEvent[] {
  const framer = createSseFramer(maxEventBytes === undefined ? {} : { maxEventBytes });
  const events: SseEvent[] = [];
  let offset = 0;
  for (const size of sizes) {
    events.push(...framer.write(input.subarray(offset, Math.min(input.length, offset + size))));
    offset = Math.min(input.length, offset + size);
  }
  events.push(...framer.write(input.subarray(offset)));
  events.push(...framer.end());
  return events;
}

function oneByteSizes(input: Uint8Array): number[] {
  return Array.from({ length: input.length }, () => 1);
}

/**
 * What the events mean, independent of chunking: per line its kind, field and value, or comment
 * text. An event with no lines (only a prefix: the LF of a CRLF split after a dispatching CR)
 * exists or not depending on chunking, so it is left out.
 */
function describeEvents(events: readonly SseEvent[]): string[][] {
  return events
    .filter((event) => event.lines.length > 0)
    .map((event) =>
      event.lines.map((line) => {
        const value = decoder.decode(valueOf(line));
        if (line.kind === 'blank') return '<dispatch>';
        if (line.kind === 'comment') return `#${JSON.stringify(value)}`;
        return line.hasColon ? `${line.field}=${JSON.stringify(value)}` : `${line.field}(no colon)`;
      }),
    );
}

function serializeAll(events: readonly SseEvent[]): Uint8Array {
  return Buffer.concat(events.map(serializeEvent));
}

// Each case: input, the expected lines per event, whether the last event is dispatched.
const cases: [name: string, input: string, events: string[][]][] = [
  ['LF line endings', 'data: a\n\n', [['data="a"', '<dispatch>']]],
  ['CR line endings', 'data: a\r\r', [['data="a"', '<dispatch>']]],
  ['CRLF line endings', 'data: a\r\n\r\n', [['data="a"', '<dispatch>']]],
  ['mixed endings in one event', 'data: a\rdata: b\r\ndata: c\n\n', [['data="a"', 'data="b"', 'data="c"', '<dispatch>']]],
  ['one optional space only', 'data:  two\n\n', [['data=" two"', '<dispatch>']]],
  ['no space after colon', 'data:x\n\n', [['data="x"', '<dispatch>']]],
  ['field with no colon', 'data\n\n', [['data(no colon)', '<dispatch>']]],
  ['comment line', ': keep-alive\n\n', [['#" keep-alive"', '<dispatch>']]],
  ['empty comment', ':\n\n', [['#""', '<dispatch>']]],
  ['event id retry fields', 'event: add\nid: 7\nretry: 100\ndata: x\n\n', [['event="add"', 'id="7"', 'retry="100"', 'data="x"', '<dispatch>']]],
  ['colon inside the value', 'data: a:b: c\n\n', [['data="a:b: c"', '<dispatch>']]],
  ['unknown field', 'foo: bar\n\n', [['foo="bar"', '<dispatch>']]],
  ['empty data value', 'data:\n\n', [['data=""', '<dispatch>']]],
  [
    'two events',
    'data: 1\n\ndata: 2\n\n',
    [
      ['data="1"', '<dispatch>'],
      ['data="2"', '<dispatch>'],
    ],
  ],
  ['leading blank lines', '\n\ndata: 1\n\n', [['<dispatch>'], ['<dispatch>'], ['data="1"', '<dispatch>']]],
  ['leading BOM', '\uFEFFdata: 1\n\n', [['data="1"', '<dispatch>']]],
  ['only the first BOM is stripped', '\uFEFF\uFEFFdata: 1\n\n', [['\uFEFFdata="1"', '<dispatch>']]],
  ['partial event at end', 'data: 1\n\ndata: 2', [['data="1"', '<dispatch>'], ['data="2"']]],
  ['partial event with line ending at end', 'data: 1\n', [['data="1"']]],
  ['UTF-8 value', 'data: héllo 🎉\n\n', [['data="héllo 🎉"', '<dispatch>']]],
  ['UTF-8 field name', 'dätä: x\n\n', [['dätä="x"', '<dispatch>']]],
  ['empty input', '', []],
  ['BOM only', '\uFEFF', []],
];

describe('framer: spec edge cases', () => {
  test.each(cases)('%s', (_name, input, expected) => {
    const data = bytes(input);
    for (const sizes of [[], oneByteSizes(data), [3, 1, 2, 5]]) {
      const events = frame(data, sizes);
      expect(describeEvents(events), `chunk sizes ${JSON.stringify(sizes)}`).toEqual(expected);
      expect(Buffer.from(serializeAll(events)).equals(Buffer.from(data))).toBe(true);
    }
  });

  test.each([
    ['LF', 'data: a\n\n', '\n'],
    ['CR', 'data: a\r\r', '\r'],
    ['CRLF', 'data: a\r\n\r\n', '\r\n'],
  ])('keeps the %s line ending of each line', (_name, input, ending) => {
    const [event] = frame(bytes(input));
    expect(event?.lines.map((line) => line.ending)).toEqual([ending, ending]);
  });

  test('a CR at a chunk end and an LF starting the next chunk are one line ending', () => {
    const framer = createSseFramer();
    expect(framer.write(bytes('data: a\r'))).toEqual([]);
    const [event] = framer.write(bytes('\n\r\n'));
    expect(event?.lines.map((line) => line.ending)).toEqual(['\r\n', '\r\n']);
    expect(framer.end()).toEqual([]);
  });

  test('a blank CR line at a chunk end dispatches at once; a following LF is the next prefix', () => {
    const framer = createSseFramer();
    const first = framer.write(bytes('data: a\r\n\r'));
    expect(describeEvents(first)).toEqual([['data="a"', '<dispatch>']]);
    expect(framer.write(bytes('\ndata: b\r\n\r\n')).map((e) => decoder.decode(e.prefix))).toEqual(['\n']);
  });

  test('a long line arriving in tiny slices is one line', () => {
    const value = 'x'.repeat(100_000);
    const data = bytes(`data: ${value}\n\n`);
    const events = frame(
      data,
      Array.from({ length: data.length / 3 }, () => 3),
    );
    expect(events).toHaveLength(1);
    expect(decoder.decode(dataOf(events[0] as SseEvent) as Uint8Array)).toBe(value);
  });

  test('dataOf joins data lines with LF and is null without data', () => {
    const [withData, withoutData] = frame(bytes('data: a\nevent: e\ndata:\ndata: b\n\n: c\n\n'));
    expect(decoder.decode(dataOf(withData as SseEvent) as Uint8Array)).toBe('a\n\nb');
    expect(dataOf(withoutData as SseEvent)).toBeNull();
  });

  test('a partial BOM at end of stream is kept as the bytes of a line', () => {
    const framer = createSseFramer();
    expect(framer.write(Uint8Array.of(0xef, 0xbb))).toEqual([]);
    const [event] = framer.end();
    expect(event?.prefix).toHaveLength(0);
    expect([...(event?.lines[0]?.bytes ?? [])]).toEqual([0xef, 0xbb]);
  });

  test('isDispatched is false only for the partial event at end', () => {
    const events = frame(bytes('data: 1\n\ndata: 2\n'));
    expect(events.map((e) => e.isDispatched)).toEqual([true, false]);
  });
});

const lineArbitrary = fc.oneof(
  fc.constantFrom('', 'data', 'data:', ':', 'event: x', 'id: 1', 'retry: 9', ': ping', '\uFEFF'),
  fc.string({ unit: fc.constantFrom('d', 'a', 't', ':', ' ', 'é', '\uFEFF', 'x') }),
);
const endingArbitrary = fc.constantFrom('\n', '\r', '\r\n', '');

/** Cut points for `length` bytes, sorted, from random numbers. */
function cutsOf(length: number, raw: readonly number[]): number[] {
  return [...new Set(raw.map((r) => r % (length + 1)))].sort((a, b) => a - b);
}

function sizesFromCuts(cuts: readonly number[]): number[] {
  return cuts.map((cut, i) => cut - (i === 0 ? 0 : (cuts[i - 1] as number)));
}

describe('framer: properties', () => {
  test('an event past maxEventBytes goes out in parts with the same lines and bytes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(lineArbitrary, endingArbitrary), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 1, max: 40 }),
        (lines, rawCuts, maxEventBytes) => {
          const input = bytes(lines.map(([line, ending]) => line + ending).join(''));
          const parts = frame(input, sizesFromCuts(cutsOf(input.length, rawCuts)), maxEventBytes);
          for (const event of parts.slice(0, -1)) {
            const size = event.lines.reduce((sum, line) => sum + line.bytes.length + line.ending.length, 0);
            if (!event.isDispatched) expect(size).toBeGreaterThan(maxEventBytes);
          }
          expect(describeEvents(parts).flat()).toEqual(describeEvents(frame(input)).flat());
          expect(Buffer.from(serializeAll(parts)).equals(Buffer.from(input))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('any chunking gives the same events and re-emits the input byte-for-byte', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(lineArbitrary, endingArbitrary), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (bom, lines, rawCuts) => {
        const input = bytes((bom ? '\uFEFF' : '') + lines.map(([line, ending]) => line + ending).join(''));
        const whole = frame(input);
        const chunked = frame(input, sizesFromCuts(cutsOf(input.length, rawCuts)));
        expect(describeEvents(chunked)).toEqual(describeEvents(whole));
        expect(Buffer.from(serializeAll(chunked)).equals(Buffer.from(input))).toBe(true);
        expect(Buffer.from(serializeAll(whole)).equals(Buffer.from(input))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
