/**
 * A rule set ready to scan with: the compiled rules and one engine database over them, compiled
 * once and shared by every stream.
 */
import type { Database, Engine } from '../engine/engine.js';
import { type LiteralRule, withLiteralRules } from '../engine/literal/database.js';
import type { LiteralSetSpec, RuleSpec } from '../types.js';
import { type CompileOptions, type CompiledRule, compileRules } from './compile.js';
import { groupKeywordRules } from './keyword-groups.js';

export interface RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly database: Database;
}

export interface RuleSetOptions extends CompileOptions {
  readonly engine: Engine;
}

/**
 * Compiles `specs` and builds the database: the engine's over the regex rules, with the literal
 * sets scanned beside it (engine/literal/). The keyword-provider rules of one token shape compile
 * as one rule (./keyword-groups.ts). Throws SseredactError('rule' | 'engine').
 */
export function compileRuleSet(specs: ReadonlyArray<RuleSpec | LiteralSetSpec>, options: RuleSetOptions): RuleSet {
  const rules = compileRules(groupKeywordRules(specs), options);
  const literalRules: LiteralRule[] = [];
  for (const rule of rules) if (rule.literals !== null && rule.literals !== 'stream') literalRules.push({ index: rule.index, literals: rule.literals });
  const database = options.engine.compile(rules.filter((rule) => rule.literals === null));
  return { rules, database: withLiteralRules(database, literalRules) };
}
