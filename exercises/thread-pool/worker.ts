// Exercise thread-pool, the thread side: the body of every thread of the pool (rules P02-P04, P06, P07
// of README.md). Take a task id from the shared Queue, run the handler on it, tell the pool how it went,
// and go back for the next one, until the queue is shut down. pool.ts starts this file with
// startWorker(); the loop is serve().
//
// Given and complete: the types, loadHandler() and the last lines (only a pool thread serves). serve()
// is yours.
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
 * TODO: the worker loop (P02-P04, P06, P07). Take task ids from the Queue (Queue.from(init.queue)) one
 * at a time, run the handler on each (await what it returns: one task at a time per thread), and post
 * an Outcome per task: `port.postMessage(outcome)`. A task that throws or rejects is a failed outcome,
 * never the end of the thread. Return once get() throws QueueShutDown: the thread then exits by
 * itself, which is what the pool joins.
 */
export async function serve(init: PoolWorkerData, port: { postMessage(outcome: Outcome): void }): Promise<void> {
  void init;
  void port;
  throw new Error('thread-pool: serve() is not written yet (exercises/thread-pool/worker.ts)');
}

// This file is imported by the main thread as well (for its types, and by the grader): only a thread
// that pool.ts started serves.
if (!isMainThread && (workerData as Partial<PoolWorkerData> | null)?.role === 'learn-io:thread-pool') {
  await serve(workerData as PoolWorkerData, parentPort!);
}
