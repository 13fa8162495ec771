/**
 * The ts engine scans a long chunk as four lanes at once, each but the first from idle (or, on a
 * line that began before the chunk, from the chunk's first state), and steps the true state on
 * through each lane's part until it agrees with the lane (src/engine/ts/engine.ts,
 * scanInLanes). What it reports must be what one lane reports: the same candidates with the same
 * bounds, in the same order, and the same horizon after. Short writes (under 4 KiB) always scan in
 * one lane, so the same text written whole and written in short pieces compares the two; the texts
 * are made of the pieces that keep threads in flight across a lane's start (keywords, private key
 * blocks, headers, long tokens) with the built-in secrets pack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createTsEngine, tsEngine } from '../../src/engine/ts/engine.js';
import { compileRule, compileRules } from '../../src/rules/compile.js';
import { loadPack } from '../../src/rules/packs/index.js';
import type { Match } from '../../src/types.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 200);

const rules = loadPack('secrets').flatMap((spec, index) => {
  try {
    const rule = compileRule(spec, index);
    return rule.literals === null ? [rule] : [];
  } catch {
    return [];
  }
});
const indexed = rules.map((rule, index) => ({ ...rule, index }));
const database = tsEngine.compile(indexed);

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const token = (length: number) => fc.array(fc.constantFrom(...alphabet), { minLength: length, maxLength: length }).map((characters) => characters.join(''));
const piece = fc.oneof(
  fc.constantFrom(' ', '\n', '\t', '"', '=', ': ', ', ', '&', '\r\n', '2026-05-01T22:31:48Z ', 'npm info ok '),
  fc.constantFrom('password = ', 'api_key: ', 'Authorization: Bearer ', 'curl -H "X-Api-Key: ', 'token=', 'client_secret', 'kind: Secret\ndata:\n  '),
  fc.constantFrom('-----BEGIN RSA PRIVATE KEY-----\n', '-----END RSA PRIVATE KEY-----\n', 'ghp_', 'AKIA', 'xoxb-', 'sk-proj-', 'eyJ', 'glpat-'),
  token(36),
  token(76).map((line) => `${line}\n`),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
);
const text = fc.array(piece, { minLength: 200, maxLength: 2500 }).map((pieces) => new TextEncoder().encode(pieces.join('')));

/** Scans `input` in pieces of `pieceBytes`, or cut at the offsets `cuts`. */
function scan(input: Uint8Array, pieceBytes: number | readonly number[], scanned = database): { matches: Match[]; horizon: number } {
  const scanner = scanned.open();
  const matches: Match[] = [];
  const cuts = typeof pieceBytes === 'number' ? Array.from({ length: Math.ceil(input.length / pieceBytes) }, (_, k) => Math.min(input.length, (k + 1) * pieceBytes)) : pieceBytes;
  let offset = 0;
  for (const cut of cuts) {
    scanner.write(input.subarray(offset, cut), (match) => matches.push(match));
    offset = cut;
  }
  const horizon = scanner.horizon();
  scanner.end((match) => matches.push(match));
  return { matches, horizon };
}

describe('ts engine: two lanes report what one lane reports', () => {
  test('a text written whole (lanes) and in pieces of 1,000 bytes (one lane)', () => {
    fc.assert(
      fc.property(text, (input) => {
        // The first whole write builds states in its lanes (the text's own pieces), the second finds them built.
        const whole = scan(input, input.length);
        expect(whole).toEqual(scan(input, 1000));
        expect(scan(input, input.length)).toEqual(whole);
      }),
      { numRuns: RUNS },
    );
  });

  test('a text of one long line (the lanes start at their shares of it), of odd length', () => {
    fc.assert(
      fc.property(text, (input) => {
        const line = input.map((byte) => (byte === 0x0a ? 0x20 : byte)).subarray(0, input.length - 1 + (input.length % 2));
        expect(scan(line, line.length)).toEqual(scan(line, 1000));
      }),
      { numRuns: RUNS },
    );
  });

  test('a secret at every offset across each place of a chunk where a lane starts', () => {
    const secrets = [
      'api_key = "Zt6pohm49zX_23qoLm3Xv9Pw2Rk7YnB"',
      'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----',
    ];
    const filler = 'npm info lifecycle ok; token refreshed for user=alice path=/usr/lib\n'.repeat(200);
    const length = 8192;
    for (const share of [1 / 4, 1 / 2, 3 / 4]) {
      for (const secret of secrets) {
        for (let shift = -secret.length - 24; shift <= 24; shift++) {
          const before = filler.slice(0, length * share + shift);
          const input = new TextEncoder().encode((before + secret + filler).slice(0, length));
          scan(input, input.length);
          expect(scan(input, input.length), `${secret.slice(0, 8)} at ${share} ${shift}`).toEqual(scan(input, 1000));
        }
      }
    }
  });

  test('a match that ends on the byte where the lanes come to agree', () => {
    // The true state's thread of `z` and digits (a rule tracked whole) runs over the newline after
    // the middle, where the third lane starts, and on to the `x` that ends `7x`: from there the
    // true state and the lane agree, and the match is the lane's to report.
    const pairRules = tsEngine.compile(
      compileRules([
        { id: 'digits', regex: 'z[0-9\\n]{20}[A-Z]' },
        { id: 'pair', regex: '7x' },
      ]),
    );
    // The lane builds no state: the ones it enters are built here first.
    scan(new TextEncoder().encode(`${'0'.repeat(7)}7x${' '.repeat(8)}`), 1000, pairRules);
    for (let shift = 0; shift <= 4; shift++) {
      const input = new TextEncoder().encode(`${' '.repeat(4090 - shift)}z${'0'.repeat(shift + 5)}\n${'0'.repeat(7)}7x`.padEnd(8192)); // the newline at 4096
      const whole = scan(input, input.length, pairRules);
      expect(whole.matches.map((match) => match.end)).toContain(4097 + 9);
      expect(whole).toEqual(scan(input, 1000, pairRules));
    }
  });

  test('a lane stops at an entry not built yet, after it agreed with the true state', () => {
    // A DFA that has scanned only the filler: after the newline past its share the third lane
    // agrees at once, then meets the token (no `t`, `g` in the filler), whose entries it does not
    // build; the true state goes on from the byte it stopped at.
    const filler = 'npm info ok\n'.repeat(1000);
    const input = Buffer.from(`${filler.slice(0, 6000)}token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 ok\n${filler.slice(0, 2000)}`);
    const fresh = tsEngine.compile(indexed);
    scan(Buffer.from(filler), 1000, fresh);
    const whole = scan(input, input.length, fresh);
    expect(whole.matches.some((match) => match.start >= 6000 && match.end > 6000 + 'token ghp_'.length)).toBe(true);
    expect(whole).toEqual(scan(input, 1000, tsEngine.compile(indexed)));
  });

  test('the kept states replacing the DFA while lanes build states', () => {
    // A run reads the kept states once it has built 256 of its own (src/engine/ts/dfa-cache.ts):
    // here while the second write's lanes build them, so they give the slice up to one lane, which
    // must go on from the state the first write left (a token's prefix in flight).
    const directory = mkdtempSync(join(tmpdir(), 'sseredact-lanes-'));
    try {
      const engine = createTsEngine({ cacheDirectory: directory });
      const [rest] = fc.sample(text, { numRuns: 1, seed: 17 });
      const input = Buffer.concat([Buffer.from('db_password = "Zt6pohm49zX_23qoLm3Xv9Pw2Rk7YnB"\n'), rest!]);
      const inTwoWrites = (): ReturnType<typeof scan> => scan(input, ['db_passw'.length, input.length], engine.compile(indexed));
      const first = inTwoWrites();
      expect(first.matches.some((match) => match.start <= 'db_'.length && match.end >= 'db_password'.length)).toBe(true);
      expect(inTwoWrites()).toEqual(first);
      expect(scan(input, 1000, engine.compile(indexed))).toEqual(first);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test('a slice too short for lanes goes on from the state the one before left', () => {
    // Writes of 65,537 bytes: a slice of 64 KiB, then one of a byte, the `p` of a token's prefix.
    const input = Buffer.from(`${'npm info ok\n'.repeat(6000).slice(0, 65534)}ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n`);
    const whole = scan(input, input.length);
    expect(whole.matches.some((match) => match.start <= 65534 && match.end > 65538)).toBe(true);
    expect(scan(input, 65537)).toEqual(whole);
  });

  test('the same over the slices of a write longer than one (64 KiB)', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 2, maxLength: 4 }), (parts) => {
        const input = Buffer.concat(parts);
        const whole = scan(input, input.length);
        expect(whole).toEqual(scan(input, 1000));
        // Slices of a write are 64 KiB: here the last is a byte (too short for lanes).
        expect(scan(input, 65537)).toEqual(whole);
      }),
      { numRuns: Math.max(10, RUNS / 10) },
    );
  });
});
