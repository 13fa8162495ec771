/**
 * Wires one stream: source chunks -> stream redactor (opened by ./open-stream.ts) -> sinks. The
 * redacted bytes go to the output sink as soon as they are safe, and the records of the findings
 * they replace right after them; a slow sink slows the reads (each write is awaited).
 *
 * Fail closed (DESIGN §3.5): if the redactor throws, nothing more is written and the error goes
 * up; bytes it has not released are never written.
 *
 * Checkpoints (long file jobs, src/cli/file-job.ts): at intervals the pump cuts a chunk after its
 * last newline and, when the redactor is at a clean point there (StreamRedactor.isAtCleanPoint),
 * hands the position to a saver once everything before it is written. A run resumed from that
 * position opens a new redactor on the rest of the input and places its findings from there, so its
 * output and records continue the interrupted run's byte for byte.
 */

import { type FindingTally, findingRecord } from '../sinks/ndjson.js';
import type { ByteSink } from '../sinks/output.js';
import { type Source, forEachChunk } from '../sources/input.js';
import type { LocatedFinding } from '../types.js';
import type { StreamOpener } from './open-stream.js';

/** A point of the input where a stream may be cut and resumed: a line start. */
export interface StreamPosition {
  /** Input bytes before it. */
  readonly offset: number;
  /** Newlines before it. */
  readonly lines: number;
}

/** Where a stream resumes, and how often it offers checkpoints. */
export interface StreamCheckpoints {
  /** Where the source's first chunk is in the input, when the run resumes; absent for a new run. */
  readonly resumeFrom?: StreamPosition;
  /** Input bytes between checkpoints, at least. */
  readonly every: number;
  /** Called at a clean point, once the output and records of every byte before it are written. */
  save(position: StreamPosition): Promise<void>;
}

/** Where a stream's output goes, and the run's totals it adds to. */
export interface StreamSinks {
  /** Redacted bytes; null discards them (`--json`). */
  readonly output: ByteSink | null;
  /** NDJSON finding records (./sinks/ndjson.ts); null writes none (and findings are not located). */
  readonly records: ByteSink | null;
  /** Records carry the secret itself (`--show-secret`). */
  readonly showSecret: boolean;
  /** The run's totals: this stream's bytes and findings are added. */
  readonly tally: FindingTally;
  /** Told of each finding with its place, as it is redacted (`--github` annotations). */
  readonly onLocated?: (finding: LocatedFinding, stream: string) => void;
}

/** True once a reader of the run's output has gone away: the run stops quietly (EPIPE, `| head`). */
export function isOutputClosed(sinks: StreamSinks): boolean {
  return (sinks.output?.isClosed ?? false) || (sinks.records?.isClosed ?? false);
}

/**
 * Pumps `source` through a redactor from `openStream` into `sinks`. Resolves when the source has
 * ended (or a reader went away: see {@link isOutputClosed}); throws what the source, the redactor
 * or a sink throws.
 */
export async function redactSource(source: Source, openStream: StreamOpener, sinks: StreamSinks, checkpoints?: StreamCheckpoints): Promise<void> {
  const { output, records, tally } = sinks;
  const pending: string[] = [];
  const from = checkpoints?.resumeFrom;
  // A resumed stream's redactor counts from the cut, a line start: only offsets and lines move.
  const place = (finding: LocatedFinding): LocatedFinding =>
    from === undefined ? finding : { ...finding, secret: { start: finding.secret.start + from.offset, end: finding.secret.end + from.offset }, line: finding.line + from.lines };
  const redactor =
    records || sinks.onLocated
      ? openStream({
          name: source.name,
          lendsOutput: true,
          locate: true,
          onFinding: (finding, context) => {
            tally.add(finding);
            sinks.onLocated?.(place(finding), source.name);
            if (records)
              pending.push(
                findingRecord(place(finding), source.name, sinks.showSecret, context ? { event: context.event, eventOffset: context.eventOffset, path: context.path } : {}),
              );
          },
        })
      : openStream({ name: source.name, lendsOutput: true, locate: false, onFinding: (finding) => tally.add(finding) });
  // The redactor lends its output until its next call: each is written (the sink resolves) first.
  // A write done at once makes no promise (ByteSink.write): a line-rate stream's chunk then costs
  // none, and the next chunk is taken in the same turn (forEachChunk).
  const writeRecords = (): Promise<void> | undefined => (records && pending.length > 0 ? records.write(pending.splice(0).join('')) : undefined);
  const writeOut = (bytes: Uint8Array): Promise<void> | undefined => {
    const written = output?.write(bytes);
    if (!records) return written;
    return written === undefined ? writeRecords() : written.then(writeRecords);
  };
  const feed = (bytes: Uint8Array, isFollowed = false): Promise<void> | undefined => {
    tally.bytes += bytes.length;
    return writeOut(redactor.write(bytes, isFollowed));
  };
  const isReaderHere = (): boolean => !isOutputClosed(sinks);
  // The resumed run's tally already counts this stream. A new run's first checkpoint is its start,
  // so that a run killed before the next one leaves files a resumed run knows.
  if (from === undefined) {
    tally.streams++;
    await checkpoints?.save({ offset: 0, lines: 0 });
  }
  if (checkpoints === undefined) {
    await forEachChunk(source.chunks, (chunk, isFollowed) => feed(chunk, isFollowed)?.then(isReaderHere) ?? isReaderHere());
    if (isOutputClosed(sinks)) return;
  } else {
    const isAtCleanPoint = redactor.isAtCleanPoint?.bind(redactor);
    if (isAtCleanPoint === undefined) throw new Error('checkpoints need a plain stream redactor');
    let position = from ?? { offset: 0, lines: 0 };
    let due = position.offset + checkpoints.every;
    await forEachChunk(source.chunks, async (chunk) => {
      // Cut after the chunk's last newline once a checkpoint is due; if the redactor is not clean
      // there (a match in flight), the next chunk's last newline is tried.
      const cut = position.offset + chunk.length >= due ? chunk.lastIndexOf(0x0a) + 1 : 0;
      if (cut > 0) {
        const head = chunk.subarray(0, cut);
        await feed(head);
        position = { offset: position.offset + cut, lines: position.lines + countNewlines(head) };
        if (isAtCleanPoint()) {
          await checkpoints.save(position);
          due = position.offset + checkpoints.every;
        }
      }
      const rest = cut > 0 ? chunk.subarray(cut) : chunk;
      await feed(rest);
      position = { offset: position.offset + rest.length, lines: position.lines + countNewlines(rest) };
      return isReaderHere();
    });
    if (isOutputClosed(sinks)) return;
  }
  await writeOut(redactor.end());
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) count++;
  return count;
}
