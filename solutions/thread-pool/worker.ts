// The body of every thread of the pool (rules P02-P04, P06, P07 of README.md): take a task id from the
// shared Queue, run the handler on it, tell the pool how it went, and go back for the next one, until
// the queue is shut down. pool.ts starts this file with startWorker(); the loop is serve().
//
// Blocking is the point here: queue.get() sleeps this thread in the kernel (a futex under Atomics.wait)
// until a task comes, and only this thread. The main thread and the other workers go on.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Queue, QueueShutDown } from 'learn-io/threads';

/** What pool.ts gives each thread as workerData. */
export interface PoolWorkerData {
  /** Marks a thread of this pool (this file is imported by the main thread too, which must not serve). */
  role: 'learn-io:thread-pool';
  /** The task Queue's SharedArrayBuffer (queue.buffer): shared by every thread, not copied. */
  queue: SharedArrayBuffer;
  /** The handler module, as a file: URL. */
  handler: string;
  /** The pool's options.data, structured-cloned for this thread. */
  data: unknown;
  /** This thread's number in the pool, 0 to size - 1. */
  index: number;
}

/** What a thread posts to the pool after each task. */
export type Outcome = { task: number; ok: true } | { task: number; ok: false; name: string; message: string; stack?: string };

/** The second argument of handle(): README, "The handler". */
export interface TaskContext {
  data: unknown;
  index: number;
}

type Handle = (task: number, context: TaskContext) => unknown;

/**
 * Imports the handler module and returns its `handle` export. Throws a TypeError naming the module when
 * it has none, so that a wrong path reads as such rather than as "handle is not a function" per task.
 */
export async function loadHandler(href: string): Promise<Handle> {
  const module = (await import(href)) as { handle?: unknown };
  if (typeof module.handle !== 'function') {
    throw new TypeError(`the pool's handler ${href} has no exported function handle(task, context)`);
  }
  return module.handle as Handle;
}

/**
 * The worker loop. Returns once the queue is shut down and has nothing more for this thread (at once
 * after an immediate shutdown); the thread then exits by itself, which is what the pool joins.
 */
export async function serve(init: PoolWorkerData, port: { postMessage(outcome: Outcome): void }): Promise<void> {
  const queue = Queue.from(init.queue);
  const handle = await loadHandler(init.handler);
  const context: TaskContext = { data: init.data, index: init.index };
  for (;;) {
    let task: number;
    try {
      task = queue.get(); // blocks this thread only, for as long as it takes
    } catch (error) {
      if (error instanceof QueueShutDown) return; // shut down, and nothing left for us
      throw error;
    }
    // One task at a time: an async handler is awaited before the next get(), or a thread would run
    // many tasks at once and the pool's size would limit nothing (P03).
    let outcome: Outcome;
    try {
      await handle(task, context);
      outcome = { task, ok: true };
    } catch (error) {
      // The task failed, not the thread: report it and go on serving (P04). Only plain data crosses
      // threads, so the error travels as its name, message and stack.
      outcome =
        error instanceof Error
          ? { task, ok: false, name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
          : { task, ok: false, name: 'Error', message: String(error) };
    }
    port.postMessage(outcome);
  }
}

// This file is imported by the main thread as well (for its types, and by the grader): only a thread
// that pool.ts started serves.
if (!isMainThread && (workerData as Partial<PoolWorkerData> | null)?.role === 'learn-io:thread-pool') {
  await serve(workerData as PoolWorkerData, parentPort!);
}
