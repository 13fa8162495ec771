/**
 * Custom secrets given as literal values (`--literal`, `--literal-file`, `--mask-env`): each list
 * becomes ONE literal-set rule (types.ts LiteralSetSpec), which the literal automaton
 * (engine/literal/) scans beside the engine: leftmost-longest, so when one literal is a prefix of
 * another the longer is redacted. 100k literals cost tens of MB, never a regex of 100k branches.
 *
 * Each literal also matches in the encodings it commonly travels in ({@link literalForms}): JSON
 * string escaping (as JSON.stringify writes it, with `\/` as PHP writes it, and with `\uXXXX`
 * for non-ASCII as Python writes it), URL (percent) encoding as the common encoders write it
 * (see {@link URL_ENCODERS}: which punctuation they keep, `%20` or `+` for a space, upper- or
 * lower-case hex), and base64 (standard and url-safe) at each of the three alignments it can have
 * inside a longer base64 text. A base64 form covers every character that holds a bit of the
 * literal: those it decides alone, and the ones it shares with the bytes around it, in each
 * spelling those bytes allow (and `=` padding where the literal ends the encoding), so no
 * character of the encoded literal stays visible. Hex case is one per form: an encoder that mixes
 * cases within one value is not covered.
 *
 * @example
 *   const [rule] = literalRules(['hunter2-staging-token'], { id: 'literal-file', source: 'secrets.txt' });
 */

import { SseredactError } from '../../errors.js';
import type { LiteralSetSpec } from '../../types.js';

/** Literals shorter than this many bytes are refused: they would redact ordinary text. */
export const MIN_LITERAL_BYTES = 4;
/** An encoded variant shorter than this is left out (a few base64 chars match by chance). */
const MIN_VARIANT_BYTES = 6;

export interface LiteralRuleOptions {
  /** Rule id; default `literal`. */
  readonly id?: string;
  readonly source?: string;
  readonly description?: string;
  /** Also match JSON-escaped, URL-encoded and base64 forms (default true). */
  readonly encodings?: boolean;
  /** Called for each literal refused (too short). */
  readonly onWarning?: (message: string) => void;
}

/**
 * The ASCII punctuation each common URL encoder writes as it is (letters and digits always are);
 * every other byte becomes `%XX`. Each is tried with a space as `%20` and as `+`, and with upper-
 * and lower-case hex.
 */
const URL_ENCODERS: Readonly<Record<string, string>> = {
  'JavaScript encodeURIComponent': "-_.!~*'()",
  'RFC 3986 (Python quote_plus, Go QueryEscape, PHP rawurlencode, curl)': '-_.~',
  'PHP urlencode': '-_.',
  'Java URLEncoder': '-_.*',
  '.NET HttpUtility.UrlEncode': '-_.!*()',
  "Python quote (safe='/')": '-_.~/',
  'JavaScript encodeURI': "-_.!~*'();/?:@&=+$,#",
};

/** Per encoder, byte -> how it writes it; `%XX` upper-case, a space as `%20`. */
const URL_TABLES: ReadonlyArray<readonly string[]> = Object.values(URL_ENCODERS).map((kept) =>
  Array.from({ length: 256 }, (_, byte) => {
    const char = String.fromCharCode(byte);
    return byte < 0x80 && (/[0-9A-Za-z]/.test(char) || kept.includes(char)) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }),
);

/** Bytes every URL encoder keeps: a literal of these alone has no URL form but itself. */
const URL_SAFE = /^[0-9A-Za-z._-]*$/;

/** The URL-encoded forms of `bytes` (a literal's UTF-8), added to `forms`. */
function addUrlForms(bytes: Buffer, forms: Set<string>): void {
  const hasSpace = bytes.includes(0x20);
  const written = new Set<string>();
  for (const table of URL_TABLES) {
    let upper = '';
    for (const byte of bytes) upper += table[byte]!;
    // Encoders that keep the same bytes of this literal write the same text.
    if (written.has(upper)) continue;
    written.add(upper);
    const lower = upper.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
    for (const form of lower === upper ? [upper] : [upper, lower]) {
      forms.add(form);
      if (hasSpace) forms.add(form.replace(/%20/g, '+'));
    }
  }
}

/** Characters JSON encoders may escape: without them a literal's JSON forms are itself. */
const JSON_SPECIAL = /["\\/\x00-\x1f\x7f-\uffff]/;

/** The JSON string forms of `literal` (without the quotes), added to `forms`. */
function addJsonForms(literal: string, forms: Set<string>): void {
  const escaped = JSON.stringify(literal).slice(1, -1);
  const asciiOnly = escaped.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  for (const form of [escaped, asciiOnly]) {
    forms.add(form);
    forms.add(form.replace(/\//g, '\\/'));
  }
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Above this many literals in one list, base64 forms spell the characters the literal shares with
 * its neighbours only where the literal ends the encoding (zero-filled and padded); elsewhere those
 * edge characters (2 to 4 bits of the literal each) stay visible. Their 4 or 16 spellings copy a
 * form as many times in the automaton: 8 literals took 300 ms to build instead of 20 ms, 10,000
 * literals 5 s and 110 MB instead of 2 s and 70 MB.
 */
const MAX_LITERALS_WITH_SHARED_BASE64 = 4;

/** The 6-bit values a base64 character can have when `known` holds its decided bits and `unknownMask` marks the rest. */
function spellings(known: number, unknownMask: number): string[] {
  const chars: string[] = [];
  for (let value = 0; value < 64; value++) if ((value & ~unknownMask) === known) chars.push(BASE64_ALPHABET[value]!);
  return chars;
}

/**
 * The base64 text of every character that holds a bit of `bytes` when they are encoded starting at
 * byte `offset` mod 3 inside a longer text: the characters the literal decides alone, and at each
 * edge the character it shares with its neighbours, in each spelling those neighbours allow (at
 * the end also as the last character of the encoding, zero-filled and padded with `=`). Without
 * `withShared`, the shared characters appear only in that padded ending.
 */
function alignedBase64(bytes: Buffer, offset: number, withShared: boolean): string[] {
  const bitStart = offset * 8;
  const bitEnd = bitStart + bytes.length * 8;
  const bit = (index: number): number => {
    if (index < bitStart || index >= bitEnd) return 0;
    const at = index - bitStart;
    return (bytes[at >> 3]! >> (7 - (at & 7))) & 1;
  };
  const first = Math.floor(bitStart / 6);
  const last = Math.floor((bitEnd - 1) / 6);
  const charAt = (index: number): { known: number; unknownMask: number } => {
    let known = 0;
    let unknownMask = 0;
    for (let b = 0; b < 6; b++) {
      const at = index * 6 + b;
      known = (known << 1) | bit(at);
      unknownMask = (unknownMask << 1) | (at < bitStart || at >= bitEnd ? 1 : 0);
    }
    return { known, unknownMask };
  };
  if (last - first < 2) return [];
  let middle = '';
  for (let index = first + 1; index < last; index++) middle += BASE64_ALPHABET[charAt(index).known];
  const lead = charAt(first);
  const trail = charAt(last);
  const decidedLead = BASE64_ALPHABET[lead.known]!;
  const leads = lead.unknownMask === 0 ? [decidedLead] : withShared ? spellings(lead.known, lead.unknownMask) : [''];
  const padding = '='.repeat((3 - ((offset + bytes.length) % 3)) % 3);
  const decidedTrail = BASE64_ALPHABET[trail.known]!;
  const shared = withShared ? spellings(trail.known, trail.unknownMask) : [''];
  const trails = trail.unknownMask === 0 ? [decidedTrail] : [...shared, `${decidedTrail}${padding}`];
  return leads.flatMap((head) => trails.map((tail) => head + middle + tail));
}

/** The literal and its encoded forms, as text (UTF-8 when matched), deduplicated. */
export function literalVariants(literal: string, encodings = true, withSharedBase64 = true): string[] {
  const variants = new Set<string>([literal]);
  if (encodings) {
    if (JSON_SPECIAL.test(literal)) addJsonForms(literal, variants);
    const bytes = Buffer.from(literal, 'utf8');
    if (!URL_SAFE.test(literal)) addUrlForms(bytes, variants);
    for (const offset of [0, 1, 2]) {
      for (const base64 of alignedBase64(bytes, offset, withSharedBase64)) {
        if (base64.length < MIN_VARIANT_BYTES) continue;
        variants.add(base64);
        variants.add(base64.replace(/\+/g, '-').replace(/\//g, '_'));
      }
    }
  }
  return [...variants];
}

/** The byte strings a literal-set rule matches, as latin1 strings (one char per byte): its literals and their forms. */
export function* literalForms(spec: LiteralSetSpec): Generator<string> {
  const withSharedBase64 = spec.literals.length <= MAX_LITERALS_WITH_SHARED_BASE64;
  for (const literal of spec.literals) {
    for (const variant of literalVariants(literal, spec.encodings, withSharedBase64)) {
      yield /^[\x00-\x7f]*$/.test(variant) ? variant : Buffer.from(variant, 'utf8').toString('latin1');
    }
  }
}

/**
 * One literal-set rule matching any of `literals` (and their encodings). Literals shorter than
 * {@link MIN_LITERAL_BYTES} bytes are refused with a warning; empty input gives no rule.
 */
export function literalRules(literals: readonly string[], options: LiteralRuleOptions = {}): LiteralSetSpec[] {
  const id = options.id ?? 'literal';
  const kept = literals.filter((literal) => {
    const bytes = Buffer.byteLength(literal, 'utf8');
    if (bytes >= MIN_LITERAL_BYTES) return true;
    options.onWarning?.(`${options.source ?? id}: literal of ${bytes} bytes refused (shorter than ${MIN_LITERAL_BYTES})`);
    return false;
  });
  if (kept.length === 0) return [];
  const spec: LiteralSetSpec = {
    id,
    description: options.description ?? `${kept.length} literal secret(s) and their encodings`,
    literals: kept,
    encodings: options.encodings ?? true,
    ...(options.source === undefined ? {} : { source: options.source }),
  };
  return [spec];
}

/** Lines of a literal file: one literal per line, CR/LF stripped, blank lines and `# comments` skipped. */
export function parseLiteralFile(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

function globToRegExp(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

/**
 * `--mask-env NAME|GLOB`: the values of the matching environment variables as one literal rule
 * (`mask-env`). Values shorter than {@link MIN_LITERAL_BYTES} bytes are refused with a warning
 * naming the variable (never the value). Each line of a multi-line value is also a literal, as
 * output may re-wrap it. Throws SseredactError('usage') on an empty pattern.
 */
export function maskEnvRules(
  patterns: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly onWarning?: (message: string) => void } = {},
): LiteralSetSpec[] {
  const matchers = patterns.map((pattern) => {
    if (pattern === '') throw new SseredactError('usage', '--mask-env: empty variable name');
    return { pattern, regex: globToRegExp(pattern) };
  });
  const names = Object.keys(env).sort();
  const literals: string[] = [];
  const used: string[] = [];
  for (const { pattern, regex } of matchers) {
    const matched = names.filter((name) => regex.test(name));
    if (matched.length === 0) options.onWarning?.(`--mask-env ${pattern}: no such environment variable`);
    for (const name of matched) {
      const value = env[name] ?? '';
      if (Buffer.byteLength(value, 'utf8') < MIN_LITERAL_BYTES) {
        options.onWarning?.(`--mask-env: ${name} not masked: its value is shorter than ${MIN_LITERAL_BYTES} bytes`);
        continue;
      }
      used.push(name);
      literals.push(value);
      const lines = value.split(/\r?\n/).filter((line) => Buffer.byteLength(line, 'utf8') >= 8);
      if (lines.length > 1) literals.push(...lines);
    }
  }
  return literalRules(literals, {
    id: 'mask-env',
    source: `env:${[...new Set(used)].join(',')}`,
    description: `values of ${used.length} environment variable(s) and their encodings`,
  });
}
