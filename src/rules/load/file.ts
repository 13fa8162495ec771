/**
 * `--rules FILE`: loads a rule file in our own schema (JSON, YAML or TOML; see schema.ts) or in
 * gitleaks' TOML config format, told apart by shape (gitleaks.ts `looksLikeGitleaks`).
 *
 * @example
 *   const specs = loadRuleFile('rules.yaml', { onWarning: (line) => console.error(line) });
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { SseredactError } from '../../errors.js';
import { type SkippedRule, importGitleaks, looksLikeGitleaks } from './gitleaks.js';
import { type LoadedRuleSpec, parseRuleFile } from './schema.js';

export type RuleFileFormat = 'json' | 'yaml' | 'toml';

export interface LoadRuleFileOptions {
  /** Called with one line per rule left out or loaded with a different meaning (gitleaks import). */
  readonly onWarning?: (message: string) => void;
}

export interface RuleFileResult {
  readonly specs: LoadedRuleSpec[];
  readonly kind: 'sseredact' | 'gitleaks';
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

/** Parses rule-file text; `path` names the file in errors and becomes each rule's `source`. */
export function parseRuleText(text: string, path: string, format: RuleFileFormat = detectFormat(path, text)): RuleFileResult {
  const data = parseText(text, format, path);
  if (format === 'toml' && looksLikeGitleaks(data)) {
    const imported = importGitleaks(data, path);
    const warnings = [...imported.skipped.map((skip) => `${path}: rule ${skip.id} not loaded: ${skip.reason}`), ...imported.warnings.map((line) => `${path}: ${line}`)];
    return { specs: imported.specs, kind: 'gitleaks', skipped: imported.skipped, warnings };
  }
  return { specs: parseRuleFile(data, path, { source: path, placeholders: true }), kind: 'sseredact', skipped: [], warnings: [] };
}

/**
 * Loads a rule file. Throws SseredactError('io') when it cannot be read and SseredactError('rule')
 * naming the file, rule id and field when it is invalid; gitleaks rules that cannot load are
 * skipped and reported through `onWarning`.
 */
export function loadRuleFile(path: string, options: LoadRuleFileOptions = {}): LoadedRuleSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SseredactError('io', `${path}: cannot read rule file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const result = parseRuleText(text, path);
  for (const warning of result.warnings) options.onWarning?.(warning);
  return result.specs;
}
