/**
 * Guards the public types: public-types.ts is a list of expectTypeOf assertions, which only the
 * type checker evaluates, so this test runs tsc on it: against the sources, and as a consumer
 * package sees it (import from 'sseredact', resolved through the exports map to dist/*.d.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO, createConsumer, removeConsumers } from './consumer.js';

afterAll(removeConsumers);

const TSC = join(REPO, 'node_modules/typescript/bin/tsc');
const ASSERTIONS = readFileSync(new URL('./public-types.ts', import.meta.url), 'utf8');
const COMPILER_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  lib: ['ES2023'],
  types: ['node'],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noEmit: true,
  skipLibCheck: true,
};

/** Type-checks `source` as a consumer's file; returns tsc's output ('' when it passes). */
async function typecheckAsConsumer(source: string): Promise<{ exitCode: number | undefined; output: string }> {
  const dir = createConsumer(
    {
      'check.ts': source.replaceAll("'../../src/index.js'", "'sseredact'"),
      'tsconfig.json': JSON.stringify({ compilerOptions: COMPILER_OPTIONS, files: ['check.ts'] }),
    },
    ['vitest'],
  );
  const result = await execa('node', [TSC, '-p', join(dir, 'tsconfig.json')], { reject: false, all: true });
  return { exitCode: result.exitCode, output: result.all ?? '' };
}

describe('public types', () => {
  test('hold against the sources', async () => {
    const dir = createConsumer({});
    const config = join(dir, 'tsconfig.json');
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(REPO, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: REPO, typeRoots: [join(REPO, 'node_modules/@types')] },
        include: [],
        files: [join(REPO, 'test/api/public-types.ts')],
      }),
    );
    const result = await execa('node', [TSC, '-p', config], { reject: false, all: true });
    expect(result.all).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test("hold for a consumer of the built package (import from 'sseredact')", async () => {
    expect(ASSERTIONS).toContain("from '../../src/index.js'");
    const result = await typecheckAsConsumer(ASSERTIONS);
    expect(result.output).toBe('');
    expect(result.exitCode).toBe(0);
  });

  test('a wrong assertion or an internal import fails the check (the check can fail)', async () => {
    const wrong = [
      "import { expectTypeOf } from 'vitest';",
      "import { type Finding, createRedactor } from '../../src/index.js';",
      'expectTypeOf<Finding["start"]>().toEqualTypeOf<string>();',
      "import { createStreamRedactor } from 'sseredact/dist/redact/redactor.js';",
      'void createRedactor; void createStreamRedactor;',
    ].join('\n');
    const result = await typecheckAsConsumer(wrong);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toMatch(/check\.ts\(3,.*error TS2344/);
    expect(result.output).toMatch(/check\.ts\(4,.*error TS2307: Cannot find module 'sseredact\/dist\/redact\/redactor\.js'/);
  });
});
