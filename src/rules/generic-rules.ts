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
