/**
 * The command line: commander's program is the single source of `--help` (and of the man page's
 * option list, which a test keeps in step with it).
 */
import { readFileSync } from 'node:fs';
import { Command, Help, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_TEMPLATE } from '../redact/replace.js';
import { DEFAULT_MAX_MATCH } from '../rules/compile.js';

/** Options that choose and compile rules: shared by the redact command and `rules`. */
export interface RuleCommandOptions {
  readonly rules: string[];
  readonly pack: Array<'secrets' | 'pii'>;
  readonly pii: boolean;
  readonly builtin: boolean;
  readonly disable: string[];
  readonly pattern: string[];
  readonly literal: string[];
  readonly literalFile: string[];
  readonly maskEnv: string[];
  readonly maxMatch: number;
  readonly engine: 'auto' | 'ts' | 'vectorscan';
  /** False with `--no-config`: the repository's config files are not loaded (cli/discover-config.ts). */
  readonly config: boolean;
  readonly verbose: boolean;
}

export interface RedactCommandOptions extends RuleCommandOptions {
  readonly json: boolean;
  readonly records?: string;
  readonly showSecret: boolean;
  readonly replace?: string;
  readonly failOnMatch: boolean;
  readonly sse: 'on' | 'auto' | 'off';
  readonly sseJson?: string;
  readonly strictHold: boolean;
  /** Socket mode (`--listen`, src/cli/listen-command.ts): the addresses; empty: read files or stdin. */
  readonly listen: string[];
  readonly label: boolean;
  readonly reply: boolean;
  readonly maxConnections: number;
  /** Seconds; 0: never. */
  readonly idleTimeout: number;
  readonly maxBuffer: number;
  readonly stats: boolean;
  readonly statsJson: boolean;
  /** File jobs (src/cli/file-job.ts): `-o FILE`, `--in-place`, checkpoints. */
  readonly output?: string;
  readonly inPlace: boolean;
  readonly suffix?: string;
  readonly checkpoint?: string;
  /** Bytes; absent: 64 MiB. */
  readonly checkpointEvery?: number;
  readonly resume: boolean;
  /** Absent: on when GITHUB_ACTIONS=true. */
  readonly githubMasks?: boolean;
  readonly github: boolean;
}

export interface ScanCommandOptions extends RuleCommandOptions {
  readonly staged: boolean;
  /** `--git [RANGE]`: true (all history) or the range; false with `--no-git` (walk without git); undefined with neither. */
  readonly git?: boolean | string;
  readonly baseline?: string;
  readonly writeBaseline?: string;
  readonly maxFileSize?: number;
  /** The exit status when something is reported (`--exit-code`, default 1). */
  readonly exitCode: number;
  readonly json: boolean;
  readonly sarif: boolean;
  readonly showSecret: boolean;
  /** Worker threads for a large scan; absent: the number of cores. */
  readonly jobs?: number;
  /** Seconds; 0: never. */
  readonly fileTimeout: number;
  readonly stats: boolean;
  /** Absent: on when GITHUB_ACTIONS=true. */
  readonly github?: boolean;
  /** `--resume JOURNAL` (src/cli/scan-resume.ts). */
  readonly resume?: string;
}

/** Options of `proxy`. */
export interface ProxyCommandOptions extends RuleCommandOptions {
  /** Required: checked by the command, so that an unknown option is the error a typo gets. */
  readonly upstream?: string;
  readonly listen: string;
  readonly sseJson?: string;
  readonly strictHold: boolean;
  readonly replace?: string;
  readonly redactAll: boolean;
  readonly redactRequests: boolean;
  readonly stats: boolean;
  readonly shutdownTimeout: number;
}

/** Options of `hook install`. */
export interface HookInstallOptions {
  readonly force: boolean;
}

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectPack(value: string, previous: Array<'secrets' | 'pii'>): Array<'secrets' | 'pii'> {
  if (value !== 'secrets' && value !== 'pii') throw new InvalidArgumentError('expected secrets or pii.');
  return [...previous, value];
}

/** A parser of whole numbers of `unit`, at least 1. */
function positiveInteger(unit: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < 1) throw new InvalidArgumentError(`expected a whole number of ${unit}, at least 1.`);
    return number;
  };
}

/**
 * The largest --max-match: a stream may hold back about this many bytes, and a wider cap makes
 * memory grow with the input instead (a 50 MB log with a cap of 10^9 ran out of memory).
 */
const MAX_MAX_MATCH = 1024 * 1024;

function maxMatchBytes(value: string): number {
  const number = positiveInteger('bytes')(value);
  if (number > MAX_MAX_MATCH) throw new InvalidArgumentError(`expected at most ${MAX_MAX_MATCH} bytes (1 MiB): a stream holds back up to that much.`);
  return number;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** A size in bytes: a whole number with an optional binary unit (`64MiB`, `512k`, `1G`). */
function byteSize(value: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined || Number(match[1]) < 1) throw new InvalidArgumentError('expected a size like 64MiB, 512KiB or 1048576 (bytes), at least 1 byte.');
  return Number(match[1]) * unit;
}

function exitStatus(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 255) throw new InvalidArgumentError('expected an exit status, 0 to 255.');
  return number;
}

function seconds(value: string): number {
  if (!/^\d+(?:\.\d+)?$/.test(value)) throw new InvalidArgumentError('expected a number of seconds, like 30 or 0.5.');
  return Number(value);
}

/** `--max-connections` unless given. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** `--max-buffer` unless given: 16 MiB. */
export const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;

const EXAMPLES = `
Examples:
  curl -sN https://api.example.com/v1/stream | sseredact
  npm test 2>&1 | sseredact --fail-on-match
  sseredact --json < build.log                    one NDJSON record per finding, then a summary
  sseredact --records findings.ndjson app.log     redacted bytes on stdout, records on the side
  sseredact --literal "$DEPLOY_TOKEN" --replace '*4' deploy.log
  sseredact --pattern 'acme_[a-z0-9]{32}' -
  npm test 2>&1 | sseredact --mask-env 'NPM_TOKEN,*_SECRET'
  curl -sN https://api.openai.com/v1/chat/completions ... | sseredact --sse-json openai
  sseredact --rules gitleaks.toml --pii app.log
  sseredact --listen tcp://127.0.0.1:5140 --label        every connection a stream; labelled lines on stdout
  sseredact --listen unix:/run/sseredact.sock --reply    redacted bytes go back to each sender
  sseredact -o app.redacted.log app.log                  written beside it, renamed into place when done
  sseredact --in-place --suffix .orig logs/*.log         like sed -i; the originals kept as *.log.orig
  sseredact -o out.log --checkpoint job.ckpt --resume big.log   go on where a killed run stopped
  make test 2>&1 | sseredact --github-masks --github     a CI log: ::add-mask:: honoured, annotations on stderr
  sseredact scan --staged                         find secrets in files instead (sseredact scan --help)
  sseredact proxy --upstream https://api.openai.com --sse-json openai    an HTTP proxy that redacts responses
  sseredact hook install                          the git pre-commit hook
  sseredact rules list                            the rules in use

Exit status: 0 clean or redacted, 1 findings with --fail-on-match, 2 usage or input error,
3 internal failure (output stops: nothing unredacted is ever written).`;

const RULES_EXAMPLES = `
Examples:
  sseredact rules list                            every rule: id, pack, description
  sseredact rules list --pii --rules team.toml
  echo 'key=AKIAZ7VQ3XJ5K2LMN4PQ' | sseredact rules test -
  sseredact rules test --rules gitleaks.toml sample.txt`;

const SCAN_EXAMPLES = `
Examples:
  sseredact scan                                  the working directory, without what git ignores
  sseredact scan src config/app.env
  sseredact scan --staged                         the staged files, as a git pre-commit hook runs it
  sseredact scan --sarif . > sseredact.sarif      for GitHub code scanning
  git show HEAD:config.yml | sseredact scan --json -
  sseredact scan --git                            every commit's added lines, all history
  sseredact scan --git origin/main..HEAD          the commits of a branch
  sseredact scan --write-baseline .sseredact-baseline.json
  sseredact scan --baseline .sseredact-baseline.json   only what is new since
  sseredact scan --resume scan.journal big/       run again after a crash, it goes on where it stopped

A line holding sseredact:allow (or gitleaks:allow, pragma: allowlist secret, secretlint-disable-line)
is not reported, nor what .sseredactignore or .gitleaksignore at the top of the repository lists.
The repository's .sseredact.toml (.yaml, .json) and .gitleaks.toml are loaded (--no-config: not).
Rules with paths apply only to matching files; allowlists may match paths and whole lines.

Exit status: 0 nothing found, 1 findings (or --exit-code), 2 usage or input error, 3 internal failure.`;

const PROXY_EXAMPLES = `
Examples:
  sseredact proxy --upstream https://api.openai.com --sse-json openai
      then point a client at it: OPENAI_BASE_URL=http://127.0.0.1:8080/v1
  sseredact proxy --upstream https://api.anthropic.com --sse-json anthropic --listen 127.0.0.1:8081
  sseredact proxy --upstream http://127.0.0.1:9000 --mask-env 'DEPLOY_*' --redact-requests --stats

Each request is forwarded to the upstream and its response redacted as it streams, by its type:
text/event-stream per event (with --sse-json: across events), JSON and text/* as bytes, other
types untouched unless --redact-all. One line per request on stderr (no secrets). SIGTERM or
SIGINT: stop accepting, let open responses finish (up to --shutdown-timeout), exit 0.`;

const HOOK_EXAMPLES = `
Examples:
  sseredact hook install                          .git/hooks/pre-commit runs sseredact scan --staged
  sseredact hook install --force                  replace another pre-commit hook
  sseredact hook uninstall

A commit with a secret staged is then stopped. To commit anyway, once: git commit --no-verify.
With the pre-commit framework, use the hook id sseredact (.pre-commit-hooks.yaml) instead.`;

/** The options that choose rules, on the redact command and on `rules list|test`. */
function addRuleOptions(command: Command): Command {
  return command
    .option('-r, --rules <file>', 'load rules from FILE: TOML, YAML or JSON, our schema or a gitleaks config (repeatable)', collect, [])
    .option('--pack <name>', 'use a built-in pack, secrets or pii (repeatable; default: secrets)', collectPack, [])
    .option('--pii', 'add the PII pack: emails, card numbers, IBANs, SSNs, phone numbers, IP addresses', false)
    .option('--no-builtin', 'load no built-in pack')
    .option('--disable <id>', 'turn rule ID off (repeatable)', collect, [])
    .option('-p, --pattern <regex>', 'an extra rule, RE2 syntax (repeatable)', collect, [])
    .option('-l, --literal <string>', 'a literal secret, also in its JSON, URL and base64 encodings (repeatable)', collect, [])
    .option('--literal-file <file>', 'literal secrets, one per line (# comments; repeatable)', collect, [])
    .option('--mask-env <names>', 'the values of these environment variables are secrets: names or globs, comma-separated (repeatable)', collect, [])
    .option('--max-match <bytes>', 'the widest match any rule may have, in bytes (at most 1 MiB)', maxMatchBytes, DEFAULT_MAX_MATCH)
    .addOption(new Option('--engine <name>', 'matching engine: vectorscan when its addon is installed, else ts').choices(['auto', 'ts', 'vectorscan']).default('auto'))
    .option('--no-config', "don't load the repository's .sseredact.toml (.yaml, .json) or .gitleaks.toml")
    .option('-v, --verbose', 'say what is going on, on stderr', false);
}

/** Help that leaves out the empty list a repeatable option starts from (`(default: [])`). */
class QuietDefaultsHelp extends Help {
  override optionDescription(option: Option): string {
    if (!Array.isArray(option.defaultValue) || option.defaultValue.length > 0) return super.optionDescription(option);
    const { defaultValue } = option;
    option.defaultValue = undefined;
    try {
      return super.optionDescription(option);
    } finally {
      option.defaultValue = defaultValue;
    }
  }
}

function configure(command: Command): Command {
  command.createHelp = () => Object.assign(new QuietDefaultsHelp(), command.configureHelp());
  return command
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    .configureOutput({ outputError: (message, write) => write(`sseredact: ${message.replace(/^error: /, '')}`) })
    .exitOverride();
}

export interface ProgramActions {
  readonly redact: (files: string[], options: RedactCommandOptions) => Promise<void>;
  readonly rulesList: (options: RuleCommandOptions) => Promise<void>;
  readonly rulesTest: (file: string, options: RuleCommandOptions) => Promise<void>;
  readonly scan: (paths: string[], options: ScanCommandOptions) => Promise<void>;
  readonly proxy: (options: ProxyCommandOptions) => Promise<void>;
  readonly hookInstall: (options: HookInstallOptions) => Promise<void>;
  readonly hookUninstall: () => Promise<void>;
}

/** Builds the program; the actions run the commands. */
export function buildProgram(actions: ProgramActions): Command {
  const program = configure(
    addRuleOptions(
      new Command('sseredact')
        .description('Redact secrets (API keys, tokens, private keys, passwords) from streams, on the fly.')
        .argument('[file...]', 'files to read in order; - or none reads stdin')
        .option('--json', 'write NDJSON match records (no secrets) instead of the redacted bytes', false)
        .addOption(new Option('--records <file>', 'also write NDJSON match records to FILE (or fd:N) while redacted bytes go to stdout').conflicts('json'))
        .option('--show-secret', 'include each secret in the records (careful: they are secrets)', false),
    )
      .option('--replace <template>', `replacement: a template with {rule} {len} {hash}, or * to mask, *N to keep N last bytes (default: ${DEFAULT_TEMPLATE}, or the rule's own)`)
      .option('--fail-on-match', 'exit 1 when anything was found', false)
      .option('--github-masks', "honour GitHub Actions' ::add-mask::VALUE lines: the line is redacted and VALUE is a secret from then on (default: on when GITHUB_ACTIONS=true)")
      .option('--no-github-masks', 'ignore ::add-mask:: lines, even on GitHub Actions')
      .option('--github', 'also print a GitHub Actions ::warning annotation per finding on stderr (rule, stream, line; never the secret)', false)
      .addOption(
        new Option('--sse [mode]', 'Server-Sent Events: redact per event and re-emit each event at once; auto: only if the input starts like an event stream')
          .choices(['on', 'auto', 'off'])
          .default('off')
          .preset('on'),
      )
      .option(
        '--sse-json <path>',
        'SSE with JSON deltas: the text at PATH (a preset: openai, anthropic, gemini, vercel, auto; or a dotted path like a.b[].c) forms one content stream per choice or block, so a secret split over events is found',
      )
      .option(
        '--strict-hold',
        "with --sse-json: hold text at an event's end whenever a secret could still cover it, even when it is only a key's literal prefix (sk-ant-) or a word that could begin a long key's head; text then often arrives an event late",
        false,
      )
      .option('--listen <address>', 'serve sockets instead of reading files: each connection to tcp://HOST:PORT or unix:PATH is its own stream (repeatable)', collect, [])
      .option('--label', 'with --listen: start each line on stdout with its stream id (conn-N | )', false)
      .option('--reply', "with --listen: send each connection's redacted bytes back to it instead of to stdout", false)
      .option('--max-connections <n>', 'with --listen: refuse (reset) connections past N open ones', positiveInteger('connections'), DEFAULT_MAX_CONNECTIONS)
      .option('--idle-timeout <seconds>', 'with --listen: end a connection that sends nothing for SECONDS (0: never)', seconds, 0)
      .option('--max-buffer <bytes>', 'with --listen: stop reading while this many bytes wait for stdout', positiveInteger('bytes'), DEFAULT_MAX_BUFFER)
      .option('--stats', 'with --listen: print per-stream and total telemetry on stderr at exit and on SIGUSR1', false)
      .option('--stats-json', 'with --listen: the same telemetry as one JSON line', false)
      .addOption(new Option('-o, --output <file>', 'write to FILE instead of stdout: a temporary file beside it, renamed over it on success (mode kept)').conflicts('inPlace'))
      .option('--in-place', 'redact each FILE in place, atomically (mode kept); an unreadable one is skipped (exit 2)', false)
      .option('--suffix <suffix>', 'with --in-place: keep each original as FILE+SUFFIX')
      .option('--checkpoint <file>', 'with -o or --in-place and one input file: record progress in FILE at clean points, so --resume can go on after a crash')
      .option('--checkpoint-every <size>', 'with --checkpoint: input bytes between checkpoints, like 64MiB or 512KiB (default: 64MiB)', byteSize)
      .option('--resume', 'with --checkpoint: go on from its checkpoint (the same input, output and options; none yet: start over)', false)
      .version(VERSION, '-V, --version', 'print the version (with --verbose: and the engines available)')
      .addHelpText('after', EXAMPLES)
      .action(actions.redact),
  );
  const rules = configure(new Command('rules').description('list the rules, or test them on a sample').addHelpText('after', RULES_EXAMPLES));
  rules.addCommand(
    configure(addRuleOptions(new Command('list').description('list the rules in use: id, pack or file, description')))
      .addHelpText('after', '\nExamples:\n  sseredact rules list\n  sseredact rules list --pii --rules team.toml --disable generic-password')
      .action(actions.rulesList),
  );
  rules.addCommand(
    configure(
      addRuleOptions(
        new Command('test').description('show which rules fire on FILE (- for stdin), with offsets; exit 1 when any does').argument('<file>', 'sample to test; - reads stdin'),
      ),
    )
      .addHelpText('after', '\nExamples:\n  sseredact rules test sample.txt\n  sseredact rules test --rules gitleaks.toml -')
      .action(actions.rulesTest),
  );
  program.addCommand(rules);
  program.addCommand(
    configure(
      addRuleOptions(
        new Command('scan')
          .description('find secrets in files, directories (without what git ignores) or the staged git index; report them, exit 1 when any')
          .argument('[path...]', 'files and directories to scan (default: .; - reads stdin); with --staged, git pathspecs'),
      ),
    )
      .option('--staged', 'scan the staged contents of the files the next commit adds or changes (a pre-commit hook)', false)
      .option('--git [range]', 'scan the lines each commit in RANGE adds (default: all history); paths are then git pathspecs')
      .option('--no-git', 'walk directories without git: also what git ignores')
      .option('--baseline <file>', 'report only findings not in this baseline (written by --write-baseline)')
      .option('--write-baseline <file>', 'record the current findings in FILE as accepted, report nothing, exit 0')
      .option('--max-file-size <bytes>', 'skip files (with --git: a file patch) larger than this (bytes, or 1MiB, 512KiB)', byteSize)
      .option('--exit-code <status>', 'exit with this status when anything is reported', exitStatus, 1)
      .addOption(new Option('--json', 'write NDJSON finding records (with path) and a summary instead of the text report').default(false).conflicts('sarif'))
      .option('--sarif', 'write a SARIF 2.1.0 log for GitHub code scanning instead of the text report', false)
      .option('--show-secret', 'show each secret in the report and records instead of a masked preview (careful)', false)
      .option('-j, --jobs <n>', 'scan on N worker threads, smallest files first (default: the cores for a large input, one thread for a small one)', positiveInteger('threads'))
      .option('--file-timeout <seconds>', 'cut off a file that takes longer than SECONDS and report it as not scanned (exit 3); 0: never', seconds, 0)
      .option('--stats', 'print telemetry on stderr at the end: files, bytes, throughput, queue depth, worker utilisation', false)
      .option('--resume <journal>', 'record each file (with --git: file patch) scanned in JOURNAL; run again, a killed scan goes on where it stopped (removed at the end)')
      .option('--github', 'also print a GitHub Actions ::error annotation per finding on stderr (default: on when GITHUB_ACTIONS=true)')
      .option('--no-github', 'no annotations, even on GitHub Actions')
      .addHelpText('after', SCAN_EXAMPLES)
      .action(actions.scan),
  );
  program.addCommand(
    configure(addRuleOptions(new Command('proxy').description('an HTTP reverse proxy to URL that redacts the responses as they stream')))
      .option('--upstream <url>', 'forward every request to this http:// or https:// URL (its path is prefixed to each request path); required')
      .option('--listen <address>', 'listen on HOST:PORT, [IPv6]:PORT, PORT (on 127.0.0.1) or unix:PATH', '127.0.0.1:8080')
      .option(
        '--sse-json <path>',
        'event streams carry JSON deltas: the strings at PATH (openai, anthropic, or a dotted path) form one content stream, so a secret split over events is found',
      )
      .option('--strict-hold', "with --sse-json: hold text at an event's end whenever a secret could still cover it (see the main command's --strict-hold)", false)
      .option('--replace <template>', `replacement: a template with {rule} {len} {hash}, or * to mask, *N to keep N last bytes (default: ${DEFAULT_TEMPLATE}, or the rule's own)`)
      .option('--redact-all', 'also redact bodies of other media types (as bytes), not only event streams, JSON and text/*', false)
      .option('--redact-requests', 'also redact request bodies before they go upstream', false)
      .option('--stats', 'print totals (requests, bytes, findings per rule) on stderr at exit', false)
      .option('--shutdown-timeout <seconds>', 'on SIGTERM or SIGINT, wait this long for open responses, then cut them off', seconds, 10)
      .addHelpText('after', PROXY_EXAMPLES)
      .action(actions.proxy),
  );
  const hook = configure(new Command('hook').description("install or remove the git pre-commit hook that runs 'sseredact scan --staged'").addHelpText('after', HOOK_EXAMPLES));
  hook.addCommand(
    configure(new Command('install').description("write the current repository's git pre-commit hook; it stops a commit that adds a secret"))
      .option('--force', "replace a pre-commit hook that is not sseredact's", false)
      .addHelpText('after', '\nExamples:\n  sseredact hook install\n  sseredact hook install --force')
      .action(actions.hookInstall),
  );
  hook.addCommand(
    configure(new Command('uninstall').description("remove the current repository's pre-commit hook, if it is sseredact's"))
      .addHelpText('after', '\nExamples:\n  sseredact hook uninstall')
      .action(actions.hookUninstall),
  );
  program.addCommand(hook);
  // Options after `rules list` belong to it, not to the redact command.
  program.enablePositionalOptions();
  return program;
}
