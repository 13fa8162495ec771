/**
 * The Vectorscan expressions the vectorscan engine compiles for a rule set (each rule, or its
 * anchored prefix), read from the engine itself so that the native ceiling scans exactly what the
 * engine scans. Needs `npm run build` (imports dist/) and the addon.
 */
const dist = new URL('../dist/', import.meta.url);

/**
 * The engine's database for `specs` (rule specs; default: the built-in secrets pack), its
 * expressions, one per scanned rule, and the runtime copy it runs on (native-ceiling's --runtime).
 */
export async function enginePatterns(specs, { firstTreatment = 'end' } = {}) {
  const { compileRule } = await import(new URL('rules/compile.js', dist).href);
  const { loadAddon } = await import(new URL('engine/vectorscan/addon.js', dist).href);
  const { createVectorscanEngine } = await import(new URL('engine/vectorscan/engine.js', dist).href);
  const { tsEngine } = await import(new URL('engine/ts/engine.js', dist).href);
  const load = loadAddon();
  if ('error' in load) throw load.error;
  const chosen = specs ?? (await import(new URL('rules/packs/index.js', dist).href)).loadPack('secrets');
  const rules = [];
  for (const spec of chosen) {
    try {
      rules.push(compileRule(spec, rules.length));
    } catch {
      // A rule the compiler refuses is refused by the engine too: the ceiling scans without it.
    }
  }
  const database = createVectorscanEngine(load.addon, { cacheDirectory: null, fallback: tsEngine, firstTreatment }).compile(rules);
  return { database, expressions: database.stats.expressions.filter((expression) => expression !== null), runtime: load.addon.runtime() };
}
