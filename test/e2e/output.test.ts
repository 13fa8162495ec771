/**
 * Output sinks (src/sinks/output.ts) at their failures, through the real bin/sseredact: a write
 * that fails must fail the run however the input comes, whatever the order in which Node reports
 * the failure and the end of the input. A pipe written in large pieces, which is widened; a
 * stream that queues what it is written, while the caller reuses its bytes.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, createWriteStream, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createByteSink } from '../../src/sinks/output.js';
import { AWS_KEY } from './cli.js';
import { HANG_SECONDS, shell } from './shell.js';

const scratch = mkdtempSync(join(tmpdir(), 'sseredact-output-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a records file that cannot be written (/dev/full)', () => {
  const input = join(scratch, 'one.log');
  writeFileSync(input, `key ${AWS_KEY} here\n`);
  // Each exited 0 in turn as reading changed (a named file, then a pipe): the records write failed
  // after the run had ended, and the sink heard of it only from the later 'error' event.
  test.each([
    ['a named file', `"$SSEREDACT" --records /dev/full "${input}"`],
    ['stdin from a file', `"$SSEREDACT" --records /dev/full < "${input}"`],
    ['a pipe', `cat "${input}" | timeout ${HANG_SECONDS} "$SSEREDACT" --records /dev/full`],
  ])('input from %s: exit 3, one line', async (_label, script) => {
    const result = await shell(`${script} > /dev/null`);
    expect({ status: result.statuses.at(-1), stderr: result.stderr }).toEqual({ status: 3, stderr: 'sseredact: cannot write records to /dev/full: no space left on device' });
  });
});

describe.skipIf('error' in loadAddon())('a pipe written in pieces larger than it holds', () => {
  test('is widened to 1 MiB on the first such piece, so the piece goes in while the reader is busy', async () => {
    const fifo = join(scratch, 'out');
    execFileSync('mkfifo', [fifo]);
    const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const stream = createWriteStream(fifo);
    await new Promise((resolve) => stream.once('open', resolve));
    const sink = createByteSink(stream, { ownsStream: true });
    const piece = Buffer.alloc(256 * 1024, 'x');
    const written = sink.write(piece);
    // Asking for 0 bytes changes nothing and says what the pipe holds now.
    const load = loadAddon();
    const capacity = 'addon' in load ? load.addon.widenPipe(readEnd, 0) : -1;
    const received = Buffer.alloc(piece.length);
    let total = 0;
    while (total < piece.length) {
      try {
        total += readSync(readEnd, received, total, piece.length - total, null);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 5)); // EAGAIN: not written yet
      }
    }
    await written;
    await sink.end();
    closeSync(readEnd);
    expect({ capacity, total }).toEqual({ capacity: 1024 * 1024, total: piece.length });
  });
});

describe('a sink over a stream that queues what it is written (a file write stream, a full socket)', () => {
  test('the caller may change its bytes once write resolves: the stream still writes what it was given', async () => {
    const written: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        setTimeout(() => {
          written.push(chunk.toString('latin1'));
          done();
        }, 5);
      },
    });
    const sink = createByteSink(stream, { ownsStream: true });
    // One buffer, reused for every write, as the redactor's lent output and a source's read buffers are.
    const bytes = Buffer.alloc(6);
    for (const fill of ['a', 'b', 'c']) {
      bytes.fill(fill);
      await sink.write(bytes);
    }
    await sink.end();
    expect(written.join('')).toBe('aaaaaabbbbbbcccccc');
  });
});
