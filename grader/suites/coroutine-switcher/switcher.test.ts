// Hidden suite for the coroutine-switcher exercise.
//
// The first test checks the exports (README, "The API"), so that a missing or renamed export is
// named once instead of surfacing as the same TypeError in every test. Every other test name starts
// with the id of the rule it checks (README, "The rules": G01–G26, without G24). The expected values
// are what the real greenlet library does, adapted as the README says: `[]` for Python's `()`, an
// array for a tuple, `undefined` for None, an `active` getter for `bool(g)`. G24 (clean-up by the
// garbage collector) and switching from plain nested calls (the stackful half of G25) cannot exist
// on generators and are not tested (README, "Out of scope").
//
// Tests share one module instance, so each builds its own greenlets and none relies on another;
// greenlets left suspended by a test are simply never resumed.
//
// Failure messages are written for the learner (helpers in support.ts):
// - identity checks compare labels, not objects: `name(getcurrent())` is 'main', 'child', … for the
//   greenlets (and error objects) the test knows, 'an unknown greenlet' for any other, so a failure
//   reads `getcurrent() inside the child: expected 'main' to be 'child'`;
// - a call that should return, not raise, goes through `returned(...)`, and a call that should raise
//   one particular exception through `raises(...)`: either way the failure says what the call should
//   have done and what it did instead.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as switcher from '@learn-io/target/coroutine-switcher/switcher.ts';
import { Greenlet, GreenletExit, getcurrent } from '@learn-io/target/coroutine-switcher/switcher.ts';
import { brief, errorFrom, names, raises, returned, show } from './support.ts';

// Stand-ins for the Python exception classes of the observations, so failures read the same.
class ValueError extends Error {
  override name = 'ValueError';
}
class KeyError extends Error {
  override name = 'KeyError';
}
class NameError extends Error {
  override name = 'NameError';
}
class IndexError extends Error {
  override name = 'IndexError';
}
class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/**
 * `const name = labels(() => ({ main, child }))`: `name(x)` is 'main' or 'child' when x is that very
 * object, 'an unknown greenlet' for another greenlet, 'null', or the value itself printed.
 */
const labels = (known: () => Record<string, unknown>) =>
  names(known, (value) => typeof Greenlet === 'function' && value instanceof Greenlet);

// Control must be back in main after every test. If a test leaves it elsewhere, every later test
// misbehaves too; say so on the test that left it there, and name the cause on the ones after.
let mainGreenlet: Greenlet | undefined;
beforeEach(() => {
  let now: Greenlet;
  try {
    now = getcurrent();
  } catch {
    return; // getcurrent() itself is not working yet: the tests say so
  }
  mainGreenlet ??= now;
  if (now !== mainGreenlet) {
    expect.fail(
      'an earlier test left control outside the main greenlet (getcurrent() is not main in plain code); ' +
        'fix the first failing test, then run again',
    );
  }
});
afterEach(() => {
  if (mainGreenlet === undefined) return;
  if (getcurrent() !== mainGreenlet) {
    expect.fail('after this test getcurrent() is no longer the main greenlet: control did not come back to main');
  }
});

/** The state pair every lifecycle check looks at. */
const flags = (g: Greenlet) => ({ active: g.active, dead: g.dead });
const NOT_STARTED = { active: false, dead: false };
const ALIVE = { active: true, dead: false };
const FINISHED = { active: false, dead: true };

/** How a value that should have been a class or a function looks, for the API test. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return `an object (${show(value)})`;
  return `${typeof value} ${show(value)}`;
}

describe('the API', () => {
  it('API switcher.ts exports Greenlet, GreenletExit and getcurrent with the documented shapes', () => {
    const exported: Record<string, unknown> = { ...switcher };
    const names = Object.keys(exported).sort();
    const listed = names.length === 0 ? 'it exports nothing' : `its exports: ${names.join(', ')}`;
    const problems: string[] = [];
    const expected = [
      ['Greenlet', 'a class'],
      ['GreenletExit', 'a class that extends Error'],
      ['getcurrent', 'a function'],
    ] as const;
    for (const [name, what] of expected) {
      const value = exported[name];
      if (!(name in exported)) {
        problems.push(`switcher.ts has no export named \`${name}\` (${what}); ${listed}`);
      } else if (typeof value !== 'function') {
        problems.push(`the export \`${name}\` is ${kindOf(value)}, not ${what}`);
      }
    }
    const G = exported['Greenlet'];
    if (typeof G === 'function') {
      for (const method of ['switch', 'throw']) {
        const found: unknown = (G.prototype as Record<string, unknown> | undefined)?.[method];
        if (typeof found !== 'function') {
          problems.push(`Greenlet has no method ${method}(): Greenlet.prototype.${method} is ${kindOf(found)}`);
        }
      }
    }
    const E = exported['GreenletExit'];
    if (typeof E === 'function' && !(E.prototype instanceof Error)) {
      problems.push('GreenletExit does not extend Error (`class GreenletExit extends Error`)');
    }
    const current = exported['getcurrent'];
    if (typeof current === 'function' && typeof G === 'function') {
      let main: unknown;
      let failed = false;
      try {
        main = current();
      } catch (error) {
        failed = true;
        problems.push(`getcurrent() threw ${brief(error)}; in plain code it must return the main greenlet`);
      }
      if (!failed && !(main instanceof G)) {
        problems.push(`getcurrent() returned ${kindOf(main)}, not a Greenlet (in plain code: the main greenlet)`);
      } else if (!failed) {
        for (const property of ['active', 'dead']) {
          let value: unknown;
          try {
            value = (main as Record<string, unknown>)[property];
          } catch (error) {
            problems.push(`reading .${property} of the main greenlet threw ${brief(error)}`);
            continue;
          }
          if (typeof value !== 'boolean') {
            problems.push(`.${property} of the main greenlet is ${kindOf(value)}, not a boolean`);
          }
        }
        if (!('parent' in (main as object))) problems.push('the main greenlet has no .parent');
      }
    }
    if (problems.length > 0) expect.fail(problems.join('\n'));
  });
});

describe('creating and starting', () => {
  it('G01 creating a greenlet runs nothing, not even the generator function', () => {
    const log: string[] = [];
    let calls = 0;
    const g = new Greenlet(function (...args: unknown[]) {
      calls++;
      return (function* () {
        log.push(`body ran with ${args.length} argument(s)`);
        return 'done';
      })();
    });
    expect(calls, 'calls of run() right after new Greenlet(run)').toBe(0);
    expect(log, 'what the body logged right after new Greenlet(run)').toEqual([]);
    expect(flags(g), 'flags of a greenlet that was only created').toEqual(NOT_STARTED);
    const main = getcurrent();
    const name = labels(() => ({ main, g }));
    expect(name(g.parent), 'the parent of a greenlet created in plain code (the main greenlet)').toBe('main');
  });

  it('G01 the first switch() runs the body and returns its result', () => {
    const log: string[] = [];
    const g = new Greenlet(function* () {
      log.push('body ran');
      return 'done';
    });
    expect(log, 'what the body logged before the first switch()').toEqual([]);
    expect(g.switch(), 'what the first switch() returned').toBe('done');
    expect(log, 'what the body logged').toEqual(['body ran']);
  });

  it('G02 the first switch() spreads its arguments into run()', () => {
    const g = new Greenlet(function* (a: unknown, b: unknown, ...rest: unknown[]) {
      return [a, b, rest];
    });
    expect(g.switch(1, 2, 3), 'run(a, b, ...rest) started by switch(1, 2, 3) returns [a, b, rest]').toStrictEqual([
      1,
      2,
      [3],
    ]);
  });

  it('G02 a first switch() with no arguments calls run() with none', () => {
    const g = new Greenlet(function* (...args: unknown[]) {
      return args;
    });
    expect(g.switch(), 'the arguments run() received from switch()').toStrictEqual([]);
  });

  it('G02 a single first argument is passed through as it is, even an array or undefined', () => {
    const list = [1, 2];
    const g1 = new Greenlet(function* (...args: unknown[]) {
      return args;
    });
    const got = g1.switch(list) as unknown[];
    const name = labels(() => ({ list }));
    expect(got, 'the arguments run() received from switch([1, 2])').toStrictEqual([[1, 2]]);
    expect(name(got[0]), 'the array given to switch() is the very object run() receives').toBe('list');

    const g2 = new Greenlet(function* (...args: unknown[]) {
      return args.length;
    });
    expect(g2.switch(undefined), 'number of arguments run() received from switch(undefined)').toBe(1);
  });

  it("G02 a greenlet started from inside another greenlet's body gets the arguments spread out too", () => {
    const starter = new Greenlet(function* () {
      const got: unknown[] = [];
      for (const args of [[1, 2, 3], [1, 2], [], [[1, 2]]]) {
        // Created here, so its parent is the starter, which receives what run() returns.
        const child = new Greenlet(function* (...received: unknown[]) {
          return received;
        });
        got.push(yield* child.switch(...args));
      }
      return got;
    });
    expect(
      starter.switch(),
      'the arguments run() received from `yield* child.switch(1, 2, 3)`, (1, 2), (), ([1, 2]) inside a body',
    ).toStrictEqual([[1, 2, 3], [1, 2], [], [[1, 2]]]);
  });
});

describe('passing values', () => {
  it('G03 a resumed greenlet receives [] for no argument, the value for one, an array for several', () => {
    const main = getcurrent();
    const got: unknown[] = [];
    const child = new Greenlet(function* () {
      for (;;) got.push(yield* main.switch());
    });
    child.switch();
    child.switch();
    child.switch(42);
    child.switch(1, 2);
    child.switch(undefined);
    expect(got, 'what the child received from switch(), switch(42), switch(1, 2), switch(undefined)').toStrictEqual([
      [],
      42,
      [1, 2],
      undefined,
    ]);
    expect(got.length, 'switch(undefined) delivers one value, undefined').toBe(4);
  });

  it('G03 the switcher receives the same packing when a greenlet switches back', () => {
    const main = getcurrent();
    const child = new Greenlet(function* () {
      yield* main.switch();
      yield* main.switch(42);
      yield* main.switch(1, 2);
      yield* main.switch(undefined);
      return 'end';
    });
    const got = [child.switch(), child.switch(), child.switch(), child.switch(), child.switch()];
    expect(got, 'what main received from main.switch(), (42), (1, 2), (undefined), then the return').toStrictEqual([
      [],
      42,
      [1, 2],
      undefined,
      'end',
    ]);
  });

  it('G03 the packing is the same between two greenlets', () => {
    const forms: unknown[][] = [[], [42], [1, 2], [undefined]];
    const aGot: unknown[] = [];
    const bGot: unknown[] = [];
    let b!: Greenlet;
    const a = new Greenlet(function* () {
      yield* b.switch('start');
      for (const args of forms) aGot.push(yield* b.switch(...args));
      return 'a done';
    });
    b = new Greenlet(function* (first: unknown) {
      bGot.push(first);
      let got: unknown = yield* a.switch('hello');
      for (const args of forms) {
        bGot.push(got);
        got = yield* a.switch(...args);
      }
    });
    expect(a.switch(), 'what main got when a finished (a returns "a done" to main, its parent)').toBe('a done');
    expect(bGot, 'what b received: its start argument, then each form a sent').toStrictEqual([
      'start',
      [],
      42,
      [1, 2],
      undefined,
    ]);
    expect(aGot, 'what a received from b for (), (42), (1, 2), (undefined)').toStrictEqual([[], 42, [1, 2], undefined]);
  });

  it('G03 one argument arrives unchanged: the same object, an array stays a single value', () => {
    const main = getcurrent();
    const obj = { k: 1 };
    const list = [1, 2];
    const got: unknown[] = [];
    const child = new Greenlet(function* () {
      for (;;) got.push(yield* main.switch(list));
    });
    const back = child.switch();
    child.switch(obj);
    child.switch(list);
    const name = labels(() => ({ obj, list }));
    expect(name(back), 'main.switch(list) from the child delivers that very array').toBe('list');
    expect(name(got[0]), 'child.switch(obj) delivers that very object').toBe('obj');
    expect(name(got[1]), 'child.switch(list) delivers that very array, not [list]').toBe('list');
  });

  it('G03 every switch() with no arguments delivers a new empty array', () => {
    const main = getcurrent();
    const child = new Greenlet(function* () {
      for (;;) yield* main.switch();
    });
    const first = child.switch() as unknown[];
    const second = child.switch() as unknown[];
    expect(first, 'what the first main.switch() with no arguments delivered').toStrictEqual([]);
    expect(second, 'what the second main.switch() with no arguments delivered').toStrictEqual([]);
    expect(first, 'two deliveries must not share one array (the receiver may push to it)').not.toBe(second);
  });

  it('G04 values flow both ways, and the return value ends the exchange', () => {
    const main = getcurrent();
    const log: unknown[] = [];
    const f = new Greenlet(function* (a: unknown, b: unknown) {
      log.push(['f started with', a, b]);
      log.push(['f resumed with', yield* main.switch()]);
      log.push(['f resumed with', yield* main.switch(42)]);
      return [44, 'z'];
    });
    log.push(['main got', f.switch(40, 'x')]);
    log.push(['main got', f.switch(41, 'y')]);
    log.push(['main got', f.switch(43)]);
    expect(log, 'the exchange, in order').toStrictEqual([
      ['f started with', 40, 'x'],
      ['main got', []],
      ['f resumed with', [41, 'y']],
      ['main got', 42],
      ['f resumed with', 43],
      ['main got', [44, 'z']],
    ]);
    expect(f.dead, 'f is dead at the end').toBe(true);
  });
});

describe('finishing goes to the parent', () => {
  it('G05 a finished greenlet reports to its parent, not its last switcher', () => {
    const printed: number[] = [];
    let gr2!: Greenlet;
    const gr1 = new Greenlet(function* () {
      printed.push(12);
      yield* gr2.switch();
      printed.push(34);
      return 'test1 done';
    });
    gr2 = new Greenlet(function* () {
      printed.push(56);
      yield* gr1.switch();
      printed.push(78);
    });
    expect(gr1.switch(), 'what main got: gr1 finished and its parent is main').toBe('test1 done');
    expect(printed, 'gr2 was never resumed, so 78 is never reached').toEqual([12, 56, 34]);
    expect(flags(gr2), 'gr2 is left suspended').toEqual(ALIVE);
    expect(flags(gr1), 'gr1 after returning').toEqual(FINISHED);
  });

  it('G05 the greenlet that started a finished one stays suspended and resumes later', () => {
    const log: unknown[] = [];
    const grB = new Greenlet(function* () {
      return 'value from b';
    });
    const grA = new Greenlet(function* () {
      log.push(['a resumed with', yield* grB.switch()]);
      return 'a done';
    });
    expect(grA.switch(), 'b finished; its parent is main, so main gets its value').toBe('value from b');
    expect(flags(grA), 'a, which switched to b, is still suspended').toEqual(ALIVE);
    expect(grA.switch('later'), 'a finishes once main resumes it').toBe('a done');
    expect(log, 'a resumed with what main sent it').toStrictEqual([['a resumed with', 'later']]);
  });

  it('G06 a body that returns nothing delivers undefined to its parent', () => {
    const fallsOff = new Greenlet(function* () {});
    const returnsUndefined = new Greenlet(function* () {
      return undefined;
    });
    expect(fallsOff.switch(), 'a body that falls off its end').toBeUndefined();
    expect(returnsUndefined.switch(), 'a body that returns undefined').toBeUndefined();

    const parent = new Greenlet(function* () {
      const child = new Greenlet(function* () {});
      const got: unknown = yield* child.switch();
      return { got };
    });
    expect(
      parent.switch(),
      'what the parent greenlet returned, { got }: got is what its switch() to a child that returns nothing gave it ' +
        '(undefined, not [])',
    ).toStrictEqual({ got: undefined });
  });

  it('G07 active and dead through a lifecycle', () => {
    const main = getcurrent();
    const seen: unknown[] = [];
    const g: Greenlet = new Greenlet(function* () {
      seen.push(flags(g));
      yield* main.switch();
    });
    expect(flags(g), 'not started').toEqual(NOT_STARTED);
    g.switch();
    expect(seen, 'seen from inside while running').toEqual([ALIVE]);
    expect(flags(g), 'suspended').toEqual(ALIVE);
    g.switch();
    expect(flags(g), 'finished').toEqual(FINISHED);
  });

  it('G07 a greenlet that died of an exception is dead and not active', () => {
    const g = new Greenlet(function* () {
      throw new ValueError('boom');
    });
    errorFrom(() => g.switch(), 'switch() into a body that throws');
    expect(flags(g), 'after dying of an exception').toEqual(FINISHED);
  });

  it('G08 in plain code getcurrent() is the main greenlet: no parent, active, never dead', () => {
    const main = getcurrent();
    const name = labels(() => ({ main }));
    expect(main, 'getcurrent() in plain code').toBeInstanceOf(Greenlet);
    expect(name(main.parent), 'the parent of the main greenlet (it has none)').toBe('null');
    expect(flags(main), 'the main greenlet').toEqual(ALIVE);
    expect(name(getcurrent()), 'a second getcurrent(): the same object every time').toBe('main');
  });

  it('G08 inside a body getcurrent() is that greenlet, and main again afterwards', () => {
    const main = getcurrent();
    const seen: Greenlet[] = [];
    function* helper(): Generator<unknown, void, any> {
      seen.push(getcurrent());
    }
    const child: Greenlet = new Greenlet(function* () {
      seen.push(getcurrent());
      yield* main.switch();
      seen.push(getcurrent());
      yield* helper();
    });
    const name = labels(() => ({ main, child }));
    child.switch();
    expect(name(getcurrent()), 'getcurrent() in main between switches').toBe('main');
    child.switch();
    expect(name(getcurrent()), 'getcurrent() in main after the child finished').toBe('main');
    expect(seen.length, 'how many times the child called getcurrent()').toBe(3);
    expect(name(seen[0]), 'getcurrent() inside the child').toBe('child');
    expect(name(seen[1]), 'getcurrent() inside the child after it was resumed').toBe('child');
    expect(name(seen[2]), 'getcurrent() inside a helper generator the child delegates to').toBe('child');
  });

  it('G09 the default parent is the creator, not the first switcher', () => {
    const main = getcurrent();
    const log: unknown[] = [];
    let inner!: Greenlet;
    const outer = new Greenlet(function* () {
      inner = new Greenlet(function* () {
        return 'inner result';
      });
      log.push(['outer resumed with', yield* main.switch('inner created')]);
      return 'outer done';
    });
    const name = labels(() => ({ main, outer, inner }));
    expect(outer.switch(), 'what main got from outer, which created inner and switched back').toBe('inner created');
    expect(
      name(inner.parent),
      'the parent of inner, created inside outer: the creator, not whoever switches to it first',
    ).toBe('outer');
    expect(inner.switch(), 'main starts inner; inner reports to outer, which finishes to main').toBe('outer done');
    expect(log, 'outer received the result of inner').toStrictEqual([['outer resumed with', 'inner result']]);
  });

  it('G10 an explicit parent is kept and receives the result at its suspension point', () => {
    const main = getcurrent();
    const log: unknown[] = [];
    const waiter = new Greenlet(function* () {
      log.push(['waiter resumed with', yield* main.switch('waiting')]);
      return 'waiter done';
    });
    waiter.switch();
    const child = new Greenlet(function* () {
      return 'child result';
    }, waiter);
    const name = labels(() => ({ main, waiter, child }));
    expect(name(child.parent), 'the parent of new Greenlet(run, waiter)').toBe('waiter');
    expect(child.switch(), 'main starts the child; the child reports to waiter').toBe('waiter done');
    expect(log, 'waiter resumed with the result of the child').toStrictEqual([['waiter resumed with', 'child result']]);
  });

  it('G10 a child whose parent never started starts the parent with its return value', () => {
    const log: unknown[] = [];
    const parent = new Greenlet(function* (...args: unknown[]) {
      log.push(['parent started with', ...args]);
      return 'parent done';
    });
    const child = new Greenlet(function* () {
      log.push('child ran');
      return 42;
    }, parent);
    expect(child.switch(), 'what main got').toBe('parent done');
    expect(log, 'the parent started with the single argument 42').toStrictEqual([
      'child ran',
      ['parent started with', 42],
    ]);
    expect(flags(child), 'the child').toEqual(FINISHED);
    expect(flags(parent), 'the parent').toEqual(FINISHED);
  });

  it('G10 a one-parameter parent that never started gets the child result as its argument', () => {
    const parent = new Greenlet(function* (x: unknown) {
      return [x, 24];
    });
    const child = new Greenlet(function* () {
      return 42;
    }, parent);
    expect(
      child.switch(),
      'what main got: the child returns 42, which starts its parent as run(42), which returns [42, 24]',
    ).toStrictEqual([42, 24]);
  });
});

describe('re-parenting', () => {
  it('G11 a suspended greenlet can be re-parented and the new parent gets its result', () => {
    const main = getcurrent();
    const log: unknown[] = [];
    const worker = new Greenlet(function* () {
      yield* main.switch('worker paused');
      return 'worker result';
    });
    const waiter = new Greenlet(function* () {
      log.push(['waiter resumed with', yield* main.switch('waiter paused')]);
      return 'waiter done';
    });
    const name = labels(() => ({ main, worker, waiter }));
    expect(worker.switch(), 'what the worker sent when it paused').toBe('worker paused');
    expect(waiter.switch(), 'what the waiter sent when it paused').toBe('waiter paused');
    worker.parent = waiter;
    expect(name(worker.parent), 'worker.parent after worker.parent = waiter').toBe('waiter');
    expect(worker.switch(), 'worker reports to waiter, which finishes to main').toBe('waiter done');
    expect(log, 'waiter resumed with the result of the worker').toStrictEqual([
      ['waiter resumed with', 'worker result'],
    ]);
  });

  it('G11 a parent chain that would loop is refused with "cyclic parent chain"', () => {
    const run = function* () {};
    const a = new Greenlet(run);
    const b = new Greenlet(run);
    const c = new Greenlet(run);
    const main = getcurrent();
    const name = labels(() => ({ main, a, b, c }));
    const nowA = () => `it was accepted: a.parent is now ${name(a.parent)}`;

    b.parent = a;
    const twoCycle = errorFrom(() => (a.parent = b), 'a.parent = b, when b.parent is a,', nowA);
    expect(String(twoCycle), 'the error for a.parent = b (b -> a -> b)').toMatch(/cyclic parent chain/);
    expect(name(a.parent), 'a.parent after the refused a.parent = b (a refusal changes nothing)').toBe('main');

    const self = errorFrom(() => (a.parent = a), 'a.parent = a', nowA);
    expect(String(self), 'the error for a.parent = a').toMatch(/cyclic parent chain/);

    c.parent = b;
    const threeCycle = errorFrom(() => (a.parent = c), 'a.parent = c, when c.parent is b and b.parent is a,', nowA);
    expect(String(threeCycle), 'the error for a.parent = c (c -> b -> a -> c)').toMatch(/cyclic parent chain/);
    expect(name(a.parent), 'a.parent after the refused assignments').toBe('main');
  });

  it('G11 only a Greenlet can be a parent: null and other values are TypeErrors', () => {
    const run = function* () {};
    const g = new Greenlet(run);
    const main = getcurrent();
    const name = labels(() => ({ main, g }));
    for (const bad of [null, undefined, 42, 'main', {}, () => {}]) {
      const error = errorFrom(
        () => (g.parent = bad as any),
        `g.parent = ${show(bad)}`,
        () => `it was accepted: g.parent is now ${name(g.parent)}`,
      );
      expect(error, `the error for g.parent = ${show(bad)}`).toBeInstanceOf(TypeError);
      expect(name(g.parent), `g.parent after the refused g.parent = ${show(bad)}`).toBe('main');
    }
    const error = errorFrom(() => new Greenlet(run, 42 as any), 'new Greenlet(run, 42)', () => 'it made a greenlet');
    expect(error, 'the error for new Greenlet(run, 42)').toBeInstanceOf(TypeError);
  });

  it("G11 the main greenlet's parent cannot be set", () => {
    const main = getcurrent();
    const g = new Greenlet(function* () {});
    const name = labels(() => ({ main, g }));
    const error = errorFrom(
      () => (main.parent = g),
      'main.parent = g',
      () => `it was accepted: main.parent is now ${name(main.parent)}`,
    );
    expect(error, 'the error for main.parent = g').toBeInstanceOf(Error);
    expect(String(error), 'the message names the main greenlet').toMatch(/main greenlet/);
    expect(name(main.parent), 'main.parent after the refused main.parent = g').toBe('null');
  });

  it('G11 a null or missing parent at construction means the current greenlet', () => {
    const main = getcurrent();
    const run = function* () {};
    const outer: Greenlet = new Greenlet(function* () {
      return name(new Greenlet(run, null).parent);
    });
    const name = labels(() => ({ main, outer }));
    expect(name(new Greenlet(run, null).parent), 'the parent of new Greenlet(run, null) in plain code').toBe('main');
    expect(name(new Greenlet(run, undefined).parent), 'the parent of new Greenlet(run, undefined) in plain code').toBe(
      'main',
    );
    expect(outer.switch(), 'the parent of new Greenlet(run, null) created inside outer').toBe('outer');
  });

  it('G11 the parent cannot be deleted', () => {
    const main = getcurrent();
    const g = new Greenlet(function* () {});
    const name = labels(() => ({ main, g }));
    try {
      delete (g as { parent?: unknown }).parent;
    } catch {
      // refusing loudly is fine too
    }
    expect(name(g.parent), 'g.parent after delete g.parent').toBe('main');
  });
});

describe('exceptions', () => {
  it("G12 an uncaught exception kills the greenlet and is raised by the parent's switch()", () => {
    const main = getcurrent();
    const boom = new ValueError('boom');
    const g = new Greenlet(function* () {
      throw boom;
    });
    const name = labels(() => ({ main, g }));
    raises(
      () => g.switch(),
      boom,
      'g.switch() should have raised the ValueError the body threw (G12)',
      'An exception that escapes a body kills the greenlet and is raised in its parent, here main, at its pending ' +
        'switch().',
    );
    expect(flags(g), 'g after dying of the exception').toEqual(FINISHED);
    expect(name(getcurrent()), 'getcurrent() after the error reached main').toBe('main');
  });

  it("G12 an exception raised after a suspension surfaces at the parent's next switch()", () => {
    const main = getcurrent();
    const late = new KeyError('second leg');
    const g = new Greenlet(function* () {
      yield* main.switch('first leg');
      throw late;
    });
    expect(g.switch(), 'what main got when g switched back the first time').toBe('first leg');
    expect(flags(g), 'g, suspended after its first leg').toEqual(ALIVE);
    raises(
      () => g.switch(),
      late,
      'the second g.switch() should have raised the KeyError g threw after it was resumed (G12)',
      'An exception that escapes a body is raised in the parent, here main, at the switch() that is pending when ' +
        'the body raises it.',
    );
    expect(flags(g), 'g after dying of the exception').toEqual(FINISHED);
  });

  it('G13 the exception skips the switcher and goes to the parent', () => {
    const log: string[] = [];
    const typo = new NameError('typo in test2');
    let gr2!: Greenlet;
    const gr1 = new Greenlet(function* () {
      log.push('test1 before switch');
      yield* gr2.switch();
      log.push('test1 after switch');
    });
    gr2 = new Greenlet(function* () {
      throw typo;
    });
    raises(
      () => gr1.switch(),
      typo,
      "gr1.switch() should have raised gr2's NameError in main (G13)",
      'gr2 was created in plain code, so its parent is main: the error goes to main, not to gr1, which only ' +
        'switched to gr2.',
    );
    expect(log, 'what gr1, the switcher, logged: it never saw the error').toEqual(['test1 before switch']);
    expect(flags(gr1), 'gr1 stays suspended').toEqual(ALIVE);
    expect(flags(gr2), 'gr2 after dying of the exception').toEqual(FINISHED);
  });

  it("G14 a parent greenlet can catch its child's exception at its own suspension point", () => {
    const k = new KeyError('k');
    let child!: Greenlet;
    const parent = new Greenlet(function* () {
      child = new Greenlet(function* () {
        throw k;
      });
      try {
        yield* child.switch();
      } catch (error) {
        return ['parent caught', error];
      }
      return ['parent resumed without an error'];
    });
    const name = labels(() => ({ k }));
    const got = returned(
      () => parent.switch(),
      "parent.switch() should have returned ['parent caught', k] (G14)",
      "The child, created inside the parent, has the parent as its parent: its KeyError is raised at the parent's " +
        'pending `yield* child.switch()`, where the parent catches it.',
    ) as unknown[];
    expect(got[0], 'the first item of what parent.switch() returned').toBe('parent caught');
    expect(name(got[1]), 'what the parent caught: the very error the child threw').toBe('k');
    expect(flags(parent), 'the parent after returning').toEqual(FINISHED);
    expect(flags(child), 'the child after dying of the exception').toEqual(FINISHED);
  });

  it('G14 an uncaught child exception passes through the parent greenlet to main', () => {
    const k = new KeyError('k');
    const saw: string[] = [];
    let child!: Greenlet;
    const parent = new Greenlet(function* () {
      child = new Greenlet(function* () {
        throw k;
      });
      try {
        yield* child.switch();
      } catch (error) {
        saw.push((error as Error).name);
        throw error;
      }
    });
    raises(
      () => parent.switch(),
      k,
      "parent.switch() should have raised the child's KeyError in main (G14)",
      "The error is raised in the parent greenlet, the child's parent, which re-raises it: the parent dies too, and " +
        'the error goes on to its own parent, main.',
    );
    expect(saw, 'what the parent caught (and re-raised) on the way').toEqual(['KeyError']);
    expect(flags(parent), 'the parent after dying of the re-raised error').toEqual(FINISHED);
    expect(flags(child), 'the child after dying of the exception').toEqual(FINISHED);
  });

  it('G15 a GreenletExit escaping the body is returned to the parent as a value', () => {
    const bye = new GreenletExit('bye');
    const g = new Greenlet(function* () {
      throw bye;
    });
    const name = labels(() => ({ bye }));
    const got = returned(
      () => g.switch(),
      'g.switch() should have returned the GreenletExit that escaped the body, as a value (G15)',
      'A GreenletExit that escapes a body kills the greenlet quietly: its parent, main, receives the exit object as ' +
        'a value instead of having it raised.',
    );
    expect(name(got), 'what g.switch() returned: the GreenletExit object itself').toBe('bye');
    expect(flags(g), 'g after the GreenletExit escaped its body').toEqual(FINISHED);
    expect(bye, 'GreenletExit is an Error in TypeScript').toBeInstanceOf(Error);
    expect(bye.name, "a GreenletExit's name").toBe('GreenletExit');
    expect(bye.message, "the message of new GreenletExit('bye')").toBe('bye');
  });

  it('G15 a subclass of GreenletExit is returned the same way', () => {
    // Declared here, not at the top: a missing GreenletExit export must not stop the file loading.
    class MyExit extends GreenletExit {
      override name = 'MyExit';
    }
    const sub = new MyExit('sub');
    const g = new Greenlet(function* () {
      throw sub;
    });
    const name = labels(() => ({ sub }));
    const got = returned(
      () => g.switch(),
      'g.switch() should have returned the MyExit that escaped the body, as a value (G15)',
      'MyExit extends GreenletExit, and a subclass goes to the parent as a value like GreenletExit itself (test ' +
        'with instanceof).',
    );
    expect(name(got), 'what g.switch() returned: the MyExit object itself').toBe('sub');
    expect(g.dead, 'g is dead').toBe(true);
  });

  it("G15 a parent greenlet receives a child's GreenletExit as a value, not an exception", () => {
    const bye = new GreenletExit('bye');
    const parent = new Greenlet(function* () {
      const child = new Greenlet(function* () {
        throw bye;
      });
      try {
        return ['parent got', yield* child.switch()];
      } catch (error) {
        return `the parent had it raised at its switch(): ${brief(error)}`;
      }
    });
    const got = returned(
      () => parent.switch(),
      "parent.switch() should have returned ['parent got', bye] (G15)",
      "The child's GreenletExit goes to its parent greenlet as the value of the parent's pending `yield* " +
        'child.switch()`, not raised there.',
    );
    if (got === bye) {
      expect.fail(
        "parent.switch() returned bye itself: the child's GreenletExit went to main instead of to the child's " +
          'parent, the greenlet that created it, which should have received it as a value (G15, G09)',
      );
    }
    expect(
      got,
      "what the parent greenlet returned: ['parent got', what its `yield* child.switch()` gave it], the " +
        'GreenletExit as a value',
    ).toStrictEqual(['parent got', bye]);
  });
});

describe('throw()', () => {
  /** A greenlet that reports each exception it catches and waits for the next. */
  function catcher(caught: unknown[]): Greenlet {
    const main = getcurrent();
    return new Greenlet(function* () {
      let report: unknown = 'waiting';
      for (;;) {
        try {
          yield* main.switch(report);
          report = 'resumed normally';
        } catch (error) {
          caught.push(error);
          report = ['caught', (error as Error).name, (error as Error).message];
        }
      }
    });
  }

  it("G16 throw() raises at the suspension point; what the target sends back is throw()'s result", () => {
    const caught: unknown[] = [];
    const g = catcher(caught);
    const ciao = new RuntimeError('ciao');
    const name = labels(() => ({ ciao }));
    expect(g.switch(), 'what g sent when it started waiting').toBe('waiting');
    expect(
      returned(
        () => g.throw(RuntimeError),
        "g.throw(RuntimeError) should have returned g's report (G16)",
        'throw(RuntimeError) raises a new RuntimeError (the class instantiated with no arguments) inside g, where ' +
          'it waits; g catches it and switches its report to main, and that is what throw() returns.',
      ),
      'throw(RuntimeError): a class is instantiated with no arguments; g reports what it caught',
    ).toStrictEqual(['caught', 'RuntimeError', '']);
    expect(caught[0], 'what g caught from throw(RuntimeError)').toBeInstanceOf(RuntimeError);
    expect(
      returned(
        () => g.throw(ciao),
        "g.throw(ciao) should have returned g's report (G16)",
        'throw(ciao) raises ciao inside g, where it waits; g catches it and switches its report to main, and that ' +
          'is what throw() returns.',
      ),
      'throw(new RuntimeError("ciao")): g reports what it caught',
    ).toStrictEqual(['caught', 'RuntimeError', 'ciao']);
    expect(name(caught[1]), 'what g caught from throw(ciao): the very instance given').toBe('ciao');
    expect(flags(g), 'the target caught both and is still suspended').toEqual(ALIVE);
  });

  it('G16 throw() rejects anything but an Error or an Error class with a TypeError, leaving the target alone', () => {
    const caught: unknown[] = [];
    const g = catcher(caught);
    g.switch();
    for (const bad of ['abc', 42, { message: 'not an error' }, null]) {
      const error = errorFrom(() => g.throw(bad as any), `throw(${show(bad)})`);
      expect(error, `the error for throw(${show(bad)})`).toBeInstanceOf(TypeError);
    }
    expect(caught, 'what the target caught: it must never have been resumed').toEqual([]);
    expect(flags(g), 'the target, still suspended').toEqual(ALIVE);
    expect(g.switch(), 'the target still waits where it was').toBe('resumed normally');
  });

  it('G16 one greenlet can throw into another; a non-error raises TypeError in the thrower', () => {
    const caught: unknown[] = [];
    const target = catcher(caught);
    target.switch();
    const oops = new RuntimeError('from a greenlet');
    const name = labels(() => ({ oops }));
    const thrower = new Greenlet(function* () {
      const reply: unknown = yield* target.throw(oops);
      let bad: unknown = 'no error';
      try {
        yield* target.throw('abc' as any);
      } catch (error) {
        bad = error;
      }
      return [reply, bad];
    });
    // The target answers by switching to main (that is what its loop does), so main gets the
    // reply; main then resumes the thrower by hand.
    expect(
      returned(
        () => thrower.switch(),
        "thrower.switch() should have returned the target's report (G16)",
        "The thrower's `yield* target.throw(oops)` raises oops inside the target, where it waits; the target " +
          'catches it and switches its report to main.',
      ),
      'the target reports to main',
    ).toStrictEqual(['caught', 'RuntimeError', 'from a greenlet']);
    expect(name(caught[0]), 'what the target caught: the very error the thrower gave').toBe('oops');
    const [reply, bad] = thrower.switch('sent by main') as unknown[];
    expect(reply, 'the thrower resumes with what main sent it').toBe('sent by main');
    expect(bad, 'throw("abc") inside a body raises a TypeError there').toBeInstanceOf(TypeError);
  });

  it('G17 throw() with no argument sends GreenletExit: finally runs, the greenlet dies, the exit comes back', () => {
    const main = getcurrent();
    const log: string[] = [];
    const g = new Greenlet(function* () {
      try {
        yield* main.switch();
      } finally {
        log.push('finally ran');
      }
    });
    g.switch();
    const got = returned(
      () => g.throw(),
      'g.throw() should have returned the GreenletExit as a value (G17)',
      'throw() with no argument raises a new GreenletExit in g; g does not catch it, so g dies quietly and its ' +
        'parent, main, receives the exit object as a value.',
    );
    expect(got, 'what g.throw() returned').toBeInstanceOf(GreenletExit);
    expect(flags(g), 'g after the GreenletExit').toEqual(FINISHED);
    expect(log, "g's finally block ran on the way out").toEqual(['finally ran']);
  });

  it('G17 throwing at the now-dead greenlet returns a GreenletExit again, the very instance given', () => {
    const main = getcurrent();
    const g = new Greenlet(function* () {
      yield* main.switch();
    });
    g.switch();
    returned(
      () => g.throw(),
      'the first g.throw() should have returned the GreenletExit as a value (G17)',
      'g does not catch it, so g dies quietly and its parent, main, receives the exit object as a value.',
    );
    expect(
      returned(
        () => g.throw(),
        'g.throw() at the now-dead g should have returned a GreenletExit as the value (G17, G20)',
        'A GreenletExit thrown at a dead greenlet is not raised: it comes straight back as the value.',
      ),
      'throw() at the dead greenlet',
    ).toBeInstanceOf(GreenletExit);
    const exit = new GreenletExit('again');
    const name = labels(() => ({ exit }));
    const got = returned(
      () => g.throw(exit),
      'g.throw(exit) at the now-dead g should have returned exit (G17, G20)',
      'A GreenletExit thrown at a dead greenlet is not raised: it comes straight back as the value, the very object.',
    );
    expect(name(got), 'throw(exit) at the dead greenlet returns that very object').toBe('exit');
  });

  it('G17 a target that catches the exit may return something else', () => {
    const main = getcurrent();
    const g = new Greenlet(function* () {
      try {
        yield* main.switch();
      } catch (error) {
        if (error instanceof GreenletExit) return 'ignored the exit';
        throw error;
      }
    });
    g.switch();
    expect(
      returned(
        () => g.throw(),
        "g.throw() should have returned 'ignored the exit' (G17)",
        "g catches the GreenletExit and returns 'ignored the exit', which goes to its parent, main.",
      ),
      'what g.throw() returned: what g returned after catching the exit',
    ).toBe('ignored the exit');
    expect(g.dead, 'g is dead after returning').toBe(true);
  });

  it('G18 an uncaught thrown exception is raised in the caller when the caller is the parent', () => {
    const main = getcurrent();
    const v = new ValueError('v');
    const g = new Greenlet(function* () {
      yield* main.switch();
    });
    g.switch();
    raises(
      () => g.throw(v),
      v,
      'g.throw(v) should have raised v in main (G18)',
      "g does not catch v, so g dies and v is raised in g's parent, main, which is also the caller.",
    );
    expect(g.dead, 'g is dead after the exception').toBe(true);
  });

  it("G18 an uncaught thrown exception goes to the target's parent, not to the caller", () => {
    const main = getcurrent();
    const log: unknown[] = [];
    const g1 = new Greenlet(function* () {
      try {
        yield* main.switch('g1 waiting');
      } catch (error) {
        log.push(['g1 caught', error]);
        return 'caught';
      }
      return 'g1 was resumed normally';
    });
    expect(g1.switch(), 'what g1 sent when it started waiting').toBe('g1 waiting');
    const g2 = new Greenlet(function* () {
      yield* main.switch('g2 waiting');
      return 'g2 was resumed normally';
    }, g1);
    expect(g2.switch(), 'what g2 sent when it started waiting').toBe('g2 waiting');
    expect(
      returned(
        () => g2.throw(IndexError),
        "g2.throw(IndexError) should have returned 'caught' (G18)",
        "g2 does not catch the IndexError, so g2 dies and it is raised in g2's parent g1 (not in main, the caller); " +
          "g1 catches it and returns 'caught' to main.",
      ),
      'g2 dies; g1 (its parent) catches and returns to main',
    ).toBe('caught');
    expect(log.length, 'how many exceptions g1 caught').toBe(1);
    expect((log[0] as unknown[])[1], 'what g1 caught').toBeInstanceOf(IndexError);
    expect(flags(g1), 'g1 after returning').toEqual(FINISHED);
    expect(flags(g2), 'g2 after dying of the IndexError').toEqual(FINISHED);
  });

  it('G19 a GreenletExit thrown into a never-started greenlet comes back as the value; the body never runs', () => {
    const log: string[] = [];
    const g = new Greenlet(function* () {
      log.push('body ran');
    });
    const exit = new GreenletExit();
    const name = labels(() => ({ exit }));
    const got = returned(
      () => g.throw(exit),
      'g.throw(exit) should have returned exit as a value (G19)',
      "g never started: exit kills it before its body runs and goes to g's parent, main, as a value, like any " +
        'GreenletExit that escapes a body.',
    );
    expect(name(got), 'throw(exit) returned that very object').toBe('exit');
    expect(flags(g), 'g after throw(exit)').toEqual(FINISHED);
    expect(log, 'the body never ran').toEqual([]);
  });

  it('G19 throw() with no argument into a never-started greenlet returns a GreenletExit', () => {
    const log: string[] = [];
    const g = new Greenlet(function* () {
      log.push('body ran');
    });
    expect(
      returned(
        () => g.throw(),
        'g.throw() into a never-started g should have returned the new GreenletExit as a value (G19)',
        "g never started: the exit kills it before its body runs and goes to g's parent, main, as a value.",
      ),
      'what g.throw() returned',
    ).toBeInstanceOf(GreenletExit);
    expect(g.dead, 'g is dead after g.throw()').toBe(true);
    expect(log, 'the body never ran').toEqual([]);
  });

  it('G19 another exception thrown into a never-started greenlet propagates to its parent', () => {
    const log: string[] = [];
    const g = new Greenlet(function* () {
      log.push('body ran');
    });
    const v = new ValueError('v');
    raises(
      () => g.throw(v),
      v,
      'g.throw(v) before g ever ran should have raised v in main (G19)',
      "g never started: v kills it before its body runs and is raised in g's parent, main, as if the body had " +
        'raised it.',
    );
    expect(flags(g), 'g after g.throw(v)').toEqual(FINISHED);
    expect(log, 'the body never ran').toEqual([]);

    const main = getcurrent();
    const parent = new Greenlet(function* () {
      try {
        yield* main.switch('parent waiting');
      } catch (error) {
        return ['parent caught', error];
      }
    });
    parent.switch();
    const child = new Greenlet(function* () {
      log.push('child ran');
    }, parent);
    expect(
      returned(
        () => child.throw(v),
        "child.throw(v) should have returned ['parent caught', v] (G19)",
        "The child never started: v kills it before its body runs and is raised in the child's parent greenlet (not " +
          'in main, the caller), at its pending switch(), where it catches v.',
      ),
      'what the parent greenlet returned: it receives v at its suspension point',
    ).toStrictEqual(['parent caught', v]);
    expect(log, 'the body of the child never ran').toEqual([]);
  });

  it('G19 a GreenletExit thrown into a never-started greenlet goes to its parent greenlet, which resumes with it', () => {
    const main = getcurrent();
    const log: string[] = [];
    const parent = new Greenlet(function* () {
      const got: unknown = yield* main.switch('parent waiting');
      return ['parent resumed with', got];
    });
    expect(parent.switch(), 'what the parent sent when it started waiting').toBe('parent waiting');
    const child = new Greenlet(function* () {
      log.push('child ran');
    }, parent);
    const exit = new GreenletExit('never ran');
    const got = returned(
      () => child.throw(exit),
      "child.throw(exit) should have returned ['parent resumed with', exit] (G19)",
      "The child never started: exit kills it and goes to the child's parent greenlet (not to main, the caller) " +
        'as a value; the parent resumes with it and returns to main.',
    );
    if (got === exit) {
      expect.fail(
        'child.throw(exit) returned exit itself: the exit went straight to main, the caller, instead of to the ' +
          "child's parent greenlet, which should have resumed with it and returned ['parent resumed with', exit] (G19)",
      );
    }
    expect(
      got,
      'the exit goes to the parent (not to main) as a value; the parent resumes with it and finishes to main',
    ).toStrictEqual(['parent resumed with', exit]);
    expect(flags(child), 'the child').toEqual(FINISHED);
    expect(flags(parent), 'the parent').toEqual(FINISHED);
    expect(log, 'the body of the child never ran').toEqual([]);
  });

  it('G19 a later switch() to it is a switch to a dead greenlet; the body still never runs', () => {
    const log: string[] = [];
    const g = new Greenlet(function* () {
      log.push('body ran');
    });
    returned(
      () => g.throw(),
      'g.throw() into a never-started g should have returned the GreenletExit as a value (G19)',
      "g never started: the exit kills it before its body runs and goes to g's parent, main, as a value.",
    );
    expect(
      returned(
        () => g.switch(),
        'g.switch() to the now-dead g should have returned [] (G19, G21)',
        'A switch to a dead greenlet goes to its parent, here main, the caller: switch() then returns its own ' +
          'packed arguments, [] for none.',
      ),
      'switch() to the dead greenlet comes back to the caller',
    ).toStrictEqual([]);
    expect(log, 'the body never ran').toEqual([]);
  });

  it('G20 a GreenletExit thrown at a dead greenlet comes straight back as the value', () => {
    const g = new Greenlet(function* () {});
    g.switch();
    const exit = new GreenletExit('late');
    const name = labels(() => ({ exit }));
    const got = returned(
      () => g.throw(exit),
      'g.throw(exit) at the dead g should have returned exit (G20)',
      'A GreenletExit thrown at a dead greenlet is not raised: it comes straight back as the value, the very object.',
    );
    expect(name(got), 'throw(exit) at the dead greenlet returns that very object').toBe('exit');
    expect(
      returned(
        () => g.throw(GreenletExit),
        'g.throw(GreenletExit) at the dead g should have returned a new GreenletExit (G20)',
        'A GreenletExit thrown at a dead greenlet is not raised: it comes straight back as the value.',
      ),
      'throw(GreenletExit), the class',
    ).toBeInstanceOf(GreenletExit);
  });

  it('G20 another exception thrown at a dead greenlet is raised in the first live ancestor', () => {
    const main = getcurrent();
    const g = new Greenlet(function* () {});
    g.switch();
    const late = new ValueError('late');
    raises(
      () => g.throw(late),
      late,
      'g.throw(late) at the dead g should have raised late in main (G20)',
      'An exception thrown at a dead greenlet goes to its nearest live ancestor, here main, the caller, and is ' +
        'raised there.',
    );

    const ancestor = new Greenlet(function* () {
      try {
        yield* main.switch('ancestor waiting');
      } catch (error) {
        return ['ancestor caught', error];
      }
    });
    ancestor.switch();
    const dead = new Greenlet(function* () {});
    dead.switch();
    dead.parent = ancestor;
    expect(
      returned(
        () => dead.throw(late),
        "dead.throw(late) should have returned ['ancestor caught', late] (G20)",
        'The nearest live ancestor of dead is the suspended greenlet `ancestor` (not main, the caller): late is ' +
          'raised there, and it catches it and returns to main.',
      ),
      'a live ancestor that is not the caller',
    ).toStrictEqual(['ancestor caught', late]);
  });
});

describe('switching to dead greenlets and to yourself', () => {
  it("G21 a switch to a dead greenlet whose parent is the caller returns the caller's own packed arguments", () => {
    const g = new Greenlet(function* () {});
    g.switch();
    expect(g.dead, 'g is dead after its body returned').toBe(true);
    expect(g.switch(), 'g.switch() again, no arguments').toStrictEqual([]);
    expect(g.switch(25), 'g.switch(25) again').toBe(25);
    expect(g.switch(1, 2), 'g.switch(1, 2) again').toStrictEqual([1, 2]);
  });

  it('G21 inside a greenlet, switching to its dead child comes straight back', () => {
    let inner!: Greenlet;
    const outer = new Greenlet(function* () {
      inner = new Greenlet(function* () {
        return 42;
      });
      const first: unknown = yield* inner.switch();
      const again: unknown = yield* inner.switch();
      return [first, again];
    });
    expect(outer.switch(), 'outer got 42, then [] from the dead inner').toStrictEqual([42, []]);
    expect(inner.switch(), 'main switching to inner, whose parent is dead too, lands back in main').toStrictEqual([]);
  });

  it("G21 a dead greenlet's never-started ancestor is started by the switch", () => {
    const log: unknown[] = [];
    const child = new Greenlet(function* () {
      log.push('child ran');
    });
    child.switch();
    const parent = new Greenlet(function* (...args: unknown[]) {
      log.push(['parent ran with', args]);
    });
    child.parent = parent;
    expect(child.switch(), 'the switch went to the parent, which ran and returned nothing').toBeUndefined();
    expect(log, 'the child ran; then child.switch() started its parent with no arguments').toStrictEqual([
      'child ran',
      ['parent ran with', []],
    ]);
    expect(parent.dead, 'the parent is dead after running').toBe(true);
  });

  it('G21 the nearest live ancestor may be another suspended greenlet, which resumes', () => {
    const main = getcurrent();
    let child!: Greenlet;
    const parent = new Greenlet(function* () {
      child = new Greenlet(function* () {
        return 'child result';
      });
      const result: unknown = yield* child.switch();
      const later: unknown = yield* main.switch(['child finished', result]);
      return ['parent resumed with', later];
    });
    expect(
      parent.switch(),
      "what main got: the child returned to the parent, which switched ['child finished', result] to main",
    ).toStrictEqual(['child finished', 'child result']);
    expect(child.dead, 'the child is dead').toBe(true);
    expect(child.switch('hello'), 'main -> dead child -> its parent').toStrictEqual(['parent resumed with', 'hello']);
  });

  it('G21 when the parent is dead too, the switch goes on up to the nearest live ancestor', () => {
    const main = getcurrent();
    let parent!: Greenlet;
    let child!: Greenlet;
    const grandparent = new Greenlet(function* () {
      parent = new Greenlet(function* () {
        child = new Greenlet(function* () {
          return 'child result';
        });
        return ['parent got', yield* child.switch()];
      });
      const got: unknown = yield* parent.switch();
      const later: unknown = yield* main.switch(['grandparent got', got]);
      return ['grandparent resumed with', later];
    });
    expect(
      grandparent.switch(),
      "what main got: child returned to parent, parent to grandparent, which switched ['grandparent got', got] to main",
    ).toStrictEqual(['grandparent got', ['parent got', 'child result']]);
    expect(flags(child), 'the child').toEqual(FINISHED);
    expect(flags(parent), 'the parent').toEqual(FINISHED);
    expect(flags(grandparent), 'the grandparent').toEqual(ALIVE);
    expect(
      child.switch('hello'),
      'main -> dead child -> dead parent -> the suspended grandparent, which resumes with "hello"',
    ).toStrictEqual(['grandparent resumed with', 'hello']);
    expect(flags(grandparent), 'the grandparent after finishing').toEqual(FINISHED);
  });

  it("G21 inside a body, a switch to a dead greenlet starts its never-started ancestor with the arguments spread", () => {
    const log: unknown[] = [];
    const starter = new Greenlet(function* () {
      const child = new Greenlet(function* () {});
      yield* child.switch();
      const ancestor = new Greenlet(function* (...args: unknown[]) {
        log.push(['ancestor ran with', args]);
        return 'ancestor done';
      });
      child.parent = ancestor;
      // The child is dead: the switch goes to the ancestor, which starts as run(1, 2) and, when
      // done, returns to its own parent: this body.
      const got: unknown = yield* child.switch(1, 2);
      return ['starter got', got];
    });
    expect(
      starter.switch(),
      "what main got: the starter's `yield* child.switch(1, 2)` started the ancestor, which returned to the starter",
    ).toStrictEqual(['starter got', 'ancestor done']);
    expect(log, 'what run() of the ancestor received from `yield* child.switch(1, 2)`').toStrictEqual([
      ['ancestor ran with', [1, 2]],
    ]);
  });

  it('G22 main switching to itself returns its packed arguments at once', () => {
    const main = getcurrent();
    const name = labels(() => ({ main }));
    expect(main.switch(7), 'main.switch(7) in plain code').toBe(7);
    expect(main.switch(), 'main.switch() in plain code').toStrictEqual([]);
    expect(main.switch(1, 2), 'main.switch(1, 2) in plain code').toStrictEqual([1, 2]);
    expect(name(getcurrent()), 'getcurrent() afterwards').toBe('main');
  });

  it('G22 a greenlet switching to itself gets its argument back', () => {
    const g = new Greenlet(function* () {
      const me = getcurrent();
      const one: unknown = yield* me.switch('x');
      const none: unknown = yield* me.switch();
      const two: unknown = yield* me.switch(1, 2);
      return [one, none, two];
    });
    expect(
      g.switch(),
      "what g returned: [its getcurrent().switch('x'), .switch(), .switch(1, 2)]; each returns at once",
    ).toStrictEqual(['x', [], [1, 2]]);
  });

  it('G23 a greenlet that is never started never runs, and dropping it is silent', () => {
    const log: string[] = [];
    let g: Greenlet | null = new Greenlet(function* () {
      try {
        log.push('body ran');
      } finally {
        log.push('finally ran');
      }
    });
    expect(flags(g), 'never started').toEqual(NOT_STARTED);
    g = null;
    const other = new Greenlet(function* () {
      return 'other ran';
    });
    expect(other.switch(), 'what another greenlet returned').toBe('other ran');
    expect(log, 'nothing of the dropped greenlet ever ran').toEqual([]);
  });

  it('G23 run is required: anything but a function is a TypeError at construction', () => {
    for (const bad of [undefined, null, 42, 'run', {}]) {
      const error = errorFrom(() => new Greenlet(bad as any), `new Greenlet(${show(bad)})`, () => 'it made a greenlet');
      expect(error, `the error for new Greenlet(${show(bad)})`).toBeInstanceOf(TypeError);
    }
  });
});

describe('delegation and hand-over', () => {
  it('G25 a switch three generator calls deep suspends the whole yield* chain', () => {
    const main = getcurrent();
    function* depth3(n: number): Generator<unknown, number, any> {
      const v: number = yield* main.switch(['suspended at depth', n]);
      return v * 10;
    }
    function* depth2(n: number): Generator<unknown, number, any> {
      return (yield* depth3(n + 1)) + 1;
    }
    function* depth1(n: number): Generator<unknown, number, any> {
      return (yield* depth2(n + 1)) + 1;
    }
    const g = new Greenlet(function* () {
      return ['final', yield* depth1(1)];
    });
    expect(g.switch(), 'the switch in depth3 suspended the greenlet').toStrictEqual(['suspended at depth', 3]);
    expect(flags(g), 'g, suspended three generators deep').toEqual(ALIVE);
    expect(g.switch(5), 'resuming with 5 finishes every frame: (5 * 10) + 1 + 1').toStrictEqual(['final', 52]);
  });

  it('G25 a helper generator can switch at each step and collect what it receives', () => {
    const main = getcurrent();
    function* collect(count: number): Generator<unknown, unknown[], any> {
      const items: unknown[] = [];
      for (let i = 0; i < count; i++) items.push(yield* main.switch('need an item'));
      return items;
    }
    const g = new Greenlet(function* () {
      return yield* collect(3);
    });
    expect(g.switch(), 'what g.switch() returned: the helper asks for a first item').toBe('need an item');
    expect(g.switch('a'), "what g.switch('a') returned: the helper asks for a second item").toBe('need an item');
    expect(g.switch('b'), "what g.switch('b') returned: the helper asks for a third item").toBe('need an item');
    expect(g.switch('c'), 'three resumptions built the list').toStrictEqual(['a', 'b', 'c']);
  });

  it('G26 main and a greenlet take turns', () => {
    const main = getcurrent();
    const log: number[] = [];
    const child = new Greenlet(function* () {
      for (let i = 0; i < 5; i += 2) {
        log.push(i);
        yield* main.switch();
      }
    });
    for (let i = 1; i < 5; i += 2) {
      child.switch();
      log.push(i);
    }
    child.switch();
    expect(log, 'the child logs even numbers, main odd ones, taking turns').toEqual([0, 1, 2, 3, 4]);
    child.switch();
    expect(child.dead, 'the child is dead after its loop ends').toBe(true);
  });

  it('G26 the symmetric hand-over: gr1 passes to gr2, gr2 hands back, gr1 finishes to main', () => {
    const main = getcurrent();
    const printed: unknown[] = [];
    let gr2!: Greenlet;
    const gr1 = new Greenlet(function* (x: string, y: string) {
      const z: unknown = yield* gr2.switch(x + y);
      printed.push(z);
    });
    gr2 = new Greenlet(function* (u: unknown) {
      printed.push(u);
      yield* gr1.switch(42);
    });
    const name = labels(() => ({ main, gr1, gr2 }));
    expect(gr1.switch('hello', ' world'), 'gr1 finished; main gets its undefined result').toBeUndefined();
    expect(printed, 'what gr2 received when it started, then what gr1 received back from gr2').toEqual([
      'hello world',
      42,
    ]);
    expect(gr1.dead, 'gr1 dead').toBe(true);
    expect(flags(gr2), 'gr2 stays suspended').toEqual(ALIVE);
    expect(name(getcurrent()), 'getcurrent() at the end').toBe('main');
  });
});
