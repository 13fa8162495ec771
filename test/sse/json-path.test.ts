import { describe, expect, test } from 'vitest';
import { SseredactError } from '../../src/errors.js';
import { compileContentPath } from '../../src/sse/json-path.js';
import { parseJsonTree } from '../../src/sse/json-tree.js';
import type { ContentLocator } from '../../src/sse/presets.js';

function locator(spec: string): ContentLocator {
  const compiled = compileContentPath(spec);
  if (compiled === 'auto') throw new Error('auto has no fixed locator');
  return compiled;
}

function slotsOf(spec: string, value: unknown): [string, string][] {
  const tree = parseJsonTree(JSON.stringify(value));
  if (tree === null) throw new Error('not JSON');
  return locator(spec)
    .slots(tree.root)
    .map((slot) => [slot.key, slot.leaf.value]);
}

describe('content paths and presets', () => {
  test.each<[name: string, path: string, value: unknown, want: [key: string, text: string][]]>([
    [
      'openai chat choices keyed by index',
      'openai',
      {
        choices: [
          { index: 3, delta: { content: 'a' } },
          { index: 1, delta: { content: 'b' } },
        ],
      },
      [
        ['c/3/content/', 'a'],
        ['c/1/content/', 'b'],
      ],
    ],
    ['openai chat without content', 'openai', { choices: [{ index: 0, delta: { role: 'assistant' } }] }, []],
    ['openai tool calls per index', 'openai', { choices: [{ index: 0, delta: { tool_calls: [{ index: 2, function: { arguments: '{"k' } }] } }] }, [['c/0/tool/2/', '{"k']]],
    [
      'openai refusal, reasoning and audio',
      'openai',
      { choices: [{ index: 0, delta: { refusal: 'r', reasoning_content: 'R', audio: { transcript: 't' } } }] },
      [
        ['c/0/refusal/', 'r'],
        ['c/0/reasoning/', 'R'],
        ['c/0/audio/', 't'],
      ],
    ],
    ['openai legacy text', 'openai', { choices: [{ index: 0, text: 'x' }] }, [['c/0/text/', 'x']]],
    [
      'openai logprobs tokens',
      'openai',
      { choices: [{ index: 0, logprobs: { content: [{ token: 'A', bytes: [65] }, { token: 'K' }] } }] },
      [
        ['c/0/logprobs-content/', 'A'],
        ['c/0/logprobs-content/', 'K'],
      ],
    ],
    [
      'openai responses delta',
      'openai',
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'x' },
      [['r/msg_1/output_text/0/', 'x']],
    ],
    [
      'openai responses function arguments',
      'openai',
      { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: '{' },
      [['r/fc_1/function_call_arguments//', '{']],
    ],
    ['openai responses audio is not text', 'openai', { type: 'response.audio.delta', delta: 'AAAA' }, []],
    ['anthropic text', 'anthropic', { type: 'content_block_delta', index: 2, delta: { type: 'text_delta', text: 't' } }, [['b/2/text/', 't']]],
    ['anthropic thinking', 'anthropic', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'h' } }, [['b/0/thinking/', 'h']]],
    ['anthropic tool input', 'anthropic', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a' } }, [['b/1/partial_json/', '{"a']]],
    ['anthropic other event', 'anthropic', { type: 'message_delta', delta: { text: 'no' } }, []],
    [
      'gemini parts, thoughts apart',
      'gemini',
      { candidates: [{ index: 0, content: { parts: [{ text: 'a' }, { text: 'b', thought: true }] } }] },
      [
        ['g/0/text/', 'a'],
        ['g/0/thought/', 'b'],
      ],
    ],
    ['vercel text delta', 'vercel', { type: 'text-delta', id: 't1', delta: 'x' }, [['v/text/t1/', 'x']]],
    ['vercel tool input delta', 'vercel', { type: 'tool-input-delta', toolCallId: 'c1', inputTextDelta: '{' }, [['v/tool/c1/', '{']]],
    [
      'generic nested arrays',
      'a[][].b',
      { a: [[{ b: 'x' }], [{ b: 'y' }, { b: 1 }]] },
      [
        ['p/0/0/', 'x'],
        ['p/1/0/', 'y'],
      ],
    ],
    [
      'generic string array',
      'a.b[]',
      { a: { b: ['x', 'y'] } },
      [
        ['p/0/', 'x'],
        ['p/1/', 'y'],
      ],
    ],
    ['generic top-level member', '$.text', { text: 'x' }, [['p/', 'x']]],
    ['generic missing member', 'a.b', { a: {} }, []],
  ])('%s', (_name, path, value, want) => {
    expect(slotsOf(path, value)).toEqual(want);
  });

  test('a repeated member name: the content is the last one, as JSON.parse sees it', () => {
    const tree = parseJsonTree('{"choices":[{"index":0,"delta":{"content":"first","content":"second"}}]}');
    expect(
      locator('openai')
        .slots(tree!.root)
        .map((slot) => slot.leaf.value),
    ).toEqual(['second']);
  });

  test.each(['', 'a..b', 'a[', 'a[]x', '[]', 'a.[]', 'OpenAI', 'claude', 'openai-chat'])('rejects %j', (path) => {
    expect(() => compileContentPath(path)).toThrow(SseredactError);
  });

  test('an unknown preset says which one was meant', () => {
    expect(() => compileContentPath('claude')).toThrow(/unknown preset 'claude' \(did you mean anthropic\?\)/);
    expect(() => compileContentPath('OpenAI')).toThrow(/did you mean openai\?/);
  });
});
