#!/usr/bin/env node
/**
 * Peak RSS of sseredact against input size (issue 17: under 100 MB on both engines, and flat:
 * 16 MiB and 1 GiB within 10 MB of each other), with `echo hi` through the same command as the
 * baseline measured in the same run.
 *
 *   node bench/memory.mjs [--sizes 16MiB,256MiB,1GiB] [--engine ts[,vectorscan]] [--base DIR]
 *                         [--seed 1] [--keep-corpus] [--breakdown] [--timeout 600]
 *
 * Rows, per engine of --engine (default: both when the addon loads): `echo hi | sseredact`, then
 * `cat FILE | sseredact --engine E > /dev/null` for each CI log of --sizes (bench/corpus.mjs,
 * kept as $TMPDIR/sseredact-bench/corpus-v{version}-seed{seed}-{bytes}.log with --keep-corpus and
 * reused by any run, else generated per run and deleted at its end, like bench/run.mjs's). With `--base DIR` (another built checkout) the same
 * rows for DIR/bin/sseredact follow each of ours, interleaved, so both see the same load. One
 * unmeasured run on the smallest corpus first fills the compile caches (program cache included):
 * a cache of the run's own (XDG_CACHE_HOME, removed at the end; the user's is never touched), so
 * that what earlier runs over other inputs left there (a DFA's kept states) does not move the figures.
 * Peak RSS is the measured process's own (the right-hand side of the pipe), by `/usr/bin/time -f
 * %M`; CPU seconds are its user + system time. Columns: peak RSS, what it adds to `echo hi`, CPU
 * seconds, and the minor page faults (%R: memory touched the first time, as often as memory is
 * given back and taken again; ~12 us each on the virtual machine of issue 17, so a fault count is
 * time there); and, per engine, the spread of peak RSS from the smallest to the largest size.
 *
 * `--breakdown` also samples the measured process's /proc/PID/smaps every 200 ms and prints, for
 * the sample with the largest RSS, where it lies, by a heuristic reading of the mappings: the node
 * binary and shared libraries (file-backed), malloc's main heap (`[heap]`: ArrayBuffer contents,
 * native allocations), malloc's thread arenas (anonymous mappings that start on a 64 MiB boundary),
 * other anonymous mappings under 1 MiB (mostly V8's heap pages) and from 1 MiB (large ArrayBuffers).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERATOR_VERSION, parseFlags, parseSize, writeCorpus } from './corpus.mjs';
import { BIN, ROOT, defaultEngines, exitQuietlyOnEpipe } from './tool.mjs';

const TIME = '/usr/bin/time';
const MB = 1024 * 1024;

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
const sizes = String(flags.get('sizes') ?? '16MiB,256MiB,1GiB')
  .split(',')
  .map(parseSize)
  .sort((a, b) => a - b);
const engines = String(flags.get('engine') ?? (await defaultEngines())).split(',');
const seed = String(flags.get('seed') ?? '1');
const timeoutSeconds = Number(flags.get('timeout') ?? 600);
const base = typeof flags.get('base') === 'string' ? flags.get('base') : null;
const isBreakdownWanted = flags.has('breakdown');
const SAMPLE_MS = 200;
const workDir = join(process.env.TMPDIR || tmpdir(), 'sseredact-bench');
mkdirSync(workDir, { recursive: true });
const cacheHome = mkdtempSync(join(workDir, 'cache-'));
process.on('exit', () => rmSync(cacheHome, { recursive: true, force: true }));

const log = (text) => process.stderr.write(`${text}\n`);

/**
 * The CI log of `bytes` and whether this run owns it (deletes it at the end): the kept copy when
 * --keep-corpus made one, else one generated under the kept name with --keep-corpus, or under a
 * name of this process's own, so that two runs at once never delete each other's input.
 */
function corpusOf(bytes) {
  const kept = join(workDir, `corpus-v${GENERATOR_VERSION}-seed${seed}-${bytes}.log`);
  if (existsSync(kept) && statSync(kept).size === bytes) return { file: kept, isOwn: false };
  const isKept = flags.has('keep-corpus');
  const file = isKept ? kept : kept.replace(/\.log$/, `-run${process.pid}.log`);
  log(`corpus: generating ${file}`);
  // Written aside and renamed: another run never reuses a half-written corpus.
  const partial = `${file}.partial${process.pid}`;
  writeCorpus({ out: partial, sidecar: `${partial}.secrets.json`, bytes, seed: Number(seed) });
  rmSync(`${partial}.secrets.json`, { force: true });
  renameSync(partial, file);
  return { file, isOwn: !isKept };
}

/**
 * One run of `sh -c "<input> | /usr/bin/time CMD > /dev/null"`: `{ rssMB, cpuSeconds, faults }`. Throws
 * when the command fails or outlives --timeout.
 */
function measure(input, argv) {
  const out = join(workDir, `memory-${process.pid}.txt`);
  const script = `${input} | "${TIME}" -f '%M %U %S %R' -o "${out}" "$@" > /dev/null`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script, 'sh', ...argv], { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT, env: { ...process.env, LC_ALL: 'C', XDG_CACHE_HOME: cacheHome } });
    const stderr = [];
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    let largest = null;
    const sampler = isBreakdownWanted
      ? setInterval(() => {
          const sample = sampleMappings(child.pid, argv[0]);
          if (sample !== null && (largest === null || sample.total > largest.total)) largest = sample;
        }, SAMPLE_MS)
      : null;
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      clearInterval(sampler ?? undefined);
      const fields = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number) : [];
      rmSync(out, { force: true });
      if (status !== 0 || fields.length !== 4) {
        reject(new Error(`${argv.join(' ')}: exit ${status ?? signal} ${Buffer.concat(stderr).toString().trim().split('\n')[0] ?? ''}`));
        return;
      }
      resolve({ rssMB: fields[0] / 1024, cpuSeconds: fields[1] + fields[2], faults: fields[3], largest });
    });
  });
}

/** The pid of the process under `pid` (itself included) that runs `program`, or null. */
function processRunning(pid, program) {
  const read = (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  if (read(`/proc/${pid}/cmdline`).split('\0')[0] === program) return pid;
  for (const child of read(`/proc/${pid}/task/${pid}/children`).split(' ').filter(Boolean)) {
    const found = processRunning(Number(child), program);
    if (found !== null) return found;
  }
  return null;
}

/** RSS in KiB by kind of mapping (see --breakdown) of the process under `pid` that runs `program`, and its total; null when it is not running. */
function sampleMappings(pid, program) {
  const target = processRunning(pid, program);
  let text;
  try {
    text = target === null ? '' : readFileSync(`/proc/${target}/smaps`, 'utf8');
  } catch {
    return null;
  }
  const kinds = {};
  let kind = null;
  let total = 0;
  for (const line of text.split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping !== null) {
      const start = BigInt(`0x${mapping[1]}`);
      const size = BigInt(`0x${mapping[2]}`) - start;
      const name = mapping[3];
      if (name === '[heap]') kind = 'malloc heap';
      else if (name.startsWith('/')) kind = 'binary and libraries';
      else if (name !== '') kind = 'other';
      else if (start % (64n << 20n) === 0n) kind = 'malloc thread arenas';
      else kind = size < 1n << 20n ? 'anonymous < 1 MiB (V8 heap)' : 'anonymous >= 1 MiB';
    } else if (line.startsWith('Rss:') && kind !== null) {
      const kib = Number(line.split(/\s+/)[1]);
      kinds[kind] = (kinds[kind] ?? 0) + kib;
      total += kib;
    }
  }
  return total === 0 ? null : { total, kinds };
}

const quoted = (path) => `'${path.replaceAll("'", "'\\''")}'`;

async function main() {
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed for the peak RSS (apt-get install time)`);
  if (!existsSync(BIN)) throw new Error('not built (no bin/sseredact): npm run build');
  const corpora = sizes.map(corpusOf);
  const files = corpora.map((corpus) => corpus.file);
  const commands = [{ label: 'sseredact', bin: BIN }];
  if (base !== null) commands.push({ label: 'base', bin: join(base, 'bin', 'sseredact') });
  const uptime = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(`peak RSS: CI logs of ${sizes.map((bytes) => `${bytes / MB} MiB`).join(', ')}; node ${process.version}; load ${uptime()}\n`);
  process.stdout.write(`${'command'.padEnd(40)} ${'input'.padStart(9)} ${'peak MB'.padStart(8)} ${'+echo hi'.padStart(8)} ${'CPU s'.padStart(7)} ${'faults'.padStart(8)}\n`);
  for (const engine of engines) {
    for (const { bin } of commands) await measure(`cat ${quoted(files[0])}`, [process.execPath, bin, '--engine', engine]);
    const rows = commands.map(({ label, bin }) => ({ label: `${label} --engine ${engine}`, argv: [process.execPath, bin, '--engine', engine], peaks: [] }));
    for (const row of rows) row.floor = await measure('echo hi', row.argv);
    for (const row of rows) print(row.label, 'echo hi', row.floor, row.floor);
    for (const [at, file] of files.entries()) {
      for (const row of rows) {
        const got = await measure(`cat ${quoted(file)}`, row.argv);
        row.peaks.push(got.rssMB);
        print(row.label, `${sizes[at] / MB} MiB`, got, row.floor);
      }
    }
    for (const row of rows) {
      process.stdout.write(
        `${row.label.padEnd(40)} spread ${(Math.max(...row.peaks) - Math.min(...row.peaks)).toFixed(1)} MB from ${sizes[0] / MB} MiB to ${sizes.at(-1) / MB} MiB\n`,
      );
    }
  }
  process.stdout.write(`load at the end ${uptime()}\ntargets (issue 17): peak RSS < 100 MB on both engines; 16 MiB and 1 GiB within 10 MB\n`);
  for (const { file, isOwn } of corpora) if (isOwn) rmSync(file, { force: true });
}

function print(label, input, { rssMB, cpuSeconds, faults, largest }, floor) {
  process.stdout.write(
    `${label.padEnd(40)} ${input.padStart(9)} ${rssMB.toFixed(1).padStart(8)} ${(rssMB - floor.rssMB).toFixed(1).padStart(8)} ${cpuSeconds.toFixed(2).padStart(7)} ${String(faults).padStart(8)}\n`,
  );
  if (largest === null || largest === undefined) return;
  const parts = Object.entries(largest.kinds).sort((a, b) => b[1] - a[1]);
  process.stdout.write(`${''.padEnd(6)}largest sample ${(largest.total / 1024).toFixed(1)} MB: ${parts.map(([kind, kib]) => `${kind} ${(kib / 1024).toFixed(1)}`).join(', ')}\n`);
}

main().catch((error) => {
  process.stderr.write(`memory: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
