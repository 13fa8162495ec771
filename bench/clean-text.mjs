/**
 * The clean-text half of bench/eval.mjs: findings per MB on real text that holds no secrets
 * (package sources, language standard libraries, documentation), the rules that fire most, and a
 * check that the ts and Vectorscan engines find exactly the same things there.
 *
 * The corpus is assembled from the machine, the same way every run: a fixed list of roots
 * (CLEAN_ROOTS), each given an equal share of the byte budget; within a root, regular text files
 * (no NUL byte, not compressed, at most MAX_FILE bytes) in the order of the SHA-256 of their path
 * relative to the root, so the sample spreads over the whole tree instead of its first letters;
 * a file is taken whole while it fits the root's share. A root that is missing is left out (and
 * reported). Every file is one stream, as `sseredact scan` reads files.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Real text nobody here wrote: this project's dependencies, Python's library, C headers, Debian docs. */
export const CLEAN_ROOTS = [join(ROOT, 'node_modules'), '/usr/lib/python3.11', '/usr/lib/python3/dist-packages', '/usr/share/doc', '/usr/include'];

/** Files larger than this are generated bundles or data more often than text someone wrote. */
const MAX_FILE = 2 * 1024 * 1024;

/** Magic numbers of compressed files (gzip, xz, bzip2, zstd, zip): no NUL needed to be binary. */
const COMPRESSED = [
  [0x1f, 0x8b],
  [0xfd, 0x37, 0x7a, 0x58],
  [0x42, 0x5a, 0x68],
  [0x28, 0xb5, 0x2f, 0xfd],
  [0x50, 0x4b, 0x03, 0x04],
];

function isText(bytes) {
  if (COMPRESSED.some((magic) => magic.every((byte, i) => bytes[i] === byte))) return false;
  return !bytes.includes(0);
}

/** Every regular file under `dir` (symlinks not followed), as paths. */
function walk(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

const orderKey = (root, path) => createHash('sha256').update(relative(root, path)).digest('hex');

/**
 * The corpus for `budget` bytes: `{ files: [{ path, bytes }], bytes, roots: [{ root, files, bytes }], missing }`.
 * Deterministic for a given machine state (the same installed packages give the same files).
 */
export function assembleCleanCorpus(budget) {
  const present = CLEAN_ROOTS.filter((root) => {
    try {
      return lstatSync(root).isDirectory();
    } catch {
      return false;
    }
  });
  const missing = CLEAN_ROOTS.filter((root) => !present.includes(root));
  const share = Math.floor(budget / Math.max(1, present.length));
  const files = [];
  const roots = [];
  for (const root of present) {
    const candidates = walk(root)
      .map((path) => ({ path, key: orderKey(root, path) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let taken = 0;
    let count = 0;
    for (const { path } of candidates) {
      if (taken >= share) break;
      const size = lstatSync(path).size;
      if (size === 0 || size > MAX_FILE || taken + size > share) continue;
      const bytes = readFileSync(path);
      if (!isText(bytes)) continue;
      files.push({ path, bytes });
      taken += size;
      count++;
    }
    roots.push({ root, files: count, bytes: taken });
  }
  return { files, bytes: roots.reduce((sum, r) => sum + r.bytes, 0), roots, missing };
}

/** The line around a finding with the secret masked: its first 2 bytes, then `…(N)`. */
export function maskedLine(bytes, start, end) {
  let lineStart = start;
  while (lineStart > 0 && bytes[lineStart - 1] !== 0x0a && start - lineStart < 60) lineStart--;
  let lineEnd = end;
  while (lineEnd < bytes.length && bytes[lineEnd] !== 0x0a && bytes[lineEnd] !== 0x0d && lineEnd - end < 40) lineEnd++;
  const text = (from, to) =>
    bytes
      .subarray(from, to)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '?');
  const secret = text(start, end);
  return `${text(lineStart, start)}${secret.slice(0, 2)}…(${end - start})${text(end, lineEnd)}`.trim();
}

/**
 * Scans the corpus with every compiled set in `engines` ({ name: compiled }), each file one
 * stream. Returns the first engine's findings per file and the files where engines disagree.
 */
export function scanCleanCorpus(corpus, engines, scan) {
  const names = Object.keys(engines);
  const findings = [];
  const disagreements = [];
  for (const { path, bytes } of corpus.files) {
    const key = (f) => `${f.rule}@${f.start}-${f.end}`;
    const perEngine = names.map((name) => scan(bytes, { compiled: engines[name] }).map((f) => ({ rule: f.rule, start: f.start, end: f.end })));
    const reference = perEngine[0].map(key).join(',');
    perEngine.forEach((list, i) => {
      if (i > 0 && list.map(key).join(',') !== reference) disagreements.push({ path, engine: names[i], [names[0]]: reference, [names[i]]: list.map(key).join(',') });
    });
    for (const f of perEngine[0]) findings.push({ ...f, path, example: maskedLine(bytes, f.start, f.end) });
  }
  return { findings, disagreements };
}

/** Findings per rule, most first: [{ rule, count, examples: [path: masked line] }]. */
export function topRules(findings, examplesPerRule = 3) {
  const byRule = new Map();
  for (const f of findings) {
    if (!byRule.has(f.rule)) byRule.set(f.rule, []);
    byRule.get(f.rule).push(f);
  }
  return [...byRule.entries()]
    .map(([rule, list]) => ({ rule, count: list.length, examples: list.slice(0, examplesPerRule).map((f) => `${f.path}: ${f.example}`) }))
    .sort((a, b) => b.count - a.count || (a.rule < b.rule ? -1 : 1));
}
