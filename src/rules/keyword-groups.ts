/**
 * Keyword groups: many keyword rules scanned as one. The keyword-provider table (packs/
 * keyword-table.ts) gives each provider its own rule, `(?i:<its keywords>)` + a tail (name,
 * assignment, the token shape), and every provider of one shape has the same tail. Compiled one by
 * one, each such rule keeps its own threads alive in the engines' automata after each of its
 * keywords; with a few hundred providers the ts engine's lazy DFA thrashed on ordinary code. So a
 * rule set compiles them as one rule per tail: `(?i:<every member's keywords, longest first>)` +
 * the tail (at most MAX_MEMBERS rules a group). Adding a provider adds keywords to an
 * alternation, not a rule.
 *
 * A group is an ordinary rule to the engines, the confirmer and the oracle (its regex defines its
 * findings, DESIGN §2); only the name a finding carries is resolved after the match
 * ({@link findingRuleId}): the member with the longest keyword the match begins with (compared
 * ASCII case-insensitively). What users see and choose stays the member's: `rules list`, SARIF
 * and `--disable` list members ({@link ruleIdentities}), and grouping happens after the rules are
 * chosen, so a disabled or replaced member is simply not in its group.
 *
 * @example
 *   groupKeywordRules(loadPack('secrets')) // each shape's providers as one KeywordGroupSpec
 *   findingRuleId(rule, bytesOf('MIXPANEL_SECRET=...')) // 'mixpanel-api-secret'
 */
import type { LiteralSetSpec, RuleSpec } from '../types.js';
import type { LoadedRuleSpec } from './load/schema.js';

/** What a keyword rule says of the group it scans in (set by packs/keyword-table.ts). */
export interface KeywordGroupKey {
  /** The group's rule id, e.g. `keyword-providers.hex32`. */
  readonly id: string;
  /** The rule's regex without its leading `(?i:<keywords>)`: the same for every member. */
  readonly tail: string;
}

/** A member of a group, as users know it. */
export interface KeywordMember {
  readonly id: string;
  /** Lower-case. */
  readonly keywords: readonly string[];
  readonly description?: string;
  readonly source?: string;
}

/** The rule a group of keyword rules scans as. */
export interface KeywordGroupSpec extends LoadedRuleSpec {
  /** The rules it stands for, in rule-set order; each finding is named after one of them. */
  readonly members: readonly KeywordMember[];
}

type AnySpec = RuleSpec | LiteralSetSpec;

/**
 * The most rules one group holds; more of one shape make several groups. Vectorscan scans a keyword
 * rule by its anchored prefix (keywords, name, assignment) and refused that of the 85 providers of
 * 32 letters and digits in the set ("Pattern is too large"), leaving the group to the ts engine
 * inside the Vectorscan scanner; 60 were accepted.
 */
const MAX_MEMBERS = 40;

type KeywordRule = LoadedRuleSpec & { readonly keywordGroup: KeywordGroupKey };

function isKeywordRule(spec: AnySpec): spec is KeywordRule {
  return (spec as LoadedRuleSpec).keywordGroup !== undefined;
}

function isGroup(spec: AnySpec): spec is KeywordGroupSpec {
  return 'members' in spec;
}

/** `text` as a regex that matches it literally. */
export const escapeRegex = (text: string): string => text.replace(/[.\\+*?^$()[\]{}|-]/g, '\\$&');

/** The group rule of `members` (two or more rules of one key). */
function groupSpec(key: KeywordGroupKey, members: readonly LoadedRuleSpec[]): KeywordGroupSpec {
  const first = members[0]!;
  const keywords = [...new Set(members.flatMap((member) => member.keywords ?? []))];
  // Longest first: at a start where two keywords both lead to a match, the longer one wins, as
  // the name does (findingRuleId).
  const alternation = [...keywords].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).map(escapeRegex);
  const spec: KeywordGroupSpec = {
    id: key.id,
    description: `${members.length} providers' credentials found by their keywords: ${members.map((member) => member.id).join(', ')}.`,
    regex: `(?i:${alternation.join('|')})${key.tail}`,
    keywords,
    // A getter: a prebuilt pack parses a member's examples only when they are read (./packs/prebuilt.ts).
    examples: {
      get match() {
        return members.flatMap((member) => member.examples?.match ?? []);
      },
      noMatch: [],
    },
    members: members.map((member) => ({
      id: member.id,
      keywords: member.keywords ?? [],
      ...(member.description === undefined ? {} : { description: member.description }),
      ...(member.source === undefined ? {} : { source: member.source }),
    })),
  };
  return {
    ...spec,
    ...(first.secretGroup === undefined ? {} : { secretGroup: first.secretGroup }),
    ...(first.predicates === undefined ? {} : { predicates: first.predicates }),
    ...(first.source === undefined ? {} : { source: first.source }),
  };
}

/**
 * `specs` with the keyword rules of each group (same group key, secretGroup, predicates and
 * source; MAX_MEMBERS at most, in order) replaced by one group rule at the place of its first
 * member: `<key id>`, then `<key id>.2`, ... A group of one stays the rule it is; every other spec
 * is passed through.
 */
export function groupKeywordRules(specs: readonly AnySpec[]): AnySpec[] {
  const counts = new Map<string, number>();
  const groups = new Map<string, { readonly key: KeywordGroupKey; readonly members: KeywordRule[] }>();
  const slots = new Map<KeywordRule, string>();
  for (const spec of specs) {
    if (!isKeywordRule(spec)) continue;
    const kind = JSON.stringify([spec.keywordGroup.id, spec.keywordGroup.tail, spec.secretGroup ?? 0, spec.predicates ?? null, spec.source ?? null]);
    const count = counts.get(kind) ?? 0;
    counts.set(kind, count + 1);
    const chunk = Math.floor(count / MAX_MEMBERS);
    const slot = `${chunk}:${kind}`;
    slots.set(spec, slot);
    const group = groups.get(slot);
    if (group !== undefined) group.members.push(spec);
    else groups.set(slot, { key: chunk === 0 ? spec.keywordGroup : { ...spec.keywordGroup, id: `${spec.keywordGroup.id}.${chunk + 1}` }, members: [spec] });
  }
  const out: AnySpec[] = [];
  for (const spec of specs) {
    if (!isKeywordRule(spec)) {
      out.push(spec);
      continue;
    }
    const { key, members } = groups.get(slots.get(spec)!)!;
    if (members.length === 1) out.push(spec);
    else if (members[0] === spec) out.push(groupSpec(key, members));
  }
  return out;
}

/** Per group spec: its members by lower-case keyword, and the keyword lengths, longest first. */
interface Namer {
  readonly byKeyword: ReadonlyMap<string, string>;
  readonly lengths: readonly number[];
}

const namers = new WeakMap<KeywordGroupSpec, Namer>();

function namerOf(spec: KeywordGroupSpec): Namer {
  let namer = namers.get(spec);
  if (namer === undefined) {
    const byKeyword = new Map<string, string>();
    for (const member of spec.members) for (const keyword of member.keywords) if (!byKeyword.has(keyword)) byKeyword.set(keyword, member.id);
    namer = { byKeyword, lengths: [...new Set([...byKeyword.keys()].map((keyword) => keyword.length))].sort((a, b) => b - a) };
    namers.set(spec, namer);
  }
  return namer;
}

/** Lower-cases A-Z only (DESIGN §2: case folding is ASCII-only). */
function asciiLower(bytes: Uint8Array, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    text += String.fromCharCode(byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte);
  }
  return text;
}

/**
 * The rule id a finding of `rule` whose whole match is `match` carries: the rule's own, or for a
 * keyword group the member with the longest keyword the match begins with.
 */
export function findingRuleId(rule: { readonly id: string; readonly spec: AnySpec }, match: Uint8Array): string {
  if (!isGroup(rule.spec)) return rule.id;
  const { byKeyword, lengths } = namerOf(rule.spec);
  for (const length of lengths) {
    if (length > match.length) continue;
    const id = byKeyword.get(asciiLower(match, length));
    if (id !== undefined) return id;
  }
  return rule.id;
}

/** A rule as users know it: what `rules list` prints and SARIF describes. */
export interface RuleIdentity {
  readonly id: string;
  readonly description?: string;
  readonly source?: string;
}

/** The rules of a rule set as users know them: each rule, a keyword group as its members. */
export function ruleIdentities(rules: ReadonlyArray<{ readonly id: string; readonly spec: AnySpec }>): RuleIdentity[] {
  return rules.flatMap((rule): RuleIdentity[] =>
    isGroup(rule.spec)
      ? [...rule.spec.members]
      : [
          {
            id: rule.id,
            ...(rule.spec.description === undefined ? {} : { description: rule.spec.description }),
            ...(rule.spec.source === undefined ? {} : { source: rule.spec.source }),
          },
        ],
  );
}
