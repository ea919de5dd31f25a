// What one wait costs when many descriptors are watched: select, poll and epoll side by side
//
// What it shows: a server with N connections, all idle but one, calling its
// wait function once. We build that with socketpairs (every end is a socket
// nobody writes to, so it is idle for reading), make the highest-numbered
// descriptor readable, and time one call of each back end against the same
// N descriptors:
//   1. select(): the three fd_set bit arrays are built, copied into the kernel,
//      scanned bit by bit up to the highest descriptor, and copied back out;
//   2. poll(): an array of N struct pollfd, copied in, scanned, copied out;
//   3. epoll_wait(): the N descriptors were registered once with epoll_ctl,
//      so the call only takes what is on the ready list: one entry.
// The ready descriptor is the last one on purpose: select and poll register
// the caller on the wait queue of every idle descriptor they pass before they
// find a ready one, and then take those registrations down again.
// N runs from 10 to 10,000, and on to the most the open-file limit allows
// (the soft limit is raised up to the hard one); select is 'n/a' where a
// descriptor numbered 1024 or more would be needed. Each figure is the median
// of several batches, interleaved so that a noisy moment hits all three.
// `--json` prints the numbers as JSON instead (npx learn-io run wait-cost --json).
// Bounded: a few seconds; LEARN_IO_DEMO_QUICK=1 keeps to N <= 500.
//
// Backs the lesson's claims C21 (select copies its sets in and out and scans
// every descriptor: the cost grows with N, and N stops below FD_SETSIZE),
// C22 (poll has no such limit but scans just the same) and C23 (epoll_wait
// costs what is ready, not what is watched). test/bench/run.ts imports
// measureWaitCost from here.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { bar, median, quick, table } from '../../src/demo-kit.ts';
import {
  Epoll,
  EPOLLIN,
  FD_SETSIZE,
  OSError,
  openDescriptors,
  poll,
  POLLIN,
  raiseOpenFileLimit,
  select,
  socketpair,
  type PollFd,
  type Socket,
} from '../../src/sys/index.ts';

/** One row of the measurement: median ns per call against `n` watched descriptors. */
export interface WaitCostRow {
  n: number;
  /** null where select cannot take part: some of the n descriptors are numbered FD_SETSIZE or more. */
  select: number | null;
  poll: number;
  epoll: number;
}

export interface WaitCostOptions {
  /** Numbers of watched descriptors, ascending order not required. Sizes the open-file limit cannot hold are skipped. */
  sizes: readonly number[];
  /** Batches per back end and size; the median is reported. */
  batches?: number;
  /** A batch repeats the call for this long (ms)... */
  batchMs?: number;
  /** ...or this many times, whichever comes first. */
  maxCallsPerBatch?: number;
}

export interface WaitCost {
  rows: WaitCostRow[];
  /** Sizes left out because the process could not open that many descriptors. */
  skipped: number[];
  /** Descriptor numbers below FD_SETSIZE that were free before the test: select's ceiling in this process. */
  belowSetsize: number;
  openFileLimit: number;
  batches: number;
}

// The only wait here that could block: if the ready descriptor were not ready after all, each call
// would give up after this long instead of hanging.
const GUARD_MS = 1000;

/** The largest N this process may watch: the soft open-file limit, raised within the hard one, less headroom. */
export function largestSize(cap = 50_000): number {
  const limit = raiseOpenFileLimit(cap + 200);
  const free = limit - openDescriptors().length - 64;
  return Math.max(0, Math.min(cap, Math.floor(free / 1000) * 1000));
}

function timeBatch(call: () => void, ms: number, maxCalls: number): number {
  let calls = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(ms * 1e6));
  let now = t0;
  do {
    call();
    calls++;
    now = process.hrtime.bigint();
  } while (now < end && calls < maxCalls);
  return Number(now - t0) / calls;
}

/**
 * Times one wait of select(), poll() and epoll_wait() against each N of `sizes` watched socket
 * descriptors, all idle but the highest-numbered one, which is readable. Returns median ns per call.
 * Opens the descriptors itself (socketpairs) and closes them all before returning.
 */
export function measureWaitCost(options: WaitCostOptions): WaitCost {
  const batches = options.batches ?? 7;
  const batchMs = options.batchMs ?? 20;
  const maxCalls = options.maxCallsPerBatch ?? 20_000;
  const sizes = [...new Set(options.sizes)].filter((n) => n > 0).sort((a, b) => a - b);
  const want = sizes.at(-1) ?? 0;
  const open = openDescriptors();
  const openFileLimit = raiseOpenFileLimit(want + open.length + 64);
  const belowSetsize = FD_SETSIZE - open.filter((fd) => fd < FD_SETSIZE).length;

  const sockets: Socket[] = [];
  const peerOf = new Map<number, Socket>(); // descriptor -> the other end of its socketpair
  const byFd = new Map<number, Socket>();
  const ep = new Epoll();
  try {
    try {
      while (sockets.length < want) {
        const [a, b] = socketpair();
        sockets.push(a, b);
        peerOf.set(a.fileno(), b).set(b.fileno(), a);
        byFd.set(a.fileno(), a).set(b.fileno(), b);
      }
    } catch (e) {
      // Out of descriptors (EMFILE, ENFILE): measure the sizes that fit.
      if (!(e instanceof OSError)) throw e;
    }
    const fds = sockets.map((s) => s.fileno()).sort((a, b) => a - b);
    const rows: WaitCostRow[] = [];
    const skipped = sizes.filter((n) => n > fds.length);
    let registered = 0;

    for (const n of sizes.filter((s) => s <= fds.length)) {
      const watched = fds.slice(0, n);
      const pollfds: PollFd[] = watched.map((fd) => ({ fd, events: POLLIN }));
      for (; registered < n; registered++) ep.register(fds[registered]!, EPOLLIN!); // the interest list grows with N
      const last = watched[n - 1]!;
      const canSelect = last < FD_SETSIZE;

      peerOf.get(last)!.send('x'); // the one ready descriptor
      const calls: Array<[keyof Omit<WaitCostRow, 'n'>, () => number]> = [
        ['select', () => select(watched, [], [], GUARD_MS)[0].length],
        ['poll', () => poll(pollfds, GUARD_MS).length],
        ['epoll', () => ep.poll(GUARD_MS, 8).length],
      ];
      const active = calls.filter(([name]) => name !== 'select' || canSelect);
      for (const [name, call] of active) {
        if (call() !== 1) throw new Error(`${name} did not report exactly one ready descriptor among ${n}`);
        timeBatch(call, batchMs / 4, maxCalls); // warm up the JIT and the caches
      }
      const samples = new Map(active.map(([name]) => [name, [] as number[]]));
      for (let b = 0; b < batches; b++) {
        for (const [name, call] of active) samples.get(name)!.push(timeBatch(call, batchMs, maxCalls));
      }
      byFd.get(last)!.recv(1); // idle again for the next, larger N
      const ns = (name: 'select' | 'poll' | 'epoll') => Math.round(median(samples.get(name)!));
      rows.push({ n, select: canSelect ? ns('select') : null, poll: ns('poll'), epoll: ns('epoll') });
    }
    return { rows, skipped, belowSetsize, openFileLimit, batches };
  } finally {
    ep.close();
    for (const s of sockets) s.close();
  }
}

/** µs with as many decimals as read well: 3.42, 48.1, 14,807. */
export function formatUs(ns: number | null): string {
  if (ns === null) return 'n/a';
  const us = ns / 1000;
  if (us < 10) return us.toFixed(2);
  if (us < 1000) return us.toFixed(1);
  return Math.round(us).toLocaleString('en-US');
}

function ratio(a: number, b: number): string {
  const r = a / b;
  return r < 10 ? `${r.toFixed(1)}x` : `${Math.round(r).toLocaleString('en-US')}x`;
}

function main(): void {
  const json = process.argv.includes('--json');
  const sizes = quick ? [10, 100, 500] : [10, 100, 500, 1_000, 10_000];
  if (!quick) {
    const most = largestSize();
    if (most > 10_000) sizes.push(most);
  }
  const t0 = performance.now();
  const result = measureWaitCost({ sizes, batches: quick ? 3 : 7, batchMs: quick ? 5 : 20 });
  const seconds = (performance.now() - t0) / 1000;
  const { rows } = result;

  if (json) {
    console.log(
      JSON.stringify(
        {
          unit: 'ns per call, median',
          node: process.version,
          cpus: os.availableParallelism(),
          kernel: os.release(),
          openFileLimit: result.openFileLimit,
          belowSetsize: result.belowSetsize,
          batches: result.batches,
          rows,
          skipped: result.skipped,
        },
        null,
        2,
      ),
    );
    return;
  }

  console.log(`One wait against N watched descriptors, all idle but the last one:`);
  console.log(`median µs per call of ${result.batches} batches (${os.availableParallelism()} CPUs, Linux ${os.release()})\n`);
  const header = ['N', 'select µs', 'poll µs', 'epoll µs', 'poll/epoll'];
  const body = rows.map((r) => [r.n.toLocaleString('en-US'), formatUs(r.select), formatUs(r.poll), formatUs(r.epoll), ratio(r.poll, r.epoll)]);
  for (const line of table(header, body)) console.log(`  ${line}`);
  if (result.skipped.length > 0) {
    console.log(`\n  left out, more descriptors than the open-file limit (${result.openFileLimit}) allows: ${result.skipped.join(', ')}`);
  }

  console.log('\nThe same, as bars (each N scaled to its slowest back end):');
  for (const r of rows) {
    const max = Math.max(r.select ?? 0, r.poll, r.epoll);
    console.log(`\n  N = ${r.n.toLocaleString('en-US')}`);
    for (const [name, ns] of [['select', r.select], ['poll', r.poll], ['epoll', r.epoll]] as const) {
      if (ns === null) console.log(`    ${name.padEnd(7)} n/a: needs descriptors numbered ${FD_SETSIZE} and up`);
      else console.log(`    ${name.padEnd(7)} ${bar(ns, max, 40).padEnd(40)} ${formatUs(ns).padStart(8)} µs`);
    }
  }

  const first = rows[0]!;
  const lastRow = rows.at(-1)!;
  const lastSelect = [...rows].reverse().find((r) => r.select !== null);
  const perFd = (a: number, b: number, na: number, nb: number) => Math.max(0, Math.round((b - a) / (nb - na)));
  console.log('\nWhat happened:');
  if (rows.length > 1) {
    console.log(`  - poll went from ${formatUs(first.poll)} µs at N = ${first.n} to ${formatUs(lastRow.poll)} µs at N = ${lastRow.n.toLocaleString('en-US')}:`);
    console.log(`    about ${perFd(first.poll, lastRow.poll, first.n, lastRow.n)} ns more for every descriptor watched. The kernel copies`);
    console.log('    in every pollfd, asks every descriptor whether it is ready, puts the');
    console.log('    caller on each one\'s wait queue, then takes it off again; we then scan');
    console.log('    the array for the one entry that has revents set.');
  }
  if (lastSelect && lastSelect !== first) {
    console.log(`  - select grew the same way (about ${perFd(first.select!, lastSelect.select!, first.n, lastSelect.n)} ns per descriptor up to N = ${lastSelect.n}).`);
  }
  if (rows.some((r) => r.select === null)) {
    console.log(`  - select had to stop: this process had ${result.belowSetsize} free descriptor numbers below`);
    console.log(`    FD_SETSIZE (${FD_SETSIZE}), since Node itself holds the lowest ones (stdio, its own`);
    console.log('    epoll, pipes). The limit is on the numbers, not on how many you watch.');
  }
  console.log(`  - epoll_wait stayed between ${formatUs(Math.min(...rows.map((r) => r.epoll)))} and ${formatUs(Math.max(...rows.map((r) => r.epoll)))} µs whatever N was: the descriptors`);
  console.log('    were registered once with epoll_ctl, and a wait only takes the ready');
  console.log('    list, filled by wake-up callbacks. Most of what is left is the cost of');
  console.log('    calling C from JavaScript, not the kernel\'s work.');
  console.log('  - Virtual machines and busy neighbours move these numbers between runs;');
  console.log('    compare how they grow with N, not their last digit.');
  console.log(`  (measured in ${seconds.toFixed(1)} s)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
