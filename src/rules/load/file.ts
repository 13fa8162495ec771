/**
 * `--rules FILE`: loads a rule file in our own schema (JSON, YAML or TOML; see schema.ts) or in
 * gitleaks' TOML config format, told apart by shape (gitleaks.ts `looksLikeGitleaks`).
 *
 * @example
 *   const specs = loadRuleFile('rules.yaml', { onWarning: (line) => console.error(line) });
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { SseredactError } from '../../errors.js';
import { type GitleaksExtend, type SkippedRule, hasGitleaksOnlyKeys, importGitleaks, looksLikeGitleaks } from './gitleaks.js';
import { type LoadedRuleSpec, parseRuleFile } from './schema.js';

export type RuleFileFormat = 'json' | 'yaml' | 'toml';

export interface LoadRuleFileOptions {
  /**
   * Called with one line per rule left out or loaded with a different meaning (gitleaks import):
   * notes for `--verbose`, since a config from elsewhere has them on every run.
   */
  readonly onNote?: (message: string) => void;
}

export interface RuleFileResult {
  readonly specs: LoadedRuleSpec[];
  readonly kind: 'sseredact' | 'gitleaks';
  /** A gitleaks config's `[extend]`; null for our schema and a config that stands alone. */
  readonly extend: GitleaksExtend | null;
  readonly skipped: SkippedRule[];
  readonly warnings: string[];
}

/** The format by extension; without a known one, by the first significant character. */
export function detectFormat(path: string, text: string): RuleFileFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (extension === '.toml') return 'toml';
  const first = text.trimStart()[0];
  if (first === '{') return 'json';
  return /^\s*\[\[?[A-Za-z]/m.test(text) ? 'toml' : 'yaml';
}

function parseText(text: string, format: RuleFileFormat, path: string): unknown {
  try {
    if (format === 'json') return JSON.parse(text);
    if (format === 'yaml') return parseYaml(text);
    return parseToml(text);
  } catch (error) {
    throw new SseredactError('rule', `${path}: invalid ${format.toUpperCase()}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

/**
 * A file named `.sseredact.toml` (`.yaml`, `.yml`, `.json`: the names configuration discovery
 * loads) is our schema unless it has keys only gitleaks has; another TOML file with gitleaks'
 * shape is a gitleaks config.
 */
function isGitleaksConfig(data: unknown, path: string): boolean {
  return /^\.sseredact\.(?:toml|ya?ml|json)$/.test(basename(path)) ? hasGitleaksOnlyKeys(data) : looksLikeGitleaks(data);
}

/** Parses rule-file text; `path` names the file in errors and becomes each rule's `source`. */
export function parseRuleText(text: string, path: string, format: RuleFileFormat = detectFormat(path, text)): RuleFileResult {
  const data = parseText(text, format, path);
  if (format === 'toml' && isGitleaksConfig(data, path)) {
    const imported = importGitleaks(data, path);
    const warnings = [...imported.skipped.map((skip) => `${path}: rule ${skip.id} not loaded: ${skip.reason}`), ...imported.warnings.map((line) => `${path}: ${line}`)];
    return { specs: imported.specs, kind: 'gitleaks', extend: imported.extend, skipped: imported.skipped, warnings };
  }
  return { specs: parseRuleFile(data, path, { source: path, placeholders: true }), kind: 'sseredact', extend: null, skipped: [], warnings: [] };
}

/** What a set of rule files adds to a run, and what it does to the built-in secrets pack. */
export interface LoadedRules {
  readonly specs: LoadedRuleSpec[];
  /**
   * False when a gitleaks config without `[extend] useDefault = true` was loaded: like gitleaks'
   * own default config, the built-in secrets pack then gives way to it.
   */
  readonly keepsBuiltin: boolean;
  /** Built-in rule ids that an extending config's `disabledRules` leaves out. */
  readonly disabledBuiltin: readonly string[];
}

/** `[extend] path` chains longer than this are refused (a config that extends itself, say). */
const MAX_EXTEND_DEPTH = 8;

/** `specs`, where a rule of `over` replaces the one of the same id (as later rule files and extending configs do). */
function overlay(specs: readonly LoadedRuleSpec[], over: readonly LoadedRuleSpec[], onNote: (message: string) => void): LoadedRuleSpec[] {
  const replaced = new Map(over.map((spec) => [spec.id, spec]));
  const kept = specs.filter((spec) => {
    const replacement = replaced.get(spec.id);
    if (replacement !== undefined) onNote(`rule ${spec.id} of ${spec.source ?? 'a rule file'} replaced by the one in ${replacement.source ?? 'a later file'}`);
    return replacement === undefined;
  });
  return [...kept, ...over];
}

function readRuleFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new SseredactError('io', `${path}: cannot read rule file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
}

/** One file and, through `[extend] path`, the configs it extends. */
function loadWithExtends(path: string, onNote: (message: string) => void, depth: number): LoadedRules {
  if (depth > MAX_EXTEND_DEPTH) throw new SseredactError('rule', `${path}: [extend] path chain longer than ${MAX_EXTEND_DEPTH} (does a config extend itself?)`);
  const result = parseRuleText(readRuleFile(path), path);
  for (const warning of result.warnings) onNote(warning);
  const extend = result.extend;
  if (result.kind === 'sseredact') return { specs: result.specs, keepsBuiltin: true, disabledBuiltin: [] };
  if (extend === null) return { specs: result.specs, keepsBuiltin: false, disabledBuiltin: [] };
  const disabled = new Set(extend.disabledRules);
  const base = extend.path === undefined ? null : loadWithExtends(resolve(dirname(path), extend.path), onNote, depth + 1);
  const baseSpecs = (base?.specs ?? []).filter((spec) => !disabled.has(spec.id));
  return {
    specs: overlay(baseSpecs, result.specs, onNote),
    keepsBuiltin: extend.useDefault || (base?.keepsBuiltin ?? false),
    disabledBuiltin: extend.useDefault ? [...extend.disabledRules, ...(base?.disabledBuiltin ?? [])] : (base?.disabledBuiltin ?? []),
  };
}

/**
 * Loads rule files in order: a rule of a later file replaces one of the same id from an earlier
 * file (a note says so). Throws SseredactError('io') when a file cannot be read and
 * SseredactError('rule') naming the file, rule id and field when it is invalid; gitleaks rules that
 * cannot load are skipped and reported through `onNote`.
 */
export function loadRuleFiles(paths: readonly string[], options: LoadRuleFileOptions = {}): LoadedRules {
  const onNote = options.onNote ?? (() => {});
  let loaded: LoadedRules = { specs: [], keepsBuiltin: true, disabledBuiltin: [] };
  for (const path of paths) {
    const file = loadWithExtends(path, onNote, 0);
    loaded = {
      specs: overlay(loaded.specs, file.specs, onNote),
      keepsBuiltin: loaded.keepsBuiltin && file.keepsBuiltin,
      disabledBuiltin: [...loaded.disabledBuiltin, ...file.disabledBuiltin],
    };
  }
  return loaded;
}

/** Loads one rule file (see {@link loadRuleFiles}); its rules only. */
export function loadRuleFile(path: string, options: LoadRuleFileOptions = {}): LoadedRuleSpec[] {
  return loadRuleFiles([path], options).specs;
}
