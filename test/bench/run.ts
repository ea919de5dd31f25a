// npm run bench: our code and a peer in the same run, as ratios; medians of several runs.
//
// 1. `learn-io check coroutine-switcher` on the reference solution, whole command, wall time.
// 2. A switch ping-pong through the reference switcher against a plain generator ping-pong.
//    One "switch" is one transfer of control; a round trip main -> greenlet -> main is two, and so
//    is one gen.next() (resume, then yield back).
// 3. One wait of select, poll and epoll against N watched descriptors (the wait-cost demo's own
//    measuring function), with epoll's ratio against the other two.
// 4. One call of the runtime library against the same call made through Node's `net`:
//    getsockname(2) (Socket.getsockname() vs net.Server.address()), and a 64-byte round trip over
//    loopback TCP (our blocking send + recv on a connected pair vs net write + 'data').
//
// 5. Echo load: the select-server and epoll-server references against Node's net echo server, at
//    10, 100 and 1,000 connections and 10 active beside 1,000 idle (test/bench/echo-load.ts), and
//    the hub's coroutine echo server beside them.
// 6. spawn + join of 100,000 tasks through the reference hub against async functions (below).
// 7. FTP: download and upload of a 256 MB file and 20 concurrent 10 MB downloads, the thread-pool-ftp
//    reference against vsftpd and pyftpdlib where installed (test/bench/ftp.ts).
// 8. Classroom grading: `learn-io grade --jobs 2` on BENCH_GRADE_SUBMISSIONS (30) submissions of the
//    whole course, in submissions per minute, against the same suites run without isolation (test/bench/grade.ts).
//
// Knobs: BENCH_LOAD_RUNS, BENCH_LOAD_MS (echo load), BENCH_RUNS, BENCH_ROUND_TRIPS (switches), BENCH_WAIT_SIZES (e.g. "10,100,1000,10000"),
// BENCH_SYSCALLS (getsockname calls per run), BENCH_TCP_TRIPS (round trips per run).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { formatUs, measureWaitCost } from '../../lessons/demos/wait-cost.ts';
import { packageRoot } from '../../src/catalog.ts';
import { benchEchoLoad } from './echo-load.ts';
import { benchFtp } from './ftp.ts';
import { benchGrade } from './grade.ts';
import { Hub } from '../../solutions/hub/hub.ts';
import { table } from '../../src/demo-kit.ts';
import { createConnection, createServer, IPPROTO_TCP, Socket, TCP_NODELAY } from '../../src/sys/index.ts';
import { Greenlet } from '../../solutions/coroutine-switcher/switcher.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bin = path.join(packageRoot, 'src', 'cli', 'bin.mjs');

function benchCheck(runs: number): number[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-bench-'));
  try {
    const init = spawnSync(process.execPath, [bin, 'init', dir], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
    fs.copyFileSync(
      path.join(packageRoot, 'solutions', 'coroutine-switcher', 'switcher.ts'),
      path.join(dir, 'exercises', 'coroutine-switcher', 'switcher.ts'),
    );
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [bin, 'check', 'coroutine-switcher'], { cwd: dir, encoding: 'utf8' });
      times.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`check did not pass on the reference:\n${r.stdout}\n${r.stderr}`);
    }
    return times;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** ns per switch through the reference switcher: main and one greenlet hand a counter back and forth. */
function switcherPingPong(roundTrips: number): number {
  const g = new Greenlet(function* (n: number) {
    for (;;) n = (yield* main.switch(n + 1)) as number;
  });
  const main = (g.parent as Greenlet);
  let n = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < roundTrips; i++) n = g.switch(n) as number;
  const ns = Number(process.hrtime.bigint() - t0);
  if (n !== roundTrips) throw new Error(`ping-pong lost count: ${n}`);
  return ns / (roundTrips * 2);
}

/** ns per switch of a plain generator driven by next(): the floor a generator switcher can reach. */
function generatorPingPong(roundTrips: number): number {
  function* echo(): Generator<number, never, number> {
    let n = 0;
    for (;;) n = yield n + 1;
  }
  const gen = echo();
  gen.next(0);
  let n = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < roundTrips; i++) n = gen.next(n).value;
  const ns = Number(process.hrtime.bigint() - t0);
  if (n !== roundTrips) throw new Error(`ping-pong lost count: ${n}`);
  return ns / (roundTrips * 2);
}

function main(): void {
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const trips = Number(process.env.BENCH_ROUND_TRIPS ?? 1_000_000);
  console.log(`learn-io bench: node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${runs} runs each\n`);

  switcherPingPong(trips / 10); // warm up both, so neither pays the JIT in its first run
  generatorPingPong(trips / 10);
  const ours: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(switcherPingPong(trips));
    peer.push(generatorPingPong(trips));
  }
  const [o, p] = [median(ours), median(peer)];
  console.log('switch ping-pong (median ns per switch, lower is better)');
  console.log(`  reference switcher (solutions/coroutine-switcher)  ${o.toFixed(1)} ns`);
  console.log(`  plain generator ping-pong (gen.next)               ${p.toFixed(1)} ns`);
  const ratio = o / p;
  console.log(`  ratio switcher / generator                          ${ratio.toFixed(2)}x   (aim: within 2.5x${ratio > 2.5 ? ': OVER THE AIM' : ''})\n`);

  const checkRuns = Math.max(3, Math.min(runs, 5));
  const times = benchCheck(checkRuns);
  console.log(`learn-io check coroutine-switcher on the reference (whole command, median of ${checkRuns})`);
  const check = median(times);
  console.log(`  ${Math.round(check)} ms   (runs: ${times.map((t) => Math.round(t)).join(', ')} ms; aim: under 1000 ms${check > 1000 ? ': OVER THE AIM' : ''})`);
}

// --- 3. select / poll / epoll against N watched descriptors -------------------------------------

function benchWaitCost(runs: number): void {
  const sizes = (process.env.BENCH_WAIT_SIZES ?? '10,100,500,1000,10000').split(',').map(Number).filter((n) => n > 0);
  const t0 = performance.now();
  const { rows, skipped } = measureWaitCost({ sizes, batches: runs, batchMs: 20 });
  const x = (a: number | null, b: number) => (a === null ? 'n/a' : a / b < 10 ? `${(a / b).toFixed(1)}x` : `${Math.round(a / b).toLocaleString('en-US')}x`);
  console.log(`\none wait against N watched descriptors, one ready (median µs per call of ${runs} batches, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const body = rows.map((r) => [r.n.toLocaleString('en-US'), formatUs(r.select), formatUs(r.poll), formatUs(r.epoll), x(r.select, r.epoll), x(r.poll, r.epoll)]);
  for (const line of table(['N', 'select µs', 'poll µs', 'epoll µs', 'select/epoll', 'poll/epoll'], body)) console.log(`  ${line}`);
  if (skipped.length > 0) console.log(`  left out (open-file limit): ${skipped.join(', ')}`);
}

// --- 4. one library call against Node's own ---------------------------------------------------

/** ns per getsockname(2) through our Socket. */
function ourGetsockname(sock: Socket, calls: number): number {
  let address = sock.getsockname();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) address = sock.getsockname();
  const ns = Number(process.hrtime.bigint() - t0) / calls;
  if (typeof address === 'string' || address.port === 0) throw new Error('getsockname lost the port');
  return ns;
}

/** ns per getsockname(2) through Node: net.Server.address() asks the kernel on every call (socket.address() caches). */
function nodeGetsockname(server: net.Server, calls: number): number {
  let address = server.address();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) address = server.address();
  const ns = Number(process.hrtime.bigint() - t0) / calls;
  if (address === null || typeof address === 'string' || address.port === 0) throw new Error('address() lost the port');
  return ns;
}

function recvExactly(sock: Socket, buf: Buffer): void {
  for (let got = 0; got < buf.length; ) {
    const n = sock.recvInto(buf.subarray(got));
    if (n === 0) throw new Error('the connection closed in the middle of a round trip');
    got += n;
  }
}

/**
 * ns per 64-byte round trip over loopback TCP, ours: both ends in this thread, blocking calls. A sends,
 * B receives and sends back, A receives. A blocking recv would block the JS thread, so the data must be
 * there first: on loopback, send() has delivered it to the peer's queue by the time it returns.
 */
function ourRoundTrips(a: Socket, b: Socket, trips: number): number {
  const msg = Buffer.alloc(64, 0x61);
  const buf = Buffer.alloc(64);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < trips; i++) {
    a.sendall(msg);
    recvExactly(b, buf);
    b.sendall(buf);
    recvExactly(a, buf);
  }
  return Number(process.hrtime.bigint() - t0) / trips;
}

/** ns per 64-byte round trip through Node's net: client.write, the server's 'data' echoes, the client's 'data'. */
function nodeRoundTrips(client: net.Socket, trips: number, limitMs = 30_000): Promise<number> {
  const msg = Buffer.alloc(64, 0x61);
  return new Promise((resolve, reject) => {
    let left = trips;
    let got = 0;
    const limit = setTimeout(() => finish(new Error(`Node round trips: ${left} of ${trips} still pending after ${limitMs} ms`)), limitMs);
    const t0 = process.hrtime.bigint();
    const onData = (d: Buffer) => {
      got += d.length;
      while (got >= 64) {
        got -= 64;
        if (--left === 0) return finish();
        client.write(msg);
      }
    };
    const finish = (error?: Error) => {
      const ns = Number(process.hrtime.bigint() - t0) / trips;
      clearTimeout(limit);
      client.off('data', onData);
      if (error) reject(error);
      else resolve(ns);
    };
    client.on('data', onData);
    client.write(msg);
  });
}

async function benchCalls(runs: number): Promise<void> {
  const calls = Number(process.env.BENCH_SYSCALLS ?? 20_000);
  const trips = Number(process.env.BENCH_TCP_TRIPS ?? 2_000);
  const local = { host: '127.0.0.1', port: 0 };

  // Ours: a listener for getsockname, and a connected pair, all our Sockets, all blocking.
  const listener = createServer(local);
  const a = createConnection(listener.getsockname() as { host: string; port: number });
  const [b] = listener.accept();
  a.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  b.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);

  // Node's: a net server that echoes, and a net client in the same process.
  const server = net.createServer({ noDelay: true }, (s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, noDelay: true });
  await new Promise<void>((resolve, reject) => client.once('error', reject).once('connect', resolve));

  try {
    ourGetsockname(listener, calls / 10); // warm up every path before timing it
    nodeGetsockname(server, calls / 10);
    ourRoundTrips(a, b, trips / 10);
    await nodeRoundTrips(client, trips / 10);
    const samples = { ourName: [] as number[], nodeName: [] as number[], ourTrip: [] as number[], nodeTrip: [] as number[] };
    for (let i = 0; i < runs; i++) {
      samples.ourName.push(ourGetsockname(listener, calls));
      samples.nodeName.push(nodeGetsockname(server, calls));
      samples.ourTrip.push(ourRoundTrips(a, b, trips));
      samples.nodeTrip.push(await nodeRoundTrips(client, trips));
    }
    const [on, nn, ot, nt] = [median(samples.ourName), median(samples.nodeName), median(samples.ourTrip), median(samples.nodeTrip)];
    const ns = (v: number) => `${Math.round(v).toLocaleString('en-US')} ns`;
    console.log(`\none call: the runtime library against Node's net (median ns per op of ${runs} runs, lower is better)`);
    console.log(`  getsockname(2), ${calls.toLocaleString('en-US')} calls per run`);
    console.log(`    ours: Socket.getsockname()                     ${ns(on).padStart(10)}`);
    console.log(`    Node: net.Server.address()                     ${ns(nn).padStart(10)}`);
    console.log(`    ratio ours / Node                              ${`${(on / nn).toFixed(2)}x`.padStart(10)}`);
    console.log(`  64-byte round trip over loopback TCP, ${trips.toLocaleString('en-US')} per run`);
    console.log(`    ours: blocking send + recv, both ends here     ${ns(ot).padStart(10)}`);
    console.log(`    Node: net write + 'data' echo, same process    ${ns(nt).padStart(10)}`);
    console.log(`    ratio ours / Node                              ${`${(ot / nt).toFixed(2)}x`.padStart(10)}`);
  } finally {
    a.close();
    b.close();
    listener.close();
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

// spawn + join of N tasks through the reference hub, against N async functions awaited with
//    Promise.all (Node's own scheduler), in tasks per second.
const spawnRates: number[] = [];
function benchSpawnJoin(n: number, runs: number): void {
  for (let r = 0; r < runs; r++) {
    const hub = new Hub();
    const t0 = performance.now();
    hub.run(function* main() {
      const tasks = [];
      for (let i = 0; i < n; i++) tasks.push(hub.spawn(function* task(k: number) { yield* hub.sleep(0); return k; }, i));
      const done = yield* hub.joinAll(tasks);
      if (done.length !== n) throw new Error(`joinAll returned ${done.length} of ${n}`);
    });
    spawnRates.push(n / ((performance.now() - t0) / 1000));
  }
}
async function benchNodeTasks(n: number, runs: number): Promise<void> {
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push((async (k: number) => { await null; return k; })(i));
    const done = await Promise.all(tasks);
    if (done.length !== n) throw new Error(`Promise.all returned ${done.length} of ${n}`);
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  const ours = median(spawnRates);
  const peer = median(rates);
  const fmt = (v: number) => `${Math.round(v).toLocaleString('en-US')} tasks/s`;
  console.log(`\nspawn + join of ${n.toLocaleString('en-US')} tasks, each yielding once (median of ${runs} runs, higher is better)`);
  console.log(`  ours: hub.spawn + sleep(0) + joinAll (reference hub)   ${fmt(ours).padStart(20)}`);
  console.log(`  Node: async function + await + Promise.all             ${fmt(peer).padStart(20)}`);
  console.log(`  ratio ours / Node                                      ${`${(ours / peer).toFixed(2)}x`.padStart(20)}`);
}

// BENCH_ONLY=grade,ftp runs only those parts: check, switch, wait, calls, tasks, echo, ftp, grade.
const only = process.env.BENCH_ONLY?.split(',');
const want = (part: string) => !only || only.includes(part);
if (want('check') || want('switch')) main();
const ioRuns = Math.max(3, Number(process.env.BENCH_RUNS ?? 7));
if (want('wait')) benchWaitCost(ioRuns);
if (want('calls')) await benchCalls(ioRuns);
if (want('tasks')) {
  benchSpawnJoin(Number(process.env.BENCH_TASKS ?? 100_000), ioRuns);
  await benchNodeTasks(Number(process.env.BENCH_TASKS ?? 100_000), ioRuns);
}
if (want('echo')) await benchEchoLoad(Number(process.env.BENCH_LOAD_RUNS ?? 3), Number(process.env.BENCH_LOAD_MS ?? 1500));
if (want('ftp')) await benchFtp();
if (want('grade')) await benchGrade(Number(process.env.BENCH_GRADE_SUBMISSIONS ?? 30), 2);
