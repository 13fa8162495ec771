/**
 * A pack prebuilt at build time: the rules loadPack (./index.ts) makes of a pack's ~300 JSON files,
 * read, validated and given their token boundaries, in one file that `npm run build` writes
 * beside the compiled loader (dist/rules/packs/<pack>.prebuilt.json, by scripts/prebuild-packs.mjs).
 * A start parses that one file instead (~10 ms less on the secrets pack). The JSON files stay the
 * truth: the prebuilt file is generated from them, never edited, and it records each pack file's
 * name, size and modification time so that a checkout whose pack files changed after the build
 * reads those files instead; so does one where tsc ran after the build (the loader's code may
 * make other rules of the same files).
 *
 * Lines of JSON: the first holds the files and the specs without what only documents them
 * (`format`, `examples`: half of the bytes, and most of the parse: 11 ms of a start where the rest
 * takes 2); then one line per spec with those fields, parsed when a spec's field is first read
 * (a vectorscan start checks its cached database against a sample of examples; SARIF, tests and
 * `rules` read the rest).
 *
 *     {"files":[["age.json",1043,1764698400000.5],...],"specs":[LoadedRuleSpec, ...]}
 *     {"format":"...","examples":{"match":[...],"noMatch":[...]}}
 *     ...
 */
import { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type { LoadedRuleSpec } from '../load/schema.js';

/** A pack file as the build saw it: name in its pack directory, size in bytes, mtime in ms. */
type PackFileStamp = readonly [name: string, size: number, mtimeMs: number];

/** A spec's fields that only document it: on a line of their own (see the module's doc). */
type SpecDocs = Pick<LoadedRuleSpec, 'format' | 'examples'>;

interface PrebuiltHead {
  readonly files: readonly PackFileStamp[];
  readonly specs: LoadedRuleSpec[];
}

const NEWLINE = 0x0a;

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
  const specs = load();
  const head: PrebuiltHead = { files, specs: specs.map(({ format: _format, examples: _examples, ...rest }) => rest) };
  const docs = specs.map(({ format, examples }): SpecDocs => ({ ...(format === undefined ? {} : { format }), ...(examples === undefined ? {} : { examples }) }));
  // JSON.stringify escapes every newline inside a string: each value is one line.
  writeFileSync(`${file}.tmp`, `${[head, ...docs].map((value) => JSON.stringify(value)).join('\n')}\n`);
  renameSync(`${file}.tmp`, file);
}

/** What a checkout's prebuilt file must be as fresh as: its pack directory and the loader tsc wrote. */
export interface PackSources {
  readonly dir: string;
  readonly loaderFile: string;
}

/**
 * The specs of the prebuilt file `file`, or null when there is none, it is unreadable or not of
 * this layout (a line of docs per spec), or (given `sources`, in a checkout) a file of the pack
 * directory was added, removed or changed since the build, or the loader is newer than the
 * prebuilt file: the caller then reads the pack's files. With `sources` null (an installed
 * package, whose files are the ones its build read and wrote) only the one file is read.
 */
export function readPrebuiltPack(file: string, sources: PackSources | null): LoadedRuleSpec[] | null {
  let head: PrebuiltHead;
  let docLines: Buffer;
  let docStarts: number[];
  try {
    const bytes = readFileSync(file);
    const headEnd = bytes.indexOf(NEWLINE);
    if (headEnd < 0) return null;
    head = JSON.parse(bytes.toString('utf8', 0, headEnd)) as PrebuiltHead;
    if (!Array.isArray(head.specs)) return null;
    // Not copied out (a millisecond): the head's bytes stay as long as the docs'.
    docLines = bytes.subarray(headEnd + 1);
    if (docLines.length > 0 && docLines.at(-1) !== NEWLINE) return null; // cut short
    docStarts = lineStarts(docLines);
    if (docStarts.length !== head.specs.length + 1) return null;
    if (sources !== null) {
      if (statSync(sources.loaderFile).mtimeMs > statSync(file).mtimeMs) return null;
      if (!sameStamps(head.files, stampsOf(sources.dir, packFiles(sources.dir)))) return null;
    }
  } catch {
    return null;
  }
  const parsed: Array<SpecDocs | undefined> = [];
  return head.specs.map((spec, index) => {
    docsOfSpec.set(spec, () => {
      parsed[index] ??= JSON.parse(docLines.toString('utf8', docStarts[index], docStarts[index + 1]! - 1)) as SpecDocs;
      return parsed[index];
    });
    return Object.defineProperties(spec, DOC_GETTERS);
  });
}

/** Where each line of `text` (each ending in a newline) starts, and its end: one more than the lines. */
function lineStarts(text: Buffer): number[] {
  const starts = [0];
  for (let end = text.indexOf(NEWLINE); end >= 0; end = text.indexOf(NEWLINE, end + 1)) starts.push(end + 1);
  return starts;
}

/** Per spec of a prebuilt file, what gives its docs (parsing its line the first time). */
const docsOfSpec = new WeakMap<LoadedRuleSpec, () => SpecDocs>();

/**
 * The getters of a prebuilt spec's `format` and `examples`: one pair for all specs, which keeps
 * their objects' shapes shared (a pair of closures per spec cost 8 ms a start, against one).
 */
const DOC_GETTERS: PropertyDescriptorMap = {
  format: {
    get(this: LoadedRuleSpec) {
      return docsOfSpec.get(this)?.().format;
    },
    enumerable: true,
  },
  examples: {
    get(this: LoadedRuleSpec) {
      return docsOfSpec.get(this)?.().examples;
    },
    enumerable: true,
  },
};
