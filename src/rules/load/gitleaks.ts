/**
 * Imports gitleaks' TOML config format (v8): `[[rules]]` with id, description, regex,
 * secretGroup, entropy, keywords, path and allowlists (`[[rules.allowlists]]`, or the older single
 * `[rules.allowlist]`), plus the global allowlist (`[allowlist]` or `[[allowlists]]`, optionally
 * limited by `targetRules`), which is added to every rule it targets.
 *
 * What cannot be expressed is reported, never silently dropped: a rule that cannot load is listed
 * in `skipped` with the reason (path-only rules match file names, not content; Betterleaks'
 * `skipReport` component rules; regexes our RE2 front end rejects), and a rule that loads with a
 * different meaning gets a note in `warnings` (unknown keys such as Betterleaks' `filter`; a
 * `[[rules.required]]` condition, dropped so the rule fires on its own).
 *
 * `[extend]` is read as gitleaks reads it: `useDefault = true` keeps the built-in secrets pack
 * (without it a gitleaks config replaces the pack, as it replaces gitleaks' defaults), `path`
 * names a config this one extends, `disabledRules` drops rules of what it extends; the config's own
 * rules win over extended ones of the same id (file.ts does the merging).
 *
 * Without `secretGroup`, the secret is the first non-empty capture group, as in gitleaks.
 *
 * Differences in meaning, kept on purpose:
 * - `path` on a regex rule becomes {@link LoadedRuleSpec.paths}: it limits the rule in scan mode
 *   only; redact mode has no paths.
 * - allowlist `paths` and `commits` only apply where the confirmer passes a path (scan mode).
 */
import { parse as parseToml } from 'smol-toml';
import { SseredactError } from '../../errors.js';
import { RegexSyntaxError, parseRegex } from '../../regex/parse.js';
import type { AllowlistSpec, ExtendedPredicates } from '../predicates.js';
import { type LoadedRuleSpec, definedOnly } from './schema.js';

/** A rule that could not be loaded, and why. */
export interface SkippedRule {
  readonly id: string;
  readonly reason: string;
}

/** A config's `[extend]` table. */
export interface GitleaksExtend {
  /** Extends the built-in secrets pack (gitleaks: its default config). */
  readonly useDefault: boolean;
  /** A config this one extends, as written (relative to this config's directory). */
  readonly path?: string;
  /** Rule ids of what this config extends to leave out. */
  readonly disabledRules: readonly string[];
}

export interface GitleaksImport {
  readonly specs: LoadedRuleSpec[];
  /** Null when the config has no `[extend]`: it then stands alone. */
  readonly extend: GitleaksExtend | null;
  readonly skipped: SkippedRule[];
  /** One line each: `rule <id>: <what was left out>`. */
  readonly warnings: string[];
}

type Table = Record<string, unknown>;

const RULE_KEYS = new Set(['id', 'description', 'regex', 'secretGroup', 'entropy', 'keywords', 'path', 'allowlists', 'allowlist', 'tags']);
const ALLOWLIST_KEYS = new Set(['description', 'condition', 'regexTarget', 'regexes', 'stopwords', 'paths', 'commits', 'targetRules']);

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}

/** True when a parsed TOML document has gitleaks' shape: `[[rules]]` tables with a regex or path. */
export function looksLikeGitleaks(data: unknown): boolean {
  if (!isTable(data) || !Array.isArray(data.rules)) return false;
  if (hasGitleaksOnlyKeys(data)) return true;
  // Our own schema's fields never occur in gitleaks rules; gitleaks' `path`/`tags` never in ours.
  const ours = ['format', 'examples', 'validator', 'placeholders', 'paths', 'replacement', 'stopwords'];
  return data.rules.every((rule) => isTable(rule) && !ours.some((key) => key in rule) && !Array.isArray(rule.allowlist));
}

/**
 * True when a document with `[[rules]]` has what only gitleaks configs have: a global allowlist,
 * `[extend]`, `title`, `minVersion`, or a rule with `path`, `tags`, `required`, `skipReport` or a
 * single `[rules.allowlist]` table. A plain list of id + regex rules fits both formats.
 */
export function hasGitleaksOnlyKeys(data: unknown): boolean {
  if (!isTable(data) || !Array.isArray(data.rules)) return false;
  if (['allowlist', 'allowlists', 'extend', 'title', 'minVersion'].some((key) => key in data)) return true;
  return data.rules.some((rule) => isTable(rule) && (['path', 'tags', 'required', 'skipReport'].some((key) => key in rule) || isTable(rule.allowlist)));
}

function readAllowlist(table: Table, where: string, warnings: string[]): AllowlistSpec & { targetRules?: string[] } {
  for (const key of Object.keys(table)) if (!ALLOWLIST_KEYS.has(key)) warnings.push(`${where}: allowlist key ${key} ignored`);
  if (table.commits !== undefined) warnings.push(`${where}: allowlist commits ignored (no commit is known while redacting a stream)`);
  const target = table.regexTarget;
  const condition = typeof table.condition === 'string' ? table.condition.toLowerCase() : undefined;
  return definedOnly<AllowlistSpec & { targetRules?: string[] }>({
    description: typeof table.description === 'string' ? table.description : undefined,
    regexes: strings(table.regexes),
    regexTarget: target === 'match' || target === 'line' || target === 'secret' ? target : undefined,
    stopwords: strings(table.stopwords),
    paths: strings(table.paths),
    condition: condition === 'and' ? 'and' : condition === 'or' ? 'or' : undefined,
    targetRules: strings(table.targetRules),
  });
}

function globalAllowlists(data: Table, warnings: string[]): Array<AllowlistSpec & { targetRules?: string[] }> {
  const tables: Table[] = [];
  if (isTable(data.allowlist)) tables.push(data.allowlist);
  if (Array.isArray(data.allowlists)) tables.push(...data.allowlists.filter(isTable));
  return tables.map((table) => readAllowlist(table, 'global', warnings));
}

/** Throws when `source` is not a regex our front end takes; returns its capture group count. */
function checkRegex(source: string): number {
  return parseRegex(source).groupCount;
}

/**
 * Converts a parsed gitleaks config. `where` (the file) becomes each rule's `source`. Throws
 * SseredactError('rule') only when the document is not a gitleaks config at all.
 */
export function importGitleaks(data: unknown, where: string): GitleaksImport {
  if (!isTable(data) || !Array.isArray(data.rules)) throw new SseredactError('rule', `${where}: not a gitleaks config: no [[rules]]`);
  const warnings: string[] = [];
  const skipped: SkippedRule[] = [];
  const specs: LoadedRuleSpec[] = [];
  const extend = isTable(data.extend) ? readExtend(data.extend, warnings) : null;
  const globals = globalAllowlists(data, warnings);
  const seen = new Set<string>();
  data.rules.forEach((rule, index) => {
    if (!isTable(rule) || typeof rule.id !== 'string' || rule.id === '') {
      skipped.push({ id: `rules[${index}]`, reason: 'no id' });
      return;
    }
    const id = rule.id;
    const skip = (reason: string): void => void skipped.push({ id, reason });
    if (seen.has(id)) return skip('duplicate id');
    if (rule.skipReport === true) return skip('skipReport: only a component of composite rules, never reported itself');
    if (typeof rule.regex !== 'string' || rule.regex === '') {
      return skip(typeof rule.path === 'string' ? 'path-only rule: it matches file names, not content' : 'no regex');
    }
    let groupCount: number;
    try {
      groupCount = checkRegex(rule.regex);
    } catch (error) {
      if (error instanceof RegexSyntaxError) return skip(`regex not supported: ${error.message}`);
      throw error;
    }
    if (rule.required !== undefined) {
      warnings.push(`rule ${id}: [[rules.required]] ignored: the rule fires without its companion findings (more findings)`);
    }
    const ignored = Object.keys(rule).filter((key) => !RULE_KEYS.has(key) && key !== 'required' && key !== 'skipReport');
    if (ignored.length > 0) warnings.push(`rule ${id}: ignored ${ignored.join(', ')}`);
    const allowlists = [...(isTable(rule.allowlist) ? [rule.allowlist] : []), ...(Array.isArray(rule.allowlists) ? rule.allowlists.filter(isTable) : [])].map((table) =>
      readAllowlist(table, `rule ${id}`, warnings),
    );
    for (const global of globals) {
      if (global.targetRules === undefined || global.targetRules.includes(id)) allowlists.push(global);
    }
    try {
      for (const allowlist of allowlists) for (const source of [...(allowlist.regexes ?? []), ...(allowlist.paths ?? [])]) checkRegex(source);
    } catch (error) {
      if (error instanceof RegexSyntaxError) return skip(`allowlist regex not supported: ${error.message}`);
      throw error;
    }
    const secretGroup = typeof rule.secretGroup === 'number' ? rule.secretGroup : groupCount === 0 ? 0 : 'first-non-empty';
    if (typeof rule.secretGroup === 'number' && rule.secretGroup > groupCount) {
      return skip(`secretGroup ${rule.secretGroup} but the regex has ${groupCount} groups`);
    }
    const predicates = definedOnly<ExtendedPredicates>({
      minEntropy: typeof rule.entropy === 'number' ? rule.entropy : undefined,
      allowlists: allowlists.length > 0 ? allowlists.map(({ targetRules: _targets, ...allowlist }) => allowlist) : undefined,
    });
    seen.add(id);
    specs.push(
      definedOnly<LoadedRuleSpec>({
        id,
        description: typeof rule.description === 'string' ? rule.description : undefined,
        regex: rule.regex,
        secretGroup: secretGroup === 0 ? undefined : secretGroup,
        keywords: strings(rule.keywords)?.map((keyword) => keyword.toLowerCase()),
        predicates: Object.keys(predicates).length > 0 ? predicates : undefined,
        source: where,
        paths: typeof rule.path === 'string' ? [rule.path] : undefined,
      }),
    );
  });
  return { specs, extend, skipped, warnings };
}

function readExtend(table: Table, warnings: string[]): GitleaksExtend {
  for (const key of Object.keys(table)) {
    if (key !== 'useDefault' && key !== 'path' && key !== 'disabledRules') warnings.push(`[extend] ${key} ignored`);
  }
  return definedOnly<GitleaksExtend>({
    useDefault: table.useDefault === true,
    path: typeof table.path === 'string' && table.path !== '' ? table.path : undefined,
    disabledRules: strings(table.disabledRules) ?? [],
  });
}

/** Parses gitleaks TOML text; TOML syntax errors name the file and line. */
export function importGitleaksToml(text: string, where: string): GitleaksImport {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (error) {
    throw new SseredactError('rule', `${where}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  return importGitleaks(data, where);
}
