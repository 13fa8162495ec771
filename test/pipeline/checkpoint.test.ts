/**
 * Checkpoints in the pump (src/pipeline/redact-stream.ts): every clean point the redactor offers
 * is a place a new redactor can take over. A CI log with a secret every ~2 KiB (PEM keys spanning
 * lines, `password=` assignments) is redacted once with a checkpoint tried at every chunk; then
 * the run is resumed from sampled checkpoints (the output cut back to what was written there), and
 * the output and records must equal the uninterrupted run's, on both engines.
 *
 * SSEREDACT_CHECKPOINT_SEED replays a run (the seed is in every failure's label);
 * SSEREDACT_CHECKPOINT_RESUMES sets how many checkpoints are resumed from (default 12).
 */
import { describe, expect, test } from 'vitest';
import { generateCorpus } from '../../bench/corpus.mjs';
import { selectEngine } from '../../src/engine/select.js';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createStreamOpener } from '../../src/pipeline/open-stream.js';
import { type StreamPosition, type StreamSinks, redactSource } from '../../src/pipeline/redact-stream.js';
import { loadPack } from '../../src/rules/packs/index.js';
import { FindingTally } from '../../src/sinks/ndjson.js';
import type { ByteSink } from '../../src/sinks/output.js';
import { ruleSetOf } from '../support.js';

const SEED = Number(process.env.SSEREDACT_CHECKPOINT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RESUMES = Number(process.env.SSEREDACT_CHECKPOINT_RESUMES ?? 12);
const ENGINES = 'error' in loadAddon() ? (['ts'] as const) : (['ts', 'vectorscan'] as const);

/** A sink that keeps what it is given. */
function memorySink(): ByteSink & { readonly bytes: () => Buffer; readonly length: () => number } {
  const pieces: Buffer[] = [];
  let length = 0;
  return {
    isClosed: false,
    write: async (bytes) => {
      const piece = Buffer.from(bytes as Uint8Array);
      pieces.push(piece);
      length += piece.length;
    },
    end: async () => {},
    bytes: () => Buffer.concat(pieces),
    length: () => length,
  };
}

/** Chunks of 1 byte to 16 KiB from a seeded PRNG (mulberry32). */
function* randomChunks(input: Buffer, seed: number): Generator<Uint8Array> {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let at = 0; at < input.length; ) {
    const size = next() < 0.2 ? 1 + Math.floor(next() * 64) : 1 + Math.floor(next() * 16 * 1024);
    yield input.subarray(at, at + size);
    at += size;
  }
}

async function* asAsync(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

interface Saved {
  readonly position: StreamPosition;
  readonly output: number;
  readonly records: number;
  readonly findings: number;
}

/** Redacts `input` (a chunk per line) from `resumeFrom` on; returns output, records and the clean points. */
async function redactLines(openStream: ReturnType<typeof createStreamOpener>, input: string, resumeFrom?: StreamPosition) {
  const output = memorySink();
  const records = memorySink();
  const lines = input.slice(resumeFrom?.offset ?? 0).match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const cleanPoints: Array<{ position: StreamPosition; output: number; records: number }> = [];
  const sinks: StreamSinks = { output, records, showSecret: false, tally: new FindingTally() };
  await redactSource({ name: 's', chunks: asAsync(lines.map((line) => Buffer.from(line, 'latin1'))) }, openStream, sinks, {
    ...(resumeFrom === undefined ? {} : { resumeFrom }),
    every: 1,
    save: async (position) => {
      cleanPoints.push({ position, output: output.length(), records: records.length() });
    },
  });
  return { output: output.bytes().toString('latin1'), records: records.bytes().toString(), cleanPoints };
}

/**
 * Matches in flight across a line end, whose secret has not begun there: no clean point may be
 * offered inside them. `xy` and `k` are too short to anchor on, so no engine reports a candidate
 * before the match ends: only the redactor's in-flight analysis knows they are in flight.
 */
const IN_FLIGHT_RULES = [
  { id: 'assignment', regex: 'token\\s*=\\s*([A-Za-z0-9]{20})', secretGroup: 1 },
  { id: 'short-key', regex: 'xy\\s*=\\s*([0-9]{8})', secretGroup: 1 },
  { id: 'k', regex: '\\bk\\s+([0-9]{8})', secretGroup: 1 },
  { id: 'block', regex: 'BEGIN[\\s\\S]{0,200}?END' },
  { id: 'key-then-value', regex: '(?m)^key:\\n[ ]+([a-z0-9]{12})$', secretGroup: 1 },
];

test.each(ENGINES)('at a line end inside a match in flight no clean point is offered; resuming at any offered one gives the one-run output (engine %s)', async (engineName) => {
  const openStream = createStreamOpener(ruleSetOf(IN_FLIGHT_RULES, selectEngine(engineName)), {});
  const input = [
    'plain line\n',
    'token =\n',
    '   Abcdefghij0123456789 rest\n',
    'another plain line\n',
    'xy =\n',
    '   12345678 rest\n',
    'k\n',
    '\n',
    ' 87654321\n',
    'BEGIN\n',
    'inside\n',
    'END here\n',
    'key:\n',
    '   abcdef012345\n',
    'tail\n',
  ].join('');
  const whole = await redactLines(openStream, input);
  expect(whole.output).toBe(
    'plain line\ntoken =\n   [REDACTED:assignment] rest\nanother plain line\nxy =\n   [REDACTED:short-key] rest\nk\n\n [REDACTED:k]\n[REDACTED:block] here\nkey:\n   [REDACTED:key-then-value]\ntail\n',
  );
  const offsets = whole.cleanPoints.map(({ position }) => position.offset);
  const lineStart = (text: string): number => input.indexOf(text);
  // Inside a match in flight, never; elsewhere as the engine knows (the ts engine follows a lazy
  // `{0,200}?` past its first END: a superset, so later points come later there).
  const inFlight = [lineStart('   Abcd'), lineStart('   1234'), lineStart('\n\n') + 1, lineStart(' 8765'), lineStart('inside'), lineStart('END'), lineStart('   abcdef')];
  expect(offsets.filter((offset) => inFlight.includes(offset))).toEqual([]);
  expect(offsets.slice(0, 5)).toEqual([0, lineStart('token'), lineStart('another'), lineStart('xy'), lineStart('k\n')]);
  for (const cut of whole.cleanPoints) {
    const rest = await redactLines(openStream, input, cut.position);
    expect(whole.output.slice(0, cut.output) + rest.output, `resumed at ${cut.position.offset}`).toBe(whole.output);
    expect(whole.records.slice(0, cut.records) + rest.records, `resumed at ${cut.position.offset}`).toBe(whole.records);
  }
});

describe.each(ENGINES)('resuming at the clean points the redactor offers (engine %s)', (engineName) => {
  test(`a resumed run continues the output and records byte for byte (seed ${SEED})`, async () => {
    const input = Buffer.concat([...generateCorpus({ bytes: 1024 * 1024, seed: SEED, secretEvery: 2048 })]);
    const openStream = createStreamOpener(ruleSetOf(loadPack('secrets'), selectEngine(engineName)), { hashKey: 'k' });
    const saved: Saved[] = [];
    const run = async (chunks: Iterable<Uint8Array>, resumeFrom?: StreamPosition) => {
      const output = memorySink();
      const records = memorySink();
      const tally = new FindingTally();
      const sinks: StreamSinks = { output, records, showSecret: false, tally };
      await redactSource({ name: 'ci.log', chunks: asAsync(chunks) }, openStream, sinks, {
        ...(resumeFrom === undefined ? {} : { resumeFrom }),
        every: 1,
        save: async (position) => {
          if (resumeFrom === undefined) saved.push({ position, output: output.length(), records: records.length(), findings: tally.findings });
        },
      });
      return { output, records, tally };
    };
    const whole = await run(randomChunks(input, SEED));
    const cuts = saved.filter(({ position }) => position.offset > 0);
    // Enough clean points to make the test mean something, and not every line: PEM keys hold some back.
    expect(cuts.length).toBeGreaterThan(100);
    expect(whole.tally.findings).toBeGreaterThan(400);
    for (let i = 0; i < RESUMES; i++) {
      const cut = cuts[Math.floor(((i + 0.5) * cuts.length) / RESUMES)]!;
      const label = `engine ${engineName}, seed ${SEED}, resumed at byte ${cut.position.offset}`;
      const rest = await run(randomChunks(input.subarray(cut.position.offset), SEED + i), cut.position);
      const output = Buffer.concat([whole.output.bytes().subarray(0, cut.output), rest.output.bytes()]);
      const records = Buffer.concat([whole.records.bytes().subarray(0, cut.records), rest.records.bytes()]).toString();
      expect(output.equals(whole.output.bytes()), label).toBe(true);
      expect(records, label).toBe(whole.records.bytes().toString());
      expect(cut.findings + rest.tally.findings, label).toBe(whole.tally.findings);
    }
  }, 300_000);
});
