// Level- against edge-triggered epoll: the stall of an undrained edge, the spin of a level EPOLLOUT
//
// What it shows: the two ways epoll can report a descriptor, and the bug each
// one invites. One socketpair; its end `a` (non-blocking) sits in two epoll
// instances at once, one level-triggered (EPOLLIN), one edge-triggered
// (EPOLLIN | EPOLLET), so every step is seen by both:
//   1. the peer writes 10 bytes, we read 4: the level instance reports `a` on
//      every wait while 6 bytes are left; the edge instance reported it once
//      and now stays silent, each wait running out its timeout. A server that
//      waits here is stuck for good: the client sent everything and is waiting
//      for an answer. Only new data (one more byte) makes a new edge;
//   2. the cure: read until recv() says EAGAIN (BlockingIOError), then wait.
//   3. the level-triggered trap on the other side: EPOLLOUT registered with
//      nothing to write. A socket with room in its send buffer is always
//      writable, so every epoll_wait returns at once: we count the wake-ups
//      and the CPU time in a fixed window, then do the same after modifying
//      the interest to EPOLLIN only (and, for comparison, with EPOLLET).
// Bounded: a dozen waits of at most 50 ms, three windows of 100 ms (20 and
// 30 ms with LEARN_IO_DEMO_QUICK=1), at most a million waits per window.
//
// Backs the lesson's claim C23 (level- and edge-triggered epoll; drain to
// EAGAIN under EPOLLET; ask for EPOLLOUT only while there is data to send).
import { cpuMs, quick, table } from '../../src/demo-kit.ts';
import { BlockingIOError, Epoll, EPOLLET, EPOLLIN, EPOLLOUT, socketpair, type Socket } from '../../src/sys/index.ts';

// epoll is Linux's: elsewhere the EPOLL* constants are undefined and new Epoll() throws ENOSYS.
const WAIT_MS = quick ? 20 : 50; // how long a wait may sleep when nothing is reported
const WINDOW_MS = quick ? 30 : 100; // the window in which part 3 counts wake-ups
const MAX_WAITS = 1_000_000;

function names(events: number): string {
  const out: string[] = [];
  if (events & EPOLLIN!) out.push('EPOLLIN');
  if (events & EPOLLOUT!) out.push('EPOLLOUT');
  return out.join('|') || String(events);
}

/** One epoll_wait on `ep`: what it reported for `fd` and how long it took. */
function wait(ep: Epoll, timeoutMs: number): string {
  const t0 = performance.now();
  const events = ep.poll(timeoutMs, 8);
  const ms = performance.now() - t0;
  if (events.length === 0) return `nothing, ${ms.toFixed(0)} ms`;
  return `${events.map(([, ev]) => names(ev)).join(', ')}, ${ms.toFixed(1)} ms`;
}

function partOne(a: Socket, b: Socket): void {
  const level = new Epoll();
  const edge = new Epoll();
  try {
    level.register(a, EPOLLIN!);
    edge.register(a, EPOLLIN! | EPOLLET!);
    const rows: string[][] = [];
    const both = (step: string) => rows.push([step, wait(level, WAIT_MS), wait(edge, WAIT_MS)]);
    const note = (step: string) => rows.push([step, '', '']);

    b.send('0123456789');
    note('peer sends 10 bytes');
    both('wait');
    const got = a.recv(4);
    note(`recv(4): '${got}', 6 bytes left`);
    both('wait');
    both('wait');
    both('wait');
    b.send('!');
    note('peer sends 1 more byte');
    both('wait');
    let drained = '';
    let calls = 0;
    for (; calls < 100; calls++) {
      try {
        drained += a.recv(4).toString();
      } catch (e) {
        if (e instanceof BlockingIOError) break; // EAGAIN: empty now
        throw e;
      }
    }
    note(`recv(4) x ${calls}: '${drained}', then EAGAIN`);
    both('wait');

    console.log(`1 and 2. socket 'a' in two epoll instances at once; a wait sleeps`);
    console.log(`   at most ${WAIT_MS} ms (each cell: what the wait reported, how long it took)\n`);
    for (const line of table(['step', 'level-triggered', 'edge (EPOLLET)'], rows)) console.log(`  ${line}`);
  } finally {
    level.close();
    edge.close();
  }
}

/** Waits in a loop for WINDOW_MS on `ep`; counts the waits that came back with an event. */
function spin(ep: Epoll): { wakeups: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const end = performance.now() + WINDOW_MS;
  let wakeups = 0;
  for (let i = 0; i < MAX_WAITS; i++) {
    const left = end - performance.now();
    if (left <= 0) break;
    if (ep.poll(left, 8).length > 0) wakeups++;
  }
  return { wakeups, cpu: cpuMs(cpu0) };
}

function partThree(a: Socket): void {
  const ep = new Epoll();
  try {
    const rows: string[][] = [];
    const measure = (interest: string) => {
      const { wakeups, cpu } = spin(ep);
      rows.push([interest, wakeups.toLocaleString('en-US'), `${cpu.toFixed(1)} ms`]);
      return wakeups;
    };
    ep.register(a, EPOLLIN! | EPOLLOUT!);
    const spun = measure('EPOLLIN|EPOLLOUT, level');
    ep.modify(a, EPOLLIN!);
    measure('EPOLLIN only, level');
    ep.modify(a, EPOLLIN! | EPOLLOUT! | EPOLLET!);
    measure('EPOLLIN|EPOLLOUT|EPOLLET');

    console.log(`\n3. nothing to send, nothing to read: wake-ups of epoll_wait in ${WINDOW_MS} ms\n`);
    for (const line of table(['interest', 'wake-ups', 'CPU time'], rows)) console.log(`  ${line}`);
    console.log(`
What happened:
  - Level-triggered, epoll reports a descriptor on every wait for as long as
    it is ready: 6 unread bytes kept 'a' on the list until they were read.
  - Edge-triggered, it reports a change: data arrived once, so 'a' came back
    once. After the partial read it stayed silent with 6 bytes unread; only
    the next byte from the peer made a new edge. A server that reads part
    of a request and waits again never hears from that client: it waits for
    us, we wait for it. Under EPOLLET, read (and write) until EAGAIN.
  - A socket with room in its send buffer is always writable. With EPOLLOUT
    left on, the level-triggered loop woke ${spun.toLocaleString('en-US')} times in ${WINDOW_MS} ms and
    burnt the CPU doing nothing. Ask for EPOLLOUT only while there is data
    waiting to be sent, and take it off (EPOLL_CTL_MOD) once the buffer is
    empty: then epoll_wait sleeps until something real happens.`);
  } finally {
    ep.close();
  }
}

function main(): void {
  const [a, b] = socketpair();
  try {
    a.setblocking(false); // edge-triggered reading needs recv() to say EAGAIN rather than block
    partOne(a, b);
    partThree(a);
  } finally {
    a.close();
    b.close();
  }
}

main();
