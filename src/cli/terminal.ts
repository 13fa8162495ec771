/** The terminal: whether the text a person reads is coloured. */
import type { ChalkInstance } from 'chalk';

/**
 * Colours for stdout: chalk's choice (a TTY with colours, or FORCE_COLOR), and none at all when
 * NO_COLOR is set and not empty (no-color.org), as the man page promises. chalk is imported here,
 * when a report needs it, not with the CLI: importing it opens process.stdin, which makes a pipe
 * on fd 0 non-blocking, and the redactor reads fd 0 with a plain stream (EAGAIN).
 */
export async function stdoutColors(): Promise<ChalkInstance> {
  const { Chalk, default: chalk } = await import('chalk');
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return new Chalk({ level: noColor ? 0 : chalk.level });
}
