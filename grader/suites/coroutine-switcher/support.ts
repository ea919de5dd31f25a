// Helpers for the coroutine-switcher suite (switcher.test.ts), so that a failure tells a learner
// what their code did, in words, rather than `expected Greenlet{} to be Greenlet{}` or a bare
// exception at a line of the suite.
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

/**
 * Where an error was created in the code under test: " (created at switcher.ts:107)", or '' when it
 * was created by the test itself.
 */
function origin(error: unknown): string {
  const first = framesOutside(error)[0];
  const at = first === undefined ? null : /(\/[^\s():]+):(\d+):\d+\)?$/.exec(first);
  return at ? ` (created at ${path.basename(String(at[1]))}:${at[2]})` : '';
}

/**
 * A crash of the code under test: an error of a built-in class (TypeError, a plain Error such as a
 * stub's "not implemented", …) created there, as opposed to the exceptions a test raises or expects
 * (ValueError, GreenletExit, …).
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
 * located at the line of the test, not inside this file. When the call crashed (`cause`, see
 * isCrash), the crash's own frames follow, so that the grader points at the learner's line instead.
 */
function located(failure: unknown, helper: Function, cause?: unknown): never {
  if (failure instanceof Error) {
    Error.captureStackTrace(failure, helper);
    if (isCrash(cause)) failure.stack = [failure.stack, ...framesOutside(cause)].join('\n');
  }
  throw failure;
}

/** The failure message: what the call should have done, what it did, then why (on a line of its own). */
const said = (should: string, instead: string, why?: string) => `${should}, but ${instead}${why ? `\n${why}` : ''}`;

/**
 * Calls `fn`, which should return rather than raise, and returns its value. If it raises, the test
 * fails with `should` ("g.throw() should have returned the GreenletExit as a value (G17)"), the
 * exception that came out instead, and `why`, the rule in a sentence.
 */
export function returned<T>(fn: () => T, should: string, why?: string): T {
  try {
    return fn();
  } catch (error) {
    if (isAssertion(error)) throw error;
    try {
      expect.fail(said(should, `it raised ${brief(error)}${origin(error)}`, why));
    } catch (failure) {
      located(failure, returned, error);
    }
  }
}

/**
 * Calls `fn`, expecting it to raise the very object `expected`. Fails, saying so, when it returns,
 * raises something else, or raises a look-alike (same name and message, another object).
 */
export function raises(fn: () => unknown, expected: unknown, should: string, why?: string): void {
  let value: unknown;
  try {
    value = fn();
  } catch (error) {
    if (error === expected) return;
    if (isAssertion(error)) throw error;
    const instead =
      brief(error) === brief(expected)
        ? `it raised a look-alike: another object, also ${brief(error)}${origin(error)}, not the very one`
        : `it raised ${brief(error)}${origin(error)} instead`;
    try {
      expect.fail(said(should, instead, why));
    } catch (failure) {
      located(failure, raises, error);
    }
  }
  try {
    expect.fail(said(should, `it raised nothing and returned ${show(value)}`, why));
  } catch (failure) {
    located(failure, raises);
  }
}

/**
 * Calls `fn`, expecting it to throw (anything), and returns the error; fails readably if it
 * returned. `accepted` describes the outcome when it did not throw (default: the value returned).
 */
export function errorFrom(fn: () => unknown, what: string, accepted?: () => string): unknown {
  let value: unknown;
  try {
    value = fn();
  } catch (error) {
    return error;
  }
  try {
    expect.fail(`${what} should have thrown, but ${accepted ? accepted() : `it returned ${show(value)}`}`);
  } catch (failure) {
    located(failure, errorFrom);
  }
}

/**
 * Labels for identity checks. `names(() => ({ main, child, exit }))` gives a function that turns a
 * value into the label of the known object it *is* (the same object, `===`), so that
 * `expect(name(getcurrent())).toBe('child')` fails as `expected 'main' to be 'child'`. The known
 * objects are read at each call, so a greenlet assigned later (created inside a body) is found too.
 * Labels are distinct from anything else a value can print as, so comparing labels is exactly as
 * strict as comparing the objects.
 */
export function names(known: () => Record<string, unknown>, isGreenlet: (value: unknown) => boolean) {
  return (value: unknown): string => {
    for (const [label, object] of Object.entries(known())) {
      if (object !== undefined && object !== null && object === value) return label;
    }
    if (value === null) return 'null';
    if (value === undefined) return 'undefined';
    if (isGreenlet(value)) return 'an unknown greenlet';
    if (value instanceof Error) return `another ${value.name} object (message ${show(value.message)})`;
    return show(value);
  };
}
