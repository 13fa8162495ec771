#!/usr/bin/env node
/**
 * Start-up of sseredact (DESIGN §8: `echo hi | sseredact` under 150 ms with a warm compiled-rule
 * cache), and where its time goes.
 *
 *   node bench/startup.mjs [--runs 20] [--engine vectorscan[,ts]]
 *
 * Wall: `echo hi | bin/sseredact --engine E` (the launcher itself, with its node flags) --runs
 * times after one unmeasured run that fills the cache; median, 90th percentile and minimum from
 * spawn to exit, with `node -e 0` as the floor. Cold: the first run on an empty cache.
 *
 * Phases: --runs fresh node processes each time what the CLI does before reading input, in its
 * order, on the warm cache: importing dist/cli/main.js (the CLI's whole static import graph),
 * loading the built-in secrets pack, compiling its rules (with the rule analysis cache), loading
 * the engine and compiling its database (with the Vectorscan cache); medians and minimums in ms,
 * and the CPU time of the whole process (node's own start included).
 *
 * Every run caches into a temporary XDG_CACHE_HOME, removed at the end: the user's cache is never
 * read or written. The machine's other load shows up as noise: compare medians of many runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from './corpus.mjs';
import { BIN, ROOT, exitQuietlyOnEpipe } from './tool.mjs';

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
const runs = Number(flags.get('runs') ?? 20);
const engines = String(flags.get('engine') ?? 'vectorscan').split(',');
const cacheHome = mkdtempSync(join(tmpdir(), 'sseredact-startup-'));
const env = { ...process.env, XDG_CACHE_HOME: cacheHome };

/** Runs `argv` with stdin "hi\n"; resolves to { ms, stdout } and rejects on a non-zero exit. */
function run(argv) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], cwd: ROOT, env });
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stdin.on('error', () => {});
    child.stdin.end('hi\n');
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout: Buffer.concat(out).toString() });
      else reject(new Error(`${argv.join(' ')}: exit ${code}`));
    });
  });
}

// What compileChosenRules (src/cli/main.ts) does for the default options, timed step by step.
const PHASES = `
const t0 = performance.now();
const dist = ${JSON.stringify(new URL('../dist/', import.meta.url).href)};
await import(dist + 'cli/main.js');
const { defaultCacheDirectory } = await import(dist + 'cache.js');
const { chooseRuleSpecs } = await import(dist + 'rules/choose.js');
const { compileRules } = await import(dist + 'rules/compile.js');
const { selectEngine } = await import(dist + 'engine/select.js');
const t1 = performance.now();
const specs = chooseRuleSpecs({ source: 'cli' });
const t2 = performance.now();
const rules = compileRules(specs, { cacheDirectory: defaultCacheDirectory() });
const t3 = performance.now();
selectEngine(process.argv[1]).compile(rules);
const t4 = performance.now();
const { user, system } = process.cpuUsage();
process.stdout.write(JSON.stringify({ imports: t1 - t0, pack: t2 - t1, rules: t3 - t2, engine: t4 - t3, 'node to end': t4, 'process CPU': (user + system) / 1000 }));
`;

const median = (values) => quantile(values, 0.5);
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}
const ms = (value) => value.toFixed(1).padStart(7);

async function walls(argv) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push((await run(argv)).ms);
  return times;
}

async function main() {
  process.stdout.write(`start-up: echo hi | CMD, ${runs} runs after 1 warm-up; node ${process.version}; load average ${loadavg()[0].toFixed(1)}\n`);
  process.stdout.write(`${'command'.padEnd(36)}  cold   median     p90     min  (ms)\n`);
  const floor = await walls([process.execPath, '-e', '0']);
  process.stdout.write(`${'node -e 0 (floor)'.padEnd(36)}     - ${ms(median(floor))} ${ms(quantile(floor, 0.9))} ${ms(Math.min(...floor))}\n`);
  for (const engine of engines) {
    const argv = [BIN, '--engine', engine];
    rmSync(join(cacheHome, 'sseredact'), { recursive: true, force: true });
    const cold = await run(argv);
    if (cold.stdout !== 'hi\n') throw new Error(`${argv.join(' ')} printed ${JSON.stringify(cold.stdout)}`);
    const warm = await walls(argv);
    process.stdout.write(
      `${`sseredact --engine ${engine}`.padEnd(36)} ${cold.ms.toFixed(0).padStart(5)} ${ms(median(warm))} ${ms(quantile(warm, 0.9))} ${ms(Math.min(...warm))}\n`,
    );
  }
  for (const engine of engines) {
    const phases = [];
    for (let i = 0; i < runs; i++) {
      const { stdout } = await run([process.execPath, '--input-type=module', '-e', PHASES, engine]);
      phases.push(JSON.parse(stdout));
    }
    const names = Object.keys(phases[0]);
    const figures = (pick) => names.map((name) => `${name} ${pick(phases.map((p) => p[name])).toFixed(1)}`).join(', ');
    process.stdout.write(`\nphases, --engine ${engine}, warm cache, median ms: ${figures(median)}\n`);
    // On a shared machine the minimum is the steadier figure: what the work takes when it is not waiting.
    process.stdout.write(`phases, --engine ${engine}, warm cache, minimum ms: ${figures((values) => Math.min(...values))}\n`);
  }
  process.stdout.write('target (DESIGN §8): echo hi | sseredact < 150 ms with a warm cache\n');
}

main()
  .catch((error) => {
    process.stderr.write(`startup: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(cacheHome, { recursive: true, force: true }));
