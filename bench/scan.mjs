#!/usr/bin/env node
/**
 * `sseredact scan` at scale (issue 18): a generated git tree of many files, scanned by
 * `sseredact scan --jobs 1` and `--jobs 2` on each engine, by `rg -c --no-unicode` and by
 * `git grep -c -E` with the same token shapes (the patterns of bench/secrets.sed), in one run;
 * then the pre-commit latency: `sseredact scan --staged` on 50 small staged files.
 *
 *   node bench/scan.mjs [--files 10000] [--size 500MiB] [--runs 1] [--engines ts,vectorscan]
 *                       [--staged-runs 7] [--dir DIR] [--keep] [--base DIR] [--skip-grep]
 *
 * sseredact runs through its launcher (bin/sseredact), as a
 * user's shell and the pre-commit hook run it. The load average is printed before and after: the
 * --jobs 2 ratio means little when other processes take the cores.
 *
 * The tree (in DIR, default a temporary directory, removed unless --keep; a DIR that holds the
 * tree of an earlier run with the same --files and --size is used as it is) is CI-log-like text
 * from bench/corpus.mjs, cut into files whose sizes spread from a few hundred bytes to a few
 * times the mean (size / files), 100 to a directory, committed to a git repository so that
 * scan and git grep list the same files. Prints one row per command: wall seconds (best of
 * --runs), its CPU seconds (user + system, every thread; GNU time), files/s, MB/s, and the ratios
 * to `git grep` and `rg`; then per engine the --jobs 2 / --jobs 1 ratio beside that of the
 * machine's ceiling for it: two `--jobs 1` processes at once, each on half of the directories (no
 * pool, no shared thread: what two cores give two independent scans); then the staged latency per
 * engine (median of --staged-runs, wall and CPU). rg is skipped when it is not installed (Debian:
 * apt-get install ripgrep). Figures on a shared machine are noisy: read the ratios of one run.
 * `--base DIR` (another checkout, built: e.g. the commit a change starts from) adds its --jobs 1
 * and --jobs 2 rows and staged latency, run beside this checkout's, so a change is measured
 * against its base in the same run. `--skip-grep` leaves out git grep (tens of seconds) and rg.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCorpus, parseSize } from './corpus.mjs';
import { BIN, ROOT, defaultEngines, option } from './tool.mjs';

const files = Number(option('--files', '10000'));
const bytes = parseSize(option('--size', '500MiB'));
const runs = Number(option('--runs', '1'));
const stagedRuns = Number(option('--staged-runs', '7'));
const engines = String(option('--engines', await defaultEngines())).split(',');
const keep = process.argv.includes('--keep');
const base = option('--base', undefined);
const skipGrep = process.argv.includes('--skip-grep');
/** This checkout's launcher, and the base's with --base, each with the label its rows carry. */
const builds = [{ label: '', bin: BIN }, ...(base === undefined ? [] : [{ label: 'base ', bin: join(base, 'bin', 'sseredact') }])];
const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@example.test',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@example.test',
};

/** The regexes of bench/secrets.sed (`s/REGEX/.../g` lines and the PEM range's start), and whether each ignores case. */
function sedPatterns() {
  const patterns = [];
  for (const line of readFileSync(join(ROOT, 'bench', 'secrets.sed'), 'utf8').split('\n')) {
    const substitution = /^s\/(.*)\/.*\/(I?)g$/.exec(line);
    const range = /^\/(-----BEGIN [^/]*)\/,/.exec(line);
    if (substitution) patterns.push({ regex: substitution[1].replaceAll('\\/', '/'), ignoreCase: substitution[2] === 'I' });
    else if (range) patterns.push({ regex: range[1], ignoreCase: false });
  }
  return patterns;
}

function git(cwd, args) {
  const result = spawnSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Writes `count` files of `total` bytes in all under `dir`, sizes spread around the mean; returns the bytes written. */
function writeTree(dir, count, total) {
  const mean = total / count;
  // Deterministic sizes: a skewed spread (many small files, a few large), scaled to the total.
  const weights = Array.from({ length: count }, (_, i) => 0.05 + ((i * 2654435761) % 1000) ** 3 / 1e9);
  const scale = (mean * count) / weights.reduce((sum, weight) => sum + weight, 0);
  const sizes = weights.map((weight) => Math.max(64, Math.round(weight * scale)));
  const corpus = generateCorpus({ bytes: sizes.reduce((sum, size) => sum + size, 0), seed: 18 });
  let pending = Buffer.alloc(0);
  let written = 0;
  for (const [i, size] of sizes.entries()) {
    while (pending.length < size) {
      const next = corpus.next();
      if (next.done) break;
      pending = Buffer.concat([pending, next.value]);
    }
    const sub = join(dir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${String(i).padStart(5, '0')}.log`), pending.subarray(0, size));
    written += Math.min(size, pending.length);
    pending = pending.subarray(size);
  }
  return written;
}

/** GNU time, for the CPU seconds (user + system, all threads) a command used: on a shared machine, wall time measures the others too. */
const GNU_TIME = spawnSync('/usr/bin/time', ['-f', '%U %S', 'true']).status === 0 ? '/usr/bin/time' : null;

/** Runs argv in `cwd` (its exit status must be in `ok`) and resolves with its CPU seconds (NaN without GNU time). */
function runOnce(argv, cwd, ok) {
  const command = GNU_TIME === null ? argv : [GNU_TIME, '-f', 'cpu %U %S', ...argv];
  const child = spawn(command[0], command.slice(1), { cwd, env: GIT_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data) => {
    if (stderr.length < 1 << 16) stderr += data;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      if (!ok.includes(status)) return reject(new Error(`${argv.join(' ')}: exit ${status}: ${stderr.slice(0, 300)}`));
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      resolve(cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN);
    });
  });
}

/**
 * Best wall and CPU seconds of `runs` runs of the commands `argvs` started together (one, or the
 * two halves of the ceiling row) in `cwd`; each exit status must be in `ok`; CPU is their sum.
 */
async function time(argvs, cwd, ok, count = runs) {
  let best = { wall: Number.POSITIVE_INFINITY, cpu: Number.NaN };
  for (let run = 0; run < count; run++) {
    const started = performance.now();
    const cpus = await Promise.all(argvs.map((argv) => runOnce(argv, cwd, ok)));
    const wall = (performance.now() - started) / 1000;
    if (wall < best.wall) best = { wall, cpu: cpus.reduce((sum, cpu) => sum + cpu, 0) };
  }
  return best;
}

/**
 * The tree in `dir`, as a committed git repository: generated, or the one an earlier run left there
 * with the same --files and --size (its parameters are kept in .git). Returns its size in bytes.
 */
function treeIn(dir) {
  const marker = join(dir, '.git', 'sseredact-bench-tree.json');
  if (existsSync(marker)) {
    const earlier = JSON.parse(readFileSync(marker, 'utf8'));
    if (earlier.files === files && earlier.bytes === bytes) {
      process.stdout.write(`using the tree of ${files} files, ${(bytes / 2 ** 20).toFixed(0)} MiB in ${dir}\n`);
      return earlier.total;
    }
    throw new Error(`${dir} holds a tree of ${earlier.files} files, ${earlier.bytes} bytes: use another --dir`);
  }
  process.stdout.write(`generating ${files} files, ${(bytes / 2 ** 20).toFixed(0)} MiB in ${dir}\n`);
  const total = writeTree(dir, files, bytes);
  git(dir, ['init', '-q']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-qm', 'tree']);
  writeFileSync(marker, JSON.stringify({ files, bytes, total }));
  return total;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const dir = option('--dir', undefined) ?? mkdtempSync(join(tmpdir(), 'sseredact-bench-scan-'));
mkdirSync(dir, { recursive: true });
try {
  const total = treeIn(dir);
  const patterns = sedPatterns();
  const rows = [];
  // The tree's directories in two halves of about as many files each (100 a directory), for the ceiling row.
  const directories = readdirSync(dir).filter((name) => /^d\d+$/.test(name));
  const halves = [directories.slice(0, directories.length >> 1), directories.slice(directories.length >> 1)];
  const scanArgv = (engine, jobs, paths, bin = BIN) => [bin, 'scan', '--engine', engine, '--jobs', jobs, ...paths];
  for (const engine of engines) {
    for (const { label, bin } of builds) {
      for (const jobs of ['1', '2'])
        rows.push({ name: `${label}sseredact scan --engine ${engine} --jobs ${jobs}`, build: label, engine, argvs: [scanArgv(engine, jobs, ['.'], bin)], ok: [0, 1] });
    }
    rows.push({ name: `  ${engine}: 2 processes --jobs 1, half each`, engine, argvs: halves.map((half) => scanArgv(engine, '1', half)), ok: [0, 1] });
  }
  if (!skipGrep) rows.push({ name: 'git grep -c -E (same token shapes)', argvs: [['git', 'grep', '-c', '-E', ...patterns.flatMap(({ regex }) => ['-e', regex])]], ok: [0, 1] });
  const hasRg = !skipGrep && spawnSync('rg', ['--version']).status === 0;
  if (hasRg)
    rows.push({
      name: 'rg -c --no-unicode (same token shapes)',
      argvs: [['rg', '-c', '--no-unicode', ...patterns.flatMap(({ regex, ignoreCase }) => ['-e', ignoreCase ? `(?i)${regex}` : regex]), '.']],
      ok: [0, 1],
    });
  // A warm compiled-rule cache, as every run after the first has.
  for (const engine of engines) for (const { bin } of builds) await time([scanArgv(engine, '1', [join(dir, 'd000', 'f00000.log')], bin)], dir, [0, 1], 1);
  process.stdout.write(
    `load average before: ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')} (${availableParallelism()} cores)\n`,
  );
  const results = [];
  for (const row of rows) {
    const { wall, cpu } = await time(row.argvs, dir, row.ok);
    results.push({ ...row, seconds: wall, cpu });
  }
  const gitGrep = results.find((row) => row.name.startsWith('git grep'));
  const rg = results.find((row) => row.name.startsWith('rg '));
  const ratio = (baseline, row) => (baseline === undefined ? '-' : `${(baseline.seconds / row.seconds).toFixed(2)}x`);
  process.stdout.write(
    `\n${'command'.padEnd(48)} ${'wall s'.padStart(8)} ${'cpu s'.padStart(8)} ${'files/s'.padStart(9)} ${'MB/s'.padStart(8)} ${'vs git grep'.padStart(12)} ${'vs rg'.padStart(8)}\n`,
  );
  for (const row of results) {
    process.stdout.write(
      `${row.name.padEnd(48)} ${row.seconds.toFixed(2).padStart(8)} ${row.cpu.toFixed(2).padStart(8)} ${(files / row.seconds).toFixed(0).padStart(9)} ${(total / 1e6 / row.seconds).toFixed(1).padStart(8)} ${ratio(gitGrep, row).padStart(12)} ${ratio(rg, row).padStart(8)}\n`,
    );
  }
  if (!hasRg && !skipGrep) process.stdout.write('rg: skipped (not installed; Debian: apt-get install ripgrep)\n');
  for (const engine of engines) {
    const ceiling = results.find((row) => row.engine === engine && row.build === undefined);
    for (const { label } of builds) {
      const [one, two] = results.filter((row) => row.engine === engine && row.build === label);
      process.stdout.write(
        `${label}${engine}: --jobs 2 is ${(one.seconds / two.seconds).toFixed(2)}x --jobs 1 (CPU ${(two.cpu / one.cpu).toFixed(2)}x); two processes on halves: ${(one.seconds / ceiling.seconds).toFixed(2)}x\n`,
      );
    }
  }

  // Pre-commit: 50 staged files, about 192 KB, no secrets (outside the tree: its repository is its own).
  const repo = `${dir}-precommit`;
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo);
  const text = Buffer.concat([...generateCorpus({ bytes: 50 * 3900, seed: 5, secretEvery: 1 << 30, baitEvery: 1 << 30 })]);
  for (let i = 0; i < 50; i++) writeFileSync(join(repo, `file${i}.txt`), text.subarray(i * 3900, (i + 1) * 3900));
  git(repo, ['init', '-q']);
  git(repo, ['add', '-A']);
  process.stdout.write(`\nscan --staged, 50 files (${text.length} bytes), median of ${stagedRuns}:\n`);
  for (const engine of engines) {
    for (const { label, bin } of builds) {
      const argv = [bin, 'scan', '--staged', '--engine', engine];
      await time([argv], repo, [0, 1], 1);
      const times = [];
      for (let run = 0; run < stagedRuns; run++) times.push(await time([argv], repo, [0, 1], 1));
      const ms = (seconds) => `${(seconds * 1000).toFixed(0)} ms`;
      process.stdout.write(
        `  ${`${label}${engine}`.padEnd(16)} wall ${ms(median(times.map((t) => t.wall)))} (min ${ms(Math.min(...times.map((t) => t.wall)))}), cpu ${ms(median(times.map((t) => t.cpu)))}\n`,
      );
    }
  }
  process.stdout.write(
    `load average after: ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')}\n`,
  );
} finally {
  rmSync(`${dir}-precommit`, { recursive: true, force: true });
  if (!keep && option('--dir', undefined) === undefined) rmSync(dir, { recursive: true, force: true });
}
