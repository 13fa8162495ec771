/** The terminal: whether the text a person reads is coloured, and progress while a scan runs. */
import type { ChalkInstance } from 'chalk';
import type { Ora } from 'ora';

/** NO_COLOR set and not empty (no-color.org) turns colour off, FORCE_COLOR or not, as the man page promises. */
function isNoColor(): boolean {
  return process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
}

/**
 * Colours for stdout: chalk's choice (a TTY with colours, or FORCE_COLOR), and none at all when
 * NO_COLOR is set. chalk is imported here, when a report needs it, not with the CLI: importing it
 * opens process.stdin, which makes a pipe on fd 0 non-blocking, and the redactor reads fd 0 with a
 * plain stream (EAGAIN).
 */
export async function stdoutColors(): Promise<ChalkInstance> {
  const { Chalk, default: chalk } = await import('chalk');
  return new Chalk({ level: isNoColor() ? 0 : chalk.level });
}

/** Colours for stderr (error lines), chosen as {@link stdoutColors} chooses them for stdout. */
export async function stderrColors(): Promise<ChalkInstance> {
  const { Chalk, chalkStderr } = await import('chalk');
  return new Chalk({ level: isNoColor() ? 0 : chalkStderr.level });
}

/** How long work runs before a spinner shows: a quick run stays quiet. */
const PROGRESS_DELAY_MS = 500;

/** A spinner on stderr that shows only after a moment, and only on an interactive terminal. */
export interface Progress {
  /** The text shown beside the spinner (kept until it shows). */
  update(text: string): void;
  /** Writes through `write` with the spinner out of the way (stdout may be the same terminal). */
  around<T>(write: () => Promise<T>): Promise<T>;
  /** Removes the spinner for good. */
  stop(): void;
}

/**
 * Starts {@link Progress}: ora on stderr after {@link PROGRESS_DELAY_MS} (SSEREDACT_PROGRESS_DELAY_MS
 * overrides it, for tests), when stderr is a TTY with a width; ora itself stays off in CI (`CI` set) and on a
 * dumb terminal. Never when stderr is piped: nothing is written then.
 */
export function startProgress(text: string): Progress {
  let current = text;
  let spinner: Ora | null = null;
  let stopped = false;
  const delay = Number(process.env.SSEREDACT_PROGRESS_DELAY_MS ?? PROGRESS_DELAY_MS);
  // A terminal of 0 columns (a pty nobody sized) sent ora into an endless loop of line clears.
  const timer =
    process.stderr.isTTY && (process.stderr.columns ?? 0) > 0
      ? setTimeout(async () => {
          const { default: ora } = await import('ora');
          // stdin stays as it is: a scan may read it (`-`), and raw mode would swallow Ctrl+C.
          if (!stopped) spinner = ora({ text: current, stream: process.stderr, discardStdin: false, color: isNoColor() ? false : 'cyan' }).start();
        }, delay)
      : null;
  timer?.unref();
  return {
    update(next) {
      current = next;
      if (spinner) spinner.text = next;
    },
    async around(write) {
      spinner?.clear();
      try {
        return await write();
      } finally {
        spinner?.render();
      }
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      spinner?.stop();
      spinner = null;
    },
  };
}
