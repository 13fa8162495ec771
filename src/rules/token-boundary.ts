/**
 * Token boundaries for the built-in packs. Logs glue tokens to escape sequences that end in a
 * letter or a digit, where a plain `\b` sees no boundary and the token would pass unredacted:
 * an ANSI colour or erase (`ESC[32m`, `ESC[K`, or spelled out as `\x1b[`, `\u001b[`, `\033[`,
 * `\e[` in escaped text), a backslash escape in a JSON or C string (`"log":"...\nAKIA..."`),
 * a URL percent-escape (`%3D`, `%20`).
 *
 * Pack rules come in two shapes (src/rules/packs/README.md). A token with a distinctive prefix
 * (`ghp_`, `AKIA`, `sk-ant-`) has no left boundary at all: it is found wherever the prefix is,
 * whatever byte precedes it. A token whose head is weak (a class run, or a short prefix that
 * random base64 holds often: `SK`, `BSA`, `AIza`) keeps its `\b`, which the pack loader widens
 * here into a *token boundary*: `\b`, or one of those escapes, matched as context in front of
 * the token and left out of the secret.
 *
 * @example
 *   withTokenBoundary({ id: 'x', regex: '\\bSK[0-9a-f]{32}\\b' })
 *   // regex '(?:\b|<escapes>)(SK[0-9a-f]{32}\b)', secretGroup 1
 */
import type { RuleSpec } from '../types.js';

/** An escape sequence whose last byte may be glued to a token (see the module comment). */
const GLUED_ESCAPE = [
  // ESC [ parameters intermediates final (CSI: colours, erase), or ESC, intermediates, final
  // (charset selection). The final byte of a CSI is never a digit, and the other form needs an
  // intermediate: neither can take the first byte of a token that starts with a digit.
  String.raw`\x1b(?:\[[0-?]{0,32}[ -/]{0,4}[@-~]|[ -/]{1,2}[0-~])`,
  // The same CSI with ESC written out, as escaped logs and JSON carry it.
  String.raw`\\(?:x1[bB]|u001[bB]|033|e)\[[0-?]{0,32}[ -/]{0,4}[@-~]`,
  // Backslash escapes of JSON and C strings. No octal escapes: `\1234` is more often a path or
  // a number after a backslash, whose digits a variable-length escape would take from the token.
  String.raw`\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|[abefnrtv])`,
  // URL percent-encoding.
  '%[0-9A-Fa-f]{2}',
].join('|');

const TOKEN_BOUNDARY = String.raw`(?:\b|${GLUED_ESCAPE})`;

/**
 * The top-level alternatives of `regex` (no inline flags in front), or null when it does not
 * parse as balanced groups and classes (then the rule is left alone: the compiler reports it).
 */
function topLevelAlternatives(regex: string): string[] | null {
  const alternatives: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < regex.length; i++) {
    const c = regex[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      // A class: `]` right after `[` or `[^` is a literal.
      i += regex[i + 1] === '^' ? 2 : 1;
      if (regex[i] === ']') i++;
      while (i < regex.length && regex[i] !== ']') i += regex[i] === '\\' ? 2 : 1;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      if (--depth < 0) return null;
    } else if (c === '|' && depth === 0) {
      alternatives.push(regex.slice(from, i));
      from = i + 1;
    }
  }
  if (depth !== 0) return null;
  alternatives.push(regex.slice(from));
  return alternatives;
}

/**
 * `spec` with a leading `\b` (in every top-level alternative) widened into a token boundary; the
 * secret stays what it was: the rule's secretGroup, moved one group on, or the whole token.
 * Any other spec is returned as it is.
 */
export function withTokenBoundary<Spec extends RuleSpec>(spec: Spec): Spec {
  // A group that depends on the match (gitleaks' first non-empty) cannot be moved one group on.
  if (typeof spec.secretGroup === 'string') return spec;
  const flags = /^\(\?[a-z]+\)/.exec(spec.regex)?.[0] ?? '';
  const alternatives = topLevelAlternatives(spec.regex.slice(flags.length));
  if (alternatives === null || !alternatives.every((alternative) => alternative.startsWith('\\b'))) return spec;
  const tokens = alternatives.map((alternative) => alternative.slice(2)).join('|');
  const secretGroup = spec.secretGroup ?? 0;
  return { ...spec, regex: `${flags}${TOKEN_BOUNDARY}(${tokens})`, secretGroup: typeof secretGroup === 'number' ? secretGroup + 1 : secretGroup.map((group) => group + 1) };
}
