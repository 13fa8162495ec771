/**
 * What the vectorscan engine scans instead of a rule: its anchored prefix, or the rule without its
 * unanchored head. Needs no addon: it is a tree computation, printed the way Vectorscan receives it.
 */
import { describe, expect, test } from 'vitest';
import { anchoredPrefix, withoutUnanchoredHead } from '../../src/engine/vectorscan/anchored.js';
import { printHyperscan } from '../../src/engine/vectorscan/pattern.js';
import { compileRules } from '../../src/rules/compile.js';

function prefixOf(regex: string) {
  const [rule] = compileRules([{ id: 'r', regex }]);
  const prefix = anchoredPrefix(rule!.ast);
  return prefix === null ? null : { ...prefix, node: printHyperscan(prefix.node) };
}

describe('anchoredPrefix', () => {
  test.each([
    // [label, regex, printed prefix, minWidth, maxWidth]
    ['a keyword, then a newline-capable gap', 'pass\\s*=\\s*[a-z]{4,8}', '\\x70\\x61\\x73\\x73', 4, 4],
    [
      'the literal run is taken whole',
      '-----BEGIN[A-Z ]{0,9}KEY[\\s\\S]{1,30}END',
      '\\x2d\\x2d\\x2d\\x2d\\x2d\\x42\\x45\\x47\\x49\\x4e[\\x20\\x41-\\x5a]{0,9}\\x4b\\x45\\x59',
      13,
      22,
    ],
    ['a class head before the anchor stays in', '[a-z]{2}tok\\s', '[\\x61-\\x7a]{2}\\x74\\x6f\\x6b', 5, 5],
    ['each alternative is cut on its own', '(?:abc\\s+x|defg\\s*y)', '(?:\\x61\\x62\\x63|\\x64\\x65\\x66\\x67)', 3, 4],
    [
      'into the item where a newline can come, up to it in each alternative',
      'token[a-z]{0,4}(?:=|>\\s{0,8})[0-9]{8}',
      '\\x74\\x6f\\x6b\\x65\\x6e[\\x61-\\x7a]{0,4}(?:\\x3d|\\x3e)',
      6,
      10,
    ],
    ['an alternative that may start with a newline adds the empty string', 'token(?:=|\\s+)x', '\\x74\\x6f\\x6b\\x65\\x6e(?:\\x3d|)', 5, 6],
    ['no anchor, but a long newline-free start', '[0-9]{15,16}\\|[a-z]{8}[\\s;]', '[\\x30-\\x39]{15,16}\\x7c[\\x61-\\x7a]{8}', 24, 25],
  ])('%s', (_label, regex, printed, minWidth, maxWidth) => {
    expect(prefixOf(regex)).toEqual({ node: printed, minWidth, maxWidth, canMatchNewline: false });
  });

  test('a prefix that must hold a newline before its anchor says so', () => {
    expect(prefixOf('a\\nbcd\\s+x')).toMatchObject({ minWidth: 5, maxWidth: 5, canMatchNewline: true });
  });

  test.each([
    ['a short start without an anchor', 'x\\s+y'],
    ['an alternative without a prefix', '(?:abc\\s+x|q\\s+y)'],
  ])('none for %s', (_label, regex) => {
    expect(prefixOf(regex)).toBeNull();
  });
});

describe('withoutUnanchoredHead', () => {
  const tailOf = (regex: string) => {
    const [rule] = compileRules([{ id: 'r', regex }]);
    const tail = withoutUnanchoredHead(rule!.ast);
    return tail === null ? null : printHyperscan(tail);
  };

  test.each([
    ['a class-run head goes, from the first literal byte on', '\\b[MNO][a-z]{3,5}\\.[a-z]{6}\\.[a-z]{8}', '\\x2e[\\x61-\\x7a]{6}\\x2e[\\x61-\\x7a]{8}'],
    ['per alternative, the anchored one kept whole', 'EAA[a-z]{9}|[0-9]{15}\\|[a-z]{9}', '(?:\\x45\\x41\\x41[\\x61-\\x7a]{9}|\\x7c[\\x61-\\x7a]{9})'],
    ['a keyword list is no head', '(?i:key|token)[a-z]{0,4}=[0-9]{8}', null],
    ['a rule that starts with a literal has none', 'ghp_[a-z]{36}', null],
    ['a suffix under 8 bytes would report ends all over text', '[0-9a-f]{32}-us[0-9]{1,2}', null],
    ['no literal at all', '[a-z]{10}[0-9]{10}', null],
    ['narrow bytes before the first literal stay, as a few literals', '[a-z]{2,4}[012]/[0-9]{9}', '[\\x30-\\x32]\\x2f[\\x30-\\x39]{9}'],
    ['wider ones go', '[a-z]{2,4}[0-9a-f]/[0-9]{9}', '\\x2f[\\x30-\\x39]{9}'],
    [
      'a head that can match empty goes, and the alternation behind it is cut per alternative',
      '(?:\\b|%[0-9A-F]{2})(?:EAA[a-z]{9}|[0-9]{15}\\|[a-z]{9})',
      '(?:\\x45\\x41\\x41[\\x61-\\x7a]{9}|\\x7c[\\x61-\\x7a]{9})',
    ],
  ])('%s', (_label, regex, tail) => {
    expect(tailOf(regex)).toBe(tail);
  });
});
