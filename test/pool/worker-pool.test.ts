/**
 * The worker pool on its own (src/pool/), with a small echo worker (fixtures/echo-worker.mjs, which
 * loads the built dist/pool/serve.js): smallest first, backpressure, how many tasks a worker holds, a
 * handler's error, a worker that cannot start. Timeouts and crashes are tested through bin/sseredact (test/scan/pool.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { createWorkerPool } from '../../src/pool/worker-pool.js';

const SCRIPT = new URL('./fixtures/echo-worker.mjs', import.meta.url);

interface EchoTask {
  readonly value: number;
  readonly delayMs?: number;
  readonly fail?: boolean;
}

function pool(options: { size?: number; queueLimit?: number; workerData?: unknown } = {}) {
  return createWorkerPool<EchoTask, number>({
    script: SCRIPT,
    workerData: options.workerData ?? {},
    size: options.size ?? 1,
    queueLimit: options.queueLimit ?? 100,
    taskTimeoutMs: null,
  });
}

describe('worker pool', () => {
  test('smallest first, ties in the order they came', async () => {
    const tasks = pool();
    const finished: number[] = [];
    const sizes = [50, 10, 40, 10, 30, 20, 0];
    await Promise.all(sizes.map((size, value) => tasks.run({ value }, size).then(() => finished.push(value))));
    await tasks.close();
    expect(finished).toEqual([6, 1, 3, 5, 4, 2, 0]);
  });

  test('whenRoom waits while queueLimit tasks wait, and resolves once a worker takes them', async () => {
    const tasks = pool({ queueLimit: 3 });
    const runs = [0, 1, 2].map((value) => tasks.run({ value, delayMs: 20 }, value));
    let hasRoom = false;
    const room = tasks.whenRoom().then(() => {
      hasRoom = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(hasRoom).toBe(false);
    await room;
    expect(hasRoom).toBe(true);
    expect(await Promise.all(runs)).toEqual([0, 1, 2].map((value) => ({ kind: 'done', value })));
    expect(tasks.stats().peakQueue).toBe(3);
    await tasks.close();
  });

  test.each([
    ['small tasks: all of them at once', 1, 'room'],
    ['large tasks (1 MiB): two at a time', 1024 * 1024, 'first task'],
  ])('a worker holds the tasks it runs next: %s', async (_label, size, first) => {
    // One worker, room for one task in the queue, four tasks of 100 ms queued before it is ready.
    const tasks = pool({ queueLimit: 1 });
    const runs = [0, 1, 2, 3].map((value) => tasks.run({ value, delayMs: 100 }, size));
    const room = tasks.whenRoom().then(() => 'room');
    expect(await Promise.race([room, runs[0]!.then(() => 'first task')])).toBe(first);
    await Promise.all(runs);
    await tasks.close();
  });

  test("a handler's error ends its task as an error; the worker goes on", async () => {
    const tasks = pool();
    expect(await tasks.run({ value: 1, fail: true }, 0)).toEqual({ kind: 'error', message: 'task 1 failed' });
    expect(await tasks.run({ value: 2 }, 0)).toEqual({ kind: 'done', value: 2 });
    expect(tasks.stats().workers).toEqual([expect.objectContaining({ tasks: 2, restarts: 0 })]);
    await tasks.close();
  });

  test('a worker that cannot start breaks the pool: its tasks and later ones reject with the reason', async () => {
    const tasks = pool({ workerData: { failStart: true } });
    await expect(tasks.run({ value: 1 }, 0)).rejects.toThrow('a scan worker failed to start: cannot load the rule set');
    await expect(tasks.run({ value: 2 }, 0)).rejects.toThrow('a scan worker failed to start');
    await tasks.close();
  });
});
