/** Literal secrets (--literal, --literal-file, --mask-env): one rule per list, with encodings. */
import { describe, expect, test } from 'vitest';
import { compileRules } from '../../src/rules/compile.js';
import { literalRules, literalVariants, maskEnvRules, parseLiteralFile } from '../../src/rules/load/literals.js';
import { findSecrets } from './helpers.js';

function secretsFound(literals: string[], text: string): string[] {
  const rules = compileRules(literalRules(literals));
  return rules.flatMap((rule) => findSecrets(rule, Buffer.from(text, 'utf8')).map((f) => f.secret));
}

describe('literalRules', () => {
  test('one rule per list, whatever its size', () => {
    const literals = Array.from({ length: 3000 }, (_, i) => `tok-${i.toString(36)}-${(i * 7919).toString(16)}`);
    const specs = literalRules(literals);
    expect(specs).toHaveLength(1);
    const [rule] = compileRules(specs);
    expect(findSecrets(rule!, Buffer.from(`x ${literals[2999]} y ${literals[0]}`)).map((f) => f.secret)).toEqual([literals[2999], literals[0]]);
  });

  test('regex metacharacters are literal', () => {
    expect(secretsFound(['a.b*c(d)[e]$'], 'aXb*c(d)[e]$ a.b*c(d)[e]$')).toEqual(['a.b*c(d)[e]$']);
  });

  test('the longer of two overlapping literals wins', () => {
    expect(secretsFound(['secret', 'secret-long'], 'secret-long')).toEqual(['secret-long']);
  });

  test('non-ASCII literals match their UTF-8 bytes', () => {
    const found = secretsFound(['pässwörd-ñ'], 'x=pässwörd-ñ;');
    expect(found.map((latin1) => Buffer.from(latin1, 'latin1').toString('utf8'))).toEqual(['pässwörd-ñ']);
  });

  test('too-short literals are refused with a warning', () => {
    const warnings: string[] = [];
    expect(literalRules(['abc'], { source: 'list.txt', onWarning: (line) => warnings.push(line) })).toEqual([]);
    expect(warnings).toEqual(['list.txt: literal of 3 bytes refused (shorter than 4)']);
  });

  const secret = 'S3cr3t/Value+with "quotes" & spaces';
  test.each([
    ['JSON-escaped', JSON.stringify({ a: secret })],
    ['URL-encoded', `https://x/?q=${encodeURIComponent(secret)}`],
    ['form-encoded', `q=${encodeURIComponent(secret).replace(/%20/g, '+')}`],
    ['base64 at offset 0', Buffer.from(secret).toString('base64')],
    ['base64 at offset 1', Buffer.from(`x${secret}`).toString('base64')],
    ['base64 at offset 2', Buffer.from(`xy${secret}yz`).toString('base64')],
    ['base64url at offset 1', Buffer.from(`x${secret}`).toString('base64url')],
  ])('an encoded literal is found: %s', (_name, text) => {
    expect(secretsFound([secret], text).length).toBeGreaterThan(0);
  });

  test.each([
    ['Python json.dumps', 'p\\u00e4ssw\\u00f6rd/x'],
    ['PHP json_encode', 'p\\u00e4ssw\\u00f6rd\\/x'],
    ['PHP json_encode with JSON_UNESCAPED_UNICODE', 'pässwörd\\/x'],
  ])('a JSON-escaped literal is found as %s writes it', (_encoder, escaped) => {
    const found = secretsFound(['pässwörd/x'], `{"pw":"${escaped}"}`);
    expect(found.map((latin1) => Buffer.from(latin1, 'latin1').toString('utf8'))).toEqual([escaped]);
  });

  // Issue 15: `[REDACTED:literal]eA==` left the encoded literal's last bits visible.
  test.each([0, 1, 2])('the whole base64 run of a literal at offset %i is covered, padding included', (offset) => {
    for (const tail of ['', 'yz', 'q']) {
      const text = Buffer.from(`${'p'.repeat(offset)}${secret}${tail}`).toString('base64');
      const plain = Buffer.from(`${'p'.repeat(offset)}${'\0'.repeat(Buffer.byteLength(secret))}${tail}`).toString('base64');
      // Every character that differs once the literal is blanked holds a bit of it: all must be covered.
      const [rule] = compileRules(literalRules([secret]));
      const covered = new Set(findSecrets(rule!, Buffer.from(text)).flatMap((f) => Array.from({ length: f.end - f.start }, (_, i) => f.start + i)));
      const holding = Array.from(text, (_, i) => i).filter((i) => text[i] !== plain[i] || (tail === '' && text[i] === '=' && i >= text.length - 2));
      expect(holding.filter((i) => !covered.has(i))).toEqual([]);
    }
  });

  test('a long list spells shared characters only where the literal ends the encoding', () => {
    const literals = Array.from({ length: 5 }, (_, i) => `${secret}-${i}x`);
    const [rule] = compileRules(literalRules(literals));
    const text = Buffer.from(`user:${literals[4]}`).toString('base64');
    expect(findSecrets(rule!, Buffer.from(text)).map((f) => text.slice(f.end))).toEqual(['']);
  });

  test('encodings can be turned off', () => {
    expect(literalVariants('a b"c', false)).toEqual(['a b"c']);
  });

  test('literal files: one per line, blank lines and # comments skipped', () => {
    expect(parseLiteralFile('# comment\nalpha-1\r\n\nbeta-2\n')).toEqual(['alpha-1', 'beta-2']);
  });
});

describe('maskEnvRules', () => {
  const env = { API_TOKEN: 'tok-12345678', DB_PASS: 'pw1', AWS_KEY: 'AKIA3SQC2PRH67RHILAS', MULTI: 'line-one-xyz\nline-two-xyz', EMPTY: '' };

  test('names and globs select variables; short values are refused naming the variable, never the value', () => {
    const warnings: string[] = [];
    const specs = maskEnvRules(['API_TOKEN', 'DB_*', 'AWS_?EY', 'NOPE'], env, { onWarning: (line) => warnings.push(line) });
    expect(specs).toHaveLength(1);
    expect(specs[0]).toMatchObject({ id: 'mask-env', source: 'env:API_TOKEN,AWS_KEY' });
    expect(warnings).toEqual(['--mask-env: DB_PASS not masked: its value is shorter than 4 bytes', '--mask-env NOPE: no such environment variable']);
    expect(warnings.join('\n')).not.toContain('pw1');
    const [rule] = compileRules(specs);
    expect(findSecrets(rule!, Buffer.from('t=tok-12345678 k=AKIA3SQC2PRH67RHILAS')).map((f) => f.secret)).toEqual(['tok-12345678', 'AKIA3SQC2PRH67RHILAS']);
  });

  test('each line of a multi-line value is masked on its own', () => {
    const [rule] = compileRules(maskEnvRules(['MULTI'], env));
    expect(findSecrets(rule!, Buffer.from('wrapped: line-two-xyz')).map((f) => f.secret)).toEqual(['line-two-xyz']);
  });

  test('nothing to mask gives no rule', () => {
    expect(maskEnvRules(['EMPTY'], env, { onWarning: () => {} })).toEqual([]);
  });
});
