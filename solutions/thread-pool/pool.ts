// A fixed pool of worker threads fed by one blocking Queue (the contract: README.md, rules P01-P10).
//
// The shape, in one paragraph: the constructor starts `size` threads, once, each running worker.ts's
// loop over the same shared Queue of task ids. submit() is queue.put(): it blocks the calling thread
// while the queue is full, which is the pool's back-pressure. Each thread posts an outcome per task; the
// main thread turns it into a TaskResult for onResult. shutdown() shuts the queue (the threads drain
// it, or, to cancel, the pool empties it first) and resolves when every thread has exited: a thread
// exits by returning from its loop, so joining is waiting for the 'exit' events.
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

export class ThreadPool {
  /** The number of threads (P01). */
  readonly size: number;
  readonly #queue: Queue;
  /** The threads' ids, read at start: once a thread has exited, worker.threadId is -1. */
  readonly #threadIds: number[] = [];
  /** One promise per thread, settled by its 'exit' event. */
  readonly #exits: Promise<void>[] = [];
  readonly #onResult: (result: TaskResult) => void;
  /** The first shutdown()'s promise; set means the pool takes no more tasks. */
  #stopping: Promise<number[]> | undefined;

  /**
   * Starts `options.size` threads now, and never any other (P01). Throws a RangeError for a size or a
   * queueCapacity that is not an integer in range, and a TypeError for a missing handler, before any
   * thread starts (P10).
   */
  constructor(options: PoolOptions) {
    const { size, handler, data } = options;
    const capacity = options.queueCapacity ?? 2 * size;
    if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) throw new RangeError(`a pool's size is an integer from 1 to ${MAX_SIZE}, not ${size}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queueCapacity is an integer >= 1, not ${capacity}`);
    if (typeof handler !== 'string' && !(handler instanceof URL)) throw new TypeError('options.handler is the path or file: URL of the handler module');
    this.size = size;
    this.#queue = Queue.create(capacity);
    this.#onResult = options.onResult ?? printFailure;
    // A URL object cannot cross to a thread (it is not cloneable): send the href.
    const href = handler instanceof URL ? handler.href : handler.startsWith('file:') ? handler : pathToFileURL(path.resolve(handler)).href;

    for (let index = 0; index < size; index++) {
      const init: PoolWorkerData = { role: 'learn-io:thread-pool', queue: this.#queue.buffer, handler: href, data, index };
      const worker = startWorker(new URL('./worker.ts', import.meta.url), init as unknown as Record<string, unknown>);
      // Read now: once the thread has exited, worker.threadId is -1.
      const threadId = worker.threadId;
      worker.on('message', (outcome: Outcome) => {
        this.#onResult(outcome.ok ? { task: outcome.task, ok: true, threadId } : { task: outcome.task, ok: false, threadId, error: rebuild(outcome) });
      });
      // A thread that dies (its handler module does not load, say) must not take the process with it:
      // an 'error' event without a listener would be thrown in the main thread.
      worker.on('error', (error) => console.error(`thread-pool: thread ${threadId} died:`, error));
      // Node delivers every message a thread posted before its 'exit' event, so when all exits are in,
      // every result has reached onResult (P08).
      this.#exits.push(new Promise((resolve) => worker.once('exit', () => resolve())));
      this.#threadIds.push(threadId);
    }
  }

  /** The thread ids of the pool's threads (worker.threadId), in start order: always the same `size` ids (P01). */
  threadIds(): number[] {
    return [...this.#threadIds];
  }

  /**
   * Queues task id `task` (a 32-bit integer) for the next free thread. While the queue is full it
   * blocks the calling thread: without a limit, or at most `timeoutMs` ms, after which it throws the
   * library's QueueFull and the task is not queued (P05). After shutdown() it throws QueueShutDown at
   * once (P09). A task that is not an int32 is a RangeError (P10).
   */
  submit(task: number, timeoutMs?: number): void {
    if (!Number.isInteger(task) || task < INT32_MIN || task > INT32_MAX) throw new RangeError(`a task is a 32-bit integer, not ${task}`);
    // After shutdown() the queue refuses puts with QueueShutDown, whichever way it was shut.
    this.#queue.put(task, timeoutMs);
  }

  /**
   * Stops the pool: no task is accepted from now on. With `drain` (the default) the threads first run
   * every task already queued (P06); without it, the queued tasks are taken out now and never run, and
   * their ids are what the promise resolves to, in submit order (P07). Tasks already running finish
   * either way. Resolves once every thread has exited and every result has been delivered (P08); a
   * second call returns the first call's promise (P09).
   */
  shutdown(options: { drain?: boolean } = {}): Promise<number[]> {
    if (this.#stopping) return this.#stopping;
    const cancelled: number[] = [];
    if (options.drain === false) {
      // Take the waiting tasks out ourselves, so that we can say which they were; a thread that got
      // one first is running it, and it finishes. Only this thread puts, so the queue cannot refill.
      for (;;) {
        try {
          cancelled.push(this.#queue.getNowait());
        } catch (error) {
          if (error instanceof QueueEmpty) break;
          throw error;
        }
      }
      this.#queue.shutdown({ immediate: true });
    } else {
      this.#queue.shutdown(); // the threads drain what is left, then get() tells them to stop
    }
    this.#stopping = Promise.all(this.#exits).then(() => cancelled);
    return this.#stopping;
  }
}
