// Shared data without locks: safe between switch points, unsafe across a yield
//
// What it shows, in three rounds that all add 1 to a shared counter many times:
//   1. Two worker threads (real, kernel-scheduled, running at the same time on
//      different cores) each do `counter[0] = counter[0] + 1` on shared memory.
//      Updates get lost: the kernel may run both at once, or preempt one
//      between its read and its write. (Atomics.add fixes it: shown too.)
//   2. Three coroutines on one thread do the same with no lock at all, yielding
//      after every increment. Nothing is lost: a coroutine cannot be
//      interrupted between its read and its write, because it only gives up
//      the thread at a yield.
//   3. The same coroutines, but with a yield placed *between* the read and the
//      write. Now updates are lost again, on a single thread: an invariant that
//      spans a yield is exposed to every other coroutine.
// Bounded: well under a second; stops by itself.
//
// Backs the lesson's claim C06 (one thread; shared data needs no locks between
// switch points; each coroutine keeps its own context) and the caveat that
// invariants across a yield still matter.
import { Worker } from 'node:worker_threads';

const PER_THREAD = 2_000_000;
const PER_COROUTINE = 10_000;

// ---------------------------------------------------------------- round 1
const WORKER_SRC = `
const { workerData } = require('node:worker_threads');
const counter = new Int32Array(workerData.sab);
const go = new Int32Array(workerData.go);
Atomics.wait(go, 0, 0);           // start together with the other worker
for (let i = 0; i < workerData.n; i++) {
  if (workerData.atomic) Atomics.add(counter, 0, 1);
  else counter[0] = counter[0] + 1; // read, add, write: three steps
}
`;

async function threads(atomic: boolean): Promise<number> {
  const sab = new SharedArrayBuffer(4);
  const go = new SharedArrayBuffer(4);
  const workers = [0, 1].map(
    () => new Worker(WORKER_SRC, { eval: true, workerData: { sab, go, n: PER_THREAD, atomic } }),
  );
  const exited = workers.map((w) => new Promise<void>((res, rej) => w.once('exit', () => res()).once('error', rej)));
  await new Promise((res) => setTimeout(res, 50)); // let both reach the start line
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  await Promise.all(exited);
  return new Int32Array(sab)[0]!;
}

// ---------------------------------------------------------------- rounds 2 and 3
let balance = 0;

function* depositor(times: number): Generator<void, void, void> {
  for (let i = 0; i < times; i++) {
    balance = balance + 1; // read and write with no yield in between
    yield; // switch point: only here can another coroutine run
  }
}

function* sloppyDepositor(times: number): Generator<void, void, void> {
  for (let i = 0; i < times; i++) {
    const seen = balance; // read ...
    yield; // ... switch point in the middle of the update ...
    balance = seen + 1; // ... write back a stale value
  }
}

function roundRobin(gens: Array<Generator<void, void, void>>): void {
  const queue = [...gens];
  while (queue.length > 0) {
    const g = queue.shift()!;
    if (!g.next().done) queue.push(g);
  }
}

const n = (x: number): string => x.toLocaleString('en-US').padStart(10);
function line(label: string, got: number, expected: number): void {
  console.log(`  ${label.padEnd(33)} ${n(got)} ${n(expected)} ${n(expected - got)}`);
}

console.log('Adding 1 to a shared counter, many times, from several places at once:\n');
console.log(`  ${'who adds'.padEnd(33)} ${'result'.padStart(10)} ${'expected'.padStart(10)} ${'lost'.padStart(10)}`);
const plain = await threads(false);
line('2 threads, plain read-add-write', plain, 2 * PER_THREAD);
const atomic = await threads(true);
line('2 threads, Atomics.add', atomic, 2 * PER_THREAD);

balance = 0;
roundRobin([depositor(PER_COROUTINE), depositor(PER_COROUTINE), depositor(PER_COROUTINE)]);
const safe = balance;
line('3 coroutines, no lock', safe, 3 * PER_COROUTINE);

balance = 0;
roundRobin([sloppyDepositor(PER_COROUTINE), sloppyDepositor(PER_COROUTINE), sloppyDepositor(PER_COROUTINE)]);
const sloppy = balance;
line('3 coroutines, yield inside update', sloppy, 3 * PER_COROUTINE);

console.log(`
What happened:
  - Threads: ${
    plain < 2 * PER_THREAD
      ? `both workers ran at the same time (or were preempted by the kernel
    at any instruction), so one's read-add-write overlapped the other's and
    ${(2 * PER_THREAD - plain).toLocaleString('en-US')} increments vanished.`
      : `no update was lost this time (with one CPU the workers rarely
    overlap), but nothing guarantees it: the kernel may preempt a thread
    between its read and its write.`
  } Threads need atomics or locks for this.
  - Coroutines: one thread, and a coroutine keeps the thread until its next
    yield. The three-step update can never be cut in half, so no lock was
    needed and the count is exact.
  - Yield inside the update: each coroutine read the counter, let the others
    run, then wrote back what it had read plus one, overwriting their work.
    No lock is needed between switch points, but any invariant that has to
    hold across a yield is your job (re-read after the yield, or do not yield
    in the middle).`);
