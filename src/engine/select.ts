/**
 * Chooses the engine for `--engine auto|ts|vectorscan` (DESIGN §4): `auto` takes vectorscan when
 * its addon loads (on a runtime copy that finds every canary: ./vectorscan/addon.ts) and ts
 * otherwise, and says which under --verbose; `vectorscan` without the addon is a usage error that
 * tells how to install it.
 */
import { defaultCacheDirectory } from '../cache.js';
import { SseredactError } from '../errors.js';
import type { Engine } from './engine.js';
import { createTsEngine } from './ts/engine.js';
import { type AddonLoad, loadAddon } from './vectorscan/addon.js';
import { createVectorscanEngine } from './vectorscan/engine.js';

export type EngineChoice = 'auto' | 'ts' | 'vectorscan';

export interface SelectOptions {
  /** The compile cache directory of either engine (default: defaultCacheDirectory()); null disables the cache (see src/cache.ts). */
  readonly cacheDirectory?: string | null;
}

const INSTALL_HINT = 'install Vectorscan (Debian/Ubuntu: apt-get install libvectorscan-dev), then run npm rebuild sseredact (npm rebuild -g sseredact for a global install)';

/**
 * The engine for `choice`. Throws SseredactError('usage') for `vectorscan` when the addon cannot
 * be loaded. `log` hears which engine `auto` chose and why, and the vectorscan engine's notes
 * (cache misses, rules it hands to the ts engine).
 */
export function selectEngine(choice: EngineChoice, log?: (message: string) => void, options: SelectOptions = {}): Engine {
  const cacheDirectory = options.cacheDirectory === undefined ? defaultCacheDirectory() : options.cacheDirectory;
  const tsEngine = createTsEngine({ ...(cacheDirectory !== null ? { cacheDirectory } : {}), ...(log !== undefined ? { log } : {}) });
  if (choice === 'ts') return tsEngine;
  const load = loadAddon(cacheDirectory);
  if ('error' in load) {
    if (choice === 'vectorscan') {
      throw new SseredactError('usage', `--engine vectorscan: the Vectorscan addon is not available; ${INSTALL_HINT}`, {
        cause: load.error,
      });
    }
    log?.(`engine: ts (${load.error.message})`);
    return tsEngine;
  }
  for (const note of load.notes) log?.(`vectorscan: ${note}`);
  log?.(`engine: vectorscan ${load.addon.version().trim()} (runtime: ${runtimeNote(load)})`);
  return createVectorscanEngine(load.addon, {
    fallback: tsEngine,
    cacheDirectory,
    ...(log !== undefined ? { log } : {}),
  });
}

/** The runtime copy in use, whether the choice was cached, and the faster ones passed over and why. */
function runtimeNote(load: Extract<AddonLoad, { readonly addon: unknown }>): string {
  const copy = `${load.addon.runtime()} copy, ${load.runtimeCached ? 'cached choice' : 'chosen by the canaries'}`;
  return load.passedOver.length === 0 ? copy : `${copy}; passed over: ${load.passedOver.join('; ')}`;
}

export interface EngineDescription {
  readonly name: 'ts' | 'vectorscan';
  readonly available: boolean;
  /** One line: a version and where it came from, or why it is unavailable. */
  readonly detail: string;
}

/** The engines this installation has, for `sseredact --version --verbose`. */
export function describeEngines(): EngineDescription[] {
  const load = loadAddon();
  const vectorscan: EngineDescription =
    'error' in load
      ? { name: 'vectorscan', available: false, detail: `${load.error.message}; to enable it, ${INSTALL_HINT}` }
      : {
          name: 'vectorscan',
          available: true,
          detail: `Vectorscan ${load.addon.version().trim()} (${load.from}; runtime: ${runtimeNote(load)})`,
        };
  return [{ name: 'ts', available: true, detail: 'built in (pure TypeScript)' }, vectorscan];
}
