/**
 * The holdback buffer's line and column of a kept offset (src/redact/holdback.ts, lineAndColumn):
 * the same as counted over the whole stream, whatever order the offsets are asked in (the redactor
 * locates findings as their rules confirm them, earlier lines after later ones) and however the
 * stream was appended and dropped from the front; and the last newline of a kept range
 * (lastNewlineIn, which the confirmer asks for each candidate).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { HoldbackBuffer } from '../../src/redact/holdback.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 200);

/** Line (1-based) and column (1-based, in bytes) of `offset` in `bytes`, counted from the start. */
function naive(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** A step of the test: append a chunk, or ask for offsets (shares of what is kept), then drop a share of the front. */
const step = fc.record({
  chunk: fc.array(fc.constantFrom(0x0a, 0x0a, 0x61, 0x62, 0x20, 0x3d), { maxLength: 300 }).map((bytes) => Uint8Array.from(bytes)),
  asked: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
  dropped: fc.double({ min: 0, max: 1, noNaN: true }),
});

type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/**
 * Appends each step's chunk (scanned), calls `check` with the buffer, the stream so far and the
 * step's asked shares of what is kept, then drops the step's share of the front.
 */
function replay(steps: readonly Step[], check: (buffer: HoldbackBuffer, stream: readonly number[], offsetsAt: (share: number) => number, asked: readonly number[]) => void): void {
  const buffer = new HoldbackBuffer();
  const stream: number[] = [];
  for (const { chunk, asked, dropped } of steps) {
    buffer.appendUnscanned(chunk);
    buffer.markScanned(chunk.length);
    stream.push(...chunk);
    const kept = buffer.scannedUpTo - buffer.base;
    check(buffer, stream, (share) => buffer.base + Math.floor(share * kept), asked);
    buffer.discardBefore(buffer.base + Math.floor(dropped * kept));
  }
}

describe('holdback buffer: line and column', () => {
  test('are those of the whole stream, for offsets asked in any order', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) =>
        replay(steps, (buffer, stream, offsetAt, asked) => {
          const whole = Uint8Array.from(stream);
          for (const share of asked) expect(buffer.lineAndColumn(offsetAt(share))).toEqual(naive(whole, offsetAt(share)));
        }),
      ),
      { numRuns: RUNS },
    );
  });

  test('the last newline of a kept range is the one the stream has there', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) =>
        replay(steps, (buffer, stream, offsetAt, asked) => {
          for (let k = 0; k + 1 < asked.length; k += 2) {
            const [from, to] = [offsetAt(asked[k]!), offsetAt(asked[k + 1]!)].sort((a, b) => a - b) as [number, number];
            const newline = stream.lastIndexOf(0x0a, to - 1);
            expect(buffer.lastNewlineIn(from, to)).toBe(to > from && newline >= from ? newline : -1);
          }
        }),
      ),
      { numRuns: RUNS },
    );
  });
});
