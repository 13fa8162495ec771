#!/usr/bin/env node
/**
 * `npm run bench`: throughput, peak RSS and recall of sseredact against a plain pipe, `sed -E`
 * and (when it builds) the native Vectorscan ceiling, on one generated CI-log corpus, in one run
 * (DESIGN §8 asks for ratios measured side by side).
 *
 *   node bench/run.mjs [--size 256MiB] [--seed 1] [--only cat,sseredact,sed,native]
 *                      [--runs 5] [--engine ts[,vectorscan]] [--tool "cmd args"]
 *                      [--keep-corpus] [--no-recall] [--timeout 300]
 *
 * Rows (names for --only):
 *   cat        `cat FILE | cat > /dev/null`, the pipe baseline
 *   sseredact  `cat FILE | node bin/sseredact --engine E > /dev/null` for each engine of --engine
 *              (default: ts and vectorscan, ts alone when the addon does not load); `--tool`
 *              replaces the command, e.g. `--tool cat`; 'skipped: not built' without dist/
 *   sed        `cat FILE | sed -E -f bench/secrets.sed > /dev/null`, the same token shapes
 *   native     `cat FILE | $TMPDIR/sseredact-bench/native-ceiling PATTERNS - > /dev/null`,
 *              built from bench/native-ceiling.c with `cc -O2 ... -lhs` when it and libhs exist,
 *              PATTERNS read from the vectorscan engine (bench/engine-patterns.mjs): what it
 *              compiles for the built-in pack, end of match only, as it scans;
 *              it only counts matches, so it has no recall row
 * Every command runs with LC_ALL=C. Wall time is the median of up to --runs runs, interleaved
 * across rows (fewer once a row has used 30 s); peak RSS is the largest of the measured process (the right-hand side of
 * the pipe), from `/usr/bin/time -f %M` or, without it, from polling /proc/PID/status VmHWM.
 * CPU seconds (user + system of the measured process, median over the runs; steadier than wall
 * time on a shared machine) need /usr/bin/time, and are '-' without it. Ratios are printed for
 * both: "vs cat|cat" and "vs sed" by wall time, "CPU vs sed" by CPU seconds, and "vs native" by
 * wall time against the native ceiling's scan alone (see below).
 * A run that takes over --timeout seconds (default 300) is killed and its row marked failed.
 *
 * Recall (one extra, untimed run per row but cat and native): the output is piped through this
 * process, which counts `[REDACTED` and feeds `grep -aFo` with every planted secret (each body
 * line of a PEM block) and every bait phrase from the corpus sidecar. LEAKS is the number of planted
 * secrets any part of which is still in the output; "baits kept" counts near misses left intact.
 *
 * The corpus is cached as $TMPDIR/sseredact-bench/corpus-v{version}-seed{seed}-{bytes}.log and
 * reused when present; it is deleted at the end unless --keep-corpus.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants, cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERATOR_VERSION, parseFlags, parseSize, writeCorpus } from './corpus.mjs';
import { enginePatterns } from './engine-patterns.mjs';
import { ROOT, defaultEngines, exitQuietlyOnEpipe, resolveTools } from './tool.mjs';

const MiB = 1024 * 1024;
const ROW_BUDGET_MS = 30_000;
const TIME = '/usr/bin/time';
const ENV = { ...process.env, LC_ALL: 'C' };

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
if (flags.has('help')) {
  process.stdout.write(
    'usage: node bench/run.mjs [--size 256MiB] [--seed 1] [--only cat,sseredact,sed,native] [--runs 5] [--engine ts[,vectorscan]] [--tool "cmd args"] [--keep-corpus] [--no-recall] [--timeout 300]\n',
  );
  process.exit(0);
}
const size = parseSize(flags.get('size') ?? '256MiB');
const seed = String(flags.get('seed') ?? '1');
const runs = Number(flags.get('runs') ?? 5);
const only = typeof flags.get('only') === 'string' ? new Set(flags.get('only').split(',')) : undefined;
const engines = String(flags.get('engine') ?? (await defaultEngines())).split(',');
const isRecallWanted = !flags.has('no-recall');
const timeoutSeconds = Number(flags.get('timeout') ?? 300);
const workDir = join(process.env.TMPDIR || tmpdir(), 'sseredact-bench');
mkdirSync(workDir, { recursive: true });

const log = (text) => process.stderr.write(`${text}\n`);
/** The corpus being measured (set once by main). */
let corpusFile = '';

/** Returns `{ file, sidecar }`, generating the corpus unless a complete cached copy exists. */
function prepareCorpus() {
  const file = join(workDir, `corpus-v${GENERATOR_VERSION}-seed${seed}-${size}.log`);
  const sidecar = `${file}.secrets.json`;
  if (existsSync(file) && existsSync(sidecar) && statSync(file).size === size) {
    log(`corpus: reusing ${file}`);
  } else {
    const started = performance.now();
    log(`corpus: generating ${formatBytes(size)} (seed ${seed}) ...`);
    writeCorpus({ bytes: size, seed, out: file, sidecar });
    log(`corpus: ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return { file, sidecar };
}

/** Writes the Vectorscan expressions the engine compiles for the built-in pack, one a line; returns the file. */
async function writeNativePatterns() {
  const { expressions } = await enginePatterns();
  const file = join(workDir, 'native-patterns.txt');
  writeFileSync(file, `${expressions.join('\n')}\n`);
  return file;
}

/**
 * Builds bench/native-ceiling.c (another owner's; usage `native-ceiling PATTERNS INPUT [--som]`,
 * prints one key=value line, no redacted bytes) when it and libhs exist; returns `{ argv }` to run
 * it on stdin, or `{ skipped }` with the reason.
 */
async function prepareNative() {
  const source = join(ROOT, 'bench', 'native-ceiling.c');
  if (!existsSync(source)) return { skipped: 'no bench/native-ceiling.c' };
  const hasLibhs = ['/usr/include/hs/hs.h', '/usr/include/hs.h'].some((header) => existsSync(header));
  if (!hasLibhs) return { skipped: 'libhs not installed (apt-get install libvectorscan-dev)' };
  const binary = join(workDir, 'native-ceiling');
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    const built = spawnSync('cc', ['-O2', source, '-lhs', '-o', binary], { encoding: 'utf8', cwd: ROOT });
    if (built.status !== 0) return { skipped: `build failed: ${(built.stderr || built.error?.message || '').trim().split('\n')[0]}` };
  }
  try {
    return { argv: [binary, await writeNativePatterns(), '-'], hasNoOutput: true };
  } catch (error) {
    return { skipped: `cannot print the patterns from dist/ (npm run build?): ${error.message.split('\n')[0]}` };
  }
}

/** Process groups of the pipelines now running, killed if this process is interrupted. */
const runningGroups = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const pid of runningGroups) killGroup(pid);
    process.exit(130);
  });
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Runs `bash -c script args...` as its own process group (so a timeout or ^C ends the whole
 * pipeline). `done` resolves with the exit status (a signal death is 128 + n, as in a shell; 124
 * after --timeout, as timeout(1) says).
 */
function spawnPipeline(script, args, stdio) {
  const child = spawn('bash', ['-c', script, 'bench', ...args], { stdio, env: ENV, cwd: ROOT, detached: true });
  runningGroups.add(child.pid);
  let isTimedOut = false;
  const timer = setTimeout(() => {
    isTimedOut = true;
    killGroup(child.pid);
  }, timeoutSeconds * 1000);
  const done = exited(child).then((status) => {
    clearTimeout(timer);
    runningGroups.delete(child.pid);
    return isTimedOut ? 124 : status;
  });
  return { child, done };
}

/** Resolves when `child` exits, with its status (signal deaths become 128 + n, as in a shell). */
function exited(child) {
  return new Promise((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}

/** A failed run's status and stderr tail, for the table. */
function describeFailure(status, stderr) {
  if (status === 124) return `timed out after ${timeoutSeconds} s (--timeout)`;
  const why = tail(stderr);
  return `exit ${status}${why ? `: ${why}` : ''}`;
}

function tail(chunks) {
  return Buffer.concat(chunks).toString('utf8').trim().split('\n').slice(-3).join(' | ');
}

/**
 * One timed run of `cat FILE | argv > /dev/null`: `{ ms, rssKiB, status, error, stdout }`. The
 * peak RSS is the measured process's own (its children's are not added). With `isStdoutKept`
 * the output goes to a file instead and comes back as `stdout` (for a few-line report only).
 */
async function timeOnce(argv, file, isStdoutKept = false) {
  const rssFile = join(workDir, `rss-${process.pid}.txt`);
  const stdoutFile = isStdoutKept ? join(workDir, `stdout-${process.pid}.txt`) : '/dev/null';
  rmSync(rssFile, { force: true });
  const hasTime = existsSync(TIME);
  const script = hasTime
    ? 'set -o pipefail; cat -- "$1" | "$2" -f "%M %U %S" -o "$3" "${@:5}" > "$4"'
    : 'set -o pipefail; cat -- "$1" | { echo $BASHPID > "$3"; exec "${@:5}" > "$4"; }';
  const started = performance.now();
  const { child, done } = spawnPipeline(script, [file, TIME, rssFile, stdoutFile, ...argv], ['ignore', 'ignore', 'pipe']);
  const stderr = [];
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  let polledKiB = 0;
  const poll = hasTime
    ? undefined
    : setInterval(() => {
        try {
          const pid = readFileSync(rssFile, 'utf8').trim();
          const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (hwm) polledKiB = Math.max(polledKiB, Number(hwm[1]));
        } catch {
          // Not started yet, or already gone: VmHWM is a high-water mark, the last read stands.
        }
      }, 5);
  const status = await done;
  const ms = performance.now() - started;
  if (poll) clearInterval(poll);
  let rssKiB = polledKiB;
  let cpuSeconds;
  if (hasTime && existsSync(rssFile)) {
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
    const [maxKiB, user, system] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
    rssKiB = maxKiB || 0;
    if (Number.isFinite(user) && Number.isFinite(system)) cpuSeconds = user + system;
  }
  rmSync(rssFile, { force: true });
  const stdout = isStdoutKept ? readFileSync(stdoutFile, 'utf8') : '';
  if (isStdoutKept) rmSync(stdoutFile, { force: true });
  return { ms, rssKiB, cpuSeconds, status, error: status === 0 ? '' : describeFailure(status, stderr), stdout };
}

/**
 * Times every row up to `runs` times, interleaved (run 1 of each row, then run 2 of each...) so
 * that a load change on a shared machine hits every row alike; a row stops repeating once it has
 * used ROW_BUDGET_MS. Sets on each row: median `ms`, median `cpuSeconds` (when known), max `rssKiB`, `runs`, the last run's
 * `stdout` for rows with `hasNoOutput`, or `failed`.
 */
async function timeRows(rows) {
  const walls = new Map(rows.map((row) => [row, []]));
  const cpus = new Map(rows.map((row) => [row, []]));
  for (let i = 0; i < runs; i++) {
    for (const row of rows) {
      const done = walls.get(row);
      if (row.failed || (i > 0 && done.reduce((sum, ms) => sum + ms, 0) >= ROW_BUDGET_MS)) continue;
      log(`timing: ${row.label} (run ${i + 1})`);
      const run = await timeOnce(row.argv, corpusFile, row.hasNoOutput);
      if (run.status !== 0) {
        row.failed = run.error;
        continue;
      }
      done.push(run.ms);
      if (run.cpuSeconds !== undefined) cpus.get(row).push(run.cpuSeconds);
      row.rssKiB = Math.max(row.rssKiB ?? 0, run.rssKiB);
      row.stdout = run.stdout;
    }
  }
  for (const [row, done] of walls) {
    done.sort((a, b) => a - b);
    row.ms = done[Math.floor(done.length / 2)];
    row.runs = done.length;
    row.cpuSeconds = median(cpus.get(row));
  }
}

/** The median of `values`, or undefined for none. */
function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** What the recall pass looks for, derived from the sidecar once. */
function prepareNeedles(sidecarPath) {
  const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8'));
  const secretOfNeedle = new Map();
  const baitsOfNeedle = new Map();
  sidecar.secrets.forEach((secret, index) => {
    for (const line of secret.text.split('\n')) {
      if (line.length >= 8 && !line.startsWith('-----')) secretOfNeedle.set(line, index);
    }
  });
  for (const bait of sidecar.baits) {
    const needle = bait.text.split('\n').reduce((a, b) => (b.length > a.length ? b : a));
    baitsOfNeedle.set(needle, (baitsOfNeedle.get(needle) ?? 0) + 1);
  }
  const needlesFile = join(workDir, `needles-${process.pid}.txt`);
  writeFileSync(needlesFile, `${[...secretOfNeedle.keys(), ...baitsOfNeedle.keys()].join('\n')}\n`, 'latin1');
  return { needlesFile, secretOfNeedle, baitsOfNeedle, planted: sidecar.secrets.length, baits: sidecar.baits.length };
}

/** Counts occurrences of `needle` in a stream of chunks, including those split between chunks. */
function createCounter(needle) {
  let carry = Buffer.alloc(0);
  let count = 0;
  const countIn = (buffer) => {
    for (let at = buffer.indexOf(needle); at !== -1; at = buffer.indexOf(needle, at + needle.length)) count++;
  };
  return {
    feed(chunk) {
      if (carry.length > 0) countIn(Buffer.concat([carry, chunk.subarray(0, needle.length - 1)]));
      countIn(chunk);
      carry = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (needle.length - 1))));
    },
    get count() {
      return count;
    },
  };
}

/** The untimed recall run: `{ redactions, leaks, baitsKept }` or `{ failed }`. */
async function recallRow(argv, file, needles) {
  const { child, done } = spawnPipeline('set -o pipefail; cat -- "$1" | "${@:2}"', [file, ...argv], ['ignore', 'pipe', 'pipe']);
  const grep = spawn('grep', ['-aFo', '-f', needles.needlesFile], { stdio: ['pipe', 'pipe', 'ignore'], env: ENV });
  const counter = createCounter(Buffer.from('[REDACTED'));
  const stderr = [];
  const found = [];
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  child.stdout.on('data', (chunk) => counter.feed(chunk));
  child.stdout.pipe(grep.stdin);
  grep.stdin.on('error', () => {});
  grep.stdout.on('data', (chunk) => found.push(chunk));
  const [status] = await Promise.all([done, exited(grep)]);
  if (status !== 0) return { failed: describeFailure(status, stderr) };
  const leaked = new Set();
  const seen = new Map();
  for (const line of Buffer.concat(found).toString('latin1').split('\n')) {
    if (needles.secretOfNeedle.has(line)) leaked.add(needles.secretOfNeedle.get(line));
    else if (needles.baitsOfNeedle.has(line)) seen.set(line, (seen.get(line) ?? 0) + 1);
  }
  let baitsKept = 0;
  for (const [needle, expected] of needles.baitsOfNeedle) baitsKept += Math.min(expected, seen.get(needle) ?? 0);
  return { redactions: counter.count, leaks: leaked.size, baitsKept };
}

function formatBytes(bytes) {
  if (bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0) return `${bytes / 1024 / MiB} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
  return `${bytes} B`;
}

/** Prints aligned columns; a row of two cells (a label and a note) is not aligned past the label. */
function printTable(header, rows) {
  const aligned = rows.filter((row) => row.length > 2);
  const widths = header.map((cell, i) => Math.max(cell.length, ...[...aligned, ...rows.map((row) => [row[0]])].map((row) => String(row[i] ?? '').length)));
  const line = (cells) =>
    cells
      .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i])))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
}

async function main() {
  const { file, sidecar } = prepareCorpus();
  const rows = [{ name: 'cat', label: 'cat | cat', argv: ['cat'] }];
  const tools = resolveTools({ tool: flags.get('tool'), engines });
  if (tools.skipped) rows.push({ name: 'sseredact', label: 'cat | sseredact', skipped: tools.skipped });
  else rows.push(...tools.tools.map((tool) => ({ ...tool, label: `cat | ${tool.label}${flags.has('tool') ? ' (--tool)' : ''}` })));
  rows.push({ name: 'sed', label: 'cat | sed -E -f bench/secrets.sed', argv: ['sed', '-E', '-f', join(ROOT, 'bench', 'secrets.sed')] });
  const selected = rows.filter((row) => !only || only.has(row.name) || (row.name.startsWith('sseredact') && only.has('sseredact')));
  if (!only || only.has('native')) {
    selected.push({ name: 'native', label: 'cat | native-ceiling PATTERNS -', ...(await prepareNative()) });
  }

  // A fresh corpus may still be being written back to disk, which slows the first reads: flush it
  // and run the pipe baseline once, unmeasured, so the file is in the page cache for every row.
  spawnSync('sync', [file]);
  await timeOnce(['cat'], file);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `sseredact bench: corpus ${formatBytes(size)} seed ${seed}; node ${process.version}; ${cpus().length} x ${cpu}; Linux ${release()}; peak RSS via ${existsSync(TIME) ? '/usr/bin/time' : '/proc VmHWM polling'}\n\n`,
  );

  corpusFile = file;
  await timeRows(selected.filter((row) => !row.skipped));
  const throughput = (row) => (row?.ms ? size / MiB / (row.ms / 1000) : undefined);
  const catRate = throughput(selected.find((row) => row.name === 'cat'));
  const sed = selected.find((row) => row.name === 'sed');
  const sedRate = throughput(sed);
  const native = selected.find((row) => row.name === 'native' && row.stdout);
  const scanSeconds = Number(/seconds=([\d.]+)/.exec(native?.stdout ?? '')?.[1]);
  const nativeRate = scanSeconds > 0 ? size / MiB / scanSeconds : undefined;
  const ratio = (value, base, format) => (value !== undefined && base ? format(value / base) : '-');
  const percent = (fraction) => `${(fraction * 100).toFixed(1)}%`;
  const times = (factor) => `${factor.toFixed(2)}x`;
  printTable(
    ['command', 'wall s', 'CPU s', 'MiB/s', 'peak RSS MB', 'vs cat|cat', 'vs sed', 'CPU vs sed', 'vs native', 'runs'],
    selected.map((row) => {
      if (row.skipped || row.failed) return [row.label, `${row.skipped ? 'skipped' : 'failed'}: ${row.skipped ?? row.failed}`];
      const rate = throughput(row);
      return [
        row.label,
        (row.ms / 1000).toFixed(2),
        row.cpuSeconds === undefined ? '-' : row.cpuSeconds.toFixed(2),
        rate.toFixed(1),
        (row.rssKiB / 1024).toFixed(1),
        ratio(rate, catRate, percent),
        ratio(rate, sedRate, times),
        // Fewer CPU seconds is faster: sed's over the row's.
        row.cpuSeconds ? ratio(sed?.cpuSeconds, row.cpuSeconds, times) : '-',
        row === native ? '-' : ratio(rate, nativeRate, percent),
        row.runs,
      ];
    }),
  );
  if (nativeRate !== undefined) {
    process.stdout.write(
      `native-ceiling wall time includes compiling the patterns; its scan alone (reads from the pipe included), the base of "vs native": ${scanSeconds.toFixed(2)} s, ${nativeRate.toFixed(1)} MiB/s${catRate ? `, ${percent(nativeRate / catRate)} of cat|cat` : ''}\n`,
    );
  }
  process.stdout.write(
    'targets (DESIGN §8, issue 17): ts engine >= 15% of cat|cat and >= 3x sed; vectorscan engine >= 40% of cat|cat and >= 85% of native (DESIGN: 80% of cat|cat, >= 10x sed); peak RSS < 100 MB, flat with input size\n',
  );

  if (isRecallWanted) {
    const needles = prepareNeedles(sidecar);
    const recallRows = [];
    for (const row of selected) {
      if (row.skipped || row.failed || row.name === 'cat' || row.hasNoOutput) continue;
      log(`recall: ${row.label}`);
      const recall = await recallRow(row.argv, file, needles);
      recallRows.push(
        recall.failed ? [row.label, `failed: ${recall.failed}`] : [row.label, recall.redactions, needles.planted, `LEAKS: ${recall.leaks}`, `${recall.baitsKept}/${needles.baits}`],
      );
    }
    rmSync(needles.needlesFile, { force: true });
    if (recallRows.length > 0) {
      process.stdout.write('\n');
      printTable(['command', '[REDACTED count', 'planted secrets', 'leaked secrets', 'baits kept'], recallRows);
    }
  }
  if (!flags.has('keep-corpus')) {
    rmSync(file, { force: true });
    rmSync(sidecar, { force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
