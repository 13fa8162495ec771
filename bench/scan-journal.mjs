#!/usr/bin/env node
/**
 * The cost of `scan --resume JOURNAL` (src/pipeline/scan-journal.ts): a scan of a generated tree
 * with and without a journal, and a resumed scan whose journal holds every file but one, in the
 * same run, per engine.
 *
 *   node bench/scan-journal.mjs [--files 20000] [--jobs 2] [--engine ts,vectorscan] [--rounds 3] [--seed 1]
 *
 * The tree: --files files of 0.5 to 8 KiB of log-like lines, an AWS key in one file of 8. Each
 * round runs, per engine, `scan --json --jobs N` plain, then with a new journal, then resumed
 * (interleaved, so that a shared machine's load moves all rows alike). The full journal comes from
 * a run whose worker dies on one file (the test-only fault of src/pipeline/scan-worker.ts,
 * NODE_ENV=test): it ends with exit 3 and keeps the journal of every other file. A row prints the
 * best wall time and CPU seconds (user + system of the process and its workers, from
 * /usr/bin/time) of its rounds, and both relative to the plain scan. Every report is compared with
 * the plain one (they must be byte for byte equal). Everything is written under a temporary
 * directory, removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from './corpus.mjs';
import { BIN, defaultEngines, exitQuietlyOnEpipe, random } from './tool.mjs';

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
const files = Number(flags.get('files') ?? 20000);
const jobs = String(flags.get('jobs') ?? 2);
const rounds = Number(flags.get('rounds') ?? 3);
const seed = Number(flags.get('seed') ?? 1);
const engines = String(flags.get('engine') ?? (await defaultEngines())).split(',');
const work = mkdtempSync(join(tmpdir(), 'sseredact-scan-journal-'));
const tree = join(work, 'tree');
const journal = join(work, 'scan.journal');
const env = { ...process.env, XDG_CACHE_HOME: join(work, 'cache'), NO_COLOR: '1' };
const CRASHING = 'f00000.txt';

/** Runs `scan` in the tree; returns its wall and CPU seconds, its status and its report. */
function scan(engine, extra, extraEnv = {}) {
  const args = ['-f', '%U %S', BIN, 'scan', '--no-config', '--engine', engine, '--json', '--jobs', jobs, ...extra, '.'];
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', args, { cwd: tree, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [user, system] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, cpu: user + system, status: result.status, report: result.stdout };
}

function expectStatus(what, result, status) {
  if (result.status !== status) throw new Error(`${what}: exit ${result.status}, expected ${status}`);
}

const next = random(seed);
let bytes = 0;
for (let i = 0; i < files; i++) {
  const dir = join(tree, `d${i % 50}`);
  if (i < 50) mkdirSync(dir, { recursive: true });
  let text = '';
  const size = 512 + Math.floor(next() * 7680);
  while (text.length < size) text += `2026-12-02T12:00:00Z build step ${Math.floor(next() * 1e6)} finished in ${Math.floor(next() * 1000)} ms\n`;
  if (i % 8 === 3) text += `aws_key = AKIAZ7VQ3XJ5K2LMN4PQ\n`;
  writeFileSync(join(dir, `f${String(i).padStart(5, '0')}.txt`), text);
  bytes += text.length;
}

try {
  console.log(`scan --resume cost: ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MiB, --json --jobs ${jobs}, best of ${rounds} round(s)`);
  console.log(['engine', 'run', 'wall s', 'cpu s', 'wall vs plain', 'cpu vs plain', 'journal bytes'].join('\t'));
  for (const engine of engines) {
    // One unmeasured run fills the compile cache.
    const plainReport = scan(engine, []).report;
    const rows = ['plain', 'journal', 'resumed'].map((name) => ({ name, wall: Infinity, cpu: Infinity, journalBytes: 0 }));
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        rmSync(journal, { force: true });
        if (row.name === 'resumed') {
          const crashed = scan(engine, ['--resume', journal], { NODE_ENV: 'test', SSEREDACT_TEST_FAULT: `scan-crash:${CRASHING}` });
          expectStatus('the run that keeps its journal', crashed, 3);
          row.journalBytes = statSync(journal).size;
        }
        const result = scan(engine, row.name === 'plain' ? [] : ['--resume', journal]);
        expectStatus(row.name, result, 1);
        if (result.report !== plainReport) throw new Error(`${engine} ${row.name}: the report differs from the plain scan's`);
        row.wall = Math.min(row.wall, result.seconds);
        row.cpu = Math.min(row.cpu, result.cpu);
      }
    }
    const [plain] = rows;
    for (const row of rows) {
      const ratio = (value, base) => `${((value / base) * 100).toFixed(1)}%`;
      console.log([engine, row.name, row.wall.toFixed(2), row.cpu.toFixed(2), ratio(row.wall, plain.wall), ratio(row.cpu, plain.cpu), row.journalBytes || ''].join('\t'));
    }
  }
  console.log('(resumed: the journal holds every file but one; times include start-up)');
} finally {
  rmSync(work, { recursive: true, force: true });
}
