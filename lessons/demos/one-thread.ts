// Every task reports the same thread: concurrency without a second thread
//
// What it shows: three async functions (tasks of Node's own hub, the event
// loop) and three generator tasks (driven by a round-robin loop written
// below) take turns, and at each turn they say where they run: Node's
// threadId (node:worker_threads), the process id, and the kernel's id for the
// calling thread (/proc/thread-self, Linux). All six tasks, at every turn,
// report the same three numbers. Then one worker thread reports a different
// threadId and kernel thread id: that is what a real second thread looks like.
// gevent is the same: every greenlet runs on the thread that runs the hub.
// Bounded: six tasks of three turns, one worker; about a second.
//
// Backs the lesson's claim C12 (every coroutine reports the same thread).
import { readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId, Worker } from 'node:worker_threads';
import { quick, table } from '../../src/demo-kit.ts';

const TURNS = quick ? 2 : 3;

// The kernel's id for the calling thread: /proc/thread-self links to <pid>/task/<tid>.
function kernelTid(): string {
  try {
    return readlinkSync('/proc/thread-self').split('/').pop() ?? '?';
  } catch {
    return 'n/a';
  }
}

type Row = [task: string, turn: string, threadId: string, pid: string, kernelTid: string];
const rows: Row[] = [];
const here = (task: string, turn: number): Row => [task, String(turn), String(threadId), String(process.pid), kernelTid()];

// Part 1: async functions; every await is a switch point of the event loop.
async function asyncTask(name: string): Promise<void> {
  for (let turn = 1; turn <= TURNS; turn++) {
    rows.push(here(name, turn));
    await sleep(5);
  }
}
await Promise.all(['async a', 'async b', 'async c'].map(asyncTask));

// Part 2: generators; every yield hands the thread back to this little driver.
function* genTask(name: string): Generator<void, void, void> {
  for (let turn = 1; turn <= TURNS; turn++) {
    rows.push(here(name, turn));
    yield;
  }
}
const ready = ['gen x', 'gen y', 'gen z'].map(genTask);
while (ready.length > 0) {
  const task = ready.shift()!;
  if (!task.next().done) ready.push(task); // not finished: to the back of the queue
}

// Part 3: a worker thread, for contrast. Plain JavaScript (CommonJS), started without tsx.
const WORKER = `
const { threadId, parentPort } = require('node:worker_threads');
const { readlinkSync } = require('node:fs');
let tid = 'n/a';
try { tid = readlinkSync('/proc/thread-self').split('/').pop(); } catch {}
parentPort.postMessage(['worker', '1', String(threadId), String(process.pid), tid]);
`;
const worker = new Worker(WORKER, { eval: true, execArgv: [] });
const workerRow = await new Promise<Row>((resolve, reject) => {
  worker.once('message', resolve);
  worker.once('error', reject);
});
await worker.terminate();

console.log(`Six tasks take turns (${TURNS} each), then a worker thread says where it runs.\n`);
const header = ['task', 'turn', 'threadId', 'pid', 'kernel thread id'];
const lines = table(header, [...rows, workerRow]);
lines.forEach((line, i) => {
  if (i === 2 + rows.length) console.log('  ' + '-'.repeat(lines[1]!.length)); // before the worker's row
  console.log(`  ${line}`);
});

const distinct = new Set(rows.map((r) => `${r[2]} ${r[3]} ${r[4]}`));
console.log(`
What happened:
  - ${rows.length} turns of 6 tasks, two kinds of scheduler, and ${distinct.size === 1 ? 'one' : distinct.size} (threadId, pid,
    kernel thread id) among them: ${[...distinct].join(' | ')}. The tasks are
    data inside one thread; the kernel schedules that thread and knows
    nothing of them. (On Linux the main thread's id is the process id.)
  - The worker is a thread of its own: threadId ${workerRow[2]}, kernel id ${workerRow[4]}, same pid.
    (Node numbers threads as it creates them; under learn-io run, the thread
    of tsx's module hooks came first.) Only a real thread could run at the
    same time as the tasks, on a second core, and keep running if they all
    blocked.
  - In gevent with monkey-patching, threading.current_thread() names each
    greenlet a stand-in "_DummyThread" (Dummy-1, Dummy-2, ...), yet
    threading.get_native_id() gives the same kernel id for all: one thread.`);
