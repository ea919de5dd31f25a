// libuv's own thread pool: eight slow calls with UV_THREADPOOL_SIZE 4, then 8
//
// What it shows: Node's asynchronous fs, dns.lookup, zlib and crypto calls that
// have no non-blocking system call behind them run on libuv's thread pool, 4
// threads unless UV_THREADPOOL_SIZE says otherwise. The variable is read once,
// when the pool starts, so each setting runs in a child process of its own:
// first without it (the default, 4), then with UV_THREADPOOL_SIZE=8.
//   1. Eight fs.read() calls on eight empty pipes (FIFOs). Each pool thread
//      sleeps in read(2); the child watches its own threads in /proc and
//      writes a byte into a pipe 100 ms after a thread began to read it. With
//      4 threads, calls 5-8 wait in libuv's queue for a free thread: 4 + 4.
//   2. Four such reads again, and at the same moment a quick call of each kind
//      (fs.readFile, dns.lookup, crypto.pbkdf2, crypto.randomBytes, zlib.gzip)
//      and a timer: with 4 threads the quick calls wait for the slow reads.
// Linux only (FIFOs opened read-write, /proc/self/task/TID/syscall).
// Bounded: two child processes of about half a second each (less with
// LEARN_IO_DEMO_QUICK=1), killed after 15 s in any case.
//
// Backs the lesson's claims on libuv's pool: a fixed number of threads, what
// runs on it, and that a slow call of one kind makes every other kind queue.
import { spawnSync } from 'node:child_process';
import { quick, table } from '../../src/demo-kit.ts';

const CALLS = 8;
const WAIT_MS = quick ? 50 : 100;
const WIDTH = 28; // columns of one timeline

// The child: plain JavaScript, started with or without UV_THREADPOOL_SIZE. It prints one line of
// JSON: for part 1, when a pool thread began each read (NaN when unseen) and when its callback ran,
// in ms since the calls were made; for part 2, how long each quick call took.
const CHILD = `
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import dns from 'node:dns';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
const [calls, waitMs] = process.argv.slice(1).map(Number);
// read(2)'s number in /proc/<pid>/task/<tid>/syscall (x64, arm64)
const READ = { x64: 0, arm64: 63 }[process.arch];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-uv-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

// n reads of n empty pipes at once; each pipe gets a byte waitMs after a pool thread began to read it.
function readPipes(n) {
  const names = Array.from({ length: n }, () => path.join(dir, 'pipe' + Math.random().toString(36).slice(2)));
  execFileSync('mkfifo', names);
  // Opened for reading and writing, a FIFO does not wait for a partner (Linux).
  const fds = names.map((name) => fs.openSync(name, fs.constants.O_RDWR));
  const index = new Map(fds.map((fd, i) => [fd, i]));
  const rows = fds.map(() => ({ began: NaN, done: NaN }));
  const answer = (i) => fs.writeSync(fds[i], 'x');
  let left = n;
  let done;
  // Our own threads, seen in /proc: which pool thread sleeps in read() on which pipe?
  const watch = setInterval(() => {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      let call;
      try { call = fs.readFileSync('/proc/self/task/' + tid + '/syscall', 'utf8').split(' '); } catch { continue; }
      const i = Number(call[0]) === READ ? index.get(Number(call[1])) : undefined;
      if (i === undefined || !Number.isNaN(rows[i].began)) continue;
      rows[i].began = performance.now() - t0;
      setTimeout(answer, waitMs, i);
    }
  }, 1);
  // If /proc tells us nothing, answer every pipe after a second rather than never.
  const fallback = setTimeout(() => fds.forEach((_, i) => Number.isNaN(rows[i].began) && answer(i)), 1000);
  const t0 = performance.now();
  fds.forEach((fd, i) => fs.read(fd, Buffer.alloc(1), 0, 1, null, () => {
    rows[i].done = performance.now() - t0;
    fs.closeSync(fd);
    if (--left === 0) { clearInterval(watch); clearTimeout(fallback); done(rows); }
  }));
  return new Promise((resolve) => (done = resolve));
}

// Quick calls of every kind, and a timer: how long each takes from the call to its callback.
const small = path.join(dir, 'small.txt');
fs.writeFileSync(small, 'x'.repeat(1024));
function quickCalls() {
  const t0 = performance.now();
  return Promise.all([
    ['fs.readFile, 1 KB', (cb) => fs.readFile(small, cb)],
    ["dns.lookup('localhost')", (cb) => dns.lookup('localhost', cb)],
    ['crypto.pbkdf2, 1000 rounds', (cb) => crypto.pbkdf2('secret', 'salt', 1000, 32, 'sha256', cb)],
    ['crypto.randomBytes(16)', (cb) => crypto.randomBytes(16, cb)],
    ['zlib.gzip, 1 KB', (cb) => zlib.gzip(Buffer.alloc(1024), cb)],
    ['setTimeout 5 ms (no pool)', (cb) => setTimeout(cb, 5)],
  ].map(([name, start]) => new Promise((resolve) => start((err) => resolve([name, err ? -1 : performance.now() - t0])))));
}

await quickCalls(); // once first: each kind's first call loads code and fills caches
const pipes = await readPipes(calls);
const slow = readPipes(4); // four pool threads busy for waitMs...
const others = await quickCalls(); // ...while these queue, or not
await slow;
console.log(JSON.stringify({ pipes, others }));
`;

type Row = { began: number | null; done: number }; // JSON turns NaN into null
interface Result {
  pipes?: Row[];
  others?: [string, number][];
}

function runChild(poolSize: number | undefined): Result {
  const env = { ...process.env };
  delete env.UV_THREADPOOL_SIZE;
  if (poolSize !== undefined) env.UV_THREADPOOL_SIZE = String(poolSize);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, '--', String(CALLS), String(WAIT_MS)], {
    env,
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (r.status !== 0) throw new Error(`the child process failed (${r.error?.message ?? `status ${r.status}, signal ${r.signal}`}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Result;
}

// One call as a line of WIDTH columns: '.' from the call to the moment a pool thread took it (when
// known), '=' while a thread had it, up to the callback.
function timeline(row: Row, scale: number): string {
  const at = (ms: number) => Math.min(WIDTH, Math.round(ms * scale));
  const began = row.began ?? 0;
  const line = '.'.repeat(at(began)) + '='.repeat(Math.max(1, at(row.done) - at(began)));
  return line.padEnd(WIDTH);
}

function part(title: string, rowsA: Row[], rowsB: Row[], note: string): void {
  const max = Math.max(...rowsA.map((r) => r.done), ...rowsB.map((r) => r.done));
  const scale = WIDTH / max;
  const last = (rows: Row[]) => `${Math.max(...rows.map((r) => r.done)).toFixed(0)} ms`;
  console.log(title);
  console.log(`  call  ${'4 threads (the default)'.padEnd(WIDTH)}  UV_THREADPOOL_SIZE=8`);
  for (let i = 0; i < CALLS; i++) {
    console.log(`  ${String(i + 1).padStart(4)}  ${timeline(rowsA[i]!, scale)}  ${timeline(rowsB[i]!, scale)}`);
  }
  console.log(`  all   ${`done at ${last(rowsA)}`.padEnd(WIDTH)}  done at ${last(rowsB)}`);
  console.log(`  (one column is ${(max / WIDTH).toFixed(1)} ms; ${note})\n`);
}

if (process.platform !== 'linux') {
  console.log('This demo watches its own threads in /proc, which needs Linux (or WSL).');
  process.exit(0);
}
console.log(
  `libuv's pool at work: in a child process with the default pool (4 threads),\n` +
    `then in one with UV_THREADPOOL_SIZE=8.` +
    (quick ? '\n(quick mode: shorter times than the lesson quotes)' : '') +
    '\n',
);

const four = runChild(undefined);
const eight = runChild(8);
const fourPipes = four.pipes!;
const eightPipes = eight.pipes!;

// Part 1: the eight reads, one timeline per setting.
const max = Math.max(...fourPipes.map((r) => r.done), ...eightPipes.map((r) => r.done));
const scale = WIDTH / max;
const end = (rows: Row[]) => Math.max(...rows.map((r) => r.done));
console.log(`1. Eight fs.read() calls on eight empty pipes; each pipe is answered ${WAIT_MS} ms`);
console.log(`   after a pool thread starts to read it.\n`);
console.log(`  call  ${'4 threads (the default)'.padEnd(WIDTH)}  UV_THREADPOOL_SIZE=8`);
for (let i = 0; i < CALLS; i++) {
  console.log(`  ${String(i + 1).padStart(4)}  ${timeline(fourPipes[i]!, scale)}  ${timeline(eightPipes[i]!, scale)}`.trimEnd());
}
console.log(`  all   ${`done at ${end(fourPipes).toFixed(0)} ms`.padEnd(WIDTH)}  done at ${end(eightPipes).toFixed(0)} ms`);
console.log(`  (one column: ${(max / WIDTH).toFixed(1)} ms; '.' queued in libuv, '=' a pool thread in read())\n`);

// Part 2: quick calls of every kind behind four slow reads.
console.log(`2. Four such reads again, and at the same moment six quick calls:\n`);
const rows = four.others!.map(([name, ms], i) => {
  const other = eight.others![i]![1];
  const f = (x: number) => (x < 0 ? 'failed' : x < 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(0)} ms`);
  return [name, f(ms), f(other)];
});
for (const line of table(['call', '4 threads', 'UV_THREADPOOL_SIZE=8'], rows)) console.log(`  ${line}`);
console.log();

const pooled = (r: Result) => r.others!.slice(0, -1).map(([, ms]) => ms); // all but the timer
console.log(`What happened:
  - Four pool threads took the first four reads and slept in read(2) until
    their pipes were answered. Calls 5-8 waited in libuv's queue, with no CPU
    busy at all: the last callback came at ${end(fourPipes).toFixed(0)} ms. With eight threads
    the eight reads waited side by side: done at ${end(eightPipes).toFixed(0)} ms.
  - A file read, a name lookup, a hash, random bytes, a gzip: with four idle
    threads to spare each was back within ${Math.max(...pooled(eight)).toFixed(0)} ms. With all four threads
    asleep in someone else's read, each took at least ${Math.min(...pooled(four)).toFixed(0)} ms: they all run
    on the same pool. The timer does not; the event loop itself was free.
  - Any slow pool job holds a thread like this: a slow disk, a hung network
    file system, a DNS server that does not answer. UV_THREADPOOL_SIZE (up to
    1024) is read once, when the pool starts: set it before Node starts.
    More threads help waiting; for computing they cannot beat the cores.`);
