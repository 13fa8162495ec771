/**
 * Predicates a finding's secret must pass (DESIGN §2). Compiled once per rule into one function
 * that returns true when the finding is kept.
 *
 * Checks run cheapest first: entropy reads each byte once, then validators, placeholders and
 * stopwords, allowlist regexes last. Every check works on the secret's bytes read as latin1, so
 * binary input is never an error. Allowlist regexes use the rule syntax (RE2, ASCII-only) and run
 * as the JS RegExp the regex front end prints; a secret is at most `maxMatch` bytes, which bounds
 * the work of even a backtracking allowlist pattern.
 *
 * @example
 *   const keep = compilePredicates('aws-access-key-id', { minEntropy: 3, allowlist: ['EXAMPLE$'] });
 *   keep?.(new TextEncoder().encode('AKIAIOSFODNN7EXAMPLE')); // false: allowlisted
 */
import { createRequire } from 'node:module';
import { SseredactError } from '../errors.js';
import { RegexSyntaxError, parseRegex } from '../regex/parse.js';
import { printJsSource } from '../regex/print.js';
import type { RulePredicates } from '../types.js';
import { isCodeValue, isWordy } from './code-values.js';

/**
 * One allowlist as gitleaks defines them: the finding is dropped when the allowlist matches, i.e.
 * when any (`or`, the default) or all (`and`) of its given criteria match.
 */
export interface AllowlistSpec {
  readonly description?: string;
  readonly regexes?: readonly string[];
  /** What `regexes` are matched against: the secret (default), the whole match, or its line. */
  readonly regexTarget?: 'secret' | 'match' | 'line';
  readonly stopwords?: readonly string[];
  /** Path regexes; they can only match in scan mode, where the confirmer knows the path. */
  readonly paths?: readonly string[];
  readonly condition?: 'or' | 'and';
}

/**
 * Predicates beyond {@link RulePredicates} that packs and rule files use. A `RulePredicates`
 * object may carry these fields; {@link compilePredicates} reads them when present.
 */
export interface ExtendedPredicates extends RulePredicates {
  /** Drop secrets that are template variables or dummies (`${VAR}`, `<your-token>`, `****`, `xxxx`). */
  readonly placeholders?: boolean;
  /** Drop values that are code, not credentials: identifiers, calls, type names, keywords, paths, templates (code-values.ts). */
  readonly notCode?: boolean;
  /** gitleaks-style allowlists with a target and a condition. */
  readonly allowlists?: readonly AllowlistSpec[];
}

/** What the confirmer knows around a secret; every field is optional (redact mode has no path). */
export interface PredicateContext {
  /** The whole match. */
  readonly match?: Uint8Array;
  /** The line (or lines) holding the match, without line terminators. */
  readonly line?: Uint8Array;
  /** The file path, in scan mode. */
  readonly path?: string;
}

/** A compiled predicate: true when the finding is kept. */
export type SecretPredicate = (secret: Uint8Array, context?: PredicateContext) => boolean;

/**
 * The counts of shannonEntropy, zeroed again as it reads them: a new array (and two iterators)
 * for every match checked was over a tenth of the confirmer's time on the dense shape.
 */
const byteCounts = new Uint32Array(256);

/** Shannon entropy of `bytes`, in bits per byte. */
export function shannonEntropy(bytes: Uint8Array): number {
  if (bytes.length === 0) return 0;
  for (let i = 0; i < bytes.length; i++) byteCounts[bytes[i]!]!++;
  let entropy = 0;
  // By byte value, as ever: the same sum in the same order, to the last bit.
  for (let byte = 0; byte < 256; byte++) {
    const count = byteCounts[byte]!;
    if (count === 0) continue;
    byteCounts[byte] = 0;
    const p = count / bytes.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** From this length on a secret must have a rule's whole minimum entropy (see entropyFloor). */
const FULL_ENTROPY_LENGTH = 32;
/**
 * Below this length it must too, unless it mixes letters with digits or inner capitals
 * (isUnlikeWord): an English word of 8 to 11 letters has as much entropy as a random string.
 */
const SCALED_ENTROPY_LENGTH = 12;
/** Below this length a secret always needs the whole minimum entropy. */
const SHORT_SCALED_LENGTH = 8;
/**
 * The share of a rule's minimum entropy a secret of hex digits needs: random 32-digit hex has 3.62
 * bits a byte at the median and 2.9 at the 1e-5 quantile, against 4.5 and 3.9 for base62.
 * Dummies of a few repeated runs (`aaaaaaaaaa1111111111bbbbbbbbbb2222222222`: 2 bits) stay under it.
 */
const HEX_SHARE = 0.8;

/**
 * The entropy `secret` must have under a rule's `minEntropy`: less for a short secret, or one of a
 * small alphabet, in proportion to the most it can have. Shannon entropy is at most log2 of the
 * length and log2 of the alphabet's size, and a random string repeats characters by chance:
 * over a third of random 8-character passwords have 2.75 bits or less (all 8 must differ to reach
 * generic-password's 2.8), 1 in 4,000 random AWS key ids (AKIA and 16 base32 characters) under
 * 3, and one 32-digit hex key in six under generic-api-key's 3.5 (its median is 3.62 of 4). So a
 * secret of 12 to 31 bytes needs log2(length)/5 of it, and one of hex digits HEX_SHARE of that
 * (one of letters and digits, or base32, is near enough base64 to need all of it): each stays
 * below what random strings of its length and alphabet have at about the 1e-5 quantile
 * (simulated), while runs and repeats (`aaaaaaaa`, `abcabcab`) still fall under it. A secret of 8
 * to 11 bytes needs the same log2(length)/5 only when it mixes letters with digits or inner
 * capitals (isUnlikeWord): English words of that length have as much entropy as random strings,
 * so one of letters alone needs the whole threshold, as do shorter secrets and digits alone
 * (numbers in logs, ids and timestamps, have more than random digits do).
 */
export function entropyFloor(minEntropy: number, secret: Uint8Array): number {
  const length = secret.length;
  if (length < SHORT_SCALED_LENGTH || (length < SCALED_ENTROPY_LENGTH && !isUnlikeWord(secret))) return minEntropy;
  const byLength = length >= FULL_ENTROPY_LENGTH ? 1 : Math.log2(length) / Math.log2(FULL_ENTROPY_LENGTH);
  return minEntropy * byLength * (isHexLetters(secret) ? HEX_SHARE : 1);
}

/**
 * Whether `secret` mixes two of lower-case letters, capitals past its first byte and digits, as no
 * word does (`Guv61uyB1`, `o0M!!YTf`, `P@ssw0rd`; not `required`, `Password`, `PASSWORD`).
 * Symbols are no such mix: a rule's secret may hold its format's own (curl's `'test:test'`), and
 * digits and symbols alone are dates, times and versions.
 */
function isUnlikeWord(secret: Uint8Array): boolean {
  let classes = 0;
  for (let i = 0; i < secret.length; i++) {
    const byte = secret[i]!;
    if (byte >= 0x61 && byte <= 0x7a) classes |= LOWER;
    else if (byte >= 0x41 && byte <= 0x5a && i > 0) classes |= UPPER;
    else if (byte >= 0x30 && byte <= 0x39) classes |= DIGIT;
  }
  return (classes & (classes - 1)) !== 0;
}

const LOWER = 1;
const UPPER = 2;
const DIGIT = 4;

/** Whether `secret` is hex digits of one case with at least one letter (digits alone are not). */
function isHexLetters(secret: Uint8Array): boolean {
  let lower = false;
  let upper = false;
  for (const byte of secret) {
    if (byte >= 0x61 && byte <= 0x66) lower = true;
    else if (byte >= 0x41 && byte <= 0x46) upper = true;
    else if (byte < 0x30 || byte > 0x39) return false;
  }
  return lower !== upper;
}

/** The bytes as a latin1 string: one char per byte, whatever the bytes are. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Required on the first checksum, not imported: loading node:zlib costs every start ~3 ms, and only
// a candidate of a github-crc32 rule needs it.
let zlib: typeof import('node:zlib') | undefined;

/** CRC-32 (IEEE 802.3, as zlib) of the chars of `text`, each taken as one byte. */
export function crc32(text: string): number {
  zlib ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return zlib.crc32(Buffer.from(text, 'latin1'));
}

/**
 * GitHub's token checksum (also npm's): `<prefix>_` + 30 base62 chars + 6 base62 chars that
 * encode the CRC-32 of those 30 ("Behind GitHub's new authentication token formats", 2021).
 */
export function isValidGithubChecksum(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1);
  if (body.length <= 6) return false;
  let encoded = 0;
  for (const char of body.slice(-6)) {
    const digit = BASE62.indexOf(char);
    if (digit < 0) return false;
    encoded = encoded * 62 + digit;
  }
  return encoded === crc32(body.slice(0, -6));
}

/** Luhn (mod 10) over the digits of `text`; separators (space, dash) are skipped, anything else fails. */
export function isValidLuhn(text: string): boolean {
  let sum = 0;
  let digits = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const code = text.charCodeAt(i);
    if (code === 0x20 || code === 0x2d) continue;
    if (code < 0x30 || code > 0x39) return false;
    let digit = code - 0x30;
    if (digits % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    digits++;
  }
  return digits >= 12 && sum % 10 === 0;
}

/**
 * IBAN length per country code (ISO 13616 registry, SWIFT release 99): a number whose length is
 * not its country's is no IBAN, whatever its check digits say.
 */
const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.fromEntries(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ES24 ' +
    'FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 ' +
    'LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 ' +
    'RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((entry) => [entry.slice(0, 2), Number(entry.slice(2))]),
);

/** IBAN check digits (ISO 13616 mod 97 == 1) and its country's length; spaces are skipped, case is ignored. */
export function isValidIban(text: string): boolean {
  const compact = text.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  if (IBAN_LENGTHS[compact.slice(0, 2)] !== compact.length) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    // Letters count as two digits (A = 10 ... Z = 35); fold them in one at a time.
    const value = code >= 0x41 ? code - 0x41 + 10 : code - 0x30;
    remainder = (value >= 10 ? remainder * 100 + value : remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

/**
 * A host IPv4 address: exactly four parts of 0..255 without leading zeros, the last not 0. A run
 * of five or more parts is an OID or a version; a last part of 0 is a network address, a netmask
 * or a version (`4.2.1.0`), never a person's host.
 */
export function isValidIpv4(text: string): boolean {
  const parts = text.split('.');
  if (parts.length !== 4) return false;
  if (!parts.every((part) => /^(?:0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255)) return false;
  return parts[3] !== '0';
}

/**
 * An IPv6 address in RFC 4291 text form with at least three groups: eight groups, or fewer with
 * one `::`. A longer run of hex pairs is a certificate or key fingerprint, not an address.
 */
export function isValidIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => (half === '' ? [] : half.split(':')));
  if (!groups.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  return halves.length === 2 ? groups.length >= 3 && groups.length <= 7 : groups.length === 8;
}

const VALIDATORS: Record<NonNullable<RulePredicates['validator']>, (secret: string) => boolean> = {
  luhn: isValidLuhn,
  'github-crc32': isValidGithubChecksum,
  iban: isValidIban,
  ipv4: isValidIpv4,
  ipv6: isValidIpv6,
};

/**
 * Shapes of template variables and dummy values that stand where a secret would be: a whole secret
 * of one of these shapes, or one holding a masked run, is not a secret. Variable names are one
 * case (`$DB_PASS`, `$db_pass`), as gitleaks' global allowlist has them: `$ecretPass` is a password.
 */
const PLACEHOLDER_VARIABLE =
  /^(?:\$\{[^}]{1,100}\}|\$\(\s*[^)]{1,100}\)|\$(?:[A-Z_][A-Z0-9_]{0,100}|[a-z_][a-z0-9_]{0,100})|%(?:[A-Z_][A-Z0-9_]{0,100}|[a-z_][a-z0-9_]{0,100})%|<([%?])[^<>]{0,100}\1>|\{\{[^}]{1,100}\}\}|\{[A-Za-z_][A-Za-z0-9_ -]{0,60}\}|\[[A-Za-z_ -]{1,100}\])$/;
/**
 * A stand-in in angle brackets, when what it holds reads as words (`<your-token>`, `<user:password>`,
 * `<paste the private key here>`): `<44r=AnaKZy>` is a password that starts with `<` and ends with `>`.
 */
function isAngledPlaceholder(secret: string): boolean {
  const inside = /^<([A-Za-z0-9 _.:/|@-]{1,100})>$/.exec(secret)?.[1];
  return inside !== undefined && isWordy(inside);
}
/**
 * A Windows variable of mixed case (`%ProgramFiles%`, `%SystemRoot%`) when its name reads as
 * words: `%AAAdwBsBPn2%` is a password that starts and ends with `%`.
 */
function isWordyPercentVariable(secret: string): boolean {
  const name = /^%([A-Za-z_][A-Za-z0-9_]{0,100})%$/.exec(secret)?.[1];
  return name !== undefined && isWordy(name);
}
/** Instructions or stand-ins in words: `your_token`, `REPLACE_WITH_PASSWORD`, `api_key_here`, `mypassword`. */
const PLACEHOLDER_WORDS =
  /^(?:(?:your|insert|enter|replace[-_ ]?(?:with|me)?)[-_ ]?[a-z_-]{0,60}|[a-z_-]{0,60}_here|my[-_ ]?(?:pass(?:word)?|passwd|pwd|secret|token|api[-_ ]?key|key))$/i;
/**
 * Masked runs: `****`, `xxxx`, `...`, the UTF-8 ellipsis as latin1 chars (no `i` flag: it folds
 * latin1). An x run counts when it is 8 long (`AKIAXXXXXXXXXXXXXXXX`) or stands alone
 * (`xoxb-xxxx-xxxx`, `sk_live_xxxx`: MASK_RUN, see isMasked): random base62 holds `xXxx` once in
 * ~17k 40-character tokens and a PEM body once in ~700 keys, which dropped real keys as placeholders.
 */
const PLACEHOLDER_PART = /\*{4}|[xX]{8}|<[Yy][Oo][Uu][Rr]|\$\{|\{\{/;
/** An ellipsis, `...` or UTF-8's as latin1 chars: where a display cut a token short (see isElided). */
const ELLIPSIS = /\.{3}|\xe2\x80\xa6/g;
/** A run of 4 to 7 x's that stands alone. */
const MASK_RUN = /(?<![A-Za-z0-9])[xX]{4,7}(?![A-Za-z0-9])/g;
/**
 * The most letters and digits a value with a lone x run may show besides it and still read as
 * masked: a provider's prefix (`sk_live_`, `xoxb-`) or the last few characters. A random
 * password that happens to start `XXXX*` shows more (`XXXX*Z-Knt?I8eARwGOV3^e`: 15).
 */
const MOST_SHOWN_BESIDE_MASK = 12;

/** What `secret` shows beside the runs `mask` matches, or null when it holds none. */
function shownBeside(secret: string, mask: RegExp): string | null {
  const shown = secret.replace(mask, '');
  return shown === secret ? null : shown;
}

/** Whether `shown` holds few enough letters and digits to read as what a mask left (MOST_SHOWN_BESIDE_MASK). */
const showsLittle = (shown: string): boolean => shown.replace(/[^A-Za-z0-9]+/g, '').length <= MOST_SHOWN_BESIDE_MASK;

/** Whether `secret` holds a lone x run and little else (see MOST_SHOWN_BESIDE_MASK). */
function isMasked(secret: string): boolean {
  const shown = shownBeside(secret, MASK_RUN);
  return shown !== null && showsLittle(shown);
}

/**
 * Whether `secret` is a token cut short for display (`sk-proj-...`, `ghp_abc...`, `sk-...wxyz`): an
 * ellipsis with a few token characters beside it. A random password may hold `...` too
 * (`zt%67tR...W<W>R%#p5`, `82_mxdoA8XNGWAcJbn04qX...R`: planted in the bench corpora, they went
 * through): it shows other characters, or more of them.
 */
function isElided(secret: string): boolean {
  const shown = shownBeside(secret, ELLIPSIS);
  return shown !== null && /^[A-Za-z0-9_-]*$/.test(shown) && showsLittle(shown);
}

/**
 * True when `secret` (latin1) is a template variable or a dummy value, or, given the `match`
 * around it, the password of a URL whose user name is the same word (`postgres://postgres:postgres@`,
 * the default of database images): the user name stays in the output, so redacting it hides nothing.
 */
export function isPlaceholder(secret: string, match?: string): boolean {
  return (
    PLACEHOLDER_VARIABLE.test(secret) ||
    isAngledPlaceholder(secret) ||
    isWordyPercentVariable(secret) ||
    PLACEHOLDER_WORDS.test(secret) ||
    PLACEHOLDER_PART.test(secret) ||
    isMasked(secret) ||
    isElided(secret) ||
    match?.includes(`//${secret}:${secret}@`) === true
  );
}

/**
 * Scan mode: whether a rule limited to `paths` (regexes in rule syntax, as gitleaks' rule `path`)
 * applies to the file at `path`; null when the rule applies everywhere. Redact mode has no paths
 * and ignores this. Throws SseredactError('rule') naming the rule on a bad regex.
 */
export function compilePathFilter(ruleId: string, paths: readonly string[] | undefined): ((path: string) => boolean) | null {
  if (paths === undefined || paths.length === 0) return null;
  const regexes = paths.map((source) => compileRuleRegExp(ruleId, source, 'path'));
  return (path) => regexes.some((regex) => regex.test(path));
}

/**
 * Lines holding one of these markers are exempt in scan mode (never in redact mode by default):
 * ours, gitleaks', detect-secrets' pragma and secretlint's (whatever rule names follow it).
 */
const ALLOW_MARKER = /(?:sseredact|gitleaks):allow|pragma: ?allowlist secret|secretlint-disable-line/;

/** True when `line` carries an inline allow marker (`sseredact:allow` and the others above). */
export function hasAllowMarker(line: Uint8Array | string): boolean {
  return ALLOW_MARKER.test(typeof line === 'string' ? line : latin1(line));
}

// Allowlists are shared across rules (a gitleaks global allowlist is added to every rule): compile
// each source once. A RegExp without the g or y flag keeps no state between test() calls.
const compiledRegExps = new Map<string, RegExp>();
/**
 * Rule-syntax sources and the JS sources they print as: what the rule analysis cache keeps
 * (./analysis-cache.ts), so that a warm start's first finding of a rule does not parse its
 * allowlist (the parser's first run in a process, on the hot path: 2-8 ms per rule).
 */
const jsSources = new Map<string, string>();

/** Every rule-syntax regex compiled or taken from the cache in this process, with its JS source. */
export function knownJsSources(): ReadonlyMap<string, string> {
  return jsSources;
}

/** The rule-syntax regexes of a rule's predicates (its allowlists' regexes and paths). */
export function predicateRegexes(predicates: RulePredicates | undefined): string[] {
  const extended: ExtendedPredicates | undefined = predicates;
  return [...(extended?.allowlist ?? []), ...(extended?.allowlists ?? []).flatMap((allowlist) => [...(allowlist.regexes ?? []), ...(allowlist.paths ?? [])])];
}

/** Takes the JS sources of rule-syntax regexes from the cache (see knownJsSources); compileRuleRegExp then parses none of them. */
export function useJsSources(sources: Iterable<readonly [string, string]>): void {
  for (const [source, js] of sources) if (!jsSources.has(source)) jsSources.set(source, js);
}

/** Compiles a rule-syntax regex into the JS RegExp that means the same on latin1 text. */
export function compileRuleRegExp(ruleId: string, source: string, what: string): RegExp {
  const cached = compiledRegExps.get(source);
  if (cached !== undefined) return cached;
  try {
    const js = jsSources.get(source) ?? printJsSource(parseRegex(source).ast);
    const regex = new RegExp(js);
    jsSources.set(source, js);
    compiledRegExps.set(source, regex);
    return regex;
  } catch (error) {
    const reason = error instanceof RegexSyntaxError || error instanceof SyntaxError ? error.message : String(error);
    throw new SseredactError('rule', `rule ${ruleId}: bad ${what} regex ${JSON.stringify(source)}: ${reason}`, { cause: error });
  }
}

type TextCheck = (secret: string, context: PredicateContext | undefined) => boolean;

function containsAny(words: readonly string[]): (text: string) => boolean {
  const lowered = words.map((word) => word.toLowerCase());
  return (text) => {
    const haystack = text.toLowerCase();
    return lowered.some((word) => haystack.includes(word));
  };
}

/** An allowlist as one check: true when it matches (the finding is then dropped). */
function compileAllowlist(ruleId: string, allowlist: AllowlistSpec): TextCheck | null {
  const criteria: TextCheck[] = [];
  if (allowlist.regexes && allowlist.regexes.length > 0) {
    const regexes = allowlist.regexes.map((source) => compileRuleRegExp(ruleId, source, 'allowlist'));
    const target = allowlist.regexTarget ?? 'secret';
    criteria.push((secret, context) => {
      // Without the match or line (a confirmer that only has the secret), the allowlist cannot
      // apply: keeping the finding is the safe side for a redactor.
      const bytes = target === 'secret' ? undefined : context?.[target];
      if (target !== 'secret' && bytes === undefined) return false;
      const text = bytes === undefined ? secret : latin1(bytes);
      return regexes.some((regex) => regex.test(text));
    });
  }
  if (allowlist.stopwords && allowlist.stopwords.length > 0) {
    const contains = containsAny(allowlist.stopwords);
    criteria.push((secret) => contains(secret));
  }
  if (allowlist.paths && allowlist.paths.length > 0) {
    const paths = allowlist.paths.map((source) => compileRuleRegExp(ruleId, source, 'allowlist path'));
    criteria.push((_secret, context) => context?.path !== undefined && paths.some((regex) => regex.test(context.path!)));
  }
  if (criteria.length === 0) return null;
  return allowlist.condition === 'and'
    ? (secret, context) => criteria.every((check) => check(secret, context))
    : (secret, context) => criteria.some((check) => check(secret, context));
}

/** Which predicate dropped a candidate: what `sseredact rules test` prints beside it. */
export type DropReason = 'entropy' | 'checksum' | 'placeholder' | 'code' | 'stopword' | 'allowlist';

/** A compiled predicate that says why: null when the finding is kept, else the first check that dropped it. */
export type SecretRejection = (secret: Uint8Array, context?: PredicateContext) => DropReason | null;

/**
 * Compiles a rule's predicates into one check that names the predicate a secret fails (cheapest
 * first: entropy, checksum, placeholder, code, stopword, allowlist), or null when the rule has none.
 * Throws SseredactError('rule') naming the rule when an allowlist regex or the validator is unknown.
 */
export function compileRejection(ruleId: string, predicates: RulePredicates | undefined): SecretRejection | null {
  if (predicates === undefined) return null;
  const extended: ExtendedPredicates = predicates;
  const checks: Array<readonly [DropReason, TextCheck]> = [];
  const { validator, minEntropy } = extended;
  if (validator !== undefined) {
    const isValid = Object.hasOwn(VALIDATORS, validator) ? VALIDATORS[validator] : undefined;
    if (isValid === undefined) throw new SseredactError('rule', `rule ${ruleId}: unknown validator ${JSON.stringify(validator)}`);
    checks.push(['checksum', (secret) => isValid(secret)]);
  }
  if (extended.placeholders === true) checks.push(['placeholder', (secret, context) => !isPlaceholder(secret, context?.match && latin1(context.match))]);
  if (extended.notCode === true) checks.push(['code', (secret, context) => !isCodeValue(secret, context?.match && latin1(context.match))]);
  if (extended.stopwords && extended.stopwords.length > 0) {
    const contains = containsAny(extended.stopwords);
    checks.push(['stopword', (secret) => !contains(secret)]);
  }
  const allowlists: AllowlistSpec[] = [...(extended.allowlists ?? [])];
  if (extended.allowlist && extended.allowlist.length > 0) allowlists.push({ regexes: extended.allowlist });
  for (const allowlist of allowlists) {
    const matches = compileAllowlist(ruleId, allowlist);
    // A gitleaks allowlist of stopwords alone is a stopword list by another name.
    const reason = allowlist.stopwords?.length && !allowlist.regexes?.length && !allowlist.paths?.length ? 'stopword' : 'allowlist';
    if (matches !== null) checks.push([reason, (secret, context) => !matches(secret, context)]);
  }
  if (checks.length === 0 && minEntropy === undefined) return null;
  return (secretBytes, context) => {
    if (minEntropy !== undefined) {
      // The floor is never above minEntropy: most secrets pass without it being looked for.
      const entropy = shannonEntropy(secretBytes);
      if (entropy < minEntropy && entropy < entropyFloor(minEntropy, secretBytes)) return 'entropy';
    }
    const secret = latin1(secretBytes);
    for (const [reason, keep] of checks) if (!keep(secret, context)) return reason;
    return null;
  };
}

/**
 * Compiles a rule's predicates into one check, or null when the rule has none. Throws
 * SseredactError('rule') naming the rule when an allowlist regex is invalid.
 */
export function compilePredicates(ruleId: string, predicates: RulePredicates | undefined): SecretPredicate | null {
  const reject = compileRejection(ruleId, predicates);
  return reject === null ? null : (secret, context) => reject(secret, context) === null;
}
