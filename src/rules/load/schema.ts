/**
 * Our own rule schema, shared by the built-in packs and `--rules FILE` (JSON, YAML or TOML): one
 * validator turns parsed data into {@link LoadedRuleSpec}s, with errors that name the file, the
 * rule id and the field.
 *
 * A rule entry, every field but `id` and `regex` optional:
 *
 *     { "id": "github-pat", "description": "...", "regex": "\\bghp_[0-9A-Za-z]{36}\\b",
 *       "secretGroup": 0, "keywords": ["ghp_"], "entropy": 3, "validator": "github-crc32",
 *       "allowlist": ["EXAMPLE$"], "stopwords": ["example"], "placeholders": true, "notCode": false,
 *       "allowlists": [{ "regexes": ["..."], "regexTarget": "line", "stopwords": [], "paths": [], "condition": "or" }],
 *       "paths": ["\\.env$"], "replacement": "[EMAIL]", "format": "where the format is documented",
 *       "examples": { "match": ["true positive"], "noMatch": ["near miss"] } }
 *
 * A file is `{ "rules": [entry, ...] }` (an optional `family` names the group in packs).
 */
import { SseredactError } from '../../errors.js';
import type { RuleSpec } from '../../types.js';
import type { KeywordGroupKey } from '../keyword-groups.js';
import type { AllowlistSpec, ExtendedPredicates } from '../predicates.js';

/** Texts a rule must find something in (`match`) and must stay silent on (`noMatch`). */
export interface RuleExamples {
  readonly match: readonly string[];
  readonly noMatch: readonly string[];
}

/** A rule spec with what packs and rule files add to {@link RuleSpec}. */
export interface LoadedRuleSpec extends RuleSpec {
  readonly predicates?: ExtendedPredicates;
  /** Scan mode: the rule only applies to files whose path matches one of these regexes. */
  readonly paths?: readonly string[];
  /** What the secret looks like and where that format is documented. */
  readonly format?: string;
  readonly examples?: RuleExamples;
  /** A rule of the keyword-provider table: the group it scans in (../keyword-groups.ts). Not a file field. */
  readonly keywordGroup?: KeywordGroupKey;
}

/** Defaults a loader applies to every entry of one file. */
export interface EntryDefaults {
  /** `source` of every rule: `pack:secrets/github`, a file path. */
  readonly source: string;
  /** Whether placeholder detection is on when an entry does not say. */
  readonly placeholders: boolean;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const VALIDATORS = new Set(['luhn', 'github-crc32', 'iban', 'ipv4', 'ipv6']);
const KNOWN_FIELDS = new Set([
  'id',
  'description',
  'regex',
  'secretGroup',
  'keywords',
  'entropy',
  'validator',
  'allowlist',
  'stopwords',
  'placeholders',
  'notCode',
  'allowlists',
  'paths',
  'replacement',
  'format',
  'examples',
]);
const ALLOWLIST_FIELDS = new Set(['description', 'regexes', 'regexTarget', 'stopwords', 'paths', 'condition']);

type Fields = Record<string, unknown>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one entry's fields, throwing errors that say `file: rule id: field: problem`. */
function fieldReader(where: string, id: string) {
  const fail = (field: string, problem: string): never => {
    throw new SseredactError('rule', `${where}: rule ${id}: ${field}: ${problem}`);
  };
  const string = (value: unknown, field: string): string | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') return fail(field, `expected a string, got ${typeName(value)}`);
    return value;
  };
  const strings = (value: unknown, field: string): readonly string[] | undefined => {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return fail(field, `expected a list of strings, got ${typeName(value)}`);
    value.forEach((item, index) => {
      if (typeof item !== 'string') fail(`${field}[${index}]`, `expected a string, got ${typeName(item)}`);
    });
    return value as string[];
  };
  const number = (value: unknown, field: string, min: number, max: number, integer: boolean): number | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(field, `expected a number, got ${typeName(value)}`);
    if (integer && !Number.isInteger(value)) return fail(field, `expected an integer, got ${value}`);
    if (value < min || value > max) return fail(field, `${value} is outside ${min}..${max}`);
    return value;
  };
  const boolean = (value: unknown, field: string): boolean | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') return fail(field, `expected true or false, got ${typeName(value)}`);
    return value;
  };
  return { fail, string, strings, number, boolean };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a table' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Copies the defined values of `fields` only (exactOptionalPropertyTypes: no `undefined` values). */
export function definedOnly<T extends object>(fields: { [K in keyof T]?: T[K] | undefined }): T {
  // A plain loop: this runs for every pack rule at every start (Object.entries was the hot spot).
  const out: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}

function readAllowlists(value: unknown, read: ReturnType<typeof fieldReader>): AllowlistSpec[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return read.fail('allowlists', `expected a list of tables, got ${typeName(value)}`);
  return value.map((item, index) => {
    const field = `allowlists[${index}]`;
    if (!isRecord(item)) return read.fail(field, `expected a table, got ${typeName(item)}`);
    for (const key of Object.keys(item)) if (!ALLOWLIST_FIELDS.has(key)) read.fail(`${field}.${key}`, 'unknown field');
    const regexTarget = read.string(item.regexTarget, `${field}.regexTarget`);
    if (regexTarget !== undefined && regexTarget !== 'secret' && regexTarget !== 'match' && regexTarget !== 'line') {
      read.fail(`${field}.regexTarget`, `expected secret, match or line, got ${JSON.stringify(regexTarget)}`);
    }
    const condition = read.string(item.condition, `${field}.condition`)?.toLowerCase();
    if (condition !== undefined && condition !== 'or' && condition !== 'and') {
      read.fail(`${field}.condition`, `expected or / and, got ${JSON.stringify(condition)}`);
    }
    return definedOnly<AllowlistSpec>({
      description: read.string(item.description, `${field}.description`),
      regexes: read.strings(item.regexes, `${field}.regexes`),
      regexTarget: regexTarget as AllowlistSpec['regexTarget'],
      stopwords: read.strings(item.stopwords, `${field}.stopwords`),
      paths: read.strings(item.paths, `${field}.paths`),
      condition: condition as AllowlistSpec['condition'],
    });
  });
}

function readExamples(value: unknown, read: ReturnType<typeof fieldReader>): RuleExamples | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return read.fail('examples', `expected a table with match and noMatch, got ${typeName(value)}`);
  for (const key of Object.keys(value)) if (key !== 'match' && key !== 'noMatch') read.fail(`examples.${key}`, 'unknown field');
  return {
    match: read.strings(value.match, 'examples.match') ?? [],
    noMatch: read.strings(value.noMatch, 'examples.noMatch') ?? [],
  };
}

/**
 * Validates one rule entry. Regex syntax is not checked here: the rule compiler does that and
 * names the rule and its source.
 */
export function parseRuleEntry(entry: unknown, index: number, where: string, defaults: EntryDefaults): LoadedRuleSpec {
  if (!isRecord(entry)) throw new SseredactError('rule', `${where}: rules[${index}]: expected a table, got ${typeName(entry)}`);
  const rawId = entry.id;
  if (typeof rawId !== 'string' || !ID.test(rawId)) {
    throw new SseredactError('rule', `${where}: rules[${index}]: id: expected a name of letters, digits and ._:- (got ${typeName(rawId)})`);
  }
  const read = fieldReader(where, rawId);
  for (const key of Object.keys(entry)) if (!KNOWN_FIELDS.has(key)) read.fail(key, 'unknown field');
  const regex = read.string(entry.regex, 'regex');
  if (regex === undefined || regex.length === 0) return read.fail('regex', 'missing');
  const validator = read.string(entry.validator, 'validator');
  if (validator !== undefined && !VALIDATORS.has(validator)) {
    read.fail('validator', `unknown validator ${JSON.stringify(validator)} (known: ${[...VALIDATORS].join(', ')})`);
  }
  const predicates = definedOnly<ExtendedPredicates>({
    minEntropy: read.number(entry.entropy, 'entropy', 0, 8, false),
    validator: validator as ExtendedPredicates['validator'],
    allowlist: read.strings(entry.allowlist, 'allowlist'),
    stopwords: read.strings(entry.stopwords, 'stopwords'),
    placeholders: read.boolean(entry.placeholders, 'placeholders') ?? defaults.placeholders,
    notCode: read.boolean(entry.notCode, 'notCode'),
    allowlists: readAllowlists(entry.allowlists, read),
  });
  const keywords = read.strings(entry.keywords, 'keywords')?.map((keyword) => keyword.toLowerCase());
  return definedOnly<LoadedRuleSpec>({
    id: rawId,
    description: read.string(entry.description, 'description'),
    regex,
    secretGroup: Array.isArray(entry.secretGroup)
      ? entry.secretGroup.map((group, at) => read.number(group, `secretGroup[${at}]`, 1, 1000, true)!)
      : read.number(entry.secretGroup, 'secretGroup', 0, 1000, true),
    keywords,
    predicates: predicates.placeholders === false && Object.keys(predicates).length === 1 ? undefined : predicates,
    source: defaults.source,
    paths: read.strings(entry.paths, 'paths'),
    replacement: read.string(entry.replacement, 'replacement'),
    format: read.string(entry.format, 'format'),
    examples: readExamples(entry.examples, read),
  });
}

/** Validates a whole parsed rule file (`{ rules: [...] }`); `where` names the file in errors. */
export function parseRuleFile(data: unknown, where: string, defaults: EntryDefaults): LoadedRuleSpec[] {
  if (!isRecord(data)) throw new SseredactError('rule', `${where}: expected a table with a rules list, got ${typeName(data)}`);
  const rules = data.rules;
  if (!Array.isArray(rules)) throw new SseredactError('rule', `${where}: rules: expected a list of rule tables, got ${typeName(rules)}`);
  const seen = new Set<string>();
  return rules.map((entry, index) => {
    const spec = parseRuleEntry(entry, index, where, defaults);
    if (seen.has(spec.id)) throw new SseredactError('rule', `${where}: rule ${spec.id}: id: duplicate`);
    seen.add(spec.id);
    return spec;
  });
}
