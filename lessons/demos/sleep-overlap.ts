// Two tasks sleeping 2 s and 1 s finish in about 2 s, not 3: the waits overlap
//
// What it shows: the classic gevent example, run on Node's own hub (the event
// loop). Task A sleeps 2 s, task B sleeps 1 s; both are async functions whose
// sleep is a setTimeout promise, so each `await` hands the thread back.
//   1. Concurrently: start A, then B, then wait for both with Promise.all.
//      Both start at t=0, B is done at 1 s, A at 2 s: 2 s in all, the longest
//      sleep, not the sum. (gevent.spawn + gevent.joinall do the same.)
//   2. One after the other: await A, then start B. 3 s: the sum.
//   3. Not joined (sleeps ten times shorter): main starts A and B and returns
//      without waiting. Node's loop still runs them, because a pending timer
//      keeps the process alive; gevent and the course's Hub do not (the
//      program ends with main).
// Also visible: an async function runs as soon as it is called, up to its
// first await ("A starts" comes before main returns), where gevent.spawn only
// schedules the task.
// Every line carries its time since the start of its part. With
// LEARN_IO_DEMO_QUICK=1 the sleeps are 200 ms and 100 ms.
// Bounded: about 5.3 s (0.6 s in quick mode); stops by itself.
//
// Backs the lesson's claims C03 (switching pays when waits overlap), C09
// (spawn, join, joinall, value) and C11 (the main program must join).
import { setTimeout as sleep } from 'node:timers/promises';
import { quick } from '../../src/demo-kit.ts';

const A_MS = quick ? 200 : 2000;
const B_MS = quick ? 100 : 1000;

let t0 = performance.now();
const stamp = (): string => `t=${((performance.now() - t0) / 1000).toFixed(2)} s`;
const log = (what: string): void => console.log(`  ${stamp()}  ${what}`);

let finished: string[] = []; // completion order, as gevent.joinall reports it

async function task(name: string, ms: number): Promise<string> {
  log(`${name} starts, sleeps ${ms / 1000} s`);
  await sleep(ms); // the switch point: the loop runs other tasks meanwhile
  log(`${name} done`);
  finished.push(name);
  return name;
}

if (quick) console.log('(quick mode: 200 ms and 100 ms instead of 2 s and 1 s)\n');

console.log('1. Concurrently: two async functions, then await Promise.all');
t0 = performance.now();
finished = [];
const values = await Promise.all([task('A', A_MS), task('B', B_MS)]);
log(`Promise.all returned [${values.join(', ')}] (list order)`);
const together = performance.now() - t0;
const completion = finished.join(', ');

console.log('\n2. One after the other: await A, then await B');
t0 = performance.now();
await task('A', A_MS);
await task('B', B_MS);
const oneByOne = performance.now() - t0;
log('both done');

console.log(`\n3. Not joined, sleeps ten times shorter: main starts both and returns`);
t0 = performance.now();
let mainReturnedAt = '';
function main(): void {
  void task('A', A_MS / 10); // started, never awaited
  void task('B', B_MS / 10);
  mainReturnedAt = stamp();
  log('main returns without waiting');
}
main();
// Nothing here waits for A and B. This await is only so the summary below prints after them.
await sleep(A_MS / 10 + 50);

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
console.log(`
What happened:
  - Together: ${s(together)} for sleeps of ${s(A_MS)} and ${s(B_MS)}: the longest, not
    the sum.
    Both tasks started before either slept; each await handed the thread
    back, and the loop woke B first. Completion order: ${completion}.
    Promise.all lists values in the order given; gevent.joinall (and the
    Hub's joinAll in the exercise) list tasks in the order they finished.
  - One after the other: ${s(oneByOne)}, the sum. Same sleeps, nothing overlapped.
  - Not joined: main returned at ${mainReturnedAt}, and A and B still ran, because
    Node's loop keeps the process alive while a timer is pending. They had
    even started before main returned: calling an async function runs it at
    once, up to its first await. gevent.spawn only schedules; if main then
    ends without waiting, the program ends and the tasks never start. The
    course's Hub works like gevent: hub.run(main) returns when main returns,
    so main must joinAll what it needs.`);
