/**
 * Secret shapes the generic and config rules used to let through (issue 15): each is redacted
 * whole, by both engines (vectorscan when its addon is built) with the same output. "Whole" is
 * checked on the bytes: no 6-byte run of the secret is left in the redacted output.
 */
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { compileRules, redact } from '../../src/index.js';

const engines: Array<'ts' | 'vectorscan'> = 'addon' in loadAddon() ? ['ts', 'vectorscan'] : ['ts'];
const compiled = engines.map((engine) => compileRules({ engine }));

const AZURE_REFRESH = `0.AXEA${'q8Lr2Vx9Kp4Wm7Tn3BcQzL5kVrX1n8tA2hGq4TnR8wLp2Zx9Vb7Mk-_'.repeat(20)}.AgABAAEAAAD--DLA3VO7QrddgJg7WevrAgDs_wQA9P8`;
const LONG_DOCKER_AUTH = Buffer.from(
  `_json_key:${JSON.stringify({ type: 'service_account', private_key_id: 'f3a9c1d2e4b5a6978877665544332211', client_email: 'ci@proj.iam.gserviceaccount.com', pad: 'k'.repeat(400) })}`,
).toString('base64');
const JENKINS = `AQAAABAAAAAQ${'Zq8Lr2Vx9Kp4Wm7Tn3BcQzL5kVrX1n8tA2hGq4TnR8wLp2Zx9Vb7Mk'.repeat(3)}T0aW5nU2VjcmV0VmFsdWU=`;
const URL_ENCODED = 'Zq8Lr2Vx9Kp4%2BWm7Tn3BcQ%2FzL5kVrX1n8tA2hGq4TnR8wLp2Zx9Vb7MkzL5kVrX1n8tA2hGq4TnR8wLp2Zx9Vb7Mk%2B%2Fq8Lr2Vx9Kp4Wm7Tn3BcQ%3D%3D';

/** [what, text, secret]: the secret must leave no trace in the redacted text. */
const CASES: ReadonlyArray<readonly [string, string, string]> = [
  ['bare Key= in a log line', '[DEBUG] Using Key=Zq8Lr2Vx9Kp4Wm7Tn3BcQ for upload\n', 'Zq8Lr2Vx9Kp4Wm7Tn3BcQ'],
  ['dash separator', "github token - 'Zq8Lr2Vx9Kp4Wm7Tn3BcQ'\n", 'Zq8Lr2Vx9Kp4Wm7Tn3BcQ'],
  ['Jenkins encrypted secret', `<secret>{${JENKINS}}</secret>\n`, JENKINS],
  [
    'Docker auth in escaped JSON',
    'DOCKER_AUTH_CONFIG={\\"auths\\":{\\"registry.example.com\\":{\\"auth\\":\\"Ym90OlpxOEw0cjJWeDlLcDRXbTdUbjNC\\"}}}\n',
    'Ym90OlpxOEw0cjJWeDlLcDRXbTdUbjNC',
  ],
  ['Docker auth longer than 400 bytes', `{"auths": {"gcr.io": {"auth": "${LONG_DOCKER_AUTH}"}}}\n`, LONG_DOCKER_AUTH],
  ['URL-encoded secret with %XX', `GET /cb?access_token=${URL_ENCODED}&expires_in=3600\n`, URL_ENCODED],
  ['Azure refresh token', `{"refresh_token": "${AZURE_REFRESH}", "expires_in": 3600}\n`, AZURE_REFRESH],
  ['base64 user_auth', '"user_auth": "am9obmRvZTpkMDY5NGIxYi1jMTcxLTQ4ODYt+TMyYS0wMmUwOWQ1/mIwNjc="\n', 'am9obmRvZTpkMDY5NGIxYi1jMTcxLTQ4ODYt+TMyYS0wMmUwOWQ1/mIwNjc='],
  ['hex credentials', '"credentials" : "0afae57f3ccfd9d7f5767067bc48b30f719e271ba470488056e37ab35d4b6506"\n', '0afae57f3ccfd9d7f5767067bc48b30f719e271ba470488056e37ab35d4b6506'],
];

/** The first 6-byte run of `secret` still in `output`, or null. */
function leftOver(output: string, secret: string): string | null {
  for (let i = 0; i + 6 <= secret.length; i++) if (output.includes(secret.slice(i, i + 6))) return secret.slice(i, i + 6);
  return null;
}

describe.each(CASES)('%s', (_what, text, secret) => {
  test('is redacted whole, the same by every engine', () => {
    const outputs = compiled.map((rules) => redact(text, { compiled: rules }).output.toString('latin1'));
    for (const output of outputs) expect(leftOver(output, secret), output).toBeNull();
    expect(new Set(outputs).size).toBe(1);
  });
});
