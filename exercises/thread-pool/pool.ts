// Exercise thread-pool: a fixed pool of worker threads fed by one blocking Queue.
// The contract is README.md next to this file (`npx learn-io read thread-pool`); check with
// `npx learn-io check thread-pool`.
//
// Given and complete: the types, the default onResult and rebuild(). Everything marked TODO is yours,
// here and in worker.ts (the loop each thread runs). Keep the names and shapes: the hidden tests use them.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue, QueueEmpty, startWorker } from 'learn-io/threads';
import type { Outcome, PoolWorkerData, TaskContext } from './worker.ts';

export type { TaskContext } from './worker.ts';

/** The handler module's export: `export function handle(task, context)`, sync or async. */
export type TaskHandler = (task: number, context: TaskContext) => unknown;

/** How one task went, told to onResult once per task that ran. */
export type TaskResult =
  | { task: number; ok: true; threadId: number }
  /** `error` is rebuilt in the main thread: the thrown error's name and message (and its stack). */
  | { task: number; ok: false; threadId: number; error: Error };

export interface PoolOptions {
  /** Worker threads, started by the constructor: an integer from 1 to 256. */
  size: number;
  /** The module whose exported handle(task, context) runs the tasks: a path (from the current directory) or a file: URL. */
  handler: string | URL;
  /** Task ids the queue holds beyond those running: an integer >= 1, default 2 * size. */
  queueCapacity?: number;
  /** Given to every handler call as context.data: structured-cloned once per thread; SharedArrayBuffers inside are shared. */
  data?: unknown;
  /** Called in the main thread once per task that ran. Default: failures printed on stderr. */
  onResult?: (result: TaskResult) => void;
}

const MAX_SIZE = 256;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The default onResult: successes are quiet, failures are printed (a failure must never vanish). */
function printFailure(result: TaskResult): void {
  if (!result.ok) console.error(`thread-pool: task ${result.task} failed on thread ${result.threadId}: ${result.error.stack ?? result.error.message}`);
}

/** The thrown error of a failed task, as an Error of the main thread with the same name, message and stack. */
function rebuild(outcome: Extract<Outcome, { ok: false }>): Error {
  const error = new Error(outcome.message);
  error.name = outcome.name;
  if (outcome.stack !== undefined) error.stack = outcome.stack;
  return error;
}

const todo = (what: string): never => {
  throw new Error(`thread-pool: ${what} is not written yet (exercises/thread-pool/pool.ts)`);
};

export class ThreadPool {
  /** The number of threads (P01). */
  readonly size: number;

  /**
   * TODO: check the options (P10), create the Queue, and start `options.size` threads now, each running
   * worker.ts: `startWorker(new URL('./worker.ts', import.meta.url), data)` (P01). Listen to each
   * thread's 'message' (outcomes, for onResult), 'error' and 'exit' (for shutdown's join, P08).
   * A URL object cannot be cloned to a thread: send the handler as an href string (pathToFileURL of
   * path.resolve(handler) for a path).
   * Throws a RangeError for a size or a queueCapacity that is not an integer in range, before any
   * thread starts.
   */
  constructor(options: PoolOptions) {
    this.size = options.size;
    todo('the ThreadPool constructor');
  }

  /** TODO: the thread ids of the pool's threads (worker.threadId), in start order: always the same `size` ids (P01). */
  threadIds(): number[] {
    return todo('threadIds()');
  }

  /**
   * TODO: queues task id `task` (a 32-bit integer) for the next free thread. While the queue is full
   * it blocks the calling thread: without a limit, or at most `timeoutMs` ms, after which it throws the
   * library's QueueFull and the task is not queued (P05). After shutdown() it throws QueueShutDown at
   * once (P09). A task that is not an int32 is a RangeError (P10).
   */
  submit(task: number, timeoutMs?: number): void {
    void task;
    void timeoutMs;
    todo('submit()');
  }

  /**
   * TODO: stops the pool: no task is accepted from now on. With `drain` (the default) the threads first
   * run every task already queued (P06); without it, the queued tasks are taken out now and never run,
   * and their ids are what the promise resolves to, in submit order (P07). Tasks already running finish
   * either way. Resolves once every thread has exited and every result has been delivered (P08); a
   * second call returns the first call's promise (P09).
   */
  shutdown(options: { drain?: boolean } = {}): Promise<number[]> {
    void options;
    return todo('shutdown()');
  }
}
