import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { findLastNewline, findNewline } from '../src/newlines.js';

describe('newline searches', () => {
  test('give what TypedArray indexOf and lastIndexOf give, on views at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, fromSeed, toSeed) => {
        // Newlines rarer than the other bytes, and views that start and end anywhere.
        const text = bytes.map((byte) => (byte < 8 ? 0x0a : byte === 0x0a ? 0x0b : byte));
        const from = fromSeed % (text.length + 1);
        const view = text.subarray(from, from + (toSeed % (text.length - from + 1)));
        expect(findNewline(view)).toBe(view.indexOf(0x0a));
        expect(findLastNewline(view)).toBe(view.lastIndexOf(0x0a));
      }),
      { numRuns: 1000 },
    );
  });
});
