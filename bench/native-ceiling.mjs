#!/usr/bin/env node
/**
 * Driver for bench/native-ceiling.c: prints a rule set's Vectorscan expressions exactly as the
 * vectorscan engine compiles them, builds the C program (cc ... -lhs, into the OS temp dir), runs
 * it on INPUT, and, with --engine, streams the same file through the engine's scanner in Node for
 * the ratio. Needs `npm run build` (it imports dist/) and libvectorscan-dev.
 *
 *     node bench/native-ceiling.mjs INPUT [--rules FILE] [--repeat N] [--som] [--engine]
 *
 * Without --rules it uses the built-in secrets pack. --som compiles both with start-of-match
 * tracking (the engine's `firstTreatment: 'som'`); by default both track ends only, as the engine
 * does. Prints the C program's key=value line, and
 * with --engine a second line `engine mb_per_s=... ratio=...` (engine / ceiling).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enginePatterns } from './engine-patterns.mjs';

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const flag = (name) => {
  const at = args.indexOf(name);
  if (at < 0) return false;
  args.splice(at, 1);
  return true;
};
const rulesFile = option('--rules');
const repeat = Number(option('--repeat') ?? '3');
const withEngine = flag('--engine');
const som = flag('--som');
const input = args[0];
if (!input || args.length > 1) {
  console.error('usage: node bench/native-ceiling.mjs INPUT [--rules FILE] [--repeat N] [--som] [--engine]');
  process.exit(2);
}

const dist = new URL('../dist/', import.meta.url);
const specs = rulesFile ? (await import(new URL('rules/load/file.js', dist))).loadRuleFile(rulesFile) : undefined;
const { database, expressions, runtime } = await enginePatterns(specs, { firstTreatment: som ? 'som' : 'end' });

const work = join(tmpdir(), 'sseredact-native-ceiling');
mkdirSync(work, { recursive: true });
const source = fileURLToPath(new URL('native-ceiling.c', import.meta.url));
const binary = join(work, 'native-ceiling');
if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
  execFileSync('cc', ['-O2', '-o', binary, source, '-lhs'], { stdio: 'inherit' });
}
const patterns = join(work, 'patterns.txt');
writeFileSync(patterns, `${expressions.join('\n')}\n`);
const ceilingLine = execFileSync(binary, [patterns, input, ...(som ? ['--som'] : []), '--repeat', String(repeat), ...(runtime === 'hs' ? [] : ['--runtime', runtime])], {
  encoding: 'utf8',
}).trim();
console.log(ceilingLine);

if (withEngine) {
  const buffer = new Uint8Array(256 * 1024);
  let best = Infinity;
  let bytes = 0;
  let matches = 0;
  for (let pass = 0; pass < repeat; pass++) {
    const scanner = database.open();
    const fd = openSync(input, 'r');
    matches = 0;
    bytes = 0;
    const onMatch = () => {
      matches++;
    };
    const start = performance.now();
    for (let got = readSync(fd, buffer); got > 0; got = readSync(fd, buffer)) {
      scanner.write(buffer.subarray(0, got), onMatch);
      bytes += got;
    }
    scanner.end(onMatch);
    best = Math.min(best, (performance.now() - start) / 1000);
    closeSync(fd);
  }
  const mbPerSecond = bytes / best / 1e6;
  const ceiling = Number(/mb_per_s=([\d.]+)/.exec(ceilingLine)?.[1]);
  console.log(`engine mb_per_s=${mbPerSecond.toFixed(1)} spans=${matches} ratio=${(mbPerSecond / ceiling).toFixed(3)}`);
}
