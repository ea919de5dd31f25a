// Hidden suite for the thread-pool exercise (exercises/thread-pool/README.md).
//
// The first test checks the exports (README, "The API"), so that a missing or renamed export is named
// once instead of surfacing as the same TypeError in every test. Every other test name starts with the
// id of the rule it checks (README, "The rules": P01-P10).
//
// How the suite sees inside the pool without trusting it, and without timing anything:
// - Every pool gets the same handler module, probe.ts, and a SharedArrayBuffer in options.data. The
//   handler counts in it with Atomics, from the pool's threads: tasks running now and the most ever
//   running at once, how often each task ran and on which thread, which threads ran tasks. What a
//   task does (return, throw, wait at a gate the test opens) is its plan, written before it is
//   submitted. "At most size at once" is a counter that never passed size, not a stopwatch.
// - Every worker thread the process starts is recorded (support.ts replaces node:worker_threads'
//   Worker with a subclass that records it and its 'exit'), so the suite knows how many threads a pool
//   started and whether they had all exited when shutdown() resolved.
// - Each test runs in withPool(), which ends whatever the test leaves: it opens the gate, shuts the pool
//   down (bounded), and terminates any thread still alive. Every wait has a limit.
// A test takes about 0.3 to 1 s, mostly the threads' start-up (each compiles its TypeScript).
import { describe, expect, it } from 'vitest';
import { QueueFull, QueueShutDown } from 'learn-io/threads';
import * as poolModule from '@learn-io/target/thread-pool/pool.ts';
import { ThreadPool, type TaskResult } from '@learn-io/target/thread-pool/pool.ts';
import { HOLD_MS, Plan, SLOTS, slotOf } from './layout.ts';
import {
  brief,
  described,
  endThreadsSince,
  fail,
  ids,
  osThreads,
  Probe,
  PROBE,
  range,
  returned,
  settleWithin,
  show,
  sleep,
  threadMark,
  threadsSince,
  thrown,
  until,
  watch,
  type Settled,
  type Thread,
} from './support.ts';

/** The limit of one test (the grader's, or Vitest's default in grader/vitest.config.ts). */
const TEST_LIMIT_MS = Number(process.env.LEARN_IO_TEST_TIMEOUT_MS ?? 2000);
/**
 * Every test's waits end by this long after it began, so that a failure is told before the timeout,
 * with time left for withPool() to clean up (at most CLEANUP_MS more).
 */
const BUDGET_MS = Math.max(1500, TEST_LIMIT_MS - 1500);
const CLEANUP_MS = 600;
/** How long the suite watches for something that must not happen (more tasks starting, a promise resolving). */
const WINDOW_MS = 150;

/** Why a submit with a long limit can fail. */
const QUEUE_STUCK =
  "(a QueueFull here means the pool's threads took no task from the queue for that long: did they die, or never start serving?)";

interface PoolSetup {
  size: number;
  queueCapacity?: number;
  handler?: string | URL;
}

/** One pool under test, with its probe, its results, and waits bounded by the test's budget. */
interface Scene {
  pool: ThreadPool;
  probe: Probe;
  /** What onResult was called with, in order. */
  results: TaskResult[];
  /** The constructor's call, for messages: `new ThreadPool({ size: 3, queueCapacity: 12 })`. */
  made: string;
  /** The threads started since the scene began (the pool's, unless it is broken). */
  threads(): Thread[];
  /** Waits until `condition()` holds, at most what is left of the test's budget. */
  until(condition: () => boolean): Promise<boolean>;
  /** Waits for `promise`, at most what is left of the budget. */
  settle<T>(promise: PromiseLike<T>): Promise<Settled<T>>;
  /** pool.submit(task, what is left of the budget), failing readably if it throws. */
  submit(task: number): void;
  /** pool.shutdown(options), failing readably if it throws instead of returning a promise. */
  shutdown(options?: { drain?: boolean }): Promise<number[]>;
}

/** `{ size: 3, queueCapacity: 12 }` as the README writes it. */
const optionsText = (setup: PoolSetup) =>
  `{ size: ${setup.size}${setup.queueCapacity === undefined ? '' : `, queueCapacity: ${setup.queueCapacity}`}, handler, data, onResult }`;

/**
 * Runs `body` with a fresh pool on the probe handler. Afterwards, whatever happened: the gate opens,
 * the pool is shut down without draining (bounded), and every thread still alive is terminated.
 */
async function withPool(setup: PoolSetup, body: (scene: Scene) => Promise<void>): Promise<void> {
  const began = performance.now();
  const left = () => Math.max(0, BUDGET_MS - (performance.now() - began));
  const mark = threadMark();
  const probe = new Probe();
  const results: TaskResult[] = [];
  const made = `new ThreadPool(${optionsText(setup)})`;
  let pool: ThreadPool | undefined;
  try {
    pool = returned(
      () =>
        new ThreadPool({
          size: setup.size,
          ...(setup.queueCapacity === undefined ? {} : { queueCapacity: setup.queueCapacity }),
          handler: setup.handler ?? PROBE,
          data: { probe: probe.buffer },
          onResult: (result: TaskResult) => {
            results.push(result);
          },
        }),
      `${made} should have started the pool`,
    );
    const p = pool;
    await body({
      pool: p,
      probe,
      results,
      made,
      threads: () => threadsSince(mark),
      until: (condition) => until(condition, left()),
      settle: (promise) => settleWithin(promise, left()),
      submit(task) {
        // With a limit, so that a pool whose threads stopped taking tasks fails here instead of
        // blocking this thread (and the test) for good; the limit itself is P05's business.
        const limit = Math.max(1, Math.round(left()));
        returned(() => p.submit(task, limit), `pool.submit(${task}, ${limit}) should have queued the task`, QUEUE_STUCK);
      },
      shutdown(options) {
        const call = `pool.shutdown(${options === undefined ? '' : show(options)})`;
        const promise = returned(() => p.shutdown(options), `${call} should have returned a promise`);
        if (typeof (promise as { then?: unknown } | undefined)?.then !== 'function') {
          fail(`${call} should have returned a promise, but it returned ${show(promise)}`);
        }
        return promise;
      },
    });
  } finally {
    probe.open();
    if (pool) {
      try {
        await settleWithin(pool.shutdown({ drain: false }), CLEANUP_MS);
      } catch {
        // a broken shutdown: the threads are ended below anyway
      }
    }
    await endThreadsSince(mark, CLEANUP_MS);
  }
}

/** The results onResult got for `task`. */
const resultsFor = (results: TaskResult[], task: number) => results.filter((r) => r.task === task);

/** A result in a few words: `ok on thread 7`, `failed (ProbeError: …) on thread 7`. */
function resultText(r: TaskResult): string {
  if (r.ok === true) return `ok on thread ${r.threadId}`;
  if (r.ok === false) return `failed (${brief(r.error)}) on thread ${r.threadId}`;
  return show(r);
}

/**
 * Checks that each of `tasks` ran exactly once (`times` = 1) or never (`times` = 0), listing the
 * offenders by how often they ran.
 */
function expectRuns(probe: Probe, tasks: readonly number[], times: 0 | 1, what: string): void {
  const wrong = new Map<number, number[]>();
  for (const task of tasks) {
    const n = probe.count(task);
    if (n !== times) wrong.set(n, [...(wrong.get(n) ?? []), task]);
  }
  if (wrong.size === 0) return;
  const parts = [...wrong.entries()].map(([n, list]) => `${n === 0 ? 'never ran' : n === 1 ? 'ran once' : `ran ${n} times`}: ${ids(list)}`);
  fail(`${what}, but of those ${tasks.length} tasks, ${parts.join('; ')}\n(${probe.summary()})`, undefined, expectRuns);
}

/** Waits until `n` handler calls has finished and onResult has had `results` calls. */
async function allDone(s: Scene, n: number, results: number, what: string): Promise<void> {
  if (await s.until(() => s.probe.finished >= n && s.results.length >= results)) return;
  const failures = s.results.filter((r) => r.ok !== true).slice(0, 2).map((r) => `task ${r.task}: ${resultText(r)}`);
  fail(
    `${what}: ${count(n, 'task')} should have run and ${count(results, 'result')} reached onResult, but within the test's time ` +
      `${s.probe.finished} finished and onResult was called ${s.results.length} times` +
      `${failures.length > 0 ? ` (first failures reported: ${failures.join('; ')})` : ''}\n(${s.probe.summary()}; ${threadsText(s)})`,
    undefined,
    allDone,
  );
}

/** Waits until at least `n` tasks have started; fails saying how many did. */
async function started(s: Scene, n: number, what: string): Promise<void> {
  if (await s.until(() => s.probe.started >= n)) return;
  const failures = s.results.filter((r) => r.ok !== true).slice(0, 2).map((r) => `task ${r.task}: ${resultText(r)}`);
  fail(
    `${what}: ${count(n, 'task')} should have started, but within the test's time ${s.probe.started} did` +
      `${failures.length > 0 ? `; onResult reported ${failures.join('; ')}` : ''}\n(${s.probe.summary()}; ${threadsText(s)})`,
    undefined,
    started,
  );
}

/** `the pool started 2 threads, 2 of them have exited`, for messages. */
const threadsText = (s: Scene) => {
  const exited = s.threads().filter((t) => t.exited).length;
  return `the pool started ${count(s.threads().length, 'thread')}, ${exited} of them ${exited === 1 ? 'has' : 'have'} exited`;
};

/** `1 task`, `3 tasks`. */
const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The threads of the scene that have not exited. */
const alive = (s: Scene) => s.threads().filter((t) => !t.exited);

/** How a value that should have been a class or a function looks, for the API test. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return `an object (${show(value)})`;
  return `${typeof value} ${show(value)}`;
}

describe('the API', () => {
  it('API pool.ts exports the class ThreadPool, with submit(), shutdown() and threadIds()', () => {
    const exported: Record<string, unknown> = { ...poolModule };
    const problems: string[] = [];
    const C = exported.ThreadPool;
    if (!('ThreadPool' in exported)) {
      const listed = Object.keys(exported).length === 0 ? 'it exports nothing' : `its exports: ${Object.keys(exported).sort().join(', ')}`;
      problems.push(`pool.ts has no export named \`ThreadPool\` (a class); ${listed}`);
    } else if (typeof C !== 'function') {
      problems.push(`the export \`ThreadPool\` is ${kindOf(C)}, not a class`);
    } else {
      for (const method of ['submit', 'shutdown', 'threadIds']) {
        const found: unknown = (C.prototype as Record<string, unknown> | undefined)?.[method];
        if (typeof found !== 'function') problems.push(`ThreadPool has no method ${method}(): ThreadPool.prototype.${method} is ${kindOf(found)}`);
      }
    }
    if (problems.length > 0) expect.fail(problems.join('\n'));
  });
});

describe('threads', () => {
  it('P01 the constructor starts exactly size threads, and the same threads serve 1,000 tasks, before and after an idle spell', async () => {
    const setup = { size: 3, queueCapacity: 16 };
    await withPool(setup, async (s) => {
      const atStart = s.threads().map((t) => t.threadId);
      expect(atStart.length, `the threads ${s.made} had started when the constructor returned (size 3: start them all there, once)`).toBe(3);
      expect(s.pool.size, 'pool.size').toBe(3);
      const reported = returned(() => s.pool.threadIds(), 'pool.threadIds() should have returned the ids of the pool\'s threads');
      expect([...reported].sort(), 'pool.threadIds(), sorted, next to the ids of the threads the constructor started').toEqual([...atStart].sort());

      const tasks = range(0, 1000);
      for (const task of tasks.slice(0, 500)) s.submit(task);
      await allDone(s, 500, 500, 'after 500 submits');
      await sleep(WINDOW_MS); // idle: an idle thread waits in get(), it does not leave
      for (const task of tasks.slice(500)) s.submit(task);
      await allDone(s, 1000, 1000, 'after 500 more submits, following an idle spell');

      const now = s.threads();
      if (now.length !== 3) {
        fail(
          `the pool should have served 1,000 tasks with the 3 threads it started, but it started ${now.length} threads in all ` +
            `(${now.length - 3} more while serving): a pool starts its threads once, never one per task, and keeps them until shutdown`,
        );
      }
      const gone = now.filter((t) => t.exited);
      expect(gone.map((t) => t.threadId), 'threads of the pool that exited while it served tasks or idled (none should: a thread serves until shutdown)').toEqual([]);
      const strangers = s.probe.threads().filter((id) => !atStart.includes(id));
      expect(strangers, `thread ids that ran tasks but are not among the pool's threads [${atStart.join(', ')}]`).toEqual([]);
      expect(s.probe.onMain, 'tasks the main thread ran itself (none: tasks run on the pool\'s threads)').toBe(0);
      expect([...s.pool.threadIds()].sort(), 'pool.threadIds() after 1,000 tasks: the same ids as at the start').toEqual([...atStart].sort());
      const wrongIds = s.results.filter((r) => !atStart.includes(r.threadId)).slice(0, 3).map((r) => `task ${r.task}: threadId ${show(r.threadId)}`);
      expect(wrongIds, "results whose threadId is not one of the pool's threads").toEqual([]);
    });
  });
});

describe('tasks', () => {
  it('P02 every task runs exactly once: 1,000 tasks on 4 threads through a queue of 8, and the ids 0, -1, -2^31, 2^31-1', async () => {
    const special = [0, -1, -(2 ** 31), 2 ** 31 - 1];
    const tasks = [...special, ...range(1, 1000)];
    // The probe counts per slot (task mod SLOTS): these ids must not share one.
    expect(new Set(tasks.map(slotOf)).size, `the suite's own task ids share probe slots (SLOTS ${SLOTS})`).toBe(tasks.length);
    // The handler as a plain absolute path this time (the README allows a path or a file: URL).
    await withPool({ size: 4, queueCapacity: 8, handler: decodeURIComponent(PROBE.pathname) }, async (s) => {
      for (const task of tasks) s.submit(task);
      await s.until(() => s.probe.finished >= tasks.length && s.results.length >= tasks.length);
      await sleep(20); // a task run twice would show now
      expectRuns(s.probe, tasks, 1, 'every submitted task should have run exactly once');
      const counted = new Map<number, number>();
      for (const r of s.results) counted.set(r.task, (counted.get(r.task) ?? 0) + 1);
      const missing = tasks.filter((t) => !counted.has(t));
      const twice = [...counted].filter(([, n]) => n > 1).map(([t]) => t);
      const strange = [...counted.keys()].filter((t) => !tasks.includes(t));
      if (missing.length + twice.length + strange.length > 0) {
        fail(
          `onResult should have been called once for each of the ${tasks.length} tasks, but ` +
            [
              missing.length > 0 ? `never for ${ids(missing)}` : '',
              twice.length > 0 ? `more than once for ${ids(twice)}` : '',
              strange.length > 0 ? `also for task ids never submitted: ${ids(strange)}` : '',
            ]
              .filter(Boolean)
              .join('; '),
        );
      }
      const failed = s.results.filter((r) => r.ok !== true).slice(0, 3);
      expect(failed.map((r) => `task ${r.task}: ${resultText(r)}`), 'results that are not ok (every task here returns normally)').toEqual([]);
    });
  });
});

describe('at most size at once', () => {
  it('P03 with 12 tasks waiting, exactly size (3) run at once, never more', async () => {
    await withPool({ size: 3, queueCapacity: 12 }, async (s) => {
      const tasks = range(0, 12);
      s.probe.plan(tasks, Plan.GATED); // each blocks its thread until the test opens the gate
      for (const task of tasks) s.submit(task);
      await started(s, 3, '12 blocking tasks submitted to a pool of 3');
      await sleep(WINDOW_MS); // time for a fourth to start, if the pool lets one
      if (s.probe.started !== 3 || s.probe.peak > 3) {
        fail(
          `a pool of size 3 should run 3 tasks at once and let the other 9 wait, but ${s.probe.peak} ran at once ` +
            `(${s.probe.started} started while the first 3 still blocked their threads)\n(${s.probe.summary()})`,
        );
      }
      s.probe.open();
      await allDone(s, 12, 12, 'once the gate opened');
      expect(s.probe.peak, 'the most tasks that ever ran at once (never more than size 3)').toBe(3);
      expectRuns(s.probe, tasks, 1, 'each of the 12 tasks should have run once');
    });
  });

  it('P03 an async handle() is awaited: a thread starts its next task only when the promise settles', async () => {
    await withPool({ size: 2, queueCapacity: 8 }, async (s) => {
      const tasks = range(0, 8);
      s.probe.plan(tasks, Plan.ASYNC_GATED); // async: awaits the gate, the thread's event loop free meanwhile
      for (const task of tasks) s.submit(task);
      await started(s, 2, '8 async tasks submitted to a pool of 2');
      await sleep(WINDOW_MS);
      if (s.probe.started !== 2) {
        fail(
          `a pool of size 2 should run 2 async tasks at once, each thread awaiting handle()'s promise before it takes ` +
            `the next task, but ${s.probe.started} tasks started while the first 2 promises were pending\n(${s.probe.summary()})`,
        );
      }
      s.probe.open();
      await allDone(s, 8, 8, 'once the gate opened');
      expect(s.probe.peak, 'the most async tasks that were ever running at once (at most size 2)').toBe(2);
    });
  });
});

describe('errors', () => {
  it('P04 a task that throws is reported with its id and error, and its thread goes on serving', async () => {
    await withPool({ size: 2, queueCapacity: 30 }, async (s) => {
      const tasks = range(0, 30);
      const throwing = [3, 4, 5, 6, 20];
      s.probe.plan(throwing, Plan.THROW);
      const threadsBefore = s.threads().map((t) => t.threadId);
      for (const task of tasks) s.submit(task);
      await allDone(s, 30, 30, '30 tasks, 5 of which throw, on a pool of 2');
      expectRuns(s.probe, tasks, 1, 'every task should have run once, those after the failures too');
      for (const task of tasks) {
        const got = resultsFor(s.results, task);
        if (got.length !== 1) fail(`onResult should have been called once for task ${task}, but it was called ${got.length} times: ${show(got.map(resultText))}`);
        const r = got[0]!;
        if (!throwing.includes(task)) {
          if (r.ok !== true) fail(`task ${task} returned normally, so its result should be { ok: true }, but it is ${resultText(r)}`);
          continue;
        }
        if (r.ok !== false) fail(`task ${task} threw, so its result should have ok: false, but it is ${show(r)}`);
        const error = (r as { error?: unknown }).error;
        if (!(error instanceof Error)) fail(`the result of task ${task} should carry the error as an Error, but its error is ${show(error)}`);
        expect(
          { name: error.name, message: error.message },
          `the error of task ${task}'s result: the name and message of what the handler threw`,
        ).toEqual({ name: 'ProbeError', message: `task ${task} failed on purpose` });
      }
      const now = s.threads();
      expect(now.map((t) => t.threadId), 'the threads of the pool after 5 failures: the same 2, none replaced').toEqual(threadsBefore);
      expect(now.filter((t) => t.exited).map((t) => t.threadId), 'threads that exited because a task threw (none should)').toEqual([]);
      expect(s.probe.threads().length, 'threads that ran tasks').toBeLessThanOrEqual(2);
    });
  });

  it('P04 a rejected promise and a thrown non-Error are reported too', async () => {
    await withPool({ size: 1, queueCapacity: 4 }, async (s) => {
      s.probe.plan([1], Plan.REJECT);
      s.probe.plan([2], Plan.THROW_STRING);
      for (const task of [1, 2, 3]) s.submit(task);
      await allDone(s, 3, 3, 'a rejecting task, a task that throws a string, then a normal one, on a pool of 1');
      const one = resultsFor(s.results, 1);
      const two = resultsFor(s.results, 2);
      const three = resultsFor(s.results, 3);
      expect(
        one.map((r) => (r.ok ? 'ok' : { ok: false, name: r.error?.name, message: r.error?.message })),
        'the results of task 1, whose handle() returned a promise that rejected',
      ).toEqual([{ ok: false, name: 'ProbeError', message: 'task 1 rejected on purpose' }]);
      expect(
        two.map((r) => (r.ok ? 'ok' : { ok: false, isError: r.error instanceof Error, name: r.error?.name, message: r.error?.message })),
        "the results of task 2, whose handle() threw the string 'task 2 threw a string' (an Error named 'Error', message String(value))",
      ).toEqual([{ ok: false, isError: true, name: 'Error', message: 'task 2 threw a string' }]);
      expect(three.map((r) => r.ok), 'the results of task 3, run by the same thread after both').toEqual([true]);
      expect(s.threads().filter((t) => t.exited).map((t) => t.threadId), 'threads of the pool that exited (none should: a failed task is not a dead thread)').toEqual([]);
    });
  });
});

describe('back-pressure', () => {
  it('P05 submit() with a limit throws QueueFull when the queue stays full, and the task is not queued', async () => {
    await withPool({ size: 1, queueCapacity: 2 }, async (s) => {
      s.probe.plan([0], Plan.GATED);
      s.submit(0);
      await started(s, 1, 'a blocking task submitted to a pool of 1');
      s.submit(1); // the queue holds 2
      s.submit(2);
      const now = thrown(() => s.pool.submit(3, 0), 'pool.submit(3, 0) with the thread busy and the queue full (2 of 2) should have thrown QueueFull');
      if (!(now instanceof QueueFull)) fail(`pool.submit(3, 0) on a full queue should have thrown the library's QueueFull, but it threw ${described(now)}`, now);
      const t0 = performance.now();
      const later = thrown(() => s.pool.submit(4, 100), 'pool.submit(4, 100) on a queue that stays full should have thrown QueueFull after 100 ms');
      const waited = performance.now() - t0;
      if (!(later instanceof QueueFull)) fail(`pool.submit(4, 100) on a full queue should have thrown the library's QueueFull, but it threw ${described(later)}`, later);
      if (waited < 90) fail(`pool.submit(4, 100) should have waited 100 ms for room before it gave up, but it threw QueueFull after ${waited.toFixed(0)} ms`);
      s.probe.open();
      await allDone(s, 3, 3, 'once the gate opened');
      await sleep(20);
      expectRuns(s.probe, [0, 1, 2], 1, 'the 3 tasks that were queued should have run once');
      expectRuns(s.probe, [3, 4], 0, 'the 2 tasks refused with QueueFull should never run');
    });
  });

  it('P05 submit() without a limit waits for room: it returns only once a thread has taken a task from the queue', async () => {
    await withPool({ size: 1, queueCapacity: 1 }, async (s) => {
      s.probe.plan([0], Plan.HOLD); // blocks its thread HOLD_MS, then returns
      s.submit(0);
      await started(s, 1, 'a task submitted to a pool of 1');
      s.submit(1); // fills the queue (1 of 1)
      // Without a limit: it must block until task 0 is done and the thread has taken task 1.
      returned(() => s.pool.submit(2), 'pool.submit(2), with the queue full, should have waited for room, then queued the task');
      const finishedThen = s.probe.finished;
      if (finishedThen < 1) {
        fail(
          `pool.submit(2) with the only thread busy (task 0 holds it ${HOLD_MS} ms) and the queue full should have waited ` +
            `until the thread took task 1, but it returned while task 0 was still running (${s.probe.summary()})`,
        );
      }
      await allDone(s, 3, 3, 'after the three submits');
      expectRuns(s.probe, [0, 1, 2], 1, 'each of the three tasks should have run once');
    });
  });

  it('P05 the queue holds 2 × size tasks by default', async () => {
    await withPool({ size: 2 }, async (s) => {
      s.probe.plan([0, 1], Plan.GATED);
      s.submit(0);
      s.submit(1);
      await started(s, 2, 'two blocking tasks submitted to a pool of 2');
      for (const task of [2, 3, 4, 5]) {
        returned(() => s.pool.submit(task, 0), `pool.submit(${task}, 0) should have queued task ${task}: by default the queue holds 2 × size = 4 waiting tasks`);
      }
      const refused = thrown(() => s.pool.submit(6, 0), 'pool.submit(6, 0) should have thrown QueueFull: 2 tasks running and 4 waiting fill a pool of 2 with the default queue');
      if (!(refused instanceof QueueFull)) fail(`pool.submit(6, 0) should have thrown the library's QueueFull, but it threw ${described(refused)}`, refused);
    });
  });
});

describe('shutdown', () => {
  it('P06 shutdown({ drain: true }) runs every task submitted before it, then resolves with []', async () => {
    await withPool({ size: 2, queueCapacity: 10 }, async (s) => {
      const tasks = range(0, 10);
      s.probe.plan([0, 1], Plan.GATED);
      for (const task of tasks) s.submit(task);
      await started(s, 2, '10 tasks on a pool of 2, the first two blocking');
      const stopping = s.shutdown({ drain: true });
      s.probe.open();
      const got = await s.settle(stopping);
      if (got.state !== 'resolved') fail(`pool.shutdown({ drain: true }) should have resolved once the queue was drained, but it ${got.state === 'pending' ? 'was still pending at the end of the test' : `rejected with ${described(got.error)}`}\n(${s.probe.summary()})`);
      expect(got.value, 'what shutdown({ drain: true }) resolved with (no task was cancelled)').toEqual([]);
      expectRuns(s.probe, tasks, 1, 'shutdown({ drain: true }) should have let every queued task run once');
      expect(s.results.length, 'results onResult had been given when shutdown({ drain: true }) resolved (all 10: it resolves after its threads exited)').toBe(10);
    });
  });

  it('P07 shutdown({ drain: false }) cancels the waiting tasks: they never run, and it resolves with their ids in submit order', async () => {
    await withPool({ size: 2, queueCapacity: 10 }, async (s) => {
      const waiting = range(2, 10);
      s.probe.plan([0, 1], Plan.GATED);
      for (const task of [0, 1, ...waiting]) s.submit(task);
      await started(s, 2, '10 tasks on a pool of 2, the first two blocking');
      const stopping = s.shutdown({ drain: false });
      s.probe.open(); // the running tasks may finish now; the waiting ones must not start
      const got = await s.settle(stopping);
      if (got.state !== 'resolved') fail(`pool.shutdown({ drain: false }) should have resolved once the two running tasks finished, but it ${got.state === 'pending' ? 'was still pending at the end of the test' : `rejected with ${described(got.error)}`}\n(${s.probe.summary()})`);
      await sleep(20);
      expectRuns(s.probe, waiting, 0, 'the 8 tasks still waiting in the queue when shutdown({ drain: false }) was called should never run');
      expectRuns(s.probe, [0, 1], 1, 'the 2 tasks running when shutdown({ drain: false }) was called should have finished');
      expect(got.value, 'what shutdown({ drain: false }) resolved with: the ids of the cancelled tasks, in submit order').toEqual(waiting);
      expect(s.results.map((r) => r.task).sort((a, b) => a - b), 'the tasks onResult was told about (only those that ran)').toEqual([0, 1]);
    });
  });

  it('P08 shutdown() resolves only once every thread has exited, after every result has been delivered', async () => {
    await withPool({ size: 3, queueCapacity: 9 }, async (s) => {
      const tasks = range(0, 9);
      s.probe.plan([0, 1, 2], Plan.GATED);
      for (const task of tasks) s.submit(task);
      await started(s, 3, '9 tasks on a pool of 3, the first three blocking');
      const before = osThreads();
      const stopping = s.shutdown();
      // At the moment it resolves: which threads had exited, how many results had come.
      let atResolve: { alive: number[]; results: number; finished: number } | undefined;
      const resolved = stopping.then((value) => {
        atResolve = { alive: alive(s).map((t) => t.threadId), results: s.results.length, finished: s.probe.finished };
        return value;
      });
      const early = watch(resolved);
      await sleep(WINDOW_MS); // three tasks still block their threads: it cannot be over
      if (early.state.state !== 'pending') {
        fail(
          `pool.shutdown() should have waited for the 3 running tasks and for its threads to exit, but it ` +
            `${early.state.state === 'resolved' ? 'resolved' : `rejected with ${described((early.state as { error: unknown }).error)}`} while ` +
            `${s.probe.running} tasks were still running and ${alive(s).length} threads alive: await each thread's 'exit'`,
        );
      }
      s.probe.open();
      const got = await s.settle(resolved);
      if (got.state !== 'resolved') fail(`pool.shutdown() should have resolved once its threads exited, but it ${got.state === 'pending' ? 'was still pending at the end of the test' : `rejected with ${described(got.error)}`}\n(${s.probe.summary()}; ${alive(s).length} threads alive)`);
      const seen = atResolve!;
      if (seen.alive.length > 0) {
        const after = osThreads();
        fail(
          `pool.shutdown() should have resolved only after every thread's 'exit' event, but when it resolved, ` +
            `${seen.alive.length} of the pool's 3 threads had not exited (ids ${seen.alive.join(', ')})` +
            `${before !== undefined && after !== undefined ? `; the process had ${before} threads before shutdown(), ${after} now` : ''}`,
        );
      }
      expect(seen.results, 'results onResult had been given when shutdown() resolved (all 9: every result is delivered before)').toBe(9);
    });
  });

  it('P08 an idle pool shuts down too: threads that never got a task exit, and shutdown() resolves', async () => {
    await withPool({ size: 2 }, async (s) => {
      const got = await s.settle(s.shutdown());
      if (got.state !== 'resolved') fail(`pool.shutdown() right after the constructor, before any task, should have resolved once both threads exited, but it ${got.state === 'pending' ? 'was still pending at the end of the test' : `rejected with ${described(got.error)}`} (${alive(s).length} threads alive)`);
      expect(got.value, 'what shutdown() of an idle pool resolved with').toEqual([]);
      expect(alive(s).map((t) => t.threadId), "ids of the pool's threads still alive when shutdown() resolved (none: await each thread's 'exit')").toEqual([]);
    });
  });

  it('P09 after shutdown(), submit() throws QueueShutDown at once, and a second shutdown() resolves like the first', async () => {
    await withPool({ size: 1, queueCapacity: 4 }, async (s) => {
      s.probe.plan([0], Plan.GATED);
      s.submit(0);
      s.submit(1);
      await started(s, 1, 'a blocking task on a pool of 1');
      const threadsBefore = s.threads().length;
      const first = s.shutdown({ drain: false });
      const refused = thrown(() => s.pool.submit(2), 'pool.submit(2) after pool.shutdown() should have thrown QueueShutDown');
      if (!(refused instanceof QueueShutDown)) fail(`pool.submit(2) after shutdown() should have thrown the library's QueueShutDown, but it threw ${described(refused)}`, refused);
      const second = returned(() => s.pool.shutdown(), 'a second pool.shutdown() should have returned a promise');
      s.probe.open();
      const [a, b] = [await s.settle(first), await s.settle(Promise.resolve(second))];
      if (a.state !== 'resolved') fail(`the first pool.shutdown({ drain: false }) should have resolved, but it ${a.state === 'pending' ? 'was still pending' : `rejected with ${described(a.error)}`}`);
      if (b.state !== 'resolved') fail(`the second pool.shutdown() should have resolved like the first, but it ${b.state === 'pending' ? 'was still pending' : `rejected with ${described(b.error)}`}`);
      expect(b.value, 'what the second shutdown() resolved with: the same as the first (task 1 cancelled)').toEqual(a.value);
      const afterAll = thrown(() => s.pool.submit(3), 'pool.submit(3) after the pool stopped should have thrown QueueShutDown');
      if (!(afterAll instanceof QueueShutDown)) fail(`pool.submit(3) after the pool stopped should have thrown QueueShutDown, but it threw ${described(afterAll)}`, afterAll);
      await sleep(20);
      expectRuns(s.probe, [2, 3], 0, 'tasks submitted after shutdown() should never run');
      expect(s.threads().length - threadsBefore, 'threads the pool started after shutdown() (none, for refused tasks)').toBe(0);
    });
  });
});

describe('arguments', () => {
  it('P10 a size or queueCapacity that is not an integer in range is a RangeError, and no thread starts', async () => {
    const bad: [string, Record<string, unknown>][] = [
      ['size: 0', { size: 0 }],
      ['size: -2', { size: -2 }],
      ['size: 1.5', { size: 1.5 }],
      ['size: NaN', { size: NaN }],
      ["size: '2'", { size: '2' }],
      ['size: 257', { size: 257 }],
      ['queueCapacity: 0', { size: 1, queueCapacity: 0 }],
      ['queueCapacity: 2.5', { size: 1, queueCapacity: 2.5 }],
    ];
    const mark = threadMark();
    try {
      for (const [text, options] of bad) {
        const error = thrown(
          () => new ThreadPool({ handler: PROBE, ...options } as unknown as ConstructorParameters<typeof ThreadPool>[0]),
          `new ThreadPool({ ${text}, handler }) should have thrown a RangeError`,
        );
        if (!(error instanceof RangeError)) fail(`new ThreadPool({ ${text}, handler }) should have thrown a RangeError, but it threw ${described(error)}`, error);
        const n = threadsSince(mark).length;
        if (n > 0) fail(`new ThreadPool({ ${text}, handler }) threw, but it had started ${n} threads first: check the options before starting any`);
      }
    } finally {
      await endThreadsSince(mark);
    }
  });

  it('P10 submit() of a task that is not a 32-bit integer is a RangeError, and nothing runs', async () => {
    await withPool({ size: 1 }, async (s) => {
      for (const task of [1.5, 2 ** 31, -(2 ** 31) - 1, NaN, Infinity]) {
        const error = thrown(() => s.pool.submit(task), `pool.submit(${task}) should have thrown a RangeError (a task is a 32-bit integer)`);
        if (!(error instanceof RangeError)) fail(`pool.submit(${task}) should have thrown a RangeError, but it threw ${described(error)}`, error);
      }
      const got = await s.settle(s.shutdown());
      if (got.state !== 'resolved') fail(`pool.shutdown() should have resolved, but it ${got.state === 'pending' ? 'was still pending' : `rejected with ${described(got.error)}`}`);
      expect(s.probe.started, 'handler calls after five refused submits').toBe(0);
    });
  });
});
