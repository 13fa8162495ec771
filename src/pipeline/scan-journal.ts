/**
 * The journal of a resumable scan (`scan --resume FILE`): what each finished unit of a scan (a file
 * of a tree, a file patch of a commit) found, appended as it finishes, so that a killed scan goes
 * on where it stopped. The report is not kept: a resumed run reports every unit again, in its
 * order, the finished ones from the journal, so its report is byte for byte an uninterrupted one.
 *
 * The file is NDJSON, created with mode 0600 (it holds the secrets found). The first line names
 * the scan; each next line is one finished unit, in the order they finished (with worker threads,
 * not the report's order):
 *
 *     {"sseredactScanJournal":1,"scan":{"version":"0.1.0","rules":"sha256:…",
 *      "options":{"--max-match":4096,"--max-file-size":null,"cwd":"/repo"},"files":[["src/a.env",58,1764662400000.5]]}}
 *     {"unit":"0","size":58,"scan":{"binary":false,"findings":[{"rule":3,"ruleId":"aws-access-key-id",
 *      "match":{"start":4,"end":24},…,"secretBytes":{"base64":"QUtJQV…"},…}]}}
 *
 * - `scan`: what decides the findings (the caller's fields; see scan-command's journal). A run
 *   whose fields differ is refused with one line naming the first that differs.
 * - `unit`: the caller's key (a file's index in the target list, or `COMMIT:PATH`); `size`: the
 *   bytes scanned; `scan`: what scanning it gave, bytes as `{"base64":…}`.
 *
 * Each line is written with one write call as its unit finishes, so a kill loses at most the units
 * being scanned; the file is fsynced at most once a second (and at the end), so a power cut loses
 * at most that second. A torn last line (a kill mid-write, a disk full) is dropped and cut off.
 *
 * Memory: the findings of every finished unit an earlier run recorded, until the scan ends.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { SseredactError, describeSystemError } from '../errors.js';
import type { FileScan } from './scan-file.js';

const FORMAT = 1;
/** Milliseconds between fsyncs of the journal. */
const SYNC_EVERY_MS = 1000;

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * What identifies a scan, field by field: a string or number compared whole, a record key by key,
 * an array element by element (an array element that is itself an array is keyed by its first item,
 * such as a file's path).
 */
export type ScanIdentity = Readonly<Record<string, JsonValue>>;

/** A unit's scan and the bytes it scanned. */
export type FinishedUnit = FileScan & { readonly size: number };

export interface ScanJournal {
  readonly path: string;
  /** How many units an earlier run finished. */
  readonly resumed: number;
  /** What an earlier run recorded for `unit`, if it finished it. */
  finished(unit: string): FinishedUnit | undefined;
  /** Appends `unit`'s scan. @throws SseredactError('output') when the journal cannot be written. */
  record(unit: string, scanned: FinishedUnit): void;
  /** The scan ended and its report is written: the journal is removed. */
  complete(): void;
  /** The scan stopped before its end: the journal is synced and kept for the next `--resume`. */
  close(): void;
}

interface Header {
  readonly sseredactScanJournal: number;
  readonly scan: ScanIdentity;
}

interface Entry {
  readonly unit: string;
  readonly size: number;
  readonly scan: FileScan;
}

function journalError(path: string, why: string): SseredactError {
  return new SseredactError('usage', `scan --resume ${path}: ${why}`);
}

/** JSON with bytes as `{"base64":…}` (a Buffer would otherwise be written as its toJSON()). */
function stringify(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, item: unknown) {
    const original = this[key];
    return original instanceof Uint8Array ? { base64: Buffer.from(original.buffer, original.byteOffset, original.length).toString('base64') } : item;
  });
}

function parse(line: string): unknown {
  return JSON.parse(line, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null && 'base64' in item && Object.keys(item).length === 1) return new Uint8Array(Buffer.from(String(item.base64), 'base64'));
    return item;
  });
}

const show = (value: JsonValue | undefined): string => (value === undefined ? 'none' : JSON.stringify(value));

/** What differs between two values of the field `name`, in a few words, or null. */
function difference(name: string, saved: JsonValue | undefined, current: JsonValue | undefined): string | null {
  if (JSON.stringify(saved) === JSON.stringify(current)) return null;
  if (Array.isArray(saved) && Array.isArray(current)) {
    const keyOf = (item: JsonValue): string => (Array.isArray(item) ? String(item[0]) : String(item));
    const savedByKey = new Map(saved.map((item: JsonValue) => [keyOf(item), item]));
    for (const item of current as readonly JsonValue[]) {
      const old = savedByKey.get(keyOf(item));
      if (old === undefined) return `${name} differ: ${keyOf(item)} is new`;
      // A keyed item is shown without its key: `src/a.env changed ([58,1764662400000] then, [60,1764662500000] now)`.
      const rest = (value: JsonValue): JsonValue => (Array.isArray(value) ? value.slice(1) : value);
      if (JSON.stringify(old) !== JSON.stringify(item)) return `${name} differ: ${keyOf(item)} changed (${show(rest(old))} then, ${show(rest(item))} now)`;
      savedByKey.delete(keyOf(item));
    }
    const [gone] = savedByKey.keys();
    return gone === undefined ? `${name} differ: the same, in another order` : `${name} differ: ${gone} is gone`;
  }
  const isRecord = (value: JsonValue | undefined): value is { readonly [key: string]: JsonValue } => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isRecord(saved) && isRecord(current)) {
    for (const key of new Set([...Object.keys(saved), ...Object.keys(current)])) {
      if (JSON.stringify(saved[key]) !== JSON.stringify(current[key])) return `${name} differ: ${key} (${show(saved[key])} then, ${show(current[key])} now)`;
    }
  }
  return typeof saved === 'string' && typeof current === 'string' && saved.startsWith('sha256:') ? `${name} differ` : `${name} differ (${show(saved)} then, ${show(current)} now)`;
}

/** The first field of `current` that differs from the journal's, in a few words, or null. */
function identityDifference(saved: ScanIdentity, current: ScanIdentity): string | null {
  for (const name of new Set([...Object.keys(current), ...Object.keys(saved)])) {
    const why = difference(name, saved[name], current[name]);
    if (why !== null) return why;
  }
  return null;
}

/** The journal's lines that are whole, and the bytes they take (a torn last line excluded). */
function wholeLines(text: string): { lines: string[]; length: number } {
  const end = text.lastIndexOf('\n') + 1;
  return { lines: text.slice(0, end).split('\n').slice(0, -1), length: Buffer.byteLength(text.slice(0, end)) };
}

/**
 * Opens the journal at `path` for the scan `identity`: a new one when there is none (or it is
 * empty), else the one an earlier run of the same scan left, its torn last line cut off.
 * @throws SseredactError('usage') when the file is not a journal, or one of another scan (the
 * message names the first field that differs); SseredactError('output') when it cannot be written.
 */
export function openScanJournal(path: string, identity: ScanIdentity): ScanJournal {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw journalError(path, `cannot read: ${describeSystemError(error)}`);
  }
  const { lines, length } = wholeLines(text);
  const units = new Map<string, FinishedUnit>();
  if (lines.length > 0) {
    let header: Header;
    try {
      header = parse(lines[0]!) as Header;
    } catch {
      throw journalError(path, 'not a scan journal (not JSON)');
    }
    if (typeof header !== 'object' || header === null || header.sseredactScanJournal !== FORMAT || typeof header.scan !== 'object')
      throw journalError(path, `not a scan journal of format ${FORMAT}`);
    const why = identityDifference(header.scan, identity);
    if (why !== null) throw journalError(path, `the journal is of another scan: ${why}`);
    for (const [index, line] of lines.slice(1).entries()) {
      let entry: Entry;
      try {
        entry = parse(line) as Entry;
      } catch {
        throw journalError(path, `line ${index + 2} is not JSON: the journal is damaged; remove it to scan again from the start`);
      }
      units.set(entry.unit, { ...entry.scan, size: entry.size });
    }
  }
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o600);
    ftruncateSync(fd, length);
  } catch (error) {
    throw new SseredactError('output', `cannot write ${path}: ${describeSystemError(error)}`, { cause: error });
  }
  let syncedAt = Date.now();
  const append = (value: unknown): void => {
    try {
      writeSync(fd, `${stringify(value)}\n`);
      if (Date.now() - syncedAt >= SYNC_EVERY_MS) {
        fsyncSync(fd);
        syncedAt = Date.now();
      }
    } catch (error) {
      throw new SseredactError('output', `cannot write ${path}: ${describeSystemError(error)}`, { cause: error });
    }
  };
  if (lines.length === 0) {
    append({ sseredactScanJournal: FORMAT, scan: identity } satisfies Header);
    fsyncSync(fd);
  }
  return {
    path,
    resumed: units.size,
    finished: (unit) => units.get(unit),
    record(unit, scanned) {
      const { size, ...scan } = scanned;
      append({ unit, size, scan } satisfies Entry);
    },
    complete() {
      closeSync(fd);
      unlinkSync(path);
    },
    close() {
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
