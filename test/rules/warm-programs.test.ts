/**
 * warmPrograms (rules/compile.ts) builds every regex rule's Pike VM program in the background,
 * after a delay (a short run ends first), widest rules first, one a turn of the event loop, so
 * that no rule's first candidate compiles one while a line waits; a program that fails to build
 * stops nothing and throws nowhere. Timers are faked: the test never depends on the machine's speed.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type CompiledRule, warmPrograms } from '../../src/rules/compile.js';

const DELAY_MS = 50;

/** Rules that record when their program is read; `failing` ones throw as a bad program would. */
function recordingRules(widths: readonly number[], built: string[], failing: ReadonlySet<string> = new Set()): CompiledRule[] {
  return widths.map(
    (maxWidth, index) =>
      ({
        index,
        id: `rule-${maxWidth}`,
        maxWidth,
        literals: null,
        get program() {
          built.push(`rule-${maxWidth}`);
          if (failing.has(`rule-${maxWidth}`)) throw new Error('bad program');
          return {};
        },
      }) as unknown as CompiledRule,
  );
}

describe('warmPrograms', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('builds no program before the delay, then one a turn, widest first', () => {
    const built: string[] = [];
    warmPrograms(recordingRules([40, 4096, 100], built), DELAY_MS);
    vi.advanceTimersByTime(DELAY_MS - 1);
    expect(built).toEqual([]);
    vi.advanceTimersToNextTimer();
    expect(built).toEqual(['rule-4096']);
    vi.advanceTimersToNextTimer();
    expect(built).toEqual(['rule-4096', 'rule-100']);
    vi.runAllTimers();
    expect(built).toEqual(['rule-4096', 'rule-100', 'rule-40']);
  });

  test('a program that fails to build leaves the rest to build', () => {
    const built: string[] = [];
    warmPrograms(recordingRules([40, 4096, 100], built, new Set(['rule-4096'])), DELAY_MS);
    vi.runAllTimers();
    expect(built).toEqual(['rule-4096', 'rule-100', 'rule-40']);
  });

  test('literal sets have no program to build', () => {
    const built: string[] = [];
    const literalSet = {
      index: 1,
      id: 'literals',
      maxWidth: 9000,
      literals: {},
      get program(): never {
        throw new Error('a literal set has no program');
      },
    } as unknown as CompiledRule;
    warmPrograms([literalSet, ...recordingRules([40], built)], DELAY_MS);
    vi.runAllTimers();
    expect(built).toEqual(['rule-40']);
  });
});
