/**
 * Followed writes on the vectorscan engine are scanned on another thread, two writes behind
 * (StreamRedactor.write's isFollowed, Scanner.writeInBackground). Chunk invariance holds there
 * as anywhere: for CI logs and 10x-dense logs of the built-in secrets pack cut into chunks of
 * 64-400 KiB (the background path's sizes; smaller ones are scanned at once), the output and
 * findings equal one write of the whole input, whatever mix of followed, unfollowed and empty
 * writes comes, with or without literal sets (`--literal`) and `::add-mask::` commands (GitHub
 * masks) beside the rules, whose scanners wrap the engine's. Also: what a followed write holds is
 * out once a write is not followed, and a failed background scan lets nothing of its chunk out.
 * 25 cases (SSEREDACT_FUZZ_RUNS sets another count; each case redacts about 2 MiB 4 times).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { generateCorpus } from '../../bench/corpus.mjs';
import type { Database, Scanner } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { SseredactError } from '../../src/errors.js';
import { createStreamRedactor } from '../../src/redact/redactor.js';
import { withGithubMaskRules } from '../../src/rules/github-masks.js';
import { loadPack } from '../../src/rules/packs/index.js';
import type { RuleSet } from '../../src/rules/ruleset.js';
import type { Finding } from '../../src/types.js';
import { TEMPLATE, cutAt, ruleSetOf } from '../support.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 25);
const hasAddon = 'addon' in loadAddon();
const KiB = 1024;

/** What a run gives: the output bytes and each finding as (rule, secret start, secret end). */
function redactWrites(ruleSet: RuleSet, writes: ReadonlyArray<{ readonly chunk: Uint8Array; readonly followed: boolean }>) {
  const findings: Array<[string, number, number]> = [];
  const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE, onFinding: (f: Finding) => findings.push([f.ruleId, f.secret.start, f.secret.end]) });
  const pieces = writes.map(({ chunk, followed }) => redactor.write(chunk, followed));
  pieces.push(redactor.end());
  return { output: Buffer.concat(pieces).toString('latin1'), findings };
}

/** Literal values and masked values planted in the corpora, and the lines that mask them. */
const LITERALS = ['hunter2-but-longer', 'correct-horse-battery-staple'];
/** Masked from the first line on; LATER from wherever its command comes. */
const MASKED = 'opaque-deploy-value-42';
const LATER = 'masked-from-its-line-on';
const PLANTS = [...LITERALS, `deploying with ${MASKED} now`, `\n::add-mask::${LATER}\n`, `using ${LATER}`, encodeURIComponent(`${LITERALS[1]}/x`)];

/** A generated log that masks MASKED on its first line and has, every 64 KiB or so (from `seed`), one of PLANTS put in. */
function corpus(bytes: number, seed: number, dense: boolean): Buffer {
  const log = Buffer.concat([...generateCorpus({ bytes, seed, ...(dense ? { shape: 'dense' as const } : {}) })]).toString('latin1');
  const pieces: string[] = [`::add-mask::${MASKED}\n`];
  let at = 0;
  for (let i = 0; at < log.length; i++) {
    const next = Math.min(log.length, at + 40_000 + ((seed * 7919 + i * 104_729) % 50_000));
    pieces.push(log.slice(at, next), PLANTS[(seed + i) % PLANTS.length]!);
    at = next;
  }
  return Buffer.from(pieces.join(''), 'latin1');
}

describe.skipIf(!hasAddon)('background scans (vectorscan)', () => {
  const engine = selectEngine('vectorscan', undefined, { cacheDirectory: null });
  const ruleSet = ruleSetOf(loadPack('secrets'), engine);
  const ruleSets: Record<'rules' | 'with literal sets' | 'with GitHub masks', RuleSet> = {
    rules: ruleSet,
    'with literal sets': ruleSetOf([...loadPack('secrets'), { id: 'team-literals', literals: LITERALS, encodings: true }], engine),
    'with GitHub masks': withGithubMaskRules(ruleSet),
  };

  test('any mix of followed, unfollowed and empty writes of 64-400 KiB gives one write’s output and findings', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(ruleSets) as Array<keyof typeof ruleSets>)),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 64 * KiB, max: 400 * KiB }), { minLength: 2, maxLength: 12 }),
        fc.array(fc.constantFrom('followed', 'followed', 'followed', 'unfollowed', 'empty after'), { minLength: 12, maxLength: 12 }),
        (rules, seed, dense, sizes, kinds) => {
          const chosen = ruleSets[rules];
          const input = corpus(2048 * KiB, seed, dense);
          let at = 0;
          const cuts = sizes.map((size) => {
            at += size;
            return at;
          });
          const writes = cutAt(input, cuts).flatMap((chunk, i) => {
            const kind = kinds[i % kinds.length];
            if (kind === 'empty after')
              return [
                { chunk, followed: true },
                { chunk: new Uint8Array(0), followed: false },
              ];
            return [{ chunk, followed: kind === 'followed' }];
          });
          const whole = redactWrites(chosen, [{ chunk: input, followed: false }]);
          expect(whole.findings.length).toBeGreaterThan(0);
          if (rules !== 'rules') expect(whole.output).not.toContain(rules === 'with literal sets' ? LITERALS[0] : `with ${MASKED}`);
          const got = redactWrites(chosen, writes);
          expect(got.output === whole.output).toBe(true);
          expect(got.findings).toEqual(whole.findings);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('a secret across the cut between two chunks scanned in the background is redacted', () => {
    const key = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
    for (const split of [1, 4, 20, key.length - 1]) {
      const line = (n: number) => `${'build step output line '.repeat(3)}${n}\n`;
      let text = '';
      for (let n = 0; text.length < 300 * KiB; n++) text += line(n);
      const input = Buffer.from(`${text}token=${key}\n${text}${text}`, 'latin1');
      const at = text.length + 'token='.length + split;
      const writes = cutAt(input, [100 * KiB, at, at + 150 * KiB]).map((chunk) => ({ chunk, followed: true }));
      const got = redactWrites(ruleSet, writes);
      expect(got.output).not.toContain(key.slice(4));
      expect(got.output).toBe(redactWrites(ruleSet, [{ chunk: input, followed: false }]).output);
    }
  });

  test('followed writes hold their chunks two writes back; a write that is not followed lets every finished line out', () => {
    const line = 'a clean line of a long log\n';
    const chunk = Buffer.from(line.repeat(Math.ceil((100 * KiB) / line.length)), 'latin1');
    const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE });
    expect(redactor.write(chunk, true)).toHaveLength(0);
    expect(redactor.write(chunk, true)).toHaveLength(0);
    expect(redactor.write(chunk, true)).toHaveLength(chunk.length);
    expect(redactor.heldBytes).toBe(2 * chunk.length);
    expect(redactor.isAtCleanPoint()).toBe(false);
    expect(redactor.write(new Uint8Array(0), false)).toHaveLength(2 * chunk.length);
    expect(redactor.heldBytes).toBe(0);
    expect(redactor.isAtCleanPoint()).toBe(true);
  });

  test('when a background scan fails, the write throws and nothing of its chunk or after it leaves', () => {
    const failing: Database = {
      ...ruleSet.database,
      tracksEnds: (rule) => ruleSet.database.tracksEnds(rule),
      open(): Scanner {
        const scanner = ruleSet.database.open();
        return {
          ...scanner,
          write: (chunk, onMatch) => scanner.write(chunk, onMatch),
          horizon: () => scanner.horizon(),
          end: (onMatch) => scanner.end(onMatch),
          reset: () => scanner.reset(),
          writeInBackground: (chunk) => {
            const started = scanner.writeInBackground!(chunk);
            return {
              finish: (onMatch) => {
                started.finish(onMatch);
                throw new SseredactError('engine', 'hs_scan_stream failed: HS_NOMEM');
              },
            };
          },
        };
      },
    };
    const redactor = createStreamRedactor({ ...ruleSet, database: failing }, { replacement: TEMPLATE });
    const chunk = Buffer.from('x=1\n'.repeat(20 * KiB), 'latin1');
    const out: Uint8Array[] = [redactor.write(chunk, true), redactor.write(chunk, true)];
    expect(() => redactor.write(chunk, true)).toThrow(/HS_NOMEM/);
    expect(Buffer.concat(out)).toHaveLength(0);
  });
});
