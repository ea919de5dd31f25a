// coroutine-switcher — greenlet's symmetric coroutines, rebuilt on JavaScript generators.
//
// This is your file. The task, the exact API and every rule are in README.md next to it; the ids
// in the comments below (G05 …) are the rules of its section "The rules". Check your work with
//
//     npx learn-io check coroutine-switcher
//
// Keep every export, name and signature as it is: the hidden tests import exactly these.
//
// A plan that works (README, "How it fits together"):
//   1. Module state: the main pseudo-greenlet, `current`, and a place where a body's pending request
//      (target, what to deliver) waits for the driver.
//   2. switch()/throw(): from plain code (current is main) run the driver and return its result;
//      inside a body, record the request and return an iterable for the body's `yield*`.
//   3. The driver: a loop that resumes one generator at a time and decides where control goes
//      next: to a request's target, or to the parent when a body returns or throws.

/**
 * The function a greenlet runs: a generator function. The first switch() calls it with its
 * arguments spread out (G02). Its return value goes to the greenlet's parent (G04, G05).
 */
export type GreenletRun = (...args: any[]) => Generator<unknown, unknown, any>;

/**
 * Thrown into a greenlet to ask it to finish (`g.throw()` with no argument, G17). When it escapes a
 * body, the greenlet dies quietly and the parent receives the exception object as a value (G15).
 * This class is complete; your driver recognises it with `instanceof GreenletExit`.
 */
export class GreenletExit extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

// TODO 1: module state.
//   - the main greenlet: a Greenlet object that stands for plain code. parent null, always active,
//     never dead, never started by anyone (it has no body). You need some way to build it although
//     the constructor requires `run` (a private marker value works).
//   - `current`: main, except while the driver is running a body.
//   - the pending request of the running body (target, and what to deliver: arguments, a value or
//     an error).

/**
 * A symmetric coroutine (README, "The API"). From plain code, `g.switch(...)` and `g.throw(...)`
 * run until control is back in main and return that value (or throw that error). Inside a body,
 * write `const v = yield* other.switch(...)`: there the call only builds a request.
 */
export class Greenlet {
  // TODO 2: per-greenlet state: the run function, its generator once started, the state
  // (not started / started / dead), the parent.

  /**
   * Records `run` and the parent; runs nothing, does not even call `run` (G01). The parent defaults
   * (undefined or null) to the greenlet that is current now, the creator (G09).
   * @throws TypeError if `run` is not a function or `parent` is not a Greenlet (G11, G23).
   */
  constructor(run: GreenletRun, parent?: Greenlet | null) {
    // TODO: validate, then store run and the parent (getcurrent() when none is given).
    void run;
    void parent;
    throw new Error('not implemented: new Greenlet(run, parent)');
  }

  /** Started and not finished (G07). The main greenlet is always active. */
  get active(): boolean {
    throw new Error('not implemented: Greenlet.active');
  }

  /** Finished: returned, raised, or was thrown into before it ever ran (G07, G19). */
  get dead(): boolean {
    throw new Error('not implemented: Greenlet.dead');
  }

  /** Who receives this greenlet's result or uncaught exception; null only for main (G08). */
  get parent(): Greenlet | null {
    throw new Error('not implemented: Greenlet.parent');
  }

  /**
   * Re-parents, even while suspended (G11).
   * @throws TypeError unless `value` is a Greenlet (null and undefined included).
   * @throws Error whose message contains "cyclic parent chain" if this greenlet would become its
   *   own ancestor: walk up from `value` and look for `this`.
   * @throws Error whose message contains "main greenlet" if this is the main greenlet.
   */
  set parent(value: Greenlet) {
    // TODO: the three checks above, then store it.
    void value;
    throw new Error('not implemented: Greenlet.parent = value');
  }

  /**
   * Transfers control to this greenlet (README, "What a switch delivers (packing)" and "Dead
   * targets and yourself").
   * - not started: run(...args) (G02)
   * - suspended: its pending switch returns the packed arguments: none → [], one → that value,
   *   several → an array of them (G03)
   * - the current greenlet: returns the packed arguments at once (G22)
   * - dead: go to its nearest live ancestor instead (G21)
   * Returns whatever the caller is later resumed with. Returns `any` because the same call is a
   * value in plain code and an iterable for `yield*` inside a body.
   */
  switch(...args: unknown[]): any {
    // TODO: if current is main, run the driver until control comes back to main.
    //       Otherwise record the request and return an iterable whose iterator first yields (so
    //       the body suspends), and when resumed with next(v) completes with v (throw(e): throws e).
    void args;
    throw new Error('not implemented: Greenlet.switch()');
  }

  /**
   * Raises an exception in this greenlet where it is suspended (G16). `err` is an Error, an Error
   * class (instantiate it with no arguments), or nothing: `new GreenletExit()` (G17). Uncaught, it
   * goes to this greenlet's parent (G18); never started: the body never runs (G19); dead: up the
   * parent chain, but a GreenletExit comes straight back as the value (G20).
   * @throws TypeError at once if `err` is anything else.
   */
  throw(err?: Error | (new () => Error)): any {
    // TODO: turn `err` into an Error (or throw TypeError), then exactly like switch(), with an
    //       error to deliver instead of arguments.
    void err;
    throw new Error('not implemented: Greenlet.throw()');
  }

  // TODO 3: the driver (README, "How it fits together"). A loop over "deliver this to that
  // greenlet":
  //   - a dead target: use its nearest live ancestor (G21). A GreenletExit aimed at a dead greenlet
  //     becomes a plain value (G20).
  //   - the target is main: set current to main and return the value (or throw the error).
  //   - otherwise make it current and resume it: next(value), throw(error), or, if it never
  //     started, call run(...) and then next(). An error for a never-started greenlet kills it
  //     without running anything (G19).
  //   - then look at what came out of the generator:
  //       it yielded your request  → the next delivery is that request
  //       it returned v            → it is dead; deliver v to its parent (G04–G06, G10)
  //       it threw e               → it is dead; GreenletExit: deliver e as a value (G15),
  //                                  anything else: deliver it as an error to the parent (G12–G14)
}

/**
 * The greenlet running now: inside a body, that body's greenlet; in plain code, the main greenlet
 * (G08). Always the same object for the same greenlet.
 */
export function getcurrent(): Greenlet {
  throw new Error('not implemented: getcurrent()');
}
