/**
 * `sseredact scan --sarif`: the findings as one SARIF 2.1.0 log, the subset GitHub code scanning
 * accepts. This comment is the format's spec:
 *
 *     {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
 *      "runs": [{"tool": {"driver": {"name": "sseredact", "version": "0.1.0",
 *                                    "rules": [{"id": "aws-access-key-id", "shortDescription": {"text": "AWS access key ID"}, ...}]}},
 *                "results": [{"ruleId": "aws-access-key-id", "ruleIndex": 0, "level": "error",
 *                             "message": {"text": "A secret found by rule aws-access-key-id: AWS access key ID"},
 *                             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "config/app.env", "uriBaseId": "%SRCROOT%"},
 *                                            "region": {"startLine": 2, "startColumn": 19, "endLine": 2, "endColumn": 39}}}],
 *                             "partialFingerprints": {"sseredact/secret/v1": "9f86d0…"}}],
 *                "columnKind": "utf16CodeUnits"}]}
 *
 * - `rules`: the rules that found something, in rule-set order; `ruleIndex` points into them.
 * - `uri`: the path from the top of the repository (the caller passes findings with such paths; the
 *   working directory outside a repository), `/`-separated and percent-encoded: what GitHub maps.
 * - `properties`: with `scan --git`, the commit that added the secret (`commit`, `author`, `email`,
 *   `date`); `region` lines are then lines of the file in that commit.
 * - `region`: where the secret starts and ends (end exclusive), 1-based; columns count UTF-16 code
 *   units of the line decoded as UTF-8, as SARIF's default `columnKind` says (the text and JSON
 *   reports count bytes).
 * - `partialFingerprints`: SHA-256 of rule, path and secret: the same secret in the same file is the
 *   same alert across runs, wherever its line moves. The secret itself never appears.
 */
import { placeFingerprint } from '../fingerprint.js';
import type { RuleSpec, ScanFinding } from '../types.js';

/** What the log says of a rule: its id and description (a compiled rule is one). */
interface DescribedRule {
  readonly id: string;
  readonly spec: Pick<RuleSpec, 'description'>;
}

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** The 1-based UTF-16 column of byte `offset` of `lines` (the lines holding a finding). */
function utf16Column(lines: Uint8Array, offset: number): number {
  // An offset past the lines is the start of the line after them (a secret ending in a newline).
  if (offset > lines.length) return 1;
  const lineStart = offset === 0 ? 0 : lines.lastIndexOf(0x0a, offset - 1) + 1;
  return Buffer.from(lines.subarray(lineStart, offset)).toString('utf8').length + 1;
}

function describe(rule: DescribedRule): string {
  return rule.spec.description ?? rule.id;
}

/** The SARIF log of `findings` (all of a run), found with `rules`; `version` is sseredact's. */
export function sarifLog(findings: readonly ScanFinding[], rules: readonly DescribedRule[], version: string): object {
  const fired = [...new Set(findings.map((finding) => finding.rule))].sort((a, b) => a - b);
  const ruleIndex = new Map(fired.map((rule, index) => [rule, index]));
  const results = findings.map((finding) => {
    const rule = rules[finding.rule]!;
    return {
      ruleId: finding.ruleId,
      ruleIndex: ruleIndex.get(finding.rule)!,
      level: 'error',
      message: { text: `A secret found by rule ${finding.ruleId}: ${describe(rule)}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeURI(finding.path.split('\\').join('/')), uriBaseId: '%SRCROOT%' },
            region: {
              startLine: finding.line,
              startColumn: utf16Column(finding.lines, finding.secret.start - finding.linesStart),
              endLine: finding.endLine,
              endColumn: utf16Column(finding.lines, finding.secret.end - finding.linesStart),
            },
          },
        },
      ],
      partialFingerprints: { 'sseredact/secret/v1': placeFingerprint(finding.ruleId, finding.path, finding.secretBytes) },
      ...(finding.commit === undefined ? {} : { properties: { commit: finding.commit.id, author: finding.commit.author, email: finding.commit.email, date: finding.commit.date } }),
    };
  });
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'sseredact',
            version,
            rules: fired.map((index) => {
              const rule = rules[index]!;
              return {
                id: rule.id,
                shortDescription: { text: describe(rule) },
                fullDescription: { text: describe(rule) },
                defaultConfiguration: { level: 'error' },
                properties: { tags: ['security', 'secret'] },
              };
            }),
          },
        },
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
