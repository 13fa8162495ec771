#!/usr/bin/env node
/**
 * Detection quality of the built-in packs: recall and false-positive rate per family, on the
 * rules' own examples and on the labelled corpus in fixtures/corpus/ (see its README).
 *
 *   npm run build && node bench/eval.mjs [--pack secrets] [--json] [--misses] [--clean-mb 64 | --no-clean]
 *
 * Scoring (corpus):
 * - a `tp` record counts as found when the union of all findings' secret spans leaves no run of
 *   10 (or, for shorter secrets, all) bytes of each expected secret unredacted; with no expected
 *   secret, when any rule fires. This is redaction overlap, not exact spans (README).
 * - where `expect` comes from a source's regex or reporter rather than from the literal secret
 *   its test planted (`expect_method` other than literal-secret-argument), it may hold context
 *   that is no secret and that a redactor rightly keeps (README: "sometimes with the variable
 *   name or a whole key block"; gitleaks' kubernetes-secret-yaml even captures `name: value`):
 *   a leading `name = ` / `name: "` / `"name"=>` / `name: |` (YAML block) assignment, and in a
 *   URL the scheme, the user name and everything from the `@` on; around a private key block
 *   (a whole service-account object), everything but the key's body. Only the rest (at least 8
 *   bytes, else all of it) must be redacted: secretOfExpected().
 * - a record whose label depends on more than its text (`label_depends_on`: rule options,
 *   user-defined patterns, comment directives, the file name; or a path-only rule with no text)
 *   is not a statement about the bytes a redactor sees: it is counted under "n/a", out of the
 *   rates. An `fp` that depends on the file path also goes there (the secret is real, only the
 *   path exempts it); a `tp` that depends on the file path still holds its secret in the text and
 *   is scored.
 * - a `tp` record whose label names no secret is "unscorable" (isUnscorable: the source could not
 *   tie its label to bytes, or it reports a public identifier such as an Azure tenant id): it stays
 *   in the recall figure, and the summary prints recall without such records beside it.
 * - an `fp` record only says that the source's rule must stay silent, so it counts as a false
 *   positive when a rule of the *same family* fires; "fp any" also counts any rule at all: that is
 *   the share of texts redaction would change (the issue's target). An fp record on which another
 *   gitleaks rule fires (`gitleaks_engine_hits`) holds a real-looking secret: it is "contested" and
 *   left out of the fp rates.
 * Families: ours are the pack file names; a corpus rule maps to one by its id (FAMILY_ALIASES).
 * A family in parentheses is a source rule that describes no secret format (file-name policies,
 * user-defined patterns, secretlint's demo rule): its records are all "n/a".
 * Clean text (bench/clean-text.mjs): `--clean-mb` MB (default 64) of real text assembled from this
 * machine (dependencies, Python's library, C headers, /usr/share/doc) scanned with the pack as
 * `sseredact scan` would, once per engine (ts, and Vectorscan when its addon loads): findings per
 * MB, the rules that fire most with masked examples, and whether the engines agree (the run exits
 * 1 when they do not). Every finding there is a false alarm as far as this figure goes (README).
 * Runs on dist/ (plain ESM, no build step for bench/ itself).
 */
import { readFileSync } from 'node:fs';
import { assembleCleanCorpus, scanCleanCorpus, topRules } from './clean-text.mjs';
import { defaultEngines } from './tool.mjs';

const root = new URL('../', import.meta.url);
let loadPack;
let compileRules;
let secretGroupOf;
let groupKeywordRules;
let findingRuleId;
let library;
try {
  ({ loadPack } = await import(new URL('dist/rules/packs/index.js', root).href));
  ({ compileRules, secretGroupOf } = await import(new URL('dist/rules/compile.js', root).href));
  ({ groupKeywordRules, findingRuleId } = await import(new URL('dist/rules/keyword-groups.js', root).href));
  library = await import(new URL('dist/index.js', root).href);
} catch (error) {
  console.error(`bench/eval.mjs: cannot load dist/ (${error.message}); run npm run build first`);
  process.exit(2);
}

const args = process.argv.slice(2);
const pack = args.includes('--pack') ? args[args.indexOf('--pack') + 1] : 'secrets';
const asJson = args.includes('--json');
const showMisses = args.includes('--misses');
const cleanMb = args.includes('--no-clean') ? 0 : Number(args.includes('--clean-mb') ? args[args.indexOf('--clean-mb') + 1] : 64);

/** Corpus rule id (prefix) -> our family, where the first word of the id is not the family name. */
const FAMILY_ALIASES = {
  gcp: 'google',
  privatekey: 'private-key',
  private: 'private-key',
  'secp256k1-privatekey': 'crypto-wallet',
  basicauth: 'url-credentials',
  database: 'url-credentials',
  'curl-auth': 'curl',
  hashicorp: 'terraform',
  'hashicorp-vault': 'vault',
  k8s: 'kubernetes',
  'no-k8s-kind-secret': 'kubernetes',
  'no-dotenv': '(file-policy)',
  'no-homedir': '(file-policy)',
  'filter-comments': '(file-policy)',
  example: '(demo-rule)',
  pattern: '(custom-pattern)',
  pkcs12: '(file-policy)',
  '1password': 'onepassword',
  'amazon-bedrock': 'aws',
  nuget: 'nuget',
  square: 'square',
};

function familyOfCorpusRule(rule) {
  const id = rule.replace(/^secretlint-rule-/, '');
  for (const [alias, family] of Object.entries(FAMILY_ALIASES).sort((a, b) => b[0].length - a[0].length)) {
    if (id === alias || id.startsWith(`${alias}-`)) return family;
  }
  if (id.startsWith('aws-')) return 'aws';
  return id.split('-')[0];
}

/** `label_depends_on` values that make a label a statement about configuration or file names. */
const CONFIG_DEPENDENCIES = new Set(['rule-options', 'user-defined-patterns', 'comment-directives', 'file-name']);

/** Whether the record's label is a statement about its text alone (see the header). */
function isTextLabel(record) {
  if (record.expect_method === 'path-only-rule' || familyOfCorpusRule(record.rule).startsWith('(')) return false;
  const depends = record.label_depends_on ?? [];
  if (record.kind === 'fp' && depends.includes('file-path')) return false;
  return !depends.some((dependency) => CONFIG_DEPENDENCIES.has(dependency));
}

/** A source's finding that names a public identifier, not a credential (Azure tenant and client ids, AWS account ids). */
const IDENTIFIER_MESSAGE = /(?:Tenant|Client|Account)Id$/i;

/**
 * Whether a `tp` record's label names no secret to redact (see the header): the source could not
 * tie its label to bytes (`expect_method: unresolved`: a generator's line taken without its rule),
 * or the source's message says it reports an identifier, which its provider documents as public.
 */
function isUnscorable(record) {
  return record.expect_method === 'unresolved' || (record.message_ids ?? []).some((id) => IDENTIFIER_MESSAGE.test(id));
}

/** `name = `, `name: "`, `"name"=>`, `name := '`, `name: |` + newline (YAML block scalar). */
const ASSIGNMENT_PREFIX = /^\s*["']?[A-Za-z_.$@-][\w.$@-]*["']?[ \t]*(?::=|=>|=|:)[ \t]*(?:[|>][+-]?[ \t]*\n\s*)?["']?/;
/**
 * The body of a private key block: where a source flags a whole object (secretlint's gcp rule
 * reports a service-account JSON from `{` to `}`), the key inside it is the secret; its markers,
 * the project id and the client e-mail are not.
 */
const PRIVATE_KEY_BODY = /-----BEGIN[A-Z ]{0,30}PRIVATE KEY-----([\s\S]+?)-----END/;
/** `scheme://user:password@host...` (schemes may stack: `jdbc:mysql://`); the password may hold `@`. */
const URL_WITH_PASSWORD = /^(?:[A-Za-z][\w+.-]*:)+\/\/[^:@/\s]*:(\S+)@[^@\s]*$/;
const URL_SCHEME = /^(?:[A-Za-z][\w+.-]*:)+\/\//;

/**
 * The part of an expected string that is secret: without the context a redactor keeps
 * (assignment name, URL scheme, user name and host) unless the test planted exactly this secret.
 */
function secretOfExpected(record, expected) {
  if (record.expect_method === 'literal-secret-argument') return { offset: 0, length: expected.length };
  const key = PRIVATE_KEY_BODY.exec(expected);
  if (key) return { offset: key.index + key[0].length - key[1].length, length: key[1].length };
  const password = URL_WITH_PASSWORD.exec(expected);
  if (password) return { offset: expected.lastIndexOf('@') - password[1].length, length: password[1].length };
  const prefix = URL_SCHEME.exec(expected) ?? ASSIGNMENT_PREFIX.exec(expected);
  const offset = prefix === null || expected.length - prefix[0].length < 8 ? 0 : prefix[0].length;
  return { offset, length: expected.length - offset };
}

const specs = loadPack(pack);
/** Each rule alone, for its own examples. */
const specRules = compileRules(specs);
/** The rules as a rule set compiles them (keyword providers grouped by shape), for the corpus. */
const rules = compileRules(groupKeywordRules(specs));
const familyOfId = new Map(specs.map((spec) => [spec.id, spec.source.split('/').pop()]));
const familyOfRule = specs.map((spec) => familyOfId.get(spec.id));

const regexes = new Map();
const regexOf = (rule) => {
  if (!regexes.has(rule)) regexes.set(rule, new RegExp(rule.jsSource, 'dg'));
  return regexes.get(rule);
};

/**
 * All findings of `ruleList` on `text` (latin1): [{ id, start, end }], `id` the rule id the finding
 * carries (a keyword group's: the provider's).
 */
function findAll(text, ruleList = rules) {
  const bytes = Buffer.from(text, 'latin1');
  const findings = [];
  ruleList.forEach((rule) => {
    const regex = regexOf(rule);
    regex.lastIndex = 0;
    for (const match of text.matchAll(regex)) {
      const group = secretGroupOf(rule.secretGroup, match.length - 1, (other) => match.indices[other] !== undefined && match.indices[other][1] > match.indices[other][0]);
      const span = match.indices[group];
      if (span === undefined) continue;
      const [start, end] = span;
      // As the confirmer: empty secrets are no findings; predicates see the secret and the match.
      if (end <= start) continue;
      const matchBytes = bytes.subarray(match.index, match.index + match[0].length);
      if (rule.keep !== null && !rule.keep(bytes.subarray(start, end), { match: matchBytes })) continue;
      findings.push({ id: findingRuleId(rule, matchBytes), start, end });
    }
  });
  return findings;
}

function isRedacted(findings, start, end) {
  const covered = new Uint8Array(end - start);
  for (const f of findings) for (let i = Math.max(f.start, start); i < Math.min(f.end, end); i++) covered[i - start] = 1;
  const limit = Math.min(10, end - start);
  let run = 0;
  for (const c of covered) {
    run = c ? 0 : run + 1;
    if (run >= limit) return false;
  }
  return true;
}

/** The counts kept per family and in total. */
const COUNTS = { exTp: 0, exTpFound: 0, exFp: 0, exFpFired: 0, tp: 0, tpFound: 0, fp: 0, fpFired: 0, fpAny: 0, contested: 0, notText: 0, unscorable: 0, unscorableFound: 0 };
const stats = new Map();
const stat = (family) => {
  if (!stats.has(family)) stats.set(family, { ...COUNTS, misses: [] });
  return stats.get(family);
};

// 1. The rules' own examples.
specs.forEach((spec, index) => {
  const s = stat(familyOfRule[index]);
  for (const text of spec.examples?.match ?? []) {
    s.exTp++;
    if (findAll(text, [specRules[index]]).length > 0) s.exTpFound++;
    else s.misses.push(`example ${spec.id}: ${JSON.stringify(text).slice(0, 100)}`);
  }
  for (const text of spec.examples?.noMatch ?? []) {
    s.exFp++;
    if (findAll(text, [specRules[index]]).length > 0) {
      s.exFpFired++;
      s.misses.push(`example fp ${spec.id}: ${JSON.stringify(text).slice(0, 100)}`);
    }
  }
});

// 2. The labelled corpus.
for (const file of ['gitleaks.jsonl', 'secretlint.jsonl']) {
  const lines = readFileSync(new URL(`fixtures/corpus/${file}`, root), 'utf8')
    .split('\n')
    .filter(Boolean);
  for (const line of lines) {
    const record = JSON.parse(line);
    const family = familyOfCorpusRule(record.rule);
    const s = stat(family);
    const text = Buffer.from(record.text, 'utf8').toString('latin1');
    const findings = findAll(text);
    if (!isTextLabel(record)) {
      s.notText++;
    } else if (record.kind === 'tp') {
      s.tp++;
      const expected = record.expect.map((secret) => Buffer.from(secret, 'utf8').toString('latin1'));
      const found =
        expected.length === 0
          ? findings.length > 0
          : expected.every((secret) => {
              const at = text.indexOf(secret);
              const { offset, length } = secretOfExpected(record, secret);
              return at >= 0 && isRedacted(findings, at + offset, at + offset + length);
            });
      if (found) s.tpFound++;
      if (isUnscorable(record)) {
        s.unscorable++;
        if (found) s.unscorableFound++;
        else s.misses.push(`tp (unscorable) ${record.id}: ${JSON.stringify(record.expect[0] ?? record.text).slice(0, 100)}`);
      } else if (!found) s.misses.push(`tp ${record.id}: ${JSON.stringify(record.expect[0] ?? record.text).slice(0, 100)}`);
    } else if ((record.gitleaks_engine_hits ?? []).some((rule) => rule !== record.rule)) {
      // Another gitleaks rule fires on this text: it holds a real-looking secret that only the
      // labelled rule must leave alone. Counted apart, not as a false positive.
      s.contested++;
    } else {
      s.fp++;
      const fired = [...new Set(findings.map((f) => f.id))].join(',');
      if (findings.some((f) => familyOfId.get(f.id) === family)) {
        s.fpFired++;
        s.misses.push(`fp ${record.id}: ${fired} on ${JSON.stringify(record.text).slice(0, 80)}`);
      } else if (findings.length > 0) {
        s.misses.push(`fp (other family) ${record.id}: ${fired} on ${JSON.stringify(record.text).slice(0, 80)}`);
      }
      if (findings.length > 0) s.fpAny++;
    }
  }
}

const pct = (n, d) => (d === 0 ? '    -' : `${((100 * n) / d).toFixed(1).padStart(5)}`);
const families = [...stats.keys()].sort();
const total = { ...COUNTS };
for (const s of stats.values()) for (const key of Object.keys(total)) total[key] += s[key];

/** Clean text: null when skipped (`--no-clean`). */
function cleanTextRun() {
  if (!(cleanMb > 0)) return null;
  const corpus = assembleCleanCorpus(Math.round(cleanMb * 1024 * 1024));
  const engineNames = engineList.split(',');
  const engines = Object.fromEntries(engineNames.map((engine) => [engine, library.compileRules({ packs: [pack], engine })]));
  const { findings, disagreements } = scanCleanCorpus(corpus, engines, library.scan);
  const mb = corpus.bytes / (1024 * 1024);
  return {
    mb,
    files: corpus.files.length,
    roots: corpus.roots,
    missing: corpus.missing,
    engines: engineNames,
    findings: findings.length,
    perMb: findings.length / mb,
    top: topRules(findings),
    disagreements,
  };
}

const engineList = await defaultEngines();
const clean = cleanTextRun();
const recall = total.tp === 0 ? 0 : total.tpFound / total.tp;
const scorable = { tp: total.tp - total.unscorable, found: total.tpFound - total.unscorableFound };
const scorableRecall = scorable.tp === 0 ? 0 : scorable.found / scorable.tp;
const falseAlarms = total.fp === 0 ? 0 : total.fpAny / total.fp;

if (asJson) {
  console.log(
    JSON.stringify(
      {
        pack,
        rules: specs.length,
        compiledRules: rules.length,
        families: Object.fromEntries(families.map((f) => [f, { ...stats.get(f), misses: undefined }])),
        total,
        recall,
        scorableRecall,
        falseAlarms,
        clean,
      },
      null,
      2,
    ),
  );
} else {
  console.log(`pack ${pack}: ${specs.length} rules in ${new Set(familyOfRule).size} families, compiled as ${rules.length} (keyword providers grouped by shape)`);
  console.log('family                      examples: recall%    fp%  |  corpus: tp  recall%   fp  fp%(family)  fp%(any rule)  contested  n/a');
  const row = (name, s) =>
    console.log(
      `${name.padEnd(28)}${String(`${s.exTpFound}/${s.exTp}`).padStart(9)} ${pct(s.exTpFound, s.exTp)}  ${pct(s.exFpFired, s.exFp)}  | ${String(`${s.tpFound}/${s.tp}`).padStart(10)} ${pct(s.tpFound, s.tp)} ${String(`${s.fpFired}/${s.fp}`).padStart(7)} ${pct(s.fpFired, s.fp)}       ${pct(s.fpAny, s.fp)}  ${String(s.contested).padStart(9)}  ${String(s.notText).padStart(3)}`,
    );
  for (const family of families) row(family, stats.get(family));
  row('TOTAL', total);
  if (showMisses) for (const family of families) for (const miss of stats.get(family).misses) console.log(`  ${family}: ${miss}`);
  if (clean !== null) {
    console.log(
      `\nclean text: ${clean.mb.toFixed(1)} MB in ${clean.files} files (${clean.roots.map((r) => `${r.root} ${(r.bytes / 1048576).toFixed(1)} MB`).join(', ')}${clean.missing.length > 0 ? `; missing: ${clean.missing.join(', ')}` : ''})`,
    );
    for (const { rule, count, examples } of clean.top.slice(0, 10)) {
      console.log(`  ${String(count).padStart(5)}  ${rule}`);
      for (const example of examples) console.log(`           ${example.slice(0, 200)}`);
    }
    for (const d of clean.disagreements.slice(0, 10)) console.log(`  ENGINES DISAGREE on ${d.path}: ${JSON.stringify(d)}`);
  }
  console.log(
    `\nsummary: labelled corpus recall ${recall.toFixed(4)} (${total.tpFound}/${total.tp}; ${scorableRecall.toFixed(4)}, ${scorable.found}/${scorable.tp}, without the ${total.unscorable} unscorable), false alarms ${falseAlarms.toFixed(4)} (${total.fpAny}/${total.fp} fp texts where any rule fires)`,
  );
  if (clean !== null) {
    console.log(
      `summary: clean text ${clean.perMb.toFixed(2)} findings per MB (${clean.findings} in ${clean.mb.toFixed(1)} MB); engines ${clean.engines.join(', ')}: ${clean.disagreements.length === 0 ? 'identical findings' : `DISAGREE on ${clean.disagreements.length} files`}`,
    );
  }
}
if (clean !== null && clean.disagreements.length > 0) process.exitCode = 1;
