/**
 * Helpers for tests that watch the real `bin/sseredact` process from outside: its memory as the
 * kernel counts it (/proc/PID/status, Linux only), and a generated input written into its stdin
 * pipe as fast as the pipe takes it, never stored whole.
 */
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** A field of /proc/PID/status in bytes (`VmRSS`: resident now, `VmHWM`: peak resident), or null once the process is gone. */
export function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Follows the peak RSS (VmHWM) of `pid` until `stop()`, polling every 20 ms: the kernel keeps the
 * peak, so a poll only has to land before the process exits; `stop()` returns the last value seen.
 */
export function watchPeakRss(pid: number): { stop(): number } {
  let peak = 0;
  const poll = (): void => {
    peak = Math.max(peak, statusBytes(pid, 'VmHWM') ?? 0);
  };
  poll();
  const timer = setInterval(poll, 20);
  return {
    stop() {
      clearInterval(timer);
      poll();
      return peak;
    },
  };
}

/**
 * Writes `block` into `stdin` again and again until `total` bytes went in (the last copy cut
 * short), waiting for 'drain' whenever the pipe is full, then ends it. Stops quietly if the reader
 * goes away (the test then sees why from the exit status).
 */
export async function writeRepeated(stdin: Writable, block: Uint8Array, total: number): Promise<void> {
  let failed = false;
  stdin.on('error', () => {
    failed = true;
  });
  for (let sent = 0; sent < total && !failed; sent += block.length) {
    const piece = total - sent >= block.length ? block : block.subarray(0, total - sent);
    if (!stdin.write(piece)) await drained(stdin);
  }
  stdin.end();
}

/** Resolves on 'drain', or when the stream closes (the reader went away). */
export function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done).off('close', done);
      resolve();
    };
    stream.on('drain', done).on('close', done);
  });
}

/** MiB as a number of bytes, and bytes as MB for messages. */
export const MiB = 1024 * 1024;
export const inMB = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** A small seeded PRNG, for kill points and the like: a failure's seed replays it. */
export { random as seededRandom } from '../../bench/random.mjs';
