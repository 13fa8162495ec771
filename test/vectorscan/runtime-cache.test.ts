/**
 * The runtime copy chosen once per machine and kept in the cache (src/engine/vectorscan/runtime-cache.ts):
 * a warm start compiles no canary, and anything but a valid entry for the same canaries means
 * testing the copies again.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { writeCache } from '../../src/cache.js';
import { type Addon, chooseRuntime, loadAddon } from '../../src/engine/vectorscan/addon.js';
import { chooseRuntimeCached } from '../../src/engine/vectorscan/runtime-cache.js';
import { sseredact } from '../e2e/cli.js';
import { withStreams } from './fake-addon.js';

const load = loadAddon(null);
const addon = 'addon' in load ? load.addon : (undefined as unknown as Addon);
const CANARIES = 'the canaries';

describe.skipIf(!('addon' in load))('the cached runtime choice', () => {
  let directory: string;
  let compiles: number;
  let chosen: string;
  /** The addon, counting the databases it compiles (each canary tried is one). */
  const counting = (): Addon => ({
    ...addon,
    compile: (...args) => {
      compiles++;
      return addon.compile(...args);
    },
  });
  const choose = (on: Addon = counting(), canaries = CANARIES) => chooseRuntimeCached(on, directory, canaries, () => chooseRuntime(on));
  /** The one entry's file, and its key (from its name). */
  const entryFile = () => {
    const [name] = readdirSync(directory).filter((file) => file.startsWith('runtime-'));
    return { path: join(directory, name!), key: name!.slice('runtime-'.length, -'.db'.length) };
  };

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'sseredact-runtime-'));
    compiles = 0;
    chosen = addon.runtime();
  });
  afterEach(() => {
    addon.useRuntime(chosen);
    rmSync(directory, { recursive: true, force: true });
  });

  test('the first choice tests the copies and is cached; the next compiles no canary and runs on the same copy', () => {
    const first = choose();
    expect(first).toMatchObject({ runtime: chosen, cached: false, notes: ['runtime choice: nothing cached'] });
    expect(compiles).toBeGreaterThan(0);
    compiles = 0;
    addon.useRuntime(addon.runtimes().at(-1)!);
    const second = choose();
    expect(second).toEqual({ runtime: chosen, passedOver: first.passedOver, cached: true, notes: [] });
    expect(compiles).toBe(0);
    expect(addon.runtime()).toBe(chosen);
  });

  test('other canaries do not use the entry', () => {
    choose();
    compiles = 0;
    expect(choose(counting(), 'other canaries')).toMatchObject({ runtime: chosen, cached: false, notes: ['runtime choice: nothing cached'] });
    expect(compiles).toBeGreaterThan(0);
  });

  test.each([
    [
      'a corrupt entry',
      (path: string) => {
        const bytes = readFileSync(path);
        writeFileSync(path, bytes.fill(0x20, bytes.length - 4));
      },
      /runtime choice: corrupt cache file/,
    ],
    [
      'an entry naming a copy this CPU does not offer',
      (_: string, key: string) => writeCache(directory, 'runtime', key, { meta: '{"runtime":"avx1024","passedOver":[]}', data: new Uint8Array(0) }),
      /runtime choice: bad metadata/,
    ],
    [
      'an entry that is not a choice',
      (_: string, key: string) => writeCache(directory, 'runtime', key, { meta: '{"runtime":7}', data: new Uint8Array(0) }),
      /runtime choice: bad metadata/,
    ],
  ])('%s means testing the copies again', (_, spoil, note) => {
    choose();
    const { path, key } = entryFile();
    spoil(path, key);
    compiles = 0;
    const again = choose();
    expect(again).toMatchObject({ runtime: chosen, cached: false });
    expect(again.notes.join('\n')).toMatch(note);
    expect(compiles).toBeGreaterThan(0);
    expect(choose()).toMatchObject({ runtime: chosen, cached: true });
  });

  test('no choice is cached when every copy misses a canary', () => {
    // One copy, whose streams report nothing: it misses every canary.
    const blind: Addon = {
      ...counting(),
      runtimes: () => ['blind'],
      useRuntime: () => undefined,
      compile: withStreams(addon, (stream) => ({
        scan: () => 0,
        scanStart: () => undefined,
        scanFinish: () => 0,
        end: () => 0,
        spans: () => stream.spans(),
        reset: () => stream.reset(),
        close: () => stream.close(),
      })).compile,
    };
    expect(choose(blind)).toMatchObject({ runtime: null, cached: false });
    expect(readdirSync(directory)).toEqual([]);
  });

  test('--verbose says whether the choice was cached', async () => {
    const env = { XDG_CACHE_HOME: directory };
    const runs = [];
    for (let run = 0; run < 2; run++) runs.push(await sseredact(['--engine', 'vectorscan', '--verbose'], { input: 'hi\n', env, encoding: 'utf8' }));
    expect(runs.map((run) => String(run.stderr).match(/runtime: \w+ copy, ([a-z ]+)/)?.[1])).toEqual(['chosen by the canaries', 'cached choice']);
  });
});
