/**
 * Which rules a run uses: built-in packs, rule files, patterns, literals, masked environment
 * variables, minus the disabled ids. One function for the CLI and the library, so both read
 * options the same way.
 */
import { SseredactError } from '../errors.js';
import type { LiteralSetSpec, RuleSpec } from '../types.js';
import { literalRules } from './load/literals.js';
import { type PackName, loadPack } from './packs/index.js';

export interface RuleChoice {
  /** Built-in packs (default: secrets). */
  readonly packs?: readonly PackName[];
  /** Rules already loaded (rule files, literal files, masked environment variables); one with a pack rule's id replaces that rule. */
  readonly rules?: ReadonlyArray<RuleSpec | LiteralSetSpec>;
  /** Pack rule ids to leave out silently (an extending gitleaks config's `disabledRules`). */
  readonly dropFromPacks?: readonly string[];
  /** Regexes, as rules `pattern-1`, `pattern-2`, ... */
  readonly patterns?: readonly string[];
  /** Literal secrets, as one literal-set rule `literal` that also matches their common encodings. */
  readonly literals?: readonly string[];
  /** Rule ids to leave out. */
  readonly disable?: readonly string[];
  /** Where the extra rules came from, for error messages: `cli`, `api`. */
  readonly source: string;
  readonly onWarning?: (message: string) => void;
  /** Told of each pack rule a loaded rule replaces (`--verbose`). */
  readonly onNote?: (message: string) => void;
}

/** The rule specs of a choice; throws SseredactError('usage') when it selects none, or disables an unknown id. */
export function chooseRuleSpecs(choice: RuleChoice): Array<RuleSpec | LiteralSetSpec> {
  const own = new Map((choice.rules ?? []).map((spec) => [spec.id, spec]));
  const dropped = new Set(choice.dropFromPacks ?? []);
  const specs: Array<RuleSpec | LiteralSetSpec> = (choice.packs ?? ['secrets'])
    .flatMap((pack) => loadPack(pack))
    .filter((spec) => {
      const replacement = own.get(spec.id);
      if (replacement !== undefined) choice.onNote?.(`built-in rule ${spec.id} replaced by the one in ${replacement.source ?? 'the rules given'}`);
      return replacement === undefined && !dropped.has(spec.id);
    });
  specs.push(...(choice.rules ?? []));
  (choice.patterns ?? []).forEach((regex, i) => specs.push({ id: `pattern-${i + 1}`, regex, source: choice.source }));
  if (choice.literals && choice.literals.length > 0) {
    specs.push(...literalRules(choice.literals, { source: choice.source, ...(choice.onWarning ? { onWarning: choice.onWarning } : {}) }));
  }
  const disabled = new Set(choice.disable ?? []);
  for (const id of disabled) {
    if (!specs.some((spec) => spec.id === id)) throw new SseredactError('usage', `--disable ${id}: no such rule (see sseredact rules list)`);
  }
  const chosen = specs.filter((spec) => !disabled.has(spec.id));
  if (chosen.length === 0) throw new SseredactError('usage', 'no rules: with the built-in packs off, give --rules, --pattern, --literal or --mask-env');
  return chosen;
}
