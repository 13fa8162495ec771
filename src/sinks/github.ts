/**
 * GitHub Actions workflow commands for findings (`--github`): the runner turns each line into an
 * annotation on the run and, with `file`/`line`, on the pull request's diff. The secret is never
 * in them: a rule id, a place and what to do.
 *
 *     ::error file=config/app.env,line=2,col=19,endLine=2,endColumn=39,title=sseredact%3A aws-access-key-id::aws-access-key-id: a secret is committed here; ...
 *     ::warning title=sseredact%3A secret redacted::github-pat redacted at line 12, column 7 of build.log
 *
 * Escaping as the runner unescapes (ActionCommand): `%`, CR, LF in the message; also `:` and `,`
 * in property values.
 */
import type { LocatedFinding, ScanFinding } from '../types.js';

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(name: 'error' | 'warning', properties: ReadonlyArray<readonly [string, string | number]>, message: string): string {
  const list = properties.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',');
  return `::${name} ${list}::${escapeData(message)}\n`;
}

/** `sseredact scan --github`: an error annotation on the secret's place in the file. */
export function scanAnnotation(finding: ScanFinding): string {
  return command(
    'error',
    [
      ['file', finding.path],
      ['line', finding.line],
      ['col', finding.column],
      ['endLine', finding.endLine],
      ['endColumn', finding.endColumn],
      ['title', `sseredact: ${finding.ruleId}`],
    ],
    `${finding.ruleId}: a secret is committed here; remove it and rotate it, or mark a false positive with sseredact:allow on its line`,
  );
}

/** `sseredact --github`: a warning per secret redacted from stream `stream` (a path, or `-` for stdin). */
export function redactAnnotation(finding: LocatedFinding, stream: string): string {
  const where = stream === '-' ? 'stdin' : stream;
  return command(
    'warning',
    [...(stream === '-' ? [] : [['file', stream] as const]), ['line', finding.line], ['col', finding.column], ['title', 'sseredact: secret redacted']],
    `${finding.ruleId} redacted at line ${finding.line}, column ${finding.column} of ${where}`,
  );
}
