/**
 * The built-in rule packs: data files, one per provider family or category, under
 * `src/rules/packs/<pack>/<family>.json` (shipped as they are: package.json lists src/rules/packs).
 * The loader reads them at run time; it runs at every start, so it only reads and validates JSON
 * (about a millisecond per hundred rules) and caches the result for the process. A rule that opens
 * with `\b` gets a token boundary there (../token-boundary.ts): `\b` or an escape glued to the token.
 * A file with a `providers` table instead of `rules` is read as rules by ./keyword-table.ts.
 *
 * @example
 *   const specs = loadPack('secrets'); // RuleSpec[] with source 'pack:secrets/<family>'
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SseredactError } from '../../errors.js';
import { type LoadedRuleSpec, parseRuleFile } from '../load/schema.js';
import { withTokenBoundary } from '../token-boundary.js';
import { keywordTableRules } from './keyword-table.js';

/** The packs that ship with sseredact. */
export type PackName = 'secrets' | 'pii';

// This module is src/rules/packs/index.ts or dist/rules/packs/index.js: both three levels below
// the package root, and the data always lives in src/rules/packs/. Files are read by plain string
// paths: by URL (converted on every call) or path.join (normalized on every call) a pack's hundreds
// of files take ~2 ms longer, at every start.
const PACKS_DIR = fileURLToPath(new URL('../../../src/rules/packs/', import.meta.url));

const cache = new Map<PackName, readonly LoadedRuleSpec[]>();

/** The pack names present on disk, sorted. */
export function listPacks(): PackName[] {
  return readdirSync(PACKS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && (entry.name === 'secrets' || entry.name === 'pii'))
    .map((entry) => entry.name as PackName)
    .sort();
}

/**
 * The rules of pack `name`, families in file-name order. Throws SseredactError('rule') naming the
 * file if a pack file is unreadable or invalid (a broken install), and on a rule id that two
 * families share.
 */
export function loadPack(name: PackName): LoadedRuleSpec[] {
  const cached = cache.get(name);
  if (cached !== undefined) return [...cached];
  const dir = join(PACKS_DIR, name);
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json')).sort();
  } catch (error) {
    throw new SseredactError('rule', `pack ${name}: cannot read ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const specs: LoadedRuleSpec[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const family = file.slice(0, -'.json'.length);
    const where = `pack ${name}/${file}`;
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
    } catch (error) {
      throw new SseredactError('rule', `${where}: ${(error as Error).message}`, { cause: error });
    }
    const defaults = { source: `pack:${name}/${family}`, placeholders: true };
    for (const spec of keywordTableRules(data, where, defaults) ?? parseRuleFile(data, where, defaults)) {
      const other = seen.get(spec.id);
      if (other !== undefined) throw new SseredactError('rule', `${where}: rule ${spec.id}: id: also defined in ${other}`);
      seen.set(spec.id, file);
      specs.push(withTokenBoundary(spec));
    }
  }
  cache.set(name, specs);
  return [...specs];
}
