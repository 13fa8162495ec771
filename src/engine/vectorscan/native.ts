/**
 * The native addon's module, native/build/Release/sseredact_vectorscan.node (built in place by
 * the package's install script where libvectorscan is present), loaded once per thread for both
 * of its users: the vectorscan engine (./addon.ts) and the pipe widening of src/pipes.ts. One
 * load: each load of a Node-API module runs its init again, with state of its own per load.
 */
import { fileURLToPath } from 'node:url';

/** src/engine/vectorscan/ and dist/engine/vectorscan/ are both three levels below the root. */
export const NATIVE_PATH = fileURLToPath(new URL('../../../native/build/Release/sseredact_vectorscan.node', import.meta.url));

let loaded: { readonly exports: unknown } | { readonly error: unknown } | undefined;

/**
 * The module's exports; throws what loading it threw (dlopen's error, which names the file),
 * the same at every call. process.dlopen, not require: ~1 ms less per start (no module
 * resolution, no package scope lookup).
 */
export function nativeModule(): unknown {
  if (loaded === undefined) {
    const module = { exports: {} };
    try {
      process.dlopen(module, NATIVE_PATH);
      loaded = { exports: module.exports };
    } catch (error) {
      loaded = { error };
    }
  }
  if ('error' in loaded) throw loaded.error;
  return loaded.exports;
}
