/**
 * The vectorscan engine as a prefilter, against the definition of a match (DESIGN §2: the rule's
 * printed JS RegExp over the whole input): for random inputs, random chunkings and each treatment,
 * every real match must be pointed at by a candidate of its rule (its start among the starts the
 * confirmer searches for that candidate, its end no later), and must have been reported before
 * the scanner's horizon passed its start. The ts engine (the reference engine) must agree on the same
 * inputs, so that a rule the two engines read differently fails here first.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Engine, EngineRule } from '../../src/engine/engine.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createVectorscanEngine } from '../../src/engine/vectorscan/engine.js';
import { type CompiledRule, compileRules } from '../../src/rules/compile.js';
import type { Match } from '../../src/types.js';

const load = loadAddon();

/** Rules over a small alphabet, so that random text hits them; each exercises one construct. */
const SOURCES = [
  'ab+c',
  '(?i)a[bc]{2,5}',
  'a.*?c',
  '\\bab\\b',
  '\\Bb1',
  '(?m)^ab',
  '(?m)b$',
  'c$',
  '^a',
  '[0-9]{3}',
  'a(b|c1)+',
  '(?s)a.{0,6}c',
  'x|ab\\n?c',
  '[abc]{70}',
  'b[^\\n]+_',
  '(a|b)*c1',
  '[a-c1 ]{3,70}-',
  '[\\x00-\\xff]{1,30}z',
];

const ALPHABET = ['a', 'b', 'c', 'A', 'B', '1', '2', ' ', '\n', '_', '-', 'z', 'x'];

/** Every match of the rule's own regex over the whole input: what an engine must never miss. */
function realMatches(rules: readonly CompiledRule[], text: string): Match[] {
  const matches: Match[] = [];
  for (const rule of rules) {
    const re = new RegExp(rule.jsSource, 'g');
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      matches.push({ rule: rule.index, start: m.index, end: m.index + m[0].length });
    }
  }
  return matches;
}

interface Run {
  readonly candidates: Match[];
  /** For each real match start: the candidates reported by the time the horizon passed it. */
  readonly missedAtHorizon: string[];
}

/** Feeds `chunks` to a scanner of `engine`, checking the horizon after every write. */
function scan(engine: Engine, rules: readonly EngineRule[], chunks: readonly string[], real: readonly Match[]): Run {
  const scanner = engine.compile(rules).open();
  const candidates: Match[] = [];
  const missedAtHorizon: string[] = [];
  const covered = (m: Match) => candidates.some((c) => pointsAt(c, m, rules[m.rule]!));
  const onMatch = (m: Match) => candidates.push(m);
  let offset = 0;
  for (const chunk of chunks) {
    scanner.write(new Uint8Array(Buffer.from(chunk, 'latin1')), onMatch);
    offset += chunk.length;
    const horizon = scanner.horizon();
    if (horizon > offset) missedAtHorizon.push(`horizon ${horizon} beyond scanned ${offset}`);
    for (const m of real) {
      if (m.start < horizon && !covered(m)) missedAtHorizon.push(`rule ${m.rule} [${m.start},${m.end}) not reported at horizon ${horizon} (offset ${offset})`);
    }
  }
  scanner.end(onMatch);
  return { candidates, missedAtHorizon };
}

/**
 * Whether candidate `c` points at real match `m` the way the confirmer reads a candidate: it
 * searches the starts [c.start, c.lastStart ?? c.end - minWidth] (redact/confirm.ts; the addon
 * merges a run of ends into one span up to 2x maxWidth wide, whose start is its first end's
 * bound). A candidate with `lastStart` ends where the engine saw a prefix of the
 * match end (types.ts, Match); any other must end no earlier than the match.
 */
function pointsAt(c: Match, m: Match, rule: EngineRule): boolean {
  const isPrefixEnd = c.lastStart !== undefined;
  return c.rule === m.rule && c.start <= m.start && m.start <= (c.lastStart ?? c.end - rule.minWidth) && (isPrefixEnd || m.end <= c.end);
}

function uncovered(rules: readonly EngineRule[], real: readonly Match[], candidates: readonly Match[]): Match[] {
  return real.filter((m) => !candidates.some((c) => pointsAt(c, m, rules[m.rule]!)));
}

const arbitraryCase = fc.record({
  text: fc.array(fc.constantFrom(...ALPHABET), { maxLength: 240 }).map((chars) => chars.join('')),
  cuts: fc.array(fc.nat(240), { maxLength: 12 }),
  picks: fc.uniqueArray(fc.nat(SOURCES.length - 1), { minLength: 1, maxLength: 5 }),
  maxMatch: fc.constantFrom(80, 200),
});

function chunksOf(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < text.length))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let at = 0;
  for (const point of [...points, text.length]) {
    chunks.push(text.slice(at, point));
    at = point;
  }
  return chunks;
}

describe.skipIf(!('addon' in load))('vectorscan engine as a prefilter', () => {
  const addon = 'addon' in load ? load.addon : undefined;

  test.each(['som', 'end', 'prefilter'] as const)('every real match is a %s candidate, reported before the horizon passes it', (first) => {
    const engine = createVectorscanEngine(addon!, { fallback: tsEngine, cacheDirectory: null, firstTreatment: first });
    fc.assert(
      fc.property(arbitraryCase, ({ text, cuts, picks, maxMatch }) => {
        const rules = compileRules(
          picks.map((pick, index) => ({ id: `r${index}`, regex: SOURCES[pick]! })),
          { maxMatch },
        );
        const real = realMatches(rules, text);
        for (const chunks of [chunksOf(text, cuts), [...text], [text]]) {
          const run = scan(engine, rules, chunks, real);
          expect(run.missedAtHorizon, `chunks ${JSON.stringify(chunks)}`).toEqual([]);
          expect(uncovered(rules, real, run.candidates), `chunks ${JSON.stringify(chunks)}`).toEqual([]);
        }
        // The reference engine must cover the same real matches, or the rule set reads differently.
        expect(uncovered(rules, real, scan(tsEngine, rules, [text], real).candidates)).toEqual([]);
      }),
      { numRuns: Number(process.env.SSEREDACT_FUZZ_RUNS ?? 150) },
    );
  });

  test('a secret planted across a 64 KiB chunk boundary is reported with its exact span', () => {
    const engine = createVectorscanEngine(addon!, { cacheDirectory: null });
    const rules = compileRules([{ id: 'token', regex: 'tok_[a-z0-9]{16}' }]);
    const secret = 'tok_abcdefgh12345678';
    const text = `${'.'.repeat(65536 - 7)}${secret}${'.'.repeat(100)}`;
    const chunks = [text.slice(0, 65536), text.slice(65536)];
    const { candidates } = scan(engine, rules, chunks, []);
    expect(candidates).toEqual([{ rule: 0, start: 65536 - 7, end: 65536 - 7 + secret.length }]);
  });
});
