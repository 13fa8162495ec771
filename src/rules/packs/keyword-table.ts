/**
 * Keyword providers: services whose tokens have no prefix, checksum or structure of their own (a
 * run of 32 hex digits, 40 letters and digits, a UUID) are recognised only as the value assigned to
 * a name that holds the provider's name. Rather than one hand-written regex each, a pack file lists
 * them as a table, and this module turns each row into an ordinary rule:
 *
 *   { "family": "keyword-providers",
 *     "shapes": { "hex32": { "regex": "[0-9a-f]{32}", "entropy": 3, "description": "32 hex digits" } },
 *     "providers": [ { "id": "mixpanel-api-secret", "provider": "Mixpanel", "keywords": ["mixpanel"],
 *                      "shape": "hex32", "example": "<a token of that shape>" } ] }
 *
 * gives the rule `mixpanel-api-secret`: one of the keywords, a name tail and an assignment
 * (`KEY=value`, `key: value`, `"key": "value"`, `key => value`, `<key>value`), then the shape as
 * the secret, ended by a byte that cannot continue it. Its examples come from the row's `example`:
 * found after `MIXPANEL_API_KEY=` and as a JSON field; not found after an unrelated name, as a
 * template variable, or cut short. Errors name the file and the row.
 *
 * Every rule of one shape has the same regex after its keywords: a rule set scans them as one
 * rule whose findings are named after the provider whose keyword matched (../keyword-groups.ts),
 * so that a few hundred rows cost the automata an alternation of keywords, not a few hundred rules.
 */
import { SseredactError } from '../../errors.js';
import { escapeRegex } from '../keyword-groups.js';
import { type EntryDefaults, type LoadedRuleSpec, parseRuleFile } from '../load/schema.js';

/** The name part and assignment operators of a keyword rule (gitleaks' generic assignment forms). */
const ASSIGNMENT =
  '[\\w.-]{0,25}(?:[ \\t]{1,4}[A-Za-z][\\w.]{0,20})?(?:\\\\?["\']?[ \\t]{0,4}(?:[:.?+]?=|::=|:::=|:|=>)|>[ \\t\\r\\n]{0,8}|\\\\?["\'][ \\t]{0,4},)[ \\t]{0,4}\\\\?["\'\\x60]?';

interface Shape {
  readonly regex: string;
  readonly entropy: number;
  readonly description: string;
}

interface ProviderRow {
  readonly id: string;
  readonly provider: string;
  readonly keywords: readonly string[];
  readonly shape: string;
  readonly example: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readShape(where: string, name: string, value: unknown): Shape {
  if (!isRecord(value) || typeof value.regex !== 'string' || typeof value.entropy !== 'number' || typeof value.description !== 'string') {
    throw new SseredactError('rule', `${where}: shapes.${name}: expected { regex, entropy, description }`);
  }
  return { regex: value.regex, entropy: value.entropy, description: value.description };
}

function readRow(where: string, index: number, value: unknown): ProviderRow {
  const at = `${where}: providers[${index}]`;
  if (!isRecord(value)) throw new SseredactError('rule', `${at}: expected a table`);
  const { id, provider, keywords, shape, example } = value;
  if (typeof id !== 'string' || typeof provider !== 'string' || typeof shape !== 'string' || typeof example !== 'string') {
    throw new SseredactError('rule', `${at}: expected id, provider, shape and example strings`);
  }
  if (!Array.isArray(keywords) || keywords.length === 0 || !keywords.every((keyword) => typeof keyword === 'string' && /^[a-z0-9_.-]+$/.test(keyword))) {
    throw new SseredactError('rule', `${at} (${id}): keywords: expected a list of lower-case names`);
  }
  return { id, provider, keywords, shape, example };
}

/** The regex of a shape's rules after their keywords: name tail and assignment, the shape as the secret, a byte that cannot continue it. */
function tailOf(shape: Shape): string {
  // The shape's own bytes may not continue the token: a longer run is another token.
  const bytes = shape.regex.match(/^\[([^\]]+)\]/)?.[1] ?? '0-9A-Za-z';
  return `${ASSIGNMENT}(${shape.regex})(?:[^${bytes}]|$)`;
}

/** The rule of one row, in the pack file schema (load/schema.ts). */
function ruleOfRow(row: ProviderRow, shape: Shape): Record<string, unknown> {
  const name = row.keywords[0]!.toUpperCase().replace(/[.-]/g, '_');
  return {
    id: row.id,
    description: `${row.provider} credential (${shape.description}) assigned to a name holding ${row.keywords.join(' / ')}.`,
    regex: `(?i:${row.keywords.map(escapeRegex).join('|')})${tailOf(shape)}`,
    secretGroup: 1,
    keywords: [...row.keywords],
    entropy: shape.entropy,
    format: `${shape.description} with no distinctive prefix: recognised only as the value of a name holding ${row.keywords.join(' / ')} (KEY=value, key: value, "key": "value", key => value). Generated from the keyword-providers table (src/rules/packs/keyword-table.ts).`,
    examples: {
      match: [`${name}_API_KEY=${row.example}`, `{"${row.keywords[0]}_secret": "${row.example}"}`],
      noMatch: [`SOME_OTHER_SETTING=${row.example}`, `${name}_API_KEY=\${${name}_API_KEY}`, `${name}_API_KEY=${row.example.slice(0, Math.floor(row.example.length / 2))}`],
    },
  };
}

/**
 * When `data` is a keyword-provider table (it has `providers`), its rules, each with the key of
 * its shape's group (`<family>.<shape>`, ../keyword-groups.ts); null for any other data. Throws
 * SseredactError('rule') naming the file and row on a malformed table or a row whose shape is not
 * defined.
 */
export function keywordTableRules(data: unknown, where: string, defaults: EntryDefaults): LoadedRuleSpec[] | null {
  if (!isRecord(data) || !('providers' in data)) return null;
  const { family, shapes, providers } = data;
  if (typeof family !== 'string') throw new SseredactError('rule', `${where}: family: expected the name of the table`);
  if (!isRecord(shapes)) throw new SseredactError('rule', `${where}: shapes: expected a table of token shapes`);
  if (!Array.isArray(providers)) throw new SseredactError('rule', `${where}: providers: expected a list`);
  const known = new Map(Object.entries(shapes).map(([name, value]) => [name, readShape(where, name, value)]));
  const shapeNames: string[] = [];
  const rules = providers.map((value, index) => {
    const row = readRow(where, index, value);
    const shape = known.get(row.shape);
    if (shape === undefined) throw new SseredactError('rule', `${where}: providers[${index}] (${row.id}): unknown shape ${JSON.stringify(row.shape)}`);
    shapeNames.push(row.shape);
    return ruleOfRow(row, shape);
  });
  return parseRuleFile({ rules }, where, defaults).map((spec, index) => {
    const shape = shapeNames[index]!;
    return { ...spec, keywordGroup: { id: `${family}.${shape}`, tail: tailOf(known.get(shape)!) } };
  });
}
