// A small gevent on generators: a hub that runs tasks in turns, sleeps on a timer queue, and (part 2)
// waits on sockets through epoll, all in one thread.
//
// The shape, in one paragraph: a task is a generator. Every operation that waits is a small generator
// method that registers how the task will be woken (a timer, a joiner slot, an epoll interest) and then
// yields a Park request carrying the function that undoes those registrations. The hub's loop resumes
// tasks from a FIFO ready queue, one turn at a time; a wake-up (a timer firing, a task finishing, a
// descriptor becoming ready) undoes the park and puts the task back on the ready queue with the value
// or the error it should resume with. When nothing is ready, the hub waits for the next timer, in
// epoll_wait when tasks wait for I/O. Behaviour numbers (V01...) refer to shared/design/coroutines.md.
import { BlockingIOError, Epoll, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, OSError, PollSelector, EVENT_READ, EVENT_WRITE, type Socket, type SocketAddress } from 'learn-io/sys';

/** A task's body: a generator function. Its return value becomes the task's `value`. */
export type TaskBody<A extends unknown[] = any[], R = unknown> = (...args: A) => Generator<unknown, R, any>;

/** Where the hub reads the time and how it waits for it. ms throughout. */
export interface Clock {
  now(): number;
  /** Blocks the thread for `ms` (a virtual clock just moves its time on). */
  sleep(ms: number): void;
}

/** The real clock: performance.now(), and a thread sleep in Atomics.wait. */
export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => {
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  },
};

/** The exception kill() injects. A task that dies of it is successful, with it as its value (V18, V37). */
export class GreenletExit extends Error {
  override name = 'GreenletExit';
}

/** The main task waits for something nothing can ever bring (V32). */
export class LoopExit extends Error {
  override name = 'LoopExit';
  constructor(message = 'This operation would block forever') {
    super(message);
  }
}

type ErrorSpec = Error | (new () => Error);
const instantiate = (e: ErrorSpec): Error => (typeof e === 'function' ? new e() : e);

/** The hub whose run() is active: Timeout.start() and the task methods find it here. */
let activeHub: Hub | null = null;

/**
 * A time limit for the current task (V24-V29). `start()` arms it; when it fires while the task waits,
 * the task gets the Timeout itself (or the custom error) thrown at its wait. Cancel it in `finally`.
 */
export class Timeout extends Error {
  override name = 'Timeout';
  #timer: Timer | undefined;
  #task: Task | undefined;
  #fired = false;
  readonly #error: ErrorSpec | undefined;

  constructor(
    /** ms until it fires; null never fires. */
    readonly ms: number | null = null,
    options: { error?: ErrorSpec } = {},
  ) {
    super(ms === null ? 'no time limit' : `${ms} ms`);
    this.#error = options.error;
  }

  /** Arms the Timeout for the current task; returns it (so `hub.timeout(100).start()` reads well). */
  start(): this {
    const hub = activeHub;
    const task = hub?.getcurrent();
    if (!hub || !task) throw new Error('Timeout.start() must be called inside a task, while hub.run() runs');
    this.cancel();
    this.#fired = false;
    this.#task = task;
    if (this.ms !== null) this.#timer = hub._addTimer(this.ms, () => this.#fire(hub));
    return this;
  }

  /** Disarms it; harmless when it is not armed or has fired. */
  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#task?._expired === this) this.#task._expired = undefined;
  }

  /** Armed, and neither fired nor cancelled. */
  get pending(): boolean {
    return this.#timer !== undefined && !this.#timer.cancelled && !this.#fired;
  }

  /** What the task is thrown: this Timeout, or the custom error (V26). */
  _errorToThrow(): Error {
    return this.#error === undefined ? this : instantiate(this.#error);
  }

  #fire(hub: Hub): void {
    this.#fired = true;
    this.#timer = undefined;
    const task = this.#task;
    if (!task || task.dead) return;
    // A waiting task gets it now; a busy (or ready) one at its next real wait (V28).
    if (task._parked) hub._wake(task, { error: this._errorToThrow() });
    else task._expired = this;
  }
}

/** How a parked task resumes: with a value, or with an error thrown at its wait. */
type Resume = { value?: unknown; error?: undefined } | { error: Error };

/** What a waiting operation yields: the function that undoes its registrations. */
class Park {
  constructor(readonly cancel: () => void) {}
}
/** What sleep(0) yields: back of the ready queue, no timer. */
const YIELD = Symbol('yield');

interface Timer {
  deadline: number;
  seq: number;
  fire: () => void;
  cancelled: boolean;
  cancel(): void;
}

const NEW = 0;
const SCHEDULED = 1;
const STARTED = 2;
const DEAD = 3;

/** A task: a generator body, its state, its result. Created by hub.spawn() or new Task() + start(). */
export class Task<R = unknown> {
  readonly name: string;
  #state = NEW;
  #gen: Generator<unknown, R, any> | undefined;
  #value: R | undefined;
  #exception: unknown;
  readonly #fn: TaskBody<any[], R>;
  readonly #args: unknown[];
  /** Called once when the task finishes (joiners, joinAll). */
  readonly _onDeath = new Set<(task: Task) => void>();
  /** Set while the task waits: undoes the wait's registrations. */
  _parked: Park | undefined;
  /** A Timeout that fired while the task was not waiting; thrown at its next wait. */
  _expired: Timeout | undefined;

  constructor(
    readonly hub: Hub,
    fn: TaskBody<any[], R>,
    ...args: unknown[]
  ) {
    if (typeof fn !== 'function') throw new TypeError(`a task's body must be a generator function, not ${typeof fn}`);
    this.name = fn.name || 'task';
    this.#fn = fn;
    this.#args = args;
  }

  /** Schedules a task that was only created (V34); does nothing once started or finished. */
  start(): void {
    if (this.#state !== NEW) return;
    this.#state = SCHEDULED;
    this.hub._schedule(this, { value: undefined });
  }

  /** Start requested and not finished (gevent's bool(g)). */
  get active(): boolean {
    return this.#state === SCHEDULED || this.#state === STARTED;
  }
  get dead(): boolean {
    return this.#state === DEAD;
  }
  ready(): boolean {
    return this.#state === DEAD;
  }
  successful(): boolean {
    return this.#state === DEAD && this.#exception === undefined;
  }
  get value(): R | undefined {
    return this.#value;
  }
  get exception(): unknown {
    return this.#exception;
  }
  /** The body never ran (created or scheduled only). */
  get _unstarted(): boolean {
    return this.#state === NEW || this.#state === SCHEDULED;
  }

  /** Waits until the task finishes, or `timeout` ms; returns undefined either way, never throws its error (V10, V11). */
  *join(timeout?: number): Generator<unknown, void, any> {
    if (this.dead) return;
    yield* this.hub._waitFor([this], timeout, () => true);
  }

  /** The task's value, or its exception re-thrown (the same object) (V16). */
  *get(options: { block?: boolean; timeout?: number } = {}): Generator<unknown, R, any> {
    if (!this.dead) {
      if (options.block === false) throw new Timeout(0);
      yield* this.join(options.timeout);
      if (!this.dead) throw new Timeout(options.timeout ?? null);
    }
    if (this.#exception !== undefined) throw this.#exception;
    return this.#value as R;
  }

  /**
   * Throws a GreenletExit (or `error`) into the task and, unless `block` is false, waits until it is
   * dead or `timeout` ms have passed (V18-V23).
   */
  *kill(error: ErrorSpec = GreenletExit, options: { block?: boolean; timeout?: number } = {}): Generator<unknown, void, any> {
    if (this.dead) return;
    this.hub._kill(this, instantiate(error));
    if (options.block === false || this.dead) return;
    yield* this.join(options.timeout);
  }

  /** @internal the hub drives the body. Returns the generator's next step. */
  _step(resume: Resume): IteratorResult<unknown, R> {
    if (this.#state !== STARTED) {
      this.#state = STARTED;
      this.#gen = this.#fn(...this.#args);
      if (typeof this.#gen?.next !== 'function') throw new TypeError(`${this.name}: a task's body must be a generator function (function*)`);
    }
    return resume.error !== undefined ? this.#gen!.throw(resume.error) : this.#gen!.next(resume.value);
  }

  /** @internal records the end and tells whoever waits. */
  _finish(value: R | undefined, exception: unknown): void {
    this.#state = DEAD;
    this.#value = value;
    this.#exception = exception;
    this._parked = undefined;
    this._expired = undefined;
    for (const f of [...this._onDeath]) f(this);
    this._onDeath.clear();
  }
}

export interface HubOptions {
  clock?: Clock;
  onError?: (task: Task, error: unknown) => void;
}

interface IoWait {
  read?: Task;
  write?: Task;
}

/** The scheduler: a FIFO ready queue, a timer heap ordered by (deadline, sequence), and an epoll set. */
export class Hub {
  readonly #clock: Clock;
  readonly #onError: (task: Task, error: unknown) => void;
  #ready: { task: Task; resume: Resume }[] = [];
  readonly #timers: Timer[] = []; // a binary heap
  #seq = 0;
  #current: Task | null = null;
  #running = false;
  /** run()'s own task: its error comes out of run(), so it is not reported to onError. */
  #main: Task | null = null;
  // Part 2: which task waits for which descriptor, and the epoll instance that watches them.
  readonly #io = new Map<number, IoWait>();
  #ioWaiters = 0;
  #epoll: Epoll | undefined;
  #armed = new Set<number>();
  #poller: PollSelector<number> | undefined;

  constructor(options: HubOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#onError =
      options.onError ?? ((task, error) => console.error(`task ${task.name} failed with ${error instanceof Error ? error.stack : String(error)}`));
  }

  now(): number {
    return this.#clock.now();
  }

  /** The running task, or null outside run() (V30). */
  getcurrent(): Task | null {
    return this.#current;
  }

  /** A new task, scheduled; returns before it runs (V01). */
  spawn<A extends unknown[], R>(fn: TaskBody<A, R>, ...args: A): Task<R> {
    const task = new Task<R>(this, fn as TaskBody<any[], R>, ...args);
    task.start();
    return task;
  }

  /** A Timeout, not armed yet: `hub.timeout(100).start()`. */
  timeout(ms: number | null, options: { error?: ErrorSpec } = {}): Timeout {
    return new Timeout(ms, options);
  }

  /**
   * Runs `main` as a task and every task it spawns, in turns, until `main` returns; returns its value
   * or throws its error (V31). Throws LoopExit into main when it waits for what cannot come (V32).
   */
  run<R>(main: TaskBody<[], R>): R {
    if (this.#running) throw new Error('hub.run() is already running: inside a task, wait with yield* instead');
    const outer = activeHub;
    this.#running = true;
    activeHub = this;
    const task = new Task<R>(this, main);
    this.#main = task;
    try {
      task.start();
      this.#loop(task);
      if (task.exception !== undefined) throw task.exception;
      return task.value as R;
    } finally {
      this.#running = false;
      this.#current = null;
      activeHub = outer;
    }
  }

  /** Cooperative sleep: ms <= 0 is a pure yield (V04); otherwise a timer (V05-V07, V33). */
  *sleep(ms: number): Generator<unknown, void, any> {
    if (!(ms > 0)) {
      yield YIELD;
      return;
    }
    const task = this.#currentOrThrow('sleep');
    const timer = this._addTimer(ms, () => this._wake(task, { value: undefined }));
    yield new Park(() => timer.cancel());
  }

  /** Waits for all tasks, or `timeout` ms; returns the finished ones in completion order (V12-V14). */
  *joinAll(tasks: Task[], options: { timeout?: number; raiseError?: boolean } = {}): Generator<unknown, Task[], any> {
    const done = tasks.filter((t) => t.dead);
    if (options.raiseError) {
      const failed = done.find(failedWithError);
      if (failed) throw failed.exception;
    }
    const pending = tasks.filter((t) => !t.dead);
    if (pending.length === 0) return done;
    yield* this._waitFor(pending, options.timeout, (t) => {
      done.push(t);
      if (options.raiseError && failedWithError(t)) return true;
      return done.length === tasks.length;
    });
    const failed = options.raiseError ? done.find(failedWithError) : undefined;
    if (failed) throw failed.exception;
    return done;
  }

  /** Kills every task, in list order (V35), then waits for them unless `block` is false. */
  *killAll(tasks: Task[], options: { error?: ErrorSpec; block?: boolean; timeout?: number } = {}): Generator<unknown, void, any> {
    for (const t of tasks) if (!t.dead) this._kill(t, instantiate(options.error ?? GreenletExit));
    if (options.block === false) return;
    yield* this.joinAll(tasks, options.timeout === undefined ? {} : { timeout: options.timeout });
  }

  /** Runs `body` under a time limit (V27); past it: the Timeout, or `timeoutValue`, or undefined if `silent`. */
  *withTimeout<R, D = R>(
    ms: number,
    body: () => Generator<unknown, R, any>,
    options: { timeoutValue?: D; silent?: boolean } = {},
  ): Generator<unknown, R | D, any> {
    const t = new Timeout(ms).start();
    try {
      return yield* body();
    } catch (e) {
      if (e === t && 'timeoutValue' in options) return options.timeoutValue as D;
      if (e === t && options.silent) return undefined as D;
      throw e;
    } finally {
      t.cancel();
    }
  }

  // --- part 2: cooperative sockets -------------------------------------------------------------

  /** Waits until `fd` is readable (or has an error or hang-up); a Timeout after `timeoutMs`. */
  *waitReadable(fd: number, timeoutMs?: number): Generator<unknown, void, any> {
    yield* this.#waitIo(fd, 'read', timeoutMs);
  }

  /** Waits until `fd` is writable (or has an error or hang-up); a Timeout after `timeoutMs`. */
  *waitWritable(fd: number, timeoutMs?: number): Generator<unknown, void, any> {
    yield* this.#waitIo(fd, 'write', timeoutMs);
  }

  /** accept(2) that waits cooperatively: other tasks run until a client arrives. */
  *accept(listener: Socket): Generator<unknown, [Socket, SocketAddress], any> {
    for (;;) {
      try {
        const [conn, peer] = listener.accept();
        conn.setblocking(false);
        return [conn, peer];
      } catch (e) {
        if (!(e instanceof BlockingIOError)) throw e;
      }
      yield* this.waitReadable(listener.fileno());
    }
  }

  /** recv(2) that waits cooperatively; an empty Buffer at end of stream. */
  *recv(sock: Socket, maxBytes: number): Generator<unknown, Buffer, any> {
    for (;;) {
      try {
        return sock.recv(maxBytes);
      } catch (e) {
        if (!(e instanceof BlockingIOError)) throw e;
      }
      yield* this.waitReadable(sock.fileno());
    }
  }

  /** send(2) until every byte is gone, waiting cooperatively whenever the send buffer is full. */
  *sendall(sock: Socket, data: Uint8Array | string): Generator<unknown, void, any> {
    let rest = typeof data === 'string' ? Buffer.from(data) : data;
    while (rest.byteLength > 0) {
      try {
        rest = rest.subarray(sock.send(rest));
        continue;
      } catch (e) {
        if (!(e instanceof BlockingIOError)) throw e;
      }
      yield* this.waitWritable(sock.fileno());
    }
  }

  // --- internals, used by Task and Timeout -----------------------------------------------------

  /** @internal */
  _schedule(task: Task, resume: Resume): void {
    this.#ready.push({ task, resume });
  }

  /** @internal ends a task's wait (undoing its registrations) and queues it with `resume`. */
  _wake(task: Task, resume: Resume): void {
    const park = task._parked;
    if (!park) return;
    task._parked = undefined;
    park.cancel();
    this.#ready.push({ task, resume });
  }

  /** @internal a timer that calls `fire` once `ms` have passed. */
  _addTimer(ms: number, fire: () => void): Timer {
    const timer: Timer = {
      deadline: this.#clock.now() + ms,
      seq: this.#seq++,
      fire,
      cancelled: false,
      cancel() {
        this.cancelled = true;
      },
    };
    heapPush(this.#timers, timer);
    return timer;
  }

  /** @internal delivers `error` to a task: at once if it never ran (V19), else at its wait (V18, V22). */
  _kill(task: Task, error: Error): void {
    if (task.dead) return;
    if (task._unstarted) {
      this.#ready = this.#ready.filter((r) => r.task !== task);
      this.#end(task, { error });
      return;
    }
    if (task._parked) return this._wake(task, { error });
    const queued = this.#ready.find((r) => r.task === task);
    if (queued) queued.resume = { error };
    else if (task !== this.#current) this.#ready.push({ task, resume: { error } });
    else throw error; // a task killing itself: the error is raised right here
  }

  /**
   * @internal parks the current task until `onDeath` returns true for one of `tasks` finishing, or
   * `timeout` ms pass. Used by join, get and joinAll.
   */
  *_waitFor(tasks: Task[], timeout: number | undefined, onDeath: (t: Task) => boolean): Generator<unknown, void, any> {
    const me = this.#currentOrThrow('join');
    if (timeout !== undefined && timeout <= 0) return; // join(0): only look (V11)
    const listener = (t: Task) => {
      if (onDeath(t)) this._wake(me, { value: undefined });
    };
    for (const t of tasks) t._onDeath.add(listener);
    const timer = timeout === undefined ? undefined : this._addTimer(timeout, () => this._wake(me, { value: undefined }));
    yield new Park(() => {
      for (const t of tasks) t._onDeath.delete(listener);
      timer?.cancel();
    });
  }

  #currentOrThrow(what: string): Task {
    if (!this.#current) throw new Error(`${what}() waits, so it can only be used inside a task: yield* inside a body given to hub.run() or hub.spawn()`);
    return this.#current;
  }

  // The loop of run(): turns until main is dead (V28, V36).
  #loop(main: Task): void {
    while (!main.dead) {
      const batch = this.#ready;
      this.#ready = [];
      for (const { task, resume } of batch) {
        if (task.dead) continue;
        this.#run(task, resume);
        if (main.dead) return;
      }
      this.#fireTimers();
      if (this.#ioWaiters > 0 && this.#ready.length > 0) this.#pollIo(0); // I/O must not starve behind busy tasks
      if (this.#ready.length > 0) continue;
      const next = this.#nextDeadline();
      if (next === undefined && this.#ioWaiters === 0) {
        // Nothing can ever wake main (V32).
        this._wake(main, { error: new LoopExit() });
        if (this.#ready.length === 0) throw new LoopExit(); // main is not waiting: the hub itself is stuck
        continue;
      }
      const wait = next === undefined ? -1 : Math.max(0, next - this.#clock.now());
      if (this.#ioWaiters > 0) this.#pollIo(wait);
      else this.#clock.sleep(wait);
      this.#fireTimers();
    }
  }

  // Resumes one task until it waits, yields or ends.
  #run(task: Task, resume: Resume): void {
    let r = resume;
    for (;;) {
      this.#current = task;
      let step: IteratorResult<unknown, unknown>;
      try {
        step = task._step(r);
      } catch (error) {
        this.#current = null;
        this.#end(task, { error: error as Error });
        return;
      }
      this.#current = null;
      if (step.done) {
        this.#end(task, { value: step.value });
        return;
      }
      const request = step.value;
      if (request === YIELD) {
        this.#ready.push({ task, resume: { value: undefined } });
        return;
      }
      if (request instanceof Park) {
        const expired = task._expired;
        if (expired) {
          // A Timeout that fired while the task was busy: it goes off at this wait, at once (V28).
          task._expired = undefined;
          request.cancel();
          r = { error: expired._errorToThrow() };
          continue;
        }
        task._parked = request;
        return;
      }
      r = {
        error: new TypeError(
          `task ${task.name} yielded ${String(request)}: wait with yield* (yield* hub.sleep(ms), yield* task.join()), never a bare yield`,
        ),
      };
    }
  }

  #end(task: Task, outcome: Resume): void {
    if (outcome.error === undefined) return task._finish(outcome.value, undefined);
    const error = outcome.error;
    if (error instanceof GreenletExit) return task._finish(error, undefined); // V18, V37: a success
    task._finish(undefined, error);
    if (task !== this.#main) this.#onError(task, error);
  }

  #nextDeadline(): number | undefined {
    while (this.#timers.length > 0 && this.#timers[0]!.cancelled) heapPop(this.#timers);
    return this.#timers[0]?.deadline;
  }

  #fireTimers(): void {
    const now = this.#clock.now();
    for (;;) {
      const next = this.#nextDeadline();
      if (next === undefined || next > now) return;
      const timer = heapPop(this.#timers)!;
      timer.fire();
    }
  }

  // --- part 2 internals ---

  *#waitIo(fd: number, dir: 'read' | 'write', timeoutMs?: number): Generator<unknown, void, any> {
    const task = this.#currentOrThrow(dir === 'read' ? 'waitReadable' : 'waitWritable');
    const entry = this.#io.get(fd) ?? {};
    if (entry[dir]) throw new Error(`task ${entry[dir]!.name} already waits to ${dir} descriptor ${fd}`);
    entry[dir] = task;
    this.#io.set(fd, entry);
    this.#ioWaiters++;
    this.#arm(fd);
    const timer = timeoutMs === undefined ? undefined : this._addTimer(timeoutMs, () => this._wake(task, { error: new Timeout(timeoutMs) }));
    yield new Park(() => {
      timer?.cancel();
      const e = this.#io.get(fd);
      if (e?.[dir] !== task) return;
      delete e[dir];
      this.#ioWaiters--;
      if (!e.read && !e.write) this.#io.delete(fd);
      // No re-arm needed when nobody else waits: the one-shot registration is spent or will be
      // ignored (a wake for a descriptor nobody waits on does nothing).
      else this.#arm(fd);
    });
  }

  // Registers the interest of the waiters of `fd` (one-shot, so a served wait needs no epoll_ctl DEL).
  #arm(fd: number): void {
    const e = this.#io.get(fd);
    if (!e) return;
    if (process.platform !== 'linux') return this.#armPoll(fd, e);
    const events = (e.read ? EPOLLIN! : 0) | (e.write ? EPOLLOUT! : 0) | EPOLLONESHOT!;
    this.#epoll ??= new Epoll();
    try {
      if (this.#armed.has(fd)) this.#epoll.modify(fd, events);
      else this.#epoll.register(fd, events);
    } catch (err) {
      if (!(err instanceof OSError)) throw err;
      // The descriptor was closed and its number reused (ENOENT), or is known already (EEXIST).
      if (err.code === 'ENOENT') this.#epoll.register(fd, events);
      else if (err.code === 'EEXIST') this.#epoll.modify(fd, events);
      else throw err;
    }
    this.#armed.add(fd);
  }

  #armPoll(fd: number, e: IoWait): void {
    this.#poller ??= new PollSelector<number>();
    const events = (e.read ? EVENT_READ : 0) | (e.write ? EVENT_WRITE : 0);
    if (this.#poller.getKey(fd)) this.#poller.modify(fd, events, fd);
    else this.#poller.register(fd, events, fd);
  }

  // Waits up to `timeoutMs` (-1: no limit) for descriptors, and wakes their waiters.
  #pollIo(timeoutMs: number): void {
    const ready: [number, number][] = [];
    if (this.#epoll) {
      for (const [fd, ev] of this.#epoll.poll(timeoutMs, 1024)) {
        const bad = (ev & (EPOLLERR! | EPOLLHUP!)) !== 0;
        ready.push([fd, (ev & EPOLLIN! || bad ? EVENT_READ : 0) | (ev & EPOLLOUT! || bad ? EVENT_WRITE : 0)]);
      }
    } else if (this.#poller) {
      for (const [key, ev] of this.#poller.select(timeoutMs < 0 ? null : timeoutMs)) ready.push([key.fd, ev]);
    }
    for (const [fd, ev] of ready) {
      const e = this.#io.get(fd);
      if (!e) continue;
      // One-shot: the registration is spent; a waiter left unserved here is re-armed by the cancel
      // of the one that was served.
      if (ev & EVENT_READ && e.read) this._wake(e.read, { value: undefined });
      if (ev & EVENT_WRITE && e.write) this._wake(e.write, { value: undefined });
      if (this.#poller && !this.#io.has(fd)) this.#poller.unregister(fd);
    }
  }
}

const failedWithError = (t: Task) => t.dead && t.exception !== undefined;

// A binary min-heap on (deadline, seq): equal deadlines wake in the order they were set (V07).
const before = (a: Timer, b: Timer) => a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
function heapPush(h: Timer[], t: Timer): void {
  h.push(t);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(h[i]!, h[p]!)) break;
    [h[i], h[p]] = [h[p]!, h[i]!];
    i = p;
  }
}
function heapPop(h: Timer[]): Timer | undefined {
  const top = h[0];
  const last = h.pop();
  if (h.length > 0 && last) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
  return top;
}
