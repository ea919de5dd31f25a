// A blocking recv() sleeps in the kernel until data comes: wall time against CPU time
//
// What it shows: the first I/O model, blocking I/O, on a real TCP socket. A peer
// process connects to us on 127.0.0.1 and waits about a second before it sends
// anything. Meanwhile our one JavaScript thread calls recv(2) on a socket in
// blocking mode (the default) and the kernel puts it to sleep. During the
// wait the peer looks at our thread from the outside, in /proc: its state (S,
// sleeping), the system call it is in (recvfrom), the kernel function it waits
// in (its wait channel) and the CPU time it ran (schedstat: none). When the
// data arrives the kernel copies it into our buffer and recv() returns. We then
// compare the wall time of the call with the CPU time the process used during
// it (getrusage) and the context switches the kernel counted for the thread.
// Bounded: one connection, a wait of 1 s (0.3 s with LEARN_IO_DEMO_QUICK=1); the
// peer is killed after 10 s in any case, which ends a recv() that still waits.
//
// Backs the lesson's claims C16 (phase 1 of a read, waiting for data, happens
// inside the blocking call) and C17 (a blocked thread costs no CPU while it
// waits, but it can do nothing else).
import { contextSwitches, cpuMs, formatNs, lookAtSource, peer, quick } from '../../src/demo-kit.ts';
import { createServer, select, type InetAddress } from '../../src/sys/index.ts';

const DELAY_MS = quick ? 300 : 1000;

// The peer: connect, wait DELAY_MS, look at our main thread at 1/4 and 3/4 of the wait, then send a line.
const PEER = `
import net from 'node:net';
${lookAtSource}
const [port, pid, delay] = process.argv.slice(1).map(Number);
let first;
function report() {
  const now = lookAt(pid);
  if (!now) return console.log('  [peer] cannot read /proc/' + pid + ' (not Linux?)');
  console.log('  [peer] at ' + delay * 0.75 + ' ms, /proc/' + pid + ' says the demo\\'s main thread is');
  console.log('  [peer]   in state        ' + now.state + ' (' + now.stateName + ')');
  if (now.syscall) console.log('  [peer]   in system call  ' + now.syscall);
  if (now.wchan) console.log('  [peer]   wait channel    ' + now.wchan + '()');
  if (first?.runNs !== undefined && now.runNs !== undefined) {
    console.log('  [peer]   it ran on a CPU for ' + ((now.runNs - first.runNs) / 1e6).toFixed(3) + ' ms in the last ' + delay / 2 + ' ms');
  }
}
const sock = net.connect({ host: '127.0.0.1', port }, () => {
  sock.setNoDelay(true);
  console.log('  [peer] connected; I will send in ' + delay + ' ms');
  setTimeout(() => { first = lookAt(pid); }, delay / 4);
  setTimeout(report, (delay * 3) / 4);
  setTimeout(() => sock.end('hello, sent ' + delay + ' ms after connecting'), delay);
});
sock.on('error', (e) => { console.log('  [peer] ' + e.message); process.exit(1); });
`;

const server = createServer({ host: '127.0.0.1', port: 0 });
const { port } = server.getsockname() as InetAddress;
peer(PEER, [String(port), String(process.pid), String(DELAY_MS)], 10_000);

console.log(
  `Blocking I/O: a peer process connects to 127.0.0.1:${port} and sends one line\n` +
    `${DELAY_MS} ms later. Our only JavaScript thread calls recv() and waits for it.\n`,
);

// A guard, not the point: give up if the peer never connects (accept() would wait forever).
if (select([server], [], [], 10_000)[0].length === 0) {
  console.log('The peer did not connect within 10 s; giving up.');
  process.exit(1);
}
const [conn] = server.accept();
server.close();
console.log(`  accept() returned: connection on fd ${conn.fileno()}, blocking mode: ${conn.getblocking()}`);
console.log(`  calling recv(fd ${conn.fileno()}, 4096): this thread now sleeps in the kernel...`);

const sw0 = contextSwitches();
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const data = conn.recv(4096); // <- the blocking call: phase 1 (wait) and phase 2 (copy) both in here
const waitedNs = Number(process.hrtime.bigint() - t0);
const cpu = cpuMs(cpu0);
const sw1 = contextSwitches();
conn.close();

console.log(`  recv() returned ${data.length} bytes: "${data.toString('utf8')}"\n`);
console.log('  during the one recv() call:');
console.log(`    wall time                      ${formatNs(waitedNs)}`);
console.log(`    CPU time (whole process)       ${formatNs(cpu * 1e6)}`);
if (sw0 && sw1) {
  console.log(`    context switches (this thread) ${sw1.voluntary - sw0.voluntary} voluntary, ${sw1.involuntary - sw0.involuntary} involuntary`);
}

console.log(`
What happened:
  - recv() did not return for ${formatNs(waitedNs)}: there was nothing to read, so the
    kernel took the thread off the CPU (state S) and parked it on the socket's
    wait queue (the "wait channel" is the kernel function it sleeps in). That
    is phase 1 of a read, waiting for data, done inside the call.
  - Sleeping is free: the process used ${formatNs(cpu * 1e6)} of CPU in ${formatNs(waitedNs)} (${((cpu * 1e6 * 100) / waitedNs).toFixed(2)}%),
    and the peer saw the thread use none at all. One "voluntary" context
    switch is the kernel's way of counting "went to sleep once".
  - The peer's bytes woke it; recv() then copied them from the kernel's socket
    buffer into our Buffer (phase 2) and returned. Both phases happened inside
    one call, and nothing else ran on this thread meanwhile: no timer, no other
    connection, no other coroutine. A blocking server needs a thread per client
    it wants to wait on at the same time.`);
