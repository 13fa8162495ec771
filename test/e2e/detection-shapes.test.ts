/**
 * The shapes issue 15 lists, through the real CLI on every engine: each secret leaves no trace
 * (no 6-byte run of it survives), the text around it stays, and the engines print the same
 * bytes. PII: the listed formats are redacted with --pii, the decoys (versions, netmasks, OIDs,
 * fingerprints, build timestamps) are not.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { sseredact } from './cli.js';

const engines = 'addon' in loadAddon() ? ['ts', 'vectorscan'] : ['ts'];

const AZURE_REFRESH = `0.AXEA${'q8Lr2Vx9Kp4Wm7Tn3BcQzL5kVrX1n8tA2hGq4TnR8wLp2Zx9Vb7Mk-_'.repeat(20)}.AgABAAEAAAD--DLA3VO7QrddgJg7WevrAgDs_wQA9P8`;
const JENKINS = `AQAAABAAAAAQ${'Zq8Lr2Vx9Kp4Wm7Tn3BcQzL5kVrX1n8tA2hGq4TnR8wLp2Zx9Vb7Mk'.repeat(3)}T0aW5nU2VjcmV0VmFsdWU=`;
const LONG_DOCKER_AUTH = Buffer.from(`_json_key:${JSON.stringify({ type: 'service_account', client_email: 'ci@proj.iam.gserviceaccount.com', pad: 'k7'.repeat(250) })}`).toString(
  'base64',
);
const URL_ENCODED = 'Zq8Lr2Vx9Kp4%2BWm7Tn3BcQ%2FzL5kVrX1n8tA2hGq4TnR8wLp2Zx9Vb7MkzL5kVrX1n8tA2hGq4TnR8wLp2Zx9Vb7Mk%2B%2Fq8Lr2Vx9Kp4Wm7Tn3BcQ%3D%3D';
const STORAGE_KEY = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256)).toString('base64');
const SAS_SIG = 'Qz8Lr2Vx9Kp4Wm7Tn3BcQzL5kVrX1n8tA2hGq4TnR8w%2BLp2%2FZx9Vb7Mk%3D';
const SENDGRID = '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';

/** [what, line, secret, context that must stay]. */
const SECRETS: ReadonlyArray<readonly [string, string, string, string]> = [
  ['bare Key= in a log line', '[DEBUG] Using Key=Zq8Lr2Vx9Kp4Wm7Tn3BcQ for upload', 'Zq8Lr2Vx9Kp4Wm7Tn3BcQ', '[DEBUG] Using Key='],
  ['dash-separated assignment', "github token - 'Zq8Lr2Vx9Kp4Wm7Tn3BcQ'", 'Zq8Lr2Vx9Kp4Wm7Tn3BcQ', 'github token - '],
  ['Jenkins encrypted secret', `<secret>{${JENKINS}}</secret>`, JENKINS, '</secret>'],
  [
    'Docker auth in escaped JSON',
    'DOCKER_AUTH_CONFIG={\\"auths\\":{\\"registry.example.com\\":{\\"auth\\":\\"Ym90OlpxOEw0cjJWeDlLcDRXbTdUbjNC\\"}}}',
    'Ym90OlpxOEw0cjJWeDlLcDRXbTdUbjNC',
    'registry.example.com',
  ],
  ['Docker auth longer than 400 bytes', `{"auths": {"gcr.io": {"auth": "${LONG_DOCKER_AUTH}"}}}`, LONG_DOCKER_AUTH, '"gcr.io"'],
  ['URL-encoded secret with %XX', `GET /cb?access_token=${URL_ENCODED}&expires_in=3600`, URL_ENCODED, '&expires_in=3600'],
  ['Azure refresh token', `{"refresh_token": "${AZURE_REFRESH}", "expires_in": 3600}`, AZURE_REFRESH, '"expires_in": 3600'],
  [
    'base64 user_auth',
    '"user_auth": "am9obmRvZTpkMDY5NGIxYi1jMTcxLTQ4ODYt+TMyYS0wMmUwOWQ1/mIwNjc="',
    'am9obmRvZTpkMDY5NGIxYi1jMTcxLTQ4ODYt+TMyYS0wMmUwOWQ1/mIwNjc=',
    '"user_auth"',
  ],
  [
    'hex credentials',
    '"credentials" : "0afae57f3ccfd9d7f5767067bc48b30f719e271ba470488056e37ab35d4b6506"',
    '0afae57f3ccfd9d7f5767067bc48b30f719e271ba470488056e37ab35d4b6506',
    '"credentials"',
  ],
  ['MongoDB URI', 'mongodb+srv://svc:Pq7Zx2Lm9Kr4@cluster0.abcde.mongodb.net/app?retryWrites=true', 'Pq7Zx2Lm9Kr4', '@cluster0.abcde.mongodb.net/app?retryWrites=true'],
  [
    'Azure Storage connection string',
    `DefaultEndpointsProtocol=https;AccountName=acmestore;AccountKey=${STORAGE_KEY};EndpointSuffix=core.windows.net`,
    STORAGE_KEY,
    ';EndpointSuffix=core.windows.net',
  ],
  [
    'Azure SAS URL',
    `https://acmestore.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2026-12-31T00%3A00%3A00Z&sig=${SAS_SIG}`,
    SAS_SIG,
    'acmestore.blob.core.windows.net/c/b.txt?sv=2022-11-02',
  ],
  ['JDBC URL with a password property', 'jdbc:postgresql://db.internal:5432/app?user=svc&password=Zq8Lr2Vx9Kw4', 'Zq8Lr2Vx9Kw4', 'db.internal:5432/app?user=svc&password='],
  ['JDBC URL with user info', 'jdbc:mysql://svc:Hw3Lr8Vx2Kp9@db.internal:3306/app', 'Hw3Lr8Vx2Kp9', '@db.internal:3306/app'],
  ['Redis URL with no user', 'REDIS_URL=redis://:T7kpW2qLz9Xc@cache:6379/0', 'T7kpW2qLz9Xc', '@cache:6379/0'],
  ['AMQP URL', 'amqps://svc:Hq3Lr8Vx2Kp9@mq.internal:5671/vhost', 'Hq3Lr8Vx2Kp9', 'amqps://svc:'],
  ['SendGrid key glued to letters', `\x1b[32mkey${SENDGRID}\x1b[0m`, SENDGRID, '\x1b[32mkey'],
  [
    '.npmrc token of any format',
    '//npm.pkg.github.com/:_authToken=111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '//npm.pkg.github.com/:_authToken=',
  ],
  ['Linear key longer than 40', 'LINEAR=lin_api_f1g2kLGLqdezihCUTzgIAUk6d9wvCnStWrvEXAMPLE', 'lin_api_f1g2kLGLqdezihCUTzgIAUk6d9wvCnStWrvEXAMPLE', 'LINEAR='],
  ['MessageBird client id', 'const MessageBirdClientID = "d6b2c7e1-4f0a-4c8e-9b3d-7a15e2f9c480"', 'd6b2c7e1-4f0a-4c8e-9b3d-7a15e2f9c480', 'const MessageBirdClientID = "'],
];

/** [line, rule]: a provider's secret under a name a generic rule also reads is named after the provider. */
const NAMED: ReadonlyArray<readonly [string, string]> = [
  ['MIXPANEL_API_SECRET=Zd0xL2aWf13UPH9SInf7ltJmhpgmeXSd', 'mixpanel-api-secret'],
  ['LOGGLY_TOKEN=58b669ec-bf48-4f91-a1d9-e8c1e8503040', 'loggly-token'],
];

/** [what, text]: PII that --pii redacts. */
const PII: ReadonlyArray<readonly [string, string]> = [
  ['JCB card', '3530 1113 3330 0000'],
  ['lower-case IBAN', 'gb82 west 1234 5698 7654 32'],
  ['SSN with spaces', '536 22 8734'],
  ['US phone in parentheses', '(212) 555-0123'],
  ['US phone with dots', '415.555.0199'],
  ['UK mobile', '07700 900123'],
  ['E.164 with spaces', '+49 30 901820'],
];

/** [what, text]: look like PII, are not. */
const DECOYS: ReadonlyArray<readonly [string, string]> = [
  ['four-part version', 'version 4.2.1.0'],
  ['netmask', 'mask 255.255.255.0'],
  ['OID', 'oid 1.3.6.1.4.1.311.21.7'],
  ['certificate fingerprint', 'AB:CD:EF:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:01:23:45:67'],
  ['build timestamp', 'build 20240115123045'],
];

/** The first 6-byte run of `secret` still in `output`, or null. */
function leftOver(output: string, secret: string): string | null {
  for (let i = 0; i + 6 <= secret.length; i++) if (output.includes(secret.slice(i, i + 6))) return secret.slice(i, i + 6);
  return null;
}

/** The CLI's output for `lines` (one input, one line each) on every engine, split back into lines. */
async function redactLines(args: readonly string[], lines: readonly string[]): Promise<string[][]> {
  return Promise.all(
    engines.map(async (engine) => {
      const result = await sseredact(['--engine', engine, ...args], { input: Buffer.from(`${lines.join('\n')}\n`, 'latin1') });
      expect(result.exitCode).toBe(0);
      return Buffer.from(result.stdout as Uint8Array)
        .toString('latin1')
        .split('\n')
        .slice(0, lines.length);
    }),
  );
}

describe('secret shapes through the CLI', () => {
  let outputs: string[][] = [];
  beforeAll(async () => {
    outputs = await redactLines(
      [],
      SECRETS.map(([, line]) => line),
    );
  }, 60_000);

  test.each(SECRETS.map((entry, index) => [...entry, index] as const))('%s: redacted whole, context kept', (_what, _line, secret, context, index) => {
    for (const output of outputs) {
      expect(leftOver(output[index]!, secret), output[index]).toBeNull();
      expect(output[index]).toContain(context);
    }
  });

  test('every engine prints the same bytes', () => {
    expect(outputs.length).toBe(engines.length);
    for (const output of outputs) expect(output).toEqual(outputs[0]);
  });
});

/** A generated key whose body holds `xXxx` by chance (bench/corpus.mjs, dense shape, seed 1): once dropped as a placeholder. */
const PEM_BODY_WITH_X_RUN = [
  'iNxBgSm73xyrf5kYWe0KRa5mXenyhFyBU7/AN/g+H58+ry5FqdyxXxxqT0thyXUu',
  'UaEIzkMFHGFP/C1V+XsGFWGhdwiEK2MU+3JVEBzEmjDlWdjUzkyopuGz7PsKjOqM',
  'sxzTBQqt2usjL6COvhf5XnRc9aZTsZCGPFuiKxADffVfSP3RSBJp/SnZmAOeQY07',
  '9ZKheE4z98A11ysariPJBbwGl3itF0i9SF7f4u1lxQ2nhQF/6lX+PfVh9oO3Li1Z',
  'jRsqMAymN6FuFFJvAhZcxB4FUrvLC+ZUsF1APtiRvTM1EU8aMQTB71TQAvp6P1fN',
  'DQ/Cy43IKprOLXncsJA4P6P3qdf4yi+fS9mkDBfITThsKBRl8Ktfn+eb69zSmpdP',
  'yh0+HxuVgl1pkzz2CPR62HQHELKr1bouxcP6Tcf57by4n04KZgpocT+uUuqt+r6L',
  'l1x6GxkWIMhwM2u2uVyDecqLNa9wl3S/7KqQs+bgtZ0yNBHPS44+jAN+Hm5Pjr6F',
  'tPKKINbcZRu1wm5P4Pv7Jap+62FUkL9kx0/Z6tOB+Ez3CIIqmncOWuCmwuhTxgom',
  'u8LlJ63ul9cVp5DUq4df5SaPy6QaJRJerfIUXes32J+ZiXfd/N8xw5+5IOQrW6Fl',
  'iq2sBVKXQ20b83m8L5NgZmfMuWDNe6XdRIejsHHOrGe86wuhOqj/zXeYBHQD/t23',
  'gVPz6ZqnWe/pyFMyZys/bXVr+1amMM5eFQ22nDaiZbMKEoElo8sOrwrZnAqmxyj8',
  '9Z1bdGDwLYK3g8AdJz+cP3q/od/PzQ8LXOkQPhXG+vMX1KQEZ2wmLPxJPvOPyw0S',
  'hUXc8sOkNbBRtb7drDLFYGwPHxQTIQjAZy5kaPGxoimh3zg3414iBngfJ16immZC',
  'FKiJARtRoBDZsdx503WfYW+fREencpFvMfXBF+uyDTOQ8QIp0ROeXTnq+HIhF2FQ',
  '2v3cq+2i9UmgQW6JZbXt/47KNHA0C0cY11a/pWksZSf6DKTQ2LukgO/FXxuUIma4',
  'yrWGt+sEoP2jfY5ERgaePBwtdu+D3hJBXzyo3q2oJYAn+ylr5nS+CgQEBEawH+pf',
  'zNmk3x2z8PA+Sm6xaB7uLzFmnxGZnOaVDVvzP/iM+FlL4OWbirhOvm1UCcGXPz/U',
  '7Q880mclnl2b5bvsyIcEAyz9z2JjTpg3m6AfEVoLCQTqmLnPW+Xsj9mLawYsYF0L',
  'xnIdP8WLS6mw/ANcd0FqnwkNuGkL+/0PHtWsgPqNCJHfKFHKIKbZ6DrWasHTlbWq',
  'dhRfL5psOFqukZtxWBzMUW5bozRnsr+45prmuogdCgmsCiZsV9JS5yolnEPpvpx8',
  'N28gIrIQQxVJKh1FUqLsqhAmLnr3z6WroRZGGyh3G6JEbMKhLP2IsMYIfSQYAAaL',
  'hvAtamqCNEsSq/r4kXn59n68O2ljpfGwd1ovecB7swclW+2tDihFPhxjKkv6V32O',
  'keCPbQXwULme9mGO81kNiq/lTqqmjuZ7/8xKKuz21as37d0wkhRvfVjJtjNt4xa+',
  'WFdVCgGgz1hnl2pfPfeeTq9z3+W+VnyXooDNaOTvWT6Foe0RbfesClDJbKvMyvtt',
  'X1/4zibubA7Iz7ncSCM4GDzo',
].join('\n');

describe('a private key whose random body holds an x run', () => {
  test.each(engines)('is redacted on %s', async (engine) => {
    const key = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY_WITH_X_RUN}\n-----END PRIVATE KEY-----\n`;
    const redacted = await sseredact(['--engine', engine], { input: `+ cat /tmp/deploy_key\n${key}+ chmod 600 /tmp/deploy_key\n` });
    const output = Buffer.from(redacted.stdout as Uint8Array).toString();
    expect(output).toContain('[REDACTED:private-key]');
    for (const line of PEM_BODY_WITH_X_RUN.split('\n')) expect(output).not.toContain(line.slice(0, 16));
  });
});

describe('one finding per secret, named after the provider', () => {
  test.each(NAMED)('%s: %s', async (line, rule) => {
    for (const engine of engines) {
      const redacted = await sseredact(['--engine', engine], { input: `${line}\n` });
      expect(Buffer.from(redacted.stdout as Uint8Array).toString()).toBe(`${line.slice(0, line.indexOf('=') + 1)}[REDACTED:${rule}]\n`);
      const scanned = await sseredact(['scan', '--engine', engine, '--json', '-'], { input: `${line}\n` });
      const findings = Buffer.from(scanned.stdout as Uint8Array)
        .toString()
        .split('\n')
        .filter((record) => record.includes('"type":"finding"'))
        .map((record) => JSON.parse(record).rule);
      expect(findings).toEqual([rule]);
    }
  });
});

describe('PII formats and decoys through the CLI (--pii)', () => {
  let outputs: string[][] = [];
  beforeAll(async () => {
    outputs = await redactLines(
      ['--pii'],
      [...PII, ...DECOYS].map(([, text]) => `seen: ${text} ;`),
    );
  }, 60_000);

  test.each(PII.map((entry, index) => [...entry, index] as const))('%s is redacted', (_what, text, index) => {
    for (const output of outputs) expect(output[index]).not.toContain(text);
  });

  test.each(DECOYS.map((entry, index) => [...entry, PII.length + index] as const))('%s is left alone', (_what, text, index) => {
    for (const output of outputs) expect(output[index]).toBe(`seen: ${text} ;`);
  });

  test('every engine prints the same bytes', () => {
    for (const output of outputs) expect(output).toEqual(outputs[0]);
  });
});
