/**
 * DESIGN §3.5, fail closed: when redaction fails mid-stream, the pipeline stops writing at once
 * and the error surfaces (the CLI turns it into exit 3); bytes the redactor never released are
 * never written.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, test, vi } from 'vitest';
import { EXIT_INTERNAL, EXIT_USAGE, reportError } from '../../src/cli/exit.js';
import { SseredactError } from '../../src/errors.js';
import { redactSource } from '../../src/pipeline/redact-stream.js';
import type { StreamRedactor } from '../../src/redact/redactor.js';
import { FindingTally } from '../../src/sinks/ndjson.js';
import { createByteSink } from '../../src/sinks/output.js';

async function* chunks(...parts: string[]) {
  for (const part of parts) yield Buffer.from(part);
}

function failingRedactor(failOnWrite: number): StreamRedactor {
  let writes = 0;
  return {
    heldBytes: 0,
    write(chunk) {
      if (++writes === failOnWrite) throw new Error('confirmer state corrupt');
      return chunk;
    },
    end: () => new Uint8Array(0),
    release: () => new Uint8Array(0),
    isAtCleanPoint: () => false,
  };
}

describe('fail closed', () => {
  test('a redactor failure stops output after the last released bytes', async () => {
    const out = new PassThrough();
    const written: Buffer[] = [];
    out.on('data', (data: Buffer) => written.push(data));
    const sink = createByteSink(out, { ownsStream: false });
    const sinks = { output: sink, records: null, showSecret: false, tally: new FindingTally() };
    await expect(redactSource({ name: 't', chunks: chunks('one ', 'two ', 'three ') }, () => failingRedactor(2), sinks)).rejects.toThrow('confirmer state corrupt');
    expect(Buffer.concat(written).toString()).toBe('one ');
  });

  test('internal errors map to exit 3 with one line; usage errors to exit 2', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(reportError(new Error('confirmer state corrupt\nstack...'))).toBe(EXIT_INTERNAL);
      expect(stderr).toHaveBeenLastCalledWith('sseredact: internal error, output stopped: confirmer state corrupt\n');
      expect(reportError(new SseredactError('usage', 'bad option'))).toBe(EXIT_USAGE);
      expect(stderr).toHaveBeenLastCalledWith('sseredact: bad option\n');
    } finally {
      stderr.mockRestore();
    }
  });
});
