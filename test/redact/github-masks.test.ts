/**
 * `--github-masks` (rules/github-masks.ts, engine/literal/github-masks.ts): GitHub Actions'
 * `::add-mask::VALUE` lines are redacted, and VALUE (with its encodings) is a secret from the
 * byte after it on. DESIGN §3.1 holds with masks added mid-stream: on both engines, every
 * chunking (whole, 1 byte, 7 bytes, random cuts) gives the bytes and findings of an oracle that
 * reads the whole input line by line. fast-check prints the seed; SSEREDACT_FUZZ_RUNS=N runs more cases
 * (default 60).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { MAX_COMMAND_BYTES } from '../../src/engine/literal/github-masks.js';
import { selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createStreamRedactor } from '../../src/redact/redactor.js';
import { GITHUB_COMMAND_RULE_ID, GITHUB_MASK_RULE_ID, withGithubMaskRules } from '../../src/rules/github-masks.js';
import { literalForms, literalRules } from '../../src/rules/load/literals.js';
import { type RuleSet, compileRuleSet } from '../../src/rules/ruleset.js';
import type { RuleSpec } from '../../src/types.js';
import { type OracleFinding, oracleFindings, oracleRedactFindings } from '../oracle.js';
import { TEMPLATE, cutAt, everyBytes, redactChunks } from '../support.js';

const RUNS = Number(process.env.SSEREDACT_FUZZ_RUNS ?? 60);

const ENGINES: Array<[string, Engine]> = [['ts', tsEngine]];
if (!('error' in loadAddon())) ENGINES.push(['vectorscan', selectEngine('vectorscan', undefined, { cacheDirectory: null })]);

const REGEX_RULES: RuleSpec[] = [
  { id: 'gh', regex: 'ghp_[A-Za-z0-9]{8}' },
  { id: 'pw', regex: '(?i)pass(?:word)?\\s*[=:]\\s*([^\\s]{3,12})', secretGroup: 1 },
];

/** A command line as the runner reads it, at the start of `line`: [offset of its `::`, raw VALUE], or null. */
function commandOf(line: string): [number, string] | null {
  const command = /^[ \t\v\f]*(::add-mask(?:::| .*?::))(.*)$/is.exec(line);
  return command ? [line.indexOf('::'), command[2]!] : null;
}

/** The oracle of masks: each line (cut at CR and LF) is searched for the values of the command lines before it, leftmost-longest. */
function oracleMaskFindings(input: Uint8Array, commandRule: number, maskRule: number): OracleFinding[] {
  const text = Buffer.from(input).toString('latin1');
  const findings: OracleFinding[] = [];
  const forms: string[] = [];
  let at = 0;
  for (const line of text.split(/[\r\n]/)) {
    if (forms.length > 0) {
      const alternation = new RegExp(
        [...forms]
          .sort((a, b) => b.length - a.length)
          .map((form) => form.replace(/[^\w]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
          .join('|'),
        'g',
      );
      for (const m of line.matchAll(alternation)) {
        const span = { start: at + m.index, end: at + m.index + m[0].length };
        findings.push({ ruleId: GITHUB_MASK_RULE_ID, rule: maskRule, match: span, secret: span });
      }
    }
    const command = commandOf(line);
    if (command) {
      const span = { start: at + command[0], end: at + line.length };
      findings.push({ ruleId: GITHUB_COMMAND_RULE_ID, rule: commandRule, match: span, secret: span });
      const value = command[1].replace(/%25/gi, '%').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
      for (const part of value.split(/\r\n|\r|\n/)) {
        if (part.length < 4) continue;
        const bytes = Buffer.from(part, 'latin1');
        const utf8 = bytes.toString('utf8');
        forms.push(...(Buffer.from(utf8, 'utf8').equals(bytes) ? literalForms({ id: 'v', literals: [utf8], encodings: true }) : [part]));
      }
    }
    at += line.length + 1;
  }
  return findings;
}

function masked(engine: Engine): RuleSet {
  return withGithubMaskRules(compileRuleSet([...REGEX_RULES, ...literalRules(['hunter2-prod'], { id: 'lit' })], { engine, maxMatch: 256 }));
}

function oracleOf(ruleSet: RuleSet, input: Uint8Array) {
  const base = ruleSet.rules.filter((rule) => rule.literals !== 'stream');
  const commandRule = ruleSet.rules.find((rule) => rule.id === GITHUB_COMMAND_RULE_ID)!.index;
  const maskRule = ruleSet.rules.find((rule) => rule.id === GITHUB_MASK_RULE_ID)!.index;
  return oracleRedactFindings([...oracleFindings(base, input), ...oracleMaskFindings(input, commandRule, maskRule)], input, TEMPLATE, ruleSet.rules);
}

/** Pieces that make command lines, near misses, values and their encodings meet in every order. */
const PIECES = [
  '::add-mask::',
  '::ADD-Mask ',
  'a=b::',
  '::add-mask:',
  '::add-masks::',
  '  ',
  '\t',
  'tok-4711',
  'tok-4711-long',
  Buffer.from('xtok-4711-long').toString('base64'),
  'tok%2D4711',
  '%0A',
  '%25',
  'hunter2-prod',
  'password=s3cret!',
  'ghp_abcdEF12',
  'é',
  ':',
  ' ',
  '\n',
  '\r',
  '\r\n',
  'x',
];

describe.each(ENGINES)('::add-mask:: in the stream, %s engine', (_name, engine) => {
  const ruleSet = masked(engine);

  test('every chunking gives the oracle bytes and findings', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(PIECES.length - 1), { maxLength: 60 }), fc.array(fc.nat(400)), (picks, cuts) => {
        const input = Buffer.from(picks.map((pick) => PIECES[pick]).join(''), 'utf8');
        const want = oracleOf(ruleSet, input);
        const wantFindings = want.findings.map((f) => [f.ruleId, f.match.start, f.match.end]);
        const chunkings: Array<[string, Uint8Array[]]> = [
          ['whole', [input]],
          ['1 byte', everyBytes(input, 1)],
          ['7 bytes', everyBytes(input, 7)],
          ['random', cutAt(input, cuts)],
        ];
        for (const [label, chunks] of chunkings) {
          const got = redactChunks(ruleSet, chunks);
          expect({ label, output: got.output.toString('latin1') }).toEqual({ label, output: want.output.toString('latin1') });
          expect({ label, findings: got.findings.map((f) => [f.ruleId, f.match.start, f.match.end]) }).toEqual({ label, findings: wantFindings });
        }
      }),
      { numRuns: RUNS },
    );
  });

  test.each([
    [
      'a value before its command is not a secret',
      'tok-4711 early\n::add-mask::tok-4711\ntok-4711 late\n',
      'tok-4711 early\n[REDACTED:github-add-mask]\n[REDACTED:github-mask] late\n',
    ],
    ['properties, blanks, CRLF and case', '  ::Add-Mask k=v::tok-4711\r\ntok-4711\r\n', '  [REDACTED:github-add-mask]\r\n[REDACTED:github-mask]\r\n'],
    ['a multi-line value masks each line', '::add-mask::line-one%0Aline-two\nline-two, line-one\n', '[REDACTED:github-add-mask]\n[REDACTED:github-mask], [REDACTED:github-mask]\n'],
    ['encodings, as --literal has them', '::add-mask::p@ss w0rd!\np%40ss%20w0rd! "p@ss w0rd!"\n', '[REDACTED:github-add-mask]\n[REDACTED:github-mask] "[REDACTED:github-mask]"\n'],
    ['not at a line start: not a command', 'echo ::add-mask::tok-4711\ntok-4711\n', 'echo ::add-mask::tok-4711\ntok-4711\n'],
    ['a command at the stream end without a line break', 'x\n::add-mask::tok-4711', 'x\n[REDACTED:github-add-mask]'],
  ])('%s', (_label, input, want) => {
    expect(redactChunks(ruleSet, everyBytes(Buffer.from(input), 1)).output.toString('latin1')).toBe(want);
    expect(redactChunks(ruleSet, [Buffer.from(input)]).output.toString('latin1')).toBe(want);
  });

  test('a command line that ends in an earlier value (still undecided at its line break) reports that value too', () => {
    const input = Buffer.from('::add-mask::tok-4711-long\n::add-mask::tok-4711\n::add-mask::x tok-4711\nz tok-4711-long\n');
    const want = oracleOf(ruleSet, input).findings.map((f) => [f.ruleId, f.match.start, f.match.end]);
    expect(want).toContainEqual([GITHUB_MASK_RULE_ID, 61, 69]);
    for (const chunks of [[input], everyBytes(input, 1)]) expect(redactChunks(ruleSet, chunks).findings.map((f) => [f.ruleId, f.match.start, f.match.end])).toEqual(want);
  });

  test('a partly received command line is held back, and nothing before it', () => {
    const redactor = createStreamRedactor(ruleSet, { replacement: TEMPLATE, locate: false });
    const out = (chunk: string) => Buffer.from(redactor.write(Buffer.from(chunk))).toString('latin1');
    expect(out('step 1 done\n  ')).toBe('step 1 done\n  ');
    expect(out('::add-m')).toBe('');
    expect(out('ask::tok-47')).toBe('');
    expect(out('11\nnext tok-47')).toBe('[REDACTED:github-add-mask]\nnext ');
    expect(out('11 ok\n')).toBe('[REDACTED:github-mask] ok\n');
    expect(Buffer.from(redactor.end()).toString('latin1')).toBe('');
  });

  test('a command line longer than the cap is redacted in pieces (bounded holdback) and its value is not masked', () => {
    const warnings: string[] = [];
    const capped = withGithubMaskRules(compileRuleSet([], { engine, maxMatch: 256 }), { onWarning: (message) => warnings.push(message) });
    const value = 'v'.repeat(MAX_COMMAND_BYTES * 2 + 100);
    const input = Buffer.from(`::add-mask::${value}\nafter\n`);
    const redactor = createStreamRedactor(capped, { replacement: TEMPLATE, locate: false });
    const pieces: Uint8Array[] = [];
    let maxHeld = 0;
    for (const chunk of everyBytes(input, 1000)) {
      pieces.push(redactor.write(chunk));
      maxHeld = Math.max(maxHeld, redactor.heldBytes);
    }
    pieces.push(redactor.end());
    const output = Buffer.concat(pieces).toString('latin1');
    // Long regions are replaced piece by piece (MAX_REGION): markers only, then the next line.
    expect(output).toMatch(/^(\[REDACTED:github-add-mask\])+\nafter\n$/);
    expect(maxHeld).toBeLessThanOrEqual(MAX_COMMAND_BYTES + 1000);
    expect(warnings).toEqual([expect.stringContaining('longer than')]);
  });

  test('a value shorter than 4 bytes is not masked, with a warning that does not name it', () => {
    const warnings: string[] = [];
    const short = withGithubMaskRules(compileRuleSet([], { engine, maxMatch: 256 }), { onWarning: (message) => warnings.push(message) });
    expect(redactChunks(short, [Buffer.from('::add-mask::abc\nabc\n')]).output.toString('latin1')).toBe('[REDACTED:github-add-mask]\nabc\n');
    expect(warnings).toEqual([expect.stringContaining('value of 3 bytes not masked')]);
  });
});
