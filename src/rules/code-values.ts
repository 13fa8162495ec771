/**
 * Whether the value of a `name = value` finding is code rather than a credential: the predicate
 * behind a rule's `"notCode": true` (the generic assignment rules). A secret is a literal; code
 * that merely names one (`password = bytes(data)`, `password: BinaryLike`,
 * `token = scanTemplateAndSetTokenValue(`, `secret = self.secret`, `PWD: $(srcdir)/x.c`) is not.
 *
 * The shapes are data (CODE_SHAPES): each is a name, a regex over the value, and when it applies —
 * to any value, or only to a bare one. A *bare* value has no quote before it: in JS/TS, Python and
 * Go an unquoted right-hand side is an expression, while a quoted one is a string literal that may
 * well be the secret. .env, YAML and INI values are bare literals too, so the bare-only shapes are
 * those a literal secret hardly ever has: a call, an index, a dotted or multi-word identifier made
 * of words. The context (quote, separator, the byte after the value) comes from the match, which
 * holds the secret.
 */

/** How the value sits in its match. */
export interface ValueSetting {
  /** A quote (`"`, `'`, backtick) or an XML tag's `>` stands right before the value: it is a literal. */
  readonly quoted: boolean;
  /** The value is the next item of a list or call (`"password", value`): a name among names. */
  readonly listed: boolean;
  /** The byte right after the value inside the match ('' when the match ends with the value). */
  readonly after: string;
  /** The separator is ` = ` with blanks on both sides: an assignment in code (or INI), not .env. */
  readonly spacedAssignment: boolean;
  /**
   * The value is a literal there, whatever it looks like (`qr5.xVbduigj5` is no member access,
   * `pXnnWIfFrutppZKRVAVY` no camelCase name): after an upper-case name and `=`
   * (`DB_PASSWORD=value`, the `_PASS=` of `SMTP_PASS=value`: .env, shell, Dockerfile ENV), after a
   * command-line option (`--password=value`, `--db-password=value`: the match starts at a `-`) or
   * a connection-string field (`;Password=value`: at the `;`), also as openssl's option takes it
   * (`-pass pass:value`, `-passout pass:value`). No code is written so.
   */
  readonly literalAssignment: boolean;
}

interface CodeShape {
  /** What the shape is, for readers and for `rules test`. */
  readonly name: string;
  /** Applies to bare values only (see the header), or to any value. */
  readonly bare: boolean;
  readonly test: (value: string, setting: ValueSetting) => boolean;
}

/** `a`, `a.b`, `a?.b`, `$a`, `a_1.b`: an identifier path. */
const IDENTIFIER_PATH = /^[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)*$/;

/** The words of an identifier: case humps and acronyms, split on `_`, `$` and digits. */
const WORD = /[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]/g;
const VOWELS = /[aeiouyAEIOUY]/g;
const CONSONANT_RUN = /[b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ]{5}/;
/** No spelled word has a letter three times running (`AAAGNF` in `_AvAAAGNF19bh`, a random password); an acronym may (`WWW`). */
const TRIPLE_LETTER = /([A-Za-z])\1\1/;
/** Vowelless words programmers write (`password_mgr`, `password_ptr`, `cfg`). */
const ABBREVIATIONS = new Set([
  'mgr',
  'ptr',
  'ctx',
  'cfg',
  'cnf',
  'src',
  'dst',
  'msg',
  'buf',
  'len',
  'str',
  'pwd',
  'tmp',
  'cmd',
  'req',
  'res',
  'srv',
  'svc',
  'db',
  'fn',
  'cb',
  'btn',
  'lbl',
  'txt',
  'cnt',
  'idx',
  'num',
  'val',
  'var',
  'ret',
  'prv',
  'pk',
  'sk',
  'kdf',
  'hmac',
  'rsa',
  'dsa',
  'ssl',
  'tls',
  'http',
  'sfnt',
]);

/**
 * Whether `identifier` is made of words, as names people write are (`workSecret`,
 * `k8sServiceAccountTokenProvider`, `HTTPPasswordMgr`, `tslib_1`), not of random characters.
 * Measured on random strings of 8..32 chars (test/rules/code-values.test.ts): with the
 * several-words condition of the identifier shapes, under 1.5% of random base62 and 5% of random
 * letters-only strings pass, no random lower- or upper-case alphanumeric or hex string does.
 * - at most 30% digits, in at most one run (`tslib_1`, `Ed25519PrivateKey`; random tokens scatter them);
 * - at most two one-letter words, and at least 75% of the letters in words: acronyms of two to
 *   four capitals, common abbreviations (ABBREVIATIONS), or words of two or more letters with a
 *   vowel and no run of five consonants;
 * - words of 3.3 letters on average, and a vowel in at least one of five letters of the spelled words.
 */
export function isWordy(identifier: string): boolean {
  const digitRuns = identifier.match(/\d+/g) ?? [];
  const digits = digitRuns.reduce((sum, run) => sum + run.length, 0);
  if (digits * 10 > identifier.length * 3 || digitRuns.length > 1) return false;
  const words = identifier.match(WORD) ?? [];
  let letters = 0;
  let good = 0;
  let singles = 0;
  let spelled = 0;
  let vowels = 0;
  for (const word of words) {
    letters += word.length;
    if (word.length === 1) singles++;
    else if (ABBREVIATIONS.has(word.toLowerCase()) || (word.length <= 4 && word === word.toUpperCase())) good += word.length;
    else if (!CONSONANT_RUN.test(word) && !TRIPLE_LETTER.test(word)) {
      const count = word.match(VOWELS)?.length ?? 0;
      if (count > 0) {
        good += word.length;
        spelled += word.length;
        vowels += count;
      }
    }
  }
  return letters > 0 && singles <= 2 && good * 4 >= letters * 3 && letters * 10 >= words.length * 33 && vowels * 5 >= spelled;
}

/** An identifier of several words: snake_case, camelCase, PascalCase with acronyms (`HTTPServer`). */
const isSeveralWords = (identifier: string): boolean => identifier.replace(/^_+|_+$/g, '').split(/_+/).length > 1 || /[a-z][A-Z]|\d[A-Z][a-z]|[A-Z]{2}[a-z]/.test(identifier);

/** A path of wordy identifiers (`a?.b_1.c`, modules allowed before a dot) with two or more parts, or of one with several words. */
function isWordyPath(value: string): boolean {
  const parts = value.split(/\??\./).map((part) => part.replace(/^[$_]+/, ''));
  // A short lower-case module or object name before a dot reads as code whatever its letters
  // (`win32api.RegEnumKey`, `ed25519.Ed25519PrivateKey`); the last part still has to be wordy.
  const isModule = (part: string, index: number) => index < parts.length - 1 && /^[a-z][a-z0-9]{1,9}$/.test(part);
  if (parts.some((part, index) => part.length === 0 || !(isModule(part, index) || isWordy(part)))) return false;
  return parts.length > 1 || isSeveralWords(value);
}

/**
 * A part of a path that reads as a name: no capital (`usr`, `x86_64`, `id_rsa`, `key.pem`, `~`), or
 * words with a vowel other than y (`Documents`, `My-Project`): isWordy counts y as one, and took
 * `BPNXY` of a random password (`/BPNXY/4.dn_p7i`, planted in a bench corpus) for a word.
 */
const isNameInPath = (part: string): boolean => !/[A-Z]/.test(part) || (isWordy(part) && /[aeiouAEIOU]/.test(part));

/** Literals that stand for no value in the languages the generic rules read. */
const KEYWORDS = new Set(['none', 'null', 'nil', 'true', 'false', 'undefined', 'nan', 'self', 'this', 'cls', 'super', 'new', 'function', 'lambda', 'await', 'typeof']);

export const CODE_SHAPES: readonly CodeShape[] = [
  { name: 'keyword', bare: false, test: (value) => KEYWORDS.has(value.toLowerCase()) },
  // `self.x`, `this.x`, `process.env.X`, `os.environ[`, `opts?.workSecret`, `config.get(`.
  { name: 'member of self/this/env', bare: false, test: (value) => /^(?:self|this|cls|process\.env|os\.environ|ENV|env)(?:\??\.|\[)[\w$.?[\]'"()-]*$/.test(value) },
  // `$(srcdir)/Modules/x.c` (make), `%(password)s`, `%s`, `{password!r}` (Python formats), `#{x}` (Ruby).
  { name: 'template', bare: false, test: (value) => /\$\([A-Za-z_][\w.]*\)|%\([A-Za-z_]\w*\)[sdr]|^%[sdr]$|^#?\{[A-Za-z_][\w.]*(?:![rsa])?(?::[^{}]*)?\}$/.test(value) },
  // `/home/user/project`, `./conf/x`, `~/.ssh/id`, `/Users/Jane/My-Project`: a path (the PWD and
  // OLDPWD variables hold one) of parts that read as names. Not `/Z/w3-KDagPZ`: a random password
  // may hold slashes too, and its parts mix cases as names seldom do.
  { name: 'path', bare: false, test: (value) => /^(?:~|\.{1,2})?\/[\w.-]+(?:\/[\w.-]+)+\/?$/.test(value) && value.split('/').every(isNameInPath) },
  // `"password", "repository"`, `'pwd', 're_syntax'`: names in a list of names.
  {
    name: 'name in a list',
    bare: false,
    test: (value, setting) => setting.listed && /^[A-Za-z_][\w/-]*$/.test(value) && value.split(/[/-]/).every((part) => part === '' || isWordy(part)),
  },
  // `"db.password"`, `config.api_key()`: a dotted name of words, quoted or not (a key looked up by
  // name). Not `"GbRMc.gTHq.f"` or `"YqqYhplq.bSP_"`: random passwords of letters and dots, which
  // bench/run.mjs's 256 MiB corpora planted, and an allowlist of any dotted letters let through.
  { name: 'dotted name', bare: false, test: (value) => /^[A-Za-z_]+(?:\.[A-Za-z_]+)+(?:\(\))?$/.test(value) && isWordyPath(value.replace(/\(\)$/, '')) },
  // `"challengePassword"`, `"client_secret_basic"`: a quoted name of several words. Not a capitalised
  // one (`"CorrectHorseBattery"`): that is how people write passphrases. Not after `NAME=` either
  // (as `identifier` below): random letters read as camelCase words now and then (`pXnnWIfFrutppZKRVAVY`).
  {
    name: 'identifier of words',
    bare: false,
    test: (value, setting) => !setting.literalAssignment && /^[a-z_][A-Za-z_]*$/.test(value) && isSeveralWords(value) && isWordy(value),
  },
  // `bytes(`, `getpass.getpass(`, `config[`, `typing.Optional[bytes]`, `HTTPPasswordMgr()`, `(self.password.encode(`,
  // and the same as a list's first item, `[listener.fileno(` (after `_pass` of `fds_to_pass = `).
  // `).sessions_token`: a member of the expression before (`(x as Partial<T>).y`, so even after a `>`).
  { name: 'member of an expression', bare: false, test: (value) => /^[)\]]\??\.[A-Za-z_$]/.test(value) },
  { name: 'call or index', bare: true, test: (value) => /^\(|^\[?[A-Za-z_$][\w$]*(?:(?:\??\.|->)[A-Za-z_$][\w$]*)*\??\.?[([]/.test(value) },
  // `password)`, `self.secret)`, `PyInit_pwd}`, `password]`: an argument before the closing bracket.
  { name: 'argument', bare: true, test: (value) => /^[A-Za-z_$][\w$]*(?:(?:\??\.|->)[A-Za-z_$][\w$]*)*[)\]}]+$/.test(value) },
  // `algorithm=`, `algorithms=[`: a keyword argument after a positional one, named in words. Not
  // `Zt6pohm49zX_23qo=`: base64 with one `=` of padding (`.env`: `SECRET_KEY=dGhpc2lz...=`).
  { name: 'keyword argument', bare: true, test: (value) => isWordy(/^([a-z_][a-z0-9_]*)=\[?$/.exec(value)?.[1] ?? '') },
  // `alice.<span`: highlighted code in HTML (a name runs into a tag). Only a name, and only the
  // tags such highlighting writes: a random password may end in `<` and letters too
  // (`K-nH7?LS<IZn`, `wHCI|3DKnE<P`).
  {
    name: 'markup',
    bare: true,
    test: (value) => /^[A-Za-z_$][\w$.-]*<(?:span|a|b|i|em|strong|code|kbd|var|samp|mark|font|div|pre|p|br|sub|sup|small|u|s|del|ins|tt)$/i.test(value),
  },
  // `workSecret`, `api_keys_1.APIKeys`, `IdentityTokenProvider`, `credentials`: a variable, a type or a member.
  // Not after `NAME=` (literalAssignment): random passwords of letters, digits and `_`, `.` or `$`
  // read as words now and then (`YINobuzwWev$1`), and a .env file has no variables to name.
  { name: 'identifier', bare: true, test: (value, setting) => !setting.literalAssignment && IDENTIFIER_PATH.test(value) && isWordyPath(value) },
  // `self.password = credentials`: one word assigned in code is a variable (in .env a bare word is `KEY=word`).
  { name: 'variable', bare: true, test: (value, setting) => setting.spacedAssignment && /^[a-z]+$/.test(value) && isWordy(value) },
  // `creditTokenParam(`, `ConversationCursorPage<T>`: the value is followed by a call or type arguments.
  { name: 'callee or generic type', bare: true, test: (value, setting) => (setting.after === '(' || setting.after === '<') && IDENTIFIER_PATH.test(value) },
];

/** The name of the first code shape `value` has, or null when it may be a credential. */
export function codeShapeOf(value: string, setting: ValueSetting): string | null {
  for (const shape of CODE_SHAPES) if ((!shape.bare || !setting.quoted) && shape.test(value, setting)) return shape.name;
  return null;
}

/**
 * How the secret sits in `match` (both latin1): the secret is taken at its last occurrence in
 * the match, where the generic rules put it (the value ends the match or precedes one delimiter).
 */
export function settingOf(secret: string, match: string): ValueSetting {
  const at = match.lastIndexOf(secret);
  if (at < 0) return { quoted: false, listed: false, after: '', spacedAssignment: false, literalAssignment: false };
  const before = match.slice(0, at);
  return {
    quoted: /["'`>]$/.test(before),
    listed: /["']\s*,\s*\\?["'`]?$/.test(before),
    after: match.charAt(at + secret.length),
    spacedAssignment: /[ \t]=[ \t]+$/.test(before),
    literalAssignment: /^(?:[A-Z_][A-Z0-9_]*=|[-;][\w.-]*(?:=|[ \t]+pass:))$/.test(before),
  };
}

/** True when the secret is code, not a credential (see the header); without the match, only the shapes of any value apply. */
export function isCodeValue(secret: string, match: string | undefined): boolean {
  const setting = match === undefined ? { quoted: true, listed: false, after: '', spacedAssignment: false, literalAssignment: false } : settingOf(secret, match);
  return codeShapeOf(secret, setting) !== null;
}
