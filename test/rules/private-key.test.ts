/**
 * Issue 15: a private key is one secret, so it gives one finding, named `private-key`, whether it is
 * raw or JSON-escaped, whole or cut off (by a log limit, a closing quote, --max-match). The whole secrets pack runs on each key form through the oracle and both engines (whole and
 * in 7-byte chunks: 1-byte chunks of the whole pack take half a minute here), and no line of the
 * key body may stay visible.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { loadPack } from '../../src/rules/packs/index.js';
import { oracleRedact } from '../oracle.js';
import { TEMPLATE, everyBytes, redactChunks, ruleSetOf } from '../support.js';

const hasVectorscan = !('error' in loadAddon());

/** A key body of `lines` base64 lines of `width` chars, no two alike (hashed bytes: the test is replayable). */
function body(lines: number, width: number): string[] {
  const blocks = Array.from({ length: Math.ceil((lines * width) / 32) }, (_, i) => createHash('sha256').update(`${width}:${i}`).digest());
  const base64 = Buffer.concat(blocks).toString('base64');
  return Array.from({ length: lines }, (_, i) => base64.slice(i * width, (i + 1) * width));
}

function pem(label: string, lines: string[], newline: string): string {
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join(newline);
}

const RSA = body(25, 64);
const CASES: Array<[label: string, text: string, rule: string]> = [
  ['raw RSA key', `${pem('RSA PRIVATE KEY', RSA, '\n')}\n`, 'private-key'],
  ['raw OpenSSH ed25519 key, CRLF', `${pem('OPENSSH PRIVATE KEY', body(5, 70), '\r\n')}\r\n`, 'private-key'],
  ['PKCS#8 key in a JSON string', `{"tls_key": "${pem('PRIVATE KEY', RSA, '\\n')}\\n", "x": 1}`, 'private-key'],
  ['key with no newline at EOF', pem('EC PRIVATE KEY', body(3, 64), '\n'), 'private-key'],
  ['key cut inside its END line', `${pem('RSA PRIVATE KEY', RSA, '\n').slice(0, -20)}`, 'private-key'],
  ['raw key cut at EOF', pem('RSA PRIVATE KEY', RSA, '\n').slice(0, 900), 'private-key'],
  ['escaped key cut by a closing quote', `{"k": "${pem('PRIVATE KEY', RSA, '\\n').slice(0, 700)}"}`, 'private-key'],
];

const specs = loadPack('secrets');
const engines = [['ts', ruleSetOf(specs, tsEngine)], ...(hasVectorscan ? [['vectorscan', ruleSetOf(specs, selectEngine('vectorscan'))] as const] : [])] as const;

describe('one finding per private key', () => {
  test.each(CASES)(
    '%s',
    (_label, text, rule) => {
      const input = Buffer.from(text, 'latin1');
      const oracle = oracleRedact(engines[0][1].rules, input, TEMPLATE);
      expect(oracle.findings.map((finding) => finding.ruleId)).toEqual([rule]);
      const leaked = [...RSA, ...body(5, 70), ...body(3, 64)].filter((line) => oracle.output.toString('latin1').includes(line));
      expect(leaked).toEqual([]);
      for (const [name, ruleSet] of engines) {
        for (const chunks of [[input], everyBytes(input, 7)]) {
          const got = redactChunks(ruleSet, chunks);
          expect({ name, rules: got.findings.map((finding) => finding.ruleId), output: got.output.toString('latin1') }).toEqual({
            name,
            rules: [rule],
            output: oracle.output.toString('latin1'),
          });
        }
      }
    },
    60_000,
  );

  // Past --max-match the key cannot be one match: its head (about 3 KiB of body at the default 4096) is one finding.
  test('a key longer than --max-match: its head is one finding', () => {
    const lines = body(80, 64);
    const input = Buffer.from(pem('RSA PRIVATE KEY', lines, '\n'), 'latin1');
    const oracle = oracleRedact(engines[0][1].rules, input, TEMPLATE);
    expect(oracle.findings.map((finding) => finding.ruleId)).toEqual(['private-key']);
    expect(lines.slice(0, 45).filter((line) => oracle.output.toString('latin1').includes(line))).toEqual([]);
  });

  test('random key bodies give one finding each', () => {
    const keys = Array.from({ length: 20 }, () =>
      pem(
        'PRIVATE KEY',
        randomBytes(600)
          .toString('base64')
          .match(/.{1,64}/g) ?? [],
        '\n',
      ),
    );
    const input = Buffer.from(keys.join('\nsome log line\n'), 'latin1');
    expect(oracleRedact(engines[0][1].rules, input, TEMPLATE).findings.map((finding) => finding.ruleId)).toEqual(keys.map(() => 'private-key'));
  });
});
