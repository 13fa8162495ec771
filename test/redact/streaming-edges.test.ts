/**
 * Edge cases of the streaming core: buffer boundaries, minimal holdback, bounded memory and
 * linear time on hostile patterns.
 */
import { describe, expect, test } from 'vitest';
import { createStreamRedactor } from '../../src/redact/redactor.js';
import { oracleRedact } from '../oracle.js';
import { TEMPLATE, everyBytes, redactChunks, ruleSetOf } from '../support.js';

const SECRET_RULES = [
  { id: 'token', regex: 'tok_[A-Za-z0-9]{24}' },
  { id: 'kv', regex: '(?i)secret\\s*=\\s*([a-z0-9]{8,64})', secretGroup: 1 },
];
const TOKEN = `tok_${'aB3'.repeat(8)}`;

function filler(length: number): Buffer {
  return Buffer.from('log line ok 0123456789\n'.repeat(Math.ceil(length / 23)).slice(0, length), 'latin1');
}

describe('secrets planted across buffer boundaries', () => {
  const ruleSet = ruleSetOf(SECRET_RULES);
  test.each([
    ['across the 64 KiB storage boundary', 65536 - 10],
    ['across 128 KiB', 131072 - 3],
    ['ending exactly at 64 KiB', 65536 - TOKEN.length],
    ['starting exactly at 64 KiB', 65536],
  ])('%s', (_label, at) => {
    const input = Buffer.concat([filler(at), Buffer.from(TOKEN), filler(70000)]);
    const want = oracleRedact(ruleSet.rules, input, TEMPLATE).output;
    expect(want.includes('[REDACTED:token]')).toBe(true);
    for (const size of [65536, 4096, 1000, 65537]) {
      expect(redactChunks(ruleSet, everyBytes(input, size)).output.equals(want)).toBe(true);
    }
  });
});

describe('minimal holdback', () => {
  const ruleSet = ruleSetOf(SECRET_RULES);
  test.each([
    ['a clean line', 'hello world\n', 0],
    ['clean text with no possible start', '0123 456 789 ...', 0],
    ['a partial token at the end is held', 'ok tok_aB3aB3', 'tok_aB3aB3'.length],
    // Only the secret group (the value) can be redacted: the keyword leaves at once (DESIGN §3.4).
    ['a partial key=value holds only its value', 'x\nsecret = abc', 'abc'.length],
  ])('%s', (_label, text, held) => {
    const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE });
    const out = redactor.write(Buffer.from(text));
    expect(redactor.heldBytes).toBe(held);
    expect(out.length).toBe(text.length - held);
  });

  test('every complete line is emitted once its newline is scanned, even while a secret is open on it', () => {
    const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE });
    expect(Buffer.from(redactor.write(Buffer.from(`a\n${TOKEN}\n`))).toString()).toBe('a\n[REDACTED:token]\n');
    expect(redactor.heldBytes).toBe(0);
  });
});

describe('bounded memory', () => {
  test('held bytes stay below chunk size + widest rule over 32 MiB of input', () => {
    const ruleSet = ruleSetOf([...SECRET_RULES, { id: 'wide', regex: 'BEGIN[\\s\\S]{0,1000}END' }]);
    const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE });
    const chunk = Buffer.from(`${'noise BEGIN '.repeat(100)}${TOKEN}\n`.repeat((64 * 1024) / 1232 + 1)).subarray(0, 64 * 1024);
    let maxHeld = 0;
    let out = 0;
    for (let i = 0; i < 512; i++) {
      out += redactor.write(chunk).length;
      maxHeld = Math.max(maxHeld, redactor.heldBytes);
    }
    out += redactor.end().length;
    expect(maxHeld).toBeLessThanOrEqual(ruleSet.database.maxWidth + 1);
    expect(out).toBeGreaterThan(0);
  });
});

describe('linear time on catastrophic-backtracking shapes', () => {
  // A backtracking engine needs exponential time on these; the Pike VM and the DFA need linear
  // time. No timing assertion: the test's timeout is the stall detector.
  test.each([
    ['(a+)+$', `${'a'.repeat(1500)}b`],
    ['(a|aa)+$', `${'a'.repeat(1500)}b`],
    ['(\\w+\\s?)+$', `${'word '.repeat(1000)}!`],
    ['(x+x+)+y', 'x'.repeat(5000)],
    ['(.*a){12}', 'a'.repeat(3000)],
  ])('%s', (regex, text) => {
    const ruleSet = ruleSetOf([{ id: 'evil', regex }]);
    const input = Buffer.from(text.repeat(4), 'latin1');
    const whole = redactChunks(ruleSet, [input]).output;
    expect(redactChunks(ruleSet, everyBytes(input, 1000)).output.equals(whole)).toBe(true);
  });
});
