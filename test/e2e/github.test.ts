/**
 * GitHub Actions through the real binary: `--github-masks` (`::add-mask::` honoured in the stream,
 * on by default when GITHUB_ACTIONS=true) on both engines, and `--github` annotations for redact
 * (opt-in) and scan (on by default in a job): on stderr, never with the secret.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { AWS_KEY, sseredact } from './cli.js';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('latin1');
const ENGINES = 'error' in loadAddon() ? ['ts'] : ['ts', 'vectorscan'];
const JOB_LOG = 'setup\n::add-mask::deploy-7f3a9c\nusing deploy-7f3a9c for "deploy-7f3a9c"\n';
const MASKED = 'setup\n[REDACTED:github-add-mask]\nusing [REDACTED:github-mask] for "[REDACTED:github-mask]"\n';

describe.each(ENGINES)('--github-masks, %s engine', (engine) => {
  test.each([
    ['on with --github-masks', ['--github-masks'], {}, MASKED],
    ['on by default in a GitHub Actions job', [], { GITHUB_ACTIONS: 'true' }, MASKED],
    ['off with --no-github-masks, even in a job', ['--no-github-masks'], { GITHUB_ACTIONS: 'true' }, JOB_LOG],
    ['off by default elsewhere', [], {}, JOB_LOG],
  ])('%s', async (_label, args, env, want) => {
    const result = await sseredact(['--engine', engine, ...args], { input: JOB_LOG, env });
    expect({ status: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) }).toEqual({ status: 0, stdout: want, stderr: '' });
  });
});

describe('--github annotations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sseredact-github-'));
  const file = join(dir, 'app,prod.env');
  writeFileSync(file, `# app\naws ${AWS_KEY}\n`);

  test('redact: a ::warning per secret on stderr, with the file, line and rule, never the secret', async () => {
    const result = await sseredact(['--github', file]);
    expect(text(result.stdout)).toBe('# app\naws [REDACTED:aws-access-key-id]\n');
    expect(text(result.stderr)).toBe(
      `::warning file=${file.replace(/,/g, '%2C')},line=2,col=5,title=sseredact%3A secret redacted::aws-access-key-id redacted at line 2, column 5 of ${file}\n`,
    );
  });

  test('redact: stdin has no file property; no annotation without --github, even in a job', async () => {
    const input = `x\ny ${AWS_KEY}\n`;
    expect(text((await sseredact(['--github'], { input })).stderr)).toBe(
      '::warning line=2,col=3,title=sseredact%3A secret redacted::aws-access-key-id redacted at line 2, column 3 of stdin\n',
    );
    expect(text((await sseredact([], { input, env: { GITHUB_ACTIONS: 'true' } })).stderr)).toBe('');
  });

  const scanAnnotation = `::error file=${file.replace(/,/g, '%2C')},line=2,col=5,endLine=2,endColumn=25,title=sseredact%3A aws-access-key-id::aws-access-key-id: a secret is committed here; remove it and rotate it, or mark a false positive with sseredact:allow on its line\n`;

  test.each([
    ['on by default in a GitHub Actions job', [], { GITHUB_ACTIONS: 'true' }, scanAnnotation],
    ['on with --github', ['--github'], {}, scanAnnotation],
    ['off with --no-github, even in a job', ['--no-github'], { GITHUB_ACTIONS: 'true' }, ''],
    ['off by default elsewhere', [], {}, ''],
  ])('scan: %s', async (_label, args, env, want) => {
    const result = await sseredact(['scan', ...args, file], { env });
    expect(result.exitCode).toBe(1);
    expect(text(result.stderr)).toBe(want);
    expect(text(result.stdout)).toContain('aws-access-key-id');
    expect(text(result.stderr)).not.toContain(AWS_KEY);
  });

  test('scan --json keeps stdout machine-readable: annotations go to stderr', async () => {
    const result = await sseredact(['scan', '--json', '--github', file]);
    for (const line of text(result.stdout).trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(text(result.stderr)).toBe(scanAnnotation);
  });
});
