/**
 * The rule compiler: rule specs in, bounded and analysed rules out. The capped tree it produces
 * *is* the rule from then on, for every engine, the confirmer and the oracle (DESIGN §2).
 */
import type { EngineRule } from '../engine/engine.js';
import { SseredactError } from '../errors.js';
import type { RuleSpec } from '../types.js';
import { canMatchNewline, capRepeats, needsRightContext, widths } from './regex/analyze.js';
import { RegexSyntaxError, parseRegex } from './regex/parse.js';
import { type Program, compileProgram } from './regex/pikevm.js';
import { printJsSource } from './regex/print.js';
import { type SecretPredicate, compilePredicates } from './predicates.js';

/** Default for `--max-match`: no match may be wider than this many bytes. */
export const DEFAULT_MAX_MATCH = 4096;

export interface CompiledRule extends EngineRule {
  readonly spec: RuleSpec;
  readonly secretGroup: number;
  /** JS RegExp source (use with flags `dg`) meaning exactly the capped rule on latin1 text. */
  readonly jsSource: string;
  readonly program: Program;
  /** Whether a match is decided only once the byte after it is known (`$`, `\b`). */
  readonly needsRightContext: boolean;
  /** Null when the rule has no predicates. */
  readonly keep: SecretPredicate | null;
}

export interface CompileOptions {
  readonly maxMatch?: number;
}

function ruleError(spec: RuleSpec, message: string, cause?: unknown): SseredactError {
  const where = spec.source ? ` (${spec.source})` : '';
  return new SseredactError('rule', `rule ${spec.id}${where}: ${message}`, { cause });
}

/** Compiles one rule; throws SseredactError('rule') naming it on bad syntax or an unusable pattern. */
export function compileRule(spec: RuleSpec, index: number, options: CompileOptions = {}): CompiledRule {
  const maxMatch = options.maxMatch ?? DEFAULT_MAX_MATCH;
  let parsed: ReturnType<typeof parseRegex>;
  try {
    parsed = parseRegex(spec.regex);
  } catch (error) {
    if (error instanceof RegexSyntaxError) throw ruleError(spec, `bad regex: ${error.message}`, error);
    throw error;
  }
  const secretGroup = spec.secretGroup ?? 0;
  if (!Number.isInteger(secretGroup) || secretGroup < 0 || secretGroup > parsed.groupCount) {
    throw ruleError(spec, `secretGroup ${secretGroup} does not exist (the regex has ${parsed.groupCount} groups)`);
  }
  const ast = capRepeats(parsed.ast, maxMatch);
  if (ast === null) throw ruleError(spec, `a match is always wider than --max-match ${maxMatch} bytes`);
  const { min, max } = widths(ast);
  if (min === 0) throw ruleError(spec, 'the regex can match the empty string');
  let program: Program | undefined;
  let jsSource: string | undefined;
  return {
    index,
    id: spec.id,
    spec,
    ast,
    minWidth: min,
    maxWidth: max,
    canMatchNewline: canMatchNewline(ast),
    source: `${maxMatch}:${spec.regex}`,
    needsRightContext: needsRightContext(ast),
    secretGroup,
    get jsSource() {
      return (jsSource ??= printJsSource(ast));
    },
    // Built on the rule's first candidate: most rules of a big pack never need one in a run.
    get program() {
      return (program ??= compileProgram(ast, parsed.groupCount));
    },
    keep: compilePredicates(spec.id, spec.predicates),
  };
}

/** Compiles a rule set; rule ids must be unique. */
export function compileRules(specs: readonly RuleSpec[], options: CompileOptions = {}): CompiledRule[] {
  const seen = new Set<string>();
  return specs.map((spec, index) => {
    if (seen.has(spec.id)) throw ruleError(spec, 'duplicate rule id');
    seen.add(spec.id);
    return compileRule(spec, index, options);
  });
}
