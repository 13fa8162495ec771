/** `sseredact rules list` and `sseredact rules test`: for people writing and choosing rules. */
import { createStreamRedactor } from '../redact/redactor.js';
import { parseReplacement } from '../redact/replace.js';
import type { RuleSet } from '../rules/ruleset.js';
import type { Source } from '../sources/input.js';
import { EXIT_FINDINGS, EXIT_OK } from './exit.js';
import { stdoutColors } from './terminal.js';

/** Prints one line per rule: id, where it comes from, description. */
export async function listRules(ruleSet: RuleSet): Promise<number> {
  const idWidth = Math.max(...ruleSet.rules.map((rule) => rule.id.length));
  const sourceWidth = Math.max(...ruleSet.rules.map((rule) => (rule.spec.source ?? '').length));
  const colors = await stdoutColors();
  const lines = ruleSet.rules.map((rule) =>
    `${colors.bold(rule.id.padEnd(idWidth))}  ${colors.dim((rule.spec.source ?? '').padEnd(sourceWidth))}  ${rule.spec.description ?? ''}`.trimEnd(),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

/** Runs the rules over a sample and prints each finding: rule, line:column, byte offsets, length. Exit 1 when any fired. */
export async function testRules(ruleSet: RuleSet, source: Source): Promise<number> {
  const lines: string[] = [];
  const colors = await stdoutColors();
  const redactor = createStreamRedactor(ruleSet, {
    replacement: parseReplacement('[REDACTED:{rule}]'),
    onFinding: (finding) =>
      lines.push(
        `${colors.bold.red(finding.ruleId)}\t${colors.green(`${finding.line}:${finding.column}`)}\tbytes ${finding.secret.start}-${finding.secret.end}\t(${finding.secret.end - finding.secret.start} bytes)`,
      ),
  });
  for await (const chunk of source.chunks) redactor.write(chunk);
  redactor.end();
  process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : 'no rule fired\n');
  return lines.length > 0 ? EXIT_FINDINGS : EXIT_OK;
}
