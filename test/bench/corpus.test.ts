/**
 * The bench corpus generator (bench/corpus.mjs): deterministic bytes, exact sizes, and a sidecar
 * whose offsets point at exactly the planted text.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { BAIT_KINDS, type CorpusOptions, type PlantedEvent, SECRET_KINDS, SHAPES, type Sidecar, generateCorpus, parseSize, writeCorpus } from '../../bench/corpus.mjs';

const CORPUS_CLI = fileURLToPath(new URL('../../bench/corpus.mjs', import.meta.url));
const KiB = 1024;
const MiB = 1024 * KiB;

const workDir = mkdtempSync(join(tmpdir(), 'sseredact-corpus-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function corpus(options: CorpusOptions): { bytes: Buffer; chunks: Buffer[]; planted: PlantedEvent[] } {
  const planted: PlantedEvent[] = [];
  const chunks = [...generateCorpus({ ...options, onPlant: (record) => planted.push(record) })];
  return { bytes: Buffer.concat(chunks), chunks, planted };
}

/** What each kind of planted secret looks like, anchored (the text is exactly the secret). */
const SECRET_SHAPES: Record<string, RegExp> = {
  'aws-access-key-id': /^AKIA[A-Z2-7]{16}$/,
  'github-pat-classic': /^ghp_[0-9A-Za-z]{36}$/,
  'github-pat-fine-grained': /^github_pat_[0-9A-Za-z]{22}_[0-9A-Za-z]{59}$/,
  'gitlab-pat': /^glpat-[0-9A-Za-z_-]{20}$/,
  'slack-bot-token': /^xoxb-[0-9]{10,13}-[0-9]{10,13}-[0-9A-Za-z]{24}$/,
  'stripe-live-key': /^sk_live_(?:[0-9A-Za-z]{24}|[0-9A-Za-z]{99})$/,
  'google-api-key': /^AIza[0-9A-Za-z_-]{35}$/,
  'openai-project-key': /^sk-proj-[0-9A-Za-z_-]{74}T3BlbkFJ[0-9A-Za-z_-]{74}$/,
  'anthropic-api-key': /^sk-ant-api03-[0-9A-Za-z_-]{93}AA$/,
  'npm-token': /^npm_[0-9A-Za-z]{36}$/,
  jwt: /^eyJ[0-9A-Za-z_-]+\.eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]{43}$/,
  'pem-private-key': /^-----BEGIN ([A-Z ]*PRIVATE KEY)-----\n(?:[0-9A-Za-z+/]{64}\n)*[0-9A-Za-z+/]{1,63}=*\n-----END \1-----$/,
  'password-assignment': /^[^\s"'`;,$]{12,24}$/,
  'postgres-url-password': /^[0-9A-Za-z._~-]{12,32}$/,
};

describe('generateCorpus', () => {
  test('the same seed gives the same bytes, a different seed different bytes', () => {
    const first = corpus({ bytes: MiB, seed: 7 }).bytes;
    expect(corpus({ bytes: MiB, seed: 7 }).bytes.equals(first)).toBe(true);
    expect(corpus({ bytes: MiB, seed: '7' }).bytes.equals(first)).toBe(true);
    expect(corpus({ bytes: MiB, seed: 8 }).bytes.equals(first)).toBe(false);
  });

  test.each([
    ['empty', 0, MiB],
    ['one byte', 1, MiB],
    ['two bytes', 2, MiB],
    ['one line or so', 100, MiB],
    ['one chunk exactly', 4096, 4096],
    ['one byte over a chunk', 4097, 4096],
    ['many 7-byte chunks', 5000, 7],
    ['odd size, default chunks', 300_007, MiB],
    ['several default chunks', 2 * MiB + 3, MiB],
  ])('size is exact: %s (%i bytes, %i-byte chunks)', (_label, bytes, chunkBytes) => {
    const { chunks } = corpus({ bytes, seed: 3, chunkBytes });
    expect(chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(bytes);
    chunks.slice(0, -1).forEach((chunk) => expect(chunk.length).toBe(chunkBytes));
    if (bytes > 0) expect(chunks.at(-1)?.at(-1)).toBe(0x0a);
  });

  test('the chunk size does not change the bytes or the planted records', () => {
    const whole = corpus({ bytes: 200 * KiB, seed: 5, secretEvery: 4 * KiB });
    const small = corpus({ bytes: 200 * KiB, seed: 5, secretEvery: 4 * KiB, chunkBytes: 7 });
    expect(small.bytes.equals(whole.bytes)).toBe(true);
    expect(small.planted).toEqual(whole.planted);
  });

  test('every planted secret and bait is at the offset it is reported at', () => {
    const { bytes, planted } = corpus({ bytes: 2 * MiB, seed: 11, secretEvery: 8 * KiB, baitEvery: 8 * KiB });
    expect(planted.length).toBeGreaterThan(200);
    for (const record of planted) {
      expect(bytes.toString('latin1', record.offset, record.offset + record.length), `${record.type} ${record.kind} @${record.offset}`).toBe(record.text);
    }
  });

  test("every kind is planted, each secret has its kind's shape, and nothing overlaps", () => {
    const { planted } = corpus({ bytes: 2 * MiB, seed: 11, secretEvery: 8 * KiB, baitEvery: 8 * KiB });
    const secrets = planted.filter((record) => record.type === 'secret');
    expect(new Set(secrets.map((record) => record.kind))).toEqual(new Set(SECRET_KINDS));
    expect(new Set(planted.filter((record) => record.type === 'bait').map((record) => record.kind))).toEqual(new Set(BAIT_KINDS));
    for (const secret of secrets) expect(secret.text, secret.kind).toMatch(SECRET_SHAPES[secret.kind] ?? /^$/);
    const sorted = [...planted].sort((a, b) => a.offset - b.offset);
    sorted.slice(1).forEach((record, i) => expect(record.offset).toBeGreaterThanOrEqual(sorted[i]!.offset + sorted[i]!.length));
  });

  test.each(SHAPES.filter((shape) => shape !== 'ci-log'))('shape %s: exact size, every planted record at its offset', (shape) => {
    const { bytes, planted } = corpus({ bytes: MiB + 7, seed: 6, shape });
    expect(bytes.length).toBe(MiB + 7);
    expect(planted.filter((record) => record.type === 'secret').length).toBeGreaterThan(shape === 'dense' ? 60 : 6);
    for (const record of planted) {
      expect(bytes.toString('latin1', record.offset, record.offset + record.length), `${record.type} ${record.kind} @${record.offset}`).toBe(record.text);
    }
  });

  test('the shapes are what they say: one line, long minified lines, mostly base64, 10x the secrets', () => {
    const lines = (shape: (typeof SHAPES)[number]) =>
      corpus({ bytes: 2 * MiB, seed: 6, shape })
        .bytes.toString('latin1')
        .split('\n');
    const longest = (shape: (typeof SHAPES)[number]) => Math.max(...lines(shape).map((line) => line.length));
    const secrets = (shape: (typeof SHAPES)[number]) => corpus({ bytes: 2 * MiB, seed: 6, shape }).planted.filter((record) => record.type === 'secret').length;
    const base64Lines = lines('base64').filter((line) => /^[A-Za-z0-9+/]{76}$/.test(line)).length;
    expect({
      oneLine: lines('one-line').length,
      minifiedLongest: longest('minified-js') > 64 * KiB,
      ciLogLongest: longest('ci-log') < 4 * KiB,
      mostlyBase64: base64Lines > lines('base64').length / 4,
      // Gaps are drawn at random: about ten times as many, within a fifth.
      isDenseTenfold: Math.abs(secrets('dense') / secrets('ci-log') - 10) <= 2,
    }).toEqual({ oneLine: 2, minifiedLongest: true, ciLogLongest: true, mostlyBase64: true, isDenseTenfold: true });
  });

  test('the ci-log shape is the default: its bytes do not depend on the option', () => {
    expect(corpus({ bytes: 300 * KiB, seed: 6, shape: 'ci-log' }).bytes.equals(corpus({ bytes: 300 * KiB, seed: 6 }).bytes)).toBe(true);
  });

  test('about one secret per 100 KiB by default', () => {
    const { planted } = corpus({ bytes: 4 * MiB, seed: 2 });
    const secrets = planted.filter((record) => record.type === 'secret').length;
    expect(secrets).toBeGreaterThan(30);
    expect(secrets).toBeLessThan(52);
  });

  test('the bytes are valid UTF-8 with LF line ends', () => {
    const { bytes } = corpus({ bytes: MiB + 1, seed: 9 });
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).not.toThrow();
    expect(bytes.includes('\r')).toBe(false);
  });
});

describe('writeCorpus and the CLI', () => {
  test('writeCorpus streams the same bytes to a file and lists the planted records in the sidecar', () => {
    const out = join(workDir, 'api.log');
    const result = writeCorpus({ bytes: 300 * KiB, seed: 4, out, secretEvery: 16 * KiB });
    const expected = corpus({ bytes: 300 * KiB, seed: 4, secretEvery: 16 * KiB });
    expect(readFileSync(out).equals(expected.bytes)).toBe(true);
    const sidecar = JSON.parse(readFileSync(result.sidecar, 'utf8')) as Sidecar;
    expect(sidecar).toMatchObject({ generator: 'sseredact-bench-corpus', seed: 4, bytes: 300 * KiB, secretEvery: 16 * KiB });
    expect(sidecar.secrets).toEqual(expected.planted.filter((r) => r.type === 'secret').map(({ type: _type, ...record }) => record));
    expect(sidecar.baits).toEqual(expected.planted.filter((r) => r.type === 'bait').map(({ type: _type, ...record }) => record));
  });

  test('node bench/corpus.mjs --size 64KiB --out FILE writes the corpus and FILE.secrets.json', async () => {
    const out = join(workDir, 'cli.log');
    await execa(process.execPath, [CORPUS_CLI, '--size', '64KiB', '--out', out, '--seed', '12', '--secret-every', '4KiB']);
    const bytes = readFileSync(out);
    expect(bytes.equals(corpus({ bytes: 64 * KiB, seed: '12', secretEvery: 4 * KiB }).bytes)).toBe(true);
    const sidecar = JSON.parse(readFileSync(`${out}.secrets.json`, 'utf8')) as Sidecar;
    expect(sidecar.secrets.length).toBeGreaterThan(5);
    for (const secret of sidecar.secrets) expect(bytes.toString('latin1', secret.offset, secret.offset + secret.length)).toBe(secret.text);
  });

  test.each([
    ['256MiB', 256 * MiB],
    ['1GiB', 1024 * MiB],
    ['100KB', 100_000],
    ['64k', 64 * KiB],
    ['4096', 4096],
  ])('parseSize(%s) = %i', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  test('parseSize refuses what it cannot read', () => {
    expect(() => parseSize('lots')).toThrow(RangeError);
  });
});
