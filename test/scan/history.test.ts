/**
 * `sseredact scan --git [RANGE]` end to end: the real bin/sseredact against real temporary git
 * repositories with history, on both engines. Every secret here is a fake of a real format.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { AWS_KEY, sseredact } from '../e2e/cli.js';
import { git, repositoryWith } from './git-repo.js';

const ENGINES = 'addon' in loadAddon() ? ['ts', 'vectorscan'] : ['ts'];
const ENV = { NO_COLOR: '', FORCE_COLOR: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
const GITHUB_PAT = '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';

async function scan(cwd: string, args: readonly string[]) {
  const result = await sseredact(['scan', '--no-config', ...args], { cwd, env: ENV });
  return { exitCode: result.exitCode, stdout: text(result.stdout), stderr: text(result.stderr) };
}

/** Writes `files` (a null content deletes) and commits them as `author` at `date`; returns the commit id. */
async function commit(repo: string, files: Readonly<Record<string, string | null>>, message: string, author = 'Ann Example', date = '2026-01-02T03:04:05+00:00'): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) rmSync(join(repo, path));
    else writeFileSync(join(repo, path), content);
  }
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-qm', message], { env: { GIT_AUTHOR_NAME: author, GIT_AUTHOR_EMAIL: 'ann@example.test', GIT_AUTHOR_DATE: date } });
  return (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim();
}

interface FindingRecord {
  readonly type: string;
  readonly rule: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly commit: string;
  readonly author: string;
  readonly email: string;
  readonly date: string;
}

function findingsOf(stdout: string): FindingRecord[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as FindingRecord)
    .filter((record) => record.type === 'finding');
}

/** A repository whose second commit adds a key that its third removes; the commit ids. */
async function addedThenRemoved() {
  const repo = await repositoryWith({});
  const first = await commit(repo, { 'app.env': 'region = eu\nname = demo\n' }, 'first');
  const added = await commit(repo, { 'app.env': `region = eu\nname = demo\naws_key = ${AWS_KEY}\n` }, 'add key', 'Bob Builder', '2026-02-03T04:05:06+01:00');
  const removed = await commit(repo, { 'app.env': 'region = eu\nname = demo\n' }, 'remove key');
  return { repo, first, added, removed };
}

describe.each(ENGINES)('scan --git on the %s engine', (engine) => {
  test('a secret added then removed: found in the commit that added it, not by a plain scan', async () => {
    const { repo, added } = await addedThenRemoved();
    expect(await scan(repo, ['--engine', engine])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    const result = await scan(repo, ['--engine', engine, '--git']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe(
      `${added.slice(0, 12)} app.env:3:11 aws-access-key-id: aws_key = ****************N4PQ  (Bob Builder <ann@example.test> 2026-02-03T04:05:06+01:00)\n\n1 secret in 1 file; a false positive can be marked with sseredact:allow on its line\n`,
    );
    expect(result.stdout).not.toContain(AWS_KEY);
  });

  test('records carry commit, author, email, date, and the line in that commit, across hunks', async () => {
    const repo = await repositoryWith({});
    const lines = Array.from({ length: 30 }, (_, index) => `line ${index + 1}`);
    await commit(repo, { 'config.txt': `${lines.join('\n')}\n` }, 'base');
    // Two lines inserted at the top move what follows: the findings' lines are the new file's, not the old one's.
    const edited = ['# header', '# more', ...lines];
    edited[6] = `token ${GITHUB_PAT}`;
    edited[26] = `aws ${AWS_KEY}`;
    const id = await commit(repo, { 'config.txt': `${edited.join('\n')}\n` }, 'two hunks');
    const result = await scan(repo, ['--engine', engine, '--git', '--json']);
    const want = { commit: id, author: 'Ann Example', email: 'ann@example.test', date: '2026-01-02T03:04:05+00:00', path: 'config.txt' };
    expect(findingsOf(result.stdout).map(({ rule, line, column, commit, author, email, date, path }) => ({ rule, line, column, commit, author, email, date, path }))).toEqual([
      { rule: 'github-pat', line: 7, column: 7, ...want },
      { rule: 'aws-access-key-id', line: 27, column: 5, ...want },
    ]);
    // The line numbers are the file's in that commit.
    const shown = (await git(repo, ['show', `${id}:config.txt`])).stdout.split('\n');
    expect([shown[6], shown[26]]).toEqual([`token ${GITHUB_PAT}`, `aws ${AWS_KEY}`]);
  });
});

describe('scan --git: ranges, paths and options', () => {
  test('a range limits the commits; pathspecs limit the files', async () => {
    const { repo, added } = await addedThenRemoved();
    await commit(repo, { 'other.txt': `key ${GITHUB_PAT}\n` }, 'other');
    expect(findingsOf((await scan(repo, ['--git', 'HEAD~1..HEAD', '--json'])).stdout).map((record) => record.rule)).toEqual(['github-pat']);
    expect(findingsOf((await scan(repo, ['--git', `${added}~1..${added}`, '--json'])).stdout).map((record) => record.rule)).toEqual(['aws-access-key-id']);
    expect(findingsOf((await scan(repo, ['--git', '--json', '--', 'app.env'])).stdout).map((record) => record.path)).toEqual(['app.env']);
    expect(findingsOf((await scan(repo, ['--json', '--git'])).stdout).map((record) => record.path)).toEqual(['other.txt', 'app.env']);
  });

  test('a bad range, or one git would read as an option, is a one-line error, exit 2', async () => {
    const { repo } = await addedThenRemoved();
    expect(await scan(repo, ['--git', 'no-such-ref'])).toEqual({ exitCode: 2, stdout: '', stderr: "sseredact: git log: bad revision 'no-such-ref'\n" });
    expect(await scan(repo, ['--git=--output=leak.txt'])).toEqual({ exitCode: 2, stdout: '', stderr: 'sseredact: scan --git: "--output=leak.txt" is not a revision range\n' });
    expect((await scan(repo, ['--git', '--staged'])).stderr).toBe('sseredact: scan: --git and --staged cannot be used together\n');
  });

  test('paths git quotes, deleted and renamed files, and removed lines are handled', async () => {
    const repo = await repositoryWith({});
    await commit(repo, { 'we"ird name.env': `k ${AWS_KEY}\n`, 'gone.txt': `k ${GITHUB_PAT}\n` }, 'add');
    await git(repo, ['mv', 'we"ird name.env', 'moved.env']);
    await commit(repo, { 'gone.txt': null }, 'rename one, delete the other');
    const records = findingsOf((await scan(repo, ['--git', '--json'])).stdout);
    // A rename adds no line and a deletion only removes: each secret once, where it was added.
    expect(records.map(({ path, rule, line }) => ({ path, rule, line }))).toEqual([
      { path: 'gone.txt', rule: 'github-pat', line: 1 },
      { path: 'we"ird name.env', rule: 'aws-access-key-id', line: 1 },
    ]);
  });

  test('--max-file-size skips a large patch, --exit-code sets the status, SARIF carries the commit', async () => {
    const { repo, added } = await addedThenRemoved();
    await commit(repo, { 'big.txt': `${'filler line\n'.repeat(100)}key ${GITHUB_PAT}\n` }, 'big');
    expect(findingsOf((await scan(repo, ['--git', '--json', '--max-file-size', '1000'])).stdout).map((record) => record.path)).toEqual(['app.env']);
    expect((await scan(repo, ['--git', '--exit-code', '42'])).exitCode).toBe(42);
    const sarif = JSON.parse((await scan(repo, ['--git', '--sarif', '--', 'app.env'])).stdout);
    const [result] = sarif.runs[0].results;
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('app.env');
    expect(result.locations[0].physicalLocation.region.startLine).toBe(3);
    expect(result.properties).toEqual({ commit: added, author: 'Bob Builder', email: 'ann@example.test', date: '2026-02-03T04:05:06+01:00' });
  });
});
