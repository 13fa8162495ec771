/**
 * The worker side of ./worker-pool.ts: a worker's script calls {@link serveTasks} once with the
 * function that initialises it from the pool's `workerData` and returns its task handler. The
 * worker says it is ready once that resolves, then runs its tasks one at a time, in the order they
 * came, and replies with each one's result (or the message of what the handler threw) and the
 * time the handler took.
 *
 * Replies go in batches: when the worker runs out of tasks, or every FLUSH_MS while it has more.
 * One message a file woke the pool's thread for each file of a tree (most take well under a
 * millisecond), and on a machine with as many cores as workers that thread then takes a core
 * from a worker. What the pool needs sooner than a batch is in shared memory ({@link WorkerProgress}):
 * which task runs, and since when (the pool's timeouts), written as each task starts.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

/** A task as the pool sends it; `attempt` is 1, or 2 when a worker died running it before. */
export interface TaskRequest<T> {
  readonly id: number;
  readonly task: T;
  readonly attempt: number;
}

/** How one task ended in the worker. */
export type TaskResult<R> =
  | { readonly type: 'done'; readonly id: number; readonly value: R; readonly busyMs: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly busyMs: number };

/** What a worker posts: once that it is ready, then the results of its tasks, in the order they ran. */
export type TaskReply<R> = { readonly type: 'ready' } | { readonly type: 'results'; readonly results: readonly TaskResult<R>[] };

/** What the pool sends a worker: the tasks it runs next, in order. */
export type TaskBatch<T> = readonly TaskRequest<T>[];

export type TaskHandler<T, R> = (task: T, attempt: number) => Promise<R> | R;

/** What the pool hands a worker at start: the caller's data and the worker's progress slots. */
export interface WorkerStart {
  readonly data: unknown;
  readonly progress: SharedArrayBuffer;
}

/**
 * The task a worker is running, shared with the pool: slot RUNNING holds its id (NOT_RUNNING
 * between tasks), slot STARTED the time it started (milliseconds since the epoch, as Date.now()).
 * The worker writes STARTED before RUNNING, the pool reads RUNNING, STARTED, then RUNNING again.
 */
export const RUNNING = 0;
export const STARTED = 1;
export const NOT_RUNNING = -1n;
export type WorkerProgress = BigInt64Array;

/** Two slots of 8 bytes. */
export const PROGRESS_BYTES = 16;

/** The most milliseconds a finished task's result waits for its batch while the worker has more tasks. */
const FLUSH_MS = 5;

/**
 * Initialises the worker with `init(data)` and serves tasks with the handler it returns. An
 * error thrown by `init` is left uncaught: the worker dies before it is ready, which breaks the
 * pool with that message. Throws when not running in a worker thread.
 */
export async function serveTasks<T, R>(init: (data: unknown) => Promise<TaskHandler<T, R>> | TaskHandler<T, R>): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('serveTasks: not in a worker thread');
  const start = workerData as WorkerStart;
  const progress: WorkerProgress = new BigInt64Array(start.progress);
  const handle = await init(start.data);
  const queue: TaskRequest<T>[] = [];
  let isRunning = false;

  const run = async (): Promise<void> => {
    isRunning = true;
    let results: TaskResult<R>[] = [];
    let flushedAt = performance.now();
    for (let request = queue.shift(); request !== undefined; request = queue.shift()) {
      Atomics.store(progress, STARTED, BigInt(Date.now()));
      Atomics.store(progress, RUNNING, BigInt(request.id));
      const startedAt = performance.now();
      try {
        const value = await handle(request.task, request.attempt);
        results.push({ type: 'done', id: request.id, value, busyMs: performance.now() - startedAt });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        results.push({ type: 'error', id: request.id, message, busyMs: performance.now() - startedAt });
      }
      Atomics.store(progress, RUNNING, NOT_RUNNING);
      // Tasks sent while this one ran: taken now, without a turn of the event loop.
      for (let message = receiveMessageOnPort(port); message !== undefined; message = receiveMessageOnPort(port)) queue.push(...(message.message as TaskBatch<T>));
      if (queue.length === 0 || performance.now() - flushedAt >= FLUSH_MS) {
        port.postMessage({ type: 'results', results } satisfies TaskReply<R>);
        results = [];
        flushedAt = performance.now();
      }
    }
    isRunning = false;
  };

  port.on('message', (batch: TaskBatch<T>) => {
    queue.push(...batch);
    if (!isRunning) void run();
  });
  port.postMessage({ type: 'ready' } satisfies TaskReply<R>);
}
