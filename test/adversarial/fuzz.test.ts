/**
 * The fuzz target of issue 20: secrets from the secrets pack's own examples planted into random
 * bytes, with random control bytes and escapes glued around them, cut into random chunks and
 * redacted by the stream redactor on each engine. No 10-byte window of a planted secret may
 * survive in the output (attacks.ts). fast-check prints the seed of a failure.
 *
 * Budget: SSEREDACT_FUZZ_RUNS cases per engine (default 200, a few seconds in CI); by hand, e.g.
 * `SSEREDACT_FUZZ_RUNS=20000 npx vitest run test/adversarial/fuzz.test.ts`.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { parseReplacement } from '../../src/redact/replace.js';
import { loadPack } from '../../src/rules/packs/index.js';
import { oracleFindings } from '../oracle.js';
import { cutAt, redactChunks, ruleSetOf } from '../support.js';
import { type Attack, KNOWN_LEAKS, type PackExample, leaks, packExamples } from './attacks.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 200);
const allExamples = packExamples('secrets');

/** What goes around a planted secret: control bytes, escapes that end in a word byte, separators. */
const GLUE = [
  '',
  ' ',
  '\n',
  '\r\n',
  '\t',
  '\x00',
  '\x07',
  '\x08',
  '\x1b[32m',
  '\x1b[0m',
  '\x1b[K',
  '\r\x1b[2K',
  '\\n',
  '\\u001b[1m',
  '%3D',
  '%20',
  '"',
  "'",
  '=',
  ':',
  '\x7f',
  '\xff',
  '\xc3\xa9',
];

const noise = fc.oneof(
  fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.stringMatching(/^[a-z ]{0,20}$/),
  fc.constantFrom(...GLUE),
);

/** One input: noise, then (glue, secret example, glue, noise) a few times. */
function plantedArb(examples: readonly PackExample[]): fc.Arbitrary<Attack> {
  return fc
    .tuple(noise, fc.array(fc.tuple(fc.constantFrom(...GLUE), fc.nat(examples.length - 1), fc.constantFrom(...GLUE), noise), { minLength: 1, maxLength: 6 }))
    .map(([head, plants]): Attack => {
      let text = head;
      const secrets: Array<readonly [number, number]> = [];
      for (const [before, index, after, tail] of plants) {
        const example = examples[index]!;
        const at = text.length + before.length;
        secrets.push([at + example.secret[0], at + example.secret[1]]);
        text += before + example.text + after + tail;
      }
      return { label: 'fuzz', text, secrets };
    });
}

/**
 * Glue in front of a rule with a token boundary may be a word byte of the noise, making the
 * token another word (src/rules/token-boundary.ts): such plants are not secrets by the rules'
 * definition. Noise after a token likewise. Only plants the pack alone still finds are checked.
 */
function stillSecrets(attack: Attack, isFound: (text: string, secret: readonly [number, number]) => boolean): Attack {
  return { ...attack, secrets: attack.secrets.filter((secret) => isFound(attack.text, secret)) };
}

const ENGINES: Array<[string, Engine]> = [['ts', tsEngine]];
if (!('error' in loadAddon())) ENGINES.push(['vectorscan', selectEngine('vectorscan', undefined, { cacheDirectory: null })]);

describe.each(ENGINES)('fuzz: planted pack secrets never leak, %s engine', (name, engine) => {
  const ruleSet = ruleSetOf(loadPack('secrets'), engine);
  const replacement = parseReplacement('<{len}>');
  const examples = allExamples.filter((example) => !KNOWN_LEAKS[name]?.includes(example.rule));
  // By the oracle (DESIGN §2): the union of the pack's secret spans on the whole text covers the plant.
  const covered = (text: string, [start, end]: readonly [number, number]) => {
    const redacted = new Uint8Array(text.length);
    for (const finding of oracleFindings(ruleSet.rules, Buffer.from(text, 'latin1'))) redacted.fill(1, finding.secret.start, finding.secret.end);
    return !redacted.subarray(start, end).includes(0);
  };

  test(
    `${RUNS} random inputs, random chunks`,
    () => {
      let cases = 0;
      let planted = 0;
      fc.assert(
        fc.property(plantedArb(examples), fc.array(fc.nat(600), { maxLength: 40 }), (generated, cuts) => {
          const attack = stillSecrets(generated, covered);
          const input = Buffer.from(attack.text, 'latin1');
          const marked = Buffer.concat([Buffer.from('@@attack 0@@\n'), input, Buffer.from('\n')]);
          const { output } = redactChunks(
            ruleSet,
            cutAt(
              marked,
              cuts.map((cut) => cut % (marked.length + 1)),
            ),
            replacement,
          );
          cases++;
          planted += attack.secrets.length;
          expect(leaks([attack], output)).toEqual([]);
        }),
        { numRuns: RUNS },
      );
      console.log(`fuzz: ${name}: ${cases} cases, ${planted} planted secrets checked, none leaked`);
    },
    60_000 + RUNS * 100,
  );
});
