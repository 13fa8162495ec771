/** The terminal: whether the text a person reads is coloured. */
import chalk, { Chalk, type ChalkInstance } from 'chalk';

/**
 * Colours for stdout: chalk's choice (a TTY with colours, or FORCE_COLOR), and none at all when
 * NO_COLOR is set and not empty (no-color.org), as the man page promises.
 */
export function stdoutColors(): ChalkInstance {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return new Chalk({ level: noColor ? 0 : chalk.level });
}
