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
 * - `rules`: the rules that found something, in rule-set order (a keyword group's findings by the
 *   member they are named after); `ruleIndex` points into them.
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
import type { ScanFinding } from '../types.js';

/** What the log says of a rule: its id and description. */
interface DescribedRule {
  readonly id: string;
  readonly description?: string;
}

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** The 1-based UTF-16 column of byte `offset` of `lines` (the lines holding a finding). */
function utf16Column(lines: Uint8Array, offset: number): number {
  // An offset past the lines is the start of the line after them (a secret ending in a newline).
  if (offset > lines.length) return 1;
  const lineStart = offset === 0 ? 0 : lines.lastIndexOf(0x0a, offset - 1) + 1;
  return Buffer.from(lines.subarray(lineStart, offset)).toString('utf8').length + 1;
}

/**
 * The SARIF log of `findings` (all of a run), found with `rules` (as users know them: findings
 * name them by id); `version` is sseredact's.
 */
export function sarifLog(findings: readonly ScanFinding[], rules: readonly DescribedRule[], version: string): object {
  const order = new Map(rules.map((rule, index) => [rule.id, index]));
  const rank = (id: string): number => order.get(id) ?? rules.length;
  const describe = (id: string): string => rules[rank(id)]?.description ?? id;
  const fired = [...new Set(findings.map((finding) => finding.ruleId))].sort((a, b) => rank(a) - rank(b));
  const ruleIndex = new Map(fired.map((id, index) => [id, index]));
  const results = findings.map((finding) => {
    return {
      ruleId: finding.ruleId,
      ruleIndex: ruleIndex.get(finding.ruleId)!,
      level: 'error',
      message: { text: `A secret found by rule ${finding.ruleId}: ${describe(finding.ruleId)}` },
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
            rules: fired.map((id) => {
              return {
                id,
                shortDescription: { text: describe(id) },
                fullDescription: { text: describe(id) },
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
