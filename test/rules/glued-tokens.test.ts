/**
 * Tokens glued to what logs put in front of them (issue 20, item 1): every `match` example of every
 * pack rule, cut down to its match, planted right after an escape that ends in a letter or digit
 * (an ANSI colour or erase, ESC written out as JSON and Python write it, a JSON string escape, a
 * URL percent-escape) must still be redacted by its pack: no byte of its secret left outside the
 * union of the pack's secret spans (the oracle's findings, DESIGN §2).
 *
 * A rule with a distinctive prefix (no token boundary, src/rules/token-boundary.ts) must also be
 * found after a bare letter, digit or underscore. Rules anchored at a line start (YAML blocks)
 * describe a document shape, not a token, and are left out.
 */
import { describe, expect, test } from 'vitest';
import { compileRules } from '../../src/rules/compile.js';
import { listPacks, loadPack } from '../../src/rules/packs/index.js';
import { oracleFindings } from '../oracle.js';

/** Escapes whose last byte is a word byte, as real logs glue them to a token. */
const ESCAPES: Record<string, string> = {
  'ANSI colour': '\x1b[32m',
  'ANSI erase': '\x1b[K',
  'ANSI reset then colour': '\x1b[0m\x1b[1;31m',
  'ESC as \\u001b in JSON': '\\u001b[0m',
  'ESC as \\x1b': '\\x1b[33m',
  'JSON \\n in a docker log': '{"log":"step 3\\n',
  'JSON \\t': '\\t',
  'JSON \\u000a': '\\u000a',
  'URL %3D': 'token%3D',
  'URL %20': 'Bearer%20',
};

/** Bare word bytes: a distinctive prefix needs no boundary at all. */
const WORD_BYTES: Record<string, string> = { letter: 'x', digit: '7', underscore: '_' };

interface Planted {
  readonly rule: string;
  /** The example's match, from its first byte. */
  readonly text: string;
  /** The secret's span inside `text`. */
  readonly secret: readonly [number, number];
}

describe.each(listPacks())('pack %s', (pack) => {
  const specs = loadPack(pack);
  const rules = compileRules(specs);
  const isLineAnchored = (regex: string) => /^(\(\?[a-z]+\))?\^/.test(regex);
  const hasTokenBoundary = (regex: string) => /^(\(\?[a-z]+\))?\(\?:\\b\|/.test(regex);
  const planted: Planted[] = rules.flatMap((rule, index) => {
    const spec = specs[index]!;
    if (isLineAnchored(spec.regex)) return [];
    return (spec.examples?.match ?? []).flatMap((example) =>
      oracleFindings([rule], Buffer.from(example, 'latin1')).map((finding) => ({
        rule: rule.id,
        text: example.slice(finding.match.start, finding.match.end),
        secret: [finding.secret.start - finding.match.start, finding.secret.end - finding.match.start] as const,
      })),
    );
  });
  const distinctive = new Set(specs.filter((spec) => !hasTokenBoundary(spec.regex)).map((spec) => spec.id));

  /** The planted examples whose secret is not wholly redacted when each follows `glue` on its own line. */
  function missedAfter(glue: string, examples: readonly Planted[]): string[] {
    let text = '';
    const secrets = examples.map((example) => {
      const at = text.length + glue.length;
      text += `${glue}${example.text}\n`;
      return { rule: example.rule, start: at + example.secret[0], end: at + example.secret[1] };
    });
    const input = Buffer.from(text, 'latin1');
    const redacted = new Uint8Array(input.length);
    for (const finding of oracleFindings(rules, input)) redacted.fill(1, finding.secret.start, finding.secret.end);
    return secrets.filter(({ start, end }) => redacted.subarray(start, end).includes(0)).map(({ rule }) => rule);
  }

  test('plants an example of most rules', () => {
    expect(new Set(planted.map((example) => example.rule)).size).toBeGreaterThan(specs.length * 0.9);
  });

  test.each(Object.entries(ESCAPES))('every example is redacted after %s', (_name, glue) => {
    expect(missedAfter(glue, planted)).toEqual([]);
  });

  test.each(Object.entries(WORD_BYTES))('every distinctive-prefix example is redacted after a %s', (_name, glue) => {
    expect(
      missedAfter(
        glue,
        planted.filter((example) => distinctive.has(example.rule)),
      ),
    ).toEqual([]);
  });
});
