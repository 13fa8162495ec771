/**
 * Entry point of the `sseredact` command: parses the command line, compiles the rules once, then
 * runs each input stream through its own redactor into stdout (or NDJSON records).
 */
import { createWriteStream } from 'node:fs';
import { CommanderError } from 'commander';
import { tsEngine } from '../engine/ts/engine.js';
import { redactStream } from '../pipeline/redact-stream.js';
import { createStreamRedactor } from '../redact/redactor.js';
import { parseReplacement } from '../redact/replace.js';
import { chooseRuleSpecs } from '../rules/choose.js';
import { compileRuleSet } from '../rules/ruleset.js';
import { FindingTally, findingRecord } from '../sinks/ndjson.js';
import { type ByteSink, createByteSink } from '../sinks/output.js';
import { openInput } from '../sources/input.js';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, exitWhenFlushed, reportError } from './exit.js';
import { type RedactCommandOptions, buildProgram } from './program.js';

function recordsSink(target: string): ByteSink {
  const fd = /^fd:(\d+)$/.exec(target);
  const stream = fd ? createWriteStream('', { fd: Number(fd[1]) }) : createWriteStream(target);
  return createByteSink(stream, { ownsStream: true });
}

async function redact(files: string[], options: RedactCommandOptions): Promise<number> {
  const log = options.verbose ? (message: string) => process.stderr.write(`sseredact: ${message}\n`) : () => {};
  const replacement = parseReplacement(options.replace, process.env.SSEREDACT_HASH_KEY);
  const ruleSet = compileRuleSet(chooseRuleSpecs({ builtin: options.builtin, patterns: options.pattern, literals: options.literal, source: 'cli' }), { engine: tsEngine, maxMatch: options.maxMatch });
  log(`${ruleSet.rules.length} rules on the ${ruleSet.database.engine} engine, widest match ${ruleSet.database.maxWidth} bytes`);
  const sources = (files.length === 0 ? ['-'] : files).map(openInput);
  const stdout = createByteSink(process.stdout, { ownsStream: false });
  const bytesSink = options.json ? null : stdout;
  const records = options.json ? stdout : options.records ? recordsSink(options.records) : null;
  const tally = new FindingTally();
  for (const source of sources) {
    const pending: string[] = [];
    const redactor = createStreamRedactor(ruleSet, {
      replacement,
      onFinding: (finding) => {
        tally.add(finding);
        if (records) pending.push(findingRecord(finding, source.name, options.showSecret));
      },
    });
    const flushRecords = async (): Promise<void> => {
      if (records && pending.length > 0) await records.write(pending.splice(0).join(''));
    };
    const totals = await redactStream(source, redactor, bytesSink, flushRecords);
    tally.streams++;
    tally.bytes += totals.bytes;
    if (stdout.isClosed) return EXIT_OK;
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
  const program = buildProgram(async (files, options) => {
    status = await redact(files, options);
  });
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
