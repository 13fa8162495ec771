/**
 * A small pool of worker threads for scan mode (DESIGN §5): a fixed number of workers, each
 * running `script` (which calls {@link serveTasks} from ./serve.ts), and a queue of tasks handed
 * out smallest first (a task's size: scan, its file's bytes), ties in the order they came.
 *
 * - Backpressure: at most `queueLimit` tasks wait in the queue; {@link WorkerPool.whenRoom}
 *   resolves once there is room, so a producer that awaits it waits for the workers.
 * - Each worker holds the task it runs and those it runs next: at least two, and more while they
 *   are small (up to HELD_SIZE in all, MAX_HELD tasks), so that it never waits on a round trip to
 *   this thread, even when this thread is slow to hear it (a busy machine) and its tasks take
 *   less than a millisecond each (most files of a tree). The most a worker can end with more than
 *   another is then what it holds: small, as the largest tasks come last.
 * - Messages: the tasks handed to a worker at once go in one message, and a worker replies in
 *   batches (./serve.ts); which task it runs, and since when, it writes in shared memory.
 * - Timeout: a task that runs longer than `taskTimeoutMs` ends as `timeout`; its worker is
 *   terminated (synchronous code cannot be interrupted any other way) and replaced.
 * - Crash: when a worker dies (an uncaught error, an exit, out of memory), the task it was running
 *   is retried once on a fresh worker, then ends as `crash`; the other tasks it held (those behind
 *   it, and those it finished but had not replied for yet) go back to the queue without losing a try.
 * - A worker that dies before it is ready (its script failed to load or initialise) breaks the
 *   pool: every task then rejects with that error, and so does every later `run`.
 *
 * The pool neither orders results nor decides what a failed task means: its caller does.
 * Telemetry: per worker slot, the time its first worker took to start, tasks done, busy time
 * (measured in the worker) and restarts; the deepest the queue got.
 */
import { Worker } from 'node:worker_threads';
import { NOT_RUNNING, PROGRESS_BYTES, RUNNING, STARTED, type TaskBatch, type TaskReply, type TaskRequest, type TaskResult, type WorkerStart } from './serve.js';

/** How one task ended. `error`: the task's handler threw (its message); the worker lives on. */
export type TaskOutcome<R> =
  | { readonly kind: 'done'; readonly value: R }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'crash'; readonly message: string };

export interface WorkerPoolOptions {
  /** The worker's module (it calls serveTasks). */
  readonly script: URL;
  /** Handed to each worker once, at start (structured clone). */
  readonly workerData: unknown;
  /** Number of workers (at least 1). */
  readonly size: number;
  /** Most tasks waiting for a worker before whenRoom() waits. */
  readonly queueLimit: number;
  /** A task running longer than this many milliseconds ends as a timeout; null: never. */
  readonly taskTimeoutMs: number | null;
}

export interface WorkerSlotStats {
  /** Milliseconds from the slot's first worker's start to its ready (loading the rule set); null if it never got ready. */
  readonly startMs: number | null;
  readonly tasks: number;
  /** Milliseconds the slot's workers spent in task handlers. */
  readonly busyMs: number;
  /** Workers started in this slot after the first (after a crash or a timeout). */
  readonly restarts: number;
}

export interface WorkerPoolStats {
  readonly workers: readonly WorkerSlotStats[];
  /** The most tasks that waited in the queue at once. */
  readonly peakQueue: number;
  /** Milliseconds since the pool was created. */
  readonly elapsedMs: number;
}

export interface WorkerPool<T, R> {
  /** Queues `task` (smaller `size` first) and resolves with how it ended. */
  run(task: T, size: number): Promise<TaskOutcome<R>>;
  /** Resolves once fewer than `queueLimit` tasks wait (at once when the pool is broken: run then rejects). */
  whenRoom(): Promise<void>;
  stats(): WorkerPoolStats;
  /** Terminates every worker; tasks still queued or running reject. */
  close(): Promise<void>;
}

/** Tries a task gets when workers die under it: the first and one retry. */
const TRIES = 2;
/** Tasks a worker is handed, however large: the one it runs and the next. */
const MIN_HELD = 2;
/** Beyond MIN_HELD, a worker is handed tasks while those it holds are smaller than this in all... */
const HELD_SIZE = 1024 * 1024;
/** ...and fewer than this many (tasks of size 0: stdin, empty files). */
const MAX_HELD = 64;
/** Between two tasks of a worker that holds more, how soon its next task's deadline is looked at. */
const BETWEEN_TASKS_CHECK_MS = 50;

interface PendingTask<T, R> {
  readonly id: number;
  readonly task: T;
  readonly size: number;
  tries: number;
  readonly resolve: (outcome: TaskOutcome<R>) => void;
  readonly reject: (error: Error) => void;
}

interface Slot<T, R> {
  /** Null only until the slot's first worker is started. */
  worker: Worker | null;
  isReady: boolean;
  /** When the slot's current worker was started, and how long its first one took to get ready. */
  startedAt: number;
  startMs: number | null;
  /** Handed to the worker and not replied for yet, in the order it runs them. */
  held: PendingTask<T, R>[];
  /** Which of them the worker runs, and since when (./serve.ts): shared with the current worker. */
  progress: BigInt64Array;
  /** Set while `held` is not empty and tasks have a timeout: when it fires, the running task's deadline is checked. */
  timer: NodeJS.Timeout | null;
  /** Set when the pool itself ended the worker (timeout, close): its exit is no crash. */
  isEnding: boolean;
  lastError: string | null;
  tasks: number;
  busyMs: number;
  restarts: number;
}

/** Starts `options.size` workers. */
export function createWorkerPool<T, R>(options: WorkerPoolOptions): WorkerPool<T, R> {
  const startedAt = performance.now();
  const queue: PendingTask<T, R>[] = [];
  const roomWaiters: Array<() => void> = [];
  let peakQueue = 0;
  let nextId = 0;
  let broken: Error | null = null;
  let isClosing = false;

  const wakeRoomWaiters = (): void => {
    if (queue.length >= options.queueLimit && broken === null) return;
    for (const wake of roomWaiters.splice(0)) wake();
  };

  /** Inserts after every task of the same or a smaller size (stable). */
  const enqueue = (pending: PendingTask<T, R>): void => {
    let low = 0;
    let high = queue.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (queue[middle]!.size <= pending.size) low = middle + 1;
      else high = middle;
    }
    queue.splice(low, 0, pending);
    peakQueue = Math.max(peakQueue, queue.length);
  };

  const breakPool = (error: Error): void => {
    broken ??= error;
    for (const pending of queue.splice(0)) pending.reject(error);
    for (const slot of slots) for (const pending of slot.held.splice(0)) pending.reject(error);
    wakeRoomWaiters();
  };

  /** The task the slot's worker runs and when it started (Date.now() milliseconds), or null between tasks. */
  const runningIn = ({ progress }: Slot<T, R>): { id: number; startedAt: number } | null => {
    for (;;) {
      const id = Atomics.load(progress, RUNNING);
      if (id === NOT_RUNNING) return null;
      const startedAt = Atomics.load(progress, STARTED);
      // The worker writes STARTED before RUNNING: the same id read again means STARTED is that task's.
      if (Atomics.load(progress, RUNNING) === id) return { id: Number(id), startedAt: Number(startedAt) };
    }
  };

  /**
   * Ends the task the slot's worker has run for `taskTimeoutMs` as a timeout, else checks again at
   * the running task's deadline (between tasks: in BETWEEN_TASKS_CHECK_MS). Stops while the slot
   * holds no task.
   */
  const watch = (slot: Slot<T, R>): void => {
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    const timeoutMs = options.taskTimeoutMs;
    if (timeoutMs === null || slot.held.length === 0 || slot.isEnding) return;
    const running = runningIn(slot);
    const now = Date.now();
    if (running !== null && now - running.startedAt >= timeoutMs) {
      const timedOut = slot.held.findIndex((pending) => pending.id === running.id);
      if (timedOut >= 0) {
        slot.held.splice(timedOut, 1)[0]!.resolve({ kind: 'timeout' });
        slot.isEnding = true;
        void slot.worker?.terminate();
        return;
      }
    }
    const wait = running === null ? Math.min(timeoutMs, BETWEEN_TASKS_CHECK_MS) : running.startedAt + timeoutMs - now;
    slot.timer = setTimeout(() => {
      slot.timer = null;
      watch(slot);
    }, wait);
  };

  const wantsMore = ({ held }: Slot<T, R>): boolean => {
    if (held.length < MIN_HELD) return true;
    if (held.length >= MAX_HELD) return false;
    let size = 0;
    for (const pending of held) size += pending.size;
    return size < HELD_SIZE;
  };

  const dispatch = (): void => {
    for (const slot of slots) {
      if (!slot.isReady || slot.isEnding) continue;
      const batch: TaskRequest<T>[] = [];
      while (queue.length > 0 && wantsMore(slot)) {
        const pending = queue.shift()!;
        slot.held.push(pending);
        batch.push({ id: pending.id, task: pending.task, attempt: TRIES - pending.tries + 1 });
      }
      if (batch.length === 0) continue;
      slot.worker?.postMessage(batch satisfies TaskBatch<T>);
      if (slot.timer === null) watch(slot);
    }
    wakeRoomWaiters();
  };

  const onResult = (slot: Slot<T, R>, result: TaskResult<R>): void => {
    // A result for a task that already timed out (it finished as the timer fired) is dropped.
    const index = slot.held.findIndex((pending) => pending.id === result.id);
    if (index < 0) return;
    const pending = slot.held.splice(index, 1)[0]!;
    slot.tasks++;
    slot.busyMs += result.busyMs;
    pending.resolve(result.type === 'done' ? { kind: 'done', value: result.value } : { kind: 'error', message: result.message });
  };

  const onReply = (slot: Slot<T, R>, reply: TaskReply<R>): void => {
    if (reply.type === 'ready') {
      slot.isReady = true;
      slot.startMs ??= performance.now() - slot.startedAt;
    } else {
      for (const result of reply.results) onResult(slot, result);
    }
    dispatch();
  };

  const onExit = (slot: Slot<T, R>, code: number): void => {
    if (slot.timer !== null) clearTimeout(slot.timer);
    slot.timer = null;
    if (isClosing) return;
    const why = slot.lastError ?? `exit code ${code}`;
    if (!slot.isReady && !slot.isEnding) {
      breakPool(new Error(`a scan worker failed to start: ${why}`));
      return;
    }
    const held = slot.held.splice(0);
    if (!slot.isEnding) {
      // The task it died on: the one it was running, else the first it had not replied for.
      const running = runningIn(slot);
      const diedOn = held.splice(
        Math.max(
          0,
          held.findIndex((pending) => pending.id === running?.id),
        ),
        1,
      )[0];
      if (diedOn !== undefined) {
        diedOn.tries--;
        if (diedOn.tries > 0) enqueue(diedOn);
        else diedOn.resolve({ kind: 'crash', message: why });
      }
    }
    for (const pending of held) enqueue(pending);
    slot.restarts++;
    start(slot);
    dispatch();
  };

  const start = (slot: Slot<T, R>): void => {
    // A fresh progress buffer per worker: a dead worker's last write cannot be read as its successor's.
    const progress = new SharedArrayBuffer(PROGRESS_BYTES);
    slot.progress = new BigInt64Array(progress);
    Atomics.store(slot.progress, RUNNING, NOT_RUNNING);
    const worker = new Worker(options.script, { workerData: { data: options.workerData, progress } satisfies WorkerStart });
    slot.worker = worker;
    slot.startedAt = performance.now();
    slot.isReady = false;
    slot.isEnding = false;
    slot.lastError = null;
    // Replies of a worker the slot has replaced (it was terminated) are dropped: its tasks went back to the queue.
    worker.on('message', (reply: TaskReply<R>) => {
      if (slot.worker === worker) onReply(slot, reply);
    });
    worker.on('error', (error: Error) => {
      slot.lastError = error.message;
    });
    worker.on('exit', (code: number) => {
      if (slot.worker === worker) onExit(slot, code);
    });
  };

  const slots: Slot<T, R>[] = [];
  for (let count = 0; count < Math.max(1, options.size); count++) {
    const slot: Slot<T, R> = {
      worker: null,
      held: [],
      progress: new BigInt64Array(PROGRESS_BYTES / 8),
      timer: null,
      isReady: false,
      startedAt: 0,
      startMs: null,
      isEnding: false,
      lastError: null,
      tasks: 0,
      busyMs: 0,
      restarts: 0,
    };
    slots.push(slot);
    start(slot);
  }

  return {
    run(task, size) {
      if (broken !== null) return Promise.reject(broken);
      return new Promise((resolve, reject) => {
        enqueue({ id: nextId++, task, size, tries: TRIES, resolve, reject });
        dispatch();
      });
    },
    whenRoom() {
      if (queue.length < options.queueLimit || broken !== null) return Promise.resolve();
      return new Promise((resolve) => roomWaiters.push(resolve));
    },
    stats() {
      return {
        workers: slots.map(({ startMs, tasks, busyMs, restarts }) => ({ startMs, tasks, busyMs, restarts })),
        peakQueue,
        elapsedMs: performance.now() - startedAt,
      };
    },
    async close() {
      isClosing = true;
      breakPool(new Error('the scan pool was closed'));
      await Promise.all(
        slots.map(async (slot) => {
          const worker = slot.worker;
          if (worker === null) return;
          // Terminated while it still loads (the native engine's database), a worker can abort the
          // whole process (a Node-API call fails mid-way): let it finish loading first.
          // (threadId is -1 once it has exited: a worker that failed to start is not waited for.)
          if (!slot.isReady && !slot.isEnding && worker.threadId !== -1) await loaded(worker);
          await worker.terminate();
        }),
      );
    },
  };
}

/** The longest close() waits for a worker still loading before it terminates it anyway. */
const LOAD_WAIT_MS = 10_000;

/** Resolves once `worker` says it is ready or exits, or after LOAD_WAIT_MS. */
function loaded(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, LOAD_WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    worker.once('exit', done);
    worker.on('message', (reply: { type?: string }) => {
      if (reply.type === 'ready') done();
    });
  });
}
