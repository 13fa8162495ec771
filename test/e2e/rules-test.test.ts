/**
 * `sseredact rules test` through bin/sseredact: after the findings it lists each candidate a
 * predicate dropped and names the predicate (issue 15), so a rule author sees why a sample that
 * looks like a secret gave nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { sseredact } from './cli.js';

const RULES = `rules:
  - id: demo-token
    description: demo token with every predicate
    regex: 'demo_([0-9A-Za-z-]{12})'
    secretGroup: 1
    entropy: 2.5
    stopwords: [sample]
    allowlist: ['^ALLOWED']
    placeholders: true
    examples: { match: ['demo_k3Vq8Lr2Vx9P'], noMatch: ['demo_aaaaaaaaaaaa'] }
  - id: demo-card
    description: demo Luhn number
    regex: 'card ([0-9]{16})'
    secretGroup: 1
    validator: luhn
    examples: { match: ['card 4111111111111111'], noMatch: ['card 4111111111111112'] }
`;

test('rules test names the predicate that dropped each candidate', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sseredact-rules-test-'));
  const rules = join(directory, 'rules.yaml');
  writeFileSync(rules, RULES);
  const input = ['demo_k3Vq8Lr2Vx9P', 'demo_aaaaaaaaaaaa', 'demo_sampleXy12Zq', 'demo_ALLOWEDxy12Z', 'demo_k3Vq-xxxx-L2', 'card 4111111111111112'].join('\n');
  const result = await sseredact(['rules', 'test', '--no-builtin', '--rules', rules, '-'], { input, reject: false });
  expect(result.exitCode).toBe(1);
  expect(
    Buffer.from(result.stdout as unknown as Uint8Array)
      .toString()
      .split('\n'),
  ).toEqual([
    'demo-token\t1:6\tbytes 5-17\t(12 bytes)',
    'demo-token\t2:6\tbytes 23-35\tdropped: entropy 0.00 < 1.43 (2.5 scaled to its length and alphabet)',
    'demo-token\t3:6\tbytes 41-53\tdropped: stopword',
    'demo-token\t4:6\tbytes 59-71\tdropped: allowlist',
    'demo-token\t5:6\tbytes 77-89\tdropped: placeholder',
    'demo-card\t6:6\tbytes 95-111\tdropped: checksum',
    '',
  ]);
});

test('rules list and rules test name a keyword provider, though its shape group scans as one rule', async () => {
  const list = Buffer.from((await sseredact(['rules', 'list'])).stdout as unknown as Uint8Array).toString();
  expect(list).toMatch(/^mixpanel-api-secret +pack:secrets\/keyword-providers +Mixpanel /m);
  expect(list).not.toMatch(/^keyword-providers\./m);
  const input = 'MIXPANEL_API_SECRET=Zd0xL2aWf13UPH9SInf7ltJmhpgmeXSd\nINFURA_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n';
  const result = await sseredact(['rules', 'test', '-'], { input, reject: false });
  const lines = Buffer.from(result.stdout as unknown as Uint8Array)
    .toString()
    .split('\n');
  expect(lines).toContain('mixpanel-api-secret\t1:21\tbytes 20-52\t(32 bytes)');
  expect(lines).toContain('infura-api-key\t2:12\tbytes 64-96\tdropped: entropy 0.00 < 2.40 (3 scaled to its length and alphabet)');
});
