/**
 * The worker side of ./worker-pool.ts: a worker's script calls {@link serveTasks} once with the
 * function that initialises it from the pool's `workerData` and returns its task handler. The
 * worker says it is ready once that resolves, then runs its tasks one at a time, in the order they
 * came, and replies to each with its result (or the message of what the handler threw) and the
 * time the handler took.
 */
import { parentPort, workerData } from 'node:worker_threads';

/** A task as the pool sends it; `attempt` is 1, or 2 when a worker died running it before. */
export interface TaskRequest<T> {
  readonly id: number;
  readonly task: T;
  readonly attempt: number;
}

export type TaskReply<R> =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly value: R; readonly busyMs: number }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly busyMs: number };

export type TaskHandler<T, R> = (task: T, attempt: number) => Promise<R> | R;

/**
 * Initialises the worker with `init(workerData)` and serves tasks with the handler it returns. An
 * error thrown by `init` is left uncaught: the worker dies before it is ready, which breaks the
 * pool with that message. Throws when not running in a worker thread.
 */
export async function serveTasks<T, R>(init: (data: unknown) => Promise<TaskHandler<T, R>> | TaskHandler<T, R>): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('serveTasks: not in a worker thread');
  const handle = await init(workerData);
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (request: TaskRequest<T>) => {
    previous = previous.then(async () => {
      const startedAt = performance.now();
      let reply: TaskReply<R>;
      try {
        const value = await handle(request.task, request.attempt);
        reply = { type: 'done', id: request.id, value, busyMs: performance.now() - startedAt };
      } catch (error) {
        reply = { type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error), busyMs: performance.now() - startedAt };
      }
      port.postMessage(reply);
    });
  });
  port.postMessage({ type: 'ready' } satisfies TaskReply<R>);
}
