/** Starts the real `bin/sseredact proxy` for the proxy's end-to-end tests. */
import { execa } from 'execa';
import { BIN } from '../e2e/cli.js';

export interface RunningProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** Sends SIGTERM and resolves with its exit code. */
  stop(): Promise<number | undefined>;
}

/** Runs `sseredact proxy --upstream UPSTREAM --listen 127.0.0.1:0 ARGS` (`env` added to the environment) and waits until it listens. */
export async function startProxy(upstream: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<RunningProxy> {
  const child = execa(BIN, ['proxy', '--upstream', upstream, '--listen', '127.0.0.1:0', ...args], { reject: false, buffer: false, stdout: 'ignore', env });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr += text;
      const listening = /listening on (http:\/\/\S+),/.exec(stderr);
      if (listening) resolve(listening[1]!);
    });
    child.on('exit', (code) => reject(new Error(`proxy exited with ${code} before listening: ${stderr}`)));
  });
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGTERM');
      return (await child).exitCode;
    },
  };
}
