// src/sys's sockets against the real kernel, on loopback only (127.0.0.1 and ::1, port 0): every call's
// success and failure paths, the errors' shapes, and descriptor hygiene.
//
// A blocking call blocks this whole thread, so no test lets one wait for something this thread would
// have to do: before accept/recv we wait for readiness with poll(2) and a timeout (so a broken library
// fails the test instead of hanging it), and the multi-megabyte sendall reads from a child process.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BlockingIOError,
  BrokenPipeError,
  close,
  ConnectionRefusedError,
  ConnectionResetError,
  constants,
  createConnection,
  createServer,
  decodeAddress,
  encodeAddress,
  Epoll,
  epoll_create1,
  EPOLLET,
  errnoName,
  errnoOf,
  familyOf,
  FD_SETSIZE,
  formatAddress,
  IPPROTO_TCP,
  isNonBlocking,
  MSG_DONTWAIT,
  MSG_PEEK,
  openDescriptors,
  OSError,
  pipe,
  poll,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  read,
  setNonBlocking,
  SHUT_WR,
  SO_ERROR,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  Socket,
  socketpair,
  SOL_SOCKET,
  TCP_NODELAY,
  unsupportedReason,
  write,
  type InetAddress,
} from '../src/sys/index.ts';
import { libc } from '../src/sys/libc.ts';

const T = 15_000; // every test's Vitest timeout, well above what any of them needs

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
async function scopeAsync<R>(body: (own: Own) => Promise<R>): Promise<R> {
  const owned: Closable[] = [];
  try {
    return await body((s) => (owned.push(s), s));
  } finally {
    for (const s of owned.reverse()) s.close();
  }
}
const fdCloser = (fd: number): Closable => ({ close: () => close(fd) });

/** poll(2) until `events` (or an error/hang-up) on the socket; throws after `ms` so nothing hangs. */
function waitFor(sock: Socket | number, events: number, ms = 5000): number {
  const fd = typeof sock === 'number' ? sock : sock.fileno();
  const [r] = poll([{ fd, events }], ms);
  if (!r) throw new Error(`fd ${fd} was not ready (events 0x${events.toString(16)}) within ${ms} ms`);
  return r.revents;
}

/** Reads exactly `n` bytes, waiting with poll before each recv (so a blocking recv never blocks). */
function recvExactly(sock: Socket, n: number, ms = 10_000): Buffer {
  const chunks: Buffer[] = [];
  let got = 0;
  const deadline = performance.now() + ms;
  while (got < n) {
    waitFor(sock, POLLIN, Math.max(1, deadline - performance.now()));
    const b = sock.recv(Math.min(n - got, 1 << 20));
    if (b.length === 0) throw new Error(`end of stream after ${got} of ${n} bytes`);
    chunks.push(b);
    got += b.length;
  }
  return Buffer.concat(chunks);
}

/** A listening server, a client connected to it and the accepted connection, all owned by `own`. */
function tcpPair(own: Own, host = '127.0.0.1') {
  const server = own(createServer({ host, port: 0 }));
  const client = own(new Socket(familyOf(host), SOCK_STREAM));
  client.connect(server.getsockname());
  waitFor(server, POLLIN);
  const [conn, peer] = server.accept();
  own(conn);
  return { server, client, conn, peer };
}

/** An address nobody listens at: a port bound a moment ago and closed since. */
function closedPort(host = '127.0.0.1'): InetAddress {
  const s = new Socket(familyOf(host), SOCK_STREAM);
  try {
    s.bind({ host, port: 0 });
    return s.getsockname() as InetAddress;
  } finally {
    s.close();
  }
}

/** Catches what `fn` throws (failing the test if it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

const lingerZero = () => new Uint8Array(new Int32Array([1, 0]).buffer); // struct linger { l_onoff = 1, l_linger = 0 }
const allBytes = (times = 1) => Buffer.from(Array.from({ length: 256 * times }, (_, i) => i % 256));

// ---- descriptor leaks: every test must close what it opened ------------------------------------------

let fdsAtStart: number[] = [];
beforeEach(() => {
  fdsAtStart = openDescriptors();
});
afterEach(() => {
  expect(openDescriptors()).toEqual(fdsAtStart);
});

// ---- tests ---------------------------------------------------------------------------------------------

describe('constants and platform checks', () => {
  it('has the Linux values', { timeout: T }, () => {
    expect(AF_UNIX).toBe(1);
    expect(AF_INET).toBe(2);
    expect(AF_INET6).toBe(10);
    expect(EPOLLET).toBe(2 ** 31);
    expect(EPOLLET).toBeGreaterThan(0); // not 1 << 31, which is negative in JavaScript
    expect(FD_SETSIZE).toBe(1024);
    expect(constants.SOL_SOCKET).toBe(1);
    expect(Object.isFrozen(constants)).toBe(true);
  });

  it('names errno values both ways', { timeout: T }, () => {
    expect(errnoOf('EAGAIN')).toBe(11);
    expect(errnoName(11)).toBe('EAGAIN'); // not EWOULDBLOCK, which shares the number
    expect(errnoOf('ECONNREFUSED')).toBe(111);
    expect(errnoName(errnoOf('EPIPE')!)).toBe('EPIPE');
    expect(errnoOf('ENOTANERRNO')).toBeUndefined();
    expect(errnoName(99_999)).toBe('E99999');
  });

  it('unsupportedReason points Windows users to WSL and accepts Linux', { timeout: T }, () => {
    expect(unsupportedReason('win32', 'x64')).toMatch(/WSL/);
    expect(unsupportedReason('linux', 'x64')).toBeUndefined();
    expect(unsupportedReason('linux', 'arm64')).toBeUndefined();
    expect(unsupportedReason('linux', 'ia32')).toMatch(/ia32/);
    expect(unsupportedReason('freebsd', 'x64')).toMatch(/freebsd/);
  });
});

for (const host of ['127.0.0.1', '::1']) {
  const family = host === '::1' ? AF_INET6 : AF_INET;

  describe(`TCP over ${host}`, () => {
    it('bind, listen, connect, accept, send and recv, with the right addresses', { timeout: T }, () =>
      scope((own) => {
        const server = own(new Socket(family, SOCK_STREAM));
        server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        server.bind({ host, port: 0 });
        server.listen(8);
        const local = server.getsockname() as InetAddress;
        expect(local.host).toBe(host);
        expect(local.port).toBeGreaterThan(0);

        const client = own(new Socket(family, SOCK_STREAM));
        client.connect({ host, port: local.port });
        expect(client.getpeername()).toEqual(local);
        const clientAddr = client.getsockname() as InetAddress;
        expect(clientAddr.host).toBe(host);
        expect(clientAddr.port).toBeGreaterThan(0);
        expect(clientAddr.port).not.toBe(local.port);

        waitFor(server, POLLIN);
        const [conn, peer] = server.accept();
        own(conn);
        expect(peer).toEqual(clientAddr);
        expect(conn.getpeername()).toEqual(clientAddr);
        expect(conn.getsockname()).toEqual(local);
        expect(conn.family).toBe(family);
        expect(conn.type).toBe(SOCK_STREAM);
        expect(conn.fileno()).toBeGreaterThanOrEqual(0);
        expect(conn.fileno()).not.toBe(server.fileno());
        expect(String(conn)).toBe(`Socket(fd=${conn.fileno()}, ${family === AF_INET6 ? 'AF_INET6' : 'AF_INET'}, SOCK_STREAM)`);

        expect(client.send('ping')).toBe(4);
        expect(recvExactly(conn, 4).toString()).toBe('ping');
        expect(conn.send(Buffer.from('pong!'))).toBe(5);
        expect(recvExactly(client, 5).toString()).toBe('pong!');
      }),
    );

    it('createConnection connects (blocking) and createServer listens', { timeout: T }, () =>
      scope((own) => {
        const server = own(createServer({ host, port: 0 }));
        expect(server.getsockopt(SOL_SOCKET, SO_REUSEADDR)).toBe(1);
        const client = own(createConnection(server.getsockname() as InetAddress));
        expect(client.getpeername()).toEqual(server.getsockname());
        waitFor(server, POLLIN);
        const [conn] = server.accept();
        own(conn);
        conn.sendall('over');
        expect(recvExactly(client, 4).toString()).toBe('over');
      }),
    );

    it('UDP sendto and recvfrom, with the sender address and datagram boundaries', { timeout: T }, () =>
      scope((own) => {
        const a = own(new Socket(family, SOCK_DGRAM));
        const b = own(new Socket(family, SOCK_DGRAM));
        a.bind({ host, port: 0 });
        b.bind({ host, port: 0 });
        const aAddr = a.getsockname() as InetAddress;
        const bAddr = b.getsockname() as InetAddress;
        expect(aAddr.host).toBe(host);
        expect(a.type).toBe(SOCK_DGRAM);

        expect(a.sendto('hello', bAddr)).toBe(5);
        expect(a.sendto(Buffer.from('world!'), bAddr)).toBe(6);
        waitFor(b, POLLIN);
        const [first, from] = b.recvfrom(100);
        expect(first.toString()).toBe('hello'); // one datagram per call, never merged
        expect(from).toEqual(aAddr);
        waitFor(b, POLLIN);
        const [second] = b.recvfrom(3); // too small: the datagram's tail is discarded
        expect(second.toString()).toBe('wor');

        // and back, binary-safe
        b.sendto(allBytes(), aAddr);
        waitFor(a, POLLIN);
        const [data, sender] = a.recvfrom(1000);
        expect(data.equals(allBytes())).toBe(true);
        expect(sender).toEqual(bAddr);
        // nothing else is queued
        a.setblocking(false);
        expect(thrown(() => a.recvfrom(10))).toBeInstanceOf(BlockingIOError);
      }),
    );
  });
}

describe('socketpair', () => {
  it('gives two connected AF_UNIX stream sockets', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own);
      expect(a!.family).toBe(AF_UNIX);
      expect(a!.type).toBe(SOCK_STREAM);
      expect(a!.getsockname()).toBe(''); // unnamed
      expect(a!.send('to b')).toBe(4);
      expect(recvExactly(b!, 4).toString()).toBe('to b');
      expect(b!.send('to a')).toBe(4);
      expect(recvExactly(a!, 4).toString()).toBe('to a');
    }),
  );

  it('SOCK_DGRAM pairs keep message boundaries', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM).map(own);
      a!.send('one');
      a!.send('two');
      waitFor(b!, POLLIN);
      expect(b!.recv(100).toString()).toBe('one');
      expect(b!.recv(100).toString()).toBe('two');
    }),
  );
});

describe('would block (EAGAIN, EINPROGRESS)', () => {
  it('recv on an empty non-blocking socket throws BlockingIOError EAGAIN with a readable message', { timeout: T }, () =>
    scope((own) => {
      const { client } = tcpPair(own);
      client.setblocking(false);
      const fd = client.fileno();
      const e = thrown(() => client.recv(100)) as BlockingIOError;
      expect(e).toBeInstanceOf(BlockingIOError);
      expect(e).toBeInstanceOf(OSError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe('BlockingIOError');
      expect(e.code).toBe('EAGAIN');
      expect(e.errno).toBe(errnoOf('EAGAIN'));
      expect(e.syscall).toBe('recv');
      expect(e.fd).toBe(fd);
      expect(e.message).toContain('recv');
      expect(e.message).toContain('EAGAIN');
      expect(e.message).toContain(`fd ${fd}`);
      expect(e.message).toMatch(/temporarily unavailable/i); // strerror(3)
      expect('bytesSent' in e).toBe(false); // sendall's field, absent elsewhere
      // recvInto says the same
      expect((thrown(() => client.recvInto(Buffer.alloc(8))) as OSError).code).toBe('EAGAIN');
    }),
  );

  it('MSG_DONTWAIT makes one recv non-blocking on a blocking socket; MSG_PEEK leaves the data', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own);
      expect((thrown(() => b!.recv(10, MSG_DONTWAIT)) as OSError).code).toBe('EAGAIN');
      expect(b!.getblocking()).toBe(true);
      a!.send('peek');
      waitFor(b!, POLLIN);
      expect(b!.recv(10, MSG_PEEK).toString()).toBe('peek');
      expect(b!.recv(10).toString()).toBe('peek');
    }),
  );

  it('accept on a non-blocking listener with nobody waiting throws EAGAIN', { timeout: T }, () =>
    scope((own) => {
      const server = own(createServer({ host: '127.0.0.1', port: 0 }, { blocking: false }));
      expect(server.getblocking()).toBe(false);
      const e = thrown(() => server.accept()) as OSError;
      expect(e).toBeInstanceOf(BlockingIOError);
      expect(e.code).toBe('EAGAIN');
      expect(e.syscall).toBe('accept');
      expect(e.fd).toBe(server.fileno());
    }),
  );

  it('a non-blocking connect throws EINPROGRESS, then the socket turns writable with SO_ERROR 0', { timeout: T }, () =>
    scope((own) => {
      const server = own(createServer({ host: '127.0.0.1', port: 0 }));
      const client = own(new Socket(AF_INET, SOCK_STREAM));
      client.setblocking(false);
      const e = thrown(() => client.connect(server.getsockname())) as OSError;
      expect(e).toBeInstanceOf(BlockingIOError);
      expect(e.code).toBe('EINPROGRESS');
      expect(e.syscall).toBe('connect');
      expect(e.fd).toBe(client.fileno());
      expect(waitFor(client, POLLOUT) & POLLOUT).toBe(POLLOUT);
      expect(client.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(0);
      expect(client.getpeername()).toEqual(server.getsockname());

      const other = own(new Socket(AF_INET, SOCK_STREAM));
      other.setblocking(false);
      expect(other.connectEx(server.getsockname())).toBe(errnoOf('EINPROGRESS'));
      waitFor(other, POLLOUT);
      expect(other.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(0);
      // both connections are there to accept, and accept finds them without blocking
      waitFor(server, POLLIN);
      own(server.accept()[0]);
      waitFor(server, POLLIN);
      own(server.accept()[0]);
    }),
  );
});

describe('connection failures', () => {
  it('connecting to a closed port throws ConnectionRefusedError', { timeout: T }, () =>
    scope((own) => {
      const addr = closedPort();
      const s = own(new Socket(AF_INET, SOCK_STREAM));
      const e = thrown(() => s.connect(addr)) as OSError;
      expect(e).toBeInstanceOf(ConnectionRefusedError);
      expect(e.code).toBe('ECONNREFUSED');
      expect(e.errno).toBe(errnoOf('ECONNREFUSED'));
      expect(e.syscall).toBe('connect');
      expect(e.message).toContain('ECONNREFUSED');

      const t = own(new Socket(AF_INET, SOCK_STREAM));
      expect(t.connectEx(addr)).toBe(errnoOf('ECONNREFUSED'));
      // createConnection closes the socket it made (the leak check after each test sees to it)
      expect(() => createConnection(closedPort('::1'))).toThrow(ConnectionRefusedError);
    }),
  );

  it('send after the peer closed gives BrokenPipeError (EPIPE), not a SIGPIPE death', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      conn.close(); // FIN: the client is now in CLOSE_WAIT
      waitFor(client, POLLIN);
      expect(client.recv(10).length).toBe(0);
      // The first send still goes out; the peer answers it with a reset, which poll reports as an error.
      expect(client.send('x')).toBe(1);
      expect(waitFor(client, 0) & (POLLERR | POLLHUP)).not.toBe(0);
      const e = thrown(() => client.send('y')) as OSError;
      expect(e).toBeInstanceOf(BrokenPipeError);
      expect(e.code).toBe('EPIPE');
      expect(e.errno).toBe(errnoOf('EPIPE'));
      expect(e.syscall).toBe('send');
      expect(() => client.sendall('z')).toThrow(BrokenPipeError);
    }),
  );

  it('send raises no SIGPIPE at all (counted in a child process; write(2) on a broken pipe is the control)', { timeout: 60_000 }, async () => {
    // Node ignores SIGPIPE, so one would not kill this process; a listener turns it into an event we can
    // count. That is done in a child: removing the last listener leaves SIGPIPE at SIG_DFL, deadly here.
    const probe = `
      const sys = await import(${JSON.stringify(new URL('../src/sys/index.ts', import.meta.url).href)});
      let sigpipes = 0;
      process.on('SIGPIPE', () => sigpipes++);
      const wait = (s, events) => { if (sys.poll([{ fd: s.fileno(), events }], 5000).length === 0) throw new Error('timed out'); };
      const server = sys.createServer({ host: '127.0.0.1', port: 0 });
      const client = sys.createConnection(server.getsockname());
      wait(server, sys.POLLIN);
      const [conn] = server.accept();
      conn.close();
      wait(client, sys.POLLIN);
      client.send('x');
      wait(client, 0);
      const codes = [];
      for (const data of ['y', 'z']) try { client.send(data); } catch (e) { codes.push(e.code); }
      const [r, w] = sys.pipe();
      sys.close(r);
      try { sys.write(w, 'x'); } catch (e) { codes.push(e.code); }
      const deadline = performance.now() + 10000;
      while (sigpipes === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
      process.stdout.write(JSON.stringify({ codes, sigpipes }));
      process.exit(0);`;
    const child = spawn(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', probe], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    // two EPIPEs from send, one from the control's write, and exactly one SIGPIPE: the control's
    expect(JSON.parse(out)).toEqual({ codes: ['EPIPE', 'EPIPE', 'EPIPE'], sigpipes: 1 });
  });

  it('EPIPE at once on a socketpair whose other end is closed, and after our own shutdown(SHUT_WR)', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own);
      b!.close();
      expect((thrown(() => a!.send('x')) as OSError).code).toBe('EPIPE');

      const [c, d] = socketpair().map(own);
      c!.shutdown(SHUT_WR);
      expect(thrown(() => c!.send('x'))).toBeInstanceOf(BrokenPipeError);
      d!.send('still reading');
      expect(recvExactly(c!, 13).toString()).toBe('still reading');
    }),
  );

  it('recv after the peer closed with unread data throws ConnectionResetError', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      client.sendall('never read');
      waitFor(conn, POLLIN); // the data is in conn's receive queue
      conn.close(); // closing with unread data sends RST, not FIN (RFC 2525, section 2.17)
      expect(waitFor(client, 0) & POLLERR).toBe(POLLERR);
      const e = thrown(() => client.recv(10)) as OSError;
      expect(e).toBeInstanceOf(ConnectionResetError);
      expect(e.code).toBe('ECONNRESET');
      expect(e.errno).toBe(errnoOf('ECONNRESET'));
      expect(e.syscall).toBe('recv');
      expect(e.fd).toBe(client.fileno());
    }),
  );

  it('recv after the peer closed with SO_LINGER {on, 0} throws ConnectionResetError', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      conn.setsockopt(SOL_SOCKET, SO_LINGER, lingerZero());
      expect([...new Int32Array(new Uint8Array(conn.getsockopt(SOL_SOCKET, SO_LINGER, 8)).buffer)]).toEqual([1, 0]);
      conn.close();
      expect(waitFor(client, 0) & POLLERR).toBe(POLLERR);
      expect(client.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(errnoOf('ECONNRESET')); // reading SO_ERROR clears it...
      expect(client.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(0);
      expect(client.recv(10).length).toBe(0); // ...so recv then sees a dead connection as end of stream
    }),
  );

  it('recv after SO_LINGER {on, 0} throws ECONNRESET when nobody read SO_ERROR first', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      conn.setsockopt(SOL_SOCKET, SO_LINGER, lingerZero());
      conn.close();
      waitFor(client, 0);
      expect(thrown(() => client.recv(10))).toBeInstanceOf(ConnectionResetError);
    }),
  );
});

describe('end of stream and closing', () => {
  it("recv returns an empty Buffer after the peer's shutdown(SHUT_WR); the other direction still works", { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      client.sendall('last words');
      client.shutdown(SHUT_WR);
      expect(recvExactly(conn, 10).toString()).toBe('last words');
      waitFor(conn, POLLIN);
      const eof = conn.recv(100);
      expect(Buffer.isBuffer(eof)).toBe(true);
      expect(eof.length).toBe(0);
      expect(conn.recv(100).length).toBe(0); // and again: end of stream stays
      expect(conn.recvInto(Buffer.alloc(4))).toBe(0);
      conn.sendall('reply after EOF');
      expect(recvExactly(client, 15).toString()).toBe('reply after EOF');
    }),
  );

  it('close is idempotent; afterwards fileno() is -1 and every call throws EBADF', { timeout: T }, () => {
    const s = new Socket(AF_INET, SOCK_STREAM);
    const fd = s.fileno();
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(openDescriptors()).toContain(fd);
    s.close();
    expect(openDescriptors()).not.toContain(fd);
    expect(s.fileno()).toBe(-1);
    expect(s.closed).toBe(true);
    expect(() => s.close()).not.toThrow();
    const e = thrown(() => s.recv(1)) as OSError;
    expect(e).toBeInstanceOf(OSError);
    expect(e.code).toBe('EBADF');
    expect(e.errno).toBe(errnoOf('EBADF'));
    expect(e.syscall).toBe('recv');
    expect(e.message).toContain('closed');
    for (const call of [
      () => s.send('x'),
      () => s.bind({ host: '127.0.0.1', port: 0 }),
      () => s.listen(),
      () => s.accept(),
      () => s.connect({ host: '127.0.0.1', port: 9 }),
      () => s.getsockname(),
      () => s.getsockopt(SOL_SOCKET, SO_TYPE),
      () => s.setblocking(false),
      () => s.shutdown(SHUT_WR),
    ]) {
      expect((thrown(call) as OSError).code).toBe('EBADF');
    }
  });

  it('detach hands the descriptor over without closing it', { timeout: T }, () =>
    scope((own) => {
      const s = new Socket(AF_INET, SOCK_STREAM);
      const fd = s.detach();
      own(fdCloser(fd));
      expect(s.fileno()).toBe(-1);
      s.close(); // a no-op: the descriptor is not its own any more
      expect(openDescriptors()).toContain(fd);
      expect(isNonBlocking(fd)).toBe(false);
    }),
  );

  it('close(fd) of a descriptor that is not open throws EBADF', { timeout: T }, () => {
    const s = new Socket(AF_INET, SOCK_STREAM);
    const fd = s.detach();
    close(fd);
    const e = thrown(() => close(fd)) as OSError;
    expect(e.code).toBe('EBADF');
    expect(e.syscall).toBe('close');
    expect(e.fd).toBe(fd);
  });
});

describe('other failures name the call and the errno', () => {
  it('EADDRINUSE, ENOTCONN, EAFNOSUPPORT, EOPNOTSUPP, ENOTSOCK', { timeout: T }, () =>
    scope((own) => {
      const a = own(createServer({ host: '127.0.0.1', port: 0 }));
      const b = own(new Socket(AF_INET, SOCK_STREAM));
      const inUse = thrown(() => b.bind(a.getsockname())) as OSError;
      expect([inUse.code, inUse.syscall]).toEqual(['EADDRINUSE', 'bind']);

      expect((thrown(() => b.getpeername()) as OSError).code).toBe('ENOTCONN');

      const bad = thrown(() => new Socket(12_345, SOCK_STREAM)) as OSError;
      expect([bad.code, bad.syscall, bad.fd]).toEqual(['EAFNOSUPPORT', 'socket', undefined]);

      const udp = own(new Socket(AF_INET, SOCK_DGRAM));
      udp.bind({ host: '127.0.0.1', port: 0 });
      expect((thrown(() => udp.listen()) as OSError).code).toBe('EOPNOTSUPP');

      const [r, w] = pipe();
      own(fdCloser(r));
      own(fdCloser(w));
      const notSock = thrown(() => Socket.fromFd(r)) as OSError;
      expect([notSock.code, notSock.fd]).toEqual(['ENOTSOCK', r]);
    }),
  );
});

describe('sendall', () => {
  it('sends several MB across a blocking connection to a reader in a child process', { timeout: 60_000 }, () =>
    scopeAsync(async (own) => {
      const server = own(createServer({ host: '127.0.0.1', port: 0 }));
      const { port } = server.getsockname() as InetAddress;
      const reader = `
        const s = require('node:net').connect(${port}, '127.0.0.1');
        const h = require('node:crypto').createHash('sha256'); let n = 0;
        s.on('data', (d) => { h.update(d); n += d.length; });
        s.on('end', () => { process.stdout.write(JSON.stringify({ n, sha: h.digest('hex') })); s.end(); });`;
      const child = spawn(process.execPath, ['-e', reader], { stdio: ['ignore', 'pipe', 'pipe'] });
      const result = new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => resolve({ code, out, err }));
      });
      try {
        waitFor(server, POLLIN, 30_000);
        const [conn] = server.accept();
        own(conn);
        expect(conn.getblocking()).toBe(true);
        // A guard, not part of the test: SO_SNDTIMEO (21 on Linux), 20 s, so a reader that stops
        // reading fails the test with EAGAIN instead of blocking this thread for ever.
        conn.setsockopt(SOL_SOCKET, 21, new Uint8Array(new BigInt64Array([20n, 0n]).buffer));
        const data = crypto.randomBytes(8 * 1024 * 1024);
        conn.sendall(data);
        conn.shutdown(SHUT_WR);
        const { code, out, err } = await result;
        expect(err).toBe('');
        expect(code).toBe(0);
        expect(JSON.parse(out)).toEqual({ n: data.length, sha: crypto.createHash('sha256').update(data).digest('hex') });
        waitFor(conn, POLLIN);
        expect(conn.recv(10).length).toBe(0); // the child ended its side too
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill();
        await result;
      }
    }),
  );

  it('on a non-blocking socket with a full buffer throws BlockingIOError with bytesSent', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own);
      client.setblocking(false);
      const data = crypto.randomBytes(64 * 1024 * 1024); // far more than both buffers hold
      const e = thrown(() => client.sendall(data)) as BlockingIOError;
      expect(e).toBeInstanceOf(BlockingIOError);
      expect(e.code).toBe('EAGAIN');
      expect(e.syscall).toBe('send');
      expect(e.bytesSent).toBeGreaterThan(0);
      expect(e.bytesSent).toBeLessThan(data.length);
      // exactly bytesSent bytes went out, in order
      const got = recvExactly(conn, e.bytesSent!);
      expect(got.equals(data.subarray(0, e.bytesSent!))).toBe(true);
      conn.setblocking(false);
      expect(thrown(() => conn.recv(1))).toBeInstanceOf(BlockingIOError);
    }),
  );

  it('on a socketpair with less than the buffer holds, in one call', { timeout: T }, () =>
    scope((own) => {
      const [a, b] = socketpair().map(own);
      const data = allBytes(100); // 25.6 KB
      a!.sendall(data);
      expect(recvExactly(b!, data.length).equals(data)).toBe(true);
    }),
  );
});

describe('blocking mode', () => {
  it('setblocking / getblocking round trip, as O_NONBLOCK in the kernel', { timeout: T }, () =>
    scope((own) => {
      const s = own(new Socket(AF_INET, SOCK_STREAM));
      expect(s.getblocking()).toBe(true);
      expect(isNonBlocking(s.fileno())).toBe(false);
      s.setblocking(false);
      expect(s.getblocking()).toBe(false);
      expect(isNonBlocking(s.fileno())).toBe(true);
      s.setblocking(false); // twice is fine
      expect(s.getblocking()).toBe(false);
      s.setblocking(true);
      expect(s.getblocking()).toBe(true);
      setNonBlocking(s.fileno(), true);
      expect(s.getblocking()).toBe(false);
    }),
  );

  it('SOCK_NONBLOCK in socket(2) and socketpair(2) makes a non-blocking socket whose type is still SOCK_STREAM', { timeout: T }, () =>
    scope((own) => {
      const s = own(new Socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK!));
      expect(s.getblocking()).toBe(false);
      expect(s.type).toBe(SOCK_STREAM);
      expect(String(s)).toContain('SOCK_STREAM');
      const [a, b] = socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK!).map(own);
      expect([a!.type, b!.type]).toEqual([SOCK_DGRAM, SOCK_DGRAM]);
      expect(a!.getblocking()).toBe(false);
      expect(thrown(() => a!.recv(1))).toBeInstanceOf(BlockingIOError);
    }),
  );

  it('accept returns a blocking socket even from a non-blocking listener', { timeout: T }, () =>
    scope((own) => {
      const server = own(createServer({ host: '::1', port: 0 }));
      server.setblocking(false);
      const client = own(createConnection(server.getsockname() as InetAddress));
      waitFor(server, POLLIN);
      const [conn, peer] = server.accept();
      own(conn);
      expect(server.getblocking()).toBe(false);
      expect(conn.getblocking()).toBe(true);
      expect(peer).toEqual(client.getsockname());
    }),
  );

  it('Socket.fromFd reads family and type back from the kernel', { timeout: T }, () =>
    scope((own) => {
      const udp6 = new Socket(AF_INET6, SOCK_DGRAM);
      udp6.bind({ host: '::1', port: 0 });
      const addr = udp6.getsockname();
      const again = own(Socket.fromFd(udp6.detach()));
      expect(again.family).toBe(AF_INET6);
      expect(again.type).toBe(SOCK_DGRAM);
      expect(again.getsockname()).toEqual(addr);

      const { conn } = tcpPair(own);
      const tcp = Socket.fromFd(conn.fileno()); // a second object on the same descriptor
      expect([tcp.family, tcp.type]).toEqual([AF_INET, SOCK_STREAM]);
      expect(tcp.getpeername()).toEqual(conn.getpeername());
      tcp.detach(); // conn keeps ownership

      const [p] = socketpair().map(own);
      const unix = Socket.fromFd(p!.fileno());
      expect([unix.family, unix.type]).toEqual([AF_UNIX, SOCK_STREAM]);
      unix.detach();
    }),
  );
});

describe('close-on-exec', () => {
  it('every descriptor the library makes has FD_CLOEXEC, so child processes do not inherit it', { timeout: T }, () =>
    scope((own) => {
      const cloexec = (fd: number) => (libc.fcntl(fd, constants.F_GETFD) & constants.FD_CLOEXEC) !== 0;
      const { server, client, conn } = tcpPair(own);
      const [a, b] = socketpair().map(own);
      const [r, w] = pipe();
      own(fdCloser(r));
      own(fdCloser(w));
      const epfd = epoll_create1();
      own(fdCloser(epfd));
      const ep = own(new Epoll());
      for (const fd of [server.fileno(), client.fileno(), conn.fileno(), a!.fileno(), b!.fileno(), r, w, epfd, ep.fileno()]) {
        expect(cloexec(fd), `fd ${fd}`).toBe(true);
      }
    }),
  );
});

describe('socket options', () => {
  it('setsockopt / getsockopt with integers, booleans and bytes', { timeout: T }, () =>
    scope((own) => {
      const s = own(new Socket(AF_INET, SOCK_STREAM));
      expect(s.getsockopt(SOL_SOCKET, SO_TYPE)).toBe(SOCK_STREAM);
      expect(s.getsockopt(IPPROTO_TCP, TCP_NODELAY)).toBe(0);
      s.setsockopt(IPPROTO_TCP, TCP_NODELAY, true);
      expect(s.getsockopt(IPPROTO_TCP, TCP_NODELAY)).toBe(1);
      s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 0);
      expect(s.getsockopt(IPPROTO_TCP, TCP_NODELAY)).toBe(0);
      s.setsockopt(SOL_SOCKET, SO_RCVBUF, 65_536);
      expect(s.getsockopt(SOL_SOCKET, SO_RCVBUF)).toBe(2 * 65_536); // Linux doubles it (socket(7))
      expect(s.getsockopt(SOL_SOCKET, SO_LINGER, 8)).toHaveLength(8);
      const e = thrown(() => s.setsockopt(SOL_SOCKET, 9_999, 1)) as OSError;
      expect([e.code, e.syscall]).toEqual(['ENOPROTOOPT', 'setsockopt']);
    }),
  );
});

describe('addresses', () => {
  it('encodeAddress rejects non-numeric hosts and bad ports with clear errors', { timeout: T }, () => {
    expect(() => encodeAddress(AF_INET, { host: 'example.com', port: 80 }, 'connect')).toThrow(TypeError);
    expect(() => encodeAddress(AF_INET, { host: 'example.com', port: 80 }, 'connect')).toThrow(/connect: "example.com" is not a numeric IPv4 address.*no DNS/);
    expect(() => encodeAddress(AF_INET6, { host: '127.0.0.1', port: 80 }, 'bind')).toThrow(/not a numeric IPv6 address/);
    expect(() => encodeAddress(AF_INET, { host: '256.1.1.1', port: 80 }, 'bind')).toThrow(/not a numeric IPv4/);
    for (const port of [-1, 65_536, 1.5, Number.NaN]) {
      expect(() => encodeAddress(AF_INET, { host: '127.0.0.1', port }, 'bind')).toThrow(RangeError);
      expect(() => encodeAddress(AF_INET, { host: '127.0.0.1', port }, 'bind')).toThrow(/port must be an integer from 0 to 65535/);
    }
    expect(() => encodeAddress(AF_INET, '/tmp/x', 'bind')).toThrow(/AF_INET address is \{ host, port \}/);
    expect(() => encodeAddress(AF_INET, { host: '127.0.0.1' } as unknown as InetAddress, 'bind')).toThrow(TypeError);
    // no host at all: a clear TypeError (inet_pton(NULL) used to crash the process)
    expect(() => encodeAddress(AF_INET, { port: 80 } as unknown as InetAddress, 'connect')).toThrow(/connect: host must be a numeric address string/);
    expect(() => encodeAddress(AF_UNIX, { host: '127.0.0.1', port: 1 }, 'bind')).toThrow(/AF_UNIX address is a path/);
    expect(() => encodeAddress(AF_UNIX, 'x'.repeat(200), 'bind')).toThrow(RangeError);
  });

  it('bind and connect report the same clear errors', { timeout: T }, () =>
    scope((own) => {
      const s = own(new Socket(AF_INET, SOCK_STREAM));
      expect(() => s.bind({ host: 'localhost.example', port: 0 })).toThrow(/bind: "localhost.example" is not a numeric IPv4 address/);
      expect(() => s.connect({ host: '127.0.0.1', port: 70_000 })).toThrow(/connect: port must be/);
      s.bind({ host: 'localhost', port: 0 }); // the one name it maps itself
      expect((s.getsockname() as InetAddress).host).toBe('127.0.0.1');
    }),
  );

  it('encodes struct sockaddr_in / sockaddr_in6 and decodes them back', { timeout: T }, () => {
    const v4 = encodeAddress(AF_INET, { host: '127.0.0.1', port: 0x1234 }, 'bind');
    expect([...v4.subarray(0, 8)]).toEqual([2, 0, 0x12, 0x34, 127, 0, 0, 1]);
    expect(v4.length).toBe(16);
    expect(decodeAddress(v4, v4.length)).toEqual({ host: '127.0.0.1', port: 0x1234 });
    const v6 = encodeAddress(AF_INET6, { host: '::1', port: 443, scopeId: 3 }, 'bind');
    expect(v6.length).toBe(28);
    expect(v6.readUInt16LE(0)).toBe(AF_INET6);
    expect(v6[23]).toBe(1);
    expect(decodeAddress(v6, v6.length)).toEqual({ host: '::1', port: 443, flowinfo: 0, scopeId: 3 });
    expect([...encodeAddress(AF_INET, { host: '', port: 1 }, 'bind').subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(decodeAddress(encodeAddress(AF_UNIX, '/tmp/sock', 'bind'), 12)).toBe('/tmp/sock');
    expect(formatAddress({ host: '::1', port: 80 })).toBe('[::1]:80');
    expect(formatAddress({ host: '127.0.0.1', port: 80 })).toBe('127.0.0.1:80');
    expect(familyOf('::1')).toBe(AF_INET6);
    expect(familyOf('10.0.0.1')).toBe(AF_INET);
  });
});

describe('binary data', () => {
  it('all 256 byte values survive TCP, in order, into recv and recvInto', { timeout: T }, () =>
    scope((own) => {
      const { client, conn } = tcpPair(own, '::1');
      const data = allBytes(4);
      client.sendall(data);
      expect(recvExactly(conn, 512).equals(data.subarray(0, 512))).toBe(true);
      const target = Buffer.alloc(600, 0xee);
      waitFor(conn, POLLIN);
      let n = 0;
      while (n < 512) n += conn.recvInto(target.subarray(44 + n), 512 - n);
      expect(target.subarray(44, 556).equals(data.subarray(512))).toBe(true);
      expect(target[43]).toBe(0xee); // nothing written outside the window
      expect(target[556]).toBe(0xee);
      // strings go out as UTF-8
      conn.sendall('é€');
      expect(recvExactly(client, 5).toString('utf8')).toBe('é€');
    }),
  );

  it('recvInto refuses an nbytes outside the buffer', { timeout: T }, () =>
    scope((own) => {
      const [a] = socketpair().map(own);
      const buf = Buffer.alloc(8);
      for (const n of [9, -1, 1.5, Number.NaN]) expect(() => a!.recvInto(buf, n)).toThrow(RangeError);
    }),
  );

  it('pipe, read and write move raw bytes; write to a pipe with no reader is EPIPE', { timeout: T }, () =>
    scope((own) => {
      const [r, w] = pipe();
      let readerOpen = true;
      own({ close: () => readerOpen && close(r) });
      own(fdCloser(w));
      expect(write(w, allBytes())).toBe(256);
      expect(read(r, 1000).equals(allBytes())).toBe(true);
      readerOpen = false;
      close(r);
      const e = thrown(() => write(w, 'x')) as OSError;
      expect(e).toBeInstanceOf(BrokenPipeError);
      expect([e.code, e.syscall, e.fd]).toEqual(['EPIPE', 'write', w]);
    }),
  );
});
