#!/usr/bin/env node
/**
 * `sseredact scan --git` over a generated history (issue 18: 5,000 commits).
 *
 *   node bench/git-history.mjs [--commits 5000] [--lines 40] [--files 200] [--engine ts,vectorscan] [--runs 3] [--keep]
 *
 * Builds a repository in a temporary directory with `git fast-import` (seconds, where 5,000
 * `git commit` runs would take minutes): each commit changes one of --files files, adding --lines
 * lines of code-like text (replacing what it held), and every 100th commit plants one fake AWS key,
 * gone from the work tree once its file is rewritten, so the scan must find commits/100 secrets,
 * most of which no work-tree scan sees. Then, --runs times each (median): `git log -p -U0 --all` alone (what
 * git takes to produce the patches: the floor), and `bin/sseredact scan --git --json --no-config`
 * per engine, with the wall time, the CPU time (user + system: the figure to compare on a shared
 * machine, where wall time mostly measures the other load), commits/s, MB/s of added lines, peak RSS (GNU time) and the
 * number of findings, which must equal the planted secrets.
 *
 * The repository is removed at the end (`--keep` keeps it, and prints where); the cache of compiled rules is a temporary one, warmed by
 * one unmeasured run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from './corpus.mjs';
import { BIN, defaultEngines, exitQuietlyOnEpipe, random } from './tool.mjs';

const flags = parseFlags(process.argv.slice(2));
exitQuietlyOnEpipe();
const commits = Number(flags.get('commits') ?? 5000);
const linesPerCommit = Number(flags.get('lines') ?? 40);
const fileCount = Number(flags.get('files') ?? 200);
const runs = Number(flags.get('runs') ?? 3);
const engines = String(flags.get('engine') ?? (await defaultEngines())).split(',');
const SECRET_EVERY = 100;
const KEY = 'AKIAZ7VQ3XJ5K2LMN4PQ';
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

const WORDS = ['const', 'value', 'return', 'config', 'request', 'token', 'user', 'id', 'items', 'await', 'handler', 'error', 'result', 'options', 'path'];

function codeLine(next) {
  const words = Array.from({ length: 4 + Math.floor(next() * 8) }, () => WORDS[Math.floor(next() * WORDS.length)]);
  return `  ${words.join(' ')} = ${Math.floor(next() * 1e9).toString(36)};`;
}

/** The fast-import stream of the whole history (a few MB: built in memory). */
function historyStream() {
  const next = random(18);
  const files = Array.from({ length: fileCount }, () => []);
  const parts = [];
  let planted = 0;
  for (let n = 1; n <= commits; n++) {
    const index = Math.floor(next() * fileCount);
    const lines = Array.from({ length: linesPerCommit }, () => codeLine(next));
    if (n % SECRET_EVERY === 0) {
      lines[Math.floor(next() * lines.length)] = `  aws_access_key_id = "${KEY}";`;
      planted++;
    }
    files[index] = lines;
    const content = `${lines.join('\n')}\n`;
    const message = `commit ${n}\n`;
    const when = 1_700_000_000 + n * 60;
    parts.push(
      `commit refs/heads/main\nmark :${n}\ncommitter Bench <bench@example.test> ${when} +0000\ndata ${Buffer.byteLength(message)}\n${message}`,
      n > 1 ? `from :${n - 1}\n` : '',
      `M 100644 inline src/file-${index}.js\ndata ${Buffer.byteLength(content)}\n${content}\n`,
    );
  }
  return { text: parts.join(''), planted };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs `argv` in `cwd` under GNU time; resolves to { ms, rssKiB, cpuSeconds (user + system), stdout }. */
function timed(argv, cwd, env) {
  return new Promise((resolve, reject) => {
    const hasTime = existsSync('/usr/bin/time');
    const command = hasTime ? ['/usr/bin/time', '-f', '%M %U %S', ...argv] : argv;
    const started = performance.now();
    const child = spawn(command[0], command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      const ms = performance.now() - started;
      // scan exits 1 when it found something: that is the expected outcome here.
      if (status !== 0 && status !== 1) return reject(new Error(`${argv.join(' ')}: exit ${status}: ${err.trim().split('\n').at(-1)}`));
      const [rssKiB, user, system] = hasTime ? err.trim().split('\n').at(-1).split(' ').map(Number) : [Number.NaN, Number.NaN, Number.NaN];
      resolve({ ms, rssKiB, cpuSeconds: user + system, stdout: Buffer.concat(out) });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sseredact-history-'));
const cacheHome = mkdtempSync(join(tmpdir(), 'sseredact-history-cache-'));
try {
  const started = performance.now();
  spawnSync('git', ['init', '-q', '-b', 'main', dir], { env: GIT_ENV });
  const { text, planted } = historyStream();
  const imported = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: text, env: GIT_ENV, maxBuffer: 1 << 30 });
  if (imported.status !== 0) throw new Error(`git fast-import: ${imported.stderr}`);
  spawnSync('git', ['checkout', '-q', 'main'], { cwd: dir, env: GIT_ENV });
  const patchBytes = spawnSync('git', ['log', '-p', '-U0', '--all', '--format=%H'], { cwd: dir, env: GIT_ENV, maxBuffer: 1 << 30 }).stdout.length;
  console.log(
    `history: ${commits} commits, ${linesPerCommit} lines each over ${fileCount} files, ${planted} secrets planted then removed; patches ${(patchBytes / 1e6).toFixed(1)} MB; built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const env = { ...GIT_ENV, XDG_CACHE_HOME: cacheHome };
  const rows = [['git log -p -U0 --all (floor)', ['git', 'log', '-p', '-U0', '--all'], null]];
  for (const engine of engines)
    rows.push([`sseredact --engine ${engine} scan --git`, [process.execPath, BIN, 'scan', '--git', '--json', '--no-config', '--engine', engine], engine]);
  console.log('| command | wall s (median) | CPU s (median) | commits/s (wall) | MB/s of patches (wall) | peak RSS MB | findings |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [label, argv, engine] of rows) {
    if (engine !== null) await timed(argv, dir, env); // warms the rule cache
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await timed(argv, dir, env));
    const ms = median(results.map((result) => result.ms));
    const rss = Math.max(...results.map((result) => result.rssKiB)) / 1024;
    const findings =
      engine === null
        ? ''
        : String(
            results[0].stdout
              .toString('utf8')
              .split('\n')
              .filter((line) => line.includes('"type":"finding"')).length,
          );
    const seconds = ms / 1000;
    const cpu = median(results.map((result) => result.cpuSeconds));
    console.log(
      `| ${label} | ${seconds.toFixed(2)} | ${cpu.toFixed(2)} | ${Math.round(commits / seconds)} | ${(patchBytes / 1e6 / seconds).toFixed(1)} | ${rss.toFixed(0)} | ${findings} |`,
    );
  }
} finally {
  if (flags.has('keep')) console.log(`repository kept: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
  rmSync(cacheHome, { recursive: true, force: true });
}
