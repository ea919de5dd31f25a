// One select() call watching several sockets; only the ready ones come back
//
// What it shows: the third I/O model, I/O multiplexing. A peer process opens
// five connections to us and writes on them at staggered moments, then closes
// them all. Our one thread puts the five sockets, set non-blocking, in
// select()'s read list and loops:
//   - select() blocks until at least one socket is readable, and returns only
//     the ready ones;
//   - recv() on each of those returns at once (the data is already there), or
//     returns empty at end of stream, and that socket leaves the list;
//   - each message then takes 40 ms of "work" (simulated: the thread sleeps).
// Two clients write while we work on a third one's message, and all five close
// while we work on the last message: the next select() returns them together,
// without blocking. Each round prints how long select() blocked and which
// sockets came back; each recv() prints what it got and how long it took. At
// the end: how many system calls (select + recv) the messages cost.
// Bounded: at most 30 rounds, a 3 s limit per select() and 6 s in all; the
// peer is done after about a second (0.3 s with LEARN_IO_DEMO_QUICK=1).
//
// Backs the lesson's claim C19 (the process blocks in select, not in recv;
// two system calls per read; sockets set non-blocking; one thread serves
// many connections).
import { formatNs, peer, quick, sleepThread } from '../../src/demo-kit.ts';
import { createServer, select, type InetAddress, type Socket } from '../../src/sys/index.ts';

const CLIENTS = 5;
const WORK_MS = quick ? 20 : 40; // the time our thread spends on each message (simulated)
const STEP = quick ? 80 : 200; // the gap between the peer's writes, in ms
// When clients (1-based) write, in ms after all five are connected. c2 and c5 write 10 ms after
// c4, while we are still working on c4's message; all five close while we work on c1's second.
const SCHEDULE: Array<[number, number[]]> = [
  [STEP, [1]],
  [2 * STEP, [3]],
  [3 * STEP, [4]],
  [3 * STEP + 10, [2, 5]],
  [4 * STEP, [1]],
];
const CLOSE_AT = 4 * STEP + 10;

const PEER = `
import net from 'node:net';
const [port, count] = process.argv.slice(1).map(Number);
const schedule = ${JSON.stringify(SCHEDULE)};
const socks = [];
function connectNext() {                    // one after the other, so accept() order = client number
  const s = net.connect({ host: '127.0.0.1', port }, () => {
    s.setNoDelay(true);
    socks.push(s);
    if (socks.length < count) connectNext();
    else start();
  });
  s.on('error', (e) => { console.log('  [peer] ' + e.message); process.exit(1); });
}
function start() {
  const sent = new Map();
  for (const [at, clients] of schedule) {
    setTimeout(() => {
      for (const c of clients) {
        const k = (sent.get(c) ?? 0) + 1;
        sent.set(c, k);
        socks[c - 1].write('hello #' + k + ' from c' + c);
      }
    }, at);
  }
  setTimeout(() => socks.forEach((s) => s.end()), ${CLOSE_AT});
}
connectNext();
`;

const server = createServer({ host: '127.0.0.1', port: 0 });
const { port } = server.getsockname() as InetAddress;
peer(PEER, [String(port), String(CLIENTS)], 15_000);

const names = new Map<Socket, string>();
for (let i = 1; i <= CLIENTS; i++) {
  // A guard, not the point: give up if the peer never connects (accept() would wait forever).
  if (select([server], [], [], 10_000)[0].length === 0) {
    console.log('The peer did not connect within 10 s; giving up.');
    process.exit(1);
  }
  const [conn] = server.accept();
  conn.setblocking(false); // after select() says "readable", recv() must never block, even on a false alarm
  names.set(conn, `c${i}`);
}
server.close();

let open = [...names.keys()];
const fds = open.map((s) => s.fileno());
console.log(
  `Five clients are connected: c1..c5 on fds ${fds.join(', ')}, all non-blocking.\n` +
    `One thread, one loop: select() with those ${CLIENTS} in its read list, then recv() on\n` +
    `the ready ones, then ${WORK_MS} ms of work per message.\n`,
);

const t0 = performance.now();
const deadline = t0 + 6000;
let selects = 0;
let recvs = 0;
let messages = 0;
let recvNsTotal = 0;
let selectMsTotal = 0;
for (let round = 1; round <= 30 && open.length > 0 && performance.now() < deadline; round++) {
  const ts = performance.now();
  const [readable] = select(open, [], [], 3000); // <- the thread blocks here, for all sockets at once
  const blockedMs = performance.now() - ts;
  selects++;
  selectMsTotal += blockedMs;
  if (readable.length === 0) {
    console.log(`  select() #${round} timed out after 3 s; stopping.`);
    break;
  }
  const at = (performance.now() - t0).toFixed(0).padStart(4);
  console.log(
    `  t=${at} ms  select() #${round} blocked ${formatNs(blockedMs * 1e6).padStart(8)}, ` +
      `ready: ${readable.map((s) => names.get(s)).join(', ')} (${readable.length} of ${open.length})`,
  );
  for (const sock of readable) {
    const tr = process.hrtime.bigint();
    const data = sock.recv(4096); // does not block: select() said there is something to read
    const took = Number(process.hrtime.bigint() - tr);
    recvs++;
    recvNsTotal += took;
    const name = names.get(sock)!;
    if (data.length === 0) {
      console.log(`             recv(${name}) -> end of stream, in ${formatNs(took)}: close, unwatch`);
      open = open.filter((s) => s !== sock);
      sock.close();
    } else {
      messages++;
      console.log(`             recv(${name}) -> "${data.toString('utf8')}" in ${formatNs(took)}, then work`);
      sleepThread(WORK_MS); // stands for the work a server does with a request
    }
  }
}
for (const s of open) s.close();

const calls = selects + recvs;
console.log(`
  ${messages} messages and ${CLIENTS} ends of stream took ${selects} select() + ${recvs} recv() = ${calls} system calls.
  select() blocked ${formatNs(selectMsTotal * 1e6)} in all; the recv() calls together took ${formatNs(recvNsTotal)}.

What happened:
  - The thread blocked in select(), never in recv(): select() slept until
    at least one of the ${CLIENTS} sockets had data, and returned only those. Each
    recv() then found its data waiting and returned in microseconds.
  - c2 and c5 wrote while the thread was busy with c4's message. Readiness
    waits for us: the next select() returned both at once, without blocking.
    The same for the five closes: an end of stream counts as "readable", and
    recv() then returns empty.
  - A read costs two system calls (a select, then a recv) where a blocking
    recv() needs one; fewer when one select() returns several sockets, as
    here: ${calls} calls for ${messages + CLIENTS} reads. For one connection multiplexing only adds
    a call; it wins when one thread must wait on many connections at once,
    which a blocking recv() can only do with a thread per connection.
  - The sockets are non-blocking so that a recv() on a socket select() called
    ready can never stall the loop (select(2) allows spurious readiness).
    Still, the data is copied inside recv(), by our thread: multiplexed I/O
    is synchronous I/O.`);
