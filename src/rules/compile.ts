/**
 * The rule compiler: rule specs in, bounded and analysed rules out. The capped tree it produces
 * *is* the rule from then on, for every engine, the confirmer and the oracle (DESIGN §2).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { claimBuild } from '../cache.js';
import { type LiteralAutomaton, buildLiteralAutomaton } from '../engine/literal/automaton.js';
import { SseredactError } from '../errors.js';
import { canMatchNewline, capRepeats, fillsOneOf, needsRightContext, widths } from '../regex/analyze.js';
import type { Node } from '../regex/ast.js';
import { RegexSyntaxError, parseRegex } from '../regex/parse.js';
import { type Program, compileProgram } from '../regex/pikevm.js';
import { printJsSource } from '../regex/print.js';
import type { EngineRule, LiteralSetSpec, RuleSpec, SecretGroup } from '../types.js';
import { type RuleAnalysis, analysisKey, readAnalyses, writeAnalyses } from './analysis-cache.js';
import { literalForms } from './load/literals.js';
import type { LoadedRuleSpec } from './load/schema.js';
import { type SecretPredicate, compilePredicates, knownJsSources, predicateRegexes, useJsSources } from './predicates.js';
import type { ProgramRecipe } from './program-builder.js';
import { type ProgramStore, programKey, readPrograms } from './program-cache.js';

/** Default for `--max-match`: no match may be wider than this many bytes. */
export const DEFAULT_MAX_MATCH = 4096;

/**
 * A compiled rule. After a warm start (see CompileOptions.cacheDirectory) its tree is parsed and
 * its predicates compiled on first use: reading `ast`, `jsSource` or `keep` costs that rule's parse
 * or predicates once; its `program` comes from the program cache, else it is compiled on first use.
 */
export interface CompiledRule extends EngineRule, RuleAnalysis {
  readonly spec: RuleSpec | LiteralSetSpec;
  readonly secretGroup: SecretGroup;
  /** JS RegExp source (use with flags `dg`) meaning exactly the capped rule on latin1 text. */
  readonly jsSource: string;
  readonly program: Program;
  /** Null when the rule has no predicates. */
  readonly keep: SecretPredicate | null;
  /**
   * For a literal set, its automaton: the literal scanner (engine/literal/) serves the rule, and
   * reading its `ast` or `program` throws (no engine or confirmer builds 100k branches). `stream`
   * for a literal set that the stream itself fills (GitHub's `::add-mask::`,
   * engine/literal/github-masks.ts). Null for a regex rule.
   */
  readonly literals: LiteralAutomaton | 'stream' | null;
}

/** Whether `spec` is a literal set rather than a regex rule. */
function isLiteralSetSpec(spec: RuleSpec | LiteralSetSpec): spec is LiteralSetSpec {
  return 'literals' in spec;
}

export interface CompileOptions {
  readonly maxMatch?: number;
  /**
   * Directory of the rule analysis cache (./analysis-cache.ts) and the program cache
   * (./program-cache.ts); without one every rule is parsed and analysed at compile time, and each
   * program compiled on first use. On a hit no rule is parsed before it is used, and no program
   * is compiled at all.
   */
  readonly cacheDirectory?: string;
  /** Told about cache misses and write failures. */
  readonly log?: (message: string) => void;
}

/**
 * The secret's group in one match of a rule with `groupCount` groups, where `isNonEmpty(group)`
 * says whether that group matched a non-empty span.
 */
export function secretGroupOf(secretGroup: SecretGroup, groupCount: number, isNonEmpty: (group: number) => boolean): number {
  if (typeof secretGroup === 'number') return secretGroup;
  if (secretGroup === 'first-non-empty') {
    for (let group = 1; group <= groupCount; group++) if (isNonEmpty(group)) return group;
    return 0;
  }
  // Every match fills one of the listed groups (cappedTree checks it); the whole match otherwise, to be safe.
  return secretGroup.find(isNonEmpty) ?? 0;
}

/**
 * Groups one of which always holds the secret of a match: the rule's own, its list, or the whole
 * match when the group depends on the match (gitleaks' first non-empty).
 */
export function enclosingSecretGroups(secretGroup: SecretGroup): readonly number[] {
  if (typeof secretGroup !== 'number') return secretGroup === 'first-non-empty' ? WHOLE_MATCH : secretGroup;
  let groups = singleGroups[secretGroup];
  if (groups === undefined) {
    groups = [secretGroup];
    singleGroups[secretGroup] = groups;
  }
  return groups;
}

/** One list per single group, made once: the confirmer asks at every undecided search. */
const singleGroups: Array<readonly number[]> = [];
const WHOLE_MATCH: readonly number[] = [0];

function ruleError(spec: RuleSpec | LiteralSetSpec, message: string, cause?: unknown): SseredactError {
  const where = spec.source ? ` (${spec.source})` : '';
  return new SseredactError('rule', `rule ${spec.id}${where}: ${message}`, { cause });
}

/** A rule's capped tree and the number of capture groups in it. */
interface Tree {
  readonly ast: Node;
  readonly groupCount: number;
}

/** Parses and caps the rule's regex; throws SseredactError('rule') on bad syntax, a missing secretGroup or an uncappable pattern. */
function cappedTree(spec: RuleSpec, maxMatch: number): Tree {
  let parsed: ReturnType<typeof parseRegex>;
  try {
    parsed = parseRegex(spec.regex);
  } catch (error) {
    if (error instanceof RegexSyntaxError) throw ruleError(spec, `bad regex: ${error.message}`, error);
    throw error;
  }
  const secretGroup = spec.secretGroup ?? 0;
  if (secretGroup !== 'first-non-empty') {
    const groups = typeof secretGroup === 'number' ? [secretGroup] : secretGroup;
    const missing = groups.find((group) => !Number.isInteger(group) || group < 0 || group > parsed.groupCount);
    if (missing !== undefined) throw ruleError(spec, `secretGroup ${missing} does not exist (the regex has ${parsed.groupCount} groups)`);
    if (typeof secretGroup !== 'number' && (groups.length === 0 || groups.includes(0) || !fillsOneOf(parsed.ast, groups))) {
      throw ruleError(spec, `secretGroup [${groups.join(', ')}]: a match may fill none of these groups (list groups from 1 on, one of which every match fills)`);
    }
  }
  const ast = capRepeats(parsed.ast, maxMatch);
  if (ast === null) throw ruleError(spec, `a match is always wider than --max-match ${maxMatch} bytes`);
  return { ast, groupCount: parsed.groupCount };
}

/** What the engines and the confirmer need of a tree; throws SseredactError('rule') when it can match the empty string. */
function analyse(spec: RuleSpec, { ast }: Tree): RuleAnalysis {
  const { min, max } = widths(ast);
  if (min === 0) throw ruleError(spec, 'the regex can match the empty string');
  return { minWidth: min, maxWidth: max, canMatchNewline: canMatchNewline(ast), needsRightContext: needsRightContext(ast) };
}

/** A regex rule's EngineRule.source: its cap and its pattern, which decide its capped tree. */
function regexSource(spec: RuleSpec, maxMatch: number): string {
  return `${maxMatch}:${spec.regex}`;
}

/** `make`, called on first use only. */
function once<T>(make: () => T): () => T {
  let made: { readonly value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/**
 * The rule over `tree` and `keep` (called on every use: they memoize) and the analysis of that
 * tree; its program is `cachedProgram()` when that has one at the first use, else compiled then.
 */
function ruleOf(
  spec: RuleSpec,
  index: number,
  maxMatch: number,
  tree: () => Tree,
  analysis: RuleAnalysis,
  keep: () => SecretPredicate | null,
  cachedProgram: () => Program | null,
): CompiledRule {
  const jsSource = once(() => printJsSource(tree().ast));
  const program = once(() => cachedProgram() ?? compileProgram(tree().ast, tree().groupCount));
  return {
    index,
    id: spec.id,
    spec,
    get ast() {
      return tree().ast;
    },
    minWidth: analysis.minWidth,
    maxWidth: analysis.maxWidth,
    canMatchNewline: analysis.canMatchNewline,
    needsRightContext: analysis.needsRightContext,
    source: regexSource(spec, maxMatch),
    // Packs and rule files give examples (LoadedRuleSpec); RuleSpec itself has none. A getter: a
    // prebuilt pack parses a rule's examples only when they are read (./packs/prebuilt.ts).
    get examples() {
      return (spec as LoadedRuleSpec).examples?.match ?? [];
    },
    secretGroup: spec.secretGroup ?? 0,
    get jsSource() {
      return jsSource();
    },
    get program() {
      return program();
    },
    get keep() {
      return keep();
    },
    literals: null,
  };
}

/** Where the regex rules of a set compiled with a cache directory take their programs from. */
interface ProgramSource {
  /** The cached programs, once read or built; until then each rule compiles its own on first use. */
  store: ProgramStore | null;
  /** What a background build needs, once started null (one build per set). */
  recipe: Omit<ProgramRecipe, 'inFlight'> | null;
  readonly log: (message: string) => void;
}

const programSources = new WeakMap<readonly CompiledRule[], ProgramSource>();

/**
 * How long buildProgramsInBackground waits before it starts the builder while the run goes on: a
 * short run starts it as it exits instead, so that the builder does not compete with it.
 */
const BUILD_DELAY_MS = 50;

/** Below normal: the builder takes the CPU a foreground run leaves. */
const BUILDER_PRIORITY = 10;

export interface BackgroundBuildOptions {
  /**
   * Whether the builder also caches the set's in-flight automata when they are not cached
   * (src/redact/in-flight.ts, cacheInFlightAutomata), first: a redacting run's set needs them at
   * its first tail held mid-secret, where building them takes 0.3-2 s on a set the size of the
   * built-in pack. The install caches the built-in packs' own.
   */
  readonly inFlight: boolean;
}

/**
 * On a program cache miss of `rules` (compiled by compileRules with a cache directory), builds the
 * program of every regex rule in a detached process (./program-builder.ts), which caches them:
 * `delayMs` after the call, or when the process exits if that comes first, so that a run shorter
 * than the build (`echo hi`, a pre-commit hook) fills the cache for the next one without waiting
 * for it. A run still going when the builder ends takes its programs from the entry then (each
 * rule not yet used); until then each compiles its own on first use. Off the main thread and
 * unref'd, so no line waits on it (DESIGN §8, latency) and it never keeps the process alive. One
 * builder at a time per rule set (src/cache.ts, claimBuild): a run that finds one at work leaves
 * it be. Any failure is told to the set's log and leaves each rule to compile its program on first
 * use. Does nothing on a hit, without a cache, or the second time.
 */
export function buildProgramsInBackground(rules: readonly CompiledRule[], options: BackgroundBuildOptions): void {
  const source = programSources.get(rules);
  const recipe = source?.recipe;
  if (source === undefined || recipe === null || recipe === undefined || source.store !== null) return;
  source.recipe = null;
  const failed = (why: string): void => source.log(`programs: the background build failed (${why}); compiling each on first use`);
  const build = (isExiting: boolean): void => {
    clearTimeout(timer);
    process.off('exit', buildAtExit);
    const claim = claimBuild(recipe.cacheDirectory, 'programs', recipe.key, JSON.stringify({ ...recipe, inFlight: options.inFlight } satisfies ProgramRecipe));
    if ('busy' in claim) {
      source.log(`programs: not built by this run (${claim.busy}); compiling each on first use`);
      return;
    }
    let builder: ReturnType<typeof spawn>;
    try {
      // Its own session and no stdio of ours: it outlives this process and never holds its pipes open.
      builder = spawn(process.execPath, [fileURLToPath(new URL('./program-builder.js', import.meta.url)), claim.lock], { detached: true, stdio: 'ignore' });
    } catch (error) {
      rmSync(claim.lock, { force: true });
      failed(error instanceof Error ? error.message : String(error));
      return;
    }
    builder.unref();
    builder.on('error', (error) => {
      rmSync(claim.lock, { force: true });
      failed(error.message);
    });
    try {
      if (builder.pid !== undefined) setPriority(builder.pid, BUILDER_PRIORITY);
    } catch {
      // Gone already, or not allowed: it builds at the priority it has.
    }
    if (isExiting) return;
    builder.on('exit', (code) => {
      if (code !== 0) return failed(`exit status ${code}`);
      source.store = readPrograms(recipe.cacheDirectory, recipe.key, recipe.specs.length, source.log);
      if (source.store === null) failed('its entry is unusable');
      else source.log(`programs: ${recipe.specs.length} built in the background`);
    });
  };
  const buildAtExit = (): void => build(true);
  const timer = setTimeout(() => build(false), BUILD_DELAY_MS).unref();
  process.once('exit', buildAtExit);
}

/** A literal string as a JS RegExp source on latin1 text: letters and digits as they are, other bytes as \xHH. */
function escapeLatin1(bytes: Uint8Array): string {
  let source = '';
  for (const byte of bytes) {
    source +=
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return source;
}

/** Compiles a literal set into its automaton; throws SseredactError('rule') naming it when it has no literal. */
function compileLiteralSet(spec: LiteralSetSpec, index: number): CompiledRule {
  if (spec.literals.length === 0) throw ruleError(spec, 'no literal');
  const literals = buildLiteralAutomaton(literalForms(spec));
  // The oracle's reading (DESIGN §2): the alternation longest first, which a global RegExp
  // matches leftmost-longest, as the automaton does. Built only when asked: tests, small sets.
  const jsSource = once(() => {
    const strings = Array.from({ length: literals.count }, (_, i) => literals.string(i));
    return strings
      .sort((a, b) => b.length - a.length)
      .map(escapeLatin1)
      .join('|');
  });
  return literalSetRule(spec, index, { minWidth: literals.minLength, maxWidth: literals.maxLength, canMatchNewline: literals.hasNewline }, jsSource, literals);
}

/** A rule served by a scanner beside the engine, which decides its matches exactly: it has no regex tree. */
function literalSetRule(
  spec: LiteralSetSpec,
  index: number,
  widths: Pick<CompiledRule, 'minWidth' | 'maxWidth' | 'canMatchNewline'>,
  jsSource: () => string,
  literals: LiteralAutomaton | 'stream',
): CompiledRule {
  const noTree = (): never => {
    throw new SseredactError('internal', `rule ${spec.id}: a literal set has no regex tree; the literal scanner serves it`);
  };
  return {
    index,
    id: spec.id,
    spec,
    get ast() {
      return noTree();
    },
    get program() {
      return noTree();
    },
    get jsSource() {
      return jsSource();
    },
    ...widths,
    needsRightContext: false,
    source: `literals:${spec.id}`,
    secretGroup: 0,
    keep: null,
    literals,
  };
}

/**
 * A literal set whose strings come from the stream itself (`literals: 'stream'`): its scanner
 * beside the engine reports exact matches no wider than `maxWidth`. It has no oracle regex either.
 */
export function streamLiteralRule(spec: LiteralSetSpec, index: number, widths: { readonly minWidth: number; readonly maxWidth: number }): CompiledRule {
  const noRegex = (): never => {
    throw new SseredactError('internal', `rule ${spec.id}: its literals come from the stream; it has no regex`);
  };
  return literalSetRule(spec, index, { ...widths, canMatchNewline: false }, noRegex, 'stream');
}

/** Compiles one rule; throws SseredactError('rule') naming it on bad syntax or an unusable pattern. */
export function compileRule(spec: RuleSpec, index: number, options: CompileOptions = {}): CompiledRule {
  return compileRegexRule(spec, index, options.maxMatch ?? DEFAULT_MAX_MATCH, () => null);
}

/** compileRule, with a program from `cachedProgram` when it has one at the first use. */
function compileRegexRule(spec: RuleSpec, index: number, maxMatch: number, cachedProgram: () => Program | null): CompiledRule {
  const tree = cappedTree(spec, maxMatch);
  const analysis = analyse(spec, tree);
  const keep = compilePredicates(spec.id, spec.predicates);
  return ruleOf(
    spec,
    index,
    maxMatch,
    () => tree,
    analysis,
    () => keep,
    cachedProgram,
  );
}

/**
 * Compiles a rule set; rule ids must be unique. With a cache directory, a set analysed before
 * takes its analyses from the cache and parses each rule (and compiles its predicates) on first
 * use; any other set is compiled in full (so a bad rule fails here) and its analyses cached. Its
 * regex rules take their programs from the program cache (read here: the file and its table, ~1
 * ms on the built-in pack); on a miss see buildProgramsInBackground.
 */
export function compileRules(specs: ReadonlyArray<RuleSpec | LiteralSetSpec>, options: CompileOptions = {}): CompiledRule[] {
  const maxMatch = options.maxMatch ?? DEFAULT_MAX_MATCH;
  const log = options.log ?? (() => undefined);
  // Literal sets need no analysis (their automaton knows its widths): only regex rules are cached.
  const regexSpecs = specs.filter((spec): spec is RuleSpec => !isLiteralSetSpec(spec));
  const cache = options.cacheDirectory === undefined ? null : { directory: options.cacheDirectory, key: analysisKey(regexSpecs, maxMatch) };
  const cached = cache === null ? null : readAnalyses(cache.directory, cache.key, regexSpecs.length, log);
  if (cached !== null) useJsSources(cached.regexes);
  const regexIndexes = specs.flatMap((spec, index) => (isLiteralSetSpec(spec) ? [] : [index]));
  const programs = cache === null ? null : programSourceOf(regexSpecs, regexIndexes, maxMatch, cache.directory, log);
  const seen = new Set<string>();
  let regexIndex = 0;
  const rules = specs.map((spec, index) => {
    if (seen.has(spec.id)) throw ruleError(spec, 'duplicate rule id');
    seen.add(spec.id);
    if (isLiteralSetSpec(spec)) return compileLiteralSet(spec, index);
    const programIndex = regexIndex++;
    const cachedProgram = programs === null ? () => null : () => programs.store?.program(programIndex) ?? null;
    const analysis = cached?.rules[programIndex];
    if (analysis === undefined) return compileRegexRule(spec, index, maxMatch, cachedProgram);
    // The key covers the regex, secretGroup and predicates: they compiled when the entry was written.
    return ruleOf(
      spec,
      index,
      maxMatch,
      once(() => cappedTree(spec, maxMatch)),
      analysis,
      once(() => compilePredicates(spec.id, spec.predicates)),
      cachedProgram,
    );
  });
  if (programs !== null) programSources.set(rules, programs);
  if (cache !== null && cached === null) {
    // Every predicate of the set compiled above (compileRegexRule): each regex has its JS source.
    const known = knownJsSources();
    const regexes = [...new Set(regexSpecs.flatMap((spec) => predicateRegexes(spec.predicates)))].flatMap((source) => {
      const js = known.get(source);
      return js === undefined ? [] : [[source, js] as const];
    });
    writeAnalyses(
      cache.directory,
      cache.key,
      rules.filter((rule) => rule.literals === null),
      regexes,
      log,
    );
  }
  return rules;
}

/** The program source of a set's regex rules: the cached programs, else a recipe to build them from. */
function programSourceOf(specs: readonly RuleSpec[], indexes: readonly number[], maxMatch: number, cacheDirectory: string, log: (message: string) => void): ProgramSource {
  const key = programKey(specs.map((spec) => regexSource(spec, maxMatch)));
  const store = readPrograms(cacheDirectory, key, specs.length, log);
  return { store, recipe: store === null ? { specs, indexes, maxMatch, cacheDirectory, key } : null, log };
}
