import { expect, test } from 'vitest';
import { oracleRedact } from '../oracle.js';
import { TEMPLATE, everyBytes, redactChunks, ruleSetOf } from '../support.js';

test('smoke', () => {
  const rs = ruleSetOf([
    { id: 'gh', regex: 'ghp_[A-Za-z0-9]{36}' },
    { id: 'aws', regex: '\\b(AKIA[0-9A-Z]{16})\\b', secretGroup: 1 },
    { id: 'pw', regex: '(?i)password\\s*=\\s*"?([^"\\s]{6,})', secretGroup: 1 },
  ]);
  const input = Buffer.from(`hello ghp_${'a'.repeat(36)} x AKIAABCDEFGHIJKLMNOP\npassword = "hunter22"\nend`, 'latin1');
  const want = oracleRedact(rs.rules, input, TEMPLATE);
  for (const size of [1, 3, 7, 1000]) {
    const got = redactChunks(rs, everyBytes(input, size));
    expect(got.output.toString('latin1')).toBe(want.output.toString('latin1'));
  }
  expect(want.output.toString()).toContain('[REDACTED:gh]');
});
