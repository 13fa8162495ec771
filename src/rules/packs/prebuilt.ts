/**
 * A pack prebuilt at build time: the rules loadPack (./index.ts) makes of a pack's ~300 JSON files,
 * read, validated and given their token boundaries, in one JSON file that `npm run build` writes
 * beside the compiled loader (dist/rules/packs/<pack>.prebuilt.json, by scripts/prebuild-packs.mjs).
 * A start parses that one file instead (~10 ms less on the secrets pack). The JSON files stay the
 * truth: the prebuilt file is generated from them, never edited, and it records each pack file's
 * name, size and modification time so that a checkout whose pack files changed after the build
 * reads those files instead; so does one where tsc ran after the build (the loader's code may
 * make other rules of the same files).
 *
 *     { "files": [["age.json", 1043, 1764698400000.5], ...], "specs": [LoadedRuleSpec, ...] }
 */
import { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { LoadedRuleSpec } from '../load/schema.js';

/** A pack file as the build saw it: name in its pack directory, size in bytes, mtime in ms. */
type PackFileStamp = readonly [name: string, size: number, mtimeMs: number];

interface PrebuiltPack {
  readonly files: readonly PackFileStamp[];
  readonly specs: LoadedRuleSpec[];
}

/** The JSON files of the pack directory `dir`, sorted: the order loadPack reads them in. */
export function packFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort();
}

function stampsOf(dir: string, files: readonly string[]): PackFileStamp[] {
  return files.map((file) => {
    const { size, mtimeMs } = statSync(`${dir}/${file}`);
    return [file, size, mtimeMs];
  });
}

function sameStamps(recorded: readonly PackFileStamp[], current: readonly PackFileStamp[]): boolean {
  return recorded.length === current.length && recorded.every((stamp, i) => stamp.every((field, j) => field === current[i]?.[j]));
}

/**
 * Writes the prebuilt file `file` of the pack in `dir`: `load` reads the pack's files into specs.
 * The files are stamped before they are read, so one edited during the build leaves the prebuilt
 * file stale, never wrong. Written to a temporary file and renamed: a start never reads half of it.
 */
export function writePrebuiltPack(file: string, dir: string, load: () => LoadedRuleSpec[]): void {
  const files = stampsOf(dir, packFiles(dir));
  const pack: PrebuiltPack = { files, specs: load() };
  writeFileSync(`${file}.tmp`, JSON.stringify(pack));
  renameSync(`${file}.tmp`, file);
}

/** What a checkout's prebuilt file must be as fresh as: its pack directory and the loader tsc wrote. */
export interface PackSources {
  readonly dir: string;
  readonly loaderFile: string;
}

/**
 * The specs of the prebuilt file `file`, or null when there is none, it is unreadable, or (given
 * `sources`, in a checkout) a file of the pack directory was added, removed or changed since the
 * build, or the loader is newer than the prebuilt file: the caller then reads the pack's files.
 * With `sources` null (an installed package, whose files are the ones its build read and wrote)
 * only the one file is read.
 */
export function readPrebuiltPack(file: string, sources: PackSources | null): LoadedRuleSpec[] | null {
  let pack: PrebuiltPack;
  try {
    pack = JSON.parse(readFileSync(file, 'utf8')) as PrebuiltPack;
    if (sources !== null) {
      if (statSync(sources.loaderFile).mtimeMs > statSync(file).mtimeMs) return null;
      if (!sameStamps(pack.files, stampsOf(sources.dir, packFiles(sources.dir)))) return null;
    }
  } catch {
    return null;
  }
  return Array.isArray(pack.specs) ? pack.specs : null;
}
