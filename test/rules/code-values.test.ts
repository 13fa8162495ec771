/**
 * The generic assignment rules know code from credentials (code-values.ts, the rules' `notCode`):
 * per language, code that names a secret gives no finding and a literal secret in the same
 * assignment shape does, with the same findings from both engines (vectorscan when its addon is
 * built). The clean-text figure these shapes bring down is measured by `node bench/eval.mjs`.
 */
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { compileRules, scan } from '../../src/index.js';
import { codeShapeOf, isWordy } from '../../src/rules/code-values.js';

const GENERIC = /^(?:generic-password|generic-api-key|authorization-header|connection-string-password)$/;

/** Code that names a secret, per language: no generic finding. */
const CODE: Record<string, readonly string[]> = {
  'JS/TS': [
    'export declare function pbkdf2(password: BinaryLike, salt: BinaryLike): Buffer;',
    'token = scanTemplateAndSetTokenValue(',
    'cancellationToken: HostCancellationToken',
    'exports.k8sServiceAccountTokenProvider = k8sServiceAccountTokenProvider;',
    'const workSecret = opts?.workSecret || fallback;',
    'const aliceSecret = alice.computeSecret(bob.getPublicKey(), null, "hex");',
    'const token = (parsed as Partial<BetaWorkSecret>).sessions_token;',
    '<span class="hljs-keyword">const</span> bobSecret = bob.<span class="hljs-title">computeSecret</span>',
    'export type ProjectAPIKeysPage = ConversationCursorPage<ProjectAPIKey>;',
  ],
  Python: [
    'conn = connect(user=user, password=dbPasswordValue, host=host)',
    'password = bytes(memoryview(password))',
    'passwd = getpass.getpass("IMAP password for %s on %s: ")',
    'password: typing.Optional[bytes],',
    'self.client_secret = kwargs.get("client_secret")',
    "defaults = dict.fromkeys(['username', 'password', 'repository'], '')",
    'user, passwd = self.get_user_passwd(host, realm, i)',
    'username, password = url_user_password',
    'print(f"password={password!r}")',
    'jwt.decode(encoded, "secret", algorithms=["HS256"])',
    'self.passwd = password_mgr',
    'RegEnumKey = win32api.RegEnumKey',
    'api_key = "/run/secrets/api_key"',
    'client_secret = "/Users/Jane/Secrets/Client-Secret.txt"',
    'fds_to_pass = [listener.fileno(), alive_r]',
    'def timeit(stmt="pass", setup="pass", timer=default_timer,',
  ],
  Go: ['password := os.Getenv("DB_PASSWORD")', 'apiToken := cfg.ServiceAPIToken'],
  C: ['credential_write_item(stdout, "password", c->password);', '{"spwd", PyInit_spwd},', 'SEC_ERROR_BAD_PASSWORD = SEC_ERROR_BASE + 15,'],
  shell: [
    'export DB_PASSWORD=$DB_PASSWORD_FROM_VAULT',
    '"PWD": "/home/nodeuser/project/node",',
    '"OLDPWD": "/Users/Jane/My-Project/etc",',
    'PWD=~/.password-store/x86_64/id_rsa.gpg',
  ],
  Makefile: ['Modules/pwdmodule.o: $(srcdir)/Modules/pwdmodule.c $(MODULE_PWD_DEPS)'],
  'YAML/XML': ['password: ${{ secrets.DB_PASSWORD }}', '<password>${db.password}</password>', 'password: "config.db.password"'],
};

/** Literal secrets in the same assignment shapes: found. */
const SECRETS: Record<string, readonly string[]> = {
  'JS/TS': ["const apiKey = 'Zq8Lr2Vx9Kp4Wm7Tn3BcQ';", 'password: "hunter2hunter2"'],
  // A random password with slashes is not a path (bench/run.mjs's 1 GiB CI log planted this one).
  // Random passwords test/rules/random-passwords.test.ts found dropped: as a Windows variable, a member of ENV.
  Python: [
    'password = "s3cr3t-Pa55word"',
    'client_secret = "Tk8q2Lx9vW4rPzN1Qa7s"',
    'password = "/Z/w3-KDagPZ"',
    'api_key = "/q8Zt/Lm3Xv9Pw2Rk7YnB"',
    'password = "%AAAdwBsBPn2%"',
    'password = "ENV.AAAAAuA9$/LX"',
    // Random passwords bench/run.mjs's 256 MiB dense corpus planted: letters and dots are no dotted
    // name unless its parts read as words; `</` before a non-letter is no closing tag.
    'password = "GbRMc.gTHq.f"',
    'db_password = "OeA@H8</8!l5luozP"',
    'db_password = "=</?d:oY#f3iEDD"',
  ],
  Go: ['password := "Zq8Lr2Vx9Kp4"'],
  shell: ['export GITHUB_TOKEN=Zq8Lr2Vx9Kp4Wm7Tn3BcQ'],
  // Base64 with one `=` of padding is no keyword argument (`algorithm=`, snake_case words); `AAAGNF` is no word.
  '.env': [
    'DB_PASSWORD=hunter2hunter2',
    'SMTP_PASSWORD=Zq8Lr2Vx9Kp4',
    'DB_PASSWORD=Zt6pohm49zX_23qo=',
    'CLIENT_SECRET=aGVsbG93b3JsZHNlY3JldA=',
    'DB_PASSWORD=AhsAvanAOT7=',
    'DB_PASSWORD=_AvAAAGNF19bh',
    // Letters and one `.`, `$` or `_` read as words now and then; after `NAME=` a value is a literal.
    'DB_PASSWORD=qr5.xVbduigj5',
    'DB_PASSWORD=YINobuzwWev$1',
    'DB_PASSWORD=OqvGthyephZet$nosJuz6',
    // Random passwords of 8-11 characters whose characters repeat (entropy under 2.8; a third of
    // random 8-character ones was): letters mixed with digits or capitals are no word.
    'DB_PASSWORD=Guv61uyB1',
    'DB_PASSWORD=5s>&y5oe',
    'DB_PASS=Zq8Lr2Vx9Kp4',
    'RABBITMQ_DEFAULT_PASS=Tr0ub4dor3x',
    // Random letters that read as camelCase words: after `NAME=` a value is a literal.
    'DB_PASSWORD=pXnnWIfFrutppZKRVAVY',
    'SMTP_PASS=iatzgXwSAGJI',
  ],
  Makefile: ['DEPLOY_PASSWORD := Zq8Lr2Vx9Kp4'],
  // Random letters that read as words (bench/password-contexts.mjs): a command-line option's value
  // and a connection-string field's are literals, as after `NAME=`.
  'command line': ['mysql -u root --password=MPHlYNRC9fogziqjcSZL -h db', 'deploy --db-password=nKpazefBUJWE'],
  'connection string': ['Server=db;Database=app;User Id=sa;Password=QZOD1ZSGZmARARHldium;'],
  openssl: ['openssl pkcs12 -export -in cert.pem -passout pass:QoBx9Flfynse -out bundle.p12'],
  'YAML/XML': [
    'password: Tr0ub4dor&3',
    // `<P` ends no name: a random password's, not a highlighted tag.
    '    password: wHCI|3DKnE<P',
    'password: o0M!!YTf',
    // Ending in `<` and letters, as no tag that highlighted code holds.
    '    password: K-nH7?LS<IZn',
    'spring.datasource.password=BV9PyRw4@g+P<ao5',
    'password = "P@ssw0rd"',
    '  password: VFdlJdsA',
    '<password>CorrectHorseBattery</password>',
    '  password: "YqqYhplq.bSP_"',
    // A random password with slashes, its capital part without a vowel but y (a bench corpus's).
    '    db_password = "/BPNXY/4.dn_p7i"',
  ],
};

const engines: Array<'ts' | 'vectorscan'> = 'addon' in loadAddon() ? ['ts', 'vectorscan'] : ['ts'];
const compiled = engines.map((engine) => compileRules({ engine }));

/** Generic findings of `text`, checked to be the same on every engine. */
function genericFindings(text: string): string[] {
  const [first, ...others] = compiled.map((rules) =>
    scan(text, { compiled: rules })
      .filter((finding) => GENERIC.test(finding.rule))
      .map((finding) => `${finding.rule}@${finding.start}-${finding.end}`),
  );
  for (const other of others) expect(other).toEqual(first);
  return first ?? [];
}

describe.each(Object.keys(CODE))('code in %s', (language) => {
  test.each(CODE[language] ?? [])('no finding: %s', (line) => {
    expect(genericFindings(line)).toEqual([]);
  });
});

describe.each(Object.keys(SECRETS))('secrets in %s', (language) => {
  test.each(SECRETS[language] ?? [])('found: %s', (line) => {
    expect(genericFindings(line)).not.toEqual([]);
  });
});

test.each([
  ['<password>Zq8Lr2Vx9Kp4</password>', 'Zq8Lr2Vx9Kp4'],
  ['<password>Zq8L</8r2Vx9Kp4</password>', 'Zq8L</8r2Vx9Kp4'],
  ['password = "OeA@H8</8!l5luozP"', 'OeA@H8</8!l5luozP'],
  // Found by the 256 MiB base64 corpus: inside quotes only the quote ends a value.
  ['db_password = "oZ94ia</BwGR"', 'oZ94ia</BwGR'],
  ['db_password = "abcdefgh</Xyz9"', 'abcdefgh</Xyz9'],
  ["secret: 'k9;Vq2,Lm8<zX'", 'k9;Vq2,Lm8<zX'],
])('a closing tag ends a bare or tagged password, `</` before a non-letter does not, a quote ends a quoted one: %s', (line, secret) => {
  const start = line.indexOf(secret);
  expect(genericFindings(line)).toEqual([`generic-password@${start}-${start + secret.length}`]);
});

describe('isWordy', () => {
  test.each(['workSecret', 'k8sServiceAccountTokenProvider', 'HTTPPasswordMgrWithDefaultRealm', 'tslib_1', 'CURLOPT_READDATA', 'password_mgr', 'Ed25519PrivateKey'])(
    'a name people write: %s',
    (name) => expect(isWordy(name)).toBe(true),
  );
  test.each(['Zq8Lr2Vx9Kp4Wm7Tn3BcQ', '0afae57f3ccfd9d7f5767067bc48b30f', 'lsdkfol23w54jlksdef', 'K7XQ2MZPW4'])('random: %s', (token) => {
    expect(isWordy(token)).toBe(false);
  });

  // A bare random token must almost never look like code: bounded on a fixed sample (xorshift,
  // seed 0x9e3779b9, 4000 tokens of 16..40 chars per alphabet), so a looser word model turns the
  // test red (dropping the one-digit-run condition doubles the base62 share).
  test('random bare base62 and alphanumeric tokens are seldom code', () => {
    let state = 0x9e3779b9;
    const next = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    // Alphabet -> the largest share of its tokens that may read as code (measured: 0.15% of base62,
    // 2.1% of letters-only, none of the others).
    const bounds: Array<[string, number]> = [
      ['0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 0.0025],
      ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 0.025],
      ['0123456789abcdefghijklmnopqrstuvwxyz', 0.0005],
      ['0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', 0.0005],
      ['0123456789abcdef', 0.0005],
    ];
    for (const [alphabet, bound] of bounds) {
      let code = 0;
      const samples = 4000;
      for (let i = 0; i < samples; i++) {
        const length = 16 + (next() % 25);
        let token = '';
        for (let j = 0; j < length; j++) token += alphabet[next() % alphabet.length];
        if (codeShapeOf(token, { quoted: false, listed: false, after: '', spacedAssignment: true, literalAssignment: false }) !== null) code++;
      }
      expect(code / samples, alphabet).toBeLessThanOrEqual(bound);
    }
  });
});
