// Readiness through select(2), poll(2), epoll(7) and the selectors built on them, against real
// loopback sockets: read, write, hang-up and error, timeouts, FD_SETSIZE, edge versus level triggering,
// and one contract that every selector back end must keep.
//
// Nothing here blocks without a limit: every wait carries a timeout, and a test that expects nothing
// to be ready looks with a timeout of 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AF_INET,
  BaseSelector,
  BlockingIOError,
  close,
  createConnection,
  createServer,
  DefaultSelector,
  Epoll,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  epoll_create1,
  epoll_ctl,
  epoll_wait,
  EPOLLERR,
  EPOLLET,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLRDHUP,
  EpollSelector,
  errnoOf,
  EVENT_READ,
  EVENT_WRITE,
  fdSetsizeError,
  FD_SETSIZE,
  getrlimit,
  openDescriptors,
  OSError,
  poll,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLRDHUP,
  PollSelector,
  raiseOpenFileLimit,
  select,
  SelectSelector,
  setrlimit,
  SHUT_WR,
  SO_ERROR,
  SOCK_STREAM,
  Socket,
  socketpair,
  SOL_SOCKET,
  type InetAddress,
} from '../src/sys/index.ts';

const T = 15_000; // every test's Vitest timeout
const MSG_OOB = 1; // send(2) flag for TCP urgent data, which select reports as "exceptional"

// ---- helpers -------------------------------------------------------------------------------------

interface Closable {
  close(): void;
}
type Own = <S extends Closable>(s: S) => S;

/** Runs `body`, then closes (in reverse order) everything it handed to `own`, even when it threw. */
function scope<R>(body: (own: Own) => R): R {
  const owned: Closable[] = [];
  try {
    return body((s) => (owned.push(s), s));
  } finally {
    for (const s of owned.reverse()) s.close();
  }
}

/** A listening server, a client connected to it and the accepted connection. */
function tcpPair(own: Own) {
  const server = own(createServer({ host: '127.0.0.1', port: 0 }));
  const client = own(createConnection(server.getsockname() as InetAddress));
  const [ready] = select([server], [], [], 5000);
  expect(ready).toEqual([server]);
  const [conn] = server.accept();
  own(conn);
  return { server, client, conn };
}

/** A non-blocking socket whose connect to a closed loopback port is under way (it will be refused). */
function refusedConnect(own: Own): Socket {
  const dead = new Socket(AF_INET, SOCK_STREAM);
  let port: number;
  try {
    dead.bind({ host: '127.0.0.1', port: 0 });
    port = (dead.getsockname() as InetAddress).port;
  } finally {
    dead.close();
  }
  const s = own(new Socket(AF_INET, SOCK_STREAM));
  s.setblocking(false);
  const errno = s.connectEx({ host: '127.0.0.1', port });
  // loopback may refuse at once; either way the error is pending on the socket now or very soon
  expect([errnoOf('EINPROGRESS'), errnoOf('ECONNREFUSED')]).toContain(errno);
  return s;
}

/** Fills the socket's send buffer (it must be non-blocking) and returns how many bytes went in. */
function fill(sock: Socket): number {
  const chunk = Buffer.alloc(1 << 20);
  let total = 0;
  for (;;) {
    try {
      total += sock.send(chunk);
    } catch (e) {
      if (e instanceof BlockingIOError) return total;
      throw e;
    }
  }
}

/** Reads everything there is now from a non-blocking socket. */
function drain(sock: Socket): number {
  let total = 0;
  for (;;) {
    try {
      const n = sock.recv(1 << 20).length;
      if (n === 0) return total;
      total += n;
    } catch (e) {
      if (e instanceof BlockingIOError) return total;
      throw e;
    }
  }
}

function elapsed(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

// ---- descriptor leaks ---------------------------------------------------------------------------------

let fdsAtStart: number[] = [];
beforeEach(() => {
  fdsAtStart = openDescriptors();
});
afterEach(() => {
  expect(openDescriptors()).toEqual(fdsAtStart);
});

// ---- select ----------------------------------------------------------------------------------------------

describe('select', () => {
  it('reports readability when data arrives, returning the objects it was given', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own) as [Socket, Socket];
      expect(select([a, b], [], [], 0)).toEqual([[], [], []]);
      a.send('x');
      const [r, w, x] = select([a, b], [], [], 5000);
      expect(r).toHaveLength(1);
      expect(r[0]).toBe(b); // the same object
      expect([w, x]).toEqual([[], []]);
      // descriptor numbers work too
      expect(select([a.fileno(), b.fileno()], [], [], 0)[0]).toEqual([b.fileno()]);
      b.recv(10);
      expect(select([a, b], [], [], 0)[0]).toEqual([]);
    }),
  );

  it('reports a listening socket readable when a connection waits', { timeout: T }, () =>
    scope((own) => {
      const server = own(createServer({ host: '::1', port: 0 }));
      expect(select([server], [], [], 0)[0]).toEqual([]);
      own(createConnection(server.getsockname() as InetAddress));
      expect(select([server], [], [], 5000)[0]).toEqual([server]);
      own(server.accept()[0]);
      expect(select([server], [], [], 0)[0]).toEqual([]);
    }),
  );

  it('reports writability until the send buffer is full, and again once the peer drains it', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      expect(select([], [client], [], 0)[1]).toEqual([client]);
      client.setblocking(false);
      conn.setblocking(false);
      expect(fill(client)).toBeGreaterThan(0);
      expect(select([], [client], [], 0)[1]).toEqual([]);
      expect(select([conn], [], [], 0)[0]).toEqual([conn]);
      let drained = 0;
      while (select([], [client], [], 0)[1].length === 0) {
        expect(select([conn], [], [], 5000)[0]).toEqual([conn]);
        drained += drain(conn);
      }
      expect(drained).toBeGreaterThan(0);
      expect(select([], [client], [], 5000)[1]).toEqual([client]);
    }),
  );

  it('reports a hang-up as readable, and recv then returns an empty Buffer', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      expect(select([client], [], [], 0)[0]).toEqual([]);
      conn.close();
      expect(select([client], [], [], 5000)[0]).toEqual([client]);
      expect(client.recv(100).length).toBe(0);
      expect(select([client], [], [], 0)[0]).toEqual([client]); // and stays readable
    }),
  );

  it('reports TCP urgent data (MSG_OOB) as exceptional', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      expect(select([], [], [conn], 0)[2]).toEqual([]);
      client.send('!', MSG_OOB);
      expect(select([], [], [conn], 5000)[2]).toEqual([conn]);
    }),
  );

  it('timeout 0 returns at once; 50 ms waits about that long', { timeout: T }, () =>
    scope((own) => {
      const [a] = socketpair().map(own) as [Socket];
      let result: unknown;
      expect(elapsed(() => (result = select([a], [], [], 0)))).toBeLessThan(1000);
      expect(result).toEqual([[], [], []]);
      const waited = elapsed(() => (result = select([a], [], [], 50)));
      expect(result).toEqual([[], [], []]);
      expect(waited).toBeGreaterThanOrEqual(45);
      expect(waited).toBeLessThan(5000);
      // with no descriptors at all, select is a sleep
      expect(elapsed(() => select([], [], [], 50))).toBeGreaterThanOrEqual(45);
    }),
  );

  it('refuses a negative timeout, a closed Socket, and a closed descriptor number', { timeout: T }, () =>
    scope((own) => {
      const [a] = socketpair().map(own) as [Socket];
      expect(() => select([a], [], [], -5)).toThrow(/timeoutMs must be >= 0/);
      const s = new Socket(AF_INET, SOCK_STREAM);
      const fd = s.fileno();
      s.close();
      const e = thrown(() => select([s], [], [], 0));
      expect(e).toBeInstanceOf(RangeError);
      expect(e.message).toMatch(/select: descriptor -1 is not open.*closed socket/);
      expect(() => select([], [s], [], 0)).toThrow(RangeError);
      // a plain number that is not an open descriptor: the kernel's EBADF
      expect(openDescriptors()).not.toContain(fd);
      const bad = thrown(() => select([fd], [], [], 0)) as OSError;
      expect(bad).toBeInstanceOf(OSError);
      expect([bad.code, bad.syscall]).toEqual(['EBADF', 'select']);
    }),
  );
});

// ---- poll ------------------------------------------------------------------------------------------------

describe('poll', () => {
  it('returns only the ready entries, in the order given, with revents', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own) as [Socket, Socket];
      expect(poll([{ fd: a.fileno(), events: POLLIN }, { fd: b.fileno(), events: POLLIN }], 0)).toEqual([]);
      a.send('x');
      expect(poll([{ fd: a.fileno(), events: POLLIN }, { fd: b.fileno(), events: POLLIN }], 5000)).toEqual([
        { fd: b.fileno(), events: POLLIN, revents: POLLIN },
      ]);
      expect(poll([{ fd: b.fileno(), events: POLLIN | POLLOUT }, { fd: a.fileno(), events: POLLOUT }], 0)).toEqual([
        { fd: b.fileno(), events: POLLIN | POLLOUT, revents: POLLIN | POLLOUT },
        { fd: a.fileno(), events: POLLOUT, revents: POLLOUT },
      ]);
    }),
  );

  it('TCP peer closed: POLLIN and POLLRDHUP; POLLHUP only once both directions are shut', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      const events = POLLIN | POLLRDHUP!;
      expect(poll([{ fd: client.fileno(), events }], 0)).toEqual([]);
      conn.close();
      const [r] = poll([{ fd: client.fileno(), events }], 5000);
      expect(r!.revents & (POLLIN | POLLRDHUP!)).toBe(POLLIN | POLLRDHUP!);
      expect(r!.revents & POLLHUP).toBe(0); // we may still send: half the connection is open
      client.shutdown(SHUT_WR);
      const [r2] = poll([{ fd: client.fileno(), events: POLLIN }], 5000);
      expect(r2!.revents & (POLLIN | POLLHUP)).toBe(POLLIN | POLLHUP);
      expect(client.recv(10).length).toBe(0);
    }),
  );

  it('socketpair peer closed: POLLHUP with POLLIN, even unasked', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own) as [Socket, Socket];
      b.close();
      const [r] = poll([{ fd: a.fileno(), events: 0 }], 5000);
      expect(r!.revents & POLLHUP).toBe(POLLHUP);
      expect(poll([{ fd: a.fileno(), events: POLLIN }], 0)[0]!.revents & POLLIN).toBe(POLLIN);
    }),
  );

  it('a refused non-blocking connect: POLLERR, and SO_ERROR is ECONNREFUSED (once)', { timeout: T }, () =>
    scope((own) => {
      const s = refusedConnect(own);
      const [r] = poll([{ fd: s.fileno(), events: POLLOUT }], 5000);
      expect(r!.revents & POLLERR).toBe(POLLERR);
      expect(r!.revents & POLLHUP).toBe(POLLHUP);
      expect(s.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(errnoOf('ECONNREFUSED'));
      expect(s.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(0); // reading it cleared it
    }),
  );

  it('a closed descriptor number comes back as POLLNVAL; a closed Socket is refused', { timeout: T }, () => {
    const s = new Socket(AF_INET, SOCK_STREAM);
    const fd = s.fileno();
    s.close();
    expect(openDescriptors()).not.toContain(fd);
    expect(poll([{ fd, events: POLLIN }], 0)).toEqual([{ fd, events: POLLIN, revents: POLLNVAL }]);
    const e = thrown(() => poll([{ fd: s.fileno(), events: POLLIN }], 0));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toMatch(/poll: descriptor -1 is not open.*closed socket/);
  });

  it('timeout 0 returns at once; 50 ms waits about that long', { timeout: T }, () =>
    scope((own) => {
      const [a] = socketpair().map(own) as [Socket];
      const fds = [{ fd: a.fileno(), events: POLLIN }];
      expect(elapsed(() => expect(poll(fds, 0)).toEqual([]))).toBeLessThan(1000);
      const waited = elapsed(() => expect(poll(fds, 50)).toEqual([]));
      expect(waited).toBeGreaterThanOrEqual(45);
      expect(waited).toBeLessThan(5000);
    }),
  );
});

// ---- epoll -----------------------------------------------------------------------------------------------

describe('epoll', () => {
  it('reports read and write readiness with the data given to epoll_ctl', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own) as [Socket, Socket];
      const epfd = epoll_create1();
      own({ close: () => close(epfd) });
      const big = 2 ** 40 + 7; // data is 64 bits wide
      epoll_ctl(epfd, EPOLL_CTL_ADD!, b.fileno(), EPOLLIN!, big);
      expect(epoll_wait(epfd, 8, 0)).toEqual([]);
      a.send('x');
      expect(epoll_wait(epfd, 8, 5000)).toEqual([{ events: EPOLLIN, data: big }]);
      epoll_ctl(epfd, EPOLL_CTL_MOD!, b.fileno(), EPOLLIN! | EPOLLOUT!);
      expect(epoll_wait(epfd, 8, 0)).toEqual([{ events: EPOLLIN! | EPOLLOUT!, data: b.fileno() }]);
      epoll_ctl(epfd, EPOLL_CTL_DEL!, b.fileno());
      expect(epoll_wait(epfd, 8, 0)).toEqual([]);
    }),
  );

  it('the Epoll class: register, modify, unregister, poll; close is idempotent', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own) as [Socket, Socket];
      const ep = new Epoll();
      try {
        expect(ep.fileno()).toBeGreaterThanOrEqual(0);
        ep.register(a); // EPOLLIN | EPOLLOUT by default
        ep.register(b.fileno(), EPOLLIN!);
        expect(ep.poll(0)).toEqual([[a.fileno(), EPOLLOUT]]);
        a.send('x');
        expect(ep.poll(5000).sort()).toEqual([[a.fileno(), EPOLLOUT], [b.fileno(), EPOLLIN]].sort());
        ep.modify(a, EPOLLIN!);
        ep.unregister(b);
        expect(ep.poll(0)).toEqual([]);
        expect(ep.poll(0, 1)).toEqual([]);
      } finally {
        ep.close();
      }
      expect(ep.closed).toBe(true);
      expect(ep.fileno()).toBe(-1);
      expect(() => ep.close()).not.toThrow();
      expect((thrown(() => ep.poll(0)) as OSError).code).toBe('EBADF');
    }),
  );

  it('EPOLLRDHUP when asked and the peer closed; EPOLLHUP after both directions are shut', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      const asked = own(new Epoll());
      const unasked = own(new Epoll());
      asked.register(client, EPOLLIN! | EPOLLRDHUP!);
      unasked.register(client, EPOLLIN!);
      expect(asked.poll(0)).toEqual([]);
      conn.close();
      const [[fd, events]] = asked.poll(5000) as [[number, number]];
      expect(fd).toBe(client.fileno());
      expect(events & EPOLLRDHUP!).toBe(EPOLLRDHUP);
      expect(events & EPOLLIN!).toBe(EPOLLIN);
      expect(events & EPOLLHUP!).toBe(0);
      expect(unasked.poll(0)).toEqual([[client.fileno(), EPOLLIN]]); // no RDHUP unless asked
      client.shutdown(SHUT_WR);
      const [[, after]] = unasked.poll(5000) as [[number, number]];
      expect(after & EPOLLHUP!).toBe(EPOLLHUP); // reported even unasked
    }),
  );

  it('a refused non-blocking connect: EPOLLERR, and SO_ERROR is ECONNREFUSED', { timeout: T }, () =>
    scope((own) => {
      const s = refusedConnect(own);
      const ep = own(new Epoll());
      ep.register(s, EPOLLOUT!);
      const [[, events]] = ep.poll(5000) as [[number, number]];
      expect(events & EPOLLERR!).toBe(EPOLLERR);
      expect(s.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(errnoOf('ECONNREFUSED'));
    }),
  );

  it('edge-triggered reports data partly read only when new data arrives; level-triggered on every wait', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own) as [Socket, Socket];
      const edge = own(new Epoll());
      const level = own(new Epoll());
      edge.register(b, EPOLLIN! | EPOLLET!);
      level.register(b, EPOLLIN!);
      a.send('0123456789');
      expect(edge.poll(5000)).toEqual([[b.fileno(), EPOLLIN]]);
      expect(level.poll(5000)).toEqual([[b.fileno(), EPOLLIN]]);
      expect(b.recv(3).toString()).toBe('012'); // 7 bytes left unread
      expect(edge.poll(0)).toEqual([]);
      expect(edge.poll(20)).toEqual([]);
      expect(level.poll(0)).toEqual([[b.fileno(), EPOLLIN]]);
      expect(level.poll(0)).toEqual([[b.fileno(), EPOLLIN]]);
      a.send('!');
      expect(edge.poll(5000)).toEqual([[b.fileno(), EPOLLIN]]);
      expect(edge.poll(0)).toEqual([]);
      expect(b.recv(100).toString()).toBe('3456789!');
      expect(level.poll(0)).toEqual([]);
    }),
  );

  it('EPOLLONESHOT reports once, then nothing until epoll_ctl MOD re-arms it', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own) as [Socket, Socket];
      const ep = own(new Epoll());
      ep.register(b, EPOLLIN! | EPOLLONESHOT!);
      a.send('one');
      expect(ep.poll(5000)).toEqual([[b.fileno(), EPOLLIN]]);
      expect(ep.poll(0)).toEqual([]); // still unread, but disarmed
      a.send('two');
      expect(ep.poll(0)).toEqual([]); // even new data does not wake it
      ep.modify(b, EPOLLIN! | EPOLLONESHOT!);
      expect(ep.poll(5000)).toEqual([[b.fileno(), EPOLLIN]]);
      expect(ep.poll(0)).toEqual([]);
    }),
  );

  it('epoll_ctl errors: EEXIST, ENOENT, EBADF, EPERM; bad arguments are RangeErrors', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own) as [Socket, Socket];
      const ep = own(new Epoll());
      ep.register(a, EPOLLIN!);
      const exists = thrown(() => ep.register(a, EPOLLIN!)) as OSError;
      expect(exists).toBeInstanceOf(OSError);
      expect([exists.code, exists.errno, exists.syscall, exists.fd]).toEqual(['EEXIST', errnoOf('EEXIST'), 'epoll_ctl', a.fileno()]);
      const noent = thrown(() => ep.modify(b, EPOLLIN!)) as OSError;
      expect([noent.code, noent.syscall, noent.fd]).toEqual(['ENOENT', 'epoll_ctl', b.fileno()]);
      expect((thrown(() => ep.unregister(b)) as OSError).code).toBe('ENOENT');
      const closed = new Socket(AF_INET, SOCK_STREAM);
      closed.close();
      expect(() => ep.register(closed)).toThrow(/epoll_ctl: descriptor -1 is not open/); // a closed Socket
      const closedFd = new Socket(AF_INET, SOCK_STREAM).detach();
      close(closedFd); // a number that is not an open descriptor: the kernel's EBADF
      const badf = thrown(() => ep.register(closedFd)) as OSError;
      expect([badf.code, badf.syscall, badf.fd]).toEqual(['EBADF', 'epoll_ctl', closedFd]);

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-epoll-'));
      const file = fs.openSync(path.join(dir, 'regular'), 'w');
      try {
        expect((thrown(() => ep.register(file, EPOLLIN!)) as OSError).code).toBe('EPERM'); // regular files are always "ready"
      } finally {
        fs.closeSync(file);
        fs.rmSync(dir, { recursive: true });
      }
      expect(() => epoll_ctl(ep.fileno(), EPOLL_CTL_ADD!, b.fileno(), EPOLLIN!, -1)).toThrow(RangeError);
      expect(() => epoll_wait(ep.fileno(), 0, 0)).toThrow(/maxevents must be a positive integer/);
    }),
  );

  it('epoll_wait with a timeout waits about that long', { timeout: T }, () =>
    scope((own) => {
      const [a] = socketpair().map(own) as [Socket];
      const ep = own(new Epoll());
      ep.register(a, EPOLLIN!);
      const waited = elapsed(() => expect(ep.poll(50)).toEqual([]));
      expect(waited).toBeGreaterThanOrEqual(45);
      expect(waited).toBeLessThan(5000);
    }),
  );
});

// ---- FD_SETSIZE ------------------------------------------------------------------------------------------

describe('FD_SETSIZE', () => {
  it('select refuses a descriptor >= 1024 with a RangeError that says why; poll and epoll watch it', { timeout: 30_000 }, () =>
    scope((own) => {
      const { soft, hard } = getrlimit();
      expect(soft).toBeLessThanOrEqual(hard);
      setrlimit({ soft, hard }); // a no-op change is allowed
      expect(raiseOpenFileLimit(2048)).toBeGreaterThanOrEqual(Math.min(2048, hard));
      expect(getrlimit().soft).toBeGreaterThanOrEqual(Math.min(2048, hard));
      if (getrlimit().soft < FD_SETSIZE + 64) throw new Error(`RLIMIT_NOFILE hard limit ${hard} is too low for this test`);

      // open socketpairs until their numbers pass FD_SETSIZE
      let pair = socketpair().map(own) as [Socket, Socket];
      while (pair[1].fileno() < FD_SETSIZE) pair = socketpair().map(own) as [Socket, Socket];
      const [low, high] = pair[0].fileno() < FD_SETSIZE ? pair : ([pair[1], pair[0]] as const);
      expect(high.fileno()).toBeGreaterThanOrEqual(FD_SETSIZE);

      const e = thrown(() => select([high], [], [], 0));
      expect(e).toBeInstanceOf(RangeError);
      expect(e.message).toContain('FD_SETSIZE');
      expect(e.message).toContain('1024');
      expect(e.message).toContain(`descriptor ${high.fileno()}`);
      expect(e.message).toMatch(/poll\(\) or epoll/);
      expect(() => select([], [high.fileno()], [], 0)).toThrow(/FD_SETSIZE \(1024\)/);
      expect(() => select([], [], [high], 0)).toThrow(RangeError);
      expect(fdSetsizeError(high.fileno()).message).toBe(e.message);
      const sel = own(new SelectSelector());
      expect(() => sel.register(high, EVENT_READ)).toThrow(/FD_SETSIZE/);
      expect(sel.getMap().size).toBe(0);

      // the same descriptor through poll and epoll
      const ep = own(new Epoll());
      ep.register(high, EPOLLIN!);
      const pollSel = own(new PollSelector());
      const key = pollSel.register(high, EVENT_READ, 'high');
      expect(poll([{ fd: high.fileno(), events: POLLIN }], 0)).toEqual([]);
      low.send('hello, high descriptor');
      expect(poll([{ fd: high.fileno(), events: POLLIN }], 5000)).toEqual([{ fd: high.fileno(), events: POLLIN, revents: POLLIN }]);
      expect(ep.poll(5000)).toEqual([[high.fileno(), EPOLLIN]]);
      expect(pollSel.select(5000)).toEqual([[key, EVENT_READ]]);
      expect(high.recv(100).toString()).toBe('hello, high descriptor');
    }),
  );
});

// ---- selectors -------------------------------------------------------------------------------------------

type SelectorClass = new <T = unknown>() => BaseSelector<T>;
const backends: [string, SelectorClass][] = [
  ['select', SelectSelector],
  ['poll', PollSelector],
  ['epoll', EpollSelector],
];

for (const [name, Selector] of backends) {
  describe(`${Selector.name} (the selector contract)`, () => {
    it('register, getKey, getMap, modify and unregister', { timeout: T }, () =>
      scope((own) => {
        const [a, b] = socketpair().map(own) as [Socket, Socket];
        const sel = own(new Selector<{ tag: string }>());
        expect(sel.name).toBe(name);
        const data = { tag: 'a' };
        const key = sel.register(a, EVENT_READ, data);
        expect(key).toEqual({ fileobj: a, fd: a.fileno(), events: EVENT_READ, data });
        expect(key.data).toBe(data);
        expect(sel.getKey(a)).toBe(key);
        expect(sel.getKey(a.fileno())).toBe(key);
        expect(sel.getKey(b)).toBeUndefined();
        expect([...sel.getMap().keys()]).toEqual([a.fileno()]);

        const modified = sel.modify(a, EVENT_READ | EVENT_WRITE);
        expect(modified.events).toBe(EVENT_READ | EVENT_WRITE);
        expect(modified.data).toBe(data); // kept when not given
        const other = { tag: 'other' };
        expect(sel.modify(a, EVENT_READ | EVENT_WRITE, other).data).toBe(other);
        expect(sel.getKey(a)!.data).toBe(other);

        const removed = sel.unregister(a);
        expect(removed.fd).toBe(a.fileno());
        expect(removed.data).toBe(other);
        expect(sel.getKey(a)).toBeUndefined();
        expect(sel.getMap().size).toBe(0);
        expect(() => sel.unregister(a)).toThrow(/unregister: .* is not registered/);
        expect(() => sel.modify(a, EVENT_READ)).toThrow(/modify: .* is not registered/);
      }),
    );

    it('select reports readiness with the data slot, and [] when nothing is ready', { timeout: T }, () =>
      scope((own) => {
        const [a, b] = socketpair().map(own) as [Socket, Socket];
        const sel = own(new Selector<string>());
        const kb = sel.register(b, EVENT_READ, 'reader of b');
        expect(sel.select(0)).toEqual([]);
        expect(elapsed(() => expect(sel.select(50)).toEqual([]))).toBeGreaterThanOrEqual(45);
        a.send('x');
        const ready = sel.select(5000);
        expect(ready).toEqual([[kb, EVENT_READ]]);
        expect(ready[0]![0].data).toBe('reader of b');
        expect(ready[0]![0].fileobj).toBe(b);
        expect(sel.select(0)).toEqual([[kb, EVENT_READ]]); // level-triggered: still unread
        b.recv(10);
        expect(sel.select(0)).toEqual([]);

        const ka = sel.register(a.fileno(), EVENT_WRITE, 'writer of a'); // by number
        expect(sel.select(0)).toEqual([[ka, EVENT_WRITE]]);
        sel.modify(a.fileno(), EVENT_READ);
        expect(sel.select(0)).toEqual([]);
      }),
    );

    it('register refuses a second registration, no events, and a closed socket', { timeout: T }, () =>
      scope((own) => {
        const [a] = socketpair().map(own) as [Socket];
        const sel = own(new Selector());
        sel.register(a, EVENT_READ);
        expect(() => sel.register(a, EVENT_WRITE)).toThrow(/registered already/);
        expect(() => sel.register(a.fileno(), EVENT_WRITE)).toThrow(/registered already/);
        expect(sel.getKey(a)!.events).toBe(EVENT_READ);
        const s = own(new Socket(AF_INET, SOCK_STREAM));
        expect(() => sel.register(s, 0)).toThrow(RangeError);
        expect(() => sel.register(s, 4)).toThrow(/EVENT_READ, EVENT_WRITE or both/);
        s.close();
        expect(() => sel.register(s, EVENT_READ)).toThrow(/not open/);
        expect(sel.getMap().size).toBe(1);
      }),
    );

    it('unregister works on a socket closed after registering', { timeout: T }, () =>
      scope((own) => {
        const [a, b] = socketpair().map(own) as [Socket, Socket];
        const sel = own(new Selector<string>());
        const fd = a.fileno();
        sel.register(a, EVENT_READ, 'a');
        const kb = sel.register(b, EVENT_READ, 'b');
        a.close();
        expect(sel.getKey(a)?.data).toBe('a'); // found by identity
        const key = sel.unregister(a);
        expect([key.fd, key.data]).toEqual([fd, 'a']);
        expect(sel.getKey(a)).toBeUndefined();
        // the selector goes on working for the rest
        expect(sel.select(5000)).toEqual([[kb, EVENT_READ]]); // b sees a's close as end of stream
        expect(b.recv(10).length).toBe(0);
      }),
    );

    it('a hang-up wakes a reader; a refused connect wakes a writer', { timeout: T }, () =>
      scope((own) => {
        const { client, conn } = tcpPair(own);
        const sel = own(new Selector());
        const key = sel.register(client, EVENT_READ);
        expect(sel.select(0)).toEqual([]);
        conn.close();
        expect(sel.select(5000)).toEqual([[key, EVENT_READ]]);
        expect(client.recv(10).length).toBe(0);

        const s = refusedConnect(own);
        const wkey = sel.register(s, EVENT_WRITE);
        const ready = sel.select(5000);
        expect(ready).toContainEqual([wkey, EVENT_WRITE]);
        expect(s.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(errnoOf('ECONNREFUSED'));
      }),
    );

    it('close is idempotent and ends the selector', { timeout: T }, () =>
      scope((own) => {
        const [a] = socketpair().map(own) as [Socket];
        const sel = new Selector();
        sel.register(a, EVENT_READ);
        sel.close();
        sel.close();
        expect(sel.getMap().size).toBe(0);
        expect(() => sel.select(0)).toThrow(/selector is closed/);
        expect(() => sel.register(a, EVENT_READ)).toThrow(/selector is closed/);
      }),
    );
  });
}

describe('DefaultSelector', () => {
  it('is EpollSelector on Linux', { timeout: T }, () => {
    expect(DefaultSelector).toBe(EpollSelector);
    const sel = new DefaultSelector();
    try {
      expect(sel).toBeInstanceOf(EpollSelector);
      expect(sel.name).toBe('epoll');
    } finally {
      sel.close();
    }
  });
});
