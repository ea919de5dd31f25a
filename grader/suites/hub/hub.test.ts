// Hidden suite for the hub exercise, part 1: the scheduler (exercises/hub/README.md).
//
// The first test checks the exports (README, "The API"), so that a missing or renamed export is
// named once instead of surfacing as the same TypeError in every test. Every other test name starts
// with the id of the rule it checks (README, "The rules": V01–V37; V38 is not part of the contract),
// or I01 for the one rule of part 2 that the scheduler alone can show: an idle hub sleeps, it does not
// spin. The expected values are what gevent does (shared/design/coroutines.md, part B), in
// milliseconds, with `undefined` for None and `active` for `bool(g)`.
//
// Almost every test runs on a virtual clock (support.ts): time moves only when the hub sleeps on it,
// at once, so "done at 2000 ms, not 3000" is checked exactly and instantly, and a test simulates busy
// CPU work inside a task with clock.advance(ms). Two tests (last describe block) use the real clock,
// briefly: the idle hub must sleep, not spin, and the sleep-2/sleep-1 example overlaps for real.
//
// Each test builds its own hub, and never asserts inside a task (a failed assertion there would be an
// exception of that task, which the hub keeps or throws out of run()). Tasks record what happened,
// with the virtual time, and the test checks once run() has returned. Failure messages are written
// for the learner (helpers in support.ts):
// - identity checks compare labels, not objects: `name(x)` is 'a', 'boom', … for the tasks and error
//   objects the test knows, 'an unknown task' for another task, so a failure reads
//   `the tasks joinAll returned: expected [ 'a', 'b' ] to equal [ 'b', 'a' ]`;
// - a waiting call is recorded with `yield* settle(call)`, then checked with returnedIn / raisedIn /
//   raisedSame, which say what it should have done and what it did instead ("should have returned
//   undefined, but it raised Timeout: 100 ms (created at hub.ts:88)").
import { describe, expect, it } from 'vitest';
import * as hubModule from '@learn-io/target/hub/hub.ts';
import { GreenletExit, Hub, LoopExit, Task, Timeout } from '@learn-io/target/hub/hub.ts';
import {
  attempt,
  brief,
  errorFrom,
  names,
  raisedIn,
  raisedSame,
  read,
  returned,
  returnedIn,
  settle,
  show,
  VirtualClock,
  type Outcome,
} from './support.ts';

// Stand-ins for the Python exception classes of the observations, so failures read the same.
class ValueError extends Error {
  override name = 'ValueError';
}
class KeyError extends Error {
  override name = 'KeyError';
}
class ZeroDivisionError extends Error {
  override name = 'ZeroDivisionError';
}
class Boom extends Error {
  override name = 'Boom';
}
class Stop extends Error {
  override name = 'Stop';
}
class TooLong extends Error {
  override name = 'TooLong';
}

/** One onError call. */
interface Reported {
  task: unknown;
  error: unknown;
}

/** A hub on a fresh virtual clock, with its onError calls collected. */
function setup() {
  const clock = new VirtualClock();
  const reported: Reported[] = [];
  const hub = new Hub({
    clock,
    onError: (task: unknown, error: unknown) => {
      reported.push({ task, error });
    },
  });
  return { hub, clock, reported };
}

/** `hub.run(main)`, which should return what main returned; a raise fails the test, saying what came out. */
function run<R>(hub: Hub, main: () => Generator<unknown, R, any>, why?: string): R {
  return returned(() => hub.run(main), 'hub.run(main) should have returned what main returned', why);
}

/** `name(x)` is the label of the known object x is, 'an unknown task', 'undefined' or x printed. */
const labels = (known: () => Record<string, unknown>) =>
  names(known, (value) => typeof Task === 'function' && value instanceof Task);

/** The four state flags of a task; a flag that crashes reads as the text of the crash. */
const state = (t: Task) => ({
  active: read(() => t.active),
  dead: read(() => t.dead),
  ready: read(() => t.ready()),
  successful: read(() => t.successful()),
});
const CREATED = { active: false, dead: false, ready: false, successful: false };
const ALIVE = { active: true, dead: false, ready: false, successful: false };
const SUCCEEDED = { active: false, dead: true, ready: true, successful: true };
const FAILED = { active: false, dead: true, ready: true, successful: false };

/** The onError calls as [task label, error label] pairs. */
const calls = (reported: Reported[], name: (value: unknown) => string) => reported.map((r) => [name(r.task), name(r.error)]);

/** How a value that should have been a class or a function looks, for the API test. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return `an object (${show(value)})`;
  return `${typeof value} ${show(value)}`;
}

describe('the API', () => {
  it('API hub.ts exports Hub, Task, Timeout, GreenletExit and LoopExit with the documented shapes', () => {
    const exported: Record<string, unknown> = { ...hubModule };
    const listed = Object.keys(exported).length === 0 ? 'it exports nothing' : `its exports: ${Object.keys(exported).sort().join(', ')}`;
    const problems: string[] = [];
    const classes = [
      ['Hub', 'a class'],
      ['Task', 'a class'],
      ['Timeout', 'a class that extends Error'],
      ['GreenletExit', 'a class that extends Error'],
      ['LoopExit', 'a class that extends Error'],
    ] as const;
    for (const [name, what] of classes) {
      const value = exported[name];
      if (!(name in exported)) problems.push(`hub.ts has no export named \`${name}\` (${what}); ${listed}`);
      else if (typeof value !== 'function') problems.push(`the export \`${name}\` is ${kindOf(value)}, not ${what}`);
      else if (what.endsWith('Error') && !((value as Function).prototype instanceof Error)) {
        problems.push(`${name} does not extend Error (\`class ${name} extends Error\`)`);
      }
    }
    const methods = (name: string, list: string[]) => {
      const C = exported[name];
      if (typeof C !== 'function') return;
      for (const method of list) {
        const found: unknown = (C.prototype as Record<string, unknown> | undefined)?.[method];
        if (typeof found !== 'function') problems.push(`${name} has no method ${method}(): ${name}.prototype.${method} is ${kindOf(found)}`);
      }
    };
    methods('Hub', ['now', 'run', 'spawn', 'getcurrent', 'sleep', 'joinAll', 'killAll', 'timeout', 'withTimeout']);
    methods('Task', ['start', 'ready', 'successful', 'join', 'get', 'kill']);
    methods('Timeout', ['start', 'cancel']);
    if (problems.length > 0) expect.fail(problems.join('\n'));

    // Instances: the hub, a created task, a Timeout, and the generator methods. Called outside a task
    // without `yield*`, a generator method does nothing at all: it only makes a generator.
    const clock = new VirtualClock();
    const hub = returned(() => new Hub({ clock, onError: () => {} }), 'new Hub({ clock, onError }) should have made a hub');
    const t = returned(() => new Task(hub, function* worker() {}), 'new Task(hub, fn) should have made a task');
    for (const [property, type] of [
      ['active', 'boolean'],
      ['dead', 'boolean'],
      ['name', 'string'],
    ] as const) {
      const value = read(() => (t as unknown as Record<string, unknown>)[property]);
      if (typeof value !== type) problems.push(`.${property} of a new Task is ${kindOf(value)}, not a ${type}`);
    }
    const timeout = read(() => hub.timeout(10));
    if (!(timeout instanceof Timeout)) problems.push(`hub.timeout(10) returned ${kindOf(timeout)}, not a Timeout`);
    else {
      if (timeout.ms !== 10) problems.push(`hub.timeout(10).ms is ${kindOf(timeout.ms)}, not 10`);
      const pending = read(() => timeout.pending);
      if (typeof pending !== 'boolean') problems.push(`.pending of a Timeout is ${kindOf(pending)}, not a boolean`);
    }
    const generators: [string, () => unknown][] = [
      ['hub.sleep(10)', () => hub.sleep(10)],
      ['hub.joinAll([t])', () => hub.joinAll([t])],
      ['hub.killAll([t])', () => hub.killAll([t])],
      ['hub.withTimeout(10, body)', () => hub.withTimeout(10, function* () {})],
      ['t.join()', () => t.join()],
      ['t.get()', () => t.get()],
      ['t.kill()', () => t.kill()],
    ];
    for (const [call, make] of generators) {
      const made = attempt(make);
      if (made.raised) {
        problems.push(`${call} outside a task threw ${brief(made.error)}; a generator method only makes a generator until iterated`);
        continue;
      }
      const g = made.value as { next?: unknown; [Symbol.iterator]?: unknown } | null | undefined;
      if (typeof g?.next !== 'function' || typeof g?.[Symbol.iterator] !== 'function') {
        problems.push(`${call} returned ${kindOf(made.value)}, not a generator (write the method as \`*name(...) { ... }\`)`);
      }
    }
    const flags = state(t);
    if (flags.dead !== false || flags.active !== false) {
      problems.push(`after the calls above the created task changed: ${show(flags)}; nothing should have run`);
    }
    if (problems.length > 0) expect.fail(problems.join('\n'));
  });
});

describe('scheduling', () => {
  it('V01 spawn() returns the task at once; nothing has run yet', () => {
    const { hub } = setup();
    const log: unknown[] = [];
    function* job(a: number, b: number) {
      log.push(['task ran', a, b]);
      return 'result';
    }
    let t!: Task<string>;
    const seen: Record<string, unknown> = {};
    run(hub, function* main() {
      t = hub.spawn(job, 1, 2);
      seen.isTask = t instanceof Task;
      seen.log = [...log];
      seen.flags = state(t);
      seen.value = read(() => t.value);
      seen.exception = read(() => t.exception);
      yield* t.join();
    });
    expect(seen.isTask, 'spawn() returned a Task').toBe(true);
    expect(seen.log, 'what the task had logged right after spawn() returned (nothing: it has not run yet)').toEqual([]);
    expect(seen.flags, 'the flags right after spawn(): scheduled, so active, though nothing ran').toEqual(ALIVE);
    expect(seen.value, '.value right after spawn()').toBeUndefined();
    expect(seen.exception, '.exception right after spawn()').toBeUndefined();
    expect(log, 'what the task logged once joined: it ran once, with the arguments of spawn()').toEqual([['task ran', 1, 2]]);
    expect(state(t), 'the flags after it returned').toEqual(SUCCEEDED);
    expect(t.value, '.value after it returned').toBe('result');
    expect(t.exception, '.exception after it returned').toBeUndefined();
  });

  it('V02 a spawned task runs only when the running one waits, not during CPU work or a blocking call', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    const seen: Record<string, unknown> = {};
    run(hub, function* main() {
      hub.spawn(function* spawned() {
        log.push('spawned ran');
      });
      clock.advance(50); // 50 ms of busy CPU work
      seen.afterBusy = [...log];
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a blocking call: 5 real ms
      seen.afterBlocking = [...log];
      yield* hub.sleep(0);
      seen.afterSleep0 = [...log];
    });
    expect(seen.afterBusy, 'what the spawned task had logged after 50 ms of busy work in main').toEqual([]);
    expect(seen.afterBlocking, 'what it had logged after a blocking Atomics.wait in main').toEqual([]);
    expect(seen.afterSleep0, 'what it had logged after main called sleep(0), a cooperative wait').toEqual(['spawned ran']);
  });

  it('V03 ready tasks start in spawn order, each until its first wait; the spawner comes back behind them', () => {
    const { hub } = setup();
    const log: string[] = [];
    function* worker(i: number) {
      log.push(`start ${i}`);
      yield* hub.sleep(0);
      log.push(`resume ${i}`);
    }
    run(hub, function* main() {
      const tasks = [0, 1, 2, 3, 4].map((i) => hub.spawn(worker, i));
      log.push('main before yield');
      yield* hub.sleep(0);
      log.push('main after one sleep(0)');
      yield* hub.joinAll(tasks);
    });
    expect(log, 'the order of the log').toEqual([
      'main before yield',
      'start 0',
      'start 1',
      'start 2',
      'start 3',
      'start 4',
      'main after one sleep(0)',
      'resume 0',
      'resume 1',
      'resume 2',
      'resume 3',
      'resume 4',
    ]);
  });

  it('V04 sleep(0) is a pure yield: the foo/bar example', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    run(hub, function* main() {
      const foo = hub.spawn(function* foo() {
        log.push('Running in foo');
        yield* hub.sleep(0);
        log.push('Explicit context switch to foo again');
      });
      const bar = hub.spawn(function* bar() {
        log.push('Explicit context to bar');
        yield* hub.sleep(0);
        log.push('Implicit context switch back to bar');
      });
      yield* hub.joinAll([foo, bar]);
    });
    expect(log, 'the order of the log: each sleep(0) lets the other task run').toEqual([
      'Running in foo',
      'Explicit context to bar',
      'Explicit context switch to foo again',
      'Implicit context switch back to bar',
    ]);
    expect(clock.now(), 'virtual time at the end: sleep(0) moves no time').toBe(0);
  });

  it('V04 a negative sleep is a pure yield too, and moves no time', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    run(hub, function* main() {
      const a = hub.spawn(function* a() {
        log.push('a1');
        yield* hub.sleep(-5);
        log.push('a2');
      });
      const b = hub.spawn(function* b() {
        log.push('b1');
        yield* hub.sleep(-5);
        log.push('b2');
      });
      yield* hub.joinAll([a, b]);
    });
    expect(log, 'the order of the log: sleep(-5) lets the other task run, like sleep(0)').toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(clock.now(), 'virtual time at the end').toBe(0);
  });

  it('V05 two tasks sleeping 2000 and 1000 ms finish at 2000 ms, not 3000', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    let finishedAt: number | undefined;
    function* worker(name: string, ms: number) {
      log.push(`t=${clock.now()} ${name} starts`);
      yield* hub.sleep(ms);
      log.push(`t=${clock.now()} ${name} done`);
      return name;
    }
    const order = run(hub, function* main() {
      const a = hub.spawn(worker, 'A', 2000);
      const b = hub.spawn(worker, 'B', 1000);
      const done = yield* hub.joinAll([a, b]);
      finishedAt = clock.now();
      return done.map((t) => t.value);
    });
    expect(log, 'the log, with virtual times: the sleeps overlap').toEqual([
      't=0 A starts',
      't=0 B starts',
      't=1000 B done',
      't=2000 A done',
    ]);
    expect(finishedAt, 'the virtual time when joinAll returned (the longest sleep, not the sum)').toBe(2000);
    expect(order, 'what main returned: the values of the tasks joinAll returned, in completion order').toEqual(['B', 'A']);
  });

  it('V06 sleepers wake in deadline order', () => {
    const { hub, clock } = setup();
    const woke: [number, number][] = [];
    run(hub, function* main() {
      const tasks = [300, 100, 200, 0].map((ms) =>
        hub.spawn(function* sleeper() {
          yield* hub.sleep(ms);
          woke.push([ms, clock.now()]);
        }),
      );
      yield* hub.joinAll(tasks);
    });
    expect(
      woke.map(([ms]) => ms),
      'the order in which sleeps of 300, 100, 200 and 0 ms (spawned in that order) returned',
    ).toEqual([0, 100, 200, 300]);
    expect(
      woke.map(([ms, at]) => `sleep(${ms}) returned at t=${at}`),
      'when each sleep returned, in virtual time',
    ).toEqual(['sleep(0) returned at t=0', 'sleep(100) returned at t=100', 'sleep(200) returned at t=200', 'sleep(300) returned at t=300']);
  });

  it('V06 a deadline is when sleep() was called plus ms: a later, shorter sleep can overtake', () => {
    const { hub, clock } = setup();
    const woke: string[] = [];
    run(hub, function* main() {
      const a = hub.spawn(function* a() {
        yield* hub.sleep(100); // deadline 100
        woke.push(`a at t=${clock.now()}`);
      });
      yield* hub.sleep(50);
      const b = hub.spawn(function* b() {
        yield* hub.sleep(30); // called at 50: deadline 80
        woke.push(`b at t=${clock.now()}`);
      });
      const c = hub.spawn(function* c() {
        yield* hub.sleep(60); // called at 50: deadline 110
        woke.push(`c at t=${clock.now()}`);
      });
      yield* hub.joinAll([a, b, c]);
    });
    expect(
      woke,
      'a sleeps 100 ms from t=0; at t=50 b sleeps 30 ms (deadline 80) and c 60 ms (deadline 110): the order they woke',
    ).toEqual(['b at t=80', 'a at t=100', 'c at t=110']);
  });

  it('V07 twenty equal sleeps wake in the order they began (FIFO on ties)', () => {
    const { hub, clock } = setup();
    const woke: number[] = [];
    run(hub, function* main() {
      const tasks = Array.from({ length: 20 }, (_, i) =>
        hub.spawn(function* sleeper() {
          yield* hub.sleep(10);
          woke.push(i);
        }),
      );
      yield* hub.joinAll(tasks);
    });
    expect(woke, 'the order in which 20 tasks, spawned 0 to 19, each sleeping 10 ms, woke').toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(clock.now(), 'virtual time at the end').toBe(10);
  });

  it('V07 two tasks, then main, sleeping 20 ms wake as first, second, main', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    run(hub, function* main() {
      hub.spawn(function* first() {
        yield* hub.sleep(20);
        log.push(`first at t=${clock.now()}`);
      });
      hub.spawn(function* second() {
        yield* hub.sleep(20);
        log.push(`second at t=${clock.now()}`);
      });
      yield* hub.sleep(0); // both start their sleeps
      yield* hub.sleep(20); // main's sleep begins last, with the same deadline
      log.push(`main at t=${clock.now()}`);
    });
    expect(log, 'the order of the wake-ups: equal deadlines, in the order the sleeps began').toEqual([
      'first at t=20',
      'second at t=20',
      'main at t=20',
    ]);
  });

  it('V08 tasks that loop on sleep(0) are served round-robin', () => {
    const { hub } = setup();
    const log: string[] = [];
    function* looper(name: string) {
      for (let i = 0; i < 3; i++) {
        log.push(`${name}${i}`);
        yield* hub.sleep(0);
      }
    }
    run(hub, function* main() {
      const tasks = ['A', 'B', 'C'].map((name) => hub.spawn(looper, name));
      yield* hub.joinAll(tasks);
    });
    expect(log.join(' '), 'three tasks, each logging and calling sleep(0) three times').toBe('A0 B0 C0 A1 B1 C1 A2 B2 C2');
  });

  it('V09 a task spawned by a task queues behind the tasks already ready', () => {
    const { hub } = setup();
    const log: string[] = [];
    run(hub, function* main() {
      let c: Task | undefined;
      const a = hub.spawn(function* A() {
        log.push('A start');
        c = hub.spawn(function* C() {
          log.push('C start');
        });
        yield* hub.sleep(0);
        log.push('A resume');
      });
      const b = hub.spawn(function* B() {
        log.push('B start');
      });
      yield* hub.joinAll([a, b]);
      if (c) yield* c.join();
    });
    expect(log, 'A spawns C then calls sleep(0); B was spawned before C: the order of the log').toEqual([
      'A start',
      'B start',
      'C start',
      'A resume',
    ]);
  });

  it('V36 ready tasks run before timers that expired while a task was busy', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    run(hub, function* main() {
      const a = hub.spawn(function* A() {
        yield* hub.sleep(10);
        log.push(`A at t=${clock.now()} (timer expired while B was busy)`);
      });
      const b = hub.spawn(function* B() {
        log.push('B start');
        clock.advance(50); // busy: A's deadline (10) passes
        yield* hub.sleep(0);
        log.push('B after sleep(0)');
      });
      yield* hub.joinAll([a, b]);
    });
    expect(
      log,
      "A sleeps 10 ms; B, busy for 50 ms, calls sleep(0): B was ready before A's timer was fired, so it runs first",
    ).toEqual(['B start', 'B after sleep(0)', 'A at t=50 (timer expired while B was busy)']);
  });

  it('V30 getcurrent() is the running task inside a task, and null outside run()', () => {
    const { hub } = setup();
    const seen: Record<string, unknown> = {};
    let t!: Task;
    let mainTask: unknown;
    function* helper() {
      seen.inHelper = hub.getcurrent();
    }
    seen.before = read(() => hub.getcurrent());
    run(hub, function* main() {
      mainTask = hub.getcurrent();
      t = hub.spawn(function* child() {
        seen.inChild = hub.getcurrent();
        yield* hub.sleep(0);
        seen.inChildLater = hub.getcurrent();
        yield* helper();
      });
      yield* t.join();
      seen.inMainLater = hub.getcurrent();
    });
    const name = labels(() => ({ main: mainTask, t }));
    expect(mainTask, 'getcurrent() inside main: the Task that runs main').toBeInstanceOf(Task);
    expect(name(seen.inChild), 'getcurrent() inside the spawned task t').toBe('t');
    expect(name(seen.inChildLater), 'getcurrent() inside t after a sleep(0)').toBe('t');
    expect(name(seen.inHelper), 'getcurrent() inside a helper generator t delegates to with yield*').toBe('t');
    expect(name(seen.inMainLater), 'getcurrent() inside main again after join()').toBe('main');
    expect(name(seen.before), 'getcurrent() before run()').toBe('null');
    expect(name(read(() => hub.getcurrent())), 'getcurrent() after run() returned').toBe('null');
  });

  it('V30 spawn passes its extra arguments unchanged; a task is named after its function', () => {
    const { hub } = setup();
    const object = { k: 3 };
    let args: unknown[] = [];
    let named!: Task;
    let anonymous!: Task;
    const nameless = [function* () {}][0]!;
    run(hub, function* main() {
      named = hub.spawn(
        function* worker(...received: unknown[]) {
          args = received;
        },
        1,
        object,
        undefined,
      );
      anonymous = hub.spawn(nameless);
      yield* hub.joinAll([named, anonymous]);
    });
    expect(args.length, 'how many arguments the task received from spawn(worker, 1, object, undefined)').toBe(3);
    expect(args[0], 'the first argument').toBe(1);
    expect(args[1] === object, 'the second argument is the very object given to spawn()').toBe(true);
    expect(args[2], 'the third argument').toBeUndefined();
    expect(named.name, 'the name of a task of `function* worker`').toBe('worker');
    expect(anonymous.name, 'the name of a task of an anonymous generator function').toBe('task');
  });

  it('V31 tasks run only while run() is running: main returning at once leaves a spawned task unrun', async () => {
    const { hub } = setup();
    const log: string[] = [];
    const result = run(hub, function* main() {
      hub.spawn(function* spawned() {
        log.push('spawned ran');
      });
      log.push('main done');
      return 'main value';
    });
    expect(result, 'what run() returned').toBe('main value');
    expect(log, 'main spawned a task and returned without waiting: the log').toEqual(['main done']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(log, 'the log a little later, after run() returned').toEqual(['main done']);

    const second = setup();
    const log2: string[] = [];
    run(second.hub, function* main() {
      second.hub.spawn(function* spawned() {
        log2.push('spawned ran');
      });
      yield* second.hub.sleep(0);
      log2.push('main done');
    });
    expect(log2, 'the same with one sleep(0) in main before it returns').toEqual(['spawned ran', 'main done']);
  });

  it('V31 run() returns as soon as main returns, before tasks woken in the same turn', () => {
    const { hub } = setup();
    const log: string[] = [];
    run(hub, function* main() {
      hub.spawn(function* late() {
        yield* hub.sleep(10); // the same deadline as main, armed just after main's
        log.push('late woke');
      });
      yield* hub.sleep(10);
      log.push('main done');
    });
    expect(
      log,
      "main and a task both wake at t=10, main first: run() returns when main returns, the task's rest never runs",
    ).toEqual(['main done']);
  });

  it('V31 calling run() from inside a task is an Error', () => {
    const { hub } = setup();
    const log: string[] = [];
    let inner: Outcome<unknown> | undefined;
    const result = run(hub, function* main() {
      inner = attempt(() =>
        hub.run(function* nested() {
          log.push('nested main ran');
        }),
      );
      yield* hub.sleep(0);
      return 'main went on';
    });
    const error = raisedIn(inner, 'hub.run(...) called inside main should have thrown an Error');
    expect(error, 'what hub.run(...) inside a task threw').toBeInstanceOf(Error);
    expect(log, 'the body given to the nested run() never runs').toEqual([]);
    expect(result, 'what the outer run() returned: main caught the error and went on').toBe('main went on');
  });

  it('V32 main waiting on something that can never happen gets a LoopExit at its wait', () => {
    const { hub, clock } = setup();
    let outcome: Outcome<void> | undefined;
    let at: number | undefined;
    const result = run(hub, function* main() {
      const never = new Task(hub, function* neverStarted() {});
      outcome = yield* settle(never.join());
      at = clock.now();
      return 'main went on';
    });
    const error = raisedIn(
      outcome,
      'main joining a task that was never started (nothing ready, no timer) should have got a LoopExit from join()',
    );
    expect(error, 'what join() raised').toBeInstanceOf(LoopExit);
    expect((error as Error).message, 'the message of the LoopExit').toBe('This operation would block forever');
    expect(at, 'the virtual time when main got it').toBe(0);
    expect(result, 'what run() returned: main caught the LoopExit and went on').toBe('main went on');
  });

  it('V32 a LoopExit comes only once no timer is left, and comes out of run() when uncaught', () => {
    const { hub, clock } = setup();
    let at: number | undefined;
    const error = errorFrom(
      () =>
        hub.run(function* main() {
          hub.spawn(function* sleeper() {
            yield* hub.sleep(500);
          });
          const never = new Task(hub, function* neverStarted() {});
          try {
            yield* never.join();
          } finally {
            at = clock.now();
          }
        }),
      'hub.run(main), when main joins a task that is never started,',
    );
    expect(error, 'what came out of run()').toBeInstanceOf(LoopExit);
    expect(at, 'when main got it: once the other task finished its 500 ms sleep, and not before').toBe(500);
  });

  it('V32 two tasks joining each other deadlock: main gets a LoopExit', () => {
    const { hub } = setup();
    let outcome: Outcome<void> | undefined;
    run(hub, function* main() {
      const me = hub.getcurrent()!;
      const other = hub.spawn(function* other() {
        yield* me.join();
      });
      outcome = yield* settle(other.join());
    });
    const error = raisedIn(outcome, 'main joining a task that joins main should have got a LoopExit');
    expect(error, 'what main got').toBeInstanceOf(LoopExit);
  });

  it('V33 sleep(ms) lasts ms, exactly on the virtual clock; hub.now() reads the clock', () => {
    const { hub, clock } = setup();
    const lasted: number[] = [];
    const readings: [number, number][] = [];
    run(hub, function* main() {
      for (const ms of [10, 50, 100]) {
        const start = clock.now();
        yield* hub.sleep(ms);
        lasted.push(clock.now() - start);
        readings.push([hub.now(), clock.now()]);
      }
    });
    expect(lasted, 'how long sleep(10), sleep(50) and sleep(100) lasted, in virtual ms').toEqual([10, 50, 100]);
    expect(
      readings.map(([h, c]) => `hub.now() ${h} at clock ${c}`),
      'hub.now() after each sleep, next to the clock it was given',
    ).toEqual(['hub.now() 10 at clock 10', 'hub.now() 60 at clock 60', 'hub.now() 160 at clock 160']);
  });

  it('V34 a created task is not scheduled: it does not run, and join(timeout) on it times out', () => {
    const { hub, clock } = setup();
    const log: unknown[] = [];
    const seen: Record<string, unknown> = {};
    let t!: Task<number>;
    run(hub, function* main() {
      t = new Task(hub, function* made(x: string) {
        log.push(['ran', x]);
        return 1;
      }, 'x');
      seen.created = state(t);
      for (let i = 0; i < 3; i++) yield* hub.sleep(0);
      yield* hub.sleep(100);
      seen.logAfterWaiting = [...log];
      seen.join = yield* settle(t.join(50));
      seen.joinAt = clock.now();
      seen.afterJoin = state(t);
    });
    expect(seen.created, 'the flags of new Task(hub, fn, "x")').toEqual(CREATED);
    expect(seen.logAfterWaiting, 'what it logged while main called sleep(0) three times and sleep(100)').toEqual([]);
    expect(
      returnedIn(seen.join as Outcome<void>, 'join(50) on the created task should have returned undefined after 50 ms'),
      'what join(50) returned',
    ).toBeUndefined();
    expect(seen.joinAt, 'the virtual time when join(50), called at t=100, returned').toBe(150);
    expect(seen.afterJoin, 'the flags after join(50) timed out').toEqual(CREATED);
  });

  it('V34 start() schedules a created task like spawn; start() on a finished task does nothing', () => {
    const { hub } = setup();
    const log: unknown[] = [];
    const seen: Record<string, unknown> = {};
    let t!: Task<number>;
    run(hub, function* main() {
      t = new Task(hub, function* made(x: string) {
        log.push(['ran', x]);
        return 1;
      }, 'x');
      t.start();
      seen.afterStart = state(t);
      seen.logAfterStart = [...log];
      yield* t.join();
      seen.finished = state(t);
      t.start();
      yield* hub.sleep(0);
      yield* hub.sleep(10);
    });
    expect(seen.afterStart, 'the flags right after start()').toEqual(ALIVE);
    expect(seen.logAfterStart, 'what it logged right after start(), before main waited').toEqual([]);
    expect(seen.finished, 'the flags once joined').toEqual(SUCCEEDED);
    expect(t.value, 'its value').toBe(1);
    expect(log, 'it ran once, with its argument, although start() was called again after it finished').toEqual([['ran', 'x']]);
    expect(state(t), 'the flags at the end').toEqual(SUCCEEDED);
  });
});

describe('waiting for a task', () => {
  it('V10 join() waits until the task finishes and returns undefined; a finished task joins at once', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let t!: Task<string>;
    run(hub, function* main() {
      t = hub.spawn(function* target() {
        yield* hub.sleep(100);
        return 'value';
      });
      seen.first = yield* settle(t.join());
      seen.firstAt = clock.now();
      seen.again = yield* settle(t.join());
      seen.againAt = clock.now();
    });
    expect(
      returnedIn(seen.first as Outcome<void>, 'join() should have returned undefined once the task finished'),
      'what join() returned',
    ).toBeUndefined();
    expect(seen.firstAt, 'the virtual time when join() returned (the task slept 100 ms)').toBe(100);
    expect(t.value, "the task's value").toBe('value');
    expect(
      returnedIn(seen.again as Outcome<void>, 'join() on the finished task should have returned undefined'),
      'what the second join() returned',
    ).toBeUndefined();
    expect(seen.againAt, 'the virtual time after joining the finished task again (at once: no time passes)').toBe(100);
  });

  it("V10 join() never throws the task's error; a task can join another", () => {
    const { hub, clock, reported } = setup();
    const err = new ValueError('v');
    const seen: Record<string, unknown> = {};
    let bad!: Task;
    let waiter!: Task<boolean>;
    run(hub, function* main() {
      bad = hub.spawn(function* bad() {
        yield* hub.sleep(50);
        throw err;
      });
      waiter = hub.spawn(function* waiter() {
        yield* bad.join();
        return bad.dead;
      });
      seen.join = yield* settle(bad.join());
      seen.at = clock.now();
      yield* waiter.join();
    });
    const name = labels(() => ({ bad, waiter, err }));
    expect(
      returnedIn(
        seen.join as Outcome<void>,
        'join() on a task that fails should have returned undefined',
        "join() only waits: the task's error stays on the task (exception) and goes to onError.",
      ),
      'what join() returned',
    ).toBeUndefined();
    expect(seen.at, 'the virtual time when join() returned (the task failed at 50)').toBe(50);
    expect(name(bad.exception), "the failed task's .exception").toBe('err');
    expect(calls(reported, name), 'the onError calls').toEqual([['bad', 'err']]);
    expect(waiter.value, 'what the waiter task returned: bad.dead, read after its own join()').toBe(true);
  });

  it('V11 join(timeout) gives up quietly after timeout ms; the task is not killed', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let slow!: Task<string>;
    run(hub, function* main() {
      slow = hub.spawn(function* slow() {
        yield* hub.sleep(1000);
        return 'slow done';
      });
      seen.join = yield* settle(slow.join(100));
      seen.at = clock.now();
      seen.after = state(slow);
      yield* slow.join();
      seen.finishedAt = clock.now();
    });
    expect(
      returnedIn(
        seen.join as Outcome<void>,
        'join(100) on a task sleeping 1000 ms should have returned undefined after 100 ms',
        'join(timeout) gives up quietly: it returns, it does not throw.',
      ),
      'what join(100) returned',
    ).toBeUndefined();
    expect(seen.at, 'the virtual time when join(100) returned').toBe(100);
    expect(seen.after, 'the flags of the task right after join(100) gave up (still running)').toEqual(ALIVE);
    expect(seen.finishedAt, 'when a later join() returned: the task finished its sleep').toBe(1000);
    expect(slow.value, "the task's value at the end").toBe('slow done');
  });

  it('V11 join(0) on an unfinished task returns at once', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let slow!: Task;
    run(hub, function* main() {
      slow = hub.spawn(function* slow() {
        yield* hub.sleep(1000);
      });
      seen.join = yield* settle(slow.join(0));
      seen.at = clock.now();
      seen.after = state(slow);
    });
    expect(
      returnedIn(seen.join as Outcome<void>, 'join(0) on an unfinished task should have returned undefined'),
      'what join(0) returned',
    ).toBeUndefined();
    expect(seen.at, 'the virtual time when join(0) returned').toBe(0);
    expect(seen.after, 'the flags of the task after join(0)').toEqual(ALIVE);
  });

  it('V12 joinAll returns the finished tasks in the order they finished; joinAll([]) is []', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let slow!: Task, fast!: Task, mid!: Task;
    run(hub, function* main() {
      seen.empty = yield* settle(hub.joinAll([]));
      seen.emptyAt = clock.now();
      const sleeper = (ms: number) =>
        function* sleeper() {
          yield* hub.sleep(ms);
        };
      slow = hub.spawn(sleeper(300));
      fast = hub.spawn(sleeper(100));
      mid = hub.spawn(sleeper(200));
      seen.all = yield* settle(hub.joinAll([slow, fast, mid]));
      seen.allAt = clock.now();
    });
    const name = labels(() => ({ slow, fast, mid }));
    const empty = returnedIn(seen.empty as Outcome<Task[]>, 'joinAll([]) should have returned []');
    expect(empty, 'what joinAll([]) returned').toEqual([]);
    expect(seen.emptyAt, 'the virtual time after joinAll([])').toBe(0);
    const all = returnedIn(seen.all as Outcome<Task[]>, 'joinAll([slow, fast, mid]) should have returned the three tasks');
    expect(Array.isArray(all), `joinAll returned an array (it returned ${show(all)})`).toBe(true);
    expect(all.map(name), 'the tasks joinAll([slow, fast, mid]) returned (300, 100 and 200 ms sleeps)').toEqual([
      'fast',
      'mid',
      'slow',
    ]);
    expect(seen.allAt, 'the virtual time when it returned').toBe(300);
  });

  it('V13 joinAll with a timeout returns the tasks that finished in time, without throwing', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let a!: Task, b!: Task, c!: Task;
    run(hub, function* main() {
      const sleeper = (ms: number) =>
        function* sleeper() {
          yield* hub.sleep(ms);
        };
      a = hub.spawn(sleeper(20));
      b = hub.spawn(sleeper(1500));
      c = hub.spawn(sleeper(10));
      seen.done = yield* settle(hub.joinAll([a, b, c], { timeout: 500 }));
      seen.at = clock.now();
      seen.b = state(b);
      yield* b.join();
      seen.endAt = clock.now();
    });
    const name = labels(() => ({ a, b, c }));
    const done = returnedIn(
      seen.done as Outcome<Task[]>,
      'joinAll([a, b, c], { timeout: 500 }) should have returned the tasks done in time',
      'With a timeout, joinAll gives up quietly, like join(timeout).',
    );
    expect(done.map(name), 'the tasks it returned (a sleeps 20 ms, b 1500, c 10)').toEqual(['c', 'a']);
    expect(seen.at, 'the virtual time when it returned').toBe(500);
    expect(seen.b, 'the flags of b then (still running)').toEqual(ALIVE);
    expect(seen.endAt, 'when a later b.join() returned').toBe(1500);
    expect([a, b, c].map((t) => t.dead), 'all three dead at the end').toEqual([true, true, true]);
  });

  it('V14 by default joinAll does not throw: each failure goes to onError and stays on its task', () => {
    const { hub, clock, reported } = setup();
    const late = new Boom('late');
    const early = new Boom('early');
    const seen: Record<string, unknown> = {};
    let ok!: Task, lateTask!: Task, earlyTask!: Task;
    run(hub, function* main() {
      ok = hub.spawn(function* ok() {
        return 'ok';
      });
      lateTask = hub.spawn(function* failsLate() {
        yield* hub.sleep(200);
        throw late;
      });
      earlyTask = hub.spawn(function* failsEarly() {
        yield* hub.sleep(100);
        throw early;
      });
      seen.done = yield* settle(hub.joinAll([ok, lateTask, earlyTask]));
      seen.at = clock.now();
    });
    const name = labels(() => ({ ok, lateTask, earlyTask, late, early }));
    const done = returnedIn(
      seen.done as Outcome<Task[]>,
      'joinAll([ok, lateTask, earlyTask]) should have returned all three',
      'Without raiseError, failures do not come out of joinAll.',
    );
    expect(done.map(name), 'the tasks it returned, in completion order').toEqual(['ok', 'earlyTask', 'lateTask']);
    expect(seen.at, 'the virtual time when it returned').toBe(200);
    expect([ok, lateTask, earlyTask].map((t) => name(t.exception)), 'the .exception of ok, lateTask, earlyTask').toEqual([
      'undefined',
      'late',
      'early',
    ]);
    expect(calls(reported, name), 'the onError calls, in order').toEqual([
      ['earlyTask', 'early'],
      ['lateTask', 'late'],
    ]);
  });

  it('V14 joinAll with raiseError throws the first failure in time order, at once, without waiting for the rest', () => {
    const { hub, clock, reported } = setup();
    const late = new Boom('late');
    const early = new Boom('early');
    const seen: Record<string, unknown> = {};
    let lateTask!: Task, earlyTask!: Task, steady!: Task;
    run(hub, function* main() {
      lateTask = hub.spawn(function* failsLate() {
        yield* hub.sleep(200);
        throw late;
      });
      earlyTask = hub.spawn(function* failsEarly() {
        yield* hub.sleep(100);
        throw early;
      });
      steady = hub.spawn(function* steady() {
        yield* hub.sleep(300);
        return 'steady';
      });
      seen.joined = yield* settle(hub.joinAll([lateTask, earlyTask, steady], { raiseError: true }));
      seen.at = clock.now();
      seen.late = state(lateTask);
      seen.steady = state(steady);
      yield* hub.joinAll([lateTask, steady]);
    });
    const name = labels(() => ({ lateTask, earlyTask, steady, late, early }));
    raisedSame(
      seen.joined as Outcome<unknown>,
      early,
      'joinAll([lateTask, earlyTask, steady], { raiseError: true }) should have thrown early, the error of the first task to fail',
      'earlyTask fails at 100, lateTask at 200: the first in time, not in the list, and as soon as it fails.',
    );
    expect(seen.at, 'the virtual time when joinAll threw (earlyTask failed at 100)').toBe(100);
    expect(seen.late, 'the flags of lateTask then (still running: joinAll did not wait for it)').toEqual(ALIVE);
    expect(seen.steady, 'the flags of steady then').toEqual(ALIVE);
    expect(calls(reported, name), 'the onError calls by the end').toEqual([
      ['earlyTask', 'early'],
      ['lateTask', 'late'],
    ]);
  });

  it('V15 flags after success and after failure', () => {
    const { hub, reported } = setup();
    const err = new Error('You fail at failing.');
    const seen: Record<string, unknown> = {};
    let winner!: Task<string>, loser!: Task;
    run(hub, function* main() {
      winner = hub.spawn(function* winner() {
        return 'You win!';
      });
      loser = hub.spawn(function* loser() {
        throw err;
      });
      seen.joined = yield* settle(hub.joinAll([winner, loser]));
    });
    const name = labels(() => ({ winner, loser, err }));
    returnedIn(seen.joined as Outcome<Task[]>, 'joinAll([winner, loser]) should have returned');
    expect(state(winner), 'the flags of the winner').toEqual(SUCCEEDED);
    expect(winner.value, 'the value of the winner').toBe('You win!');
    expect(winner.exception, 'the exception of the winner').toBeUndefined();
    expect(state(loser), 'the flags of the loser').toEqual(FAILED);
    expect(loser.value, 'the value of the loser').toBeUndefined();
    expect(name(loser.exception), 'the exception of the loser (the very error it threw)').toBe('err');
    expect(calls(reported, name), 'the onError calls').toEqual([['loser', 'err']]);
  });

  it('V16 get() returns the value, or throws the very object in exception', () => {
    const { hub, reported } = setup();
    const err = new KeyError('k');
    const seen: Record<string, unknown> = {};
    let ok!: Task<number>, bad!: Task<number>;
    run(hub, function* main() {
      ok = hub.spawn(function* seven() {
        return 7;
      });
      bad = hub.spawn(function* bad(): Generator<unknown, number, any> {
        yield* hub.sleep(10);
        throw err;
      });
      seen.ok = yield* settle(ok.get());
      seen.bad = yield* settle(bad.get());
      seen.again = yield* settle(bad.get());
    });
    const name = labels(() => ({ ok, bad, err }));
    expect(returnedIn(seen.ok as Outcome<number>, 'get() on a task that returns 7 should have returned 7'), 'what get() returned').toBe(7);
    raisedSame(
      seen.bad as Outcome<unknown>,
      err,
      'get() on a task that fails with KeyError: k should have thrown that very KeyError',
      'get() re-throws the object in .exception itself: no wrapping, no copy.',
    );
    raisedSame(seen.again as Outcome<unknown>, err, 'get() again on the finished, failed task should have thrown the same KeyError');
    expect(name(bad.exception), '.exception of the failed task').toBe('err');
    expect(calls(reported, name), 'the onError calls (get() does not report the failure again)').toEqual([['bad', 'err']]);
  });

  it('V16 get() on an unfinished task: { block: false } and an expired { timeout } throw a Timeout', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let slow!: Task<string>;
    run(hub, function* main() {
      slow = hub.spawn(function* slow() {
        yield* hub.sleep(1000);
        return 'late';
      });
      seen.noBlock = yield* settle(slow.get({ block: false }));
      seen.noBlockAt = clock.now();
      seen.timed = yield* settle(slow.get({ timeout: 50 }));
      seen.timedAt = clock.now();
      seen.after = state(slow);
    });
    const noBlock = raisedIn(seen.noBlock as Outcome<unknown>, 'get({ block: false }) on an unfinished task should have thrown a Timeout');
    expect(noBlock, 'what get({ block: false }) threw').toBeInstanceOf(Timeout);
    expect(seen.noBlockAt, 'the virtual time when it threw (at once)').toBe(0);
    const timed = raisedIn(seen.timed as Outcome<unknown>, 'get({ timeout: 50 }) on a task sleeping 1000 ms should have thrown a Timeout');
    expect(timed, 'what get({ timeout: 50 }) threw').toBeInstanceOf(Timeout);
    expect(seen.timedAt, 'the virtual time when it threw').toBe(50);
    expect(seen.after, 'the flags of the task afterwards (get() does not kill it)').toEqual(ALIVE);
  });

  it('V17 a failing task does not disturb the others; onError is called once for it', () => {
    const { hub, reported } = setup();
    const err = new ZeroDivisionError('division by zero');
    const log: string[] = [];
    let bad!: Task, good!: Task;
    run(hub, function* main() {
      bad = hub.spawn(function* bad() {
        throw err;
      });
      good = hub.spawn(function* good() {
        yield* hub.sleep(10);
        log.push('good finished');
      });
      yield* hub.joinAll([bad, good]);
      log.push('main continues');
    });
    const name = labels(() => ({ bad, good, err }));
    expect(log, 'the log: the other task and main carry on').toEqual(['good finished', 'main continues']);
    expect(state(bad), 'the flags of the failed task').toEqual(FAILED);
    expect(name(bad.exception), 'its exception').toBe('err');
    expect(state(good), 'the flags of the good task').toEqual(SUCCEEDED);
    expect(calls(reported, name), 'the onError calls: once, with the task and its error').toEqual([['bad', 'err']]);
  });
});

describe('killing', () => {
  it('V18 kill() throws a GreenletExit in at the wait, finally blocks run, and kill returns once it is dead', () => {
    const { hub, clock, reported } = setup();
    const log: string[] = [];
    const seen: Record<string, unknown> = {};
    let t!: Task;
    run(hub, function* main() {
      t = hub.spawn(function* target() {
        try {
          yield* hub.sleep(1000);
          log.push('sleep returned');
        } catch (error) {
          log.push(error instanceof GreenletExit ? 'caught GreenletExit' : `caught ${brief(error)}`);
          throw error;
        } finally {
          log.push('finally ran');
        }
      });
      yield* hub.sleep(10);
      seen.kill = yield* settle(t.kill());
      log.push('kill returned');
      seen.at = clock.now();
      seen.get = yield* settle(t.get());
    });
    const name = labels(() => ({ t, value: t.value }));
    expect(returnedIn(seen.kill as Outcome<unknown>, 'kill() should have returned undefined'), 'what kill() returned').toBeUndefined();
    expect(log, 'the log of the target, then main').toEqual(['caught GreenletExit', 'finally ran', 'kill returned']);
    expect(seen.at, 'the virtual time when kill() returned (the target was sleeping until 1010)').toBe(10);
    expect(state(t), 'the flags of the killed task: dying of GreenletExit is a success').toEqual(SUCCEEDED);
    expect(t.value, 'its value: the GreenletExit').toBeInstanceOf(GreenletExit);
    expect(t.exception, 'its exception').toBeUndefined();
    expect(
      name(returnedIn(seen.get as Outcome<unknown>, 'get() on the killed task should have returned its GreenletExit')),
      'what get() returned: the GreenletExit in .value',
    ).toBe('value');
    expect(calls(reported, name), 'the onError calls (none: not a failure)').toEqual([]);
  });

  it('V19 killing a spawned task before it ran: its body never runs, it is dead at once, successful', () => {
    const { hub, clock, reported } = setup();
    const log: string[] = [];
    const seen: Record<string, unknown> = {};
    let t!: Task;
    run(hub, function* main() {
      t = hub.spawn(function* neverRuns() {
        log.push('body ran');
      });
      seen.kill = yield* settle(t.kill());
      seen.at = clock.now();
      seen.afterKill = state(t);
      seen.value = t.value;
      t.start();
      yield* hub.sleep(0);
      yield* hub.sleep(10);
    });
    returnedIn(seen.kill as Outcome<unknown>, 'kill() on a task that never ran should have returned');
    expect(seen.afterKill, 'the flags right after kill() returned').toEqual(SUCCEEDED);
    expect(seen.at, 'the virtual time then (at once)').toBe(0);
    expect(seen.value, 'its value').toBeInstanceOf(GreenletExit);
    expect(log, 'what the body logged, by the end (after a start() and waits too): it never runs').toEqual([]);
    expect(state(t), 'the flags at the end').toEqual(SUCCEEDED);
    expect(reported.length, 'how many onError calls').toBe(0);
  });

  it('V19 a created task killed before start(): dead and successful, and a later start() does not run it', () => {
    const { hub } = setup();
    const log: string[] = [];
    const seen: Record<string, unknown> = {};
    let t!: Task;
    run(hub, function* main() {
      t = new Task(hub, function* neverRuns() {
        log.push('body ran');
      });
      seen.kill = yield* settle(t.kill());
      seen.afterKill = state(t);
      seen.value = t.value;
      t.start();
      yield* hub.sleep(0);
      yield* hub.sleep(10);
    });
    returnedIn(seen.kill as Outcome<unknown>, 'kill() on a created, never started task should have returned');
    expect(seen.afterKill, 'the flags right after kill()').toEqual(SUCCEEDED);
    expect(seen.value, 'its value').toBeInstanceOf(GreenletExit);
    expect(log, 'what the body logged after start() and two waits: it never runs').toEqual([]);
    expect(state(t), 'the flags at the end').toEqual(SUCCEEDED);
  });

  it('V20 kill() on a finished task does nothing', () => {
    const { hub, clock, reported } = setup();
    const seen: Record<string, unknown> = {};
    let t!: Task<number>;
    run(hub, function* main() {
      t = hub.spawn(function* five() {
        return 5;
      });
      yield* t.join();
      seen.first = yield* settle(t.kill());
      seen.second = yield* settle(t.kill(new Stop('too late')));
      seen.at = clock.now();
    });
    expect(returnedIn(seen.first as Outcome<unknown>, 'kill() on a finished task should have returned undefined'), 'what kill() returned').toBeUndefined();
    returnedIn(seen.second as Outcome<unknown>, 'kill(new Stop(...)) on the finished task should have returned');
    expect(t.value, 'the value, still').toBe(5);
    expect(state(t), 'the flags, still').toEqual(SUCCEEDED);
    expect(t.exception, 'the exception, still').toBeUndefined();
    expect(seen.at, 'the virtual time (no waiting)').toBe(0);
    expect(reported.length, 'how many onError calls').toBe(0);
  });

  it('V21 kill(error instance) makes the task fail with it; the killer sees nothing', () => {
    const { hub, reported } = setup();
    const stop = new Stop('A time to kill');
    const seen: Record<string, unknown> = {};
    let t!: Task;
    run(hub, function* main() {
      t = hub.spawn(function* target() {
        yield* hub.sleep(1000);
      });
      yield* hub.sleep(0);
      seen.kill = yield* settle(t.kill(stop));
    });
    const name = labels(() => ({ t, stop }));
    expect(
      returnedIn(seen.kill as Outcome<unknown>, 'kill(stop) should have returned undefined', 'The error goes into the task; the killer sees nothing.'),
      'what kill(stop) returned',
    ).toBeUndefined();
    expect(state(t), 'the flags of the task killed with an error').toEqual(FAILED);
    expect(t.value, 'its value').toBeUndefined();
    expect(name(t.exception), 'its exception: the very error given to kill()').toBe('stop');
    expect(calls(reported, name), 'the onError calls').toEqual([['t', 'stop']]);
  });

  it('V21 kill(ErrorClass) instantiates the class', () => {
    const { hub, reported } = setup();
    const seen: Record<string, unknown> = {};
    let t!: Task;
    run(hub, function* main() {
      t = hub.spawn(function* target() {
        yield* hub.sleep(1000);
      });
      yield* hub.sleep(0);
      seen.kill = yield* settle(t.kill(Stop));
    });
    returnedIn(seen.kill as Outcome<unknown>, 'kill(Stop) should have returned');
    expect(state(t), 'the flags of the task killed with the class Stop').toEqual(FAILED);
    expect(t.exception, 'its exception: an instance of Stop').toBeInstanceOf(Stop);
    expect(reported.length, 'how many onError calls').toBe(1);
    expect(reported[0]?.error === t.exception, 'onError was given the same object as .exception').toBe(true);
  });

  it('V22 kill(undefined, { block: false }) only schedules the kill: the task dies when the killer waits', () => {
    const { hub } = setup();
    const seen: Record<string, unknown> = {};
    let t!: Task;
    run(hub, function* main() {
      t = hub.spawn(function* target() {
        yield* hub.sleep(1000);
      });
      yield* hub.sleep(0);
      seen.kill = yield* settle(t.kill(undefined, { block: false }));
      seen.right = state(t);
      yield* hub.sleep(0);
      seen.afterSleep0 = state(t);
    });
    returnedIn(seen.kill as Outcome<unknown>, 'kill(undefined, { block: false }) should have returned');
    expect(seen.right, 'the flags right after kill(undefined, { block: false }) (still alive)').toEqual(ALIVE);
    expect(seen.afterSleep0, 'the flags after the killer called sleep(0)').toEqual(SUCCEEDED);
    expect(t.value, 'its value').toBeInstanceOf(GreenletExit);
  });

  it('V23 a task may catch the GreenletExit and go on; kill({ timeout }) stops waiting, and a second kill ends it', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    const seen: Record<string, unknown> = {};
    let t!: Task<string>;
    run(hub, function* main() {
      t = hub.spawn(function* stubborn() {
        try {
          yield* hub.sleep(1000);
        } catch (error) {
          log.push(error instanceof GreenletExit ? 'ignored exit' : `caught ${brief(error)}`);
        }
        try {
          yield* hub.sleep(1000);
        } catch {
          return 'finally gave up';
        }
        return 'slept on';
      });
      yield* hub.sleep(10);
      seen.first = yield* settle(t.kill(undefined, { timeout: 100 }));
      seen.firstAt = clock.now();
      seen.afterFirst = state(t);
      seen.second = yield* settle(t.kill());
      seen.secondAt = clock.now();
    });
    expect(
      returnedIn(seen.first as Outcome<unknown>, 'kill(undefined, { timeout: 100 }) should have returned undefined after 100 ms'),
      'what the first kill returned',
    ).toBeUndefined();
    expect(seen.firstAt, 'the virtual time when it returned (called at t=10)').toBe(110);
    expect(seen.afterFirst, 'the flags then: the task ignored the exit and sleeps on').toEqual(ALIVE);
    expect(log, 'the log of the task').toEqual(['ignored exit']);
    returnedIn(seen.second as Outcome<unknown>, 'the second kill() should have returned');
    expect(seen.secondAt, 'the virtual time when the second kill returned').toBe(110);
    expect(state(t), 'the flags at the end').toEqual(SUCCEEDED);
    expect(t.value, 'the value: what the task returned on the second GreenletExit').toBe('finally gave up');
  });

  it('V35 killAll(tasks) kills them all, in list order', () => {
    const { hub, clock, reported } = setup();
    const finallyOrder: number[] = [];
    const seen: Record<string, unknown> = {};
    let tasks: Task[] = [];
    run(hub, function* main() {
      tasks = [0, 1, 2].map((i) =>
        hub.spawn(function* sleeper() {
          try {
            yield* hub.sleep(1000);
          } finally {
            finallyOrder.push(i);
          }
        }),
      );
      yield* hub.sleep(0);
      const [t0, t1, t2] = tasks as [Task, Task, Task];
      seen.killAll = yield* settle(hub.killAll([t2, t0, t1]));
      seen.at = clock.now();
    });
    returnedIn(seen.killAll as Outcome<unknown>, 'killAll([t2, t0, t1]) should have returned');
    expect(finallyOrder, 'the order of the finally blocks of killAll([t2, t0, t1])').toEqual([2, 0, 1]);
    expect(tasks.map((t) => t.dead), 'dead after killAll returned').toEqual([true, true, true]);
    expect(tasks.map((t) => t.value instanceof GreenletExit), 'each value a GreenletExit').toEqual([true, true, true]);
    expect(seen.at, 'the virtual time when killAll returned').toBe(0);
    expect(reported.length, 'how many onError calls').toBe(0);
  });

  it('V37 a task that throws a GreenletExit itself exits successfully, the object as its value', () => {
    const { hub, reported } = setup();
    const bye = new GreenletExit('bye');
    let t!: Task;
    run(hub, function* main() {
      t = hub.spawn(function* leaver() {
        yield* hub.sleep(0);
        throw bye;
      });
      yield* t.join();
    });
    const name = labels(() => ({ t, bye }));
    expect(state(t), 'the flags of a task that threw a GreenletExit').toEqual(SUCCEEDED);
    expect(name(t.value), 'its value: the very GreenletExit it threw').toBe('bye');
    expect(t.exception, 'its exception').toBeUndefined();
    expect(reported.length, 'how many onError calls').toBe(0);
  });
});

describe('timeouts', () => {
  it('V24 a started Timeout throws itself into its task at the wait, after its ms', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    const seen: Record<string, unknown> = {};
    let t!: Timeout;
    run(hub, function* main() {
      t = hub.timeout(100);
      seen.pendingBefore = read(() => t.pending);
      seen.started = read(() => t.start());
      seen.pendingArmed = read(() => t.pending);
      try {
        yield* hub.sleep(1000);
        log.push('sleep returned');
      } catch (error) {
        seen.caught = error;
        seen.at = clock.now();
      } finally {
        t.cancel();
      }
      seen.pendingAfter = read(() => t.pending);
    });
    const name = labels(() => ({ t }));
    expect(t, 'hub.timeout(100)').toBeInstanceOf(Timeout);
    expect(name(seen.started), 'what t.start() returned (the Timeout itself)').toBe('t');
    expect(log, 'the 1000 ms sleep did not return').toEqual([]);
    expect(name(seen.caught), 'what the sleep threw: the Timeout t itself').toBe('t');
    expect(seen.at, 'the virtual time when it was thrown').toBe(100);
    expect(t.message, "the Timeout's message").toBe('100 ms');
    expect(t.ms, 'its ms').toBe(100);
    expect(
      [seen.pendingBefore, seen.pendingArmed, seen.pendingAfter],
      '.pending before start(), once started, after it fired',
    ).toEqual([false, true, false]);
  });

  it('V24 the deadline counts from start(), across several waits, and only in its own task', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    let mainWoke: number | undefined;
    let t!: Task<string>;
    run(hub, function* main() {
      t = hub.spawn(function* limited() {
        const timeout = hub.timeout(100).start();
        try {
          yield* hub.sleep(60);
          log.push(`first sleep returned at t=${clock.now()}`);
          yield* hub.sleep(60);
          log.push(`second sleep returned at t=${clock.now()}`);
        } catch (error) {
          log.push(`${error === timeout ? 'its Timeout' : brief(error)} at t=${clock.now()}`);
        } finally {
          timeout.cancel();
        }
        return 'done';
      });
      yield* hub.sleep(300);
      mainWoke = clock.now();
      yield* t.join();
    });
    expect(log, 'the task armed a 100 ms Timeout, then slept 60 ms twice: the log').toEqual([
      'first sleep returned at t=60',
      'its Timeout at t=100',
    ]);
    expect(mainWoke, "when main's own 300 ms sleep returned (another task's Timeout does not touch it)").toBe(300);
    expect(t.value, 'the value of the task').toBe('done');
  });

  it('V25 a Timeout cancelled before its time leaves no trace', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let t!: Timeout;
    run(hub, function* main() {
      t = hub.timeout(100).start();
      seen.first = yield* settle(hub.sleep(50));
      seen.cancel = attempt(() => t.cancel());
      seen.pending = read(() => t.pending);
      seen.later = yield* settle(hub.sleep(200));
      seen.at = clock.now();
      seen.cancelAgain = attempt(() => t.cancel());
    });
    returnedIn(seen.first as Outcome<unknown>, 'sleep(50) inside a 100 ms Timeout should have returned');
    returnedIn(seen.cancel as Outcome<unknown>, 't.cancel() should have returned');
    expect(seen.pending, '.pending after cancel()').toBe(false);
    returnedIn(
      seen.later as Outcome<unknown>,
      'sleep(200) after t.cancel() should have returned',
      'A cancelled Timeout never fires, even when its time passes later.',
    );
    expect(seen.at, 'the virtual time at the end').toBe(250);
    returnedIn(seen.cancelAgain as Outcome<unknown>, 'a second t.cancel() should have returned (harmless)');
  });

  it('V25 hub.timeout(null) never fires; cancel() is harmless unarmed or after firing', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let never!: Timeout;
    run(hub, function* main() {
      never = hub.timeout(null).start();
      seen.sleep = yield* settle(hub.sleep(10000));
      seen.at = clock.now();
      seen.cancelNever = attempt(() => never.cancel());
      seen.cancelUnarmed = attempt(() => hub.timeout(50).cancel());
      const fired = hub.timeout(10).start();
      seen.fired = yield* settle(hub.sleep(100));
      seen.cancelFired = attempt(() => fired.cancel());
      seen.afterFired = yield* settle(hub.sleep(100));
    });
    expect(never.ms, 'hub.timeout(null).ms').toBeNull();
    returnedIn(seen.sleep as Outcome<unknown>, 'sleep(10000) under hub.timeout(null) should have returned');
    expect(seen.at, 'the virtual time after it').toBe(10000);
    returnedIn(seen.cancelNever as Outcome<unknown>, 'cancel() of the null Timeout should have returned');
    returnedIn(seen.cancelUnarmed as Outcome<unknown>, 'cancel() of a Timeout never started should have returned');
    raisedIn(seen.fired as Outcome<unknown>, 'sleep(100) under a 10 ms Timeout should have thrown it');
    returnedIn(seen.cancelFired as Outcome<unknown>, 'cancel() of a Timeout that already fired should have returned');
    returnedIn(seen.afterFired as Outcome<unknown>, 'a later sleep(100) should have returned: the Timeout fired once');
  });

  it('V26 hub.timeout(ms, { error: Class }) throws a new instance of the class instead of itself', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    run(hub, function* main() {
      const t = hub.timeout(50, { error: TooLong }).start();
      try {
        seen.sleep = yield* settle(hub.sleep(1000));
      } finally {
        t.cancel();
      }
      seen.at = clock.now();
    });
    const error = raisedIn(seen.sleep as Outcome<unknown>, 'sleep(1000) under hub.timeout(50, { error: TooLong }) should have thrown a TooLong');
    expect(error, 'what it threw').toBeInstanceOf(TooLong);
    expect(error, 'what it threw is not the Timeout').not.toBeInstanceOf(Timeout);
    expect(seen.at, 'the virtual time when it was thrown').toBe(50);
  });

  it('V26 hub.timeout(ms, { error: instance }) throws that very instance', () => {
    const { hub } = setup();
    const custom = new TooLong('custom instance');
    const seen: Record<string, unknown> = {};
    run(hub, function* main() {
      const t = hub.timeout(50, { error: custom }).start();
      try {
        seen.sleep = yield* settle(hub.sleep(1000));
      } finally {
        t.cancel();
      }
    });
    raisedSame(seen.sleep as Outcome<unknown>, custom, 'sleep(1000) under hub.timeout(50, { error: custom }) should have thrown custom');
  });

  it('V27 withTimeout returns the value of a body that finishes in time, in the current task, and leaves no timer', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let t!: Task;
    run(hub, function* main() {
      t = hub.spawn(function* runner() {
        seen.fast = yield* settle(
          hub.withTimeout(100, function* fast() {
            seen.inside = hub.getcurrent();
            yield* hub.sleep(10);
            return 42;
          }),
        );
        seen.fastAt = clock.now();
        seen.later = yield* settle(hub.sleep(500));
        seen.laterAt = clock.now();
      });
      yield* t.join();
    });
    const name = labels(() => ({ t }));
    expect(returnedIn(seen.fast as Outcome<number>, 'withTimeout(100, fast) should have returned 42'), 'what it returned').toBe(42);
    expect(seen.fastAt, 'the virtual time then').toBe(10);
    expect(name(seen.inside), 'getcurrent() inside the body: the task that called withTimeout').toBe('t');
    returnedIn(seen.later as Outcome<unknown>, 'a sleep(500) after withTimeout returned should have returned (no late Timeout)');
    expect(seen.laterAt, 'the virtual time after it').toBe(510);
  });

  it('V27 withTimeout throws the Timeout past ms, or returns timeoutValue when given', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    const seen: Record<string, unknown> = {};
    function* slow() {
      try {
        yield* hub.sleep(1000);
        return 'never';
      } finally {
        log.push(`finally at t=${clock.now()}`);
      }
    }
    run(hub, function* main() {
      seen.thrown = yield* settle(hub.withTimeout(100, slow));
      seen.thrownAt = clock.now();
      seen.fallback = yield* settle(hub.withTimeout(100, slow, { timeoutValue: 'fallback' }));
      seen.fallbackAt = clock.now();
    });
    const error = raisedIn(seen.thrown as Outcome<unknown>, 'withTimeout(100, slow) should have thrown a Timeout');
    expect(error, 'what it threw').toBeInstanceOf(Timeout);
    expect(seen.thrownAt, 'the virtual time then').toBe(100);
    expect(
      returnedIn(seen.fallback as Outcome<unknown>, "withTimeout(100, slow, { timeoutValue: 'fallback' }) should have returned 'fallback'"),
      'what it returned',
    ).toBe('fallback');
    expect(seen.fallbackAt, 'the virtual time then').toBe(200);
    expect(log, "the slow body's finally ran each time, when the Timeout came").toEqual(['finally at t=100', 'finally at t=200']);
  });

  it('V28 a Timeout due while its task was busy fires at the next real wait, at once, not at sleep(0)', () => {
    const { hub, clock } = setup();
    const log: string[] = [];
    run(hub, function* main() {
      const t = hub.timeout(50).start();
      try {
        clock.advance(100); // busy past the deadline
        log.push('busy until t=100');
        for (let i = 1; i <= 3; i++) {
          yield* hub.sleep(0);
          log.push(`sleep(0) #${i} returned`);
        }
        yield* hub.sleep(50);
        log.push(`sleep(50) returned at t=${clock.now()}`);
      } catch (error) {
        log.push(`${error === t ? 'the Timeout' : brief(error)} thrown at t=${clock.now()}`);
      } finally {
        t.cancel();
      }
    });
    expect(
      log,
      'a 50 ms Timeout; the task is busy until t=100, calls sleep(0) three times, then sleep(50): the log',
    ).toEqual(['busy until t=100', 'sleep(0) #1 returned', 'sleep(0) #2 returned', 'sleep(0) #3 returned', 'the Timeout thrown at t=100']);
  });

  it('V28 a Timeout that came due while busy and is cancelled before a real wait never fires', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    run(hub, function* main() {
      const t = hub.timeout(50).start();
      clock.advance(100);
      seen.zeros = yield* settle(
        (function* () {
          for (let i = 0; i < 3; i++) yield* hub.sleep(0);
        })(),
      );
      t.cancel(); // the block is left normally
      seen.later = yield* settle(hub.sleep(50));
      seen.at = clock.now();
    });
    returnedIn(seen.zeros as Outcome<unknown>, 'three sleep(0) after the deadline passed in busy work should have returned');
    returnedIn(
      seen.later as Outcome<unknown>,
      'sleep(50) after the Timeout was cancelled should have returned',
      'The Timeout had not been thrown yet (sleep(0) is not a real wait); cancelled, it must never come.',
    );
    expect(seen.at, 'the virtual time at the end').toBe(150);
  });

  it('V29 a Timeout around join() interrupts only the joiner; the task goes on', () => {
    const { hub, clock } = setup();
    const seen: Record<string, unknown> = {};
    let target!: Task<string>;
    let t!: Timeout;
    run(hub, function* main() {
      target = hub.spawn(function* target() {
        yield* hub.sleep(300);
        return 'slow done';
      });
      t = hub.timeout(100).start();
      try {
        seen.join = yield* settle(target.join());
      } finally {
        t.cancel();
      }
      seen.at = clock.now();
      seen.target = state(target);
      yield* target.join();
      seen.endAt = clock.now();
    });
    const name = labels(() => ({ t, target }));
    const error = raisedIn(seen.join as Outcome<unknown>, 'join() under a 100 ms Timeout, on a task sleeping 300 ms, should have thrown the Timeout');
    expect(name(error), 'what join() threw').toBe('t');
    expect(seen.at, 'the virtual time then').toBe(100);
    expect(seen.target, 'the flags of the joined task then (still running)').toEqual(ALIVE);
    expect(seen.endAt, 'when a second join() returned').toBe(300);
    expect(target.value, 'its value').toBe('slow done');
  });
});

describe('on the real clock', () => {
  it('I01 an idle hub sleeps instead of spinning: main sleeping 150 ms on the default clock', () => {
    const hub = new Hub({ onError: () => {} });
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const result = run(hub, function* main() {
      yield* hub.sleep(150);
      return 'woke';
    });
    const wall = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(result, 'what run() returned').toBe('woke');
    if (wall < 140) expect.fail(`main's sleep(150) should have lasted about 150 ms, but run() returned after ${wall.toFixed(1)} ms`);
    if (cpuMs >= 60) {
      expect.fail(
        `an idle hub should sleep (clock.sleep, which blocks in the kernel), but the 150 ms wait used ` +
          `${cpuMs.toFixed(1)} ms of CPU: the idle loop spins instead of sleeping until the next timer`,
      );
    }
  });

  it('V05 on the real clock: tasks sleeping 200 and 100 ms are done in about 200 ms, not 300', () => {
    const hub = new Hub({ onError: () => {} });
    const start = performance.now();
    const order = run(hub, function* main() {
      const worker = function* (name: string, ms: number) {
        yield* hub.sleep(ms);
        return name;
      };
      const done = yield* hub.joinAll([hub.spawn(worker, 'A', 200), hub.spawn(worker, 'B', 100)]);
      return done.map((t) => t.value);
    });
    const wall = performance.now() - start;
    expect(order, 'the values in completion order').toEqual(['B', 'A']);
    if (wall < 195 || wall > 400) {
      expect.fail(
        `two tasks sleeping 200 and 100 ms should have been done in 200 to 400 ms of wall time, but run() took ${wall.toFixed(1)} ms` +
          (wall < 195 ? ' (a sleep ended early)' : ' (the sleeps did not overlap, or the hub overslept)'),
      );
    }
  });
});
