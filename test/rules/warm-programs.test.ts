/**
 * warmPrograms (rules/compile.ts) builds every regex rule's Pike VM program in the background,
 * after a delay (a short run ends first), widest rules first, one a turn of the event loop, so that no rule's first candidate compiles
 * one while a line waits; a program that fails to build stops nothing and throws nowhere.
 */
import { describe, expect, test } from 'vitest';
import { type CompiledRule, warmPrograms } from '../../src/rules/compile.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const DELAY_MS = 20;

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
  test('builds no program before the delay, then every one, widest first', async () => {
    const built: string[] = [];
    warmPrograms(recordingRules([40, 4096, 100], built), DELAY_MS);
    for (let i = 0; i < 3; i++) await turn();
    expect(built).toEqual([]);
    await sleep(DELAY_MS + 10);
    expect(built.length).toBeGreaterThan(0);
    expect(built[0]).toBe('rule-4096');
    for (let i = 0; i < 4; i++) await turn();
    expect(built).toEqual(['rule-4096', 'rule-100', 'rule-40']);
  });

  test('a program that fails to build leaves the rest to build', async () => {
    const built: string[] = [];
    warmPrograms(recordingRules([40, 4096, 100], built, new Set(['rule-4096'])), DELAY_MS);
    await sleep(DELAY_MS + 10);
    for (let i = 0; i < 5; i++) await turn();
    expect(built).toEqual(['rule-4096', 'rule-100', 'rule-40']);
  });

  test('literal sets have no program to build', async () => {
    const built: string[] = [];
    const rules = recordingRules([40], built);
    const literalSet = {
      index: 1,
      id: 'literals',
      maxWidth: 9000,
      literals: {},
      get program(): never {
        throw new Error('a literal set has no program');
      },
    } as unknown as CompiledRule;
    warmPrograms([literalSet, ...rules], DELAY_MS);
    await sleep(DELAY_MS + 10);
    for (let i = 0; i < 3; i++) await turn();
    expect(built).toEqual(['rule-40']);
  });
});
