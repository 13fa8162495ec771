/**
 * The adversarial table (issue 20): attacks that tried to get a secret out of the real
 * bin/sseredact, each row run on both engines (vectorscan where the addon is built, as in CI).
 * A row is a name, the CLI arguments and a list of attacks; its attacks go through one process,
 * one a line, and the row fails with the label of every attack whose secret leaks (attacks.ts).
 * To add an attack, add a row: nothing else changes.
 *
 * Rows that belong to other owners (EPIPE and ENOSPC on every output, JSON tricks in SSE) are
 * added by them in the same shape.
 */
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { MAX_REGION } from '../../src/redact/replace.js';
import { sseredact } from '../e2e/cli.js';
import { type Attack, KNOWN_LEAKS, type PackExample, joinAttacks, leaks, packExamples, plant } from './attacks.js';

interface Row {
  readonly name: string;
  readonly args: readonly string[];
  readonly attacks: () => Attack[];
  /** Checks on the whole output beyond "no secret leaks". */
  readonly check?: (output: Buffer) => void;
}

const isWordByte = (byte: number) => /\w/.test(String.fromCharCode(byte));

/** One byte of each class a log can put next to a token. */
const BYTE_CLASSES: Record<string, number> = {
  NUL: 0x00,
  'C0 control': 0x01,
  backspace: 0x08,
  tab: 0x09,
  'carriage return': 0x0d,
  ESC: 0x1b,
  space: 0x20,
  quote: 0x22,
  percent: 0x25,
  slash: 0x2f,
  colon: 0x3a,
  equals: 0x3d,
  backslash: 0x5c,
  backtick: 0x60,
  pipe: 0x7c,
  DEL: 0x7f,
  digit: 0x37,
  upper: 0x51,
  lower: 0x71,
  underscore: 0x5f,
  'C1 byte': 0x85,
  'NBSP (latin1)': 0xa0,
  'UTF-8 lead byte': 0xe2,
  'byte 0xff': 0xff,
};

/** Control sequences wrapped around a secret as terminals, CI logs and escaped logs carry them. */
const WRAPPERS: Record<string, [string, string]> = {
  'ANSI colour': ['\x1b[1;32m', '\x1b[0m'],
  'ANSI erase then CR': ['\r\x1b[K', '\x1b[K\r'],
  'cursor moves': ['\x1b[2A\x1b[10G', '\x1b[1B'],
  'OSC 8 hyperlink': ['\x1b]8;;https://x.example/\x07', '\x1b]8;;\x07'],
  'ESC as \\u001b in JSON': ['{"log":"\\u001b[31m', '\\u001b[0m\\n"}'],
  'JSON escapes': ['{"log":"a\\tb\\n', '\\r\\n"}'],
  'URL-encoded': ['GET /cb?a=1%26token%3D', '%26b=2 HTTP/1.1'],
  'NUL and BEL': ['\x00\x07', '\x07\x00'],
  backspaces: ['xx\b\b', '\b'],
};

const secretsPack = packExamples('secrets');
const piiPack = packExamples('pii');

/**
 * Every example after (or before) one byte of every class. In front, a word byte makes another
 * word only where the rule keeps a token boundary (src/rules/token-boundary.ts); after it, the
 * rule's right edge says which bytes end a token (a word byte after a fixed-length token, `:`
 * after an IPv6 address). On either side, where the rule alone no longer finds the secret there
 * is nothing to redact, and the attack is left out.
 */
function glued(examples: readonly PackExample[], side: 'before' | 'after'): Attack[] {
  return examples.flatMap((example) =>
    Object.entries(BYTE_CLASSES).flatMap(([name, byte]) => {
      const glue = String.fromCharCode(byte);
      if (side === 'before' && isWordByte(byte) && example.hasTokenBoundary) return [];
      const attack = side === 'before' ? plant(example, glue, '', `${example.rule} after ${name}`) : plant(example, '', glue, `${example.rule} before ${name}`);
      return example.isFoundIn(attack.text, attack.secrets[0]!) ? [attack] : [];
    }),
  );
}

/** `count` copies of `secret`, back to back: one secret as far as leaks go. */
function touching(secret: string, count: number, label: string): Attack {
  return { label, text: secret.repeat(count), secrets: [[0, secret.length * count]] };
}

/** The regions (replaced by `<{len}>`) cover the run, and none is wider than MAX_REGION plus one secret. */
function checkRegions(width: number) {
  return (output: Buffer) => {
    const lengths = [...output.toString('latin1').matchAll(/<(\d+)>/g)].map((match) => Number(match[1]));
    expect(lengths.filter((length) => length > MAX_REGION + width)).toEqual([]);
    expect(lengths.length).toBeGreaterThan(1);
  };
}

const ANTHROPIC_KEY = secretsPack.find((example) => example.rule === 'anthropic-api-key')!;
const anthropicSecret = ANTHROPIC_KEY.text.slice(...ANTHROPIC_KEY.secret);

const ROWS: Row[] = [
  { name: 'every byte class glued before every secrets-pack example', args: [], attacks: () => glued(secretsPack, 'before') },
  { name: 'every byte class glued after every secrets-pack example', args: [], attacks: () => glued(secretsPack, 'after') },
  { name: 'every byte class glued before every PII example', args: ['--pii'], attacks: () => glued(piiPack, 'before') },
  { name: 'every byte class glued after every PII example', args: ['--pii'], attacks: () => glued(piiPack, 'after') },
  {
    name: 'ANSI and other control sequences around every secrets-pack example',
    args: [],
    attacks: () => secretsPack.flatMap((example) => Object.entries(WRAPPERS).map(([name, [before, after]]) => plant(example, before, after, `${example.rule} in ${name}`))),
  },
  {
    name: '2 MB of touching literals (issue 20 item 2)',
    args: ['--literal', 'hunter2-prod-9x'],
    attacks: () => [touching('hunter2-prod-9x', (2 << 20) / 15, 'touching literals')],
    check: checkRegions('hunter2-prod-9x'.length),
  },
  {
    name: '2 MB of touching Anthropic keys',
    args: [],
    attacks: () => [touching(anthropicSecret, Math.ceil((2 << 20) / anthropicSecret.length), 'touching anthropic keys')],
    check: checkRegions(anthropicSecret.length),
  },
  {
    name: '1 MB where the findings of two rules overlap in one chain',
    args: ['--literal', 'xyxy', '--literal', 'yxyx'],
    attacks: () => [{ label: 'overlapping literals', text: 'xy'.repeat(1 << 19), secrets: [[0, 1 << 20]] }],
    check: checkRegions(4),
  },
];

const ENGINES = ['ts', ...('error' in loadAddon() ? [] : ['vectorscan'])];

describe.each(ENGINES)('adversarial table, %s engine', (engine) => {
  test.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const attacks = row.attacks();
    const input = joinAttacks(attacks);
    // Replacements that name no rule: a rule id may hold a word of its own example's secret.
    const result = await sseredact(['--engine', engine, '--replace', '<{len}>', ...row.args], { input, maxBuffer: 1 << 28 });
    expect(Buffer.from(result.stderr as Uint8Array).toString('utf8')).toBe('');
    expect(result.exitCode).toBe(0);
    const output = Buffer.from(result.stdout as Uint8Array);
    const leaked = leaks(attacks, output);
    const known = leaked.filter((leak) => KNOWN_LEAKS[engine]?.some((rule) => leak.startsWith(`${rule} `)));
    expect(leaked.filter((leak) => !known.includes(leak))).toEqual([]);
    row.check?.(output);
    console.log(`adversarial: ${engine}: ${row.name}: ${attacks.length} attacks, ${known.length} known leaks, no other`);
  });
});
