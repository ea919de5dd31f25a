// Three generator tasks take turns on one thread under a tiny round-robin driver
//
// What it shows: three tasks, each written as an ordinary-looking loop in a
// generator function, run interleaved. Every `yield` hands control back to
// a ten-line driver, which resumes the next task in the queue. Nothing runs
// in parallel: each step prints the thread id, and it is the same (main)
// thread every time. Each task keeps its own local variables between turns.
//
// Backs the lesson's claims C01 (a coroutine is scheduled by the program, not
// the OS), C04 (concurrency inside one thread) and C06 (one thread, each
// coroutine keeps its own context).
import { readdirSync, readlinkSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

// The kernel's id for the calling thread (Linux: /proc/thread-self -> <pid>/task/<tid>).
function kernelTid(): string {
  try {
    return readlinkSync('/proc/thread-self').split('/').pop() ?? '?';
  } catch {
    return 'n/a';
  }
}

// How many threads the kernel schedules for this process right now.
function kernelThreadCount(): string {
  try {
    return String(readdirSync('/proc/self/task').length);
  } catch {
    return 'n/a (no /proc)';
  }
}

const where = (): string => `thread ${threadId}, kernel tid ${kernelTid()}`;
const threadsBefore = kernelThreadCount();

type Task = { name: string; gen: Generator<void, string, void> };

const timeline: string[] = [];

function* countdown(name: string, from: number): Generator<void, string, void> {
  let n = from; // local state: survives every suspension
  while (n > 0) {
    timeline.push(name);
    console.log(`  ${name.padEnd(8)} n=${n}       (${where()})`);
    n -= 1;
    yield; // give the thread back to the driver
  }
  return `${name} counted down from ${from}`;
}

function* fizz(name: string, limit: number): Generator<void, string, void> {
  const words: string[] = []; // grows across turns, private to this task
  for (let i = 1; i <= limit; i++) {
    const w = i % 3 === 0 ? 'fizz' : String(i);
    words.push(w);
    timeline.push(name);
    console.log(`  ${name.padEnd(8)} says ${w.padEnd(4)} (${where()})`);
    yield;
  }
  return `${name} said: ${words.join(' ')}`;
}

// The whole "scheduler": a queue of suspended generators.
function runRoundRobin(tasks: Task[]): void {
  const queue = [...tasks];
  let switches = 0;
  while (queue.length > 0) {
    const task = queue.shift()!;
    const step = task.gen.next(); // switch INTO the task ...
    switches += 1; // ... and it switched back out at its next yield
    if (step.done) {
      console.log(`  ${'driver'.padEnd(8)} ${task.name} finished -> "${step.value}"`);
    } else {
      queue.push(task); // back of the line
    }
  }
  console.log(`\n  driver resumed a task ${switches} times`);
}

console.log('Three tasks, one thread, a round-robin driver:\n');
const tasks: Task[] = [
  { name: 'rocket', gen: countdown('rocket', 4) },
  { name: 'fizzer', gen: fizz('fizzer', 6) },
  { name: 'timer', gen: countdown('timer', 2) },
];
const threadsWithTasks = kernelThreadCount();
runRoundRobin(tasks);

console.log('\nOrder of turns (one letter per step):');
console.log('  ' + timeline.map((n) => n[0]!.toUpperCase()).join(' '));
console.log(`
What happened:
  - Each task is written as a plain loop, yet they ran in turns: r f t r f t ...
    The driver, not the kernel, decided who runs next (a user-space scheduler).
  - Every line reports the same thread (JS thread ${threadId}, kernel tid ${kernelTid()}):
    one OS thread did all the work.
  - The kernel schedules ${threadsBefore} threads for this process before the tasks exist
    and ${threadsWithTasks} after creating them (Node's own helper threads: V8, libuv).
    Creating coroutines created no kernel threads; the kernel cannot see them.
  - Each task kept its own locals (n, words, i) between turns: its own context.
  - A task gave up the thread only at its own 'yield'. Nothing forced it to.`);
