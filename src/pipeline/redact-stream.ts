/**
 * Wires one stream: source chunks -> stream redactor -> sink. The redactor's output goes to the
 * sink as soon as it is safe; a slow sink slows the reads (each write is awaited).
 *
 * Fail closed (DESIGN §3.5): if the redactor throws, nothing more is written and the error goes
 * up; bytes it has not released are never written.
 */
import type { ByteSink } from '../sinks/output.js';
import type { StreamRedactor } from '../redact/redactor.js';
import type { Source } from '../sources/input.js';

export interface StreamTotals {
  readonly bytes: number;
}

/**
 * Pumps `source` through `redactor` into `sink` (or discards the bytes when `sink` is null);
 * `afterChunk` runs after each chunk's output is written (records sinks flush there).
 */
export async function redactStream(
  source: Source,
  redactor: Pick<StreamRedactor, 'write' | 'end'>,
  sink: ByteSink | null,
  afterChunk: () => Promise<void> = async () => {},
): Promise<StreamTotals> {
  let bytes = 0;
  for await (const chunk of source.chunks) {
    bytes += chunk.length;
    const output = redactor.write(chunk);
    if (sink) {
      await sink.write(output);
      if (sink.isClosed) return { bytes };
    }
    await afterChunk();
  }
  const rest = redactor.end();
  if (sink) await sink.write(rest);
  await afterChunk();
  return { bytes };
}
