/**
 * Output sinks (src/sinks/output.ts) at their failures, through the real bin/sseredact: a write
 * that fails must fail the run however the input comes, whatever the order in which Node reports
 * the failure and the end of the input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { AWS_KEY } from './cli.js';
import { HANG_SECONDS, shell } from './shell.js';

const scratch = mkdtempSync(join(tmpdir(), 'sseredact-output-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a records file that cannot be written (/dev/full)', () => {
  const input = join(scratch, 'one.log');
  writeFileSync(input, `key ${AWS_KEY} here\n`);
  // Each exited 0 in turn as reading changed (a named file, then a pipe): the records write failed
  // after the run had ended, and the sink heard of it only from the later 'error' event.
  test.each([
    ['a named file', `"$SSEREDACT" --records /dev/full "${input}"`],
    ['stdin from a file', `"$SSEREDACT" --records /dev/full < "${input}"`],
    ['a pipe', `cat "${input}" | timeout ${HANG_SECONDS} "$SSEREDACT" --records /dev/full`],
  ])('input from %s: exit 3, one line', async (_label, script) => {
    const result = await shell(`${script} > /dev/null`);
    expect({ status: result.statuses.at(-1), stderr: result.stderr }).toEqual({ status: 3, stderr: 'sseredact: cannot write records to /dev/full: no space left on device' });
  });
});
