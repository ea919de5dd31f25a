// Producers and consumers on worker threads, around one blocking Queue
//
// What it shows: two producer threads and two consumer threads share one
// bounded Queue (src/threads: a ring of int32 in a SharedArrayBuffer, guarded
// by Atomics). A producer makes an item in 10 ms; a consumer needs 40 ms to
// handle one. The queue holds 4 items, so it fills at once and then the
// producers spend most of their time blocked in put(): back-pressure, the
// fast side slowed to the pace of the slow side, with no item dropped and no
// memory growing. The main thread samples what each thread is doing every
// 20 ms and draws it. When the producers are done, it calls shutdown(): the
// consumers drain what is left, get QueueShutDown, and leave.
// Bounded: about 1 s of work after the workers start (less with
// LEARN_IO_DEMO_QUICK=1); every put() and get() has a limit, and the workers
// are terminated after 20 s in any case.
//
// Backs the lesson's claims on producers and consumers: a bounded queue
// blocks the producer when full (back-pressure) and the consumer when empty,
// and shutdown() wakes every waiter.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { quick, sleepThread, table } from '../../src/demo-kit.ts';
import { Queue, QueueFull, QueueShutDown, startWorker } from '../../src/threads/index.ts';

const PRODUCERS = 2;
const CONSUMERS = 2;
const ITEMS = quick ? 10 : 20; // per producer
const PRODUCE_MS = quick ? 5 : 10;
const CONSUME_MS = quick ? 20 : 40;
const CAPACITY = 4;
const TICK_MS = quick ? 10 : 20;
const LIMIT_MS = 10_000; // on every blocking call: a bug shows as an error, not a hang

// What each thread is doing, in a shared Int32Array the main thread samples: one slot per thread.
const STARTING = 0;
const WORKING = 1; // making or handling an item
const BLOCKED_PUT = 2; // in put(), the queue full
const WAITING_GET = 3; // in get(), the queue empty
const DONE = 4;

interface Job {
  role: 'producer' | 'consumer';
  index: number; // 0.. among its role
  slot: number; // its slot in `states`
  queue: SharedArrayBuffer;
  states: SharedArrayBuffer;
  go: SharedArrayBuffer; // the start line: 0 until the main thread says go
}

// ---- the worker threads (this same file, started by startWorker) ----

function producer(job: Job, queue: Queue, states: Int32Array): void {
  let blocked = 0;
  let blockedMs = 0;
  let sum = 0;
  for (let k = 0; k < ITEMS; k++) {
    Atomics.store(states, job.slot, WORKING);
    sleepThread(PRODUCE_MS); // making the item
    const item = job.index * 1000 + k;
    try {
      queue.putNowait(item);
    } catch (e) {
      if (!(e instanceof QueueFull)) throw e;
      blocked++;
      Atomics.store(states, job.slot, BLOCKED_PUT);
      const t0 = performance.now();
      queue.put(item, LIMIT_MS); // back-pressure: sleeps until a consumer makes room
      blockedMs += performance.now() - t0;
    }
    sum += item;
  }
  Atomics.store(states, job.slot, DONE);
  parentPort!.postMessage({ type: 'done', role: 'producer', index: job.index, items: ITEMS, sum, blocked, blockedMs });
}

function consumer(job: Job, queue: Queue, states: Int32Array): void {
  let items = 0;
  let sum = 0;
  let waitedMs = 0;
  for (;;) {
    Atomics.store(states, job.slot, WAITING_GET);
    const t0 = performance.now();
    let item: number;
    try {
      item = queue.get(LIMIT_MS); // sleeps while the queue is empty
    } catch (e) {
      if (e instanceof QueueShutDown) break; // shut down and drained: time to go
      throw e;
    }
    waitedMs += performance.now() - t0;
    Atomics.store(states, job.slot, WORKING);
    sleepThread(CONSUME_MS); // handling the item
    items++;
    sum += item;
  }
  Atomics.store(states, job.slot, DONE);
  parentPort!.postMessage({ type: 'done', role: 'consumer', index: job.index, items, sum, waitedMs });
}

if (!isMainThread) {
  const job = workerData as Job;
  const queue = Queue.from(job.queue);
  const states = new Int32Array(job.states);
  parentPort!.postMessage({ type: 'ready' });
  Atomics.wait(new Int32Array(job.go), 0, 0, LIMIT_MS); // everybody starts together
  if (job.role === 'producer') producer(job, queue, states);
  else consumer(job, queue, states);
}

// ---- the main thread ----

type Done = { type: 'done'; role: string; index: number; items: number; sum: number; blocked?: number; blockedMs?: number; waitedMs?: number };

/** Resolves with the worker's next message of `type`; rejects if it fails, exits first or takes over `ms`. */
function message<T>(worker: ReturnType<typeof startWorker>, type: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" from a worker within ${ms} ms`)), ms);
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(m as T);
    };
    worker.on('message', onMessage);
    worker.once('error', (e) => (clearTimeout(timer), reject(e)));
    worker.once('exit', (code) => (clearTimeout(timer), reject(new Error(`a worker exited (code ${code}) early`))));
  });
}

async function main(): Promise<void> {
  const queue = Queue.create(CAPACITY);
  const threads = PRODUCERS + CONSUMERS;
  const states = new Int32Array(new SharedArrayBuffer(threads * 4));
  const go = new Int32Array(new SharedArrayBuffer(4));
  const me = new URL(import.meta.url);
  const jobs: Job[] = [
    ...Array.from({ length: PRODUCERS }, (_, i) => ({ role: 'producer' as const, index: i, slot: i })),
    ...Array.from({ length: CONSUMERS }, (_, i) => ({ role: 'consumer' as const, index: i, slot: PRODUCERS + i })),
  ].map((j) => ({ ...j, queue: queue.buffer, states: states.buffer as SharedArrayBuffer, go: go.buffer as SharedArrayBuffer }));

  console.log(
    `${PRODUCERS} producers make ${ITEMS} items each, one per ${PRODUCE_MS} ms; ${CONSUMERS} consumers need ${CONSUME_MS} ms\n` +
      `per item. Between them, one Queue of capacity ${CAPACITY}. Starting ${threads} worker threads...` +
      (quick ? '\n(quick mode: fewer items and shorter times than the lesson quotes)' : '') +
      '\n',
  );
  const workers = jobs.map((job) => startWorker(me, { ...job }));
  const stopAll = setTimeout(() => workers.forEach((w) => void w.terminate()), 20_000);
  try {
    await Promise.all(workers.map((w) => message(w, 'ready', 15_000)));
    const finished = workers.map((w) => message<Done>(w, 'done', 15_000));
    finished.forEach((p) => p.catch(() => {})); // awaited below; no unhandled rejection meanwhile

    // Go, and sample every TICK_MS: what each thread does, and how full the queue is.
    const strips: string[] = Array.from({ length: threads }, () => '');
    let fill = '';
    const t0 = performance.now();
    let shutdownAt = -1;
    let leftAtShutdown = 0;
    const sample = () => {
      for (let i = 0; i < threads; i++) strips[i] += ' =#. '[Atomics.load(states, i)] ?? '?';
      fill += String(queue.size);
    };
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const sampler = setInterval(sample, TICK_MS);
    sample();

    const produced = await Promise.all(finished.slice(0, PRODUCERS));
    shutdownAt = fill.length; // the sample at which we shut the queue down
    leftAtShutdown = queue.size;
    queue.shutdown(); // no more puts; the consumers drain what is left, then get QueueShutDown
    const consumed = await Promise.all(finished.slice(PRODUCERS));
    const totalMs = performance.now() - t0;
    clearInterval(sampler);
    sample();

    const label = (i: number) => (i < PRODUCERS ? `producer ${i + 1}` : `consumer ${i - PRODUCERS + 1}`);
    console.log(`Every ${TICK_MS} ms, each thread ('=' working, '#' blocked in put, queue full,`);
    console.log(`'.' waiting in get, queue empty) and the items in the queue (0-${CAPACITY}):\n`);
    for (let i = 0; i < threads; i++) console.log(`  ${label(i).padEnd(11)} ${strips[i]!.trimEnd()}`);
    console.log(`  ${'in queue'.padEnd(11)} ${fill}`);
    console.log(`  ${''.padEnd(11)} ${' '.repeat(shutdownAt)}^ shutdown()\n`);

    const rows = [
      ...produced.map((d) => [`producer ${d.index + 1}`, `put ${d.items}`, `${d.blocked} of ${d.items} puts waited`, `${d.blockedMs!.toFixed(0)} ms blocked`]),
      ...consumed.map((d) => [`consumer ${d.index + 1}`, `got ${d.items}`, '', `${d.waitedMs!.toFixed(0)} ms waiting`]),
    ];
    for (const line of table(['thread', 'items', 'put() found the queue full', 'asleep in the Queue'], rows)) console.log(`  ${line}`);

    const sum = (ds: Done[], k: 'items' | 'sum') => ds.reduce((n, d) => n + d[k], 0);
    const ok = sum(produced, 'items') === sum(consumed, 'items') && sum(produced, 'sum') === sum(consumed, 'sum');
    const blockedMs = produced.reduce((n, d) => n + d.blockedMs!, 0) / PRODUCERS;
    console.log(`
  ${sum(produced, 'items')} items put, ${sum(consumed, 'items')} taken, checksums ${ok ? 'equal: none lost, none doubled' : 'DIFFER'}.
  ${totalMs.toFixed(0)} ms in all, from the start line to the last consumer's report.

What happened:
  - The producers could make ${PRODUCERS * ITEMS} items in ${ITEMS * PRODUCE_MS} ms; the consumers handle one per
    ${CONSUME_MS / CONSUMERS} ms together. The queue filled within the first samples, and from
    then on the producers slept in put() (${blockedMs.toFixed(0)} ms each, of ${totalMs.toFixed(0)}), in
    Atomics.wait, until a get() made room. That is
    back-pressure: the fast side runs at the pace of the slow one, and the
    queue never holds more than ${CAPACITY} items, however long the run.
  - An unbounded queue would have taken everything at once: the producers
    would have finished early, and the items waited in memory instead.
  - When both producers were done, shutdown() found ${leftAtShutdown} item${leftAtShutdown === 1 ? '' : 's'} in the queue. The
    consumers drained them, then get() threw QueueShutDown and they left:
    a clean end, with no "poison pill" item and no thread left asleep.`);
  } finally {
    clearTimeout(stopAll);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (isMainThread) await main();
