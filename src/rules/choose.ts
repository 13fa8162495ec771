/**
 * Which rules a run uses: the built-in pack and whatever the user adds. One function for the CLI
 * and the library, so both read options the same way.
 */
import { SseredactError } from '../errors.js';
import type { RuleSpec } from '../types.js';
import { loadPack } from './packs/index.js';

export interface RuleChoice {
  /** Load the built-in secrets pack (default true). */
  readonly builtin?: boolean;
  readonly rules?: readonly RuleSpec[];
  /** Regexes, as rules `pattern-1`, `pattern-2`, ... */
  readonly patterns?: readonly string[];
  /** Literal secrets, as rules `literal-1`, ... */
  readonly literals?: readonly string[];
  /** Where the extra rules came from, for error messages: `cli`, `api`. */
  readonly source: string;
}

/** A regex matching exactly `literal` (every ASCII punctuation escaped; other characters stand for their UTF-8 bytes). */
export function escapeLiteral(literal: string): string {
  return literal.replace(/[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The rule specs of a choice; throws SseredactError('usage') when it selects none. */
export function chooseRuleSpecs(choice: RuleChoice): RuleSpec[] {
  const specs: RuleSpec[] = choice.builtin === false ? [] : loadPack('secrets');
  specs.push(...(choice.rules ?? []));
  (choice.patterns ?? []).forEach((regex, i) => specs.push({ id: `pattern-${i + 1}`, regex, source: choice.source }));
  (choice.literals ?? []).forEach((literal, i) => specs.push({ id: `literal-${i + 1}`, regex: escapeLiteral(literal), source: choice.source }));
  if (specs.length === 0) throw new SseredactError('usage', 'no rules: with the built-in pack off, give a pattern or a literal');
  return specs;
}
