/**
 * Keyword groups (src/rules/keyword-groups.ts): the keyword-provider rules of one shape compile as
 * one rule, and each finding still carries the provider's rule id, in the streaming redactor (each
 * chunking) as in the oracle; list and SARIF consumers see the providers.
 */
import { describe, expect, test } from 'vitest';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createVectorscanEngine } from '../../src/engine/vectorscan/engine.js';
import { findingRuleId, groupKeywordRules, ruleIdentities } from '../../src/rules/keyword-groups.js';
import type { LoadedRuleSpec } from '../../src/rules/load/schema.js';
import { loadPack } from '../../src/rules/packs/index.js';
import { keywordTableRules } from '../../src/rules/packs/keyword-table.js';
import { oracleFindings } from '../oracle.js';
import { everyBytes, redactChunks, ruleSetOf } from '../support.js';

const SHAPES = {
  hex32: { regex: '[0-9A-Fa-f]{32}', entropy: 3, description: '32 hex digits' },
  uuid: { regex: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', entropy: 3, description: 'a UUID' },
};
const HEX = '9f1c2b7e4a6d8c0f3e5b7a9d1c3e5f70';
const UUID = '3f2b8c1e-7a4d-4e9f-b6c0-1d2e3f4a5b6c';
const row = (id: string, keywords: string[], shape: string, example: string) => ({ id, provider: id, keywords, shape, example });
const ROWS = [
  row('acme-api-key', ['acme'], 'hex32', HEX),
  row('acmecorp-token', ['acmecorp'], 'hex32', HEX),
  row('zeta-secret', ['zeta', 'zeta_io'], 'hex32', HEX),
  row('omega-client', ['omega'], 'uuid', UUID),
];
const SPECS = keywordTableRules({ family: 'kw', shapes: SHAPES, providers: ROWS }, 'test', { source: 'test', placeholders: true })!;
const OTHER: LoadedRuleSpec = { id: 'other', regex: 'OTHER[0-9]{4}', description: 'another rule' };

describe('groupKeywordRules', () => {
  test('the rules of one shape become one rule at the place of the first; a shape of one stays its rule', () => {
    const grouped = groupKeywordRules([OTHER, ...SPECS]);
    expect(grouped.map((spec) => spec.id)).toEqual(['other', 'kw.hex32', 'omega-client']);
    expect(grouped[1]).toMatchObject({ keywords: ['acme', 'acmecorp', 'zeta', 'zeta_io'], secretGroup: 1, predicates: { minEntropy: 3, placeholders: true } });
    expect(grouped[2]).toBe(SPECS[3]);
  });

  test('a rule left out before grouping (--disable, a replacing rule) is not in the group', () => {
    const grouped = groupKeywordRules(SPECS.filter((spec) => spec.id !== 'zeta-secret'));
    expect(ruleIdentities(ruleSetOf(grouped).rules).map((rule) => rule.id)).toEqual(['acme-api-key', 'acmecorp-token', 'omega-client']);
    expect((grouped[0] as LoadedRuleSpec).regex).not.toContain('zeta');
  });

  test('a shape with more providers than a group holds makes several groups, each named after the first', () => {
    const many = Array.from({ length: 45 }, (_, i) => row(`p${i}-key`, [`prov${String(i).padStart(2, '0')}`], 'hex32', HEX));
    const specs = keywordTableRules({ family: 'kw', shapes: SHAPES, providers: many }, 'test', { source: 'test', placeholders: true })!;
    expect(groupKeywordRules(specs).map((spec) => spec.id)).toEqual(['kw.hex32', 'kw.hex32.2']);
    const { findings } = redactChunks(ruleSetOf(specs), [Buffer.from(`PROV03_KEY=${HEX}\nprov44_token: ${HEX}\n`)]);
    expect(findings.map((finding) => finding.ruleId)).toEqual(['p3-key', 'p44-key']);
  });

  test('a grouped rule set lists the providers, with their descriptions', () => {
    const identities = ruleIdentities(ruleSetOf([OTHER, ...SPECS]).rules);
    expect(identities.map((rule) => rule.id)).toEqual(['other', 'acme-api-key', 'acmecorp-token', 'zeta-secret', 'omega-client']);
    expect(identities[1]).toMatchObject({ source: 'test', description: expect.stringContaining('acme') });
  });
});

describe('findings of a group are named after the provider', () => {
  const ruleSet = ruleSetOf([OTHER, ...SPECS]);
  const input = Buffer.from(
    [`ACME_API_KEY=${HEX}`, `export ACMECORP_TOKEN="${HEX}"`, `{"Zeta_IO_secret": "${HEX}"}`, `OMEGA_CLIENT=${UUID}`, `ACME_KEY=${HEX}ab`, 'OTHER1234'].join('\n'),
    'latin1',
  );
  const want = ['acme-api-key', 'acmecorp-token', 'zeta-secret', 'omega-client', 'other'];

  test.each([
    ['whole', [input]],
    ['1-byte chunks', everyBytes(input, 1)],
    ['7-byte chunks', everyBytes(input, 7)],
  ])('streaming, %s', (_label, chunks) => {
    const { output, findings } = redactChunks(ruleSet, chunks);
    expect(findings.map((finding) => finding.ruleId)).toEqual(want);
    expect(output.toString('latin1')).toContain('ACME_API_KEY=[REDACTED:acme-api-key]');
    expect(output.toString('latin1')).toContain('"Zeta_IO_secret": "[REDACTED:zeta-secret]"');
  });

  test('the oracle names them the same way', () => {
    expect(
      oracleFindings(ruleSet.rules, input)
        .sort((a, b) => a.secret.start - b.secret.start)
        .map((finding) => finding.ruleId),
    ).toEqual(want);
  });

  test('the longest keyword the match begins with names it', () => {
    const [group] = ruleSetOf(SPECS).rules;
    expect(findingRuleId(group!, Buffer.from(`AcMeCoRp_key=${HEX}`))).toBe('acmecorp-token');
    expect(findingRuleId(group!, Buffer.from(`acme_key=${HEX}`))).toBe('acme-api-key');
  });
});

const addon = loadAddon();

// A group too large for Vectorscan would run on the ts engine inside the Vectorscan scanner (see
// MAX_MEMBERS): slower, and silently so.
test.skipIf(!('addon' in addon))('Vectorscan scans every keyword group of the secrets pack itself, none is left to the fallback engine', () => {
  const rules = ruleSetOf(loadPack('secrets')).rules.filter((rule) => rule.literals === null);
  const engine = createVectorscanEngine((addon as { addon: Parameters<typeof createVectorscanEngine>[0] }).addon, { fallback: tsEngine });
  const { modes } = engine.compile(rules).stats;
  const groups = rules.flatMap((rule, position) => ('members' in rule.spec ? [`${rule.id}: ${modes[position]}`] : []));
  expect(groups.length).toBeGreaterThan(10);
  expect(groups.filter((group) => group.endsWith(': fallback'))).toEqual([]);
});
