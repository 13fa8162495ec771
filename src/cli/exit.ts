/** Exit statuses (DESIGN §3.5) and the one place errors become a status and a line on stderr. */
import { SseredactError } from '../errors.js';

export const EXIT_OK = 0;
/** Findings in `scan` mode or with `--fail-on-match`. */
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

/** Prints `error` as one line on stderr and returns the exit status it maps to. */
export function reportError(error: unknown): number {
  if (error instanceof SseredactError && error.type !== 'internal' && error.type !== 'engine') {
    process.stderr.write(`sseredact: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`sseredact: internal error, output stopped: ${message.split('\n')[0]}\n`);
  if (process.env.SSEREDACT_DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
  return EXIT_INTERNAL;
}

/** Waits for stdout and stderr to drain (a pipe may be slower than we are), then exits. */
export async function exitWhenFlushed(code: number): Promise<never> {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableLength > 0 && !stream.destroyed) {
      await new Promise<void>((resolve) => {
        stream.once('drain', resolve);
        stream.once('error', () => resolve());
        stream.once('close', () => resolve());
      });
    }
  }
  process.exit(code);
}
