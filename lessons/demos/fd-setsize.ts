// The FD_SETSIZE wall: select() cannot watch descriptor 1024; poll and epoll can
//
// What it shows: a descriptor's number, not how many you hold, decides whether
// select() can watch it. We raise the soft open-file limit (within the hard
// one), open socketpairs until the kernel hands out a descriptor numbered 1024
// or more, and then:
//   1. ask select() to watch it: the library refuses with a RangeError, and we
//      print its message. We also work out what C code would have done: glibc's
//      fd_set is a fixed array of 1024 bits (128 bytes), so FD_SET(1024, &set)
//      writes the first bit past its end, unless the program was built with
//      _FORTIFY_SOURCE, in which case glibc stops it on the spot;
//   2. put one byte in it and wait on the same descriptor with poll() and with
//      epoll: both report it readable, no questions asked.
// Every descriptor the demo opened is closed at the end, and the count of open
// descriptors is back where it started. Bounded: about 1,000 descriptors,
// well under a second (so LEARN_IO_DEMO_QUICK=1 has nothing to shrink).
//
// Backs the lesson's claims C21 (select's fd_set stops at FD_SETSIZE, 1024)
// and C22/C23 (poll's array and epoll's interest list have no such limit; the
// ceiling is the open-file limit).
import { wrap } from '../../src/demo-kit.ts';
import {
  DefaultSelector,
  Epoll,
  EPOLLIN,
  EVENT_READ,
  FD_SETSIZE,
  getrlimit,
  openDescriptors,
  poll,
  POLLIN,
  raiseOpenFileLimit,
  select,
  SelectSelector,
  socketpair,
  type Socket,
} from '../../src/sys/index.ts';

const MAX_PAIRS = 2_000; // a bound: 1024 is reached after about 500 pairs

function main(): void {
  const before = openDescriptors();
  const { soft, hard } = getrlimit();
  const limit = raiseOpenFileLimit(FD_SETSIZE + 256);
  console.log(`Open-file limit (RLIMIT_NOFILE): soft ${soft}, hard ${hard}; soft now ${limit}.`);
  console.log(`Descriptors open at the start: ${before.length} (the highest is ${before.at(-1)}).\n`);

  const sockets: Socket[] = [];
  let high: Socket | undefined;
  let peer: Socket | undefined;
  try {
    for (let i = 0; i < MAX_PAIRS && !high; i++) {
      const [a, b] = socketpair();
      sockets.push(a, b);
      if (a.fileno() >= FD_SETSIZE) [high, peer] = [a, b];
      else if (b.fileno() >= FD_SETSIZE) [high, peer] = [b, a];
    }
    if (!high || !peer) throw new Error(`no descriptor numbered ${FD_SETSIZE} or more after ${MAX_PAIRS} socketpairs`);
    const fd = high.fileno();
    console.log(`Opened ${sockets.length / 2} socketpairs (${sockets.length} descriptors); the last gave fd ${fd}.\n`);

    console.log(`1. select() on fd ${fd}`);
    try {
      select([high], [], [], 0);
      console.log('   select() accepted it: this library was expected to refuse.');
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      console.log(`   ${e.name}:`);
      for (const line of wrap(e.message, 76, '     ')) console.log(line);
    }
    const byte = fd >> 3;
    const setBytes = FD_SETSIZE / 8;
    console.log(`
   In C, an fd_set is ${FD_SETSIZE} bits: ${setBytes} bytes on the stack or in a struct.
   FD_SET(${fd}, &set) would set bit ${fd & 7} of byte ${byte}; the array ends at byte ${setBytes - 1},
   so the write lands on whatever the compiler placed next. Built with
   -D_FORTIFY_SOURCE, glibc checks the number first and aborts the program
   ("bit out of range 0 - FD_SETSIZE on fd_set"). The kernel itself has no
   fixed limit (select(2), BUGS): the 1024 is the size of glibc's type.`);

    peer.send('x'); // one byte waiting: fd is readable now
    console.log(`\n2. one byte written into fd ${fd}'s peer; now poll() and epoll on fd ${fd}`);
    const polled = poll([{ fd, events: POLLIN }], 0);
    const revents = polled[0]?.revents ?? 0;
    console.log(`   poll([{ fd: ${fd}, events: POLLIN }], 0) -> ${polled.length} ready, revents ${revents & POLLIN ? 'POLLIN' : revents}`);

    const ep = new Epoll();
    try {
      ep.register(high, EPOLLIN!);
      const events = ep.poll(0, 8);
      const shown = events.map(([f, ev]) => `[fd ${f}, ${ev & EPOLLIN! ? 'EPOLLIN' : ev}]`).join(', ');
      console.log(`   epoll: register(${fd}, EPOLLIN), then poll(0) -> ${shown || 'nothing'}`);
    } finally {
      ep.close();
    }

    // The registry over select refuses at register(); the default one (epoll on Linux) takes it.
    const bySelect = new SelectSelector();
    try {
      bySelect.register(high, EVENT_READ);
      console.log('   SelectSelector.register() accepted it: unexpected.');
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      console.log(`   SelectSelector.register(fd ${fd}) -> RangeError at once, before any wait`);
    } finally {
      bySelect.close();
    }
    const sel = new DefaultSelector<string>();
    try {
      sel.register(high, EVENT_READ, 'the high one');
      const ready = sel.select(0);
      console.log(`   DefaultSelector (${sel.name}): ${ready.length} ready, data = '${ready[0]?.[0].data ?? ''}'`);
    } finally {
      sel.close();
    }
    high.recv(1);
  } finally {
    for (const s of sockets) s.close();
  }

  const after = openDescriptors();
  console.log(`\nClosed them all: ${after.length} descriptors open, as at the start (${before.length}).`);
  console.log(`
What happened:
  - The limit is on descriptor numbers. A process that holds ${FD_SETSIZE} descriptors
    at once (Node alone holds about ${before.length}) cannot select() on the next one,
    however few it actually wants to watch.
  - poll() takes an array of (fd, events) pairs and epoll keeps a list in the
    kernel: neither has a fixed size, so their ceiling is the open-file
    limit (here ${limit}, and up to ${hard} for this process).`);
}

main();
