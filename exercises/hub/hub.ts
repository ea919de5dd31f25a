// Exercise hub: a small gevent on generators (part 1), then cooperative sockets (part 2).
// The contract is README.md next to this file (`npx learn-io read hub`); check with `npx learn-io check hub`.
//
// Given and complete: the types, GreenletExit, LoopExit and the real clock. Everything marked TODO is
// yours. Keep the names and shapes: the hidden tests import them.
import { BlockingIOError, type Socket, type SocketAddress } from 'learn-io/sys';

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

const todo = (what: string): never => {
  throw new Error(`hub: ${what} is not written yet (exercises/hub/hub.ts)`);
};

/** A time limit for the current task (V24-V29). */
export class Timeout extends Error {
  override name = 'Timeout';
  constructor(
    readonly ms: number | null = null,
    readonly options: { error?: ErrorSpec } = {},
  ) {
    super(ms === null ? 'no time limit' : `${ms} ms`);
  }
  /** TODO: arm it for the current task; return this. */
  start(): this {
    return todo('Timeout.start()');
  }
  /** TODO: disarm it. */
  cancel(): void {
    todo('Timeout.cancel()');
  }
  /** TODO: armed, and neither fired nor cancelled. */
  get pending(): boolean {
    return todo('Timeout.pending');
  }
}

/** A task: a generator body, its state, its result. */
export class Task<R = unknown> {
  readonly name: string;
  constructor(
    readonly hub: Hub,
    readonly fn: TaskBody<any[], R>,
    ...args: unknown[]
  ) {
    this.name = fn.name || 'task';
    void args;
  }
  start(): void {
    todo('Task.start()');
  }
  get active(): boolean {
    return todo('Task.active');
  }
  get dead(): boolean {
    return todo('Task.dead');
  }
  ready(): boolean {
    return todo('Task.ready()');
  }
  successful(): boolean {
    return todo('Task.successful()');
  }
  get value(): R | undefined {
    return todo('Task.value');
  }
  get exception(): unknown {
    return todo('Task.exception');
  }
  *join(timeout?: number): Generator<unknown, void, any> {
    void timeout;
    todo('Task.join()');
  }
  *get(options: { block?: boolean; timeout?: number } = {}): Generator<unknown, R, any> {
    void options;
    return todo('Task.get()');
  }
  *kill(error: ErrorSpec = GreenletExit, options: { block?: boolean; timeout?: number } = {}): Generator<unknown, void, any> {
    void [error, options];
    todo('Task.kill()');
  }
}

export interface HubOptions {
  clock?: Clock;
  onError?: (task: Task, error: unknown) => void;
}

/** The scheduler: a FIFO ready queue, a timer queue ordered by (deadline, sequence), and (part 2) epoll. */
export class Hub {
  constructor(readonly options: HubOptions = {}) {}
  now(): number {
    return (this.options.clock ?? realClock).now();
  }
  run<R>(main: TaskBody<[], R>): R {
    void main;
    return todo('Hub.run()');
  }
  spawn<A extends unknown[], R>(fn: TaskBody<A, R>, ...args: A): Task<R> {
    void [fn, args];
    return todo('Hub.spawn()');
  }
  getcurrent(): Task | null {
    return todo('Hub.getcurrent()');
  }
  *sleep(ms: number): Generator<unknown, void, any> {
    void ms;
    todo('Hub.sleep()');
  }
  *joinAll(tasks: Task[], options: { timeout?: number; raiseError?: boolean } = {}): Generator<unknown, Task[], any> {
    void [tasks, options];
    return todo('Hub.joinAll()');
  }
  *killAll(tasks: Task[], options: { error?: ErrorSpec; block?: boolean; timeout?: number } = {}): Generator<unknown, void, any> {
    void [tasks, options];
    todo('Hub.killAll()');
  }
  timeout(ms: number | null, options: { error?: ErrorSpec } = {}): Timeout {
    return new Timeout(ms, options);
  }
  *withTimeout<R, D = R>(ms: number, body: () => Generator<unknown, R, any>, options: { timeoutValue?: D; silent?: boolean } = {}): Generator<unknown, R | D, any> {
    void [ms, body, options];
    return todo('Hub.withTimeout()');
  }

  // --- part 2: cooperative sockets ---
  *waitReadable(fd: number, timeoutMs?: number): Generator<unknown, void, any> {
    void [fd, timeoutMs];
    todo('Hub.waitReadable()');
  }
  *waitWritable(fd: number, timeoutMs?: number): Generator<unknown, void, any> {
    void [fd, timeoutMs];
    todo('Hub.waitWritable()');
  }
  /** Given: accept(2) that waits cooperatively, once waitReadable works. */
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
  *recv(sock: Socket, maxBytes: number): Generator<unknown, Buffer, any> {
    void [sock, maxBytes];
    return todo('Hub.recv()');
  }
  *sendall(sock: Socket, data: Uint8Array | string): Generator<unknown, void, any> {
    void [sock, data];
    todo('Hub.sendall()');
  }
}
