/**
 * Where Node runs without WebAssembly (`node --jitless`) or cannot reserve a WebAssembly memory
 * (a limit on address space), the ts engine scans with its JavaScript two-lane loop instead of the
 * WebAssembly one (src/engine/ts/wasm-lanes.ts): the CLI's output is the same byte for byte, every
 * planted secret redacted. The input is long enough for chunks
 * of two lanes (a slice of at least 4 KiB), with secrets every 4 KiB.
 */
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { type PlantedRecord, generateCorpus } from '../../bench/corpus.mjs';
import { BIN } from './cli.js';

describe('the ts engine without WebAssembly', () => {
  test('node --jitless, and a run that cannot have a WebAssembly memory, redact what a run with it redacts, byte for byte', async () => {
    const secrets: PlantedRecord[] = [];
    for (const shape of ['ci-log', 'one-line'] as const) {
      const input = Buffer.concat([
        ...generateCorpus({ bytes: 256 * 1024, seed: 20261204, shape, secretEvery: 4096, onPlant: ({ type, ...record }) => type === 'secret' && secrets.push(record) }),
      ]);
      // `prefix` runs before node (a shell that sets a limit first), `nodeOptions` are node's.
      const run = (prefix: readonly string[], nodeOptions: readonly string[] = []) => {
        const [file = process.execPath, ...args] = [...prefix, process.execPath, ...nodeOptions, BIN, '--engine', 'ts'];
        return execa(file, args, { input, encoding: 'buffer', reject: false, stripFinalNewline: false });
      };
      // Under a limit of 6 GB of address space Node runs, but a WebAssembly memory (which reserves
      // ~10 GB of it) cannot be had: the engine falls back to the JavaScript loop there too.
      const limited = run(['sh', '-c', 'ulimit -v 6000000 && exec "$0" "$@"']);
      const [withWasm, jitless, withoutMemory] = await Promise.all([run([]), run([], ['--jitless']), limited]);
      expect(withWasm.exitCode).toBe(0);
      for (const fallback of [jitless, withoutMemory]) {
        expect(fallback.exitCode).toBe(0);
        expect(Buffer.from(fallback.stdout).equals(Buffer.from(withWasm.stdout))).toBe(true);
      }
      const output = Buffer.from(withWasm.stdout).toString('latin1');
      expect(secrets.length).toBeGreaterThan(20);
      for (const secret of secrets) expect(output).not.toContain(secret.text);
      secrets.length = 0;
    }
  }, 60_000);
});
