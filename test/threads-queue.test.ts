// src/threads' Queue, tested for real: in this thread for its rules (FIFO, capacity, limits, shutdown,
// what it refuses), then across worker threads for what it is for: a thread blocked in get() or put()
// sleeps until another thread makes room, puts an item or shuts the queue down, and 4 producers and 4
// consumers pass 120,000 items through it without losing or doubling one.
//
// Worker bodies are TypeScript under test/fixtures/threads/, started with the library's own startWorker
// (src/threads/boot.mjs registers tsx in the new thread). Nothing here can hang: every blocking call, in
// this thread or in a worker, has a limit in ms; messages from workers are awaited with a limit; and
// every test terminates its workers in `finally`.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Queue, QueueEmpty, QueueFull, QueueShutDown, startWorker } from '../src/threads/index.ts';
import type { Op } from './fixtures/threads/queue-ops.ts';

const T = 60_000; // worker start-up compiles TypeScript; generous
const fixture = (name: string) => new URL(`./fixtures/threads/${name}`, import.meta.url);

type Message = { type: string; [k: string]: unknown };

/** A worker and its messages in arrival order; next() fails if the worker errs or exits first. */
function spawn(name: string, data: Record<string, unknown>) {
  const worker = startWorker(fixture(name), data);
  started.push(worker);
  const inbox: Message[] = [];
  const waiters: { resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiters.splice(0)) w.reject(failure);
  };
  worker.on('message', (m: Message) => {
    const w = waiters.shift();
    if (w) w.resolve(m);
    else inbox.push(m);
  });
  worker.on('error', fail);
  const exit = new Promise<number>((resolve) =>
    worker.on('exit', (code) => {
      fail(new Error(`the worker exited (code ${code}) before sending the message awaited`));
      resolve(code);
    }),
  );
  return {
    worker,
    exit,
    /** Messages that arrived and were not taken yet. */
    pending: () => inbox.length,
    next(ms = 30_000): Promise<Message> {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      if (failure) return Promise.reject(failure);
      return new Promise<Message>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message from the worker within ${ms} ms`)), ms);
        waiters.push({
          resolve: (m) => (clearTimeout(timer), resolve(m)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
      });
    },
  };
}

/** A worker running `ops` on `queue` (fixtures/threads/queue-ops.ts). */
const runOps = (queue: Queue, ops: Op[]) => spawn('queue-ops.ts', { queue: queue.buffer, ops });

// Workers of the running test: terminated whatever happened (a no-op for those that have exited).
let started: Worker[] = [];
afterEach(async () => {
  const workers = started;
  started = [];
  await Promise.all(workers.map((w) => w.terminate()));
});

/** Runs `f` and returns what it threw and how long it took, in ms. */
function timed(f: () => unknown): { error: unknown; ms: number } {
  const t0 = performance.now();
  try {
    f();
    return { error: undefined, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

const LIMIT_MS = 100;
const SLACK_MS = 2000; // upper bounds are generous: a loaded CI machine wakes threads late

describe('Queue in one thread', () => {
  it('is first in, first out, across the ring many times over', () => {
    const q = Queue.create(3);
    const out: number[] = [];
    for (let i = 0; i < 100; i++) {
      q.putNowait(2 * i);
      q.putNowait(2 * i + 1);
      out.push(q.getNowait());
      if (i % 2 === 1) out.push(q.getNowait(), q.getNowait()); // empty again every other round
    }
    expect(out).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(q.size).toBe(0);
  });

  it('carries any 32-bit integer, the extremes and negatives included', () => {
    const items = [0, -1, 1, -(2 ** 31), 2 ** 31 - 1, 123_456_789, -987_654_321];
    const q = Queue.create(items.length);
    for (const x of items) q.put(x, 0);
    expect(items.map(() => q.get(0))).toEqual(items);
  });

  it('refuses items that are not 32-bit integers, and leaves the queue as it was', () => {
    const q = Queue.create(4);
    q.putNowait(7);
    for (const bad of [1.5, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 53]) {
      expect(() => q.putNowait(bad), String(bad)).toThrow(RangeError);
      expect(() => q.put(bad, 10), String(bad)).toThrow(RangeError);
    }
    for (const bad of ['1', 1n, null, undefined, {}, [1]] as unknown as number[]) {
      expect(() => q.putNowait(bad), String(bad)).toThrow(RangeError);
    }
    expect(q.size).toBe(1);
    expect(q.getNowait()).toBe(7);
  });

  it('holds at most its capacity', () => {
    expect(Queue.create(1).capacity).toBe(1);
    for (const bad of [0, -1, 1.5, NaN, 2 ** 24 + 1]) expect(() => Queue.create(bad), String(bad)).toThrow(RangeError);

    const q = Queue.create(5);
    expect(q.capacity).toBe(5);
    for (let i = 0; i < 5; i++) q.putNowait(i);
    expect(q.size).toBe(5);
    expect(() => q.putNowait(5)).toThrow(QueueFull);
    expect(q.size).toBe(5);
    expect(q.getNowait()).toBe(0); // one out, one more fits
    q.putNowait(5);
    expect(() => q.putNowait(6)).toThrow(QueueFull);
    expect(Array.from({ length: 5 }, () => q.getNowait())).toEqual([1, 2, 3, 4, 5]);
    expect(() => q.getNowait()).toThrow(QueueEmpty);
  });

  it('put() on a full queue waits its limit, then throws QueueFull', () => {
    const q = Queue.create(2);
    q.putNowait(1);
    q.putNowait(2);
    const { error, ms } = timed(() => q.put(3, LIMIT_MS));
    expect(error).toBeInstanceOf(QueueFull);
    expect(ms).toBeGreaterThanOrEqual(LIMIT_MS - 1);
    expect(ms).toBeLessThan(LIMIT_MS + SLACK_MS);
    expect(q.size).toBe(2); // nothing was added
  });

  it('get() on an empty queue waits its limit, then throws QueueEmpty', () => {
    const q = Queue.create(2);
    const { error, ms } = timed(() => q.get(LIMIT_MS));
    expect(error).toBeInstanceOf(QueueEmpty);
    expect(ms).toBeGreaterThanOrEqual(LIMIT_MS - 1);
    expect(ms).toBeLessThan(LIMIT_MS + SLACK_MS);
  });

  it('putNowait() and getNowait() never wait; a limit of 0 is the same', () => {
    const q = Queue.create(1);
    let r = timed(() => q.getNowait());
    expect(r.error).toBeInstanceOf(QueueEmpty);
    expect(r.ms).toBeLessThan(50);
    expect(() => q.get(0)).toThrow(QueueEmpty);
    q.putNowait(9);
    r = timed(() => q.putNowait(10));
    expect(r.error).toBeInstanceOf(QueueFull);
    expect(r.ms).toBeLessThan(50);
    expect(() => q.put(10, 0)).toThrow(QueueFull);
    expect(q.getNowait()).toBe(9);
  });

  it('after shutdown(), put() throws QueueShutDown, and get() drains the queue before it does', () => {
    const q = Queue.create(3);
    q.putNowait(1);
    q.putNowait(2);
    expect(q.isShutDown).toBe(false);
    q.shutdown();
    expect(q.isShutDown).toBe(true);
    expect(() => q.putNowait(3)).toThrow(QueueShutDown);
    expect(() => q.put(3, 1000)).toThrow(QueueShutDown);
    expect(() => q.put(3)).toThrow(QueueShutDown); // no limit, yet no wait: it cannot hang
    expect(q.size).toBe(2);
    expect(q.get(1000)).toBe(1);
    expect(q.getNowait()).toBe(2);
    // drained: QueueShutDown at once, not QueueEmpty, and not after the limit
    for (const get of [() => q.getNowait(), () => q.get(5000), () => q.get()]) {
      const { error, ms } = timed(get);
      expect(error).toBeInstanceOf(QueueShutDown);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('shutdown({ immediate: true }) drops the items: get() throws at once', () => {
    const q = Queue.create(3);
    q.putNowait(1);
    q.putNowait(2);
    q.shutdown({ immediate: true });
    expect(q.size).toBe(0);
    expect(() => q.getNowait()).toThrow(QueueShutDown);
    expect(() => q.get()).toThrow(QueueShutDown);
    expect(() => q.putNowait(3)).toThrow(QueueShutDown);
  });

  it('a second shutdown can make it immediate, never undo immediate', () => {
    const q = Queue.create(3);
    q.putNowait(1);
    q.putNowait(2);
    q.shutdown();
    q.shutdown({ immediate: true });
    expect(() => q.getNowait()).toThrow(QueueShutDown);

    const r = Queue.create(3);
    r.shutdown({ immediate: true });
    r.shutdown();
    expect(() => r.putNowait(1)).toThrow(QueueShutDown);
    expect(() => r.getNowait()).toThrow(QueueShutDown);
  });

  it('Queue.from() sees the same queue, and refuses a buffer that is not a queue', () => {
    const q = Queue.create(4);
    const view = Queue.from(q.buffer);
    expect(view.capacity).toBe(4);
    q.putNowait(11);
    expect(view.size).toBe(1);
    expect(view.getNowait()).toBe(11);
    view.shutdown();
    expect(q.isShutDown).toBe(true);

    const foreign: unknown[] = [
      new SharedArrayBuffer(64), // zeros: capacity 0
      new SharedArrayBuffer(0),
      new SharedArrayBuffer(10), // not a whole number of int32
      new SharedArrayBuffer(q.buffer.byteLength + 4), // the size of no queue with this header
      new ArrayBuffer(q.buffer.byteLength), // not shared
      new Int32Array(q.buffer), // a view, not the buffer
      {},
      undefined,
    ];
    // a copy of a real queue's header with a capacity that does not match the size
    const lying = new SharedArrayBuffer(q.buffer.byteLength);
    new Int32Array(lying).set(new Int32Array(q.buffer));
    new Int32Array(lying)[6] = 1000;
    foreign.push(lying);
    for (const b of foreign) expect(() => Queue.from(b as SharedArrayBuffer), String(b)).toThrow(TypeError);
  });
});

describe('Queue across worker threads', () => {
  it('a worker blocked in get() sleeps until an item is put here', { timeout: T }, async () => {
    const q = Queue.create(2);
    const w = runOps(q, [{ op: 'get', limitMs: 20_000 }]);
    expect(await w.next()).toEqual({ type: 'before', index: 0 });
    await sleep(150);
    expect(w.pending()).toBe(0); // still inside get()
    q.putNowait(42);
    const after = await w.next(5000);
    expect(after).toMatchObject({ type: 'after', index: 0, value: 42 });
    expect(after.ms).toBeGreaterThanOrEqual(140);
    expect(await w.exit).toBe(0);
    expect(q.size).toBe(0);
  });

  it('a worker blocked in put() on a full queue sleeps until an item is taken here', { timeout: T }, async () => {
    const q = Queue.create(2);
    q.putNowait(1);
    q.putNowait(2);
    const w = runOps(q, [{ op: 'put', item: 3, limitMs: 20_000 }]);
    expect(await w.next()).toEqual({ type: 'before', index: 0 });
    await sleep(150);
    expect(w.pending()).toBe(0); // still inside put()
    expect(q.size).toBe(2);
    expect(q.getNowait()).toBe(1);
    const after = await w.next(5000);
    expect(after).toMatchObject({ type: 'after', index: 0 });
    expect(after.error).toBeUndefined();
    expect(after.ms).toBeGreaterThanOrEqual(140);
    expect(await w.exit).toBe(0);
    expect([q.getNowait(), q.getNowait()]).toEqual([2, 3]);
  });

  it('a worker times out of get() and put() after its limit', { timeout: T }, async () => {
    const empty = Queue.create(1);
    const full = Queue.create(1);
    full.putNowait(0);
    const g = runOps(empty, [{ op: 'get', limitMs: LIMIT_MS }]);
    const p = runOps(full, [{ op: 'put', item: 1, limitMs: LIMIT_MS }]);
    for (const [w, error] of [[g, 'QueueEmpty'], [p, 'QueueFull']] as const) {
      await w.next();
      const after = await w.next(LIMIT_MS + SLACK_MS + 1000);
      expect(after).toMatchObject({ type: 'after', error });
      expect(after.ms).toBeGreaterThanOrEqual(LIMIT_MS - 1);
      expect(after.ms).toBeLessThan(LIMIT_MS + SLACK_MS);
      expect(await w.exit).toBe(0);
    }
  });

  // In a worker, because a NaN limit used to reach Atomics.wait, which reads it as "no limit": here a
  // regression fails after 5 s instead of hanging this thread.
  it('a limit that is NaN is refused, not taken for "wait forever"', { timeout: T }, async () => {
    const empty = Queue.create(1);
    const full = Queue.create(1);
    full.putNowait(0);
    const g = runOps(empty, [{ op: 'get', limitMs: NaN }]);
    const p = runOps(full, [{ op: 'put', item: 1, limitMs: NaN }]);
    for (const w of [g, p]) {
      await w.next();
      expect(await w.next(5000)).toMatchObject({ type: 'after', error: 'RangeError' });
    }
  });

  it.each([{ immediate: false }, { immediate: true }])(
    'shutdown(%o) wakes every thread blocked in get() or put()',
    { timeout: T },
    async (options) => {
      const empty = Queue.create(4);
      const full = Queue.create(1);
      full.putNowait(99);
      const getters = [1, 2, 3].map(() => runOps(empty, [{ op: 'get', limitMs: 20_000 }]));
      const putters = [1, 2, 3].map((i) => runOps(full, [{ op: 'put', item: i, limitMs: 20_000 }]));
      const all = [...getters, ...putters];
      for (const w of all) expect(await w.next()).toEqual({ type: 'before', index: 0 });
      await sleep(200);
      for (const w of all) expect(w.pending()).toBe(0); // six threads asleep in the queue

      empty.shutdown(options);
      full.shutdown(options);
      // Far sooner than their 20 s limits: a waiter that was not woken fails here after 5 s.
      for (const w of all) {
        const after = await w.next(5000);
        expect(after).toMatchObject({ type: 'after', error: 'QueueShutDown' });
        expect(after.ms).toBeGreaterThanOrEqual(190);
        expect(after.ms).toBeLessThan(10_000);
      }
      for (const w of all) expect(await w.exit).toBe(0);
      // The item that filled `full`: drained after a plain shutdown, dropped after an immediate one.
      if (options.immediate) expect(() => full.getNowait()).toThrow(QueueShutDown);
      else expect(full.getNowait()).toBe(99);
      expect(() => full.getNowait()).toThrow(QueueShutDown);
    },
  );

  it('a worker drains a queue that was shut down, then gets QueueShutDown', { timeout: T }, async () => {
    const q = Queue.create(4);
    q.putNowait(5);
    q.putNowait(6);
    q.shutdown();
    const w = runOps(q, [1, 2, 3].map(() => ({ op: 'get', limitMs: 5000 }) as const));
    const results: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      await w.next(); // before
      const after = await w.next();
      results.push(after.value ?? after.error);
      expect(after.ms).toBeLessThan(1000); // none of them waited
    }
    expect(results).toEqual([5, 6, 'QueueShutDown']);
    expect(await w.exit).toBe(0);
  });

  it('4 producers and 4 consumers pass 120,000 items: none lost, none doubled, FIFO per producer', { timeout: T }, async () => {
    const PRODUCERS = 4;
    const CONSUMERS = 4;
    const PER_PRODUCER = 30_000;
    const TOTAL = PRODUCERS * PER_PRODUCER;
    const q = Queue.create(64); // small, so that both sides block often
    const seen = new SharedArrayBuffer(TOTAL * 4);
    const limitMs = 20_000;

    const t0 = performance.now();
    const consumers = Array.from({ length: CONSUMERS }, () =>
      spawn('consumer.ts', { queue: q.buffer, seen, perProducer: PER_PRODUCER, producers: PRODUCERS, limitMs }),
    );
    const producers = Array.from({ length: PRODUCERS }, (_, p) =>
      spawn('producer.ts', { queue: q.buffer, first: p * PER_PRODUCER, end: (p + 1) * PER_PRODUCER, limitMs }),
    );
    const produced = await Promise.all(producers.map((w) => w.next(45_000)));
    q.shutdown(); // consumers drain what is left, then leave
    const consumed = await Promise.all(consumers.map((w) => w.next(10_000)));
    const ms = performance.now() - t0;

    for (const m of produced) expect(m).toMatchObject({ type: 'done', put: PER_PRODUCER });
    for (const m of consumed) expect(m).toMatchObject({ type: 'done', outOfOrder: 0 });
    expect(consumed.reduce((n, m) => n + (m.got as number), 0)).toBe(TOTAL);
    expect(consumed.reduce((n, m) => n + (m.sum as number), 0)).toBe((TOTAL * (TOTAL - 1)) / 2);
    const counts = new Int32Array(seen);
    const wrong = counts.findIndex((c) => c !== 1);
    expect(wrong, wrong < 0 ? '' : `item ${wrong} was taken ${counts[wrong]} times`).toBe(-1);
    expect(q.size).toBe(0);
    expect(ms).toBeLessThan(45_000); // seconds in practice, worker start-up included
    for (const w of [...producers, ...consumers]) expect(await w.exit).toBe(0);
  });
});
