// Helpers for the hub suite (hub.test.ts): a virtual clock, a way to record inside a task what a
// waiting call did (returned or raised), and failure messages that say in words what the learner's
// code did, rather than `expected Task{} to be Task{}` or a bare exception at a line of the suite.
//
// Not a test file: only files named *.test.ts are run. It imports nothing from the code under test,
// so a missing export still fails only the API test.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { expect } from 'vitest';

const suiteDir = path.dirname(fileURLToPath(import.meta.url));

/** A value in one line, for messages. */
export const show = (value: unknown): string => inspect(value, { depth: 4, breakLength: Infinity });

/** An error in one line, without its stack: `ValueError: v`, `GreenletExit` (no message). */
export const brief = (error: unknown): string =>
  error instanceof Error
    ? error.message
      ? `${error.name}: ${error.message}`
      : error.name
    : `${show(error)} (not an Error)`;

/** The stack frames of `error` in the code under test (not this suite, not node_modules), as lines. */
function framesOutside(error: unknown): string[] {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  return stack.split('\n').filter((line) => {
    const at = /^\s+at .*?(?:file:\/\/)?(\/[^\s():]+):\d+:\d+\)?$/.exec(line);
    if (!at) return false;
    const file = path.resolve(String(at[1]));
    return !file.startsWith(suiteDir + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);
  });
}

/** Where an error was created in the code under test: " (created at hub.ts:107)", or ''. */
function origin(error: unknown): string {
  const first = framesOutside(error)[0];
  const at = first === undefined ? null : /(\/[^\s():]+):(\d+):\d+\)?$/.exec(first);
  return at ? ` (created at ${path.basename(String(at[1]))}:${at[2]})` : '';
}

/**
 * A crash of the code under test: an error of a built-in class (TypeError, a plain Error such as a
 * stub's "not implemented", …) created there, as opposed to the exceptions a test raises or expects.
 */
function isCrash(error: unknown): boolean {
  const builtIn = [Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];
  if (!(error instanceof Error) || !builtIn.includes(Object.getPrototypeOf(error)?.constructor)) return false;
  return framesOutside(error).length > 0;
}

/** An assertion of our own or of a nested expect(): passed on as it is, never reworded. */
function isAssertion(error: unknown): boolean {
  return error instanceof Error && error.name === 'AssertionError';
}

/**
 * Throws `failure` with its stack starting at the test's call of `helper`, so that the failure is
 * located at the line of the test, not inside this file. When the call crashed (`cause`), the crash's
 * own frames follow, so that the grader points at the learner's line instead.
 */
function located(failure: unknown, helper: Function, cause?: unknown): never {
  if (failure instanceof Error) {
    Error.captureStackTrace(failure, helper);
    if (isCrash(cause)) failure.stack = [failure.stack, ...framesOutside(cause)].join('\n');
  }
  throw failure;
}

/** Fails the test with `message`, located at the test's call of `helper`. */
function fail(message: string, helper: Function, cause?: unknown): never {
  try {
    expect.fail(message);
  } catch (failure) {
    located(failure, helper, cause);
  }
}

/** The failure message: what the call should have done, what it did, then why (on a line of its own). */
const said = (should: string, instead: string, why?: string) => `${should}, but ${instead}${why ? `\n${why}` : ''}`;

/**
 * Calls `fn`, which should return rather than raise, and returns its value. If it raises, the test
 * fails with `should` ("hub.run(main) should have returned"), the exception that came out instead,
 * and `why`, the rule in a sentence.
 */
export function returned<T>(fn: () => T, should: string, why?: string): T {
  try {
    return fn();
  } catch (error) {
    if (isAssertion(error)) throw error;
    fail(said(should, `it raised ${brief(error)}${origin(error)}`, why), returned, error);
  }
}

/**
 * Calls `fn`, expecting it to throw (anything), and returns the error; fails readably if it
 * returned.
 */
export function errorFrom(fn: () => unknown, what: string, why?: string): unknown {
  let value: unknown;
  try {
    value = fn();
  } catch (error) {
    return error;
  }
  fail(said(`${what} should have thrown`, `it returned ${show(value)}`, why), errorFrom);
}

// ---------------------------------------------------------------------------------------------------
// What a waiting call did, recorded inside a task and checked after run() returned.
//
// An assertion that fails inside a task body would be an exception in that task, which the hub
// records on the task (or throws out of run()), so the tests never assert inside a task: they
// record, and check afterwards.

/** What a call did: returned a value or raised an error. */
export type Outcome<T> = { raised: false; value: T } | { raised: true; error: unknown };

/**
 * `const o = yield* settle(task.join(100))`: runs the waiting call in the current task and records
 * what it did instead of letting an error escape. A call that is not a generator (a learner's plain
 * method) is recorded as the TypeError `yield*` raises for it.
 */
export function* settle<T>(call: Generator<unknown, T, any>): Generator<unknown, Outcome<T>, any> {
  try {
    return { raised: false, value: yield* call };
  } catch (error) {
    return { raised: true, error };
  }
}

/** The same for a plain call (hub.run() inside a task, t.cancel(), …). */
export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { raised: false, value: fn() };
  } catch (error) {
    return { raised: true, error };
  }
}

/** How an outcome reads in a message: "it returned 42", "it raised Timeout: 100 ms (created at hub.ts:12)". */
export const told = (outcome: Outcome<unknown> | undefined, label: (value: unknown) => string = show): string =>
  outcome === undefined
    ? 'it never came back (the task was never resumed after that call, or never got that far)'
    : outcome.raised
      ? `it raised ${brief(outcome.error)}${origin(outcome.error)}`
      : `it returned ${label(outcome.value)}`;

/**
 * The value of an outcome that should be a return; fails with `should`, what happened instead and
 * `why` when the call raised (or never came back).
 */
export function returnedIn<T>(outcome: Outcome<T> | undefined, should: string, why?: string): T {
  if (outcome !== undefined && !outcome.raised) return outcome.value;
  fail(said(should, told(outcome), why), returnedIn, outcome?.raised ? outcome.error : undefined);
}

/**
 * The error of an outcome that should be a raise; fails when the call returned. `label` prints the
 * value returned instead.
 */
export function raisedIn(
  outcome: Outcome<unknown> | undefined,
  should: string,
  why?: string,
  label?: (value: unknown) => string,
): unknown {
  if (outcome !== undefined && outcome.raised) return outcome.error;
  fail(said(should, told(outcome, label), why), raisedIn);
}

/**
 * Checks that the call raised the very object `expected`: fails when it returned, raised something
 * else, or raised a look-alike (same name and message, another object).
 */
export function raisedSame(outcome: Outcome<unknown> | undefined, expected: unknown, should: string, why?: string): void {
  if (outcome !== undefined && outcome.raised) {
    const error = outcome.error;
    if (error === expected) return;
    const instead =
      brief(error) === brief(expected)
        ? `it raised a look-alike: another object, also ${brief(error)}${origin(error)}, not the very one`
        : `it raised ${brief(error)}${origin(error)} instead`;
    fail(said(should, instead, why), raisedSame, error);
  }
  fail(said(should, told(outcome), why), raisedSame);
}

/** Reads a property or calls a method for a state summary; a crash reads as text, not as a throw. */
export function read(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (error) {
    return `threw ${brief(error)}${origin(error)}`;
  }
}

/**
 * Labels for identity checks. `names(() => ({ main, a, boom }), isTask)` gives a function that turns
 * a value into the label of the known object it *is* (the same object, `===`), so that
 * `expect(done.map(name)).toEqual(['b', 'a'])` fails as `expected ['a', 'b'] to equal ['b', 'a']`.
 * The known objects are read at each call, so a task assigned later is found too.
 */
export function names(known: () => Record<string, unknown>, isTask: (value: unknown) => boolean) {
  return (value: unknown): string => {
    for (const [label, object] of Object.entries(known())) {
      if (object !== undefined && object !== null && object === value) return label;
    }
    if (value === null) return 'null';
    if (value === undefined) return 'undefined';
    if (isTask(value)) return 'an unknown task';
    if (value instanceof Error) return `another ${value.name} object (message ${show(value.message)})`;
    return show(value);
  };
}

// ---------------------------------------------------------------------------------------------------
// The virtual clock.

/** The README's Clock. */
export interface ClockLike {
  now(): number;
  sleep(ms: number): void;
}

/**
 * A clock whose time moves only when the hub sleeps on it (`sleep(ms)`, instantly) or when a test
 * simulates busy CPU work inside a task (`advance(ms)`). It starts at 0, so the times a test records
 * with `now()` are the milliseconds since the start.
 *
 * It also stops a broken hub that would otherwise hang the test worker: asked to sleep forever
 * (nothing could ever wake the program: that is a LoopExit, V32), polled without end while time
 * stands still (a spinning idle loop), or sleeping on and on far past anything a test waits for, it
 * throws an Error that says so, every time it is called from then on.
 */
export class VirtualClock implements ClockLike {
  /** How many calls without time moving make a spinning loop. */
  static readonly SPIN_LIMIT = 1_000_000;
  /** No test waits anywhere near this long (virtual ms). */
  static readonly HORIZON = 100_000_000;

  #now = 0;
  #still = 0;
  #broken: string | null = null;
  /** Every sleep the hub asked for, in ms (for messages). */
  readonly sleeps: number[] = [];

  now(): number {
    this.#check();
    this.#tick();
    return this.#now;
  }

  sleep(ms: number): void {
    this.#check();
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      this.#break(`the hub called clock.sleep(${show(ms)}): a sleep takes a number of milliseconds`);
    }
    if (ms === Infinity) {
      this.#break(
        'the hub called clock.sleep(Infinity): it waited forever although nothing could ever wake the program; ' +
          'with no ready task and no timer, main should get a LoopExit (V32)',
      );
    }
    this.sleeps.push(ms);
    if (ms > 0) this.#moveTo(this.#now + ms);
    else this.#tick();
  }

  /** Simulates `ms` of busy CPU work in the running task: time passes, and nothing else runs. */
  advance(ms: number): void {
    this.#check();
    this.#moveTo(this.#now + ms);
  }

  #moveTo(time: number): void {
    if (time > VirtualClock.HORIZON) {
      this.#break(
        `the hub kept sleeping: the virtual clock passed ${VirtualClock.HORIZON} ms, far past anything this ` +
          'test waits for (a task that should have woken earlier did not, or the hub never noticed main finished)',
      );
    }
    this.#now = time;
    this.#still = 0;
  }

  #tick(): void {
    if (++this.#still > VirtualClock.SPIN_LIMIT) {
      this.#break(
        `the hub called the clock ${VirtualClock.SPIN_LIMIT} times while time stood still: an idle loop spins ` +
          'instead of calling clock.sleep(ms) until the next timer',
      );
    }
  }

  #break(message: string): never {
    this.#broken = `virtual clock: ${message}`;
    throw new Error(this.#broken);
  }

  #check(): void {
    if (this.#broken !== null) throw new Error(this.#broken);
  }
}
