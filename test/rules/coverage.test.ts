/**
 * The secrets pack covers every provider family of the two reference configs (issue 5): each rule
 * id of gitleaks' and Betterleaks' default configs maps to a family file of ours. The configs are
 * copied in fixtures/rules/ with their licence.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { expect, test } from 'vitest';
import { loadPack } from '../../src/rules/packs/index.js';

/** First word of a reference id -> our family, where they differ. */
const FAMILY_OF_PREFIX: Record<string, string> = {
  '1password': 'onepassword',
  gcp: 'google',
  curl: 'generic',
  hashicorp: 'terraform',
  microsoft: 'microsoft-teams',
  new: 'newrelic',
  private: 'private-key',
  weights: 'weights-and-biases',
  canadian: 'canadian-notify',
  redirect: 'redirect-pizza',
  val: 'val-town',
  defined: 'defined-networking',
  langchain: 'langsmith',
  dockerhub: 'docker',
  data: 'datagov',
  generic: 'generic',
};
/** Reference rules we do not port, with the reason. */
const NOT_PORTED: Record<string, string> = {
  'pkcs12-file': 'matches file names (*.p12), not content: a stream redactor never sees a file name',
};

const fixture = (name: string): string => join(import.meta.dirname, '../../fixtures/rules', name);

test.each(['gitleaks/gitleaks.toml', 'betterleaks/betterleaks.toml'])('every provider family of %s has a family file', (name) => {
  const config = parse(readFileSync(fixture(name), 'utf8')) as { rules: Array<{ id: string }> };
  const families = new Set(loadPack('secrets').map((spec) => spec.source!.split('/').pop()));
  const missing = config.rules
    .map((rule) => rule.id.replace(/\.\d+$/, ''))
    .filter((id) => !(id in NOT_PORTED))
    .map((id) => [id, FAMILY_OF_PREFIX[id.split('-')[0]!] ?? id.split('-')[0]!] as const)
    .filter(([, family]) => !families.has(family))
    .map(([id, family]) => `${id} -> ${family}`);
  expect(missing).toEqual([]);
});
