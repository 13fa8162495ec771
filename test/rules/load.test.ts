/** Rule files: our own schema in JSON, YAML and TOML; gitleaks import; validation errors. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileRules } from '../../src/rules/compile.js';
import { loadRuleFile, parseRuleText } from '../../src/rules/load/file.js';
import { findSecrets } from './helpers.js';

const fixture = (name: string): string => join(import.meta.dirname, '../../fixtures/rules', name);

describe('own schema', () => {
  test.each(['own/rules.json', 'own/rules.yaml', 'own/rules.toml'])('%s loads the same rule', (name) => {
    const specs = loadRuleFile(fixture(name));
    expect(specs).toHaveLength(1);
    const [spec] = specs;
    expect(spec).toMatchObject({
      id: 'acme-token',
      regex: '\\bacme_[0-9a-f]{32}\\b',
      keywords: ['acme_'],
      predicates: { minEntropy: 3, placeholders: true },
      source: fixture(name),
      examples: { match: ['ACME=acme_0f9e8d7c6b5a49382716a5b4c3d2e1f0'], noMatch: ['acme_00000000000000000000000000000000'] },
    });
    const [rule] = compileRules(specs);
    expect(findSecrets(rule!, Buffer.from(spec!.examples!.match[0]!))).toHaveLength(1);
    expect(findSecrets(rule!, Buffer.from(spec!.examples!.noMatch[0]!))).toHaveLength(0);
  });

  // Each error must name the file, the rule id and the field.
  test.each([
    ['missing regex', '{"rules":[{"id":"a"}]}', /x\.json: rule a: regex: missing/],
    ['regex of wrong type', '{"rules":[{"id":"a","regex":1}]}', /x\.json: rule a: regex: expected a string, got number 1/],
    ['entropy out of range', '{"rules":[{"id":"a","regex":"x","entropy":9}]}', /rule a: entropy: 9 is outside 0\.\.8/],
    ['secretGroup not an integer', '{"rules":[{"id":"a","regex":"(x)","secretGroup":1.5}]}', /rule a: secretGroup: expected an integer/],
    ['secretGroup list naming group 0', '{"rules":[{"id":"a","regex":"(x)","secretGroup":[0,1]}]}', /rule a: secretGroup\[0\]: 0 is outside 1\.\.1000/],
    ['secretGroup list with a string', '{"rules":[{"id":"a","regex":"(x)","secretGroup":[1,"2"]}]}', /rule a: secretGroup\[1\]: expected a number/],
    ['unknown validator', '{"rules":[{"id":"a","regex":"x","validator":"md5"}]}', /rule a: validator: unknown validator "md5"/],
    ['unknown field', '{"rules":[{"id":"a","regex":"x","regexp":"y"}]}', /rule a: regexp: unknown field/],
    ['keyword not a string', '{"rules":[{"id":"a","regex":"x","keywords":["k",2]}]}', /rule a: keywords\[1\]: expected a string/],
    ['bad allowlist target', '{"rules":[{"id":"a","regex":"x","allowlists":[{"regexTarget":"path"}]}]}', /rule a: allowlists\[0\]\.regexTarget: expected secret, match or line/],
    ['bad id', '{"rules":[{"id":"a b","regex":"x"}]}', /x\.json: rules\[0\]: id: expected a name/],
    ['duplicate id', '{"rules":[{"id":"a","regex":"x"},{"id":"a","regex":"y"}]}', /x\.json: rule a: id: duplicate/],
    ['no rules list', '{"rule":[]}', /x\.json: rules: expected a list of rule tables/],
    ['invalid JSON', '{"rules":[', /x\.json: invalid JSON/],
  ])('%s', (_name, text, message) => {
    expect(() => parseRuleText(text, 'x.json')).toThrow(message);
  });

  // A list names the groups of different alternatives; every match must fill one of them, or the
  // in-flight analysis (which holds only their bytes) would let a whole-match secret through.
  test('a secretGroup list: the first group that matched is the secret, and every match must fill one', () => {
    const [rule] = compileRules(parseRuleText('{"rules":[{"id":"kv","regex":"key=\\"([^\\"]{4,})\\"|<key>([^<]{4,})<","secretGroup":[1,2]}]}', 'kv.json').specs);
    const secrets = (text: string) => findSecrets(rule!, Buffer.from(text)).map((finding) => finding.secret);
    expect(secrets('key="a<b>c" and <key>d"ef</key>')).toEqual(['a<b>c', 'd"ef']);
    const compile = (regex: string, groups: string) => () =>
      compileRules(parseRuleText(`{"rules":[{"id":"kv","regex":${JSON.stringify(regex)},"secretGroup":${groups}}]}`, 'kv.json').specs);
    expect(compile('a(x)|b(y)?', '[1,2]')).toThrow(/rule kv \(kv\.json\): secretGroup \[1, 2\]: a match may fill none of these groups/);
    expect(compile('a(x)|b(y*)', '[1,2]')).toThrow(/a match may fill none of these groups/);
    expect(compile('a(x)|b(y)', '[1,3]')).toThrow(/secretGroup 3 does not exist \(the regex has 2 groups\)/);
    expect(compile('a(x)|b(y)', '[]')).toThrow(/secretGroup \[\]: a match may fill none/);
    expect(compile('(?:a(x)|b(y))+', '[1,2]')).not.toThrow();
  });

  test('a bad regex is named with the rule and file by the compiler', () => {
    const specs = parseRuleText('rules:\n  - id: broken\n    regex: "(a"\n', 'broken.yaml').specs;
    expect(() => compileRules(specs)).toThrow(/rule broken \(broken\.yaml\): bad regex/);
  });

  test('an unreadable file is an io error naming it', () => {
    expect(() => loadRuleFile('/nonexistent/rules.toml')).toThrow(/\/nonexistent\/rules\.toml: cannot read rule file: ENOENT/);
  });

  test('the format is detected from the content when the extension says nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sseredact-rules-'));
    const path = join(dir, 'rules');
    writeFileSync(path, 'rules:\n  - id: y\n    regex: "yy+"\n');
    expect(loadRuleFile(path).map((spec) => spec.id)).toEqual(['y']);
  });
});

describe('gitleaks import', () => {
  test('the default gitleaks config loads completely but for its one path-only rule, named with the reason', () => {
    const warnings: string[] = [];
    const specs = loadRuleFile(fixture('gitleaks/gitleaks.toml'), { onNote: (line) => warnings.push(line) });
    expect(specs).toHaveLength(221);
    const notLoaded = warnings.filter((line) => line.includes('not loaded'));
    expect(notLoaded).toEqual([`${fixture('gitleaks/gitleaks.toml')}: rule pkcs12-file not loaded: path-only rule: it matches file names, not content`]);
    // Every loaded rule compiles: a rule that could not would abort the program.
    expect(compileRules(specs)).toHaveLength(221);
  });

  test('gitleaks rules keep their secretGroup, entropy and allowlists', () => {
    const specs = loadRuleFile(fixture('gitleaks/gitleaks.toml'));
    const rules = compileRules(specs);
    const find = (id: string, text: string): string[] => findSecrets(rules.find((rule) => rule.id === id)!, Buffer.from(text)).map((f) => f.secret);
    expect(find('aws-access-token', 'key=AKIA3SQC2PRH67RHILAS ')).toEqual(['AKIA3SQC2PRH67RHILAS']);
    // rule-level allowlist (.+EXAMPLE$)
    expect(find('aws-access-token', 'key=AKIAIOSFODNN7EXAMPLE ')).toEqual([]);
    // secretGroup 1 by default: the secret is the group, not the match with its delimiter
    expect(find('gcp-api-key', 'k="AIzaUazCzq83vP7H7K6xw0hSUK_D-pf_Crv8MVB"')).toEqual(['AIzaUazCzq83vP7H7K6xw0hSUK_D-pf_Crv8MVB']);
    // global allowlist regexes: a ${VAR} secret is dropped
    expect(find('generic-api-key', 'api_key = "${API_KEY_VALUE}"')).toEqual([]);
    expect(find('generic-api-key', 'api_key = "Zq8Lr2Vx9Kp4Wm7Tn3Bc"')).toEqual(['Zq8Lr2Vx9Kp4Wm7Tn3Bc']);
  });

  test('a small gitleaks config: path filter, line allowlist, global stopwords, path-only rule', () => {
    const result = parseRuleText(readFileSync(fixture('own/minimal-gitleaks.toml'), 'utf8'), 'small.toml');
    expect(result.kind).toBe('gitleaks');
    expect(result.skipped).toEqual([{ id: 'keystore-file', reason: 'path-only rule: it matches file names, not content' }]);
    const [spec] = result.specs;
    expect(spec).toMatchObject({ id: 'acme-token', secretGroup: 'first-non-empty', paths: ['\\.env$'], source: 'small.toml' });
    const [rule] = compileRules(result.specs);
    const secret = Buffer.from('0f9e8d7c6b5a49382716a5b4c3d2e1f0');
    expect(rule!.keep!(secret)).toBe(true);
    expect(rule!.keep!(secret, { line: Buffer.from('acme_token = "..." # fixture') })).toBe(false);
    expect(rule!.keep!(Buffer.from('0f9e8d7c6b5adeadbeef82716a5b4c3d'))).toBe(false);
  });

  test('the Betterleaks config loads; what it cannot say is named', () => {
    const result = parseRuleText(readFileSync(fixture('betterleaks/betterleaks.toml'), 'utf8'), 'betterleaks.toml');
    expect(result.kind).toBe('gitleaks');
    expect(result.skipped.every((skip) => skip.reason.length > 0)).toBe(true);
    expect(result.specs.length + result.skipped.length).toBe(412);
    expect(compileRules(result.specs)).toHaveLength(result.specs.length);
  });
});
