/**
 * README's CI examples run: the GitHub Actions steps and the GitLab CI job in "## CI logs" are
 * read from README (YAML blocks, parsed), and each `run:` / `script:` runs in bash as the runner
 * would run it (GitHub's `bash -e`, with GITHUB_ACTIONS=true and the step's env; GitLab's lines in
 * one shell), with `make` a stand-in build that prints secrets and `npx sseredact` this checkout.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { AWS_KEY } from '../e2e/cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const CI_SECTION = /^## CI logs\n([\s\S]*?)^## /m.exec(README)?.[1] ?? '';
const [GITHUB, GITLAB] = [...CI_SECTION.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => parse(match[1]!) as Record<string, unknown>);

const TOKEN = 'tok-9d2f6a1c44e07b3e';
const PASSWORD = 'pw-Qx7-hunter2-staging';
const SESSION = 'sess-4b1d9e77c';

/** Every directory of this file's runs is made in here, and removed with it. */
const scratch = mkdtempSync(join(tmpdir(), 'sseredact-ci-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A directory for PATH: `make` prints a job log with secrets (exit $MAKE_STATUS), `npx sseredact` runs bin/sseredact. */
function shims(): string {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  const make = [
    '#!/bin/sh',
    'echo "deploying with $DEPLOY_TOKEN"',
    'echo "db password: $DB_PASSWORD" >&2',
    `echo "::add-mask::${SESSION}"`,
    `echo "session ${SESSION} open"`,
    `echo "aws ${AWS_KEY}"`,
    'exit "${MAKE_STATUS:-0}"',
  ];
  writeFileSync(join(bin, 'make'), `${make.join('\n')}\n`);
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\n[ "$1" = sseredact ] || exit 127\nshift\nexec ${join(REPO, 'bin/sseredact')} "$@"\n`);
  for (const name of ['make', 'npx']) chmodSync(join(bin, name), 0o755);
  return bin;
}

const PATH_WITH_SHIMS = `${shims()}:${process.env.PATH}`;

async function runScript(script: string, env: Record<string, string>, cwd = mkdtempSync(join(scratch, 'job-'))) {
  const result = await execa('bash', ['-e', '-c', `exec 2>&1\n${script}`], { cwd, env: { ...env, PATH: PATH_WITH_SHIMS }, reject: false });
  return { status: result.exitCode, log: String(result.stdout) };
}

interface GithubStep {
  readonly name?: string;
  readonly run?: string;
  readonly env?: Record<string, string>;
}

describe('README: GitHub Actions', () => {
  const steps = ((GITHUB?.steps ?? []) as GithubStep[]).filter((step) => step.run !== undefined);
  const [testStep, scanStep] = steps;
  const stepEnv = (step: GithubStep | undefined) => ({
    GITHUB_ACTIONS: 'true',
    ...Object.fromEntries(Object.entries(step?.env ?? {}).map(([name, value]) => [name, /secrets\./.test(value) ? TOKEN : value])),
  });

  test('there is a test step piping the build through sseredact, and a scan step', () => {
    expect(testStep?.run).toMatch(/\| npx sseredact /);
    expect(scanStep?.run).toMatch(/npx sseredact scan/);
  });

  test('the test step: the log keeps no secret, ::add-mask:: values included, and the step passes', async () => {
    const { status, log } = await runScript(testStep!.run!, stepEnv(testStep));
    expect(status).toBe(0);
    for (const secret of [TOKEN, SESSION, AWS_KEY]) expect(log).not.toContain(secret);
    expect(log).toContain('deploying with [REDACTED:mask-env]');
    expect(log).toContain('[REDACTED:github-add-mask]\nsession [REDACTED:github-mask] open');
  });

  test('the test step fails when the build fails (pipefail)', async () => {
    const { status } = await runScript(testStep!.run!, { ...stepEnv(testStep), MAKE_STATUS: '2' });
    expect(status).toBe(2);
  });

  test('the scan step: a committed secret fails it with an ::error annotation, not the secret', async () => {
    const cwd = mkdtempSync(join(scratch, 'checkout-'));
    writeFileSync(join(cwd, 'deploy.env'), `AWS=${AWS_KEY}\n`);
    const { status, log } = await runScript(scanStep!.run!, stepEnv(scanStep), cwd);
    expect(status).toBe(1);
    expect(log).toMatch(/^::error file=deploy\.env,line=1,col=5,.*title=sseredact%3A aws-access-key-id::/m);
    expect(log).not.toContain(AWS_KEY);
  });
});

describe('README: GitLab CI', () => {
  const job = Object.values(GITLAB ?? {})[0] as { script?: string[] } | undefined;

  test('the job scrubs its log: variables named by --mask-env and what the rules find', async () => {
    const { status, log } = await runScript((job?.script ?? []).join('\n'), { DEPLOY_TOKEN: TOKEN, DB_PASSWORD: PASSWORD });
    expect(status).toBe(0);
    for (const secret of [TOKEN, PASSWORD, AWS_KEY]) expect(log).not.toContain(secret);
    expect(log).toContain('db password: [REDACTED:mask-env]');
  });
});
