/**
 * Runs a bash pipeline around bin/sseredact (`$SSEREDACT` in the script) and reports the exit
 * status of each command of its last pipeline, for tests of pipes, descriptors and limits that
 * only a shell sets up (`| head`, `3>&-`, `ulimit -n`). A command that would hang runs under
 * `timeout`, so a hang fails its test with status 124 instead of stalling the suite.
 */
import { execa } from 'execa';
import { BIN } from './cli.js';

export interface ShellResult {
  /** `${PIPESTATUS[@]}` of the script's last pipeline. */
  readonly statuses: number[];
  readonly stdout: string;
  readonly stderr: string;
}

/** Longest a guarded command may run before it counts as hung (not a timing assertion). */
export const HANG_SECONDS = 60;

export async function shell(script: string, env: Readonly<Record<string, string>> = {}): Promise<ShellResult> {
  const result = await execa('bash', ['-c', `${script}\necho "statuses=\${PIPESTATUS[*]}" >&2`], {
    reject: false,
    stripFinalNewline: false,
    env: { ...env, SSEREDACT: BIN },
    encoding: 'latin1',
  });
  const statuses = /(?:^|\n)statuses=([\d ]+)\n$/.exec(result.stderr);
  if (!statuses?.[1]) throw new Error(`the script did not finish: ${result.stderr}`);
  return { statuses: statuses[1].split(' ').map(Number), stdout: result.stdout, stderr: result.stderr.slice(0, statuses.index) };
}
