/**
 * Generic rules take a value assigned to any name (`"notCode": true` in a pack: the generic
 * password, API key and connection-string rules). Where a provider's rule finds the same secret,
 * the provider names it, in a redaction and in a scan report: `MIXPANEL_API_SECRET=...` is a
 * Mixpanel secret, though generic-password's match (`SECRET=...`) is the narrower.
 */
import type { ExtendedPredicates } from './predicates.js';

/** Whether `rule` is a generic rule (the module doc); a literal set never is. */
export function isGenericRule(rule: { readonly spec: object }): boolean {
  const predicates = 'predicates' in rule.spec ? (rule.spec.predicates as ExtendedPredicates | undefined) : undefined;
  return predicates?.notCode === true;
}

interface RankedFinding {
  readonly rule: number;
  readonly match: { readonly start: number; readonly end: number };
}

/**
 * Which of two findings of one secret names it: negative for `a`, positive for `b`, 0 on a tie
 * (each caller breaks ties its own way). A provider's rule before a generic one, then the narrowest
 * match (`aws-access-key-id` rather than a `key = value` rule over the same bytes).
 */
export function compareNaming(a: RankedFinding, b: RankedFinding, rules: readonly { readonly spec: object }[]): number {
  const generic = (f: RankedFinding): number => (isGenericRule(rules[f.rule]!) ? 1 : 0);
  return generic(a) - generic(b) || a.match.end - a.match.start - (b.match.end - b.match.start);
}
