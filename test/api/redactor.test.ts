/**
 * The library's streams (src/index.ts): createRedactor() as a Node Transform and as a WHATWG
 * TransformStream must give exactly what redact() gives on the whole input, however the input is
 * chunked, and must fail closed.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Database, OnMatch, Scanner } from '../../src/engine/engine.js';
import { type CompiledRules, type Finding, type Redactor, compileRules, createRedactor, createRedactorStream, redact, scan } from '../../src/index.js';
import { cutAt, everyBytes } from '../support.js';

const AWS_KEY = 'AKIAZ7VQ3XJ5K2LMN4PQ';
const TOKEN = '#tok-9f8e7d6c5b4a';
/** Own rules, so that the expected output does not change with the built-in pack. */
const RULES = compileRules({ builtin: false, rules: [{ id: 'aws-key', regex: '\\b(?:AKIA|ASIA)[A-Z2-7]{16}\\b' }], literals: [TOKEN] });

const INPUT = Buffer.from(
  [
    'starting deploy',
    `export AWS_ACCESS_KEY_ID=${AWS_KEY}`,
    `curl -H "Authorization: Bearer ${TOKEN}" https://example.test`,
    'binary \xff\x00 and CRLF\r',
    `two in a row ${AWS_KEY}${TOKEN} end`,
    `at EOF without newline ${AWS_KEY}`,
  ].join('\n'),
  'latin1',
);

/** Pipes `chunks` through `redactor`; returns the pushed chunks and the findings, in order. */
async function runNode(redactor: Redactor, chunks: readonly Uint8Array[]) {
  const pushed: Buffer[] = [];
  const findings: Finding[] = [];
  redactor.on('finding', (finding) => findings.push(finding));
  await pipeline(
    Readable.from(chunks.map((chunk) => Buffer.from(chunk))),
    redactor,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        pushed.push(chunk);
        callback();
      },
    }),
  );
  return { output: Buffer.concat(pushed), pushed, findings };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
}

function webSource(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe('createRedactor over a chunked Readable equals redact() on the whole input', () => {
  const whole = redact(INPUT, { compiled: RULES });

  test('the expected redaction, to start with', () => {
    expect(whole.output.toString('latin1')).toBe(
      [
        'starting deploy',
        'export AWS_ACCESS_KEY_ID=[REDACTED:aws-key]',
        'curl -H "Authorization: Bearer [REDACTED:literal]" https://example.test',
        'binary \xff\x00 and CRLF\r',
        'two in a row [REDACTED:literal] end', // touching secrets merge into one region, named after the narrowest match
        'at EOF without newline [REDACTED:aws-key]',
      ].join('\n'),
    );
    expect(whole.findings.map((f) => f.rule)).toEqual(['aws-key', 'literal', 'aws-key', 'literal', 'aws-key']);
  });

  test.each([
    ['one chunk', [INPUT]],
    ['1-byte chunks', everyBytes(INPUT, 1)],
    ['7-byte chunks', everyBytes(INPUT, 7)],
    ['cut inside both secrets of the touching pair', cutAt(INPUT, [INPUT.indexOf(`${AWS_KEY}${TOKEN}`) + 5, INPUT.indexOf(`${AWS_KEY}${TOKEN}`) + 25])],
  ])('%s', async (_label, chunks) => {
    const got = await runNode(createRedactor({ compiled: RULES }), chunks);
    expect(got.output.toString('latin1')).toBe(whole.output.toString('latin1'));
    expect(got.findings).toEqual(whole.findings);
  });

  test('random cuts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: INPUT.length }), { maxLength: 40 }), async (cuts) => {
        const got = await runNode(createRedactor({ compiled: RULES }), cutAt(INPUT, cuts));
        expect(got.output.equals(whole.output)).toBe(true);
        expect(got.findings).toEqual(whole.findings);
      }),
      { numRuns: 200 },
    );
  });

  test('options without `compiled` compile their own rules; strings are written as UTF-8', async () => {
    const redactor = createRedactor({ builtin: false, literals: ['päss-wörd'], replace: '*' });
    const got = await runNode(redactor, [Buffer.from('user pä'), Buffer.from('ss-wörd ok\n')]);
    expect(got.output.toString('utf8')).toBe(`user ${'*'.repeat(Buffer.byteLength('päss-wörd'))} ok\n`);
    expect(scan('x päss-wörd', { builtin: false, literals: ['päss-wörd'] })).toHaveLength(1);
  });
});

describe('findings events', () => {
  test('carry rule, offsets, line, column and fingerprint, but not the secret', async () => {
    const got = await runNode(createRedactor({ compiled: RULES }), everyBytes(INPUT, 3));
    const first = got.findings[0]!;
    expect(first).toEqual({
      rule: 'aws-key',
      start: INPUT.indexOf(AWS_KEY),
      end: INPUT.indexOf(AWS_KEY) + AWS_KEY.length,
      line: 2,
      column: 'export AWS_ACCESS_KEY_ID='.length + 1,
      fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/),
    });
    expect('secret' in first).toBe(false);
    expect(JSON.stringify(got.findings)).not.toContain(AWS_KEY);
    expect(JSON.stringify(got.findings)).not.toContain(TOKEN);
  });

  test('carry the secret with showSecret', async () => {
    const got = await runNode(createRedactor({ compiled: RULES, showSecret: true }), [INPUT]);
    expect(got.findings.map((f) => f.secret)).toEqual([AWS_KEY, TOKEN, AWS_KEY, TOKEN, AWS_KEY]);
  });

  test('the same secret has the same fingerprint', async () => {
    const got = await runNode(createRedactor({ compiled: RULES }), [INPUT]);
    const byRule = got.findings.filter((f) => f.rule === 'literal');
    expect(new Set(byRule.map((f) => f.fingerprint)).size).toBe(1);
  });

  test('a finding is emitted before the bytes that replace it are pushed', async () => {
    const redactor = createRedactor({ compiled: RULES });
    const order: string[] = [];
    redactor.on('finding', (finding) => order.push(`finding ${finding.rule}`));
    redactor.on('data', (chunk: Buffer) => order.push(`data ${chunk.toString('latin1')}`));
    redactor.write(`a ${TOKEN}`);
    redactor.end(' b\n');
    await new Promise((resolve) => redactor.on('end', resolve));
    const replacedAt = order.findIndex((entry) => entry.startsWith('data') && entry.includes('[REDACTED'));
    expect(order.indexOf('finding literal')).toBe(replacedAt - 1);
    expect(
      order
        .filter((entry) => entry.startsWith('data'))
        .map((entry) => entry.slice(5))
        .join(''),
    ).toBe('a [REDACTED:literal] b\n');
  });

  test('the built-in pack is on by default', () => {
    const findings = scan(`export AWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
    expect(findings.map((f) => f.rule)).toContain('aws-access-key-id');
  });
});

describe('compiled rules shared between redactors', () => {
  test('two concurrent redactors on one compiled rule set keep their state apart', async () => {
    // Interleave the writes of two streams: each holds half a secret while the other is written to.
    const a = createRedactor({ compiled: RULES, showSecret: true });
    const b = createRedactor({ compiled: RULES, showSecret: true });
    const outA: Buffer[] = [];
    const outB: Buffer[] = [];
    const findingsA: Finding[] = [];
    const findingsB: Finding[] = [];
    a.on('data', (chunk: Buffer) => outA.push(chunk)).on('finding', (f) => findingsA.push(f));
    b.on('data', (chunk: Buffer) => outB.push(chunk)).on('finding', (f) => findingsB.push(f));
    a.write(`stream a: ${AWS_KEY.slice(0, 10)}`);
    b.write(`stream b: ${TOKEN.slice(0, 6)}`);
    a.write(`${AWS_KEY.slice(10)} and ${TOKEN.slice(0, 4)}`);
    b.write(`${AWS_KEY.slice(10)} then ${TOKEN.slice(6)}\n`);
    a.end(`${TOKEN.slice(4)}\n`);
    b.end();
    await Promise.all([new Promise((resolve) => a.on('end', resolve)), new Promise((resolve) => b.on('end', resolve))]);
    expect(Buffer.concat(outA).toString()).toBe('stream a: [REDACTED:aws-key] and [REDACTED:literal]\n');
    // b's first half-token followed by the tail of a's key is no secret; then its token's tail alone is none either.
    expect(Buffer.concat(outB).toString()).toBe(`stream b: ${TOKEN.slice(0, 6)}${AWS_KEY.slice(10)} then ${TOKEN.slice(6)}\n`);
    expect(findingsA.map((f) => f.secret)).toEqual([AWS_KEY, TOKEN]);
    expect(findingsB).toEqual([]);
  });

  test('compileRules() gives the rule ids; one compiled set serves many streams at once', async () => {
    expect(RULES.ruleIds).toEqual(['aws-key', 'literal']);
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => runNode(createRedactor({ compiled: RULES }), everyBytes(INPUT, 1 + i))));
    const whole = redact(INPUT, { compiled: RULES }).output;
    for (const run of runs) expect(run.output.equals(whole)).toBe(true);
  });
});

describe('WHATWG streams', () => {
  const whole = redact(INPUT, { compiled: RULES }).output;

  test.each([
    ['createRedactorStream()', () => createRedactorStream({ compiled: RULES })],
    ['createRedactor().toWeb()', () => createRedactor({ compiled: RULES }).toWeb()],
  ])('%s in a ReadableStream pipeThrough', async (_label, open) => {
    for (const chunks of [[INPUT], everyBytes(INPUT, 1), everyBytes(INPUT, 5)]) {
      const output = await readAll(webSource(chunks).pipeThrough(open()));
      expect(output.toString('latin1')).toBe(whole.toString('latin1'));
    }
  });

  test('they are real TransformStreams', () => {
    expect(createRedactorStream({ compiled: RULES })).toBeInstanceOf(TransformStream);
    expect(createRedactor({ compiled: RULES }).toWeb()).toBeInstanceOf(TransformStream);
  });

  test('findings of a web stream are events on the redactor it came from', async () => {
    const redactor = createRedactor({ compiled: RULES });
    const findings: Finding[] = [];
    redactor.on('finding', (finding) => findings.push(finding));
    await readAll(webSource(everyBytes(INPUT, 4)).pipeThrough(redactor.toWeb()));
    expect(findings).toEqual(redact(INPUT, { compiled: RULES }).findings);
  });

  test('a Response body piped through it, as in a fetch handler', async () => {
    const response = new Response(webSource(everyBytes(INPUT, 9)).pipeThrough(createRedactorStream({ compiled: RULES })));
    expect(Buffer.from(await response.arrayBuffer()).equals(whole)).toBe(true);
  });
});

/**
 * Rules whose scanner works for the first `healthyWrites` writes, then throws: a stand-in for an
 * engine failure half-way through a stream. The database and scanner inherit everything else from
 * the real ones (Object.create), so the stand-in keeps up with the engine interface.
 */
function failingRules(healthyWrites: number, failOn: 'write' | 'end' = 'write'): CompiledRules {
  const database = RULES.ruleSet.database;
  const failing: Database = Object.assign(Object.create(database) as Database, {
    open(): Scanner {
      const scanner = database.open();
      let writes = 0;
      return Object.assign(Object.create(scanner) as Scanner, {
        write(chunk: Uint8Array, onMatch: OnMatch) {
          if (failOn === 'write' && ++writes > healthyWrites) throw new Error('scanner exploded');
          scanner.write(chunk, onMatch);
        },
        end(onMatch: OnMatch) {
          if (failOn === 'end') throw new Error('scanner exploded at end');
          scanner.end(onMatch);
        },
      });
    },
  });
  return { ruleIds: RULES.ruleIds, ruleSet: { rules: RULES.ruleSet.rules, database: failing } };
}

describe('fail closed', () => {
  // Chunk 3 ends with the first 8 bytes of a key; its rest would arrive in chunk 4, where the
  // scanner fails (its 5th write).
  const lines = ['line 0 clean\n', 'line 1 clean\n', 'line 2 clean\n', `line 3 key ${AWS_KEY.slice(0, 8)}`, `${AWS_KEY.slice(8)} more\n`, 'line 5 clean\n'].map((line) =>
    Buffer.from(line),
  );

  test('an engine error mid-stream errors the Node stream and nothing is pushed after it', async () => {
    const redactor = createRedactor({ compiled: failingRules(4) });
    const pushed: string[] = [];
    let failedAfter = -1;
    redactor.on('data', (chunk: Buffer) => pushed.push(chunk.toString('latin1')));
    const failure = pipeline(Readable.from(lines), redactor, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
    redactor.on('error', () => (failedAfter = pushed.length));
    await expect(failure).rejects.toThrow('scanner exploded');
    expect(failedAfter).toBe(pushed.length);
    // What was pushed before is the clean lines 0-2: the half key of line 3 was held back.
    expect(pushed.join('')).toBe('line 0 clean\nline 1 clean\nline 2 clean\nline 3 key ');
    expect(pushed.join('')).not.toContain(AWS_KEY.slice(0, 8));
    expect(redactor.destroyed).toBe(true);
  });

  test('an error at end of stream pushes none of the held bytes', async () => {
    const redactor = createRedactor({ compiled: failingRules(Infinity, 'end') });
    const pushed: string[] = [];
    redactor.on('data', (chunk: Buffer) => pushed.push(chunk.toString('latin1')));
    const failure = pipeline(
      Readable.from([Buffer.from(`clean line\ntail ${AWS_KEY.slice(0, 12)}`)]),
      redactor,
      new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    );
    await expect(failure).rejects.toThrow('scanner exploded at end');
    expect(pushed.join('')).toBe('clean line\ntail ');
  });

  test('the web stream errors too, and its reader gets nothing after the error', async () => {
    const reader = webSource(lines)
      .pipeThrough(createRedactorStream({ compiled: failingRules(4) }))
      .getReader();
    const got: string[] = [];
    const error = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        got.push(Buffer.from(value).toString('latin1'));
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('scanner exploded');
    expect(got.join('')).toBe('line 0 clean\nline 1 clean\nline 2 clean\nline 3 key ');
    await expect(reader.read()).rejects.toThrow('scanner exploded');
  });

  test('a throwing finding listener fails the stream closed as well', async () => {
    const redactor = createRedactor({ compiled: RULES });
    const pushed: string[] = [];
    redactor.on('data', (chunk: Buffer) => pushed.push(chunk.toString('latin1')));
    redactor.on('finding', () => {
      throw new Error('listener failed');
    });
    const failure = pipeline(
      Readable.from([Buffer.from('ok\n'), Buffer.from(`k=${AWS_KEY}\nafter\n`)]),
      redactor,
      new Writable({ write: (_chunk, _encoding, callback) => callback() }),
    );
    await expect(failure).rejects.toThrow('listener failed');
    expect(pushed.join('')).toBe('ok\n');
  });
});

describe('rule choices the CLI has', () => {
  test('packs, disable and engine', () => {
    const withPii = redact('mail alice@corp-mail.net key AKIAZ7VQ3XJ5K2LMN4PQ', { packs: ['secrets', 'pii'] });
    expect(withPii.findings.map((f) => f.rule).sort()).toEqual(['aws-access-key-id', 'pii-email']);
    const disabled = redact('key AKIAZ7VQ3XJ5K2LMN4PQ', { disable: ['aws-access-key-id'] });
    expect(disabled.findings.map((f) => f.rule)).not.toContain('aws-access-key-id');
    expect(() => compileRules({ disable: ['no-such-rule'] })).toThrow(/--disable no-such-rule: no such rule/);
    expect(redact('key AKIAZ7VQ3XJ5K2LMN4PQ', { engine: 'auto' }).output.toString()).toBe('key [REDACTED:aws-access-key-id]');
  });
});

describe('the cache', () => {
  test("compileRules keeps its rules' analyses in the CLI's cache ($XDG_CACHE_HOME/sseredact), and a second compile takes them from there", () => {
    const home = process.env.XDG_CACHE_HOME;
    const directory = mkdtempSync(join(tmpdir(), 'sseredact-library-cache-'));
    process.env.XDG_CACHE_HOME = directory;
    try {
      const options = { builtin: false, rules: [{ id: 'library-cache', regex: 'lib_[a-z]{12}' }] };
      compileRules(options);
      const entries = () => readdirSync(join(directory, 'sseredact')).filter((name) => name.startsWith('rules-'));
      expect(entries()).toHaveLength(1);
      const written = statSync(join(directory, 'sseredact', entries()[0]!)).mtimeMs;
      expect(redact('x lib_abcdefghijkl y', { compiled: compileRules(options) }).output.toString()).toBe('x [REDACTED:library-cache] y');
      expect(statSync(join(directory, 'sseredact', entries()[0]!)).mtimeMs).toBe(written);
    } finally {
      process.env.XDG_CACHE_HOME = home;
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
