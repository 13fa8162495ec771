/**
 * The command line: commander's program is the single source of `--help` (and of the man page's
 * option list, which a test keeps in step with it).
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_MATCH } from '../rules/compile.js';
import { DEFAULT_TEMPLATE } from '../redact/replace.js';

export interface RedactCommandOptions {
  readonly json: boolean;
  readonly records?: string;
  readonly showSecret: boolean;
  readonly pattern: string[];
  readonly literal: string[];
  readonly replace: string;
  readonly maxMatch: number;
  readonly failOnMatch: boolean;
  readonly builtin: boolean;
  readonly engine: 'auto' | 'ts' | 'vectorscan';
  readonly verbose: boolean;
}

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1) throw new InvalidArgumentError('expected a whole number of bytes, at least 1.');
  return number;
}

const EXAMPLES = `
Examples:
  curl -sN https://api.example.com/v1/stream | sseredact
  npm test 2>&1 | sseredact --fail-on-match
  sseredact --json < build.log                    one NDJSON record per finding, then a summary
  sseredact --records findings.ndjson app.log     redacted bytes on stdout, records on the side
  sseredact --literal "$DEPLOY_TOKEN" --replace '*4' deploy.log
  sseredact --pattern 'acme_[a-z0-9]{32}' -

Exit status: 0 clean or redacted, 1 findings with --fail-on-match, 2 usage or input error,
3 internal failure (output stops: nothing unredacted is ever written).`;

/** Builds the program; `onRedact` runs the default command. */
export function buildProgram(onRedact: (files: string[], options: RedactCommandOptions) => Promise<void>): Command {
  return new Command('sseredact')
    .description('Redact secrets (API keys, tokens, private keys, passwords) from streams, on the fly.')
    .argument('[file...]', 'files to read in order; - or none reads stdin')
    .option('--json', 'write NDJSON match records (no secrets) instead of the redacted bytes', false)
    .option('--records <file>', 'also write NDJSON match records to FILE (or fd:N) while redacted bytes go to stdout')
    .option('--show-secret', 'include each secret in the records (careful: they are secrets)', false)
    .option('-p, --pattern <regex>', 'an extra rule, RE2 syntax (repeatable)', collect, [])
    .option('-l, --literal <string>', 'a literal secret to redact (repeatable)', collect, [])
    .option('--replace <template>', 'replacement: a template with {rule} {len} {hash}, or * to mask, *N to keep N last bytes', DEFAULT_TEMPLATE)
    .option('--max-match <bytes>', 'the widest match any rule may have, in bytes', positiveInteger, DEFAULT_MAX_MATCH)
    .option('--fail-on-match', 'exit 1 when anything was found', false)
    .option('--no-builtin', 'do not load the built-in secrets pack')
    .addOption(new Option('--engine <name>', 'matching engine').choices(['auto', 'ts', 'vectorscan']).default('auto'))
    .option('-v, --verbose', 'say what is going on, on stderr', false)
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (message, write) => write(`sseredact: ${message.replace(/^error: /, '')}`) })
    .exitOverride()
    .action(onRedact);
}
