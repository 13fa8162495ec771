#!/usr/bin/env node
/**
 * The cost of checkpoints (`--checkpoint`, src/pipeline/checkpoint.ts): throughput of a file job
 * (`-o FILE --records FILE`) with and without checkpoints, in the same run, per engine.
 *
 *   node bench/checkpoint.mjs [--size 256MiB] [--every 64MiB,4MiB] [--engine ts,vectorscan]
 *                             [--rounds 2] [--seed 1]
 *
 * The input is bench/corpus.mjs's CI log of --size bytes (a secret every ~16 KiB). Each round runs,
 * per engine, the plain job and then the job with `--checkpoint-every` each of --every (64 MiB is
 * the default; smaller intervals show the cost per checkpoint: an fsync of the output and records
 * and an atomic rewrite of the checkpoint file), interleaved so that a shared machine's load moves
 * all rows alike. A row prints the best wall time of its rounds, MB/s of the input (start-up
 * included), how many checkpoints the run wrote, and its throughput relative to the plain job. Every
 * checkpointed output is compared with the plain one (they must be byte for byte equal).
 * Everything is written under a temporary directory, removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCorpus, parseFlags, parseSize } from './corpus.mjs';
import { BIN, defaultEngines, exitQuietlyOnEpipe } from './tool.mjs';

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
const size = parseSize(String(flags.get('size') ?? '256MiB'));
const intervals = String(flags.get('every') ?? '64MiB,4MiB').split(',');
const rounds = Number(flags.get('rounds') ?? 2);
const seed = String(flags.get('seed') ?? '1');
const engines = String(flags.get('engine') ?? (await defaultEngines())).split(',');
const work = mkdtempSync(join(tmpdir(), 'sseredact-checkpoint-'));
const env = { ...process.env, XDG_CACHE_HOME: join(work, 'cache') };

/** Runs one job; returns its wall time in seconds and the checkpoints it wrote. */
function run(engine, out, every) {
  const checkpoint = join(work, 'job.ckpt');
  const args = ['--engine', engine, '-o', out, '--records', `${out}.ndjson`, input];
  if (every !== null) args.push('--checkpoint', checkpoint, '--checkpoint-every', every, '--verbose');
  const started = process.hrtime.bigint();
  // Through its launcher, as users run it.
  const result = spawnSync(BIN, args, { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`sseredact ${args.join(' ')}: exit ${result.status}: ${result.stderr.trim().split('\n').at(-1)}`);
  // --verbose says each checkpoint it writes.
  return { seconds, checkpoints: (result.stderr.match(/: checkpoint at byte /g) ?? []).length };
}

const input = join(work, 'ci.log');
writeFileSync(input, Buffer.concat([...generateCorpus({ bytes: size, seed, secretEvery: 16 * 1024 })]));
try {
  console.log(`checkpoint cost: ${(size / 2 ** 20).toFixed(0)} MiB CI log, -o FILE --records FILE, best of ${rounds} round(s)`);
  console.log(['engine', 'checkpoints', 'wall s', 'MB/s', 'vs plain'].join('\t'));
  for (const engine of engines) {
    // One unmeasured run fills the compile cache.
    run(engine, join(work, 'warm.out'), null);
    const rows = [null, ...intervals].map((every) => ({ every, best: Infinity, checkpoints: 0 }));
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        const out = join(work, row.every === null ? 'plain.out' : 'checkpointed.out');
        const { seconds, checkpoints } = run(engine, out, row.every);
        row.best = Math.min(row.best, seconds);
        row.checkpoints = checkpoints;
        if (row.every !== null && !readFileSync(out).equals(readFileSync(join(work, 'plain.out'))))
          throw new Error(`--checkpoint-every ${row.every}: the output differs from the plain run's`);
      }
    }
    const plain = rows[0].best;
    for (const row of rows) {
      const label = row.every === null ? 'none' : `every ${row.every}: ${row.checkpoints}`;
      console.log([engine, label, row.best.toFixed(2), (size / 1e6 / row.best).toFixed(1), `${((plain / row.best) * 100).toFixed(1)}%`].join('\t'));
    }
  }
  console.log(`(input ${statSync(input).size} bytes; MB/s include start-up)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
