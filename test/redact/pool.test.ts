/** A pooled redactor, reset after each stream, must behave exactly like a fresh one. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { createRedactorPool, createStreamRedactor } from '../../src/redact/redactor.js';
import { TEMPLATE, cutAt, ruleSetOf } from '../support.js';

const ruleSet = ruleSetOf([
  { id: 'token', regex: 'tok_[a-z0-9]{6}' },
  { id: 'kv', regex: '(?i)secret\\s*=\\s*([a-z0-9]{4,12})', secretGroup: 1 },
]);

function run(open: () => ReturnType<typeof createStreamRedactor>, chunks: Uint8Array[]): string {
  const redactor = open();
  const out = chunks.map((chunk) => Buffer.from(redactor.write(chunk)).toString('latin1')).join('');
  return out + Buffer.from(redactor.end()).toString('latin1');
}

test('streams through a pool equal streams through fresh redactors', () => {
  const part = fc.constantFrom('tok_abc123', 'secret = hunter22', 'tok_ab', 'c12 ', '\n', 'x', 'SECRET=', 'abcd');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(part, { maxLength: 12 }), fc.array(fc.nat(80))), { maxLength: 8 }), (streams) => {
      const open = createRedactorPool(ruleSet, { replacement: TEMPLATE });
      for (const [parts, cuts] of streams) {
        const chunks = cutAt(Buffer.from(parts.join(''), 'latin1'), cuts);
        expect(run(open, chunks)).toBe(run(() => createStreamRedactor(ruleSet, { replacement: TEMPLATE }), chunks));
      }
    }),
  );
});
