/**
 * Entry point of the `sseredact` command: parses the command line, compiles the rules once, then
 * runs each input stream through its own redactor into stdout (or NDJSON records).
 */
import { CommanderError } from 'commander';
import { defaultCacheDirectory } from '../cache.js';
import { describeEngines, selectEngine } from '../engine/select.js';
import { redactStream } from '../pipeline/redact-stream.js';
import { type RedactOptions, createRedactorPool } from '../redact/redactor.js';
import { parseReplacement } from '../redact/replace.js';
import { chooseRuleSpecs } from '../rules/choose.js';
import { literalRules, maskEnvRules, parseLiteralFile } from '../rules/load/literals.js';
import { type RuleSet, compileRuleSet } from '../rules/ruleset.js';
import { FindingTally, findingRecord } from '../sinks/ndjson.js';
import { closedWithAny, createByteSink } from '../sinks/output.js';
import { openRecordsSink } from '../sinks/records-target.js';
import { openInput, readInputText } from '../sources/input.js';
import { createAutoRedactor } from '../sse/detect.js';
import { compileContentPath } from '../sse/json-path.js';
import { type ByteRedactor, createSseRedactor } from '../sse/redact.js';
import type { RuleSpec } from '../types.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, exitWhenFlushed, reportError } from './exit.js';
import { type ProgramActions, type RedactCommandOptions, type RuleCommandOptions, VERSION, buildProgram } from './program.js';
import { listRules, testRules } from './rules-command.js';

type Log = (message: string) => void;

function logger(verbose: boolean): Log {
  return verbose ? (message) => process.stderr.write(`sseredact: ${message}\n`) : () => {};
}

const warn: Log = (message) => process.stderr.write(`sseredact: warning: ${message}\n`);

/** Loads `--rules` files. Only they need the YAML and TOML parsers, which take ~30 ms to import. */
async function loadRuleFiles(paths: readonly string[]): Promise<RuleSpec[]> {
  if (paths.length === 0) return [];
  const { loadRuleFile } = await import('../rules/load/file.js');
  return paths.flatMap((path) => loadRuleFile(path, { onWarning: warn }));
}

/** Loads and compiles the rules the options choose, on the engine they choose. */
export async function compileChosenRules(options: RuleCommandOptions, log: Log): Promise<RuleSet> {
  const loaded = await loadRuleFiles(options.rules);
  for (const path of options.literalFile) {
    const literals = parseLiteralFile(readInputText(path));
    loaded.push(...literalRules(literals, { id: `literal-file-${loaded.length + 1}`, source: path, onWarning: warn }));
  }
  const maskEnv = options.maskEnv.flatMap((names) => names.split(',')).filter((name) => name.trim() !== '');
  if (maskEnv.length > 0) loaded.push(...maskEnvRules(maskEnv, process.env, { onWarning: warn }));
  const packs = !options.builtin ? [] : options.pack.length > 0 ? options.pack : ['secrets' as const];
  const specs = chooseRuleSpecs({
    packs: options.pii && options.builtin ? [...new Set([...packs, 'pii' as const])] : packs,
    rules: loaded,
    patterns: options.pattern,
    literals: options.literal,
    disable: options.disable,
    source: 'cli',
    onWarning: warn,
  });
  const engine = selectEngine(options.engine, log);
  const ruleSet = compileRuleSet(specs, { engine, maxMatch: options.maxMatch, cacheDirectory: defaultCacheDirectory(), log });
  log(`${ruleSet.rules.length} rules on the ${ruleSet.database.engine} engine, widest match ${ruleSet.database.maxWidth} bytes`);
  return ruleSet;
}

/** Wraps the byte redactor for the SSE options: per event, per content stream, or detected. */
function openStreamRedactor(options: RedactCommandOptions, openRedactor: () => ByteRedactor, log: Log, name: string): ByteRedactor {
  if (options.sseJson !== undefined) return createSseRedactor({ openRedactor, contentPath: options.sseJson });
  if (options.sse === 'on') return createSseRedactor({ openRedactor });
  if (options.sse === 'auto') {
    return createAutoRedactor({
      text: () => {
        log(`${name}: not an event stream, plain redaction`);
        return openRedactor();
      },
      sse: () => {
        log(`${name}: event stream detected, SSE mode`);
        return createSseRedactor({ openRedactor });
      },
    });
  }
  return openRedactor();
}

async function redact(files: string[], options: RedactCommandOptions): Promise<number> {
  const log = logger(options.verbose);
  if (options.sseJson !== undefined) compileContentPath(options.sseJson); // a bad path is a usage error before any input
  const explicitReplacement = options.replace !== undefined ? parseReplacement(options.replace, process.env.SSEREDACT_HASH_KEY) : null;
  const ruleSet = await compileChosenRules(options, log);
  const ruleReplacements = explicitReplacement
    ? []
    : ruleSet.rules.map((rule) => {
        const own = (rule.spec as { replacement?: string }).replacement;
        return own === undefined ? undefined : parseReplacement(own, process.env.SSEREDACT_HASH_KEY);
      });
  const replacement = explicitReplacement ?? parseReplacement('[REDACTED:{rule}]', process.env.SSEREDACT_HASH_KEY);
  const sources = (files.length === 0 ? ['-'] : files).map(openInput);
  const stdout = createByteSink(process.stdout, { ownsStream: false });
  const records = options.json ? stdout : options.records ? openRecordsSink(options.records) : null;
  const bytesSink = closedWithAny(options.json ? null : stdout, records ? [stdout, records] : [stdout]);
  const tally = new FindingTally();
  for (const source of sources) {
    const pending: string[] = [];
    // Only records say where a finding is: without them, the redactor need not count lines.
    const redactOptions: RedactOptions = records
      ? {
          replacement,
          ruleReplacements,
          onFinding: (finding) => {
            tally.add(finding);
            pending.push(findingRecord(finding, source.name, options.showSecret));
          },
        }
      : { replacement, ruleReplacements, locate: false, onFinding: (finding) => tally.add(finding) };
    const redactor = openStreamRedactor(options, createRedactorPool(ruleSet, redactOptions), log, source.name);
    const flushRecords = async (): Promise<void> => {
      if (records && pending.length > 0) await records.write(pending.splice(0).join(''));
    };
    const totals = await redactStream(source, redactor, bytesSink, flushRecords);
    await flushRecords(); // a reader gone stops the stream before its last chunk's records
    tally.streams++;
    tally.bytes += totals.bytes;
    if (bytesSink.isClosed) break;
  }
  if (records) {
    await records.write(tally.summaryRecord());
    await records.end();
  }
  log(`${tally.findings} finding(s) in ${tally.bytes} bytes`);
  return options.failOnMatch && tally.findings > 0 ? EXIT_FINDINGS : EXIT_OK;
}

export async function main(argv: readonly string[]): Promise<number> {
  let status = EXIT_OK;
  const actions: ProgramActions = {
    redact: async (files, options) => {
      status = await redact(files, options);
    },
    rulesList: async (options) => {
      status = await listRules(await compileChosenRules(options, logger(options.verbose)));
    },
    rulesTest: async (file, options) => {
      status = await testRules(await compileChosenRules(options, logger(options.verbose)), openInput(file));
    },
    scan: async (paths, options) => {
      const log = logger(options.verbose);
      // Imported here: its report and git modules are no part of a redacting start.
      const { scan } = await import('./scan-command.js');
      status = await scan(paths, options, await compileChosenRules(options, log), log);
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
    return reportError(error);
  }
}

/** Runs the command and exits the process with its status once output is flushed. */
export async function runCli(argv: readonly string[]): Promise<never> {
  return exitWhenFlushed(await main(argv));
}
