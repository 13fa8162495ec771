import { describe, expect, test } from 'vitest';
import { SseredactError } from '../../src/errors.js';
import { compileContentPath } from '../../src/sse/json-path.js';

describe('content paths', () => {
  test.each<[name: string, path: string, value: unknown, want: [key: string, text: string][]]>([
    ['openai chat choices keyed by index', 'openai', { choices: [{ index: 3, delta: { content: 'a' } }, { index: 1, delta: { content: 'b' } }] }, [['choices/3', 'a'], ['choices/1', 'b']]],
    ['openai chat without content', 'openai', { choices: [{ index: 0, delta: { role: 'assistant' } }] }, []],
    ['openai responses delta', 'openai', { type: 'response.output_text.delta', output_index: 1, content_index: 0, delta: 'x' }, [['output/1/0', 'x']]],
    ['anthropic text', 'anthropic', { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 't' } }, [['block/2', 't']]],
    ['anthropic thinking', 'anthropic', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'h' } }, [['block/0', 'h']]],
    ['anthropic tool input', 'anthropic', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a' } }, [['block/1', '{"a']]],
    ['anthropic other event', 'anthropic', { type: 'message_delta', delta: { text: 'no' } }, []],
    ['generic nested arrays', 'a[][].b', { a: [[{ b: 'x' }], [{ b: 'y' }, { b: 1 }]] }, [['path/0/0', 'x'], ['path/1/0', 'y']]],
    ['generic string array', 'a.b[]', { a: { b: ['x', 'y'] } }, [['path/0', 'x'], ['path/1', 'y']]],
    ['generic missing member', 'a.b', { a: {} }, []],
  ])('%s', (_name, path, value, want) => {
    expect(compileContentPath(path).slots(value).map((slot) => [slot.key, slot.text])).toEqual(want);
  });

  test('a slot writes through to the parsed value', () => {
    const value = { a: { b: ['x'] } };
    for (const slot of compileContentPath('a.b[]').slots(value)) slot.set('y');
    expect(value).toEqual({ a: { b: ['y'] } });
  });

  test.each(['', 'a..b', 'a[', 'a[]x', '[]', 'a.[]'])('rejects the path %j', (path) => {
    expect(() => compileContentPath(path)).toThrow(SseredactError);
  });
});
