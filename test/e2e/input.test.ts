/**
 * How inputs are read (src/sources/input.ts): a regular file, stdin as a file, a pipe the writer
 * keeps full (widened to 1 MiB where the addon is built), a pipe that brings one line at a time
 * (read on the main thread), a pipe that goes from full to a trickle; through the real
 * bin/sseredact, and the chunks of a pipe source itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadAddon } from '../../src/engine/vectorscan/addon.js';
import { forEachChunk, openInput } from '../../src/sources/input.js';
import { AWS_KEY, BIN } from './cli.js';
import { HANG_SECONDS, shell } from './shell.js';

const HAS_ADDON = 'addon' in loadAddon();
const ENGINES = HAS_ADDON ? (['ts', 'vectorscan'] as const) : (['ts'] as const);
const KiB = 1024;
const scratch = mkdtempSync(join(tmpdir(), 'sseredact-input-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * 3 MiB of clean lines with a key across each boundary a read may cut at (64 KiB, the pipe's
 * default; 1 MiB, a file read and a widened pipe), and one at the very end.
 */
function boundaryInput(): { readonly bytes: Buffer; readonly keys: number } {
  const size = 3 * 1024 * KiB;
  const bytes = Buffer.alloc(size, 'a clean line of log output\n');
  const cuts = [64 * KiB, 128 * KiB, 1024 * KiB, 2048 * KiB, size - AWS_KEY.length - 1];
  for (const cut of cuts) bytes.write(`\n${AWS_KEY}\n`, cut - 10, 'latin1');
  bytes[size - 1] = 0x0a;
  return { bytes, keys: cuts.length };
}

describe.each(ENGINES)('--engine %s', (engine) => {
  test('a file, stdin from the file and a pipe give the same output, every key across a read boundary redacted', async () => {
    const { bytes, keys } = boundaryInput();
    const file = join(scratch, `boundaries-${engine}.log`);
    writeFileSync(file, bytes);
    const ways = {
      named: `"$SSEREDACT" --engine ${engine} "${file}"`,
      redirected: `"$SSEREDACT" --engine ${engine} < "${file}"`,
      piped: `cat "${file}" | "$SSEREDACT" --engine ${engine}`,
    };
    const outputs = await Promise.all(Object.values(ways).map((script) => shell(`${script} | md5sum`)));
    for (const result of outputs) expect(result.stderr).toBe('');
    const [first, ...rest] = outputs.map((result) => result.stdout);
    expect(rest).toEqual(rest.map(() => first));
    const output = join(scratch, `boundaries-${engine}.out`);
    const counts = await shell(`${ways.named} > "${output}"; grep -c '\\[REDACTED:aws-access-key-id\\]' "${output}"; grep -c '${AWS_KEY}' "${output}"`);
    expect(counts.stdout).toBe(`${keys}\n0\n`);
  });

  test(
    'a line from a pipe comes out before the writer writes the next one',
    async () => {
      // The writer waits until the line has come out of sseredact: a reader that waited for more
      // bytes, or for the end, would hang (status 124 from timeout).
      const fifo = join(scratch, `next-${engine}`);
      execFileSync('mkfifo', [fifo]);
      const result = await shell(
        `{ printf 'first line\\n'; read -r _ < "${fifo}"; printf 'second line ${AWS_KEY}\\n'; } | timeout ${HANG_SECONDS} "$SSEREDACT" --engine ${engine} | { IFS= read -r line; printf '%s\\n' "$line"; echo go > "${fifo}"; cat; }`,
      );
      expect({ statuses: result.statuses, stdout: result.stdout, stderr: result.stderr }).toEqual({
        statuses: [0, 0, 0],
        stdout: 'first line\nsecond line [REDACTED:aws-access-key-id]\n',
        stderr: '',
      });
    },
    (HANG_SECONDS + 30) * 1000,
  );

  test('the unfinished end of a full read comes out before the writer goes on (the next read finds nothing)', async () => {
    const fifo = join(scratch, `prompt-${engine}`);
    execFileSync('mkfifo', [fifo]);
    // 64 KiB, the fifo's capacity (opened read-write: filled before sseredact opens it), ending
    // in a prompt; the writer goes on once the prompt is out.
    const prompt = 'Password: ';
    const writer = spawn(
      'bash',
      ['-c', `exec 3<>"${fifo}"; { yes 'a clean line of log output' | head -c ${65536 - prompt.length}; printf '${prompt}'; } >&3; echo full; read -r _; printf 'typed\\n' >&3`],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    await new Promise((resolve) => writer.stdout.once('data', resolve));
    const child = spawn(process.execPath, [BIN, '--engine', engine, fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (text: string) => {
      seen += text;
      if (seen.endsWith(prompt)) writer.stdin.end('go\n');
    });
    const status = await new Promise((resolve) => child.on('close', resolve));
    expect({ status, length: seen.length, end: seen.slice(-16) }).toEqual({ status: 0, length: 65536 + 6, end: `${prompt}typed\n` });
  });
});

describe.skipIf(!HAS_ADDON)('a pipe the writer keeps full', () => {
  test('is widened: a reader busy with each chunk gets chunks larger than the 64 KiB a pipe holds by default', async () => {
    const fifo = join(scratch, 'full');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `head -c 8388608 /dev/zero > "${fifo}"`], { stdio: 'ignore' });
    const isWritten = new Promise((resolve) => writer.on('close', (code) => resolve(code === 0)));
    let total = 0;
    let largest = 0;
    await forEachChunk(openInput(fifo).chunks, async (chunk) => {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
      // Busy, as the redactor is with a chunk: the writer fills the pipe meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 5));
      return true;
    });
    expect({ isWritten: await isWritten, total, isLargerThanDefaultPipe: largest > 64 * KiB }).toEqual({ isWritten: true, total: 8 * 1024 * KiB, isLargerThanDefaultPipe: true });
  });
});

describe('a pipe source reuses its read buffers', () => {
  // Each piece comes in its own read: the writer starts once sseredact is up (its --verbose line
  // about the rules) and pauses between pieces; were two to share a read, the test would check
  // less, never fail. The third piece lands in the buffer the first was read into.
  const pieces = [`data: the first line, with ${AWS_KEY} in it\n`, 'data: the second line\n', 'data: the third line, read into the buffer of the first\n', '\n'];
  test.each(['on', 'auto'])('--sse %s: an event read in pieces keeps the lines read before (held by the framer, or the detector)', async (mode) => {
    const file = join(scratch, `event-${mode}.sse`);
    writeFileSync(file, pieces.join(''));
    const fifo = join(scratch, `started-${mode}`);
    execFileSync('mkfifo', [fifo]);
    const writer = pieces.map((piece) => `printf '${piece.replaceAll('\n', '\\n')}'; sleep 0.3`).join('; ');
    const [piped, whole] = await Promise.all([
      shell(
        `{ read -r _ < "${fifo}"; ${writer}; } | timeout ${HANG_SECONDS} "$SSEREDACT" --verbose --sse ${mode} 2> >(grep -q 'rules on the'; echo go > "${fifo}"; cat > /dev/null)`,
      ),
      shell(`"$SSEREDACT" --sse ${mode} < "${file}"`),
    ]);
    expect({ stdout: piped.stdout, statuses: piped.statuses }).toEqual({ stdout: whole.stdout, statuses: [0, 0] });
    expect(whole.stdout).toContain('[REDACTED:aws-access-key-id]');
  });
});

/** Voluntary context switches (each a sleep, then a wake-up) of the threads of `pid` other than the main one. */
function otherThreadWakeUps(pid: number): number {
  let wakeUps = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (Number(tid) === pid) continue;
    wakeUps += Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1'))?.[1]);
  }
  return wakeUps;
}

describe.skipIf(!existsSync('/proc/self/task'))('a pipe that brings one line at a time', () => {
  test.each(ENGINES)('--engine %s: is read on the main thread, not by waking a thread of the pool for every line', async (engine) => {
    const lines = 300;
    const child = spawn(process.execPath, [BIN, '--engine', engine, '--verbose'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.setEncoding('latin1');
    child.stderr.on('data', (text: string) => (log += text));
    let seen = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (text: string) => (seen += text));
    const echoed = async (line: string): Promise<void> => {
      child.stdin.write(line);
      while (!seen.endsWith(line)) await new Promise((resolve) => child.stdout.once('data', resolve));
    };
    await echoed('a first line, after start-up\n');
    // A program cache miss starts a thread that builds the programs, and writes them through the
    // pool: counted from its end (the log says when), only the lines' reads wake anything.
    while (log.includes('programs:') && !/programs: .*(built in the background|failed)/.test(log)) await new Promise((resolve) => child.stderr.once('data', resolve));
    const before = otherThreadWakeUps(child.pid!);
    for (let i = 0; i < lines; i++) await echoed(`clean line ${i}\n`);
    const woken = otherThreadWakeUps(child.pid!) - before;
    child.stdin.end();
    await new Promise((resolve) => child.on('close', resolve));
    // A read on the thread pool wakes a pool thread at least once per line; the rest (GC helpers) wake far less.
    expect({ lines, isBelowQuarter: woken < lines / 4, woken }).toEqual({ lines, isBelowQuarter: true, woken });
  });
});

describe('a pipe that goes from full to a trickle', () => {
  test('gives every byte: the read after a full one that finds the pipe empty gives way to the poller', async () => {
    const fifo = join(scratch, 'burst');
    execFileSync('mkfifo', [fifo]);
    // 256 KiB at once (reads of 64 KiB or more, each followed by a read at once), a pause in which
    // such a read finds the pipe empty, then two lines.
    const writer = spawn('sh', ['-c', `{ head -c 262144 /dev/zero; sleep 0.3; printf 'one\\n'; sleep 0.1; printf 'two\\n'; } > "${fifo}"`], { stdio: 'ignore' });
    const isWritten = new Promise((resolve) => writer.on('close', (code) => resolve(code === 0)));
    let total = 0;
    let tail = '';
    await forEachChunk(openInput(fifo).chunks, (chunk) => {
      total += chunk.length;
      tail = (tail + Buffer.from(chunk).toString('latin1')).slice(-8);
      return true;
    });
    expect({ isWritten: await isWritten, total, tail }).toEqual({ isWritten: true, total: 262144 + 8, tail: '\0one\ntwo\n'.slice(-8) });
  });
});

describe('a regular file', () => {
  test('hands every chunk on as followed: the next read, or the end, never waits for a writer', async () => {
    const file = join(scratch, 'followed.log');
    writeFileSync(file, Buffer.alloc(2 * 1024 * KiB + 5, 'a line\n'));
    const calls: Array<[number, boolean]> = [];
    await forEachChunk(openInput(file).chunks, (chunk, isFollowed) => calls.push([chunk.length, isFollowed]) > 0);
    expect(calls).toEqual([
      [1024 * KiB, true],
      [1024 * KiB, true],
      [5, true],
    ]);
  });
});

describe('a pipe found full', () => {
  test('hands a chunk on as followed only when a call comes before the source waits: an empty chunk when the next read finds nothing', async () => {
    const fifo = join(scratch, 'followed');
    execFileSync('mkfifo', [fifo]);
    // The writer fills the fifo's 64 KiB (opened read-write, so without waiting for a reader),
    // says so, and writes its last line only once the consumer has had a call that is not
    // followed after those bytes: a source that waited for the writer first would hang.
    const writer = spawn('bash', ['-c', `exec 3<>"${fifo}"; head -c 65536 /dev/zero >&3; echo full; read -r _; printf 'one\\n' >&3`], { stdio: ['pipe', 'pipe', 'ignore'] });
    await new Promise((resolve) => writer.stdout.once('data', resolve));
    const calls: Array<[number, boolean]> = [];
    let total = 0;
    await forEachChunk(openInput(fifo).chunks, (chunk, isFollowed) => {
      calls.push([chunk.length, isFollowed]);
      total += chunk.length;
      if (total === 65536 && !isFollowed) writer.stdin.end('go\n');
      return true;
    });
    expect(calls).toEqual([
      [65536, true],
      [0, false],
      [4, false],
    ]);
  });
});

describe('a pipe that brings one line at a time hands each read to its consumer as it comes', () => {
  /** A fifo whose writer brings `lines` a tenth of a second apart, and the chunks `consume` got of it. */
  async function consumeLines(name: string, lines: readonly string[], consume: (chunk: Uint8Array, index: number) => boolean | Promise<boolean>) {
    const fifo = join(scratch, name);
    execFileSync('mkfifo', [fifo]);
    const script = lines.map((line) => `printf '${line}\\n'`).join('; sleep 0.1; ');
    const writer = spawn('sh', ['-c', `{ ${script}; } > "${fifo}"`], { stdio: 'ignore' });
    const got: string[] = [];
    const outcome = await forEachChunk(openInput(fifo).chunks, (chunk) => {
      // Read out now: the poller reads the next line into the same buffer.
      got.push(Buffer.from(chunk).toString('latin1'));
      return consume(chunk, got.length - 1);
    }).then(
      () => 'resolved',
      (error: Error) => `rejected: ${error.message}`,
    );
    writer.kill();
    return { got, outcome };
  }

  test('a consumer that says stop gets no more chunks', async () => {
    expect(await consumeLines('stop', ['one', 'two', 'three'], (_, index) => index < 1)).toEqual({ got: ['one\n', 'two\n'], outcome: 'resolved' });
  });

  test('a consumer that throws ends the reading with its own error', async () => {
    const consume = (_: Uint8Array, index: number): boolean => {
      if (index === 1) throw new Error('redactor failed');
      return true;
    };
    expect(await consumeLines('throw', ['one', 'two', 'three'], consume)).toEqual({ got: ['one\n', 'two\n'], outcome: 'rejected: redactor failed' });
  });

  test('a consumer that takes its time (a slow sink) gets every byte in order, its chunk untouched meanwhile, and can stop later', async () => {
    const changed: string[] = [];
    const slow = async (chunk: Uint8Array): Promise<boolean> => {
      const text = Buffer.from(chunk).toString('latin1');
      // Meanwhile the writer brings the next lines: they wait in the pipe, and come in one read.
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (Buffer.from(chunk).toString('latin1') !== text) changed.push(text);
      return !text.includes('three');
    };
    const { got, outcome } = await consumeLines('slow', ['one', 'two', 'three', 'four', 'five', 'six'], slow);
    expect({ text: got.join('').slice(0, 14), isLastThree: got.at(-1)?.includes('three'), changed, outcome }).toEqual({
      text: 'one\ntwo\nthree\n',
      isLastThree: true,
      changed: [],
      outcome: 'resolved',
    });
  });

  test('a consumer whose promise rejects ends the reading with its error', async () => {
    const failing = (_: Uint8Array, index: number): Promise<boolean> => (index === 0 ? Promise.resolve(true) : Promise.reject(new Error('write failed')));
    expect(await consumeLines('reject', ['one', 'two', 'three'], failing)).toEqual({ got: ['one\n', 'two\n'], outcome: 'rejected: write failed' });
  });
});
