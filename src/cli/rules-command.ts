/** `sseredact rules list` and `sseredact rules test`: for people writing and choosing rules. */
import { createStreamRedactor } from '../redact/redactor.js';
import { parseReplacement } from '../redact/replace.js';
import { type CompiledRule, secretGroupOf } from '../rules/compile.js';
import { findingRuleId, ruleIdentities } from '../rules/keyword-groups.js';
import { type DropReason, compileRejection, entropyFloor, shannonEntropy } from '../rules/predicates.js';
import type { RuleSet } from '../rules/ruleset.js';
import { type Source, forEachChunk } from '../sources/input.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit.js';
import { stdoutColors } from './terminal.js';

/** Prints one line per rule (a keyword group's members one by one): id, where it comes from, description. */
export async function listRules(ruleSet: RuleSet): Promise<number> {
  const rules = ruleIdentities(ruleSet.rules);
  const idWidth = Math.max(...rules.map((rule) => rule.id.length));
  const sourceWidth = Math.max(...rules.map((rule) => (rule.source ?? '').length));
  const colors = await stdoutColors();
  const lines = rules.map((rule) => `${colors.bold(rule.id.padEnd(idWidth))}  ${colors.dim((rule.source ?? '').padEnd(sourceWidth))}  ${rule.description ?? ''}`.trimEnd());
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** 1-based line and column (in bytes) of `offset` in `text`. */
function locate(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return `${line}:${offset - lineStart + 1}`;
}

/** Why a predicate dropped `secret`, for a person: the predicate, and for entropy the figures (the floor this secret had to reach, and the rule's threshold when the floor is lower). */
function describeDrop(reason: DropReason, minEntropy: number | undefined, secret: Uint8Array): string {
  if (reason !== 'entropy' || minEntropy === undefined) return reason;
  const floor = entropyFloor(minEntropy, secret);
  const scaled = floor < minEntropy ? `${floor.toFixed(2)} (${minEntropy} scaled to its length and alphabet)` : `${minEntropy}`;
  return `entropy ${shannonEntropy(secret).toFixed(2)} < ${scaled}`;
}

/**
 * The candidates of `rule` on the whole `sample` that its predicates drop, one line each: rule,
 * line:column, byte offsets, `dropped: <predicate>`. Matches are found as the oracle finds them
 * (the rule's regex over the whole sample), so they are the ones the redactor confirmed and
 * dropped. Literal sets have no predicates and are skipped.
 */
function droppedCandidates(rule: CompiledRule, sample: Buffer, text: string): string[] {
  if (rule.keep === null || !('predicates' in rule.spec)) return [];
  const { predicates } = rule.spec;
  const reject = compileRejection(rule.id, predicates);
  if (reject === null) return [];
  const lines: string[] = [];
  const regex = new RegExp(rule.jsSource, 'dg');
  for (let match = regex.exec(text); match !== null; match = regex.exec(text)) {
    const indices = match.indices;
    if (indices === undefined) break;
    const group = secretGroupOf(rule.secretGroup, indices.length - 1, (index) => {
      const span = indices[index];
      return span !== undefined && span[1] > span[0];
    });
    const span = indices[group];
    if (span === undefined || span[1] <= span[0]) continue;
    const secret = sample.subarray(span[0], span[1]);
    const matchBytes = sample.subarray(match.index, match.index + match[0].length);
    const reason = reject(secret, { match: matchBytes });
    if (reason === null) continue;
    lines.push(`${findingRuleId(rule, matchBytes)}\t${locate(text, span[0])}\tbytes ${span[0]}-${span[1]}\tdropped: ${describeDrop(reason, predicates?.minEntropy, secret)}`);
  }
  return lines;
}

/**
 * Runs the rules over a sample and prints each finding (rule, line:column, byte offsets, length),
 * then each candidate a predicate dropped and which one (entropy, checksum, placeholder, code, stopword,
 * allowlist). Exit 1 when any rule fired. The sample is kept in memory: it is a sample.
 */
export async function testRules(ruleSet: RuleSet, source: Source): Promise<number> {
  const lines: string[] = [];
  const chunks: Uint8Array[] = [];
  const colors = await stdoutColors();
  const redactor = createStreamRedactor(ruleSet, {
    replacement: parseReplacement('[REDACTED:{rule}]'),
    onFinding: (finding) =>
      lines.push(
        `${colors.bold.red(finding.ruleId)}\t${colors.green(`${finding.line}:${finding.column}`)}\tbytes ${finding.secret.start}-${finding.secret.end}\t(${finding.secret.end - finding.secret.start} bytes)`,
      ),
  });
  await forEachChunk(source.chunks, (chunk) => {
    chunks.push(Buffer.from(chunk)); // a copy: the source reuses its read buffer
    redactor.write(chunk);
    return true;
  });
  redactor.end();
  const fired = lines.length > 0;
  const sample = Buffer.concat(chunks);
  const text = sample.toString('latin1');
  const dropped = ruleSet.rules.flatMap((rule) => droppedCandidates(rule, sample, text));
  const report = [...(fired ? lines : ['no rule fired']), ...dropped];
  process.stdout.write(`${report.join('\n')}\n`);
  return fired ? EXIT_FINDINGS : EXIT_OK;
}
