/**
 * The built-in rule packs: data files, one per provider family or category, under
 * `src/rules/packs/<pack>/<family>.json` (shipped as they are: package.json lists src/rules/packs).
 * The loader runs at every start: it reads the pack's prebuilt file (./prebuilt.ts, written by
 * `npm run build`) where there is a fresh one, else reads and validates the JSON files (about a
 * millisecond per hundred rules), and caches the result for the process. A rule that opens
 * with `\b` gets a token boundary there (../token-boundary.ts): `\b` or an escape glued to the token.
 * A file with a `providers` table instead of `rules` is read as rules by ./keyword-table.ts.
 *
 * @example
 *   const specs = loadPack('secrets'); // RuleSpec[] with source 'pack:secrets/<family>'
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SseredactError } from '../../errors.js';
import { type LoadedRuleSpec, parseRuleFile } from '../load/schema.js';
import { withTokenBoundary } from '../token-boundary.js';
import { keywordTableRules } from './keyword-table.js';
import { packFiles, readPrebuiltPack, writePrebuiltPack } from './prebuilt.js';

/** The packs that ship with sseredact. */
export type PackName = 'secrets' | 'pii';

// This module is src/rules/packs/index.ts or dist/rules/packs/index.js: both three levels below
// the package root, and the data always lives in src/rules/packs/. Files are read by plain string
// paths: by URL (converted on every call) or path.join (normalized on every call) a pack's hundreds
// of files take ~2 ms longer, at every start.
const PACKS_DIR = fileURLToPath(new URL('../../../src/rules/packs/', import.meta.url));
// Beside this module: dist/rules/packs/ once built; src/rules/packs/ has none, so the tests that
// import the sources read the JSON files.
const PREBUILT_DIR = fileURLToPath(new URL('./', import.meta.url));
const LOADER_FILE = fileURLToPath(import.meta.url);

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
  // In a checkout (the loader's source beside the data) the JSON files or the loader may have
  // changed since the build; an installed package ships only the data, as its build read it.
  const sources = existsSync(`${PACKS_DIR}index.ts`) ? { dir: join(PACKS_DIR, name), loaderFile: LOADER_FILE } : null;
  const specs = readPrebuiltPack(prebuiltFile(name), sources) ?? readPackFiles(name);
  cache.set(name, specs);
  return [...specs];
}

/** Writes each pack's prebuilt file from its JSON files (scripts/prebuild-packs.mjs); returns their paths. */
export function prebuildPacks(): string[] {
  return listPacks().map((name) => {
    const file = prebuiltFile(name);
    writePrebuiltPack(file, join(PACKS_DIR, name), () => readPackFiles(name));
    return file;
  });
}

function prebuiltFile(name: PackName): string {
  return `${PREBUILT_DIR}${name}.prebuilt.json`;
}

/** The rules of pack `name` read from its JSON files, the truth that a prebuilt file is made of. */
export function readPackFiles(name: PackName): LoadedRuleSpec[] {
  const dir = join(PACKS_DIR, name);
  let files: string[];
  try {
    files = packFiles(dir);
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
  return specs;
}
