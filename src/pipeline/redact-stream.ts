/**
 * Wires one stream: source chunks -> stream redactor (opened by ./open-stream.ts) -> sinks. The
 * redacted bytes go to the output sink as soon as they are safe, and the records of the findings
 * they replace right after them; a slow sink slows the reads (each write is awaited).
 *
 * Fail closed (DESIGN §3.5): if the redactor throws, nothing more is written and the error goes
 * up; bytes it has not released are never written.
 */
import { type FindingTally, findingRecord } from '../sinks/ndjson.js';
import type { ByteSink } from '../sinks/output.js';
import type { Source } from '../sources/input.js';
import type { LocatedFinding } from '../types.js';
import type { StreamOpener } from './open-stream.js';

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
export async function redactSource(source: Source, openStream: StreamOpener, sinks: StreamSinks): Promise<void> {
  const { output, records, tally } = sinks;
  const pending: string[] = [];
  const redactor =
    records || sinks.onLocated
      ? openStream({
          name: source.name,
          locate: true,
          onFinding: (finding, context) => {
            tally.add(finding);
            sinks.onLocated?.(finding, source.name);
            if (records)
              pending.push(findingRecord(finding, source.name, sinks.showSecret, context ? { event: context.event, eventOffset: context.eventOffset, path: context.path } : {}));
          },
        })
      : openStream({ name: source.name, locate: false, onFinding: (finding) => tally.add(finding) });
  const writeOut = async (bytes: Uint8Array): Promise<void> => {
    if (output) await output.write(bytes);
    if (records && pending.length > 0) await records.write(pending.splice(0).join(''));
  };
  tally.streams++;
  for await (const chunk of source.chunks) {
    tally.bytes += chunk.length;
    await writeOut(redactor.write(chunk));
    if (isOutputClosed(sinks)) return;
  }
  await writeOut(redactor.end());
}
