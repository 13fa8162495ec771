/**
 * The ts engine's DFA kept across runs (src/engine/ts/dfa-cache.ts) through the real CLI: a run
 * over a long input writes the states it built to the cache, the next run reads them and prints
 * the same bytes; a short input neither reads nor writes them.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sseredact } from './cli.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'sseredact-dfa-cache-e2e-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

/** The texts of the gitleaks corpus, ~100 KB of secrets amid code and prose. */
const INPUT = readFileSync(new URL('../../fixtures/corpus/gitleaks.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => (JSON.parse(line) as { text: string }).text)
  .join('\n')
  .slice(0, 100_000);

const tsFiles = () => readdirSync(join(home, 'sseredact')).filter((name) => /^ts-[0-9a-f]{64}\.db$/.test(name));
const redact = async (input: string) => {
  const { stdout, stderr, exitCode } = await sseredact(['--engine', 'ts', '-v'], { env: { XDG_CACHE_HOME: home }, input, encoding: 'utf8' });
  return {
    stdout: String(stdout),
    told: String(stderr)
      .split('\n')
      .filter((line) => line.includes('ts DFA')),
    exitCode,
  };
};

describe('the ts DFA kept across runs, through the CLI', () => {
  test('a run writes the states it built, the next reads them, and both print the same', async () => {
    const cold = await redact(INPUT);
    expect(cold.exitCode).toBe(0);
    expect(cold.told).toEqual(['sseredact: ts DFA: nothing cached; building its states']);
    expect(cold.stdout).toContain('[REDACTED:');
    // The automaton and the DFA.
    expect(tsFiles()).toHaveLength(2);

    const warm = await redact(INPUT);
    expect(warm.told).toEqual([expect.stringMatching(/^sseredact: ts DFA: \d{4,} states from the cache$/)]);
    expect(warm.stdout).toBe(cold.stdout);
  });

  test('a short input neither reads nor writes them', async () => {
    const { stdout, told } = await redact('hi\n');
    expect(stdout).toBe('hi\n');
    expect(told).toEqual([]);
    expect(tsFiles()).toHaveLength(1);
  });
});
