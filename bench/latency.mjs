#!/usr/bin/env node
/**
 * Line latency and start-up of sseredact (DESIGN §8: a clean line leaves within 1 ms, p99;
 * `echo hi | sseredact` under 150 ms with a warm compiled-rule cache).
 *
 *   node bench/latency.mjs [--lines 1000] [--interval 1] [--startups 20] [--pace timer|spin]
 *                          [--engine ts[,vectorscan]] [--tool "cmd args"] [--base DIR] [--rounds 1]
 *                          [--timeout 60]
 *
 * Latency: the command under test runs once; after 50 unmeasured warm-up lines, one clean
 * CI-log line (with a sequence number) is written to its stdin every --interval ms, and the time
 * from each write to the moment the line is read back from its stdout is recorded. The same is
 * done through `cat` first, which shows what the harness and the pipes alone cost. `--pace
 * timer` (default) sleeps between lines and spins only the last 0.2 ms; `--pace spin` spins
 * throughout (more exact pacing, but it keeps a CPU busy). A command still running --timeout
 * seconds after it started is killed and reported as failed. With `--base DIR` (another built
 * checkout) each engine's row is followed by DIR/bin/sseredact's; `--rounds N` measures every row
 * N times, interleaved, and prints the median of each figure over the rounds: on a shared machine
 * a p99 is mostly the load of the moment, which rows measured side by side share.
 *
 * Each engine's row is followed by the redactor alone, in this process (the library's
 * createRedactor, fed the same lines at the same pace; from each write to the 'data' event that
 * carries the line out): what redaction itself costs a line, without the pipes and wake-ups.
 *
 * Why a p99 moves on a loaded machine, and the columns that say it: a line costs each process it
 * passes through a wake-up, and a process woken while every core is busy waits in the run queue
 * (the harness's own `cat` floor went from 0.4 to 3.5 ms p99 with the load alone). So each row
 * also prints, per measured line, what /proc says of the command's threads over the measured
 * lines (Linux): its CPU time, its context switches (each one a sleep and a wake-up, the part of a
 * line's cost that the load multiplies) and its time waiting in the run queue; and `harness wait`
 * is the harness's own run-queue time per line (its reads of the output are late by that much).
 * Those counts hardly move with the load; the p99 does. Per round, `p99-floor` is the row's p99
 * less cat's in the same round (min..max over the rounds).
 *
 * First findings (DESIGN §8: no rule's first use compiles on the hot path): each command runs
 * once more; after the warm-up lines, one line with a secret of each of FIRST_FINDINGS' rules is
 * written, then the same line again, each once the line before came back and a pause of
 * --interval ms. The first line of a rule is what makes its program and predicates; the second
 * finds them made. Median and max over the rules, with the second lines' median beside them.
 *
 * Start-up: `echo hi | CMD` (stdin "hi\n", then EOF) --startups times after one unmeasured run
 * that warms any cache; median and max wall time from spawn to exit, with `node -e 0` as the floor.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseFlags } from './corpus.mjs';
import { ROOT, defaultEngines, exitQuietlyOnEpipe, resolveTools } from './tool.mjs';

const WARM_UP_LINES = 50;
const FIRST_LINE_WAIT_MS = 10_000;

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
const lineCount = Number(flags.get('lines') ?? 1000);
const intervalMs = Number(flags.get('interval') ?? 1);
const startups = Number(flags.get('startups') ?? 20);
const paceMode = String(flags.get('pace') ?? 'timer');
const timeoutSeconds = Number(flags.get('timeout') ?? 60);
const base = typeof flags.get('base') === 'string' ? flags.get('base') : null;
const rounds = Number(flags.get('rounds') ?? 1);

const immediate = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `due` (a performance.now() time). `spin` polls with setImmediate (exact, but keeps
 * a CPU busy, which on a small machine competes with the command under test); `timer` sleeps
 * with setTimeout for all but the last 0.2 ms and spins the rest.
 */
async function pace(due) {
  if (paceMode === 'timer') {
    const wait = Math.floor(due - performance.now() - 0.2);
    if (wait >= 1) await sleep(wait);
  }
  while (performance.now() < due) await immediate();
}

/** Lines with a secret of a different rule each (made up, of the providers' formats), for the first-findings table. */
const FIRST_FINDINGS = [
  'password = "hunter2Xq9zLmNb"',
  'api_key = "Zq8Lr2Vx9Kp4Tm7Wb3Nc6Yd1Hf5Gs0Ju"',
  'curl -u admin:S3cr3tPassw0rd https://x.example.com',
  'key=AIzaSyDxv9Kb7Qm2Zc4Lp8Rt6Yw1Hn3Jg5Fd0Se ok',
  'export AWS_ACCESS_KEY_ID=AKIAZ7VQ3XJ5K2LMN4PQ',
  'STRIPE_KEY=sk_live_51HxJkLmNoPqRsTuVwXyZa0bCdEfGhIj',
  'postgres://app:Xk9mP2vQ7rLs@db.internal:5432/main',
  'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk',
];

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

function line(seq) {
  return `2026-11-25T09:00:00.${String(seq).padStart(7, '0')}Z tests/api/test_session.py::test_refresh[case-${seq % 50}] PASSED [ 42%] seq=${seq}\n`;
}

/**
 * CPU time, run-queue wait (ns, /proc/PID/task/TID/schedstat) and context switches summed over
 * the threads of `pid`; zeros where /proc cannot say (not Linux, or the process gone).
 */
function threadCounters(pid) {
  const counters = { cpuNs: 0, waitNs: 0, switches: 0 };
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return counters;
  }
  for (const tid of tids) {
    try {
      const [cpuNs, waitNs] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      counters.cpuNs += cpuNs;
      counters.waitNs += waitNs;
      for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) counters.switches += Number(match[1]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return counters;
}

/** Per measured line: what `counters` gained from `before` to `after` (CPU and wait in µs). */
function perLine(before, after, lines) {
  return {
    cpuUs: (after.cpuNs - before.cpuNs) / 1000 / lines,
    waitUs: (after.waitNs - before.waitNs) / 1000 / lines,
    switches: (after.switches - before.switches) / lines,
  };
}

/**
 * Writes WARM_UP_LINES + lineCount lines through `argv`, one per interval; returns the measured
 * latencies in ms, sorted, and the command's and the harness's counters per measured line
 * ({@link perLine}), or throws when a line never comes back.
 */
async function measureLatency(argv) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
  const total = WARM_UP_LINES + lineCount;
  const writtenAt = new Float64Array(total);
  const latencies = [];
  let received = 0;
  const stderr = [];
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  child.stdout.setEncoding('latin1');
  child.stdout.on(
    'data',
    lineReader((seq, now) => {
      received++;
      if (seq >= WARM_UP_LINES) latencies.push(now - writtenAt[seq]);
    }),
  );
  let hasExited = false;
  child.on('exit', () => {
    hasExited = true;
  });
  const exited = new Promise((resolve) => child.on('close', resolve));
  let isTimedOut = false;
  const timer = setTimeout(() => {
    isTimedOut = true;
    child.kill('SIGKILL');
  }, timeoutSeconds * 1000);
  child.stdin.on('error', () => {});
  // Wait for the first line to come back before pacing, so start-up is not counted; but a command
  // that holds a line back until more input arrives would never echo it, so go on after 10 s.
  writtenAt[0] = performance.now();
  child.stdin.write(line(0));
  while (received === 0 && !hasExited && performance.now() - writtenAt[0] < FIRST_LINE_WAIT_MS) await sleep(1);
  let due = performance.now();
  let before = null;
  for (let seq = 1; seq < total && !hasExited; seq++) {
    due += intervalMs;
    await pace(due);
    if (seq === WARM_UP_LINES) before = { command: threadCounters(child.pid), harness: threadCounters(process.pid) };
    writtenAt[seq] = performance.now();
    child.stdin.write(line(seq));
  }
  // The last line's way out is counted too: wait for it (a command that fails is caught below).
  while (received < total && !hasExited && performance.now() - due < FIRST_LINE_WAIT_MS) await sleep(1);
  const counters =
    before === null ? null : { command: perLine(before.command, threadCounters(child.pid), lineCount), harness: perLine(before.harness, threadCounters(process.pid), lineCount) };
  child.stdin.end();
  const status = await exited;
  clearTimeout(timer);
  if (received !== total) {
    const why = isTimedOut ? `killed after --timeout ${timeoutSeconds} s` : `exit ${status}`;
    throw new Error(`${argv.join(' ')}: ${received}/${total} lines came back (${why}) ${Buffer.concat(stderr).toString().trim().split('\n')[0] ?? ''}`);
  }
  return { sorted: latencies.sort((a, b) => a - b), counters };
}

/**
 * The first-findings run of `argv` (see the header): `{ first, again }`, each line's latency in ms
 * in FIRST_FINDINGS' order, or throws when a line never comes back.
 */
async function measureFirstFindings(argv) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
  const arrivals = new Map();
  const stderr = [];
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  child.stdout.setEncoding('latin1');
  child.stdout.on(
    'data',
    lineReader((seq, now) => arrivals.set(seq, now)),
  );
  child.stdin.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
  /** Writes `text` (ending in ` seq=N` and a newline) and waits for line `seq` to come back; its latency in ms. */
  const roundTrip = async (seq, text) => {
    const written = performance.now();
    child.stdin.write(text);
    while (!arrivals.has(seq) && child.exitCode === null && performance.now() - written < FIRST_LINE_WAIT_MS) await sleep(0);
    if (!arrivals.has(seq)) throw new Error(`${argv.join(' ')}: line ${seq} never came back ${Buffer.concat(stderr).toString().trim().split('\n')[0] ?? ''}`);
    await sleep(intervalMs);
    return arrivals.get(seq) - written;
  };
  try {
    let seq = 0;
    for (; seq < WARM_UP_LINES; seq++) await roundTrip(seq, line(seq));
    const first = [];
    const again = [];
    for (const text of FIRST_FINDINGS) {
      first.push(await roundTrip(seq, `${text} seq=${seq}\n`));
      again.push(await roundTrip(seq + 1, `${text} seq=${seq + 1}\n`));
      seq += 2;
    }
    return { first, again };
  } finally {
    clearTimeout(timer);
    child.stdin.end();
  }
}

/** A 'data' listener for latin1 text that calls `onLine(seq, now)` for each whole line with a sequence number (line()), `now` when its text came. */
function lineReader(onLine) {
  let partial = '';
  return (text) => {
    const now = performance.now();
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const got of lines) {
      const seq = Number(/seq=(\d+)$/.exec(got)?.[1]);
      if (Number.isInteger(seq)) onLine(seq, now);
    }
  };
}

/**
 * The redactor alone: the library's createRedactor (this checkout's dist/index.js) on `engine`,
 * in this process, paced as a command's lines are; the time from each write of a line to the
 * 'data' event that carries it out. What a command's row adds to this one is its pipes, the
 * wake-ups of two processes and the scheduler. Sorted latencies in ms.
 */
async function measureInProcess(engine) {
  const { createRedactor } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
  const redactor = createRedactor({ engine });
  const total = WARM_UP_LINES + lineCount;
  const writtenAt = new Float64Array(total);
  const latencies = [];
  let received = 0;
  redactor.setEncoding('latin1');
  redactor.on(
    'data',
    lineReader((seq, now) => {
      received++;
      if (seq >= WARM_UP_LINES) latencies.push(now - writtenAt[seq]);
    }),
  );
  let due = performance.now();
  for (let seq = 0; seq < total; seq++) {
    due += intervalMs;
    await pace(due);
    writtenAt[seq] = performance.now();
    redactor.write(line(seq));
  }
  redactor.end();
  await new Promise((resolve, reject) => redactor.on('end', resolve).on('error', reject).resume());
  if (received !== total) throw new Error(`in process ${engine}: ${received}/${total} lines came out`);
  return { sorted: latencies.sort((a, b) => a - b), counters: null };
}

/**
 * Runs `argv` with stdin "hi\n" `count` times after one warm-up: sorted wall times in ms. Throws
 * when a run fails or, if `expected` is given, prints anything else.
 */
async function measureStartup(argv, count, expected) {
  const walls = [];
  for (let i = 0; i <= count; i++) {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'], cwd: ROOT });
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stdin.on('error', () => {});
    child.stdin.end('hi\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    const status = await new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    clearTimeout(timer);
    const ms = performance.now() - started;
    const text = Buffer.concat(out).toString();
    if (status !== 0 || (expected !== undefined && text !== expected)) throw new Error(`${argv.join(' ')}: exit ${status}, output ${JSON.stringify(text)}`);
    if (i > 0) walls.push(ms);
  }
  return walls.sort((a, b) => a - b);
}

const ms = (value) => value.toFixed(3).padStart(8);
/** The latency quantiles printed (the last is the max), and where p99 is among them. */
const QUANTILES = [0.5, 0.9, 0.99, 0.999, 1];
const P99_AT = 2;

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main() {
  const tools = resolveTools({ tool: flags.get('tool'), engines: String(flags.get('engine') ?? (await defaultEngines())).split(',') });
  const measured = tools.tools ?? [];
  process.stdout.write(
    `line latency: ${lineCount} clean lines, one every ${intervalMs} ms (after ${WARM_UP_LINES} warm-up lines); node ${process.version}; load ${loadAverage()}\n`,
  );
  if (rounds > 1) process.stdout.write(`medians over ${rounds} rounds, rows interleaved; p99-floor: min..max over the rounds\n`);
  process.stdout.write(`${'command'.padEnd(28)}      p50      p90      p99    p99.9      max  p99-floor (ms) | per line: cpu us  switches  wait us  harness wait us\n`);
  const rows = [{ label: 'cat (harness floor)', argv: ['cat'] }];
  for (const tool of measured) {
    rows.push({ label: tool.label.replace(/^sseredact --engine /, 'sseredact '), argv: tool.argv });
    const engine = tool.argv[tool.argv.indexOf('--engine') + 1];
    if (tool.argv.includes('--engine')) rows.push({ label: `  ${engine}, in process`, engine });
    if (base !== null) rows.push({ label: `base ${tool.label.replace(/^sseredact --engine /, '')}`, argv: [join(base, 'bin', 'sseredact'), ...tool.argv.slice(1)] });
  }
  for (const row of rows) row.rounds = [];
  for (let round = 0; round < rounds; round++) {
    for (const row of rows) {
      if (row.error !== undefined) continue;
      try {
        const { sorted, counters } = row.engine === undefined ? await measureLatency(row.argv) : await measureInProcess(row.engine);
        row.rounds.push({ quantiles: QUANTILES.map((q) => quantile(sorted, q)), counters });
      } catch (error) {
        row.error = error.message;
      }
    }
  }
  const floorP99 = rows[0].rounds.map((figures) => figures.quantiles[P99_AT]);
  for (const row of rows) {
    if (row.error !== undefined) {
      process.stdout.write(`${row.label.padEnd(28)} failed: ${row.error}\n`);
      continue;
    }
    const quantiles = QUANTILES.map((_, at) => ms(median(row.rounds.map((figures) => figures.quantiles[at]))));
    const aboveFloor = row.rounds.map((figures, round) => figures.quantiles[P99_AT] - (floorP99[round] ?? NaN));
    const spread = row === rows[0] || row.engine !== undefined ? ''.padStart(14) : `${Math.min(...aboveFloor).toFixed(2)}..${Math.max(...aboveFloor).toFixed(2)}`.padStart(14);
    const counters = row.rounds.map((figures) => figures.counters).filter((counter) => counter !== null);
    const count = (pick, digits) => (counters.length === 0 ? '-' : median(counters.map(pick)).toFixed(digits));
    process.stdout.write(
      `${row.label.padEnd(28)} ${quantiles.join(' ')} ${spread}      | ${count((c) => c.command.cpuUs, 0).padStart(13)} ${count((c) => c.command.switches, 2).padStart(9)} ${count((c) => c.command.waitUs, 0).padStart(8)} ${count((c) => c.harness.waitUs, 0).padStart(16)}\n`,
    );
  }
  if (measured.length === 0) process.stdout.write(`${'sseredact'.padEnd(32)} skipped: ${tools.skipped}\n`);

  await printFirstFindings(rows.filter((row) => row.argv !== undefined && row.engine === undefined && row !== rows[0]));
  if (startups > 0) await printStartups(measured);
  process.stdout.write(`load at the end ${loadAverage()}\ntargets (DESIGN §8): clean line p99 <= 1 ms; echo hi | sseredact < 150 ms\n`);
}

/** The first-findings table (see the header) for each command row, over --rounds runs (medians of the per-run figures). */
async function printFirstFindings(commandRows) {
  process.stdout.write(`\nfirst findings: after ${WARM_UP_LINES} clean lines, a line with a secret of each of ${FIRST_FINDINGS.length} rules, then the same line again\n`);
  process.stdout.write(`${'command'.padEnd(28)} first: median      max  again: median  (ms)\n`);
  for (const row of commandRows) {
    const runs = [];
    try {
      for (let round = 0; round < rounds; round++) runs.push(await measureFirstFindings(row.argv));
    } catch (error) {
      process.stdout.write(`${row.label.padEnd(28)} failed: ${error.message}\n`);
      continue;
    }
    const figure = (pick) => ms(median(runs.map(pick)));
    process.stdout.write(
      `${row.label.padEnd(28)} ${figure((run) => median(run.first)).padStart(13)} ${figure((run) => Math.max(...run.first))} ${figure((run) => median(run.again)).padStart(14)}\n`,
    );
  }
}

/** The start-up table: `echo hi | CMD` for node itself and each measured tool. */
async function printStartups(measured) {
  process.stdout.write(`\nstart-up: echo hi | CMD, ${startups} runs after 1 warm-up\n`);
  process.stdout.write(`${'command'.padEnd(32)}   median      max  (ms)\n`);
  const starts = [{ label: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'] }];
  starts.push(...measured.map((tool) => ({ label: tool.label, argv: tool.argv, expected: 'hi\n' })));
  for (const row of starts) {
    try {
      const sorted = await measureStartup(row.argv, startups, row.expected);
      process.stdout.write(`${row.label.padEnd(32)} ${ms(quantile(sorted, 0.5))} ${ms(sorted[sorted.length - 1])}\n`);
    } catch (error) {
      process.stdout.write(`${row.label.padEnd(32)} failed: ${error.message}\n`);
    }
  }
}

main().catch((error) => {
  process.stderr.write(`latency: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
