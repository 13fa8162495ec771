/**
 * The in-flight analysis of a rule set of the user's own, through the real CLI. The install
 * caches the built-in packs' (install-time-cache.test.ts); any other set's is built by the
 * process that builds its programs (src/rules/program-builder.ts) when a redacting run finds them
 * missing, so that the first tail held mid-secret reads it instead of building it on the hot path
 * (0.3-2 s of that line on a set the size of the built-in pack).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sseredact } from './cli.js';

/** A rule of the user's own: with it, the set is not the one the install cached. */
const RULE = ['--pattern', 'acme_[a-z0-9]{32}'];
/** An event that ends in the rule's prefix: its end is a boundary, where the analysis is needed whatever the reads. */
const HELD_TAIL = 'data: key acme_12ab\n\ndata: done\n\n';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'sseredact-in-flight-e2e-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const env = () => ({ XDG_CACHE_HOME: home });
const lockFiles = () => readdirSync(join(home, 'sseredact')).filter((name) => name.endsWith('.lock'));

describe('the in-flight analysis of a rule set of its own', () => {
  test('a run that ends first leaves a builder, and the next held tail reads what it cached', async () => {
    const short = await sseredact(['--engine', 'ts', ...RULE], { env: env(), input: 'clean\n', encoding: 'utf8' });
    expect(short.stdout).toBe('clean\n');
    for (let waited = 0; waited < 45_000 && lockFiles().length > 0; waited += 100) await sleep(100);
    expect(lockFiles()).toEqual([]);

    const held = await sseredact(['--engine', 'ts', '--sse', '-v', ...RULE], { env: env(), input: HELD_TAIL, encoding: 'utf8' });
    expect(held.stdout).toBe(HELD_TAIL);
    expect(held.stderr).not.toMatch(/in-flight automata/);
  });

  test('a run still going when the builder ends reads it at its first held tail', async () => {
    const run = sseredact(['--engine', 'ts', '--sse', '-v', ...RULE], { env: env(), encoding: 'utf8' });
    let told = '';
    run.stderr!.on('data', (chunk: Buffer | string) => {
      told += String(chunk);
    });
    for (let waited = 0; waited < 45_000 && !/programs: (\d+ built in the background|the background build failed)/.test(told); waited += 100) await sleep(100);
    run.stdin!.end(HELD_TAIL);
    const { stdout, stderr } = await run;
    expect(stdout).toBe(HELD_TAIL);
    expect(stderr).toMatch(/programs: \d+ built in the background/);
    expect(stderr).not.toMatch(/in-flight automata/);
  });
});
