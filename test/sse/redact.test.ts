import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type SseEvent, createSseFramer, dataOf } from '../../src/sse/parser.js';
import { type SseRedactOptions, createSseRedactor } from '../../src/sse/redact.js';
import { createLiteralRedactor, redactLiterals } from './literal-redactor.js';

const SECRET = 'AKIAIOSFODNN7EXAMPLE';
const LITERALS = [SECRET, 'ghp_TOKEN1234', 'SEC\nRET'];
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function options(contentPath?: string): SseRedactOptions {
  const openRedactor = () => createLiteralRedactor(LITERALS);
  return contentPath === undefined ? { openRedactor } : { openRedactor, contentPath };
}

/** Runs `input` through a redactor in chunks of the given sizes (rest in one chunk). */
function run(input: string, contentPath?: string, sizes: readonly number[] = []): string {
  const redactor = createSseRedactor(options(contentPath));
  const bytes = encoder.encode(input);
  const out: Uint8Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    out.push(redactor.write(bytes.subarray(offset, Math.min(bytes.length, offset + size))));
    offset = Math.min(bytes.length, offset + size);
  }
  out.push(redactor.write(bytes.subarray(offset)));
  out.push(redactor.end());
  return decoder.decode(Buffer.concat(out));
}

function events(output: string): SseEvent[] {
  const framer = createSseFramer();
  return [...framer.write(encoder.encode(output)), ...framer.end()];
}

function dataTexts(output: string): string[] {
  return events(output).flatMap((event) => {
    const data = dataOf(event);
    return data === null ? [] : [decoder.decode(data)];
  });
}

/** The content deltas of an OpenAI chat stream's output, in order. */
function openaiContent(output: string): string {
  return dataTexts(output)
    .filter((data) => data !== '[DONE]')
    .map((data) => (JSON.parse(data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
    .join('');
}

function chatEvent(content: string, extra = ''): string {
  return `data: {"id":"c1","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}${extra}}]}\n\n`;
}

describe('--sse: per-event redaction', () => {
  test.each([
    ['clean LF stream passes byte-for-byte', 'event: a\ndata: x\nid: 1\n\n: ping\n\n', 'event: a\ndata: x\nid: 1\n\n: ping\n\n'],
    ['clean CRLF stream with BOM passes byte-for-byte', '\uFEFFdata:x\r\ndata\r\n\r\n', '\uFEFFdata:x\r\ndata\r\n\r\n'],
    ['secret in data', `data: key=${SECRET}!\n\n`, 'data: key=[REDACTED]!\n\n'],
    ['secret in a comment stays a comment', `: ${SECRET}\n\n`, ': [REDACTED]\n\n'],
    ['secret in id and event', `id: ${SECRET}\nevent: ${SECRET}\n\n`, 'id: [REDACTED]\nevent: [REDACTED]\n\n'],
    ['secret as a field name without colon', `${SECRET}\n\n`, '[REDACTED]\n\n'],
    ['secret as an unknown field name', `${SECRET}: v\n\n`, '[REDACTED]: v\n\n'],
    ['secret over two data lines becomes one line', 'data: a SEC\ndata: RET b\r\n\r\n', 'data: a [REDACTED] b\r\n\r\n'],
    ['secret over CRLF-separated data lines', 'data: SEC\r\ndata: RET\r\n\r\n', 'data: [REDACTED]\r\n\r\n'],
    ['keeps other lines of a redacted event', `event: e\ndata: ${SECRET}\ndata: y\nid: 2\n\n`, 'event: e\ndata: [REDACTED]\ndata: y\nid: 2\n\n'],
    ['secret in a final event without blank line', `data: ${SECRET}`, 'data: [REDACTED]'],
    ['secret split over two events is not matched', 'data: AKIAIOSF\n\ndata: ODNN7EXAMPLE\n\n', 'data: AKIAIOSF\n\ndata: ODNN7EXAMPLE\n\n'],
  ])('%s', (_name, input, want) => {
    for (const sizes of [[], Array.from({ length: input.length }, () => 1), [5, 3]]) {
      expect(run(input, undefined, sizes), `chunk sizes ${JSON.stringify(sizes)}`).toBe(want);
    }
  });

  test('an event ending in a live partial match goes out by the write that completes it', () => {
    const redactor = createSseRedactor(options());
    expect(decoder.decode(redactor.write(encoder.encode('data: x AKIAIOSF\n\n')))).toBe('data: x AKIAIOSF\n\n');
    expect(decoder.decode(redactor.write(encoder.encode('data: 2\n')))).toBe('');
    expect(decoder.decode(redactor.write(encoder.encode('\n')))).toBe('data: 2\n\n');
    expect(redactor.end()).toHaveLength(0);
  });
});

test.each([undefined, 'openai'])('fails closed: an error of the byte redactor propagates (%s)', (contentPath) => {
  const failing = () => ({
    write: (): Uint8Array => {
      throw new Error('engine failure');
    },
    end: () => new Uint8Array(0),
    release: () => new Uint8Array(0),
  });
  const redactor = createSseRedactor(contentPath === undefined ? { openRedactor: failing } : { openRedactor: failing, contentPath });
  expect(() => redactor.write(encoder.encode(chatEvent('x')))).toThrow('engine failure');
});

test('an event past maxEventBytes goes out line by line, still redacted', () => {
  const redactor = createSseRedactor({ ...options(), maxEventBytes: 10 });
  expect(decoder.decode(redactor.write(encoder.encode(`data: ${SECRET}\ndata: b`)))).toBe('data: [REDACTED]\n');
  expect(decoder.decode(redactor.write(encoder.encode('\n\n')))).toBe('data: b\n\n');
});

describe('--sse-json: content stream across events', () => {
  test('a secret split over many events is redacted; held fragments leave their event empty', () => {
    const input = `${['Key: AK', 'IAIOS', 'FODNN7EX', 'AMPLE done'].map((c) => chatEvent(c)).join('')}data: [DONE]\n\n`;
    const out = run(input, 'openai');
    expect(openaiContent(out)).toBe('Key: [REDACTED] done');
    expect(dataTexts(out)).toEqual([
      '{"id":"c1","choices":[{"index":0,"delta":{"content":"Key: "}}]}',
      '{"id":"c1","choices":[{"index":0,"delta":{"content":""}}]}',
      '{"id":"c1","choices":[{"index":0,"delta":{"content":""}}]}',
      '{"id":"c1","choices":[{"index":0,"delta":{"content":"[REDACTED] done"}}]}',
      '[DONE]',
    ]);
  });

  test('a 21-word answer leaves word by word, each event written as it completes (minimal-holdback redactor)', () => {
    // No word ends in what could start a literal (a final `g` could start ghp_…, and would wait).
    const words = 'The quick brown fox jumps over the lazy cat while seven wise owls watch from an old oak tree at dusk'.split(' ');
    const redactor = createSseRedactor(options('openai'));
    words.forEach((word, i) => {
      const event = chatEvent(i === 0 ? word : ` ${word}`);
      expect(decoder.decode(redactor.write(encoder.encode(event)))).toBe(event);
    });
    expect(decoder.decode(redactor.end())).toBe('');
  });

  test('clean events keep their bytes (formatting included)', () => {
    const input = 'data: {"choices": [ {"index": 0, "delta": {"content": "hi"}} ]}\r\n\r\ndata: [DONE]\r\n\r\n';
    expect(run(input, 'openai')).toBe(input);
  });

  test('a held partial match is released in a synthetic event before [DONE]', () => {
    const input = `${chatEvent('ends with AKIA')}data: [DONE]\n\n`;
    const out = run(input, 'openai');
    expect(dataTexts(out)).toEqual([
      '{"id":"c1","choices":[{"index":0,"delta":{"content":"ends with "}}]}',
      '{"id":"c1","choices":[{"index":0,"delta":{"content":"AKIA"}}]}',
      '[DONE]',
    ]);
  });

  test('held text goes into the finishing chunk when it has content, else just before it', () => {
    const withContent = run(chatEvent('x AKIA') + chatEvent('IOS', ',"finish_reason":"stop"'), 'openai');
    expect(dataTexts(withContent).map((d) => JSON.parse(d).choices[0].delta.content)).toEqual(['x ', 'AKIAIOS']);
    const without = run(`${chatEvent('x AKIA')}data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n`, 'openai');
    expect(dataTexts(without)).toEqual([
      '{"id":"c1","choices":[{"index":0,"delta":{"content":"x "}}]}',
      '{"id":"c1","choices":[{"index":0,"delta":{"content":"AKIA"}}]}',
      '{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    ]);
  });

  test('held text joins the finishing chunk whose other members are redacted too', () => {
    const out = run(chatEvent('x AKIA') + chatEvent('IOS', ',"finish_reason":"stop","x":"ghp_TOKEN1234"'), 'openai');
    expect(JSON.parse(dataTexts(out)[1] as string).choices[0]).toEqual({ index: 0, delta: { content: 'AKIAIOS' }, finish_reason: 'stop', x: '[REDACTED]' });
  });

  test('held text is released at end of stream when nothing ends it earlier', () => {
    const out = run(chatEvent('tail ghp_TOK'), 'openai');
    expect(openaiContent(out)).toBe('tail ghp_TOK');
    expect(events(out).every((event) => event.isDispatched)).toBe(true);
  });

  test('choices are separate content streams', () => {
    const event = (index: number, content: string) => `data: {"choices":[{"index":${index},"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;
    const out = run(`${event(0, 'AKIAIOS') + event(1, 'FODNN7EXAMPLE') + event(0, 'FODNN7EXAMPLE')}data: [DONE]\n\n`, 'openai');
    const contents = dataTexts(out)
      .slice(0, -1)
      .map((d) => JSON.parse(d).choices[0]);
    expect(
      contents
        .filter((c) => c.index === 0)
        .map((c) => c.delta.content)
        .join(''),
    ).toBe('[REDACTED]');
    expect(
      contents
        .filter((c) => c.index === 1)
        .map((c) => c.delta.content)
        .join(''),
    ).toBe('FODNN7EXAMPLE');
  });

  test('OpenAI Responses API output_text deltas', () => {
    const delta = (text: string) =>
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":${JSON.stringify(text)}}\n\n`;
    const done = 'event: response.output_text.done\ndata: {"type":"response.output_text.done","output_index":0,"content_index":0,"text":"x"}\n\n';
    const out = run(delta('a ghp_TO') + delta('KEN1234 b') + delta(' ghp') + done, 'openai');
    const deltas = dataTexts(out)
      .map((d) => JSON.parse(d))
      .filter((d) => d.type === 'response.output_text.delta');
    expect(deltas.map((d) => d.delta).join('')).toBe('a [REDACTED] b ghp');
    expect(events(out).at(-2)?.lines[0]?.field).toBe('event');
  });

  test('Anthropic text deltas; content_block_stop releases held text in a synthetic event', () => {
    const delta = (text: string) => `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}\n\n`;
    const stop = 'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n';
    const out = run(delta('one AKIAIOSFODNN7') + delta('EXAMPLE two AKI') + stop, 'anthropic');
    expect(out).toBe(delta('one ') + delta('[REDACTED] two ') + delta('AKI').replace(/, /g, ',') + stop);
  });

  test('a dotted path with arrays', () => {
    const event = (a: string, b: string) => `data: {"out":[{"t":${JSON.stringify(a)}},{"t":${JSON.stringify(b)}}]}\n\n`;
    const out = run(event('AKIAIOSF', 'ghp_TOKEN') + event('ODNN7EXAMPLE', '1234'), 'out[].t');
    const values = dataTexts(out).map((d) => JSON.parse(d).out.map((o: { t: string }) => o.t));
    expect(values.map((v) => v[0]).join('')).toBe('[REDACTED]');
    expect(values.map((v) => v[1]).join('')).toBe('[REDACTED]');
  });

  test('secrets in other JSON members are redacted on their own, JSON stays valid', () => {
    const out = run(`data: {"tool":"${SECRET}","esc":"\\u0041KIAIOSFODNN7EXAMPLE","choices":[{"index":0,"delta":{"content":"ok"}}]}\n\n`, 'openai');
    expect(JSON.parse(dataTexts(out)[0] as string)).toEqual({
      tool: '[REDACTED]',
      esc: '[REDACTED]',
      choices: [{ index: 0, delta: { content: 'ok' } }],
    });
  });

  test('a secret hidden by a \\/ escape in another member is found decoded', () => {
    const out = run('data: {"k":"ghp_TO\\/","x":"ghp_TOKEN1234","choices":[]}\n\n', 'openai');
    expect(JSON.parse(dataTexts(out)[0] as string)).toEqual({ k: 'ghp_TO/', x: '[REDACTED]', choices: [] });
  });

  test('a member secret repeated in every event is redacted every time', () => {
    const event = `data: {"k":"${SECRET}","ok":"fine","choices":[]}\n\n`;
    expect(dataTexts(run(event.repeat(3), 'openai'))).toEqual(Array(3).fill('{"k":"[REDACTED]","ok":"fine","choices":[]}'));
  });

  test('non-JSON data and comment-only events pass through, redacted as in --sse', () => {
    expect(run(`: ${SECRET}\n\ndata: not json ${SECRET}\n\n`, 'openai')).toBe(': [REDACTED]\n\ndata: not json [REDACTED]\n\n');
  });

  test('an unknown preset or bad path is a usage error', () => {
    expect(() => createSseRedactor(options('a..b'))).toThrow(/--sse-json/);
  });
});

/** Splits `text` at code point boundaries into pieces at `cuts` (code point indexes). */
function splitAt(text: string, rawCuts: readonly number[]): string[] {
  const points = Array.from(text);
  const cuts = [...new Set(rawCuts.map((c) => c % (points.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let start = 0;
  for (const cut of [...cuts, points.length]) {
    pieces.push(points.slice(start, cut).join(''));
    start = cut;
  }
  return pieces;
}

function byteSizes(length: number, rawCuts: readonly number[]): number[] {
  const cuts = [...new Set(rawCuts.map((c) => c % (length + 1)))].sort((a, b) => a - b);
  return cuts.map((cut, i) => cut - (i === 0 ? 0 : (cuts[i - 1] as number)));
}

describe('--sse-json: properties', () => {
  const contentArbitrary = fc
    .array(fc.oneof(fc.constantFrom(SECRET, 'ghp_TOKEN1234', 'AKIA', 'ghp_', 'é', '🎉', '\n', '"', '\\'), fc.string({ maxLength: 6 })), {
      maxLength: 12,
    })
    .map((parts) => parts.join(''));

  test('any split of the content over events and any chunking gives the redacted content', () => {
    fc.assert(
      fc.property(contentArbitrary, fc.array(fc.nat(), { maxLength: 15 }), fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), (content, textCuts, byteCuts, hasDone) => {
        const input =
          splitAt(content, textCuts)
            .map((piece) => chatEvent(piece))
            .join('') + (hasDone ? 'data: [DONE]\n\n' : '');
        const out = run(input, 'openai', byteSizes(encoder.encode(input).length, byteCuts));
        const texts = dataTexts(out);
        for (const data of texts) if (data !== '[DONE]') expect(() => JSON.parse(data)).not.toThrow();
        if (hasDone) expect(texts.at(-1)).toBe('[DONE]');
        expect(openaiContent(out)).toBe(redactLiterals(content, LITERALS));
      }),
      { numRuns: 1000 },
    );
  });

  test('interleaved choices are reassembled per choice index', () => {
    fc.assert(
      fc.property(
        contentArbitrary,
        contentArbitrary,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.boolean(), { maxLength: 30 }),
        (a, b, cutsA, cutsB, order) => {
          const queues = [splitAt(a, cutsA), splitAt(b, cutsB)];
          const event = (index: number, content: string) => `data: {"choices":[{"index":${index},"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;
          let input = '';
          for (const pickSecond of order) {
            const index = pickSecond ? 1 : 0;
            const piece = queues[index]?.shift();
            if (piece !== undefined) input += event(index, piece);
          }
          queues.forEach((queue, index) => {
            for (const piece of queue) input += event(index, piece);
          });
          const choices = dataTexts(run(`${input}data: [DONE]\n\n`, 'openai'))
            .slice(0, -1)
            .map((data) => JSON.parse(data).choices[0] as { index: number; delta: { content: string } });
          const contentOf = (index: number) =>
            choices
              .filter((c) => c.index === index)
              .map((c) => c.delta.content)
              .join('');
          expect([contentOf(0), contentOf(1)]).toEqual([redactLiterals(a, LITERALS), redactLiterals(b, LITERALS)]);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('--sse output does not depend on chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('data: ', SECRET, 'AKIA', '\n', '\r\n', '\r', ': ', 'SEC', 'RET', 'x'), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (parts, byteCuts) => {
          const input = parts.join('');
          expect(run(input, undefined, byteSizes(encoder.encode(input).length, byteCuts))).toBe(run(input));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
