/**
 * DESIGN §3.4, minimal holdback inside a line, on the built-in secrets pack and every engine this
 * machine has: each row writes `input` up to `cut` in one chunk and names exactly what must have
 * left by then; what stays back is only what the secret of a match still in flight could cover
 * (a partial anchor, the current token of a class-run rule, a value whose end is not seen yet).
 * Then the rest is written and the stream ended: the whole output must be the oracle's.
 */
import { describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createStreamRedactor } from '../../src/redact/redactor.js';
import { chooseRuleSpecs } from '../../src/rules/choose.js';
import { oracleRedact } from '../oracle.js';
import { TEMPLATE, ruleSetOf } from '../support.js';

const PAT = `ghp_${'Zq8Lr2Vx9Kp4Wm7Tn3BcQ'.repeat(2).slice(0, 36)}`;

/** [label, input, cut (default: the whole input), the output after writing input[0, cut)]. */
const ROWS: ReadonlyArray<readonly [string, string, number | null, string]> = [
  [
    '62 bytes of prose, no newline, ending in punctuation',
    'The quick brown fox jumps over the lazy dog; then we all wait!',
    null,
    'The quick brown fox jumps over the lazy dog; then we all wait!',
  ],
  // The current word could be the head of a class-run rule whose secret is the whole match, such
  // as terraform-cloud-token's `\b[A-Za-z0-9]{14}\.atlasv1\.` or azure-devops-pat's `[A-Za-z0-9]{52}AZDO`.
  [
    'prose ending inside a word holds only that word',
    'The quick brown fox jumps over the lazy dog while we wait here',
    null,
    'The quick brown fox jumps over the lazy dog while we wait ',
  ],
  ['a partial keyword is a word like any other', 'Enter your passw', null, 'Enter your '],
  ['a cut inside a clean line', 'build step 3 of 12 finished in 4.2 s, 0 warnings', 'build step 3 of'.length, 'build step 3 '],
  // A known excess: the analysis drops `^`, so `it.` may start azure-ad-client-secret's
  // `(?:^|[^A-Za-z0-9_~.\n-])([A-Za-z0-9_~.]{3}[0-9]Q~…` although `a` comes before it.
  ['a word with a dot ending the text', 'then we all wait.', null, 'then we all wa'],
  ['a \\r progress bar', 'Downloading  45% [=========>          ] 12.3 MB/s\r', null, 'Downloading  45% [=========>          ] 12.3 MB/s\r'],
  ['a password prompt', 'Password: ', null, 'Password: '],
  ['an assignment waiting for its value', 'export OPENAI_API_KEY=', null, 'export OPENAI_API_KEY='],
  ['a header waiting for its value', 'curl -X POST --header "Api-Token: ', null, 'curl -X POST --header "Api-Token: '],
  ['a partial anchor', 'my key is sk-ant-ap', null, 'my key is '],
  ['a value whose end is not seen yet leaves its key', 'DB_PASSWORD=Zq8Lr2Vx9Kp4 # rotate', 'DB_PASSWORD=Zq8Lr2'.length, 'DB_PASSWORD='],
  ['a quoted value whose end is not seen yet leaves its key and quote', 'password = "Zq8L</Vx9Kp4" # rotate', 'password = "Zq8L</V'.length, 'password = "'],
  ['a tagged value whose end is not seen yet leaves its tag', '<password>Zq8Lr2Vx9Kp4</password>', '<password>Zq8Lr2'.length, '<password>'],
  ['a token whose end is not seen yet', `token ${PAT} ok`, `token ${PAT}`.length, 'token '],
  ['a complete line with a secret, then prose', 'key AKIAZ7VQ3XJ5K2LMN4PQ\nand then some more prose', null, 'key [REDACTED:aws-access-key-id]\nand then some more '],
];

const ENGINES: Array<[string, Engine]> = [['ts', tsEngine]];
if (!('error' in loadAddon())) ENGINES.push(['vectorscan', selectEngine('vectorscan')]);

describe.each(ENGINES)('holdback within a line on the secrets pack, %s engine', (_name, engine) => {
  const ruleSet = ruleSetOf(chooseRuleSpecs({ source: 'test' }), engine);

  test.each(ROWS)('%s', (_label, text, cut, want) => {
    const input = Buffer.from(text, 'latin1');
    const at = cut ?? input.length;
    const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE });
    const first = Buffer.from(redactor.write(input.subarray(0, at))).toString('latin1');
    expect(first).toBe(want);
    const rest = Buffer.concat([redactor.write(input.subarray(at)), redactor.end()]).toString('latin1');
    expect(first + rest).toBe(oracleRedact(ruleSet.rules, input, TEMPLATE).output.toString('latin1'));
  });

  // A source reading ahead (StreamRedactor.write's isFollowed): the line's unfinished end waits
  // for the next write, and an empty one, written when the next read finds nothing, lets go of
  // exactly what the row says.
  test.each(ROWS)('%s, written as followed, then an empty write', (_label, text, cut, want) => {
    const input = Buffer.from(text, 'latin1');
    const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE });
    const followed = Buffer.from(redactor.write(input.subarray(0, cut ?? input.length), true)).toString('latin1');
    const settled = Buffer.from(redactor.write(new Uint8Array(0))).toString('latin1');
    expect({ isPrefix: want.startsWith(followed), whole: followed + settled }).toEqual({ isPrefix: true, whole: want });
  });
});
