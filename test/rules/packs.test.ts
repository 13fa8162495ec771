/**
 * Every rule of every built-in pack against its own examples, through the rule compiler and the
 * oracle's matching (the printed JS RegExp, secretGroup, predicates): each `match` example must
 * give a finding, each `noMatch` example none.
 */
import { describe, expect, test } from 'vitest';
import { compileRules } from '../../src/rules/compile.js';
import type { LoadedRuleSpec } from '../../src/rules/load/schema.js';
import { listPacks, loadPack } from '../../src/rules/packs/index.js';
import { oracleFindings } from '../oracle.js';
import { canStartWithNewline, findSecrets, hasUnboundedRepeat } from './helpers.js';

const packs = listPacks();

test('the secrets pack is present', () => {
  expect(packs).toContain('secrets');
});

describe.each(packs)('pack %s', (pack) => {
  const specs: LoadedRuleSpec[] = loadPack(pack);
  const rules = compileRules(specs);
  const cases = rules.flatMap((rule, index) => {
    const examples = specs[index]!.examples;
    return [...(examples?.match ?? []).map((text) => ({ rule, text, want: true })), ...(examples?.noMatch ?? []).map((text) => ({ rule, text, want: false }))];
  });

  test('every rule has at least one match and one noMatch example', () => {
    const lacking = specs.filter((spec) => !spec.examples?.match.length || !spec.examples.noMatch.length).map((spec) => spec.id);
    expect(lacking).toEqual([]);
  });

  // A match should never need more than a few hundred bytes: only rules whose secret really has no
  // length limit (key blocks, JWTs) may leave a repeat to --max-match, and they must say so.
  test("every unbounded repeat is justified in the rule's format", () => {
    const unjustified = specs.filter((spec) => hasUnboundedRepeat(spec.regex) && !/maxMatch/.test(spec.format ?? '')).map((spec) => spec.id);
    expect(unjustified).toEqual([]);
  });

  // Keywords are what a prefilter may look for first: every match must hold one of them.
  test("every match of every example holds one of its rule's keywords", () => {
    const lacking = rules.flatMap((rule, index) => {
      const keywords = specs[index]!.keywords;
      if (keywords === undefined) return [];
      return (specs[index]!.examples?.match ?? []).flatMap((text) =>
        oracleFindings([rule], Buffer.from(text, 'latin1'))
          .map((finding) => text.slice(finding.match.start, finding.match.end).toLowerCase())
          .filter((match) => !keywords.some((keyword) => match.includes(keyword)))
          .map((match) => `${rule.id}: ${match.slice(0, 60)}`),
      );
    });
    expect(lacking).toEqual([]);
  });

  // A rule whose match may begin at a newline keeps every line end in flight, so no clean line
  // could leave before the next one arrives (DESIGN §3.4): use (?m)^ instead of (?:^|\n).
  test('no rule can start a match with a newline byte', () => {
    expect(specs.filter((spec) => canStartWithNewline(spec.regex)).map((spec) => spec.id)).toEqual([]);
  });

  test('every rule documents its format', () => {
    expect(specs.filter((spec) => !spec.format || !spec.description).map((spec) => spec.id)).toEqual([]);
  });

  test.each(cases.map((c) => [c.rule.id, c.want ? 'finds' : 'ignores', JSON.stringify(c.text).slice(0, 80), c] as const))('%s %s %s', (_id, _verb, _text, { rule, text, want }) => {
    const found = findSecrets(rule, Buffer.from(text, 'latin1'));
    if (want) expect(found.length, 'no finding').toBeGreaterThan(0);
    else expect(found.map((f) => f.secret)).toEqual([]);
  });
});

describe('loadPack', () => {
  test('both packs are listed', () => {
    expect(listPacks()).toEqual(['pii', 'secrets']);
  });

  test('pack fields map to RuleSpec: entropy, validator, allowlist, source, placeholders on', () => {
    const github = loadPack('secrets').find((spec) => spec.id === 'github-pat');
    expect(github).toMatchObject({
      regex: 'ghp_[0-9A-Za-z]{36}\\b',
      keywords: ['ghp_'],
      source: 'pack:secrets/github',
      predicates: { minEntropy: 3, validator: 'github-crc32', placeholders: true },
    });
    const aws = loadPack('secrets').find((spec) => spec.id === 'aws-access-key-id');
    expect(aws?.predicates?.allowlist).toEqual(['EXAMPLE$']);
  });

  test('PII rules carry their replacement', () => {
    const replacements = Object.fromEntries(loadPack('pii').map((spec) => [spec.id, spec.replacement]));
    expect(replacements).toMatchObject({ 'pii-email': '[EMAIL:{hash}]', 'pii-payment-card': '*4', 'pii-iban': '[IBAN]', 'pii-us-ssn': '[SSN]' });
  });

  test('callers get their own array: changing it does not change the next load', () => {
    const first = loadPack('secrets');
    const count = first.length;
    first.length = 0;
    expect(loadPack('secrets')).toHaveLength(count);
  });

  test('rule ids are unique across both packs', () => {
    const ids = [...loadPack('secrets'), ...loadPack('pii')].map((spec) => spec.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
