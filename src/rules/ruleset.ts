/**
 * A rule set ready to scan with: the compiled rules and one engine database over them, compiled
 * once and shared by every stream.
 */
import type { Database, Engine } from '../engine/engine.js';
import type { RuleSpec } from '../types.js';
import { type CompileOptions, type CompiledRule, compileRules } from './compile.js';

export interface RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly database: Database;
}

export interface RuleSetOptions extends CompileOptions {
  readonly engine: Engine;
}

/** Compiles `specs` and builds the engine's database; throws SseredactError('rule' | 'engine'). */
export function compileRuleSet(specs: readonly RuleSpec[], options: RuleSetOptions): RuleSet {
  const rules = compileRules(specs, options);
  return { rules, database: options.engine.compile(rules) };
}
