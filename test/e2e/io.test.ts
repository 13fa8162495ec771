/**
 * The CLI at the edges of its inputs, outputs and caches, through the real bin/sseredact on real
 * pipes, descriptors and directories (issue 20 items 3, 7, 8, 9, 13, 14, 15; issue 14's
 * `--records fd:N`). Each test failed before its fix; a hang shows as status 124 from `timeout`.
 */
import { createHash, createHmac } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { redact } from '../../src/index.js';
import { AWS_KEY, BIN, sseredact } from './cli.js';
import { HANG_SECONDS, shell } from './shell.js';

const ENGINES = 'addon' in loadAddon() ? (['ts', 'vectorscan'] as const) : (['ts'] as const);
const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('latin1');
const scratch = mkdtempSync(join(tmpdir(), 'sseredact-io-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh directory under the test's scratch directory. */
function directory(name: string): string {
  const path = join(scratch, `${name}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(path, { recursive: true });
  return path;
}

const SECRET_LINE = `key ${AWS_KEY} here`;

/**
 * Reads nothing until its stdin pipe is full (what is queued stops growing for a second: 64 KiB,
 * or less where the system shrinks pipes), then all of it; prints the count.
 */
const SLOW_READER = [
  'import fcntl, struct, sys, termios, time',
  "queued = lambda: struct.unpack('i', fcntl.ioctl(0, termios.FIONREAD, bytes(4)))[0]",
  'last, still = -1, 0',
  'while still < 20 and time.time() < DEADLINE: now = queued(); still = still + 1 if now == last and now > 0 else 0; last = now; time.sleep(0.05)',
  'print(len(sys.stdin.buffer.read()))',
]
  .join('\n')
  .replace('DEADLINE', `${Date.now() / 1000 + 30}`);

describe.each(ENGINES)('--engine %s', (engine) => {
  test('a slow reader gets the whole output and exit status 0, not 13 (item 13)', async () => {
    // 70000 bytes: 64 KiB fill the pipe, and a short last write stays queued behind them until
    // the reader, which waits for a full pipe and a moment more, reads.
    const input = join(directory('slow'), 'clean.log');
    writeFileSync(input, 'a clean line of log output\n'.repeat(3000));
    const result = await shell(`head -c 70000 "${input}" | "$SSEREDACT" --engine ${engine} | python3 -c "${SLOW_READER}"`);
    expect({ statuses: result.statuses, bytes: result.stdout.trim(), stderr: result.stderr }).toEqual({ statuses: [0, 0, 0], bytes: '70000', stderr: '' });
  });

  test('--json into a reader that goes away stops reading at once, quietly, status 0 (item 3)', async () => {
    const result = await shell(`yes '${SECRET_LINE}' | timeout ${HANG_SECONDS} "$SSEREDACT" --engine ${engine} --json | head -n 1`);
    expect({ status: result.statuses[1], stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ type: 'finding', rule: 'aws-access-key-id' });
  });

  test('--records into a pipe whose reader goes away ends the run quietly, status 0 (item 3)', async () => {
    const result = await shell(`yes '${SECRET_LINE}' | timeout ${HANG_SECONDS} "$SSEREDACT" --engine ${engine} --records fd:3 3> >(head -n 1 >/dev/null) >/dev/null`);
    expect({ status: result.statuses[1], stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('--records FILE then | head: the records of what was written are in the file (item 15)', async () => {
    const records = join(directory('records'), 'records.ndjson');
    const result = await shell(`yes '${SECRET_LINE}' | head -n 20000 | "$SSEREDACT" --engine ${engine} --records "${records}" | head -n 1`);
    expect(result.statuses[2]).toBe(0);
    expect(result.stdout).toBe('key [REDACTED:aws-access-key-id] here\n');
    const lines = readFileSync(records, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; line?: number });
    expect(lines[0]).toMatchObject({ type: 'finding', line: 1 });
    expect(lines.at(-1)).toMatchObject({ type: 'summary' });
  });

  test.each([
    ['/proc: mkdir fails with ENOENT under an existing parent', '/proc'],
    ['a file where a directory should be', '/dev/null'],
    ['a directory another user can write', 'world-writable'],
  ])('an unusable cache directory (%s) means a run without the cache (items 8, 14)', async (_label, where) => {
    let cacheHome = where;
    if (where === 'world-writable') {
      cacheHome = directory('cache');
      mkdirSync(join(cacheHome, 'sseredact'), { mode: 0o777 });
      chmodSync(join(cacheHome, 'sseredact'), 0o777);
    }
    const result = await shell(`echo '${SECRET_LINE}' | timeout ${HANG_SECONDS} "$SSEREDACT" --engine ${engine} --verbose`, { XDG_CACHE_HOME: cacheHome });
    expect(result.statuses[1]).toBe(0);
    expect(result.stdout).toBe('key [REDACTED:aws-access-key-id] here\n');
    expect(result.stderr).toMatch(/rule analyses: .*(cannot write the cache|not used|unusable)/);
    if (where === 'world-writable') expect(readdirSync(join(cacheHome, 'sseredact'))).toEqual([]);
  });

  test.each(['a FIFO', 'a symbolic link to /dev/zero'])('a cache entry that is %s is not read (item 15)', async (kind) => {
    const cacheHome = directory('cache');
    const run = () => shell(`echo '${SECRET_LINE}' | timeout ${HANG_SECONDS} "$SSEREDACT" --engine ${engine} --verbose`, { XDG_CACHE_HOME: cacheHome });
    expect((await run()).statuses[1]).toBe(0);
    const entries = join(cacheHome, 'sseredact');
    for (const name of readdirSync(entries)) {
      rmSync(join(entries, name));
      if (kind === 'a FIFO') await execa('mkfifo', [join(entries, name)]);
      else symlinkSync('/dev/zero', join(entries, name));
    }
    const result = await run();
    expect(result.statuses[1]).toBe(0);
    expect(result.stdout).toBe('key [REDACTED:aws-access-key-id] here\n');
    expect(result.stderr).toMatch(/rule analyses: .*(not a regular file|symbolic link); not used/);
  });
});

describe('--records targets (item 7, issue 14)', () => {
  test('a records file that cannot be written fails the run: exit 3, one line', async () => {
    const result = await sseredact(['--records', '/dev/full'], { input: `${SECRET_LINE}\n` });
    expect({ exitCode: result.exitCode, stderr: text(result.stderr) }).toEqual({ exitCode: 3, stderr: 'sseredact: cannot write records to /dev/full: no space left on device\n' });
  });

  test.each([
    ['not open', 'fd:99', '', /^sseredact: --records fd:99: descriptor 99 is not open/],
    ['not open, where Node keeps its epoll descriptor', 'fd:3', '', /^sseredact: --records fd:3: descriptor 3 is not (open|a file, pipe, socket or terminal)/],
    ["one of Node's own pipes", 'fd:7', '', /^sseredact: --records fd:7: descriptor 7 is not (open|a file, pipe, socket or terminal|one the shell opened)/],
    ['another of them', 'fd:12', '', /^sseredact: --records fd:12: descriptor 12 is not (open|a file, pipe, socket or terminal|one the shell opened)/],
    ['far above them', 'fd:100', '', /^sseredact: --records fd:100: descriptor 100 is not open/],
    ['open read-only', 'fd:3', '3</dev/null', /^sseredact: --records fd:3: descriptor 3 is not open for writing/],
    ['in a missing directory', '/nonexistent/records.ndjson', '', /^sseredact: --records \/nonexistent\/records.ndjson: cannot write: no such file/],
  ])('a records target %s: a usage error before any output, exit 2', async (_label, target, redirection, message) => {
    const result = await shell(`echo '${SECRET_LINE}' | timeout ${HANG_SECONDS} "$SSEREDACT" --records ${target} ${redirection}`);
    expect({ status: result.statuses[1], stdout: result.stdout }).toEqual({ status: 2, stdout: '' });
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('--json with --records is a usage error, not a file never written', async () => {
    const records = join(directory('records'), 'x.ndjson');
    const result = await sseredact(['--json', '--records', records], { input: SECRET_LINE });
    expect(result.exitCode).toBe(2);
    expect(text(result.stderr)).toMatch(/^sseredact: option '--records <file>' cannot be used with option '--json'\n$/);
    expect(() => statSync(records)).toThrow(/ENOENT/);
  });
});

describe('inputs and limits (item 15)', () => {
  test('a thousand input files under ulimit -n 256: each opened in turn, no EMFILE', async () => {
    const files = directory('many');
    for (let index = 0; index < 1000; index++) writeFileSync(join(files, `f${String(index).padStart(4, '0')}.log`), `${index} ${AWS_KEY}\n`);
    const result = await shell(`ulimit -n 256; "$SSEREDACT" "${files}"/*.log | grep -c REDACTED`);
    expect({ statuses: result.statuses, count: result.stdout.trim(), stderr: result.stderr }).toEqual({ statuses: [0, 0], count: '1000', stderr: '' });
  });

  test('--max-match beyond 1 MiB is a usage error (it ran out of memory on a 50 MB log)', async () => {
    const result = await sseredact(['--max-match', '1000000000'], { input: SECRET_LINE });
    expect(result.exitCode).toBe(2);
    expect(text(result.stderr)).toMatch(/^sseredact: option '--max-match <bytes>' argument '1000000000' is invalid\. expected at most 1048576 bytes/);
    expect(text(result.stderr).trim().split('\n')).toHaveLength(1);
  });
});

describe('cache trust (item 8)', () => {
  test.skipIf(process.getuid?.() !== 0)('a cache directory owned by another user is not used', async () => {
    const cacheHome = directory('cache');
    mkdirSync(join(cacheHome, 'sseredact'), { mode: 0o700 });
    chownSync(join(cacheHome, 'sseredact'), 65534, 65534);
    const result = await shell(`echo '${SECRET_LINE}' | "$SSEREDACT" --engine ts --verbose`, { XDG_CACHE_HOME: cacheHome });
    expect(result.stdout).toBe('key [REDACTED:aws-access-key-id] here\n');
    expect(result.stderr).toMatch(/is owned by user 65534, not by this user \(0\); not used/);
  });

  test('a cache entry writable by others is not used', async () => {
    const cacheHome = directory('cache');
    const run = () => shell(`echo '${SECRET_LINE}' | "$SSEREDACT" --engine ts --verbose`, { XDG_CACHE_HOME: cacheHome });
    await run();
    for (const name of readdirSync(join(cacheHome, 'sseredact'))) chmodSync(join(cacheHome, 'sseredact', name), 0o666);
    const result = await run();
    expect(result.stdout).toBe('key [REDACTED:aws-access-key-id] here\n');
    expect(result.stderr).toMatch(/rule analyses: .*rules-[0-9a-f]+\.db is writable by others; not used/);
  });

  test.skipIf(!ENGINES.includes('vectorscan' as never))("a forged Vectorscan database with a valid checksum is caught by its rules' examples", async () => {
    const rulesDirectory = directory('rules');
    const rule = (id: string, prefix: string) => ({
      id,
      regex: `${prefix}_[a-z]{12}`,
      examples: { match: [`x ${prefix}_abcdefghijkl`], noMatch: [`${prefix}_short`] },
    });
    writeFileSync(join(rulesDirectory, 'real.json'), JSON.stringify({ rules: [rule('real-token', 'tok')] }));
    writeFileSync(join(rulesDirectory, 'decoy.json'), JSON.stringify({ rules: [rule('decoy-token', 'zzz')] }));
    const cacheHome = directory('cache');
    const entries = join(cacheHome, 'sseredact');
    const run = (rules: string) =>
      sseredact(['--engine', 'vectorscan', '--no-builtin', '--rules', join(rulesDirectory, rules), '--verbose'], {
        input: 'id tok_abcdefghijkl\n',
        env: { XDG_CACHE_HOME: cacheHome },
      });
    await run('real.json');
    const real = readdirSync(entries).find((name) => name.startsWith('vectorscan-'))!;
    await run('decoy.json');
    const decoy = readdirSync(entries).find((name) => name.startsWith('vectorscan-') && name !== real)!;
    // The decoy's database and metadata under the real rule set's key, with a checksum that agrees.
    const forged = readFileSync(join(entries, decoy));
    readFileSync(join(entries, real)).copy(forged, 8, 8, 40);
    createHash('sha256').update(forged.subarray(80)).digest().copy(forged, 48);
    writeFileSync(join(entries, `${real}.new`), forged, { mode: 0o600 });
    renameSync(join(entries, `${real}.new`), join(entries, real));
    const result = await run('real.json');
    expect(text(result.stdout)).toBe('id [REDACTED:real-token]\n');
    expect(text(result.stderr)).toMatch(/vectorscan: cached database: does not find rule real-token's example\n[\s\S]*vectorscan: compiling 1 rules/);
  });
});

describe('keyed fingerprints (item 9)', () => {
  const fingerprintOf = async (env: Record<string, string>) => {
    const result = await sseredact(['--json'], { input: SECRET_LINE, env });
    return (JSON.parse(text(result.stdout).split('\n')[0]!) as { fingerprint: string }).fingerprint;
  };

  test('not the plain SHA-256 of the secret: HMAC-SHA256 under SSEREDACT_HASH_KEY', async () => {
    const got = await fingerprintOf({ SSEREDACT_HASH_KEY: 'ci-key' });
    expect(got).toBe(`hmac-sha256:${createHmac('sha256', 'ci-key').update(AWS_KEY).digest('hex')}`);
    expect(got).not.toContain(createHash('sha256').update(AWS_KEY).digest('hex'));
  });

  test('without it, a per-user random key kept 0600 in $XDG_CONFIG_HOME/sseredact: stable for one user, not across users', async () => {
    const alice = directory('config');
    const bob = directory('config');
    const first = await fingerprintOf({ XDG_CONFIG_HOME: alice });
    expect(await fingerprintOf({ XDG_CONFIG_HOME: alice })).toBe(first);
    expect(await fingerprintOf({ XDG_CONFIG_HOME: bob })).not.toBe(first);
    const key = join(alice, 'sseredact', 'fingerprint.key');
    expect((statSync(key).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(alice, 'sseredact')).mode & 0o777).toString(8)).toBe('700');
    const hex = readFileSync(key, 'latin1').trim();
    expect(first).toBe(`hmac-sha256:${createHmac('sha256', Buffer.from(hex, 'hex')).update(AWS_KEY).digest('hex')}`);
  });

  test('the library fingerprints a finding as the CLI does (same user, same key)', async () => {
    const [finding] = redact(SECRET_LINE, { literals: [AWS_KEY], builtin: false }).findings;
    // This process and the CLI share the test run's XDG_CONFIG_HOME (test/cache-home.ts).
    expect(finding?.fingerprint).toBe(await fingerprintOf({}));
  });
});

test('SIGUSR1 neither stops a run nor opens a debugger: the line after it is redacted, status 0', async () => {
  const child = execa(BIN, [], { stdin: 'pipe', reject: false });
  child.stdin!.write('first line\n');
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  child.kill('SIGUSR1');
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.stdin!.end(`${SECRET_LINE}\n`);
  const result = await child;
  expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
    exitCode: 0,
    stdout: 'first line\nkey [REDACTED:aws-access-key-id] here',
    stderr: '',
  });
});
