/**
 * What a redacted region becomes (DESIGN §2). A region is the union of overlapping or touching
 * secret spans, so one replacement may stand for several findings of several rules; a run of
 * such spans longer than MAX_REGION becomes consecutive regions (see there).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { SseredactError } from '../errors.js';
import { compareNaming } from '../rules/generic-rules.js';

export type Replacement =
  /** A template: `{rule}` (see {@link regionRuleId}), `{len}` (bytes replaced), `{hash}` (keyed, see below). */
  | { readonly kind: 'template'; readonly template: string; readonly hashKey: Uint8Array }
  /** Length-preserving `*` masking that keeps up to `keepLast` trailing bytes (never more than a quarter of the secret). */
  | { readonly kind: 'mask'; readonly keepLast: number };

export const DEFAULT_TEMPLATE = '[REDACTED:{rule}]';

/**
 * The bytes a region may span before it is full. Findings are merged in (secret start, rule)
 * order; a finding that overlaps or touches the last region joins it while that region spans
 * fewer than MAX_REGION bytes. Once it is full, a finding that reaches past it starts the next
 * region at the full one's end (one that ends inside it only joins its findings). So every byte
 * of every secret is still redacted, and a stream redactor can replace and release a run of
 * touching secrets in pieces of at most MAX_REGION bytes plus one secret, however long the run.
 */
export const MAX_REGION = 4096;

/**
 * Parses the `--replace` value: `*` masks, `*N` masks and keeps the last N bytes, anything else is
 * a template. `{hash}` is the first 12 hex digits of HMAC-SHA256(key, secret): equal secrets get equal
 * hashes within a run (or across runs with the same SSEREDACT_HASH_KEY), without revealing them.
 */
export function parseReplacement(value: string, hashKey?: string): Replacement {
  const mask = /^\*(\d*)$/.exec(value);
  if (mask) return { kind: 'mask', keepLast: mask[1] ? Number(mask[1]) : 0 };
  const unknown = /\{(?!rule\}|len\}|hash\})[^}]*\}/.exec(value);
  if (unknown) throw new SseredactError('usage', `--replace: unknown placeholder ${unknown[0]} (use {rule}, {len}, {hash}, or * / *N to mask)`);
  return { kind: 'template', template: value, hashKey: hashKey ? Buffer.from(hashKey, 'utf8') : randomBytes(32) };
}

/** What a region's findings need to name it. */
interface NamedFinding {
  readonly rule: number;
  readonly ruleId: string;
  readonly match: { readonly start: number; readonly end: number };
  readonly secret: { readonly start: number; readonly end: number };
}

/**
 * The rule a region is named after: the first by compareNaming (../rules/generic-rules.ts: a
 * provider's rule before a generic one, then the narrowest match), then the earliest secret, then
 * the first rule.
 * `rules` are the rule set's, by index.
 */
export function regionRuleId(findings: readonly NamedFinding[], rules: readonly { readonly spec: object }[]): string {
  const best = findings.reduce((a, b) => {
    const order = compareNaming(b, a, rules);
    if (order !== 0) return order < 0 ? b : a;
    return b.secret.start < a.secret.start || (b.secret.start === a.secret.start && b.rule < a.rule) ? b : a;
  });
  return best.ruleId;
}

/** The bytes that replace `secret` (the merged region's bytes), named after rule `ruleId`. */
export function renderReplacement(replacement: Replacement, secret: Uint8Array, ruleId: string): Uint8Array {
  if (replacement.kind === 'mask') {
    const visible = Math.min(replacement.keepLast, Math.floor(secret.length / 4));
    const out = new Uint8Array(secret.length).fill(0x2a);
    out.set(secret.subarray(secret.length - visible), secret.length - visible);
    return out;
  }
  const text = replacement.template.replace(/\{(rule|len|hash)\}/g, (_, name: string) => {
    if (name === 'rule') return ruleId;
    if (name === 'len') return String(secret.length);
    return createHmac('sha256', replacement.hashKey).update(secret).digest('hex').slice(0, 12);
  });
  return Buffer.from(text, 'utf8');
}
