// Helpers for the thread-pool suite (pool.test.ts): the probe's shared counters seen from the main
// thread, a record of every worker thread the process starts, waits that always have a limit, and
// failure messages that say in words what the learner's pool did.
//
// Not a test file: only files named *.test.ts are run. It imports nothing from the code under test,
// so a missing export still fails only the API test.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import workerThreads, { type Worker } from 'node:worker_threads';
import { expect } from 'vitest';
import {
  COUNTS,
  FINISHED,
  GATE,
  GATE_TIMEOUTS,
  LENGTH,
  MAX_THREADS,
  ON_MAIN,
  PEAK,
  PLANS,
  RAN_ON,
  RUNNING,
  slotOf,
  STARTED,
  THREADS,
} from './layout.ts';

const suiteDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(suiteDir, '..', '..', '..');

/** The handler module every pool of the suite gets (probe.ts). */
export const PROBE = new URL('./probe.ts', import.meta.url);

// ---------------------------------------------------------------------------------------------------
// Module resolution in the pool's threads.
//
// Vitest's aliases (grader/vitest.config.ts) reach only this thread. A pool thread starts from
// src/threads/boot.mjs, which registers the harness's resolution hooks (grader/harness/hooks.mjs) when
// LEARN_IO_HOOKS is set: `learn-io/threads` then means this package's library wherever the graded
// files live (a workspace, or the temporary copy a grader makes, where no node_modules would find it),
// and the reference stays out of reach of graded code. Threads take a copy of process.env when they
// start, so setting it here, before any pool exists, is enough.
if (!process.env.LEARN_IO_HOOKS) {
  const target = process.env.LEARN_IO_TARGET;
  const solutions = path.join(root, 'solutions') + path.sep;
  process.env.LEARN_IO_HOOKS = JSON.stringify({
    sys: pathToFileURL(path.join(root, 'src', 'sys', 'index.ts')).href,
    threads: pathToFileURL(path.join(root, 'src', 'threads', 'index.ts')).href,
    solutions: pathToFileURL(path.join(root, 'solutions')).href + '/',
    allowSolutions: !target || path.resolve(target).startsWith(solutions),
  });
}

// ---------------------------------------------------------------------------------------------------
// Every worker thread this process starts, however the learner's code starts it (startWorker, or
// `new Worker` of node:worker_threads): the module's Worker is replaced by a subclass that records each
// one, and syncBuiltinESMExports() makes `import { Worker } from 'node:worker_threads'` see it too.
// This is how the suite knows how many threads a pool started, whether they exited, and how it ends
// every one of them after a test, whatever the pool did.

/** One thread the process started. */
export interface Thread {
  readonly worker: Worker;
  /** Its id, read at start (worker.threadId becomes -1 once it has exited). */
  readonly threadId: number;
  /** Its 'exit' event came. */
  exited: boolean;
}

const started: Thread[] = [];
const Original = workerThreads.Worker;
class RecordedWorker extends Original {
  constructor(...args: ConstructorParameters<typeof Original>) {
    super(...args);
    const thread: Thread = { worker: this, threadId: this.threadId, exited: false };
    started.push(thread);
    // Registered before any listener of the pool's, so it has run when the pool hears of the exit.
    this.once('exit', () => {
      thread.exited = true;
    });
  }
}
(workerThreads as { Worker: typeof Original }).Worker = RecordedWorker;
syncBuiltinESMExports();

/** A position in the record of threads: `threadsSince(mark)` lists those started after it. */
export const threadMark = (): number => started.length;
export const threadsSince = (mark: number): Thread[] => started.slice(mark);

/** The number of threads of this process, from /proc/self/status (Linux), or undefined. */
export function osThreads(): number | undefined {
  try {
    const m = /^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ends every thread started after `mark` that is still alive: terminate(), which also interrupts a
 * thread blocked in Atomics.wait, each awaited at most `limitMs`.
 */
export async function endThreadsSince(mark: number, limitMs = 2000): Promise<void> {
  const alive = threadsSince(mark).filter((t) => !t.exited);
  await Promise.all(alive.map((t) => settleWithin(t.worker.terminate(), limitMs)));
}

// ---------------------------------------------------------------------------------------------------
// The probe: the shared counters the handler (probe.ts) updates in the pool's threads.

export class Probe {
  readonly buffer = new SharedArrayBuffer(LENGTH * 4);
  readonly #a = new Int32Array(this.buffer);

  /** Sets what the handler does with each of `tasks` (layout.ts, Plan). */
  plan(tasks: Iterable<number>, plan: number): void {
    for (const task of tasks) Atomics.store(this.#a, PLANS + slotOf(task), plan);
  }
  /** Lets gated tasks go on (they wake at once). */
  open(): void {
    Atomics.store(this.#a, GATE, 1);
    Atomics.notify(this.#a, GATE);
  }

  get running(): number {
    return Atomics.load(this.#a, RUNNING);
  }
  get peak(): number {
    return Atomics.load(this.#a, PEAK);
  }
  get started(): number {
    return Atomics.load(this.#a, STARTED);
  }
  get finished(): number {
    return Atomics.load(this.#a, FINISHED);
  }
  get gateTimeouts(): number {
    return Atomics.load(this.#a, GATE_TIMEOUTS);
  }
  /** Handler calls made on the main thread. */
  get onMain(): number {
    return Atomics.load(this.#a, ON_MAIN);
  }
  /** How many times `task` ran. */
  count(task: number): number {
    return Atomics.load(this.#a, COUNTS + slotOf(task));
  }
  /** The thread id that last ran `task` (0: none). */
  ranOn(task: number): number {
    return Atomics.load(this.#a, RAN_ON + slotOf(task));
  }
  /** The distinct thread ids that ran tasks. */
  threads(): number[] {
    const ids: number[] = [];
    for (let i = 0; i < MAX_THREADS; i++) {
      const id = Atomics.load(this.#a, THREADS + i);
      if (id !== 0) ids.push(id);
    }
    return ids;
  }
  /** A one-line summary for messages. */
  summary(): string {
    return (
      `handler calls started ${this.started}, finished ${this.finished}, running now ${this.running}, ` +
      `most at once ${this.peak}; threads that ran tasks: [${this.threads().join(', ')}]`
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Waiting, always with a limit.

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `condition()` holds, checking every few ms (the main thread's event loop runs meanwhile,
 * so the pool's results come in), at most `limitMs`. Returns whether it held.
 */
export async function until(condition: () => boolean, limitMs: number): Promise<boolean> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    if (condition()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(2);
  }
}

/** How a promise came out: resolved, rejected, or still pending after the limit. */
export type Settled<T> = { state: 'resolved'; value: T } | { state: 'rejected'; error: unknown } | { state: 'pending' };

/** Waits for `promise` at most `limitMs`; never throws. */
export async function settleWithin<T>(promise: PromiseLike<T> | T, limitMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'pending' }), limitMs);
  });
  try {
    return await Promise.race([
      Promise.resolve(promise).then(
        (value): Settled<T> => ({ state: 'resolved', value }),
        (error: unknown): Settled<T> => ({ state: 'rejected', error }),
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Watches a promise without waiting for it: `watch(p).state` is what it is now. */
export function watch<T>(promise: PromiseLike<T>): { readonly state: Settled<T> } {
  const box: { state: Settled<T> } = { state: { state: 'pending' } };
  Promise.resolve(promise).then(
    (value) => {
      box.state = { state: 'resolved', value };
    },
    (error: unknown) => {
      box.state = { state: 'rejected', error };
    },
  );
  return box;
}

// ---------------------------------------------------------------------------------------------------
// Messages.

/** A value in one line, for messages. */
export const show = (value: unknown): string => inspect(value, { depth: 3, breakLength: Infinity, maxArrayLength: 12 });

/** An error in one line, without its stack: `QueueFull: the queue is full`. */
export const brief = (error: unknown): string =>
  error instanceof Error ? (error.message ? `${error.name}: ${error.message}` : error.name) : `${show(error)} (not an Error)`;

/** The stack frames of `error` in the code under test (not this suite, not the library, not node_modules). */
function framesOutside(error: unknown): string[] {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  const library = path.join(root, 'src') + path.sep;
  return stack.split('\n').filter((line) => {
    const at = /^\s+at .*?(?:file:\/\/)?(\/[^\s():]+):\d+:\d+\)?$/.exec(line);
    if (!at) return false;
    const file = path.resolve(String(at[1]));
    return !file.startsWith(suiteDir + path.sep) && !file.startsWith(library) && !file.includes(`${path.sep}node_modules${path.sep}`);
  });
}

/** Where an error was thrown in the code under test: " (at pool.ts:107)", or ''. */
export function origin(error: unknown): string {
  const first = framesOutside(error)[0];
  const at = first === undefined ? null : /(\/[^\s():]+):(\d+):\d+\)?$/.exec(first);
  return at ? ` (at ${path.basename(String(at[1]))}:${at[2]})` : '';
}

/** An error and where it came from, for messages: `Error: not written yet (at pool.ts:40)`. */
export const described = (error: unknown): string => `${brief(error)}${origin(error)}`;

/**
 * Fails the test with `message`, located at the test's call of `helper`. When a call of the learner's
 * crashed (`cause`), the crash's own frames follow, so that the grader points at the learner's line.
 */
export function fail(message: string, cause?: unknown, helper: Function = fail): never {
  try {
    expect.fail(message);
  } catch (failure) {
    if (failure instanceof Error) {
      Error.captureStackTrace(failure, helper);
      const frames = framesOutside(cause);
      if (frames.length > 0) failure.stack = [failure.stack, ...frames].join('\n');
    }
    throw failure;
  }
}

/** Calls `fn`, which should return; a throw fails the test with `should`, what it threw, and `why`. */
export function returned<T>(fn: () => T, should: string, why?: string): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof Error && error.name === 'AssertionError') throw error;
    fail(`${should}, but it threw ${described(error)}${why ? `\n${why}` : ''}`, error, returned);
  }
}

/** Calls `fn`, which should throw; returns what it threw, or fails with `should` and what it returned. */
export function thrown(fn: () => unknown, should: string, why?: string): unknown {
  let value: unknown;
  try {
    value = fn();
  } catch (error) {
    if (error instanceof Error && error.name === 'AssertionError') throw error;
    return error;
  }
  fail(`${should}, but it returned ${show(value)}${why ? `\n${why}` : ''}`, undefined, thrown);
}

/** A list of task ids, shortened: `[2, 3, 4, … 12 in all]`. */
export function ids(list: readonly number[]): string {
  return list.length <= 10 ? `[${list.join(', ')}]` : `[${list.slice(0, 8).join(', ')}, … ${list.length} in all]`;
}

/** 0, 1, …, n - 1. */
export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
