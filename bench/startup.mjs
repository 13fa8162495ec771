#!/usr/bin/env node
/**
 * Start-up of sseredact and the pre-commit latency, against `node -e 0` in the same run, and
 * where the start-up's time goes. Targets: `echo hi | sseredact` <= 150 ms warm and <= 400 ms
 * cold on both engines (issue 17, item 5; DESIGN §8), `sseredact scan --staged` on 50 staged
 * files with no secret < 300 ms (issue 18, item 6).
 *
 *   node bench/startup.mjs [--runs 20] [--cold-runs 3] [--engine ts,vectorscan] [--base DIR] [--installed]
 *
 * Every command runs through the launcher (bin/sseredact), as a user's shell and the pre-commit
 * hook run it, --runs times after one unmeasured run that fills the cache, the commands taking
 * turns so that the machine's other load falls on all of them alike; median, 90th percentile and
 * minimum wall time from spawn to exit, and the mean CPU time (user + system of the process and
 * the git processes it ran; Linux: /proc/self/stat's cutime and cstime, in 10 ms ticks summed
 * over the runs). `echo hi` gives the command "hi\n" on stdin; cold is the median of --cold-runs
 * runs each on an empty cache. Where NODE_EXTRA_CA_CERTS is set (node then parses those
 * certificates at every start), `node -e 0` and the `echo hi` rows are measured without it as well,
 * each against the floor of its own environment ("no extra CA"). The staged scan runs in a
 * generated repository of 50 files (about 195 KB of CI-log text from bench/corpus.mjs, no
 * secret) with all of them staged.
 *
 * Phases: --runs fresh node processes each time what the CLI does before reading input, in its
 * order, on the warm cache: importing the CLI's bundle (dist/bundle/sseredact.cjs through its
 * loader with the code cache, as the launcher does; an older build's dist/bundle/sseredact.js), loading the built-in secrets pack, compiling its rules (with the rule analysis
 * cache), loading the engine and compiling its database (with its cache); medians and minimums in
 * ms, and the CPU time of the whole process (node's own start included).
 *
 * With `--base DIR` (another checkout, built: e.g. the commit a change starts from) its launcher's
 * `echo hi` rows (cold and warm) and its phases are measured in the same run, taking turns with
 * this checkout's, and the ratios of this checkout's medians to the base's are printed.
 *
 * With `--installed` this checkout is also packed (`npm pack`: its build runs first) and installed
 * into the scratch directory (`npm install` of the tarball: the registry for its dependencies, and
 * its install script, which builds the addon and the install-time cache), and that copy's
 * `echo hi` rows are measured too: what users run. A checkout pays things an install does not
 * (the built-in packs' files stat'ed at every start, to see the prebuilt packs are current), and
 * an install can go wrong where a checkout does not (npm gives its files the time of their
 * extraction, which once made every installed start load the unbundled modules).
 *
 * Every run caches into a temporary XDG_CACHE_HOME, removed at the end with the repository: the
 * user's cache is never read or written. On a shared machine read the ratios to `node -e 0`, the
 * minimums and the CPU time, and the load average printed before and after.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateCorpus, parseFlags } from './corpus.mjs';
import { BIN, ROOT, defaultEngines, exitQuietlyOnEpipe } from './tool.mjs';

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
const runs = Number(flags.get('runs') ?? 20);
const coldRuns = Number(flags.get('cold-runs') ?? 3);
const engines = String(flags.get('engine') ?? (await defaultEngines())).split(',');
const base = typeof flags.get('base') === 'string' ? String(flags.get('base')) : null;
const scratch = mkdtempSync(join(tmpdir(), 'sseredact-startup-'));
const cacheHome = join(scratch, 'cache');
const env = { ...process.env, XDG_CACHE_HOME: cacheHome };
const GIT_ENV = { ...env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
/** Linux's USER_HZ: the unit of /proc's cutime and cstime. */
const TICKS_PER_SECOND = 100;

/** CPU ms of this process's waited-for children so far, or NaN where /proc is missing. */
function childrenCpuMs() {
  if (!existsSync('/proc/self/stat')) return Number.NaN;
  // Fields after the command name, which is in parentheses and may hold blanks: cutime and cstime are the 16th and 17th of the line.
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
}

/**
 * Node reads and parses the certificates NODE_EXTRA_CA_CERTS names at every start, whether the
 * program makes a TLS connection or not (~38 ms on the machine of issue 17, whose environment sets
 * it): when it is set, the floor and `echo hi` rows are measured without it too, as most
 * users' shells run them.
 */
const EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
const envWithoutExtraCerts = Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'NODE_EXTRA_CA_CERTS'));

/** Runs `argv` in `cwd` (with `runEnv`) with stdin "hi\n"; resolves to { ms, stdout } and rejects on a non-zero exit. */
function run(argv, cwd = ROOT, runEnv = env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], cwd, env: runEnv });
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

/** This checkout as npm installs it (see --installed above), in `dir`: the path of its launcher. */
function installedLauncher(dir) {
  mkdirSync(dir);
  const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack: ${pack.stderr || pack.error?.message}`);
  const tarball = join(dir, pack.stdout.trim().split('\n').at(-1));
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', dir, tarball], { cwd: dir, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`npm install ${tarball}: ${install.stderr || install.error?.message}`);
  return join(dir, 'node_modules', 'sseredact', 'bin', 'sseredact');
}

/** A git repository in `dir` with 50 files of CI-log text staged, no secret among them; returns the bytes staged. */
function stagedRepository(dir) {
  mkdirSync(dir);
  const text = Buffer.concat([...generateCorpus({ bytes: 50 * 3900, seed: 5, secretEvery: 1 << 30, baitEvery: 1 << 30 })]);
  for (let i = 0; i < 50; i++) writeFileSync(join(dir, `file${i}.txt`), text.subarray(i * 3900, (i + 1) * 3900));
  for (const args of [
    ['init', '-q'],
    ['add', '-A'],
  ]) {
    const result = spawnSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr || result.error?.message}`);
  }
  return text.length;
}

// What compileChosenRules (src/cli/main.ts) does for the default options, timed step by step.
const phasesOf = (root) => `
const t0 = performance.now();
const dist = ${JSON.stringify(pathToFileURL(join(root, 'dist/')).href)};
${
  existsSync(join(root, 'dist/bundle/sseredact.cjs'))
    ? `(await import('node:module')).createRequire(dist)('./bundle-loader/bundle-loader.cjs').loadBundle(new URL('bundle/sseredact.cjs', dist).pathname);`
    : `await import(dist + 'bundle/sseredact.js');`
}
const t1 = performance.now();
const { defaultCacheDirectory } = await import(dist + 'cache.js');
const { chooseRuleSpecs } = await import(dist + 'rules/choose.js');
const { compileRules } = await import(dist + 'rules/compile.js');
const { selectEngine } = await import(dist + 'engine/select.js');
const t2 = performance.now();
const specs = chooseRuleSpecs({ source: 'cli' });
const t3 = performance.now();
const rules = compileRules(specs, { cacheDirectory: defaultCacheDirectory() });
const t4 = performance.now();
selectEngine(process.argv[1]).compile(rules);
const t5 = performance.now();
const { user, system } = process.cpuUsage();
process.stdout.write(JSON.stringify({ 'node to bundle': t0, 'bundle import': t1 - t0, pack: t3 - t2, rules: t4 - t3, engine: t5 - t4, 'process CPU': (user + system) / 1000 }));
`;

const median = (values) => quantile(values, 0.5);
function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}
const ms = (value) => (Number.isNaN(value) ? '-' : value.toFixed(0)).padStart(7);

/**
 * Runs each row's argv `runs` times, the rows taking turns; returns per row its wall times and its
 * mean CPU ms (the children's CPU is read before and after each run, so the rows' CPU stays apart).
 */
async function measure(rows) {
  const results = rows.map(() => ({ walls: [], cpu: 0 }));
  for (const row of rows) await run(row.argv, row.cwd, row.env);
  for (let i = 0; i < runs; i++) {
    for (const [index, row] of rows.entries()) {
      const before = childrenCpuMs();
      results[index].walls.push((await run(row.argv, row.cwd, row.env)).ms);
      results[index].cpu += (childrenCpuMs() - before) / runs;
    }
  }
  return results;
}

async function main() {
  process.stdout.write(`start-up: ${runs} runs of each after 1 warm-up, taking turns; node ${process.version}; load average ${loadavg()[0].toFixed(1)}\n`);
  const repo = join(scratch, 'staged');
  const stagedBytes = stagedRepository(repo);
  const installed = flags.has('installed') ? installedLauncher(join(scratch, 'installed')) : null;
  const rows = [
    { label: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'], isFloor: true },
    { label: 'sseredact --version', argv: [BIN, '--version'] },
    ...engines.map((engine) => ({ label: `echo hi | sseredact --engine ${engine}`, argv: [BIN, '--engine', engine], engine })),
    ...(base === null ? [] : engines.map((engine) => ({ label: `echo hi | base --engine ${engine}`, argv: [join(base, 'bin', 'sseredact'), '--engine', engine], engine }))),
    ...(installed === null ? [] : engines.map((engine) => ({ label: `echo hi | installed --engine ${engine}`, argv: [installed, '--engine', engine], engine }))),
    ...engines.map((engine) => ({ label: `scan --staged --engine ${engine}`, argv: [BIN, 'scan', '--staged', '--engine', engine], cwd: repo })),
    ...(EXTRA_CA_CERTS === undefined
      ? []
      : [
          { label: 'node -e 0, no extra CA', argv: [process.execPath, '-e', '0'], env: envWithoutExtraCerts, isFloor: true },
          ...engines.map((engine) => ({ label: `echo hi | sseredact --engine ${engine}, no extra CA`, argv: [BIN, '--engine', engine], env: envWithoutExtraCerts })),
          ...(installed === null
            ? []
            : engines.map((engine) => ({ label: `echo hi | installed --engine ${engine}, no extra CA`, argv: [installed, '--engine', engine], env: envWithoutExtraCerts }))),
        ]),
  ];
  // Cold first: each engine's first run on an empty cache, --cold-runs times, the rows taking turns.
  const coldRows = rows.filter((r) => r.engine !== undefined);
  const coldTimes = coldRows.map(() => []);
  for (let i = 0; i < coldRuns; i++) {
    for (const [index, row] of coldRows.entries()) {
      rmSync(join(cacheHome, 'sseredact'), { recursive: true, force: true });
      const { ms: wall, stdout } = await run(row.argv);
      if (stdout !== 'hi\n') throw new Error(`${row.argv.join(' ')} printed ${JSON.stringify(stdout)}`);
      coldTimes[index].push(wall);
    }
  }
  const cold = new Map(coldRows.map((row, index) => [row.label, median(coldTimes[index])]));
  const results = await measure(rows);
  // Rows without NODE_EXTRA_CA_CERTS against the floor without it.
  const floorRow = (env) => rows.findIndex((row) => row.isFloor && row.env === env);
  const width = Math.max(...rows.map((row) => row.label.length));
  process.stdout.write(`${'command'.padEnd(width)}    cold  median     p90     min  CPU mean  median/floor (ms)\n`);
  for (const [index, row] of rows.entries()) {
    const { walls, cpu } = results[index];
    const floor = floorRow(row.env);
    const ratio = index === floor ? '' : `${(median(walls) / median(results[floor].walls)).toFixed(2)}x`.padStart(13);
    process.stdout.write(
      `${row.label.padEnd(width)} ${ms(cold.get(row.label) ?? Number.NaN)} ${ms(median(walls))} ${ms(quantile(walls, 0.9))} ${ms(Math.min(...walls))} ${ms(cpu)}   ${ratio}\n`,
    );
  }
  const medianOf = (label) => median(results[rows.findIndex((row) => row.label === label)].walls);
  for (const engine of base === null ? [] : engines) {
    const label = `echo hi | sseredact --engine ${engine}`;
    const baseLabel = `echo hi | base --engine ${engine}`;
    const cpuOf = (wanted) => results[rows.findIndex((row) => row.label === wanted)].cpu;
    process.stdout.write(
      `--engine ${engine} against the base: cold ${(cold.get(label) / cold.get(baseLabel)).toFixed(2)}x, warm median ${(medianOf(label) / medianOf(baseLabel)).toFixed(2)}x, CPU ${(cpuOf(label) / cpuOf(baseLabel)).toFixed(2)}x\n`,
    );
  }
  process.stdout.write(`(scan --staged: 50 files, ${stagedBytes} bytes staged, no secret; cold: median of ${coldRuns} runs on an empty cache)\n`);
  if (EXTRA_CA_CERTS !== undefined) {
    const extra = medianOf('node -e 0 (floor)') - medianOf('node -e 0, no extra CA');
    process.stdout.write(
      `(NODE_EXTRA_CA_CERTS is set here: node parses ${EXTRA_CA_CERTS} at every start, ${extra.toFixed(0)} ms of node -e 0; "no extra CA" rows run without it)\n`,
    );
  }
  process.stdout.write('targets: echo hi <= 150 ms warm and <= 400 ms cold (issue 17), scan --staged < 300 ms (issue 18), both engines\n');
  const checkouts = [{ name: '', root: ROOT }, ...(base === null ? [] : [{ name: 'base ', root: base }])];
  for (const engine of engines) {
    const phases = checkouts.map(() => []);
    // One unmeasured run each, which fills the bundle's code cache for this command line.
    for (const { root } of checkouts) await run([process.execPath, '--input-type=module', '-e', phasesOf(root), engine]);
    for (let i = 0; i < runs; i++) {
      for (const [index, { root }] of checkouts.entries()) {
        const { stdout } = await run([process.execPath, '--input-type=module', '-e', phasesOf(root), engine]);
        phases[index].push(JSON.parse(stdout));
      }
    }
    for (const [index, { name }] of checkouts.entries()) {
      const names = Object.keys(phases[index][0]);
      const figures = (pick) => names.map((phase) => `${phase} ${pick(phases[index].map((p) => p[phase])).toFixed(1)}`).join(', ');
      process.stdout.write(`\n${name}phases, --engine ${engine}, warm cache, median ms: ${figures(median)}\n`);
      // On a shared machine the minimum is the steadier figure: what the work takes when it is not waiting.
      process.stdout.write(`${name}phases, --engine ${engine}, warm cache, minimum ms: ${figures((values) => Math.min(...values))}\n`);
    }
  }
  process.stdout.write(`load average after: ${loadavg()[0].toFixed(1)}\n`);
}

main()
  .catch((error) => {
    process.stderr.write(`startup: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(scratch, { recursive: true, force: true }));
