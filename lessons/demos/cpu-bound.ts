// Switching pays only when it overlaps waiting: pure computation vs timer waits
//
// What it shows, in two parts:
//   1. Pure computation. Two tasks each do the same fixed amount of arithmetic.
//      Run one after the other, then as generators that yield every few
//      thousand iterations so a round-robin driver interleaves them. Same
//      thread, same total work: the interleaved run takes as long or longer
//      (it adds switches), and each task finishes later on average.
//   2. Waiting. Four tasks each make three "requests" that wait 100 ms on a
//      timer (a stand-in for network I/O). One after the other that is
//      4 x 3 x 100 ms; as coroutines that yield while they wait, the waits
//      overlap and the whole batch takes about 3 x 100 ms.
// Bounded: about 2 seconds in total; stops by itself.
//
// Backs the lesson's claim C03 (switching pays only when it overlaps waiting on
// I/O; switching pure computation gains nothing).
import { performance } from 'node:perf_hooks';

// ---------------------------------------------------------------- part 1
const ITERATIONS = 6_000_000; // per task
const SLICE = 5_000; // iterations between two yields in the interleaved run
const FINE_SLICE = 2; // a much finer interleaving, to make the switch overhead visible

let sink = 0;

function* crunch(seed: number, slice: number): Generator<void, number, void> {
  let x = seed;
  for (let i = 0; i < ITERATIONS; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff; // a little pseudo-random arithmetic
    if (slice > 0 && i % slice === 0) yield;
  }
  return x;
}

// Run generators round-robin; record when each one finishes.
function roundRobin(gens: Array<Generator<void, number, void>>, t0: number): number[] {
  const finished: number[] = new Array<number>(gens.length).fill(0);
  const queue = gens.map((g, i) => ({ g, i }));
  while (queue.length > 0) {
    const item = queue.shift()!;
    const r = item.g.next();
    if (r.done) {
      sink += r.value;
      finished[item.i] = performance.now() - t0;
    } else queue.push(item);
  }
  return finished;
}

function sequential(): { total: number; finished: number[] } {
  const t0 = performance.now();
  const finished: number[] = [];
  for (const seed of [1, 2]) {
    // slice 0: never yields, just runs to the end
    const r = crunch(seed, 0).next();
    sink += r.done ? r.value : 0;
    finished.push(performance.now() - t0);
  }
  return { total: performance.now() - t0, finished };
}

function interleaved(slice: number): { total: number; finished: number[] } {
  const t0 = performance.now();
  const finished = roundRobin([crunch(1, slice), crunch(2, slice)], t0);
  return { total: performance.now() - t0, finished };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const ms = (x: number): string => `${x.toFixed(0).padStart(5)} ms`;

console.log('Part 1: pure computation, two tasks, one thread\n');
sequential(); // warm-up: let the JIT compile crunch()
interleaved(SLICE);
const seqRuns: Array<{ total: number; finished: number[] }> = [];
const intRuns: Array<{ total: number; finished: number[] }> = [];
const fineRuns: Array<{ total: number; finished: number[] }> = [];
for (let r = 0; r < 3; r++) {
  seqRuns.push(sequential());
  intRuns.push(interleaved(SLICE));
  fineRuns.push(interleaved(FINE_SLICE));
}
const pick = (runs: Array<{ total: number; finished: number[] }>) => {
  const m = median(runs.map((r) => r.total));
  return runs.find((r) => r.total === m)!;
};
const seq = pick(seqRuns);
const inter = pick(intRuns);
const fine = pick(fineRuns);
const switches = (slice: number): string => (2 * Math.ceil(ITERATIONS / slice)).toLocaleString('en-US');
const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

console.log(`  work: 2 tasks x ${ITERATIONS.toLocaleString('en-US')} iterations; median of 3 runs`);
console.log('                         total   task A done  task B done  average finish');
const row = (label: string, r: { total: number; finished: number[] }): void =>
  console.log(
    `  ${label.padEnd(20)} ${ms(r.total)}   ${ms(r.finished[0]!)}     ${ms(r.finished[1]!)}     ${ms(avg(r.finished))}`,
  );
row('one after the other', seq);
row(`yield every ${SLICE.toLocaleString('en-US')}`, inter);
row(`yield every ${FINE_SLICE}`, fine);
console.log(`  (switches: ${switches(SLICE)} in the coarse run, ${switches(FINE_SLICE)} in the fine run)`);
console.log(`
  Coarse interleaving took ${(inter.total / seq.total).toFixed(2)}x the sequential time (a few percent
  either way is noise); fine interleaving took ${(fine.total / seq.total).toFixed(2)}x, because there the
  switches themselves add up. The CPU had the same work to do and one thread
  to do it with, so switching could not make it faster. And it made task A
  finish later (${inter.finished[0]!.toFixed(0)} ms instead of ${seq.finished[0]!.toFixed(0)} ms) without making task B finish sooner.
`);

// ---------------------------------------------------------------- part 2
const TASKS = 4;
const REQUESTS = 3;
const WAIT_MS = 100;

// A task yields a number: "resume me after this many milliseconds".
function* client(id: number, log: string[]): Generator<number, void, void> {
  for (let r = 1; r <= REQUESTS; r++) {
    log.push(`c${id}:req${r}`);
    yield WAIT_MS; // waiting on "the network": hand the thread back meanwhile
  }
}

// Drive generators that yield wait times. Sequential mode finishes one task
// before starting the next; concurrent mode starts them all and lets their
// waits overlap.
function drive(gens: Array<Generator<number, void, void>>, concurrent: boolean): Promise<void> {
  const step = (g: Generator<number, void, void>, done: () => void): void => {
    const r = g.next();
    if (r.done) done();
    else setTimeout(() => step(g, done), r.value);
  };
  const runOne = (g: Generator<number, void, void>) => new Promise<void>((res) => step(g, res));
  if (concurrent) return Promise.all(gens.map(runOne)).then(() => undefined);
  return gens.reduce((p, g) => p.then(() => runOne(g)), Promise.resolve());
}

async function part2(): Promise<void> {
  console.log(`Part 2: ${TASKS} tasks x ${REQUESTS} requests, each waits ${WAIT_MS} ms on a timer\n`);
  const seqLog: string[] = [];
  let t0 = performance.now();
  await drive(
    Array.from({ length: TASKS }, (_, i) => client(i + 1, seqLog)),
    false,
  );
  const seqMs = performance.now() - t0;

  const conLog: string[] = [];
  t0 = performance.now();
  await drive(
    Array.from({ length: TASKS }, (_, i) => client(i + 1, conLog)),
    true,
  );
  const conMs = performance.now() - t0;

  console.log(`  one after the other ${ms(seqMs)}   (${TASKS} x ${REQUESTS} x ${WAIT_MS} ms = ${TASKS * REQUESTS * WAIT_MS} ms of waiting)`);
  console.log(`  as coroutines       ${ms(conMs)}   (the waits overlap: about ${REQUESTS} x ${WAIT_MS} ms)`);
  console.log(`  speed-up            ${(seqMs / conMs).toFixed(1).padStart(5)} x`);
  console.log(`\n  order, sequential: ${seqLog.slice(0, 6).join(' ')} ...`);
  console.log(`  order, coroutines: ${conLog.slice(0, 6).join(' ')} ...`);
  console.log(`
What happened:
  - Part 1: the thread was busy every moment. Switching between computations
    only reshuffles the same CPU time (and adds a little), so it gains nothing.
  - Part 2: the thread was idle almost every moment, waiting. While one task
    waits, another can issue its request, so the waiting overlaps and the wall
    time drops by ${(seqMs / conMs).toFixed(1)}x, on the same single thread.
  - Coroutines pay off exactly when there is waiting to overlap: network and
    disk I/O, timers, other processes.
  (checksum ${sink % 1000})`);
}

await part2();
