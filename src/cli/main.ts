/**
 * Entry point of the `sseredact` command: parses the command line, compiles the rules once, then
 * runs each input stream through its own redactor into stdout (or NDJSON records).
 */
import { setFlagsFromString } from 'node:v8';
import { CommanderError } from 'commander';
import { defaultCacheDirectory, seedCache } from '../cache.js';
import { describeEngines, selectEngine } from '../engine/select.js';
import { SseredactError } from '../errors.js';
import { type StreamOptions, checkStreamOptions, createStreamOpener } from '../pipeline/open-stream.js';
import { type StreamSinks, isOutputClosed, redactSource } from '../pipeline/redact-stream.js';
import { useInFlightCache } from '../redact/in-flight.js';
import { chooseRuleSpecs } from '../rules/choose.js';
import { buildProgramsInBackground } from '../rules/compile.js';
import type { LoadedRules } from '../rules/load/file.js';
import { literalRules, maskEnvRules, parseLiteralFile } from '../rules/load/literals.js';
import { type RuleSet, compileRuleSet } from '../rules/ruleset.js';
import { redactAnnotation } from '../sinks/github.js';
import { FindingTally } from '../sinks/ndjson.js';
import { createByteSink } from '../sinks/output.js';
import { openRecordsSink } from '../sinks/records-target.js';
import { openInput, readInputText } from '../sources/input.js';
import type { LiteralSetSpec, LocatedFinding, RuleSpec } from '../types.js';
import { discoverConfigFiles, repositoryRoot } from './discover-config.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, exitWhenFlushed, reportError } from './exit.js';
import { type ProgramActions, type RedactCommandOptions, type RuleCommandOptions, VERSION, buildProgram } from './program.js';
import { stderrColors } from './terminal.js';
import { refuseMistypedCommand } from './unknown-command.js';

type Log = (message: string) => void;

function logger(verbose: boolean): Log {
  return verbose ? (message) => process.stderr.write(`sseredact: ${message}\n`) : () => {};
}

const warn: Log = (message) => process.stderr.write(`sseredact: warning: ${message}\n`);

/** Loads `--rules` files. Only they need the YAML and TOML parsers, which take ~30 ms to import. */
async function loadRuleFiles(paths: readonly string[], log: Log): Promise<LoadedRules> {
  if (paths.length === 0) return { specs: [], keepsBuiltin: true, disabledBuiltin: [] };
  const { loadRuleFiles: load } = await import('../rules/load/file.js');
  return load(paths, { onNote: log });
}

/** The start-up is over once the rules are compiled: what runCli was told to call then runs once. */
function endStartUp(): void {
  onStartedUp();
  onStartedUp = () => {};
  inlineLess();
}

/**
 * The bytecode TurboFan may inline into one optimized function, in all (V8's default: 920). From
 * here on the process scans, and what V8 optimizes is the scan: with the default it inlined the
 * slice walks, the state builder and the DFA cache's hook into the ts engine's lane loop (then JS),
 * twice (on-stack replacement, then the function), ~35-60 ms of compiling each on a 2-core
 * machine while the loop ran ~10x slower unoptimized; ~370 ms of compiler CPU per run in all. What
 * they called is cold (once per slice or per state built), so inlining it bought no speed.
 * Measured against the default (bench/run.mjs --base, 64 MiB each): CPU 0.93x on the ts engine's
 * CI log and base64, 0.90x on dense secrets, 0.92x on vectorscan's CI log; peak RSS 3-5 MB less.
 * Set after the start-up, like collectEarly's flags: the code cache the launcher saves is checked
 * against the flags a start begins with.
 */
const INLINED_BYTECODE_BUDGET = 150;

function inlineLess(): void {
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${INLINED_BYTECODE_BUDGET}`);
}

/**
 * From here on the process streams: V8's --optimize-for-size makes the old generation collect
 * early, so a long stream's peak RSS stays flat (ts engine, 64 MiB: 123 MB with it, 178 MB
 * without; vectorscan 110 and 153 MB). V8 reads it at every collection, so it is set here, once
 * the rules are compiled: on the launcher's command line, with the 1 MiB young generation once
 * asked for there, it made the start-up's compile collect garbage all along (`echo hi`: ~200 ms
 * CPU instead of ~150). A young generation can only be sized at launch, but its growth can be
 * stopped here: it leaves the start-up at 8 MB and doubled to 16 MB over a bulk stream (ts, 256
 * MiB: 115 MB peak RSS, 101 MB held at 8, for 241 young collections of ~0.5 ms instead of 95:
 * ~1% of the CPU). Scan chooses for itself (pipeline/scan.ts): a small one
 * is over before the flag could pay for the full collection it adds.
 */
function collectEarly(): void {
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** What runCli was told to call once the start-up is over, before V8's flags change (bin/sseredact: it saves the code cache). */
let onStartedUp: () => void = () => {};

/** Loads and compiles the rules the options choose, on the engine they choose. */
export async function compileChosenRules(options: RuleCommandOptions, log: Log): Promise<RuleSet> {
  // A first run after the install starts from what the install cached (src/cache.ts).
  for (const line of seedCache(defaultCacheDirectory())) log(line);
  const configFiles = options.config ? discoverConfigFiles(repositoryRoot()) : [];
  for (const path of configFiles) log(`config: ${path}`);
  const ruleFiles = await loadRuleFiles([...configFiles, ...options.rules], log);
  const loaded: Array<RuleSpec | LiteralSetSpec> = [...ruleFiles.specs];
  for (const path of options.literalFile) {
    const literals = parseLiteralFile(readInputText(path));
    loaded.push(...literalRules(literals, { id: `literal-file-${loaded.length + 1}`, source: path, onWarning: warn }));
  }
  const maskEnv = options.maskEnv.flatMap((names) => names.split(',')).filter((name) => name.trim() !== '');
  if (maskEnv.length > 0) loaded.push(...maskEnvRules(maskEnv, process.env, { onWarning: warn }));
  // A gitleaks config stands in for the default secrets pack, as for gitleaks' own defaults.
  const defaultPacks = ruleFiles.keepsBuiltin ? ['secrets' as const] : [];
  if (!ruleFiles.keepsBuiltin && options.builtin && options.pack.length === 0) log('a gitleaks config without [extend] useDefault = true replaces the built-in secrets pack');
  const packs = !options.builtin ? [] : options.pack.length > 0 ? options.pack : defaultPacks;
  const specs = chooseRuleSpecs({
    packs: options.pii && options.builtin ? [...new Set([...packs, 'pii' as const])] : packs,
    rules: loaded,
    patterns: options.pattern,
    literals: options.literal,
    disable: options.disable,
    dropFromPacks: ruleFiles.disabledBuiltin,
    source: 'cli',
    onWarning: warn,
    onNote: log,
  });
  const engine = selectEngine(options.engine, log);
  const ruleSet = compileRuleSet(specs, { engine, maxMatch: options.maxMatch, cacheDirectory: defaultCacheDirectory(), log });
  endStartUp();
  log(`${ruleSet.rules.length} rules on the ${ruleSet.database.engine} engine, widest match ${ruleSet.database.maxWidth} bytes`);
  return ruleSet;
}

/**
 * The rules of a command that redacts streams, with what its first lines would otherwise build on
 * the hot path: the in-flight analysis and the Pike VM programs come from the cache at their first
 * use, or, on a miss of the programs, from a build in a process of its own that caches both for
 * the next run, and for this one if it needs them later (rules/compile.ts,
 * buildProgramsInBackground).
 */
async function compileRedactingRules(options: RuleCommandOptions, log: Log): Promise<RuleSet> {
  const ruleSet = await compileChosenRules(options, log);
  collectEarly();
  useInFlightCache(ruleSet.rules, { cacheDirectory: defaultCacheDirectory(), log });
  buildProgramsInBackground(ruleSet.rules, { inFlight: true });
  return ruleSet;
}

async function redact(files: string[], options: RedactCommandOptions, commandNames: readonly string[]): Promise<number> {
  const log = logger(options.verbose);
  // -o, --in-place, checkpoints: checked (and a checkpoint read) before any rule compiles. Their
  // module (with the checkpoint and atomic-file ones) is imported only when one is asked for.
  const asksForFileJob =
    options.output !== undefined || options.inPlace || options.suffix !== undefined || options.checkpoint !== undefined || options.checkpointEvery !== undefined || options.resume;
  const fileJobCommand = asksForFileJob ? await import('./file-job.js') : null;
  const fileJob = fileJobCommand ? await fileJobCommand.prepareFileJob(files, options) : null;
  const hashKey = process.env.SSEREDACT_HASH_KEY ?? fileJob?.hashKey;
  const streamOptions: StreamOptions = {
    sse: options.sse,
    githubMasks: options.githubMasks ?? process.env.GITHUB_ACTIONS === 'true',
    log,
    onWarning: warn,
    ...(options.replace === undefined ? {} : { replace: options.replace }),
    ...(options.sseJson === undefined ? {} : { sseJson: options.sseJson }),
    ...(options.strictHold ? { strictHold: true } : {}),
    ...(hashKey === undefined ? {} : { hashKey }),
  };
  // A bad template or content path is a usage error before any rule compiles or input is read.
  checkStreamOptions(streamOptions);
  if (options.listen.length === 0) refuseMistypedCommand(files, commandNames);
  // Socket mode, imported only when asked for: its addresses are checked before rules compile too.
  const listenCommand = options.listen.length > 0 ? await import('./listen-command.js') : null;
  const addresses = listenCommand?.checkListenOptions(files, options);
  if (!listenCommand && (options.reply || options.label)) throw new SseredactError('usage', '--reply and --label need --listen');
  const ruleSet = await compileRedactingRules(options, log);
  const openStream = createStreamOpener(ruleSet, streamOptions);
  if (listenCommand && addresses) return listenCommand.listen(addresses, openStream, options, options.records ? openRecordsSink(options.records) : null, log);
  if (fileJobCommand && fileJob) return fileJobCommand.runFileJob(fileJob, { ruleSet, openStream, options, log });
  const sources = (files.length === 0 ? ['-'] : files).map((file) => openInput(file));
  const stdout = createByteSink(process.stdout, { ownsStream: false });
  const records = options.json ? stdout : options.records ? openRecordsSink(options.records) : null;
  const sinks: StreamSinks = {
    output: options.json ? null : stdout,
    records,
    showSecret: options.showSecret,
    tally: new FindingTally(),
    ...(options.github ? { onLocated: (finding: LocatedFinding, stream: string) => process.stderr.write(redactAnnotation(finding, stream)) } : {}),
  };
  for (const source of sources) {
    await redactSource(source, openStream, sinks);
    // A reader gone (`| head`) ends the run quietly; the records of what was written, and their summary, still go out.
    if (isOutputClosed(sinks)) break;
  }
  if (records) {
    await records.write(sinks.tally.summaryRecord());
    await records.end();
  }
  log(`${sinks.tally.findings} finding(s) in ${sinks.tally.bytes} bytes`);
  return options.failOnMatch && sinks.tally.findings > 0 ? EXIT_FINDINGS : EXIT_OK;
}

export async function main(argv: readonly string[]): Promise<number> {
  let status = EXIT_OK;
  const actions: ProgramActions = {
    redact: async (files, options) => {
      status = await redact(
        files,
        options,
        program.commands.map((command) => command.name()),
      );
    },
    // Imported here, as the commands below: listing and testing rules is no part of a redacting start.
    rulesList: async (options) => {
      const { listRules } = await import('./rules-command.js');
      status = await listRules(await compileChosenRules(options, logger(options.verbose)));
    },
    rulesTest: async (file, options) => {
      const { testRules } = await import('./rules-command.js');
      status = await testRules(await compileChosenRules(options, logger(options.verbose)), openInput(file));
    },
    scan: async (paths, options) => {
      const log = logger(options.verbose);
      // Imported here: its report and git modules are no part of a redacting start.
      const { scan } = await import('./scan-command.js');
      // Its workers read the programs from the cache: a pre-commit hook's scan fills it for the next.
      const compileScanRules = async (): Promise<RuleSet> => {
        const ruleSet = await compileChosenRules(options, log);
        buildProgramsInBackground(ruleSet.rules, { inFlight: false });
        return ruleSet;
      };
      status = await scan(paths, options, compileScanRules, log);
    },
    // Imported here: the HTTP server is no part of a redacting start.
    proxy: async (options) => {
      const log = logger(options.verbose);
      const { runProxy } = await import('./proxy-command.js');
      status = await runProxy(options, () => compileRedactingRules(options, log), log);
    },
    // Imported here: writing a hook is no part of a redacting start.
    hookInstall: async (options) => {
      const { installHook } = await import('./hook-command.js');
      status = await installHook(options);
    },
    hookUninstall: async () => {
      const { uninstallHook } = await import('./hook-command.js');
      status = await uninstallHook();
    },
  };
  // `--version --verbose` also says which engines this installation has.
  if ((argv.includes('--version') || argv.includes('-V')) && (argv.includes('--verbose') || argv.includes('-v'))) {
    process.stdout.write(`sseredact ${VERSION}\n`);
    for (const engine of describeEngines()) process.stdout.write(`engine ${engine.name}: ${engine.available ? 'available' : 'unavailable'}: ${engine.detail}\n`);
    return EXIT_OK;
  }
  const program = buildProgram(actions);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already printed its one-line error otherwise.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return reportError(error, await stderrColors());
  }
}

/**
 * Runs the command and exits the process with its status once output is flushed; `startedUp` is
 * called once the rules are compiled (never, for a command that compiles none).
 */
export async function runCli(argv: readonly string[], startedUp: () => void = () => {}): Promise<never> {
  onStartedUp = startedUp;
  return exitWhenFlushed(await main(argv));
}
