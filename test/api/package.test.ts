/**
 * The package as users get it: ESM only, and the exports map exposes the public API and nothing
 * else (internals such as dist/redact/redactor.js stay private).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO, createConsumer, removeConsumers } from './consumer.js';

afterAll(removeConsumers);

const PROBE = `
const attempt = async (specifier) => {
  try {
    const module = await import(specifier, specifier.endsWith('.json') ? { with: { type: 'json' } } : undefined);
    return { specifier, ok: true, exports: Object.keys(module).sort() };
  } catch (error) {
    return { specifier, ok: false, code: error.code };
  }
};
const results = [];
for (const specifier of process.argv.slice(2)) results.push(await attempt(specifier));
console.log(JSON.stringify(results));
`;

async function probe(...specifiers: string[]) {
  const dir = createConsumer({ 'probe.mjs': PROBE });
  const result = await execa('node', [join(dir, 'probe.mjs'), ...specifiers], { cwd: dir });
  return JSON.parse(result.stdout) as { specifier: string; ok: boolean; exports?: string[]; code?: string }[];
}

describe('exports map', () => {
  test("'sseredact' gives the public API, exactly", async () => {
    const [main] = await probe('sseredact');
    expect(main).toEqual({
      specifier: 'sseredact',
      ok: true,
      exports: ['SseredactError', 'compileRules', 'createProxyHandler', 'createRedactor', 'createRedactorStream', 'redact', 'redactResponse', 'scan'],
    });
  });

  test.each(['sseredact/dist/redact/redactor.js', 'sseredact/dist/index.js', 'sseredact/src/index.ts', 'sseredact/dist/cli/main.js', 'sseredact/dist/engine/ts/engine.js'])(
    '%s is not exported',
    async (specifier) => {
      const [result] = await probe(specifier);
      expect(result).toEqual({ specifier, ok: false, code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    },
  );

  test('package.json is exported (tools read the version from it)', async () => {
    const [result] = await probe('sseredact/package.json');
    expect(result).toEqual({ specifier: 'sseredact/package.json', ok: true, exports: ['default'] });
  });

  test('ESM only: require() of the package fails', async () => {
    const dir = createConsumer({ 'probe.cjs': "try { require('sseredact'); console.log('loaded') } catch (error) { console.log(error.code) }" });
    const result = await execa('node', [join(dir, 'probe.cjs')], { cwd: dir });
    expect(result.stdout).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  test('the types and the man page are where package.json says, and both ship', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; man?: string | string[]; files: string[] };
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    expect(pkg.man).toEqual(['man/sseredact.1']); // an array: npm links only that form
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'man']));
    expect(readFileSync(join(REPO, 'dist/index.d.ts'), 'utf8')).toContain('export declare function createRedactor');
  });
});

describe('building', () => {
  test("npm's prepare (scripts/prepare.mjs, what `npm ci` and `npm pack` run) takes every step of `npm run build`, in its order", () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const prepare = readFileSync(join(REPO, 'scripts/prepare.mjs'), 'utf8');
    // What names each step in prepare.mjs: tsc's project, a script's file, rolldown's config.
    const lastWord = (step: string): string => step.trim().split(/\s+/).at(-1)!;
    const steps = pkg.scripts.build!.split('&&').map((step) => lastWord(step).replace(/^scripts\//, ''));
    expect(steps).toEqual(['tsconfig.build.json', 'build-id.mjs', 'prebuild-packs.mjs', 'rolldown.config.mjs']);
    const at = steps.map((step) => prepare.indexOf(`'${step}'`));
    expect(at.every((index) => index >= 0)).toBe(true);
    expect(at).toEqual(at.toSorted((a, b) => a - b));
  });
});
