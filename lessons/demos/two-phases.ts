// A read's two phases: waiting for data, then copying it from kernel to process
//
// What it shows: every input operation has two parts. Phase 1 is waiting until
// the data is there; phase 2 is copying it from the kernel's buffer into the
// process's memory. Here the two are timed apart. For each size (4 KB up to
// 2 MB) we ask a peer process for that many bytes; it waits a fixed time, then
// sends them all. We set SO_RCVLOWAT on our socket to the size, so select()
// reports the socket readable only once every byte sits in the kernel's
// receive buffer: the time select() blocks is phase 1. Then recv() copies the
// bytes out (phase 2), and we time that.
// The wait is the same for every size: it lasts as long as the peer makes us
// wait, and the CPU is free meanwhile. The copy grows with the number of bytes,
// and it is CPU work done inside recv(), by the calling thread.
// Bounded: four requests with a 400 ms wait each (three of 100 ms, and at most
// 512 KB, with LEARN_IO_DEMO_QUICK=1); every select() has a time limit.
//
// Backs the lesson's claim C16 (the two phases of a read) and the POSIX sense
// of "synchronous": even when phase 1 is left to select(), phase 2 happens in
// the caller's recv().
import { cpuMs, formatNs, peer, quick, table } from '../../src/demo-kit.ts';
import { BlockingIOError, createServer, MSG_DONTWAIT, MSG_PEEK, select, SOL_SOCKET, type InetAddress } from '../../src/sys/index.ts';

const DELAY_MS = quick ? 100 : 400;
// At most 2 MB: Linux caps SO_RCVLOWAT at half of tcp_rmem's maximum (6 MB by default).
const SIZES = quick ? [4 << 10, 64 << 10, 512 << 10] : [4 << 10, 64 << 10, 512 << 10, 2 << 20];
// SO_RCVLOWAT, socket(7): the least number of bytes that makes select/poll report "readable"
// (not in the runtime library's constants; these are the values of Linux and macOS).
const SO_RCVLOWAT = process.platform === 'darwin' ? 0x1004 : 18;

// The peer: for each line "N" it receives, waits DELAY_MS, then sends N bytes at once.
const PEER = `
import net from 'node:net';
const [port, delay] = process.argv.slice(1).map(Number);
const sock = net.connect({ host: '127.0.0.1', port });
sock.on('error', (e) => { console.log('  [peer] ' + e.message); process.exit(1); });
let pending = '';
sock.on('data', (d) => {
  pending += d;
  let nl;
  while ((nl = pending.indexOf('\\n')) !== -1) {
    const n = Number(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
    const bytes = Buffer.alloc(n, 'x');
    setTimeout(() => sock.write(bytes), delay);
  }
});
sock.on('end', () => sock.end());
`;

const server = createServer({ host: '127.0.0.1', port: 0 });
const { port } = server.getsockname() as InetAddress;
peer(PEER, [String(port), String(DELAY_MS)], 20_000);

if (select([server], [], [], 10_000)[0].length === 0) {
  console.log('The peer did not connect within 10 s; giving up.');
  process.exit(1);
}
const [conn] = server.accept();
server.close();

const kb = (n: number) => (n >= 1 << 20 ? `${n / (1 << 20)} MB` : `${n / 1024} KB`);
console.log(
  `For each size, a peer process waits ${DELAY_MS} ms, then sends that many bytes at once.\n` +
    'select() returns when all of them are in the kernel (SO_RCVLOWAT = size):\n' +
    'phase 1. Then recv() copies them into our Buffer: phase 2.\n',
);

// One buffer for every copy, written once so its pages exist before we time anything.
const buf = Buffer.alloc(Math.max(...SIZES), 0);

// Warm-up: recv() calls with nothing to copy (MSG_DONTWAIT: EAGAIN at once), so that the first timed
// copy does not also pay for the first trip through the path from JavaScript to the kernel.
for (let i = 0; i < 200; i++) {
  try {
    conn.recvInto(buf, 4096, MSG_DONTWAIT);
  } catch (e) {
    if (!(e instanceof BlockingIOError)) throw e;
  }
}

interface Row {
  size: number;
  waitNs: number;
  waitCpuMs: number;
  copyNs: number;
  copyCpuMs: number;
  calls: number;
}
const rows: Row[] = [];
for (const size of SIZES) {
  conn.setsockopt(SOL_SOCKET, SO_RCVLOWAT, size);
  conn.send(`${size}\n`); // ask the peer for `size` bytes

  // Phase 1: wait until every byte has arrived. select() blocks; nothing is copied yet.
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const [ready] = select([conn], [], [], DELAY_MS + 5000);
  const t1 = process.hrtime.bigint();
  const waitCpuMs = cpuMs(c0);
  if (ready.length === 0) {
    console.log(`  ${kb(size)}: the data did not all arrive within ${DELAY_MS + 5000} ms; stopping.`);
    break;
  }

  // Phase 2: copy the bytes out of the kernel. recv() does not wait now; it only copies.
  // First a 1-byte peek (copies one byte, consumes nothing), so that the time below is the copy's,
  // not that of a thread just woken from a sleep (cold caches).
  conn.recvInto(buf, 1, MSG_PEEK);
  const c1 = process.cpuUsage();
  const t2 = process.hrtime.bigint();
  let got = 0;
  let calls = 0;
  while (got < size && calls < 1000) {
    const n = conn.recvInto(buf.subarray(got), size - got);
    calls++;
    if (n === 0) break;
    got += n;
  }
  const t3 = process.hrtime.bigint();
  const copyCpuMs = cpuMs(c1);
  if (got !== size) console.log(`  (${kb(size)}: got only ${got} bytes)`);
  rows.push({ size, waitNs: Number(t1 - t0), waitCpuMs, copyNs: Number(t3 - t2), copyCpuMs, calls });
}
conn.close();

const lines = table(
  ['size', 'phase 1: wait', 'CPU', 'phase 2: copy', 'recv calls', 'copy rate'],
  rows.map((r) => [
    kb(r.size),
    formatNs(r.waitNs),
    formatNs(r.waitCpuMs * 1e6),
    formatNs(r.copyNs),
    String(r.calls),
    r.size / r.copyNs >= 1 ? `${(r.size / r.copyNs).toFixed(1)} GB/s` : `${((r.size / r.copyNs) * 1000).toFixed(0)} MB/s`,
  ]),
);
for (const l of lines) console.log(`  ${l}`);

const first = rows[0];
const last = rows[rows.length - 1];
if (first && last) {
  console.log(`
  (phase 1: the time select() blocked, and the CPU the whole process used
  meanwhile; phase 2: the time of the recv() calls. Timings wobble from run
  to run: caches, other load, the virtual machine.)

What happened:
  - Phase 1 took about ${formatNs(first.waitNs)} for ${kb(first.size)} and ${formatNs(last.waitNs)} for ${kb(last.size)}: as
    long as the peer made us wait, plus the transfer. The thread slept in
    select() and the process used almost no CPU.
  - Phase 2 grew with the bytes: ${formatNs(first.copyNs)} for ${kb(first.size)}, ${formatNs(last.copyNs)} for ${kb(last.size)}. That is
    the kernel copying from its socket buffer into our Buffer, inside recv(),
    on our thread: the copy is CPU work, even though no waiting is left.
    Small reads also pay a fixed cost per call (entering the kernel, TCP's
    bookkeeping), which is why ${kb(first.size)} is not ${Math.round(last.size / first.size)} times cheaper than ${kb(last.size)}.
  - On a busy server most of a request's life is phase 1. That is the part
    the I/O models differ on: block in recv(), spin on EAGAIN, block in
    select(), or let the kernel do both phases and say when it is done.
    Only the last (asynchronous I/O) also takes phase 2 off the caller.`);
}
