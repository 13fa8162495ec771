/**
 * Where the vectorscan engine's database comes from (src/engine/vectorscan/database.ts): the
 * user's cache, else the one built at install time (native/build-database.js), else a compile;
 * an install-time file that is corrupt or for other rules is a miss, never a crash or a pass.
 * Skipped when the addon is not built.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { EngineRule } from '../../src/engine/engine.js';
import { type Addon, loadAddon } from '../../src/engine/vectorscan/addon.js';
import { createVectorscanEngine } from '../../src/engine/vectorscan/engine.js';
import { compileRules } from '../../src/rules/compile.js';
import type { Match } from '../../src/types.js';

const load = loadAddon();

let root: string;
/** The user's cache of the run under test (empty: a first run). */
let cacheDirectory: string;
/** The install-time databases of the run under test. */
let prebuiltDirectory: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sseredact-vs-database-'));
  cacheDirectory = join(root, 'cache');
  prebuiltDirectory = join(root, 'prebuilt');
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const PASSWORD = { id: 'password', regex: 'pass\\s*=\\s*[a-z]{4,8}' };
const RULES = compileRules([{ id: 'token', regex: 'tok_[a-z]{8}' }, PASSWORD]);
const INPUT = new Uint8Array(Buffer.from('tok_abcdefgh pass\n= abcde tok_x', 'latin1'));

describe.skipIf(!('addon' in load))('the install-time database', () => {
  const addon = ('addon' in load ? load.addon : undefined) as Addon;

  /** Compiles `rules` with the given directories; the database, its log and what it finds in INPUT. */
  const compile = (rules: readonly EngineRule[], directories: { cacheDirectory: string | null; prebuiltDirectory: string | null }) => {
    const messages: string[] = [];
    const database = createVectorscanEngine(addon, { ...directories, log: (message) => messages.push(message) }).compile(rules);
    const matches: Match[] = [];
    const scanner = database.open();
    scanner.write(INPUT, (match) => matches.push(match));
    scanner.end((match) => matches.push(match));
    return { fromCache: database.stats.fromCache, modes: database.stats.modes, messages, matches };
  };

  /** Builds the database of `rules` as the install script does: the entry a first run caches, in the install-time directory. */
  const buildAtInstall = (rules: readonly EngineRule[]) => {
    const compiled = compile(rules, { cacheDirectory: prebuiltDirectory, prebuiltDirectory: null });
    expect(compiled.fromCache).toBe(false);
    return compiled;
  };
  const installedFile = () => join(prebuiltDirectory, readdirSync(prebuiltDirectory)[0]!);

  test('serves a first run whose cache misses, scans alike, and is copied into the cache', () => {
    const compiled = buildAtInstall(RULES);
    const first = compile(RULES, { cacheDirectory, prebuiltDirectory });
    expect(first.fromCache).toBe(true);
    expect(first.messages).toEqual(['vectorscan: cached database: nothing cached']);
    expect({ modes: first.modes, matches: first.matches }).toEqual({ modes: compiled.modes, matches: compiled.matches });
    expect(first.matches.map((match) => match.rule)).toEqual([0, 1]);
    expect(readdirSync(cacheDirectory)).toEqual(readdirSync(prebuiltDirectory));
    expect(compile(RULES, { cacheDirectory, prebuiltDirectory: null }).fromCache).toBe(true);
  });

  test("the user's cache is read first", () => {
    buildAtInstall(RULES);
    compile(RULES, { cacheDirectory, prebuiltDirectory: null });
    rmSync(prebuiltDirectory, { recursive: true });
    const warm = compile(RULES, { cacheDirectory, prebuiltDirectory });
    expect({ fromCache: warm.fromCache, messages: warm.messages }).toEqual({ fromCache: true, messages: [] });
  });

  test('a corrupt one is a miss: the rules are compiled, scan alike and go to the cache', () => {
    const compiled = buildAtInstall(RULES);
    const damaged = readFileSync(installedFile());
    damaged[damaged.length - 100]! ^= 0x55;
    writeFileSync(installedFile(), damaged);
    const first = compile(RULES, { cacheDirectory, prebuiltDirectory });
    expect(first.fromCache).toBe(false);
    expect(first.messages).toContainEqual('vectorscan: install-time database: corrupt cache file (checksum)');
    expect(first.matches).toEqual(compiled.matches);
    expect(compile(RULES, { cacheDirectory, prebuiltDirectory: null }).fromCache).toBe(true);
  });

  // Files here are root's only when the tests run as root; process.getuid() then plays another user.
  test.skipIf(process.getuid?.() !== 0)("root's serves another user (a package installed with sudo), where root's cache would not", () => {
    buildAtInstall(RULES);
    compile(RULES, { cacheDirectory, prebuiltDirectory: null });
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      const first = compile(RULES, { cacheDirectory, prebuiltDirectory });
      expect(first.fromCache).toBe(true);
      expect(first.messages[0]).toBe(`vectorscan: cached database: directory ${cacheDirectory} is owned by user 0, not by this user (1000); not used`);
    } finally {
      vi.restoreAllMocks();
    }
  });

  test('one built for other rules is never read, even under their name', () => {
    buildAtInstall(compileRules([{ id: 'token', regex: 'tok_[a-z]{9}' }, PASSWORD]));
    const foreign = readFileSync(installedFile());
    rmSync(prebuiltDirectory, { recursive: true });
    buildAtInstall(RULES);
    writeFileSync(installedFile(), foreign);
    const first = compile(RULES, { cacheDirectory, prebuiltDirectory });
    expect(first.fromCache).toBe(false);
    expect(first.messages).toContainEqual('vectorscan: install-time database: cache file of another rule set');
    expect(first.matches.map((match) => match.rule)).toEqual([0, 1]);
  });
});
