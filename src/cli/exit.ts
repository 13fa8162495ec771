/** Exit statuses (DESIGN §3.5) and the one place errors become a status and a line on stderr. */
import type { ChalkInstance } from 'chalk';
import { SseredactError } from '../errors.js';

export const EXIT_OK = 0;
/** Findings in `scan` mode or with `--fail-on-match`. */
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

/**
 * Prints `error` as one line on stderr and returns the exit status it maps to; `colors` (for
 * stderr: on a terminal, unless NO_COLOR) paint its `sseredact:` red.
 */
export function reportError(error: unknown, colors?: ChalkInstance): number {
  const prefix = colors ? colors.bold.red('sseredact:') : 'sseredact:';
  if (error instanceof SseredactError && error.type !== 'internal' && error.type !== 'engine') {
    process.stderr.write(`${prefix} ${error.message}\n`);
    // Output that cannot be written fails the run like an internal failure: nothing more is written.
    return error.type === 'output' ? EXIT_INTERNAL : EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${prefix} internal error, output stopped: ${message.split('\n')[0]}\n`);
  if (process.env.SSEREDACT_DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
  return EXIT_INTERNAL;
}

/**
 * Waits until stdout and stderr have handed every queued byte to the system (a pipe may be slower
 * than we are), then exits. 'drain' is no signal for this: it fires only after a write returned
 * false, and a short last write can sit queued without that; the callback of an empty write runs
 * once every write before it is done (or failed), whatever the stream's state.
 */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map(whenFlushed));
  process.exit(code);
}

function whenFlushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed || stream.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.write(new Uint8Array(0), () => resolve());
  });
}
