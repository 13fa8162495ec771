import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { AWS_KEY, BIN, sseredact } from './cli.js';

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('latin1');

describe('sseredact as a filter', () => {
  test('redacts a secret from stdin and passes the rest byte for byte', async () => {
    const input = `start\nexport AWS_ACCESS_KEY_ID=${AWS_KEY}\n\xff\x00binary\r\nend`;
    const result = await sseredact([], { input: Buffer.from(input, 'latin1') });
    expect(result.exitCode).toBe(0);
    expect(text(result.stdout)).toBe(input.replace(AWS_KEY, '[REDACTED:aws-access-key-id]'));
    expect(text(result.stderr)).toBe('');
  });

  test('reads files in order, and - for stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sseredact-'));
    writeFileSync(join(dir, 'a.log'), `a ${AWS_KEY}\n`);
    const result = await sseredact([join(dir, 'a.log'), '-'], { input: 'from stdin\n' });
    expect(text(result.stdout)).toBe('a [REDACTED:aws-access-key-id]\nfrom stdin\n');
  });

  test('--pattern, --literal and --replace', async () => {
    const result = await sseredact(['--no-builtin', '--pattern', 'acme_[a-z0-9]{8}', '--literal', 'hunter2.(x)', '--replace', '<{rule}:{len}>'], {
      input: 'k=acme_abcd1234 p=hunter2.(x) q=hunter2xxx\n',
    });
    expect(text(result.stdout)).toBe('k=<pattern-1:13> p=<literal:11> q=hunter2xxx\n');
  });

  test('a gitleaks allowlist on the match drops that finding and no other', async () => {
    const rules = fileURLToPath(new URL('../../fixtures/rules/allowlist-match.toml', import.meta.url));
    const result = await sseredact(['--no-builtin', '--rules', rules], { input: 'a demo_abcd1234 b demo_test1234\n' });
    expect(text(result.stdout)).toBe('a [REDACTED:demo-key] b demo_test1234\n');
  });

  test('--replace "*4" masks and keeps the last bytes', async () => {
    const result = await sseredact(['--no-builtin', '--literal', 'abcdefghijklmnop', '--replace', '*4'], { input: 'x abcdefghijklmnop y' });
    expect(text(result.stdout)).toBe('x ************mnop y');
  });

  test('--json writes one record per finding and a summary, never the secret', async () => {
    const result = await sseredact(['--json'], { input: `line one\n  key ${AWS_KEY} here\n` });
    const records = text(result.stdout)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ type: 'finding', stream: '-', rule: 'aws-access-key-id', start: 15, end: 35, line: 2, column: 7 });
    expect(records[0].fingerprint).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(text(result.stdout)).not.toContain(AWS_KEY);
    expect(records[1]).toEqual({ type: 'summary', streams: 1, bytes: 41, findings: 1, rules: { 'aws-access-key-id': 1 } });
  });

  test('--show-secret puts the secret in the record', async () => {
    const result = await sseredact(['--json', '--show-secret'], { input: AWS_KEY });
    expect(JSON.parse(text(result.stdout).split('\n')[0]!).secret).toBe(AWS_KEY);
  });

  test('--records FILE: redacted bytes on stdout, records in the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sseredact-'));
    const records = join(dir, 'records.ndjson');
    const result = await sseredact(['--records', records], { input: `x ${AWS_KEY}\n` });
    expect(text(result.stdout)).toBe('x [REDACTED:aws-access-key-id]\n');
    const lines = readFileSync(records, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((r) => r.type)).toEqual(['finding', 'summary']);
  });
});

describe('exit status and errors', () => {
  test.each([
    ['unknown option', ['--bogus'], /^sseredact: unknown option '--bogus'\n$/],
    ['missing file', ['/nonexistent/file.log'], /^sseredact: cannot read \/nonexistent\/file.log: no such file\n$/],
    ['bad regex', ['--pattern', 'a(b'], /^sseredact: rule pattern-1 \(cli\): bad regex: missing \) at offset 1\n$/],
    ['lookaround', ['--pattern', '(?=x)y'], /lookaround is not supported/],
    ['bad --max-match', ['--max-match', 'lots'], /^sseredact: option '--max-match <bytes>' argument 'lots' is invalid/],
    ['no rules', ['--no-builtin'], /^sseredact: no rules/],
  ])('%s: one line on stderr, exit 2', async (_label, args, stderr) => {
    const result = await sseredact(args, { input: '' });
    expect(result.exitCode).toBe(2);
    expect(text(result.stderr)).toMatch(stderr);
    expect(text(result.stderr).trim().split('\n')).toHaveLength(1);
  });

  test('--fail-on-match exits 1 when something was redacted, 0 when clean', async () => {
    expect((await sseredact(['--fail-on-match'], { input: AWS_KEY })).exitCode).toBe(1);
    expect((await sseredact(['--fail-on-match'], { input: 'clean' })).exitCode).toBe(0);
  });

  test('--help and --version exit 0', async () => {
    const help = await sseredact(['--help']);
    expect(help.exitCode).toBe(0);
    expect(text(help.stdout)).toContain('Examples:');
    const version = await sseredact(['--version']);
    expect(text(version.stdout).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('| head ends quietly with status 0', async () => {
    const result = await execa('bash', ['-c', `set -o pipefail; yes 'a clean line of log output' | head -c 20000000 | "${BIN}" | head -n 2 >/dev/null; echo "\${PIPESTATUS[2]}"`], {
      reject: false,
    });
    expect(result.stdout.trim()).toBe('0');
    expect(result.stderr).toBe('');
  });
});

describe('start-up caches', () => {
  const corpus = readFileSync(fileURLToPath(new URL('../../fixtures/corpus/secretlint.jsonl', import.meta.url)));
  const engines = 'addon' in loadAddon() ? ['ts', 'vectorscan'] : ['ts'];

  test.each(engines)('--engine %s: a warm start redacts and reports exactly as a cold one', async (engine) => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'sseredact-e2e-cache-'));
    const run = () =>
      sseredact(['--engine', engine, '--verbose', '--records', 'fd:3'], { input: corpus, env: { XDG_CACHE_HOME: cacheHome }, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    try {
      const cold = await run();
      expect(text(cold.stderr)).toMatch(/rule analyses: nothing cached/);
      expect(readdirSync(join(cacheHome, 'sseredact'))).toContainEqual(expect.stringMatching(/^rules-/));
      expect(readdirSync(join(cacheHome, 'sseredact'))).toContainEqual(expect.stringMatching(engine === 'ts' ? /^ts-/ : /^vectorscan-/));
      const warm = await run();
      // The confirmer's programs are cached by a run that outlives their background build (test/e2e/program-cache.test.ts).
      expect(text(warm.stderr)).not.toMatch(/(rule analyses|ts automaton|vectorscan|vectorscan: cached database): nothing cached/);
      expect(warm.exitCode).toBe(0);
      expect(text(warm.stdout)).toContain('[REDACTED:');
      expect(text(warm.stdout)).toBe(text(cold.stdout));
      expect(text(warm.stdio[3])).toMatch(/"rule":/);
      expect(text(warm.stdio[3])).toBe(text(cold.stdio[3]));
    } finally {
      rmSync(cacheHome, { recursive: true, force: true });
    }
  });
});

describe('latency', () => {
  test('a clean line leaves the process before the next line is written', async () => {
    const child = execa(BIN, [], { reject: false, buffer: false });
    let seen = '';
    child.stdout!.setEncoding('latin1');
    child.stdout!.on('data', (data: string) => (seen += data));
    for (let i = 0; i < 5; i++) {
      const line = `line ${i} without secrets\n`;
      child.stdin!.write(line);
      while (!seen.endsWith(line)) await once(child.stdout!, 'data');
    }
    child.stdin!.write(`and a secret ${AWS_KEY}\n`);
    while (!seen.includes('[REDACTED')) await once(child.stdout!, 'data');
    child.stdin!.end();
    expect((await child).exitCode).toBe(0);
    expect(seen).not.toContain(AWS_KEY);
  });
});
