/** Predicates: entropy, validators, placeholders, stopwords, allowlists, inline allow markers. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  compilePathFilter,
  compilePredicates,
  crc32,
  entropyFloor,
  hasAllowMarker,
  isPlaceholder,
  isValidGithubChecksum,
  isValidIban,
  isValidIpv4,
  isValidIpv6,
  isValidLuhn,
  shannonEntropy,
} from '../../src/rules/predicates.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function githubToken(prefix: string, random: string): string {
  let checksum = crc32(random);
  let encoded = '';
  for (let i = 0; i < 6; i++) {
    encoded = BASE62[checksum % 62] + encoded;
    checksum = Math.floor(checksum / 62);
  }
  return prefix + random + encoded;
}

function luhnComplete(digits: string): string {
  for (let check = 0; check <= 9; check++) if (isValidLuhn(digits + check)) return digits + check;
  throw new Error('unreachable');
}

const base62String = (length: number) => fc.string({ unit: fc.constantFrom(...BASE62), minLength: length, maxLength: length });
const digitString = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

describe('entropy', () => {
  test.each([
    ['', 0],
    ['aaaa', 0],
    ['abab', 1],
    ['abcd', 2],
    ['0123456789abcdef', 4],
  ])('%j has %d bits per byte', (text, want) => {
    expect(shannonEntropy(bytes(text))).toBeCloseTo(want, 10);
  });

  test('minEntropy keeps a secret at the threshold and drops one below', () => {
    const keep = compilePredicates('r', { minEntropy: 2 })!;
    expect(keep(bytes('wxyz'))).toBe(true);
    expect(keep(bytes('wxyw'))).toBe(false);
  });

  test('a secret of 12 to 31 bytes needs less, in proportion to log2 of its length; longer ones the whole', () => {
    const want = [(3 * Math.log2(12)) / 5, 2.4, (3 * Math.log2(31)) / 5, 3, 3];
    [12, 16, 31, 32, 64].forEach((length, i) => expect(entropyFloor(3, bytes('zqxw'.repeat(16).slice(0, length)))).toBeCloseTo(want[i]!, 12));
  });

  test('one of 8 to 11 bytes needs less only when it mixes letters with digits or inner capitals, as no word does', () => {
    expect(entropyFloor(3, bytes('Zq8!Zq8!'))).toBeCloseTo((3 * Math.log2(8)) / 5, 12);
    expect(entropyFloor(3, bytes('zqxwzqxwVzq'))).toBeCloseTo((3 * Math.log2(11)) / 5, 12);
    for (const word of ['required', 'Password', 'PASSWORD', 'pass-word', "'test:test'", '2026-12-05', '12:30:45', 'Zq8!Zq8']) {
      expect(entropyFloor(3, bytes(word))).toBe(3);
    }
  });

  test('hex digits of one case need 0.8 of it (their most is 4 bits a byte), digits alone and short hex all of it', () => {
    expect(entropyFloor(3.5, bytes('1520b8a15a3345a0885fe7081ce32a00'))).toBeCloseTo(3.5 * 0.8, 12);
    expect(entropyFloor(3.5, bytes('1520B8A15A3345A0885FE7081CE32A00'))).toBeCloseTo(3.5 * 0.8, 12);
    expect(entropyFloor(2, bytes('abc'))).toBe(2);
    expect(entropyFloor(3.5, bytes('1520b8A15a3345a0885fe7081ce32a00'))).toBe(3.5);
    expect(entropyFloor(3.5, bytes('15200815033450088500708103320000'))).toBe(3.5);
  });

  // Planted in a 256 MiB bench corpus (seed 11, a secret every 400 bytes): random secrets whose
  // characters happen to repeat, under their rule's entropy as a flat threshold. Runs still drop.
  test.each([
    ['AKIADDICXDKNA3KKNDIZ', 3, true],
    ['AKIATKAPQ2RATZZAZAWT', 3, true],
    ['AKIAQEGIIIEJEALELGFJ', 3, true],
    ['AKIAMKATIQITMIPYYAQI', 3, true],
    ['&Bfa&5-3fC&&', 2.8, true],
    ['/lRlwN/lr=RR', 2.8, true],
    ['K!yT~!5!eWJ!!!', 2.8, true],
    // Random passwords of 8 and 9 characters (a third of random 8-character ones is under 2.8).
    ['o0M!!YTf', 2.8, true],
    ['Guv61uyB1', 2.8, true],
    ['P@ssw0rd', 2.8, true],
    ['required', 2.8, false],
    ['aaaa1111', 2.8, false],
    ['abcabcab', 2.8, false],
    // Random 32-digit hex keys that generic-api-key's 3.5 dropped (one in six does).
    ['1520b8a15a3345a0885fe7081ce32a00', 3.5, true],
    ['8e64aa3ffbcffeaff9cad3a616b45814', 3.5, true],
    ['3819f4a4fa333c347aacc98dcd2522f2', 3.5, true],
    ['AKIAAAAAAAAAAAAAAAAA', 3, false],
    ['abababababababab', 2.8, false],
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 2, false],
    ['00000000000000000000000000000000', 3.5, false],
    ['abababababababababababababababab', 3.5, false],
    ['aaaaaaaaaa1111111111bbbbbbbbbb2222222222', 3, false],
  ])('%s under entropy %d: kept %s', (secret, minEntropy, kept) => {
    expect(compilePredicates('r', { minEntropy })!(bytes(secret))).toBe(kept);
  });
});

describe('github-crc32', () => {
  test('real-format tokens from public test suites validate', () => {
    // secretlint's github and npm rule snapshots (fixtures/corpus/secretlint.jsonl)
    expect(isValidGithubChecksum('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')).toBe(true);
    expect(isValidGithubChecksum('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')).toBe(true);
    expect(isValidGithubChecksum('ghp_1234567890abcdefghij1234567890abcdef')).toBe(false);
  });

  test('a generated token validates; changing any one char breaks it', () => {
    fc.assert(
      fc.property(base62String(30), fc.nat(35), fc.nat(60), (random, position, shift) => {
        const token = githubToken('ghp_', random);
        expect(isValidGithubChecksum(token)).toBe(true);
        const chars = [...token];
        const at = 4 + position;
        chars[at] = BASE62[(BASE62.indexOf(chars[at]!) + 1 + shift) % 62]!;
        expect(isValidGithubChecksum(chars.join(''))).toBe(false);
      }),
    );
  });
});

describe('luhn', () => {
  test.each([
    ['4111111111111111', true],
    ['4111 1111 1111 1111', true],
    ['4111-1111-1111-1111', true],
    ['4111111111111112', false],
    ['41111111111x1111', false],
    ['0000', false],
  ])('%s -> %s', (text, want) => expect(isValidLuhn(text)).toBe(want));

  test('completed numbers validate; any single-digit change breaks them', () => {
    fc.assert(
      fc.property(digitString(12, 18), fc.nat(18), fc.integer({ min: 1, max: 9 }), (digits, position, delta) => {
        const number = luhnComplete(digits);
        expect(isValidLuhn(number)).toBe(true);
        const at = position % number.length;
        const changed = number.slice(0, at) + ((Number(number[at]) + delta) % 10) + number.slice(at + 1);
        expect(isValidLuhn(changed)).toBe(false);
      }),
    );
  });
});

describe('iban', () => {
  test.each([
    ['GB82WEST12345698765432', true],
    ['GB82 WEST 1234 5698 7654 32', true],
    ['DE89370400440532013000', true],
    ['gb82west12345698765432', true],
    ['GB83WEST12345698765432', false],
    ['GB82WEST1234569876543', false],
    ['XX', false],
    // Check digits right, length not Germany's (22): a hex run or an id, not an IBAN.
    ['DE8937040044053201300', false],
    ['ZZ1234567890123456', false],
  ])('%s -> %s', (text, want) => expect(isValidIban(text)).toBe(want));
});

describe('ip addresses', () => {
  test.each([
    ['81.2.69.160', true],
    ['8.8.8.8', true],
    ['4.2.1.0', false],
    ['1.3.6.1.4.1', false],
    ['256.1.1.1', false],
    ['081.2.69.160', false],
    ['1.2.3', false],
  ])('ipv4 %s -> %s', (text, want) => expect(isValidIpv4(text)).toBe(want));

  test.each([
    ['2a00:1450:4001:82b::200e', true],
    ['2606:4700:4700:0:0:0:0:1111', true],
    ['2a00:1450::1', true],
    ['2a00::1', false],
    ['12:30:45', false],
    ['a::b', false],
    ['AB:CD:EF:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A', false],
    ['1::2::3', false],
  ])('ipv6 %s -> %s', (text, want) => expect(isValidIpv6(text)).toBe(want));
});

describe('placeholders', () => {
  test.each([
    '${DB_PASSWORD}',
    '$DB_PASSWORD',
    '$db_password',
    '<your-token>',
    '<user:password>',
    '<paste the private key here>',
    '<DB_PASSWORD>',
    '<%= ENV["DB_PASSWORD"] %>',
    '{{ .Values.password }}',
    '%API_KEY%',
    '********',
    'sk_live_xxxxxxxxxxxx',
    'xoxb-xxxx-xxxx',
    '1234-XXXX',
    'sk_live_xxxx',
    'xxxx-xxxx-xxxx-4242',
    'glpat-xxxx',
    'AKIAXXXXXXXXXXXXXXXX',
    'abc...',
    'sk-proj-...wxyz',
    'ghp_R0Ct\xe2\x80\xa6',
    'your_api_key',
    'insert-token-here',
    'token_here',
    'REPLACE_WITH_PASSWORD',
    'replace-me',
    'mypassword',
    'my_secret',
  ])('%s is a placeholder', (text) => expect(isPlaceholder(text)).toBe(true));
  test.each([
    '$ecretPass42',
    'Zq8Lr2Vx9Kp4Wm7Tn3Bc',
    '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',
    'p4ss*word',
    'x.y',
    'mySecret789',
    'mysql',
    'replaced4Kq9',
    'Zq8Lr2VxXxxKp4Wm7Tn3Bc',
    'UBU7/AN/g+H58+ry5FqdyxXxxqT0thyXUu',
    // A random password that starts with a lone x run: 15 letters and digits beside it.
    'XXXX*Z-Knt?I8eARwGOV3^e',
    'xxxx-9fQ2mZ7kLp4Rt8Wv',
    // Random passwords that happen to start with `<` and end with `>` (a 256 MiB CI log's, seed 4).
    '<44r=AnaKZy>',
    '<Kq8!v2Lz9>',
    // Random passwords holding `...` (planted in the bench corpora): other characters, or many.
    'zt%67tR...W<W>R%#p5',
    '82_mxdoA8XNGWAcJbn04qX...R',
  ])('%s is not', (text) => expect(isPlaceholder(text)).toBe(false));

  test.each([
    ['postgres://postgres:postgres@localhost:5432/db', 'postgres', true],
    ['mongodb://mongodb:mongodb@localhost:27017/db', 'mongodb', true],
    ['postgres://app:postgres@localhost:5432/db', 'postgres', false],
    ['postgres://postgres:postgres2@localhost/db', 'postgres2', false],
  ])('the password of %s is a placeholder: %s', (match, secret, want) => {
    expect(isPlaceholder(secret, match)).toBe(want);
    expect(compilePredicates('r', { placeholders: true } as never)!(bytes(secret), { match: bytes(match) })).toBe(!want);
  });

  test('placeholder detection only runs when the rule asks for it', () => {
    expect(compilePredicates('r', { placeholders: false } as never)).toBeNull();
    expect(compilePredicates('r', { placeholders: true } as never)!(bytes('${TOKEN}'))).toBe(false);
  });
});

describe('allowlists and stopwords', () => {
  test('rules without predicates compile to null', () => {
    expect(compilePredicates('r', undefined)).toBeNull();
    expect(compilePredicates('r', {})).toBeNull();
  });

  test('allowlist regexes use rule syntax with ASCII-only case folding', () => {
    const keep = compilePredicates('r', { allowlist: ['(?i)^example'] })!;
    expect(keep(bytes('EXAMPLEkey'))).toBe(false);
    expect(keep(bytes('realkey'))).toBe(true);
    // 0xC9 (É) does not fold to 0xE9 (é): ASCII-only, as RE2
    const accented = compilePredicates('r', { allowlist: ['(?i)\\xe9'] })!;
    expect(accented(Uint8Array.of(0xc9))).toBe(true);
    expect(accented(Uint8Array.of(0xe9))).toBe(false);
  });

  test('stopwords are case-insensitive substrings of the secret', () => {
    const keep = compilePredicates('r', { stopwords: ['Example'] })!;
    expect(keep(bytes('myEXAMPLEtoken'))).toBe(false);
    expect(keep(bytes('mytoken'))).toBe(true);
  });

  test('a match or line allowlist applies only when the confirmer passes that context', () => {
    const keep = compilePredicates('r', { allowlists: [{ regexTarget: 'match', regexes: ['^test_'] }] } as never)!;
    expect(keep(bytes('abc'), { match: bytes('test_abc') })).toBe(false);
    expect(keep(bytes('abc'), { match: bytes('live_abc') })).toBe(true);
    expect(keep(bytes('abc'))).toBe(true);
  });

  test('condition and: every criterion must match; paths only match in scan mode', () => {
    const keep = compilePredicates('r', {
      allowlists: [{ condition: 'and', regexes: ['^abc'], paths: ['(?:^|/)testdata/'] }],
    } as never)!;
    expect(keep(bytes('abcdef'), { path: 'src/testdata/x.go' })).toBe(false);
    expect(keep(bytes('abcdef'), { path: 'src/x.go' })).toBe(true);
    expect(keep(bytes('abcdef'))).toBe(true);
    expect(keep(bytes('zzz'), { path: 'src/testdata/x.go' })).toBe(true);
  });

  test('a bad allowlist regex is a rule error naming the rule', () => {
    expect(() => compilePredicates('my-rule', { allowlist: ['(?=x)'] })).toThrow(/rule my-rule: bad allowlist regex "\(\?=x\)"/);
  });

  test('an unknown validator is a rule error naming the rule', () => {
    expect(() => compilePredicates('my-rule', { validator: 'md5' } as never)).toThrow(/rule my-rule: unknown validator "md5"/);
    expect(() => compilePredicates('my-rule', { validator: 'toString' } as never)).toThrow(/unknown validator "toString"/);
  });
});

describe('inline allow markers', () => {
  test.each([
    ['token = "abc" # sseredact:allow', true],
    ['token = "abc" // gitleaks:allow', true],
    ['token = "abc"  # pragma: allowlist secret', true],
    ['token = "abc" // secretlint-disable-line @secretlint/secretlint-rule-preset-recommend', true],
    ['token = "abc"', false],
    ['sseredact allow', false],
    ['pragma: allowlist nextline', false],
    ['secretlint-disable-next-line', false],
  ])('%s -> %s', (line, want) => expect(hasAllowMarker(bytes(line))).toBe(want));
});

describe('path filters (scan mode)', () => {
  test('a rule limited to paths applies only to matching files', () => {
    const applies = compilePathFilter('r', ['\\.env$', '(?:^|/)config/'])!;
    expect(applies('app/.env')).toBe(true);
    expect(applies('srv/config/db.yml')).toBe(true);
    expect(applies('src/main.ts')).toBe(false);
  });

  test('no paths: the rule applies everywhere', () => {
    expect(compilePathFilter('r', undefined)).toBeNull();
    expect(compilePathFilter('r', [])).toBeNull();
  });
});
