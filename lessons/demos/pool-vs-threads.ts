// A thread per client, a fixed pool, an event loop: threads, memory and time
//
// What it shows: N clients arrive at once, and serving each one means waiting
// 50 ms, the way a session waits in a blocking recv(). Three ways to serve
// them, each in a fresh child process so that their figures do not mix:
//   1. a thread per client: N worker threads, each blocks 50 ms in
//      Atomics.wait (a blocking call, like recv) and ends;
//   2. a fixed pool of 4 worker threads: each takes the next client's number
//      from a shared counter (Atomics.add) and serves it, until none is left;
//   3. one event loop: N async sessions, each awaits a 50 ms timer.
// For N = 8 and N = 64 (4 and 16 with LEARN_IO_DEMO_QUICK=1) each child
// reports the wall time until the last client was served, the longest wait a
// client had before its session began, the peak number of threads of the
// process and of its resident memory (RSS), and the context switches the
// kernel counted for the whole process (getrusage).
// Bounded: six child processes of about a second or less each, killed after
// 30 s in any case. The 64 threads need a few hundred MB for a moment.
//
// Backs the lesson's claim C17: blocking I/O with a thread per client is fine
// for a few clients and a wall for many; a pool caps the cost and makes the
// extra clients wait; an event loop waits for all of them in one thread.
import { spawnSync } from 'node:child_process';
import { quick, table } from '../../src/demo-kit.ts';

const SESSION_MS = quick ? 30 : 50;
const POOL = 4;
const SIZES = quick ? [4, 16] : [8, 64];

// The child: plain JavaScript (no TypeScript loader, so that the figures are Node's own). Its
// worker threads are plain JavaScript too (eval), and block with Atomics.wait like a recv().
const CHILD = `
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
const [model, n, sessionMs, pool] = [process.argv[1], ...process.argv.slice(2).map(Number)];

const threadsNow = () => { try { return fs.readdirSync('/proc/self/task').length; } catch { return NaN; } };
const start = { rss: process.memoryUsage.rss(), threads: threadsNow() };
const peak = { ...start };
const sample = () => {
  peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
  peak.threads = Math.max(peak.threads, threadsNow());
};
const sampler = setInterval(sample, 2);

// When each session began, in ms since the clients arrived (a shared table the threads write to).
const began = new Float64Array(new SharedArrayBuffer(8 * n));
const next = new Int32Array(new SharedArrayBuffer(4)); // the pool's counter: the next client to serve

// One session: wait sessionMs in a blocking call. In a worker, this is all the worker does.
const SESSION = \`
const { workerData } = require('node:worker_threads');
const { began, next, n, sessionMs, t0, one } = workerData;
const times = new Float64Array(began);
const counter = new Int32Array(next);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const serve = (i) => {
  times[i] = performance.timeOrigin + performance.now() - t0;
  Atomics.wait(sleeper, 0, 0, sessionMs); // a blocking call: this thread sleeps, like recv()
};
if (one !== undefined) serve(one);                 // a thread per client: one session, then exit
else for (let i; (i = Atomics.add(counter, 0, 1)) < n; ) serve(i); // a pool thread: until none is left
\`;

function worker(data) {
  const w = new Worker(SESSION, { eval: true, execArgv: [], workerData: data });
  return new Promise((resolve, reject) => { w.on('exit', resolve); w.on('error', reject); });
}

const usage0 = process.resourceUsage();
const cpu0 = process.cpuUsage();
const t0 = performance.timeOrigin + performance.now();
const data = { began: began.buffer, next: next.buffer, n, sessionMs, t0 };
if (model === 'threads') {
  await Promise.all(Array.from({ length: n }, (_, i) => worker({ ...data, one: i })));
} else if (model === 'pool') {
  await Promise.all(Array.from({ length: pool }, () => worker(data)));
} else {
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    began[i] = performance.timeOrigin + performance.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, sessionMs)); // the loop runs others meanwhile
  }));
}
const wallMs = performance.timeOrigin + performance.now() - t0;
sample();
clearInterval(sampler);
const usage = process.resourceUsage();
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  cpuMs: (cpu.user + cpu.system) / 1000,
  wallMs,
  longestWaitMs: Math.max(...began),
  threads: peak.threads, threadsAtStart: start.threads,
  rssMB: peak.rss / 2 ** 20, rssAtStartMB: start.rss / 2 ** 20,
  switches: usage.voluntaryContextSwitches + usage.involuntaryContextSwitches
    - usage0.voluntaryContextSwitches - usage0.involuntaryContextSwitches,
}));
`;

interface Figures {
  cpuMs: number;
  wallMs: number;
  longestWaitMs: number;
  threads: number | null;
  threadsAtStart: number | null;
  rssMB: number;
  rssAtStartMB: number;
  switches: number;
}

function run(model: string, n: number): Figures {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, model, String(n), String(SESSION_MS), String(POOL)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`the ${model} child failed (${r.error?.message ?? `status ${r.status}, signal ${r.signal}`}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Figures;
}

const models = [
  { id: 'threads', label: 'thread per client' },
  { id: 'pool', label: `pool of ${POOL} threads` },
  { id: 'loop', label: 'one event loop' },
];

console.log(
  `N clients arrive at once; each session waits ${SESSION_MS} ms in a blocking call. Each way\n` +
    `of serving them runs in a fresh Node process.` +
    (quick ? '\n(quick mode: fewer clients than the lesson quotes)' : '') +
    '\n',
);

const results: { model: string; n: number; f: Figures }[] = [];
for (const n of SIZES) for (const m of models) results.push({ model: m.id, n, f: run(m.id, n) });

const ms = (x: number) => `${x.toFixed(0)} ms`;
const rows = results.map(({ model, n, f }) => [
  models.find((m) => m.id === model)!.label,
  String(n),
  ms(f.wallMs),
  ms(f.longestWaitMs),
  f.threads === null ? 'n/a' : String(f.threads),
  `${(f.rssMB - f.rssAtStartMB).toFixed(0)} MB`.padStart(7), // the table right-aligns numbers only
  ms(f.cpuMs),
  String(f.switches),
]);
const lines = table(['model', 'N', 'done', 'waited', 'threads', '+memory', 'CPU', 'ctx sw'], rows);
lines.forEach((line, i) => {
  console.log(`  ${line}`);
  if (i > 1 && i < lines.length - 1 && (i - 1) % models.length === 0) console.log('');
});

const get = (model: string, n: number) => results.find((r) => r.model === model && r.n === n)!.f;
const [small, big] = SIZES as [number, number];
const loop = get('loop', big);
const many = get('threads', big);
const pool = get('pool', big);
const perThread = (f: Figures) => (f.rssMB - f.rssAtStartMB) / Math.max(1, (f.threads ?? 0) - (f.threadsAtStart ?? 0));
console.log(`
  done: when the last client was served. waited: the longest a client waited
  before its session began. threads: the process's peak, from /proc/self/task
  (an idle Node has ${loop.threadsAtStart ?? 'n/a'}: the main one and helpers of V8 and Node; libuv's
  pool would add 4 on first use). +memory: peak resident memory (RSS) above
  the ${loop.rssAtStartMB.toFixed(0)} MB the process started with. CPU: the process's CPU time.
  ctx sw: context switches of all its threads (getrusage).

What happened:
  - A thread per client served ${small} clients in ${ms(get('threads', small).wallMs)} and ${big} in ${ms(many.wallMs)}. Each
    session only waits, yet every thread had to be created, scheduled and
    given memory: about ${perThread(many).toFixed(0)} MB per live thread, ${ms(many.cpuMs)} of CPU, ${many.switches} context
    switches. The last client's session began after ${ms(many.longestWaitMs)}: starting ${big}
    threads kept the cores busy. A Node worker is a heavy thread (its own
    JavaScript engine and event loop); a C or Python thread is far lighter,
    but its cost grows with N just the same: fine for a few, a wall for many.
  - The pool never had more than ${POOL} threads, whatever N: started once,
    reused. Clients past the first ${POOL} waited their turn; at ${big} the last began
    after ${ms(pool.longestWaitMs)}. A pool caps the cost and moves the wait to the clients.
  - The event loop served ${big} waiting clients in ${ms(loop.wallMs)} with no thread added
    and ${ms(loop.cpuMs)} of CPU: its sessions wait for timers (for sockets: epoll),
    not in blocking calls. Threads pay off where calls can only block, or
    where there is computing to spread over the cores.`);
