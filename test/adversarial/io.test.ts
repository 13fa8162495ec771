/**
 * Adversarial table: every output channel under a reader that goes away (EPIPE) and a full disk
 * (ENOSPC), on both engines, through the real bin/sseredact on real pipes and /dev/full.
 *
 * What each row holds to (DESIGN §3.5, §3.6, issue 20 items 3 and 7):
 * - EPIPE, on stdout or the records' pipe: the run stops reading at once (its input here never
 *   ends: a run that reads on hangs and `timeout` makes it 124) and exits 0, quietly;
 * - ENOSPC, on stdout or the records: exit 3 and one line on stderr naming the channel;
 * - never, on any channel that still reads: the secret in clear.
 */
import { describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { AWS_KEY } from '../e2e/cli.js';
import { HANG_SECONDS, shell } from '../e2e/shell.js';

const ENGINES = 'addon' in loadAddon() ? ['ts', 'vectorscan'] : ['ts'];
const LINE = `deploy with ${AWS_KEY} now`;
/** An endless input of secret lines: only a run that stops can end. */
const ENDLESS = `yes '${LINE}'`;
/** A bounded one, for the full-disk rows (a run that fails early need not stop its input). */
const BOUNDED = `yes '${LINE}' | head -n 50000`;

interface Attack {
  readonly label: string;
  /** The shell pipeline; `$RUN` is sseredact with the row's engine, under `timeout`. */
  readonly script: string;
  /** Index of sseredact in the pipeline. */
  readonly at: number;
  readonly status: number;
  readonly stderr: RegExp;
}

const ATTACKS: readonly Attack[] = [
  { label: 'EPIPE on stdout (redacted bytes)', script: `${ENDLESS} | $RUN | head -n 1`, at: 1, status: 0, stderr: /^$/ },
  { label: 'EPIPE on stdout (--json records)', script: `${ENDLESS} | $RUN --json | head -n 1`, at: 1, status: 0, stderr: /^$/ },
  { label: 'EPIPE on stdout with --records FILE', script: `${ENDLESS} | $RUN --records "$SCRATCH/records.ndjson" | head -n 1`, at: 1, status: 0, stderr: /^$/ },
  { label: 'EPIPE on the records pipe (fd:3)', script: `${ENDLESS} | $RUN --records fd:3 3> >(head -n 1) >/dev/null`, at: 1, status: 0, stderr: /^$/ },
  { label: 'EPIPE on both at once', script: `${ENDLESS} | $RUN --records fd:3 3> >(head -n 1) | head -n 1`, at: 1, status: 0, stderr: /^$/ },
  { label: 'ENOSPC on stdout (redacted bytes)', script: `${BOUNDED} | $RUN > /dev/full`, at: 2, status: 3, stderr: /^sseredact: cannot write output: no space left on device$/ },
  {
    label: 'ENOSPC on stdout (--json records)',
    script: `${BOUNDED} | $RUN --json > /dev/full`,
    at: 2,
    status: 3,
    stderr: /^sseredact: cannot write output: no space left on device$/,
  },
  {
    label: 'ENOSPC on --records FILE',
    script: `${BOUNDED} | $RUN --records /dev/full`,
    at: 2,
    status: 3,
    stderr: /^sseredact: cannot write records to \/dev\/full: no space left on device$/,
  },
  {
    label: 'ENOSPC on --records fd:3',
    script: `${BOUNDED} | $RUN --records fd:3 3>/dev/full`,
    at: 2,
    status: 3,
    stderr: /^sseredact: cannot write records to fd:3: no space left on device$/,
  },
  {
    label: 'ENOSPC on the records, stdout a reader that goes away',
    script: `${BOUNDED} | $RUN --records /dev/full | head -n 1`,
    at: 2,
    status: 3,
    stderr: /^sseredact: cannot write records to \/dev\/full: no space left on device$/,
  },
];

describe.each(ENGINES)('--engine %s', (engine) => {
  test.each(ATTACKS)('$label', async ({ script, at, status, stderr }) => {
    const scratch = (await shell('mktemp -d')).stdout.trim();
    const result = await shell(`RUN="timeout ${HANG_SECONDS} $SSEREDACT --engine ${engine}"; SCRATCH="${scratch}"; ${script}`);
    await shell(`rm -rf "${scratch}"`);
    expect({ status: result.statuses[at], stderr: result.stderr.trim() }).toEqual({ status, stderr: expect.stringMatching(stderr) });
    expect(result.stdout).not.toContain(AWS_KEY);
  });
});
