/**
 * DESIGN §3.6, backpressure, on the real binary: when the reader of stdout stops reading,
 * `bin/sseredact` stops reading stdin, so the writer stalls once the pipes and the process's own
 * buffers are full (a few hundred KiB), and its RSS does not grow with what the writer offers.
 * When the reader comes back, the rest flows and every byte comes out, redacted.
 *
 * The writer offers up to {@link OFFERED} bytes in {@link SLICE}-byte writes and counts a slice as
 * taken once the kernel has it (its write callback). "Stalled" means nothing was taken for
 * {@link QUIET_POLLS} polls in a row while a write waits and output has begun (so the process is
 * past compiling its rules): a wait for quiet, not a time assertion.
 * Linux only (/proc).
 */
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { generateCorpus } from '../../bench/corpus.mjs';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { BIN, sseredact } from './cli.js';
import { MiB, drained, inMB, statusBytes } from './process.js';

const SLICE = 16 * 1024;
/** Far more than any buffer on the way: an engine that kept reading would take all of it. */
const OFFERED = 256 * MiB;
/** What may sit in pipes and buffers: stdin and stdout pipes (64 KiB each), read and write buffers, the holdback. */
const MAX_TAKEN = 2 * MiB;
/** RSS while stalled stays far below what was offered (it would hold most of it if reads went on). */
const MAX_RSS = OFFERED / 2;
const QUIET_POLLS = 20;
const POLL_MS = 100;

const ENGINES = 'error' in loadAddon() ? ['ts'] : ['ts', 'vectorscan'];

/** Whole CI-log lines with a secret every ~16 KiB, repeated to fill the offer. */
function corpusBlock(): Buffer {
  const bytes = Buffer.concat([...generateCorpus({ bytes: MiB, seed: 20260512, secretEvery: 16 * 1024 })]);
  return bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
}

/** The `index`th slice of the endless repetition of `block`. */
function sliceAt(block: Buffer, index: number): Buffer {
  const start = (index * SLICE) % block.length;
  const end = start + SLICE;
  return end <= block.length ? block.subarray(start, end) : Buffer.concat([block.subarray(start), block.subarray(0, end - block.length)]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(process.platform === 'linux').each(ENGINES)('backpressure, %s engine', (engine) => {
  test('a reader that stops reading stalls the writer; RSS stays bounded; the rest flows when it reads again', async () => {
    const block = corpusBlock();
    const child = execa(BIN, ['--engine', engine], { buffer: false, reject: false, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });
    const stdin = child.stdin!;
    const stdout = child.stdout!;
    stdout.pause(); // the reader stops reading: nothing is consumed until resume()
    let taken = 0;
    let offered = 0;
    let stopped = false;
    const writer = (async () => {
      while (!stopped && offered < OFFERED) {
        const slice = sliceAt(block, offered / SLICE);
        offered += SLICE;
        const onWritten = (error: Error | null | undefined): void => {
          if (!error) taken += SLICE;
        };
        if (!stdin.write(slice, onWritten)) await drained(stdin);
      }
      stdin.end();
    })();

    let quiet = 0;
    for (let last = -1; quiet < QUIET_POLLS && offered < OFFERED; await sleep(POLL_MS)) {
      // Quiet counts only once output has begun: before that the process may still be compiling its rules.
      quiet = taken === last && stdin.writableNeedDrain && stdout.readableLength > 0 ? quiet + 1 : 0;
      last = taken;
    }
    const rss = statusBytes(child.pid!, 'VmHWM') ?? 0;
    console.log(`${engine}: stalled after ${inMB(taken)} of ${inMB(offered)} offered, peak RSS ${inMB(rss)}`);
    expect.soft(taken, `${inMB(taken)} taken while the reader did not read`).toBeLessThanOrEqual(MAX_TAKEN);
    expect.soft(rss, `peak RSS ${inMB(rss)} with ${inMB(offered)} offered`).toBeLessThanOrEqual(MAX_RSS);

    // The reader comes back: what the writer had put in comes out whole and redacted.
    stopped = true;
    const chunks: Buffer[] = [];
    stdout.on('data', (data: Buffer) => chunks.push(data));
    stdout.resume();
    await writer;
    const result = await child;
    expect(result.exitCode).toBe(0);
    const input = Buffer.concat(Array.from({ length: offered / SLICE }, (_, index) => sliceAt(block, index)));
    const want = await sseredact(['--engine', engine], { input });
    // Compared as text so that a difference shows where it is.
    expect(Buffer.concat(chunks).toString('latin1')).toBe(Buffer.from(want.stdout as Uint8Array).toString('latin1'));
  });
});
