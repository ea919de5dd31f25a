// coroutine-switcher — greenlet's symmetric coroutines rebuilt on JavaScript generators.
//
// Reference solution. The behaviour it implements is the exercise's README.md, section "The rules":
// every rule there carries an id (G01–G26, without G24), and each hidden test's name starts with
// the id it checks.
//
// The design in one paragraph. A generator can only suspend itself, at a `yield` in its own body,
// and no generator may resume another while it is itself running ("Generator is already running").
// So greenlets never resume each other directly. A body that wants to switch *yields a request*
// ("switch to X with these arguments", "throw E into X") out to a single driver loop, the
// trampoline, which owns `current` and does the actual resuming. Every rule about parents, dead
// targets and exceptions therefore lives in one place: `Greenlet.#drive`. The main greenlet is not a
// generator at all; it is whatever plain code called `switch()`/`throw()`, and the trampoline runs
// on its stack until control is handed back to main.
//
// Speed. A switch is on the hot path of everything built on top (the hub exercise), so a switch with
// one argument allocates nothing: the request is a module-level singleton iterator, its two result
// objects are reused, and the argument is read from `arguments` instead of a rest array. Reuse is
// safe because only one body runs at a time, and `yield*` reads a result's `done` and `value`
// before anything else can run.

/**
 * The function a greenlet runs: a generator function. It is called with the arguments of the first
 * `switch()` spread out (G02), and it suspends only where it writes `yield* other.switch(...)` or
 * `yield* other.throw(...)`, directly or inside helper generators reached through `yield*` (G25).
 * Its return value goes to the greenlet's parent (G04, G05).
 */
export type GreenletRun = (...args: any[]) => Generator<unknown, unknown, any>;

/**
 * Thrown into a greenlet to ask it to finish: `g.throw()` with no argument sends one (G17). When it
 * (or a subclass) escapes a body, the greenlet dies quietly and the exception object is handed to
 * the parent as an ordinary value, not raised (G15). JavaScript's `catch` has no type filter, so a
 * catch-all block inside a body must re-throw it.
 */
export class GreenletExit extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What a transfer carries; the driver packs or spreads it only once it knows who receives it. */
const ARGS = 0; // the raw arguments of a switch(): spread into a new greenlet, packed for a started one
const VALUE = 1; // exactly one value (a return value, a GreenletExit turned into a value)
const ERROR = 2; // an exception to raise at the receiver's suspension point
type Kind = typeof ARGS | typeof VALUE | typeof ERROR;

const NEW = 0;
const LIVE = 1;
const DEAD = 2;
type State = typeof NEW | typeof LIVE | typeof DEAD;

// The request channel between a body and the driver. switch()/throw() fill these slots and return
// REQUEST; the body's `yield*` pulls REQUEST.next(), which yields the reused YIELDED marker out of
// the generator; the driver recognises the marker by identity (yield* hands the inner result object
// through unchanged, however deep the yield* chain) and reads the slots.
let reqMade = false;
let reqTarget: Greenlet | null = null;
let reqKind: Kind = ARGS;
let reqPayload: unknown = undefined;

const YIELDED: IteratorYieldResult<undefined> = { done: false, value: undefined };
const RESUMED: IteratorReturnResult<unknown> = { done: true, value: undefined };

/** The iterable returned by switch()/throw() inside a body; one object serves every request. */
const REQUEST: Iterator<undefined, unknown, unknown> & Iterable<undefined, unknown, unknown> = {
  [Symbol.iterator]() {
    return this;
  },
  next(received?: unknown) {
    // First pull, right after switch(): suspend the body. Second pull: the driver resumed the body
    // with gen.next(received), so the `yield*` expression completes with that value.
    if (reqMade) {
      reqMade = false;
      return YIELDED;
    }
    RESUMED.value = received;
    return RESUMED;
  },
  throw(error?: unknown): never {
    // The driver resumed the body with gen.throw(error): raise it where the body is suspended.
    throw error;
  },
};

/** The arguments of a switch() with none; shared, so it is never handed to a body as such. */
const NO_ARGS: readonly unknown[] = Object.freeze([]);

/**
 * README, "What a switch delivers (packing)": none → a fresh [] (the receiver may keep it), one →
 * itself, several → their array.
 */
function pack(args: readonly unknown[]): unknown {
  return args.length === 1 ? args[0] : args.length === 0 ? [] : args;
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return `an object (${Object.prototype.toString.call(value)})`;
  return `${typeof value} ${String(value)}`;
}

/** G16/G17: an Error instance, an Error class (instantiated with no arguments), or nothing. */
function toError(err: unknown): Error {
  if (err === undefined) return new GreenletExit();
  if (err instanceof Error) return err;
  if (typeof err === 'function') {
    const made: unknown = new (err as new () => unknown)();
    if (made instanceof Error) return made;
  }
  throw new TypeError(`throw() takes an Error instance or an Error class, not ${shown(err)}`);
}

// A switch() made inside a body but never delegated with yield* would otherwise vanish silently.
const DANGLING =
  'a greenlet body called switch() or throw() without yield*: inside a body write ' +
  '`const v = yield* other.switch(...)` (the call alone only builds a request)';

/** Marks the main pseudo-greenlet at construction; never called. */
function mainRun(): never {
  throw new Error('the main greenlet has no body');
}

let current: Greenlet;
let main: Greenlet;

/**
 * A symmetric coroutine. Any greenlet may switch to any other; a greenlet that finishes (returns or
 * raises) hands its result to its `parent`.
 *
 * Every operation has two spellings (README, "One operation, two spellings"). From plain code,
 * which acts as the main greenlet, `g.switch(...)` and `g.throw(...)` run until control comes back
 * to main and then return that value (or throw that error). Inside a greenlet body they only build
 * a request, which the body must delegate to: `const v = yield* other.switch(x)`. That is why both
 * return `any`: the same call is a value in one place and an iterable in the other.
 */
export class Greenlet {
  #run: GreenletRun | null;
  #gen: Generator<unknown, unknown, unknown> | null = null;
  #state: State = NEW;
  #parent: Greenlet | null;

  /**
   * Records `run` and the parent; runs nothing (G01). The parent defaults to the greenlet that is
   * current now, i.e. the creator, not whoever first switches in (G09); `null` also means the
   * default. An explicit parent may be one that has never started (G10).
   * @throws TypeError if `run` is not a function or `parent` is not a Greenlet.
   */
  constructor(run: GreenletRun, parent?: Greenlet | null) {
    if (run === mainRun) {
      // The main greenlet: it stands for the plain code that drives everything, so it is running
      // from the start, has no parent and never dies (G08).
      this.#run = null;
      this.#state = LIVE;
      this.#parent = null;
      return;
    }
    if (typeof run !== 'function') {
      throw new TypeError(`a Greenlet needs a generator function to run, not ${shown(run)}`);
    }
    if (parent != null && !(parent instanceof Greenlet)) {
      throw new TypeError(`a greenlet's parent must be a Greenlet, not ${shown(parent)}`);
    }
    this.#run = run;
    this.#parent = parent ?? current;
  }

  /** Started and not finished: true while running and while suspended; main is always active (G07). */
  get active(): boolean {
    return this.#state === LIVE;
  }

  /** Finished, by returning, by raising, or by a throw() before it ever ran (G07, G19). */
  get dead(): boolean {
    return this.#state === DEAD;
  }

  /**
   * Who receives this greenlet's return value or uncaught exception (G05, G12). `null` only for the
   * main greenlet.
   */
  get parent(): Greenlet | null {
    return this.#parent;
  }

  /**
   * Re-parents, even while suspended; the new parent gets the result (G11).
   * @throws TypeError if `value` is not a Greenlet (null included).
   * @throws Error "cyclic parent chain" if this greenlet would become its own ancestor.
   * @throws Error if this is the main greenlet.
   */
  set parent(value: Greenlet) {
    if (this === main) throw new Error('cannot set the parent of the main greenlet');
    if (!(value instanceof Greenlet)) {
      throw new TypeError(`a greenlet's parent must be a Greenlet, not ${shown(value)}`);
    }
    for (let g: Greenlet | null = value; g !== null; g = g.#parent) {
      if (g === this) throw new Error('cyclic parent chain');
    }
    this.#parent = value;
  }

  /**
   * Transfers control to this greenlet.
   * - Not started: calls `run(...args)` (G02).
   * - Suspended: its pending switch returns the arguments packed as README, "What a switch
   *   delivers (packing)" says: none → `[]`, one → that value, several → an array (G03).
   * - Current: returns the packed arguments at once (G22).
   * - Dead: goes to the nearest live ancestor instead, which may be the caller (G21).
   *
   * The call returns whatever the switcher is later resumed with: the packed arguments of a
   * switch() back to it, or a child's return value when it is that child's parent (G04, G05). If
   * an exception reaches the switcher through the parent chain, it is raised here (G12–G14).
   *
   * From plain code this runs everything and returns the value. Inside a body write
   * `yield* g.switch(...args)`.
   */
  switch(...args: unknown[]): any;
  switch(): any {
    // `arguments` rather than `...args`: the common one-argument switch then allocates nothing
    // (a rest array per switch was a measurable share of its cost). A single argument travels as a
    // VALUE, which is what both packing (G03) and spreading into run() (G02) make of it anyway.
    const n = arguments.length;
    let kind: Kind = VALUE;
    let payload: unknown = arguments[0];
    if (n !== 1) {
      kind = ARGS;
      if (n === 0) {
        payload = NO_ARGS;
      } else {
        const args = new Array<unknown>(n);
        for (let i = 0; i < n; i++) args[i] = arguments[i];
        payload = args;
      }
    }
    return current === main ? Greenlet.#drive(this, kind, payload) : Greenlet.#request(this, kind, payload);
  }

  /**
   * Raises an exception in this greenlet, at its suspension point (G16). `err` is an Error, an
   * Error class (instantiated with no arguments) or nothing, which means `new GreenletExit()` (G17).
   * An exception the target does not catch travels to the target's parent (G18). A greenlet that
   * never ran dies without running its body (G19); at a dead one the exception goes up the parent
   * chain, except that a GreenletExit comes straight back as the value (G20).
   *
   * Returns what the caller is later resumed with, exactly like switch(). From plain code it runs
   * everything and returns; inside a body write `yield* g.throw(err)`.
   * @throws TypeError synchronously if `err` is anything else.
   */
  throw(err?: Error | (new () => Error)): any {
    const error = toError(err);
    if (current === main) return Greenlet.#drive(this, ERROR, error);
    return Greenlet.#request(this, ERROR, error);
  }

  /** Inside a body: park the request where the driver will find it once the body has yielded. */
  static #request(target: Greenlet, kind: Kind, payload: unknown): typeof REQUEST {
    if (reqMade) {
      reqMade = false;
      throw new Error(DANGLING);
    }
    reqMade = true;
    reqTarget = target;
    reqKind = kind;
    reqPayload = payload;
    return REQUEST;
  }

  /**
   * The trampoline. Called from plain code (current is main): delivers `payload` to `target`, then
   * keeps serving the requests of whichever body runs, until something is delivered to main.
   */
  static #drive(target: Greenlet, kind: Kind, payload: unknown): unknown {
    reqMade = false;
    for (;;) {
      if (target.#state === DEAD) {
        // G20: a GreenletExit aimed at a dead greenlet is a plain value from here on.
        if (kind === ERROR && payload instanceof GreenletExit) kind = VALUE;
        // G21: the transfer goes to the nearest live ancestor; main never dies, so this stops.
        do target = target.#parent!;
        while (target.#state === DEAD);
      }

      if (target === main) {
        current = main;
        if (kind === ERROR) throw payload;
        return kind === ARGS ? pack(payload as unknown[]) : payload;
      }

      // Resume (or start) the target. When the target is the greenlet that made the request
      // (G22, or G21 leading back to the caller) this simply resumes the caller: its body has
      // already yielded, so nothing is "already running".
      current = target;
      let result: IteratorResult<unknown, unknown>;
      try {
        if (target.#state === LIVE) {
          result =
            kind === ERROR
              ? target.#gen!.throw(payload)
              : target.#gen!.next(kind === ARGS ? pack(payload as unknown[]) : payload);
        } else {
          target.#state = LIVE;
          // G19: an exception thrown into a greenlet that never ran kills it before its body
          // runs; the catch below then treats it as raised by the body.
          if (kind === ERROR) throw payload;
          const run = target.#run!;
          target.#run = null;
          // G02 / G10: the first switch's arguments are spread; a value (a child's result) is
          // the single argument.
          const gen: unknown = kind === ARGS ? run(...(payload as unknown[])) : run(payload);
          if (typeof (gen as Generator | null)?.next !== 'function') {
            throw new TypeError('a greenlet run function must be a generator function (function*)');
          }
          target.#gen = gen as Generator<unknown, unknown, unknown>;
          result = target.#gen.next();
        }
      } catch (error) {
        // The body raised (G12). GreenletExit is a quiet death whose object is the result (G15);
        // anything else is raised in the parent, never in whoever switched in (G13, G14, G18).
        target.#die();
        if (reqMade) {
          reqMade = false;
          kind = ERROR;
          payload = new Error(DANGLING, { cause: error });
        } else if (error instanceof GreenletExit) {
          kind = VALUE;
          payload = error;
        } else {
          kind = ERROR;
          payload = error;
        }
        target = target.#parent!;
        continue;
      }

      if (result === YIELDED) {
        // The body asked for a switch or a throw: serve it next.
        target = reqTarget!;
        kind = reqKind;
        payload = reqPayload;
        reqTarget = null;
        reqPayload = undefined;
      } else if (result.done) {
        // Finishing is switching to the parent with the return value (G04–G06, G10).
        target.#die();
        if (reqMade) {
          reqMade = false;
          kind = ERROR;
          payload = new Error(DANGLING);
        } else {
          kind = VALUE;
          payload = result.value;
        }
        target = target.#parent!;
      } else {
        // A bare `yield x`: the body has nobody to yield to. Raise the mistake at that yield.
        kind = ERROR;
        payload = new TypeError(
          'a greenlet body yielded a value; switch with `yield* other.switch(...)` instead of `yield`',
        );
      }
    }
  }

  #die(): void {
    this.#state = DEAD;
    this.#gen = null;
    this.#run = null;
  }
}

main = new Greenlet(mainRun);
current = main;

/**
 * The greenlet that is running now: inside a body, that body's greenlet; in plain code, the main
 * greenlet (`parent === null`, always active, never dead). Always the same object for the same
 * greenlet (G08).
 */
export function getcurrent(): Greenlet {
  return current;
}
