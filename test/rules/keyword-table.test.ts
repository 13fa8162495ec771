/**
 * The keyword-provider table (src/rules/packs/keyword-table.ts): one row becomes one rule that finds
 * its shape only after one of its keywords and an assignment, and a malformed table is refused
 * with an error naming the file and the row.
 */
import { describe, expect, test } from 'vitest';
import { compileRules } from '../../src/rules/compile.js';
import { keywordTableRules } from '../../src/rules/packs/keyword-table.js';
import { findSecrets } from './helpers.js';

const SHAPES = { hex32: { regex: '[0-9A-Fa-f]{32}', entropy: 3, description: '32 hex digits' } };
const TOKEN = '9f1c2b7e4a6d8c0f3e5b7a9d1c3e5f70';
const table = (providers: unknown[]) => ({ family: 'keyword-providers', shapes: SHAPES, providers });
const DEFAULTS = { source: 'test', placeholders: true };
const ROW = { id: 'acme-api-key', provider: 'Acme', keywords: ['acme', 'acme_corp'], shape: 'hex32', example: TOKEN };

function secrets(text: string): string[] {
  const [rule] = compileRules(keywordTableRules(table([ROW]), 'test', DEFAULTS)!);
  return findSecrets(rule!, Buffer.from(text, 'latin1')).map((finding) => finding.secret);
}

describe('keyword-provider table', () => {
  test('a file without a providers table is no table', () => {
    expect(keywordTableRules({ rules: [] }, 'test', DEFAULTS)).toBeNull();
  });

  test("each rule knows its shape's group", () => {
    expect(keywordTableRules(table([ROW]), 'test', DEFAULTS)![0]!.keywordGroup?.id).toBe('keyword-providers.hex32');
  });

  test.each([
    ['ACME_API_KEY=', true],
    ['acme_corp.token: "', true],
    ['<AcmeSecret>', true],
    ['OTHER_API_KEY=', false],
    ['acme is ', false],
  ])('%s + token: found %s', (head, found) => {
    expect(secrets(`${head}${TOKEN}"`)).toEqual(found ? [TOKEN] : []);
  });

  test('a longer run of the shape is another token, not this one', () => {
    expect(secrets(`ACME_API_KEY=${TOKEN}ab`)).toEqual([]);
  });

  test.each([
    [[{ ...ROW, shape: 'hex99' }], 'test: providers[0] (acme-api-key): unknown shape "hex99"'],
    [[{ ...ROW, keywords: ['Acme'] }], 'test: providers[0] (acme-api-key): keywords: expected a list of lower-case names'],
    [[{ ...ROW, example: 1 }], 'test: providers[0]: expected id, provider, shape and example strings'],
    [{}, 'test: providers: expected a list'],
  ])('refuses a malformed table: %j', (providers, message) => {
    expect(() => keywordTableRules(table(providers as unknown[]), 'test', DEFAULTS)).toThrow(message);
  });
});
