import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type JsonNode, parseJsonTree, pathOf } from '../../src/sse/json-tree.js';

/** The tree back as a plain value, repeated names resolved as JSON.parse does (last wins). */
function valueOf(node: JsonNode | null): unknown {
  if (node === null) return undefined;
  switch (node.kind) {
    case 'string':
      return node.value;
    case 'number':
      return Number(node.value);
    case 'literal':
      return node.value;
    case 'array':
      return node.items.map(valueOf);
    case 'object':
      return Object.fromEntries(node.members.map((member) => [member.name.value, valueOf(member.value)]));
  }
}

describe('parseJsonTree', () => {
  test('agrees with JSON.parse on what is JSON and on its value (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        let want: unknown;
        let isJson = true;
        try {
          want = JSON.parse(text);
        } catch {
          isJson = false;
        }
        const tree = parseJsonTree(text);
        expect(tree !== null).toBe(isJson);
        if (tree !== null) expect(valueOf(tree.root)).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  test.each(['{"a":1,}', '[1,]', '{"a" 1}', '01', '"\\x"', '"a\nb"', '[1 2]', '{"a":tru}', '-', '1.', '"\\u12"'])('rejects %j', (text) => {
    expect(parseJsonTree(text)).toBeNull();
  });

  test('keeps every member of a repeated name, with spans', () => {
    const text = '{"k":"a","k":"b"}';
    const tree = parseJsonTree(text)!;
    expect(tree.leaves.map((leaf) => [leaf.value, text.slice(leaf.start, leaf.end)])).toEqual([
      ['k', '"k"'],
      ['a', '"a"'],
      ['k', '"k"'],
      ['b', '"b"'],
    ]);
  });

  test('decodes escapes; spans cover the escaped text', () => {
    const text = '{"x":"\\u0041\\/\\n"}';
    const leaf = parseJsonTree(text)!.leaves[1]!;
    expect([leaf.value, text.slice(leaf.start, leaf.end)]).toEqual(['A/\n', '"\\u0041\\/\\n"']);
  });

  test('nesting 400,000 deep parses without a stack overflow', () => {
    const depth = 400_000;
    const tree = parseJsonTree(`${'['.repeat(depth)}"x"${']'.repeat(depth)}`);
    expect(tree?.leaves.map((leaf) => leaf.value)).toEqual(['x']);
  });

  test('a truncated text reads as far as it goes', () => {
    const tree = parseJsonTree('{"choices":[{"delta":{"content":"AKIA\\u00', { allowTruncated: true })!;
    expect(tree.isComplete).toBe(false);
    const last = tree.leaves.at(-1)!;
    expect([last.value, last.isClosed, pathOf(last)]).toEqual(['AKIA', false, 'choices[0].delta.content']);
    expect(parseJsonTree('{"a":1}x', { allowTruncated: true })).toBeNull();
  });

  test('paths name members and elements', () => {
    const tree = parseJsonTree('{"a b":[0,{"c":"x"}]}')!;
    expect(pathOf(tree.leaves.at(-1)!)).toBe('["a b"][1].c');
  });
});
