#!/usr/bin/env node
/**
 * Big literal lists (`--literal-file`, as exported from a vault): start-up time, peak RSS and
 * throughput of bin/sseredact with N literals.
 *
 *   node bench/literals.mjs [--count 100000] [--size 64MiB] [--engine ts,vectorscan] [--seed 1]
 *                           [--bin PATH] [--timeout 600]
 *
 * The literal file holds --count distinct values of the shapes vault exports hold (hex and
 * base62 tokens, base64 blobs with `+/=`, passwords with punctuation and spaces), 16 to 64 bytes.
 * The log is bench/corpus.mjs's CI log of --size bytes with one line per ~8 KiB that sets a
 * variable to one of the literals, in clear or in one of its encodings (JSON, URL, base64).
 *
 * Rows, per engine, after one unmeasured run that fills the compile cache: `start-up` is
 * `echo hi | sseredact --literal-file F` (wall from spawn to exit, and peak RSS from GNU time's
 * %M); `log` redacts the log file into a temporary file (wall, MB/s of the whole run including
 * start-up, peak RSS), then checks that no planted value is left in clear in the output. The
 * `pack only` rows run the same without --literal-file: the difference is what the literals cost
 * (compare within one run: a shared machine moves all rows together). A run that fails says its
 * exit status and the last line of stderr. `--bin` measures another build (e.g. an older
 * checkout) with the same inputs.
 *
 * Every run caches into a temporary XDG_CACHE_HOME, removed at the end.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandom, generateCorpus, parseFlags, parseSize } from './corpus.mjs';
import { BIN, ROOT, defaultEngines, exitQuietlyOnEpipe } from './tool.mjs';

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
const count = Number(flags.get('count') ?? 100_000);
const size = parseSize(String(flags.get('size') ?? '64MiB'));
const seed = String(flags.get('seed') ?? '1');
const bin = String(flags.get('bin') ?? BIN);
const timeoutMs = Number(flags.get('timeout') ?? 600) * 1000;
const engines = String(flags.get('engine') ?? (await defaultEngines())).split(',');
const work = mkdtempSync(join(tmpdir(), 'sseredact-literals-'));
const env = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };

const HEX = '0123456789abcdef';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PASSWORD = `${BASE62}!#$%&*+-./:;=?@^_~ `;

/** --count distinct literal values, deterministic for the seed. */
function literals(random) {
  const text = (alphabet, length) => Array.from({ length }, () => random.pick(alphabet)).join('');
  const shapes = [
    () => text(HEX, random.between(32, 64)),
    () => `tok_${text(BASE62, random.between(24, 40))}`,
    () => Buffer.from(text(PASSWORD, random.between(18, 30))).toString('base64'),
    () => text(PASSWORD, random.between(16, 28)).trim().padEnd(16, 'x'),
  ];
  const values = new Set();
  while (values.size < count) values.add(shapes[values.size % shapes.length]());
  return [...values];
}

const ENCODINGS = [(value) => value, (value) => JSON.stringify(value).slice(1, -1), (value) => encodeURIComponent(value), (value) => Buffer.from(value).toString('base64')];

/** Writes the log: the corpus with a planted line per ~8 KiB; returns the values planted in clear. */
function writeLog(path, values, random) {
  const out = [];
  const planted = [];
  for (const chunk of generateCorpus({ bytes: size, seed, chunkBytes: 8192 })) {
    out.push(chunk);
    const value = random.pick(values);
    const encoding = random.below(ENCODINGS.length);
    if (encoding === 0 && planted.length < 2000) planted.push(value);
    out.push(Buffer.from(`\nexport SECRET_${planted.length}=${ENCODINGS[encoding](value)}\n`));
  }
  writeFileSync(path, Buffer.concat(out));
  return planted;
}

/** Runs bin/sseredact under GNU time; resolves to { ms, rssMb, code, stderr }. */
function run(args, { stdin, stdout }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'RSS_KB=%M', bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT, env });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const errors = [];
    child.stderr.on('data', (chunk) => errors.push(chunk));
    if (stdout) child.stdout.pipe(createWriteStream(stdout));
    else child.stdout.resume();
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const stderr = Buffer.concat(errors).toString();
      const rss = /RSS_KB=(\d+)/.exec(stderr);
      const status = /Command (?:exited with non-zero status|terminated by signal) (\d+)/.exec(stderr);
      resolve({
        ms,
        rssMb: rss ? Number(rss[1]) / 1024 : NaN,
        code: status ? Number(status[1]) : code,
        stderr: stderr.replace(/.*RSS_KB=\d+\n?/s, '').replace(/Command .*\n/, ''),
      });
    });
  });
}

const random = createRandom(`literals-${seed}`);
const values = literals(random);
const listPath = join(work, 'literals.txt');
writeFileSync(listPath, `${values.join('\n')}\n`);
const logPath = join(work, 'ci.log');
const planted = writeLog(logPath, values, random);
const logBytes = statSync(logPath).size;
const outPath = join(work, 'out.log');

const failure = (result) => `exit ${result.code}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`;
process.stdout.write(`${count} literals (${(statSync(listPath).size / 1e6).toFixed(1)} MB file), log ${(logBytes / 2 ** 20).toFixed(0)} MiB, ${bin}\n`);
process.stdout.write(`${'engine'.padEnd(11)} ${'run'.padEnd(19)} ${'wall s'.padStart(8)} ${'MB/s'.padStart(8)} ${'RSS MB'.padStart(8)}  check\n`);
try {
  for (const engine of engines) {
    await run(['--engine', engine], { stdin: 'hi\n' });
    for (const [label, extra] of [
      ['pack only', []],
      ['literals', ['--literal-file', listPath]],
    ]) {
      const common = ['--engine', engine, ...extra];
      const startup = await run(common, { stdin: 'hi\n' });
      const row = (name, result, rate, check) =>
        `${engine.padEnd(11)} ${`${label}: ${name}`.padEnd(19)} ${(result.ms / 1000).toFixed(2).padStart(8)} ${rate.padStart(8)} ${result.rssMb.toFixed(0).padStart(8)}  ${check}\n`;
      process.stdout.write(row('start-up', startup, '', startup.code === 0 ? 'ok' : failure(startup)));
      if (startup.code !== 0) continue;
      const log = await run([...common, logPath], { stdout: outPath });
      let check = failure(log);
      if (log.code === 0 && extra.length > 0) {
        const output = readFileSync(outPath);
        const left = planted.filter((value) => output.includes(value)).length;
        check = left === 0 ? `ok: none of ${planted.length} planted values left` : `LEAK: ${left} of ${planted.length} planted values left`;
      } else if (log.code === 0) {
        check = 'ok';
      }
      process.stdout.write(row('log', log, (logBytes / 1e6 / (log.ms / 1000)).toFixed(1), check));
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
