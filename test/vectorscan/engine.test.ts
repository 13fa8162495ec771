/**
 * The vectorscan engine adapter: treatments, the fallback to the ts engine, the horizon, the
 * compile cache, and engine selection. Skipped when the addon is not built.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { describeEngines, selectEngine } from '../../src/engine/select.js';
import { tsEngine } from '../../src/engine/ts/engine.js';
import { type Addon, loadAddon } from '../../src/engine/vectorscan/addon.js';
import { type VectorscanOptions, createVectorscanEngine } from '../../src/engine/vectorscan/engine.js';
import { isErrorOfType } from '../../src/errors.js';
import { compileRules } from '../../src/rules/compile.js';
import type { Match } from '../../src/types.js';

const load = loadAddon();
const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));

function collect(): { matches: Match[]; onMatch: (m: Match) => void } {
  const matches: Match[] = [];
  return { matches, onMatch: (m) => matches.push(m) };
}

let cacheDirectory: string;
beforeEach(() => {
  cacheDirectory = mkdtempSync(join(tmpdir(), 'sseredact-vs-test-'));
});
afterEach(() => {
  rmSync(cacheDirectory, { recursive: true, force: true });
});

describe.skipIf(!('addon' in load))('vectorscan engine', () => {
  const addon = ('addon' in load ? load.addon : undefined) as Addon;
  const engineWith = (options: VectorscanOptions = {}) => createVectorscanEngine(addon, { cacheDirectory, ...options });

  test('reports spans with rule indices and absolute offsets (exact starts with som)', () => {
    const rules = compileRules([
      { id: 'aws', regex: 'AKIA[A-Z0-9]{16}' },
      { id: 'word', regex: '\\bpass[a-z]*\\b' },
    ]);
    const scanner = engineWith({ firstTreatment: 'som' }).compile(rules).open();
    const { matches, onMatch } = collect();
    scanner.write(bytes('key AKIAABCDEFGHIJKLMNOP pass'), onMatch);
    scanner.write(bytes('word.'), onMatch);
    scanner.end(onMatch);
    // The leading word boundary is dropped, the one where the match ends is kept (pattern.ts): 'pass'
    // at the end of the first chunk is no candidate yet, 'password' is once the '.' after it comes.
    expect(matches).toEqual([
      { rule: 0, start: 4, end: 24 },
      { rule: 1, start: 25, end: 33 },
    ]);
  });

  test('a fixed-width token ending in a word boundary is no candidate inside a longer word', () => {
    // The legacy Vault token shape, and the stack-trace frame that made it 4.9k candidates per 64 MiB of CI log.
    const scanner = engineWith()
      .compile(compileRules([{ id: 'vault', regex: '\\bs\\.[A-Za-z0-9]{24}\\b' }]))
      .open();
    const { matches, onMatch } = collect();
    scanner.write(bytes('at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n'), onMatch);
    scanner.write(bytes('token s.AbCdEfGhIjKlMnOpQrStUvWx\n'), onMatch);
    scanner.end(onMatch);
    expect(matches).toEqual([{ rule: 0, start: 84, end: 110 }]);
  });

  test('with firstTreatment som: som where Vectorscan takes it, end where start tracking is too large', () => {
    const rules = compileRules([
      { id: 'exact', regex: 'tok_[a-z]{8}' },
      { id: 'wide', regex: '[a-z]{0,64}x[a-z]{0,64}' },
    ]);
    const messages: string[] = [];
    const database = engineWith({ firstTreatment: 'som', log: (m) => messages.push(m) }).compile(rules);
    expect(database.stats.modes).toEqual(['som', 'end']);
    expect(messages.join('\n')).toMatch(/rule wide: end \(som: Pattern is too large/);
    const { matches, onMatch } = collect();
    const scanner = database.open();
    scanner.write(bytes('..abxcd'), onMatch);
    // The end-only rule reports end - maxWidth (clamped at 0) as the lower bound of the start,
    // its run of ends (5, 6, 7) as one candidate.
    expect(matches).toEqual([{ rule: 1, start: 0, end: 7 }]);
  });

  // Regression: clamped at the stream's start, the two ends shared start 0 and merged into one
  // candidate ending at 7, and the confirmer, bounding starts by the newline before 7, lost xyz.
  test('end-only candidates near the stream start stay one per end, so a match before a newline is kept', () => {
    const rules = compileRules([{ id: 'r', regex: '(x+y?)+z' }], { maxMatch: 64 });
    const { matches, onMatch } = collect();
    engineWith().compile(rules).open().write(bytes('xyz\nxyz'), onMatch);
    expect(matches.map((m) => m.end)).toEqual([3, 7]);
  });

  test('a rule that can match nothing needs no engine and never matches', () => {
    const database = engineWith().compile(
      compileRules([
        { id: 'none', regex: 'a[^\\x00-\\xff]' },
        { id: 'b', regex: 'b' },
      ]),
    );
    expect(database.stats.modes).toEqual(['never', 'end']);
    const { matches, onMatch } = collect();
    database.open().write(bytes('ab'), onMatch);
    expect(matches).toEqual([{ rule: 1, start: 1, end: 2 }]);
  });

  // An addon that refuses every expression containing 'q' (\x71), however compiled, alone or in a
  // set: stands in for a pattern Vectorscan cannot take at all, which no small real pattern
  // reliably is.
  const refusing: Addon = {
    ...addon,
    check: (expression, flags, mode) => (expression.includes('\\x71') ? 'refused for the test' : addon.check(expression, flags, mode)),
    compile: (expressions, flags, ids, maxWidths, mode) => {
      const refused = expressions.findIndex((expression) => expression.includes('\\x71'));
      if (refused < 0) return addon.compile(expressions, flags, ids, maxWidths, mode);
      throw Object.assign(new Error('refused for the test'), {
        code: 'HS_COMPILER_ERROR',
        expression: refused,
        id: ids[refused],
        hsMessage: 'refused for the test',
      });
    },
  };

  test.each(['som', 'end'] as const)('first treatment %s: a rule Vectorscan refuses runs on the fallback engine inside the same scanner', (first) => {
    const rules = compileRules([
      { id: 'vs', regex: 'abc' },
      { id: 'fallback', regex: 'q[0-9]+' },
    ]);
    const messages: string[] = [];
    const database = createVectorscanEngine(refusing, {
      cacheDirectory,
      fallback: tsEngine,
      firstTreatment: first,
      log: (m) => messages.push(m),
    }).compile(rules);
    expect(database.stats.modes).toEqual([first, 'fallback']);
    expect(messages.join('\n')).toMatch(/rule fallback: fallback/);
    const scanner = database.open();
    const { matches, onMatch } = collect();
    scanner.write(bytes('q12 abc q9\n'), onMatch);
    const fromTs = matches.filter((m) => m.rule === 1).map((m) => m.end);
    expect(fromTs).toEqual(expect.arrayContaining([2, 10])); // q1 and q9: the ts engine tracks q[0-9]+ to its first digit
    expect(matches.filter((m) => m.rule === 0)).toEqual([{ rule: 0, start: 4, end: 7 }]); // maxWidth 3
    // Reported in end order, both engines merged.
    expect(matches.map((m) => m.end)).toEqual([...matches.map((m) => m.end)].sort((a, b) => a - b));
  });

  test('without a fallback engine, a refused rule is a compile error naming it', () => {
    const rules = compileRules([{ id: 'needs-q', regex: 'q+' }]);
    let caught: unknown;
    try {
      createVectorscanEngine(refusing, { cacheDirectory }).compile(rules);
    } catch (error) {
      caught = error;
    }
    expect(isErrorOfType(caught, 'engine')).toBe(true);
    expect(String(caught)).toMatch(/rule needs-q: Vectorscan cannot compile it/);
  });

  test('horizon: clean lines leave at once for rules that cannot span a newline', () => {
    const rules = compileRules([{ id: 'token', regex: 'tok_[a-z]{8,30}' }]);
    const scanner = engineWith().compile(rules).open();
    const { onMatch } = collect();
    scanner.write(bytes('a clean line\n'), onMatch);
    expect(scanner.horizon()).toBe(13);
    scanner.write(bytes('and half a li'), onMatch);
    expect(scanner.horizon()).toBe(13);
    scanner.write(bytes('x'.repeat(40)), onMatch);
    expect(scanner.horizon()).toBe(13 + 13 + 40 - 34);
  });

  test('a rule that can span a newline is scanned by its anchored prefix: clean lines still leave at once', () => {
    const rules = compileRules([
      { id: 'line', regex: 'tok_[a-z]{8}' },
      { id: 'block', regex: 'BEGIN[\\s\\S]{1,20}END' },
    ]);
    const messages: string[] = [];
    const database = engineWith({ log: (m) => messages.push(m) }).compile(rules);
    expect(database.stats.modes).toEqual(['end', 'prefix']);
    expect(messages.join('\n')).toMatch(/rule block: prefix \(can match a newline/);
    // Vectorscan sees only the prefix: the confirmer follows such a match to its end.
    expect([database.tracksEnds(0), database.tracksEnds(1)]).toEqual([true, false]);
    const scanner = database.open();
    const { matches, onMatch } = collect();
    scanner.write(bytes('line one\nline two\n'), onMatch);
    expect(scanner.horizon()).toBe(18);
    scanner.write(bytes('y'.repeat(100)), onMatch);
    expect(scanner.horizon()).toBe(118 - 12); // tok_ and 8 letters
    scanner.write(bytes('\nBEGIN\n'), onMatch);
    // The prefix BEGIN ends at 124: the match starts exactly 5 bytes before.
    expect(matches).toEqual([{ rule: 1, start: 119, end: 124, lastStart: 119 }]);
    expect(scanner.horizon()).toBe(125);
    scanner.reset();
    expect(scanner.horizon()).toBe(0);
  });

  test('a rule with a byte-class head is scanned from its first literal on, and reports the real end', () => {
    const rules = compileRules([
      { id: 'head', regex: '[a-z]{2,6}\\.atl\\.[a-z]{3}' },
      { id: 'keyword', regex: '(?i:key|token)[a-z]{0,4}=[0-9]{8}' },
    ]);
    const database = engineWith().compile(rules);
    expect(database.stats.modes).toEqual(['end', 'end']);
    // The head goes; a keyword list is no head: it is what makes the rule rare.
    expect(database.stats.expressions[0]).toBe('\\x2e\\x61\\x74\\x6c\\x2e[\\x61-\\x7a]{3}');
    expect(database.stats.expressions[1]).toMatch(/^\(\?:\[\\x4b\\x6b\]/);
    const { matches, onMatch } = collect();
    database.open().write(bytes('see xy.atl.abc, .atl.def and token=12345678'), onMatch);
    // Real ends (14, 43) and one more the confirmer drops (.atl.def has no head), start = end -
    // maxWidth; the ends 14 and 24 of one rule, with no newline between, make one candidate.
    expect(matches).toEqual([
      { rule: 0, start: 0, end: 24 },
      { rule: 1, start: 25, end: 43 },
    ]);
  });

  test('a newline rule whose prefix Vectorscan refuses runs on the fallback engine', () => {
    const rules = compileRules([{ id: 'block', regex: 'qBEGIN[\\s\\S]{1,20}END' }]);
    const database = createVectorscanEngine(refusing, { cacheDirectory, fallback: tsEngine }).compile(rules);
    expect(database.stats.modes).toEqual(['fallback']);
  });

  test('write after end() without reset() is refused; reset() starts a new stream at offset 0', () => {
    const scanner = engineWith()
      .compile(compileRules([{ id: 'x', regex: 'xy' }]))
      .open();
    const { matches, onMatch } = collect();
    scanner.write(bytes('..xy'), onMatch);
    scanner.end(onMatch);
    expect(() => scanner.write(bytes('xy'), onMatch)).toThrow(/after end/);
    scanner.reset();
    scanner.write(bytes('xy'), onMatch);
    expect(matches).toEqual([
      { rule: 0, start: 2, end: 4 },
      { rule: 0, start: 0, end: 2 },
    ]);
  });

  test('the second compile of a rule set comes from the cache and scans alike', () => {
    const rules = compileRules([
      { id: 'a', regex: 'tok_[a-z]{8}' },
      { id: 'b', regex: '[a-z]{0,64}x[a-z]{0,64}' },
      { id: 'c', regex: 'pass\\s*=\\s*[a-z]{4,8}' },
    ]);
    const first = engineWith().compile(rules);
    const second = engineWith().compile(rules);
    expect(first.stats.fromCache).toBe(false);
    expect(second.stats.fromCache).toBe(true);
    expect(second.stats.modes).toEqual(['end', 'end', 'prefix']);
    expect(second.stats.modes).toEqual(first.stats.modes);
    expect(second.stats.expressions).toEqual(first.stats.expressions);
    expect(second.stats.info).toBe(first.stats.info);
    expect(second.tracksEnds(2)).toBe(false);
    const input = bytes('tok_abcdefgh abxcd pass\n= abcde');
    const run = (database: typeof first) => {
      const { matches, onMatch } = collect();
      const scanner = database.open();
      scanner.write(input, onMatch);
      return { matches, horizon: scanner.horizon() };
    };
    expect(run(second)).toEqual(run(first));
    expect(run(second).matches).toContainEqual({ rule: 2, start: 19, end: 23, lastStart: 19 });
  });

  test('a corrupt cache file is detected, rebuilt and replaced', () => {
    const rules = compileRules([{ id: 'a', regex: 'tok_[a-z]{8}' }]);
    engineWith().compile(rules);
    const [file] = readdirSync(cacheDirectory);
    const path = join(cacheDirectory, file!);
    const original = readFileSync(path);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 100]! ^= 0x55;
    writeFileSync(path, damaged);
    const messages: string[] = [];
    const database = engineWith({ log: (m) => messages.push(m) }).compile(rules);
    expect(database.stats.fromCache).toBe(false);
    expect(messages.join('\n')).toMatch(/checksum/);
    expect(readFileSync(path).equals(original)).toBe(true);
    expect(engineWith().compile(rules).stats.fromCache).toBe(true);
  });

  test('a different rule set, treatment or rule order does not hit the cache', () => {
    const one = compileRules([
      { id: 'a', regex: 'abc' },
      { id: 'b', regex: 'def' },
    ]);
    const swapped = compileRules([
      { id: 'b', regex: 'def' },
      { id: 'a', regex: 'abc' },
    ]);
    engineWith().compile(one);
    expect(engineWith().compile(swapped).stats.fromCache).toBe(false);
    expect(engineWith({ firstTreatment: 'som' }).compile(one).stats.fromCache).toBe(false);
    expect(engineWith().compile(one).stats.fromCache).toBe(true);
  });

  test('a cache disabled with null writes nothing', () => {
    createVectorscanEngine(addon, { cacheDirectory: null }).compile(compileRules([{ id: 'a', regex: 'abc' }]));
    expect(readdirSync(cacheDirectory)).toEqual([]);
  });
});

describe('engine selection', () => {
  const saved = process.env.SSEREDACT_VECTORSCAN;
  afterEach(() => {
    if (saved === undefined) delete process.env.SSEREDACT_VECTORSCAN;
    else process.env.SSEREDACT_VECTORSCAN = saved;
  });

  test('ts is always available', () => {
    expect(selectEngine('ts').name).toBe('ts');
    expect(describeEngines().find((e) => e.name === 'ts')?.available).toBe(true);
  });

  test('without the addon, auto falls back to ts and says why; vectorscan is a usage error', () => {
    process.env.SSEREDACT_VECTORSCAN = 'off';
    const messages: string[] = [];
    expect(selectEngine('auto', (m) => messages.push(m)).name).toBe('ts');
    expect(messages).toEqual([expect.stringMatching(/^engine: ts \(.*SSEREDACT_VECTORSCAN=off/)]);
    let caught: unknown;
    try {
      selectEngine('vectorscan');
    } catch (error) {
      caught = error;
    }
    expect(isErrorOfType(caught, 'usage')).toBe(true);
    expect(String(caught)).toMatch(/apt-get install libvectorscan-dev.*npm rebuild sseredact /);
    expect(String(caught)).not.toMatch(/\n/);
    expect(describeEngines().find((e) => e.name === 'vectorscan')?.available).toBe(false);
  });

  test.skipIf(!('addon' in load))('with the addon, auto and vectorscan choose it and say which runtime copy', () => {
    const messages: string[] = [];
    expect(selectEngine('auto', (m) => messages.push(m), { cacheDirectory: null }).name).toBe('vectorscan');
    expect(messages.find((message) => message.startsWith('engine:'))).toMatch(
      /^engine: vectorscan \d\S* \(runtime: \w+ copy, (cached choice|chosen by the canaries)(; passed over: .+)?\)$/,
    );
    expect(selectEngine('vectorscan').name).toBe('vectorscan');
    expect(describeEngines().find((e) => e.name === 'vectorscan')?.detail).toMatch(/^Vectorscan \d.*; runtime: \w+ copy/);
  });
});
