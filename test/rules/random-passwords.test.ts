/**
 * Random passwords assigned in the usual shapes are redacted whole by the generic rules, on every
 * engine: the rules' code-value and allowlist filters drop code and placeholders, never a
 * password that merely looks like one (`/Z/w3-KDagPZ` read as a path, `Zt6pohm49zX_23qo=` as a
 * keyword argument: both leaked before). Out of scope by design: values under the rules' entropy
 * floor, and values holding `...` (read as elided).
 *
 * Budget: SSEREDACT_FUZZ_RUNS cases per engine (default 200); by hand, e.g.
 * `SSEREDACT_FUZZ_RUNS=20000 npx vitest run test/rules/random-passwords.test.ts`.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { compileRules, scan } from '../../src/index.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 200);

/** What a password manager's generator draws from (no quotes, no whitespace, no `;`, `,` or `<`). */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*/+=_-.~?';

/** Bits per byte of `text`'s byte frequencies. */
function entropyOf(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / text.length) * Math.log2(count / text.length);
  return bits;
}

/** 12-24 characters with a capital, a small letter, a digit and a symbol, as sites require. */
const password = fc
  .array(fc.constantFrom(...ALPHABET), { minLength: 12, maxLength: 24 })
  .map((chars) => chars.join(''))
  .filter((value) => /[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value) && /[^A-Za-z\d]/.test(value))
  .filter((value) => !value.includes('...') && entropyOf(value) >= 3);

const SHAPES: ReadonlyArray<(value: string) => string> = [
  (value) => `password = "${value}"`,
  (value) => `DB_PASSWORD=${value}`,
  (value) => `password: '${value}'`,
  (value) => `{"client_secret": "${value}"}`,
];

const engines: Array<'ts' | 'vectorscan'> = 'addon' in loadAddon() ? ['ts', 'vectorscan'] : ['ts'];

describe.each(engines)('random passwords on %s', (engine) => {
  const compiled = compileRules({ engine });
  test('are redacted whole in every assignment shape', () => {
    fc.assert(
      fc.property(password, fc.constantFrom(...SHAPES), (value, shape) => {
        const line = shape(value);
        const at = line.indexOf(value);
        const findings = scan(line, { compiled });
        expect(findings.some((finding) => finding.start <= at && finding.end >= at + value.length)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
