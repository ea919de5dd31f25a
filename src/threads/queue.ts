// A bounded, blocking, multi-producer multi-consumer FIFO queue of integers in shared memory, for
// worker threads: the queue.Queue of Python's threading programs, over SharedArrayBuffer and Atomics.
//
// Create it in one thread, pass `queue.buffer` to others (workerData or postMessage: a
// SharedArrayBuffer is shared, not copied) and attach with Queue.from(buffer). put() blocks while the
// queue is full, get() while it is empty, each with an optional limit in ms; shutdown() wakes every
// waiter. Items are 32-bit integers: descriptors, task ids, indexes into your own shared tables.
//
// Inside: a mutex (a futex word: 0 free, 1 held, 2 held with waiters, after Drepper's "Futexes Are
// Tricky") guards a ring buffer, and two sequence counters serve as condition variables: a waiter
// reads the counter under the lock, releases it, and Atomics.wait()s for the counter to change, so a
// put or get that happens in between is never missed.

const LOCK = 0;
const HEAD = 1;
const COUNT = 2;
const STATE = 3;
const NOT_EMPTY = 4; // bumped by put and by shutdown: getters wait on it
const NOT_FULL = 5; // bumped by get and by shutdown: putters wait on it
const CAPACITY = 6;
const HEADER = 8;

const OPEN = 0;
const SHUT = 1; // no more puts; gets drain what is left
const SHUT_NOW = 2; // no more puts nor gets

/** put() with a limit, or putNowait(), found the queue full. */
export class QueueFull extends Error {
  override name = 'QueueFull';
}
/** get() with a limit, or getNowait(), found the queue empty. */
export class QueueEmpty extends Error {
  override name = 'QueueEmpty';
}
/** The queue was shut down: put() always, get() once it is drained (or at once after an immediate shutdown). */
export class QueueShutDown extends Error {
  override name = 'QueueShutDown';
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * When a wait of `timeoutMs` ends (performance.now() time): Infinity without a limit; a limit of 0 or
 * less means no wait at all. NaN (say, a limit computed from an undefined) is refused: Atomics.wait
 * would take it for "no limit" and wait forever.
 */
function deadlineOf(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return Infinity;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) throw new RangeError(`a limit is a number of ms, not ${String(timeoutMs)}`);
  return performance.now() + timeoutMs;
}

export class Queue {
  readonly #a: Int32Array;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.#a = new Int32Array(buffer);
  }

  /** A new queue holding at most `capacity` items (>= 1). */
  static create(capacity: number): Queue {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) throw new RangeError(`a Queue's capacity is an integer from 1 to 2^24, not ${capacity}`);
    const q = new Queue(new SharedArrayBuffer((HEADER + capacity) * 4));
    q.#a[CAPACITY] = capacity;
    return q;
  }

  /** The same queue, seen from another thread: `Queue.from(workerData.queue)`. */
  static from(buffer: SharedArrayBuffer): Queue {
    if (!(buffer instanceof SharedArrayBuffer)) throw new TypeError('Queue.from() takes the SharedArrayBuffer of a Queue (queue.buffer)');
    // Int32Array would refuse a length that is not a multiple of 4 with a RangeError of its own.
    if (buffer.byteLength < (HEADER + 1) * 4 || buffer.byteLength % 4 !== 0) throw new TypeError('this SharedArrayBuffer is not a Queue\'s');
    const q = new Queue(buffer);
    if (!(q.#a[CAPACITY]! >= 1) || buffer.byteLength !== (HEADER + q.#a[CAPACITY]!) * 4) throw new TypeError('this SharedArrayBuffer is not a Queue\'s');
    return q;
  }

  get capacity(): number {
    return this.#a[CAPACITY]!;
  }

  /** Items in the queue now (already stale when you read it, if other threads are at work). */
  get size(): number {
    return Atomics.load(this.#a, COUNT);
  }

  /** Whether shutdown() was called. */
  get isShutDown(): boolean {
    return Atomics.load(this.#a, STATE) !== OPEN;
  }

  /**
   * Adds `item` (a 32-bit integer) at the tail, waiting while the queue is full: without a limit, or
   * at most `timeoutMs`, after which it throws QueueFull. Throws QueueShutDown once the queue is shut down.
   */
  put(item: number, timeoutMs?: number): void {
    if (!Number.isInteger(item) || item < INT32_MIN || item > INT32_MAX) throw new RangeError(`a Queue carries 32-bit integers, not ${item}`);
    const a = this.#a;
    const deadline = deadlineOf(timeoutMs);
    this.#lock();
    for (;;) {
      if (a[STATE] !== OPEN) {
        this.#unlock();
        throw new QueueShutDown('put() on a queue that was shut down');
      }
      const count = a[COUNT]!;
      const capacity = a[CAPACITY]!;
      if (count < capacity) {
        a[HEADER + ((a[HEAD]! + count) % capacity)] = item;
        a[COUNT] = count + 1;
        Atomics.add(a, NOT_EMPTY, 1);
        this.#unlock();
        Atomics.notify(a, NOT_EMPTY, 1);
        return;
      }
      const seen = Atomics.load(a, NOT_FULL);
      this.#unlock();
      const left = deadline - performance.now();
      if (left <= 0) throw new QueueFull(timeoutMs === 0 ? 'the queue is full' : `the queue stayed full for ${timeoutMs} ms`);
      Atomics.wait(a, NOT_FULL, seen, left);
      this.#lock();
    }
  }

  /**
   * Takes the item at the head, waiting while the queue is empty: without a limit, or at most
   * `timeoutMs`, after which it throws QueueEmpty. After shutdown() it still returns what is left, then
   * throws QueueShutDown (at once after shutdown({ immediate: true })).
   */
  get(timeoutMs?: number): number {
    const a = this.#a;
    const deadline = deadlineOf(timeoutMs);
    this.#lock();
    for (;;) {
      const state = a[STATE]!;
      const count = a[COUNT]!;
      if (state !== SHUT_NOW && count > 0) {
        const head = a[HEAD]!;
        const item = a[HEADER + head]!;
        a[HEAD] = (head + 1) % a[CAPACITY]!;
        a[COUNT] = count - 1;
        Atomics.add(a, NOT_FULL, 1);
        this.#unlock();
        Atomics.notify(a, NOT_FULL, 1);
        return item;
      }
      if (state !== OPEN) {
        this.#unlock();
        throw new QueueShutDown(state === SHUT_NOW ? 'the queue was shut down' : 'the queue was shut down and is drained');
      }
      const seen = Atomics.load(a, NOT_EMPTY);
      this.#unlock();
      const left = deadline - performance.now();
      if (left <= 0) throw new QueueEmpty(timeoutMs === 0 ? 'the queue is empty' : `the queue stayed empty for ${timeoutMs} ms`);
      Atomics.wait(a, NOT_EMPTY, seen, left);
      this.#lock();
    }
  }

  /** put() without waiting: QueueFull at once when there is no room. */
  putNowait(item: number): void {
    this.put(item, 0);
  }

  /** get() without waiting: QueueEmpty at once when there is nothing. */
  getNowait(): number {
    return this.get(0);
  }

  /**
   * Shuts the queue down and wakes every waiting thread: put() throws QueueShutDown from now on; get()
   * drains what is left and then throws it, or at once with `immediate` (the items are dropped).
   */
  shutdown(options: { immediate?: boolean } = {}): void {
    const a = this.#a;
    this.#lock();
    const state = a[STATE]!;
    a[STATE] = options.immediate ? SHUT_NOW : Math.max(state, SHUT);
    if (options.immediate) a[COUNT] = 0;
    Atomics.add(a, NOT_EMPTY, 1);
    Atomics.add(a, NOT_FULL, 1);
    this.#unlock();
    Atomics.notify(a, NOT_EMPTY);
    Atomics.notify(a, NOT_FULL);
  }

  #lock(): void {
    const a = this.#a;
    let c = Atomics.compareExchange(a, LOCK, 0, 1);
    if (c === 0) return;
    do {
      if (c === 2 || Atomics.compareExchange(a, LOCK, 1, 2) !== 0) Atomics.wait(a, LOCK, 2);
    } while ((c = Atomics.compareExchange(a, LOCK, 0, 2)) !== 0);
  }

  #unlock(): void {
    const a = this.#a;
    if (Atomics.sub(a, LOCK, 1) !== 1) {
      Atomics.store(a, LOCK, 0);
      Atomics.notify(a, LOCK, 1);
    }
  }
}
