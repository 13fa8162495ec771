/**
 * How the benchmarks find the command under test: `bin/sseredact` run as users run it, through
 * its shebang line (with `--engine NAME` only when its `--help` lists
 * `--engine`), or any command given with `--tool "cmd args"` (e.g. `--tool cat`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/..). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The launcher the lead's CLI lives in. */
export const BIN = join(ROOT, 'bin', 'sseredact');

/** Both engines when the Vectorscan addon loads (from dist/), else ts alone, as `--engine` spells them. */
export async function defaultEngines() {
  try {
    const { loadAddon } = await import(new URL('../dist/engine/vectorscan/addon.js', import.meta.url).href);
    return 'error' in loadAddon() ? 'ts' : 'ts,vectorscan';
  } catch {
    return 'ts';
  }
}

/** Splits a `--tool` value on blanks (no quoting: wrap anything fancier in a script). */
export function splitCommand(text) {
  return String(text).trim().split(/\s+/).filter(Boolean);
}

/**
 * The command lines to measure, one per engine: `[{ name, label, argv }]`, or `{ skipped }`
 * with the reason when bin/sseredact is missing or its `--help` fails. `engines` is a list such
 * as `['ts']`; when the CLI has no `--engine` option a single default row is returned.
 */
export function resolveTools({ tool, engines = ['ts'] }) {
  if (typeof tool === 'string') return { tools: [{ name: 'sseredact', label: tool, argv: splitCommand(tool) }] };
  if (!existsSync(BIN)) return { skipped: 'not built (no bin/sseredact)' };
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', timeout: 30_000, cwd: ROOT });
  if (help.status !== 0) {
    const why = `${help.stderr ?? ''}${help.error?.message ?? ''}`.trim().split('\n')[0] || `exit ${help.status}`;
    return { skipped: `not built (bin/sseredact --help: ${why})` };
  }
  if (!/--engine\b/.test(`${help.stdout}${help.stderr}`)) {
    return { tools: [{ name: 'sseredact', label: 'sseredact', argv: [BIN] }] };
  }
  return {
    tools: engines.map((engine) => ({
      name: engines.length === 1 ? 'sseredact' : `sseredact-${engine}`,
      label: `sseredact --engine ${engine}`,
      argv: [BIN, '--engine', engine],
    })),
  };
}

/** `node bench/x.mjs | head` ends quietly (status 0) instead of throwing EPIPE. */
export function exitQuietlyOnEpipe() {
  process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
}

/** The value after `name` on the command line (a string), or `fallback` when it is absent. */
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const at = args.indexOf(name);
  return at === -1 ? fallback : args[at + 1];
}

export { random } from './random.mjs';
