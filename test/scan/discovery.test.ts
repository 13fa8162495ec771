/**
 * Configuration discovery and the scan options around it, end to end: the real bin/sseredact in
 * real temporary git repositories and directories. Every secret here is a fake of a real format.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AWS_KEY, sseredact } from '../e2e/cli.js';
import { GIT_ENV, directoryWith, git, repositoryWith } from './git-repo.js';

const ENV = { NO_COLOR: '', FORCE_COLOR: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
const TOKEN = 'acme_k3y9v2m8q4x7';
const OWN_TOML = '[[rules]]\nid = "acme-token"\nregex = "acme_[a-z0-9]{12}"\n';
const CONFIGS: ReadonlyArray<readonly [string, string]> = [
  ['.sseredact.toml', OWN_TOML],
  ['.sseredact.yaml', 'rules:\n  - id: acme-token\n    regex: "acme_[a-z0-9]{12}"\n'],
  ['.sseredact.json', '{"rules": [{"id": "acme-token", "regex": "acme_[a-z0-9]{12}"}]}\n'],
];

async function run(cwd: string, args: readonly string[], input?: string) {
  const result = await sseredact(args, { cwd, env: ENV, ...(input === undefined ? {} : { input }) });
  return { exitCode: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) };
}

/** The `path:line:column rule` of each report line. */
function reported(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => /^\S+:\d+:\d+ /.test(line))
    .map((line) => line.split(': ')[0]!);
}

describe('the repository config is found at the top of the work tree', () => {
  test.each(CONFIGS)('%s: scan and redact modes, from a subdirectory; --no-config skips it; --verbose names it', async (name, content) => {
    const repo = await repositoryWith({ [name]: content, 'sub/app.txt': `token ${TOKEN} and ${AWS_KEY}\n` });
    const sub = join(repo, 'sub');
    // Our own file adds its rules to the built-in pack: both are found.
    expect(reported((await run(sub, ['scan', '.'])).stdout)).toEqual(['app.txt:1:7 acme-token', 'app.txt:1:29 aws-access-key-id']);
    expect((await run(sub, ['-'], `token ${TOKEN} and ${AWS_KEY}\n`)).stdout).toBe('token [REDACTED:acme-token] and [REDACTED:aws-access-key-id]\n');
    expect((await run(sub, ['--no-config', '-'], `token ${TOKEN}\n`)).stdout).toBe(`token ${TOKEN}\n`);
    expect(reported((await run(sub, ['scan', '--no-config', '.'])).stdout)).toEqual(['app.txt:1:29 aws-access-key-id']);
    expect((await run(sub, ['scan', '-v', '.'])).stderr).toContain(`sseredact: config: ${join(repo, name)}\n`);
  });

  test('.gitleaks.toml is loaded as gitleaks loads it (its [extend] useDefault keeps the built-in pack); ours wins a shared id', async () => {
    const gitleaks = '[extend]\nuseDefault = true\n\n[[rules]]\nid = "acme-token"\nregex = "acme_[a-z]{12}"\n\n[[rules]]\nid = "glx"\nregex = "glx_[0-9]{6}"\n';
    const repo = await repositoryWith({ '.gitleaks.toml': gitleaks, 'app.txt': `glx_123456 ${AWS_KEY}\n` });
    expect(reported((await run(repo, ['scan'])).stdout)).toEqual(['app.txt:1:1 glx', 'app.txt:1:12 aws-access-key-id']);
    writeFileSync(join(repo, '.sseredact.toml'), OWN_TOML);
    writeFileSync(join(repo, 'app.txt'), `${TOKEN}\n`);
    expect(reported((await run(repo, ['scan'])).stdout)).toEqual(['app.txt:1:1 acme-token']);
  });

  test('outside a repository, the working directory; a config in a parent outside the repository is not used', async () => {
    const dir = directoryWith({ '.sseredact.toml': OWN_TOML, 'app.txt': `${TOKEN}\n`, 'inner/app.txt': `${TOKEN}\n` });
    expect(reported((await run(dir, ['scan', 'app.txt'])).stdout)).toEqual(['app.txt:1:1 acme-token']);
    await git(join(dir, 'inner'), ['init', '-q']);
    expect((await run(join(dir, 'inner'), ['scan', 'app.txt'])).exitCode).toBe(0);
  });

  test('an invalid config fails the run naming the file, exit 2', async () => {
    const repo = await repositoryWith({ '.sseredact.toml': '[[rules]]\nid = "x"\n', 'a.txt': 'clean\n' });
    const result = await run(repo, ['scan']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^sseredact: .*\.sseredact\.toml: .*\n$/);
  });

  test('the pre-commit hook runs with it', async () => {
    const repo = await repositoryWith({ '.sseredact.toml': OWN_TOML });
    await run(repo, ['hook', 'install']);
    writeFileSync(join(repo, 'app.txt'), `${TOKEN}\n`);
    await git(repo, ['add', 'app.txt']);
    const commit = await git(repo, ['commit', '-qm', 'add'], { reject: false, env: { ...GIT_ENV, ...ENV } });
    expect(commit.exitCode).toBe(1);
    // Git gives a hook's stdout to stderr.
    expect(commit.stderr).toContain('app.txt:1:1 acme-token');
  });
});

describe('what a directory scan reads', () => {
  test('a directory git ignores is scanned when named (--verbose says so); --no-git walks what git ignores', async () => {
    const repo = await repositoryWith({ '.gitignore': 'build/\n', 'build/out/key.txt': `${AWS_KEY}\n`, 'src/a.txt': 'clean\n' });
    expect((await run(repo, ['scan', '--no-config'])).exitCode).toBe(0);
    const named = await run(repo, ['scan', '--no-config', '-v', 'build/out']);
    expect(reported(named.stdout)).toEqual(['build/out/key.txt:1:1 aws-access-key-id']);
    expect(named.stderr).toContain('sseredact: build/out: ignored by git; scanned anyway (all of it), as it was named\n');
    expect(reported((await run(repo, ['scan', '--no-config', '--no-git'])).stdout)).toEqual(['build/out/key.txt:1:1 aws-access-key-id']);
  });

  test('--max-file-size skips larger files (--verbose says which); --exit-code sets the status', async () => {
    const repo = await repositoryWith({ 'small.txt': `${AWS_KEY}\n`, 'large.txt': `${'x'.repeat(2000)}\n${AWS_KEY}\n` });
    const result = await run(repo, ['scan', '--no-config', '-v', '--max-file-size', '1000', '--exit-code', '9']);
    expect({ exitCode: result.exitCode, reported: reported(result.stdout) }).toEqual({ exitCode: 9, reported: ['small.txt:1:1 aws-access-key-id'] });
    expect(result.stderr).toContain('sseredact: large.txt: skipped: 2022 bytes, over --max-file-size\n');
    expect((await run(repo, ['scan', '--exit-code', '256'])).exitCode).toBe(2);
  });

  test('SARIF URIs are from the top of the repository, wherever the scan runs', async () => {
    const repo = await repositoryWith({ 'deep/er/app.env': `aws_key = ${AWS_KEY}\n` });
    mkdirSync(join(repo, 'deep/er/x'));
    const sarif = JSON.parse((await run(join(repo, 'deep/er/x'), ['scan', '--no-config', '--sarif', '..'])).stdout);
    expect(
      sarif.runs[0].results.map(
        (result: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) => result.locations[0]!.physicalLocation.artifactLocation.uri,
      ),
    ).toEqual(['deep/er/app.env']);
  });
});
