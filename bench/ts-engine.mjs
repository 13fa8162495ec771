#!/usr/bin/env node
/**
 * The ts engine alone (no confirmer, no redactor, no pipe): how fast its scanner runs over a file,
 * how often its DFA is idle (no thread in flight, the bytes a literal prefilter could skip), how
 * many candidates it reports, and what its lazy DFA built. Needs `npm run build` (imports dist/).
 *
 *   node bench/ts-engine.mjs FILE [--dist DIR] [--chunk 65536] [--runs 3] [--rules 10] [--cache DIR]
 *
 * `--dist` scans with another build (e.g. a checkout of main) for a side-by-side figure. The
 * built-in secrets pack is compiled without a cache, or with `--cache DIR` with that cache
 * directory: the first run then reads the DFA's states a run before it kept there (and keeps its
 * own at its end), as the CLI's runs do. Prints MiB/s of the best run, CPU seconds of
 * the process and MiB per CPU second of the scan (first run, which builds the DFA, and best), idle bytes as a share of the input, candidates per MiB, DFA states and flushes.
 * `--rules N` also prints the N rules that make the most candidates and the N whose threads are
 * in flight on the most bytes (what keeps the DFA busy: the rules a prefilter would have to skip).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseFlags } from './corpus.mjs';

const [file, ...rest] = process.argv.slice(2);
const flags = parseFlags(rest);
if (file === undefined || file.startsWith('--')) {
  process.stderr.write('usage: node bench/ts-engine.mjs FILE [--dist DIR] [--chunk 65536] [--runs 3] [--rules 10] [--cache DIR]\n');
  process.exit(2);
}
const dist = pathToFileURL(`${resolve(String(flags.get('dist') ?? new URL('../dist', import.meta.url).pathname))}/`);
const chunkBytes = Number(flags.get('chunk') ?? 65536);
const runs = Number(flags.get('runs') ?? 3);
const topRules = Number(flags.get('rules') ?? 0);
const cacheDirectory = flags.get('cache');
const MiB = 1024 * 1024;

const { compileRule } = await import(new URL('rules/compile.js', dist).href);
const { loadPack } = await import(new URL('rules/packs/index.js', dist).href);
const { createTsEngine } = await import(new URL('engine/ts/engine.js', dist).href);
const { FLAG_BITS, IDLE, SENTINEL } = await import(new URL('engine/ts/dfa.js', dist).href);

const rules = [];
for (const spec of loadPack('secrets')) {
  try {
    const rule = compileRule(spec, rules.length);
    if (rule.literals === null) rules.push(rule);
  } catch {
    // A rule the compiler refuses is left out, as the CLI leaves it out with a warning.
  }
}
const compileStarted = performance.now();
const cacheNotes = [];
const engine = createTsEngine(cacheDirectory === undefined ? {} : { cacheDirectory: String(cacheDirectory), log: (message) => cacheNotes.push(message) });
const database = engine.compile(rules);
const compileMs = performance.now() - compileStarted;
const input = readFileSync(file);

let candidates = 0;
const candidatesByRule = new Map();
const onMatch = (match) => {
  candidates++;
  candidatesByRule.set(match.rule, (candidatesByRule.get(match.rule) ?? 0) + 1);
};
let bestMs = Infinity;
let bestCpuMs = Infinity;
let firstCpuMs = 0;
for (let run = 0; run < runs; run++) {
  const scanner = database.open();
  candidates = 0;
  candidatesByRule.clear();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let offset = 0; offset < input.length; offset += chunkBytes) scanner.write(input.subarray(offset, offset + chunkBytes), onMatch);
  scanner.end(onMatch);
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (run === 0) firstCpuMs = cpuMs;
  bestCpuMs = Math.min(bestCpuMs, cpuMs);
  bestMs = Math.min(bestMs, performance.now() - started);
}

// The share of bytes after which nothing is in flight, walked along the built table (private to
// the database: a figure for this bench, not an interface).
const dfa = database.dfa;
// With --rules, also the bytes each rule has a thread in flight on (the rules of each state's
// positions, counted once per state and byte: a state's rules are listed once, when first entered).
const positionRule = dfa.automaton.positionRule;
const busyBytes = new Float64Array(rules.length);
const rulesOfState = new Map();
let state = 0;
let idle = 0;
for (let i = 0; i < input.length; i++) {
  let entry = dfa.table[(state << dfa.rowShift) | dfa.byteClass[input[i]]];
  if (entry >> FLAG_BITS === SENTINEL) {
    const next = dfa.step(state, input[i]);
    entry = (next << FLAG_BITS) | dfa.flags[next];
  }
  state = entry >> FLAG_BITS;
  if ((entry & 3) === IDLE) idle++;
  else if (topRules > 0) {
    const key = `${dfa.generation}:${state}`;
    let inFlight = rulesOfState.get(key);
    if (inFlight === undefined) {
      inFlight = [...new Set(Array.from(dfa.positionsOf(state), (p) => positionRule[p]))];
      rulesOfState.set(key, inFlight);
    }
    for (const rule of inFlight) busyBytes[rule]++;
  }
}

const usage = process.resourceUsage();
const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
const row = {
  dist: dist.pathname,
  file,
  MiB: (input.length / MiB).toFixed(1),
  compileMs: compileMs.toFixed(0),
  'scan MiB/s': (input.length / MiB / (bestMs / 1000)).toFixed(1),
  'scan MiB per CPU s, first run (builds the DFA, or reads it with --cache)': (input.length / MiB / (firstCpuMs / 1000)).toFixed(1),
  'scan MiB per CPU s, best run': (input.length / MiB / (bestCpuMs / 1000)).toFixed(1),
  'idle %': ((100 * idle) / input.length).toFixed(1),
  'candidates/MiB': (candidates / (input.length / MiB)).toFixed(0),
  states: dfa.stateCount,
  // Reading kept states starts a generation too.
  flushes: dfa.generation - cacheNotes.filter((note) => note.endsWith('states from the cache')).length,
  'cache MiB': (dfa.cacheBytes / MiB).toFixed(1),
  'process CPU s': cpuSeconds.toFixed(2),
  ...(cacheDirectory === undefined ? {} : { cache: cacheNotes.join('; ') }),
  'peak RSS MB': (usage.maxRSS / 1024).toFixed(0),
};
process.stdout.write(
  `${Object.entries(row)
    .map(([key, value]) => `${key}: ${value}`)
    .join('\n')}\n`,
);
if (topRules > 0) {
  const top = (values) => [...values].sort((a, b) => b[1] - a[1]).slice(0, topRules);
  process.stdout.write(`\nmost candidates (of ${candidates}):\n`);
  for (const [rule, count] of top(candidatesByRule)) process.stdout.write(`  ${String(count).padStart(8)}  ${rules[rule].id}\n`);
  process.stdout.write('\nin flight on most bytes:\n');
  for (const [rule, bytes] of top(busyBytes.entries())) process.stdout.write(`  ${((100 * bytes) / input.length).toFixed(1).padStart(5)}%  ${rules[rule].id}\n`);
}
