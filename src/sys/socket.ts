// Sockets as C and Python programs have them: a thin object around a file descriptor, whose methods
// are the calls of socket(7), each one a real system call (strace shows it). Blocking mode is the
// default; `setblocking(false)` makes recv/send/accept throw BlockingIOError (EAGAIN) instead of waiting.
//
// Differences from a bare C program, each on purpose:
// - send(2) always carries MSG_NOSIGNAL (SO_NOSIGPIPE on macOS), so writing to a peer that went away
//   throws BrokenPipeError (EPIPE) instead of killing the process with SIGPIPE.
// - New descriptors are close-on-exec, so a child process (a demo's strace, a server's helper) does
//   not inherit them.
// - accept() returns a socket in blocking mode on every platform (Linux never inherits O_NONBLOCK;
//   macOS does, and we undo it), as Python does.
// - EINTR is retried inside recv, send, accept and friends; connect() waits for the connection instead.
import { constants as C } from './constants.ts';
import { BlockingIOError, check, errnoOf, osError, OSError } from './errors.ts';
import { errno as lastErrno, libc } from './libc.ts';

/** An IPv4 or IPv6 address and port (host is numeric: '127.0.0.1', '::1'), or a Unix socket's path. */
export type SocketAddress = InetAddress | string;
export interface InetAddress {
  host: string;
  /** 0 in bind() asks the kernel for a free port; getsockname() then tells which. */
  port: number;
  /** IPv6 only: sin6_flowinfo and sin6_scope_id (ipv6(7)). */
  flowinfo?: number;
  scopeId?: number;
}

/** Bytes to send: a Buffer or Uint8Array as is, a string as UTF-8. */
export type Data = Uint8Array | string;

const darwin = process.platform === 'darwin';
const SOCKADDR_MAX = 128; // sizeof(struct sockaddr_storage)
const UNIX_PATH_MAX = darwin ? 104 : 108; // sizeof(sun_path), unix(7)
const EINTR = errnoOf('EINTR')!;

const familyNames: Record<number, string> = { [C.AF_UNIX]: 'AF_UNIX', [C.AF_INET]: 'AF_INET', [C.AF_INET6]: 'AF_INET6' };
const typeNames: Record<number, string> = { [C.SOCK_STREAM]: 'SOCK_STREAM', [C.SOCK_DGRAM]: 'SOCK_DGRAM' };

function bytes(data: Data): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

// macOS puts a length byte before an 8-bit family; Linux has a 16-bit family in host order.
function writeFamily(buf: Buffer, family: number, len: number): void {
  if (darwin) {
    buf[0] = len;
    buf[1] = family;
  } else buf.writeUInt16LE(family, 0);
}
function readFamily(buf: Buffer): number {
  return darwin ? buf[1]! : buf.readUInt16LE(0);
}

/** Encodes a socket address as the kernel's struct sockaddr_in, sockaddr_in6 or sockaddr_un (ip(7), ipv6(7), unix(7)). */
export function encodeAddress(family: number, address: SocketAddress, syscall: string): Buffer {
  if (family === C.AF_UNIX) {
    if (typeof address !== 'string') throw new TypeError(`${syscall}: an AF_UNIX address is a path string`);
    const path = Buffer.from(address, 'utf8');
    if (path.length >= UNIX_PATH_MAX) throw new RangeError(`${syscall}: a Unix socket path has at most ${UNIX_PATH_MAX - 1} bytes; "${address}" has ${path.length}`);
    const buf = Buffer.alloc(2 + UNIX_PATH_MAX);
    writeFamily(buf, family, 2 + path.length + 1);
    path.copy(buf, 2);
    return buf;
  }
  if (typeof address === 'string' || typeof address?.port !== 'number') {
    throw new TypeError(`${syscall}: an ${familyNames[family] ?? family} address is { host, port }, not ${JSON.stringify(address)}`);
  }
  const { port } = address;
  // inet_pton(3) dereferences the host: a missing one would reach C as NULL and crash the process.
  if (typeof address.host !== 'string') throw new TypeError(`${syscall}: host must be a numeric address string ('127.0.0.1', '::1'), not ${JSON.stringify(address.host)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`${syscall}: port must be an integer from 0 to 65535, not ${port}`);
  let host = address.host;
  if (host === 'localhost') host = family === C.AF_INET6 ? '::1' : '127.0.0.1';
  if (host === '') host = family === C.AF_INET6 ? '::' : '0.0.0.0'; // Python's "any address"
  const v6 = family === C.AF_INET6;
  const buf = Buffer.alloc(v6 ? 28 : 16);
  writeFamily(buf, family, buf.length);
  buf.writeUInt16BE(port, 2);
  const at = v6 ? 8 : 4;
  if (libc.inet_pton(family, host, buf.subarray(at)) !== 1) {
    throw new TypeError(`${syscall}: "${address.host}" is not a numeric ${v6 ? 'IPv6' : 'IPv4'} address (this library does no DNS lookups)`);
  }
  if (v6) {
    buf.writeUInt32BE(address.flowinfo ?? 0, 4);
    buf.writeUInt32LE(address.scopeId ?? 0, 24);
  }
  return buf;
}

/** Decodes a struct sockaddr the kernel filled in (`len` bytes of it). */
export function decodeAddress(buf: Buffer, len: number): SocketAddress {
  const family = readFamily(buf);
  if (family === C.AF_UNIX) {
    const path = buf.subarray(2, Math.max(2, len));
    const end = path.indexOf(0);
    return path.subarray(0, end === -1 ? path.length : end).toString('utf8');
  }
  const v6 = family === C.AF_INET6;
  if (!v6 && family !== C.AF_INET) return `<address family ${family}>`;
  // Dotted IPv4 is quick to write here; IPv6's shortest form (RFC 5952) is inet_ntop(3)'s job.
  const host = v6
    ? (libc.inet_ntop(family, buf.subarray(8, 24), Buffer.alloc(64), 64) ?? '?')
    : `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`;
  const address: InetAddress = { host, port: buf.readUInt16BE(2) };
  if (v6) {
    address.flowinfo = buf.readUInt32BE(4);
    address.scopeId = buf.readUInt32LE(24);
  }
  return address;
}

/** "127.0.0.1:5000", "[::1]:5000" or a Unix path: for logs and messages. */
export function formatAddress(address: SocketAddress): string {
  if (typeof address === 'string') return address;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

// One sockaddr buffer and length for every call that returns an address (a thread runs one call at a
// time, and decodeAddress copies what it needs), so getsockname() and accept() allocate nothing.
const sockaddr = Buffer.alloc(SOCKADDR_MAX);
const sockaddrLen = new Uint32Array(1);

function sockaddrCall(syscall: string, fd: number, call: (addr: Buffer, len: Uint32Array) => number): [number, SocketAddress] {
  const r = check(syscall, fd, () => {
    sockaddrLen[0] = SOCKADDR_MAX;
    return call(sockaddr, sockaddrLen);
  });
  return [r, decodeAddress(sockaddr, sockaddrLen[0]!)];
}

/** fcntl(2) F_GETFL / F_SETFL: switches O_NONBLOCK on a descriptor. */
export function setNonBlocking(fd: number, nonBlocking: boolean): void {
  const flags = check('fcntl', fd, () => libc.fcntl(fd, C.F_GETFL));
  const next = nonBlocking ? flags | C.O_NONBLOCK : flags & ~C.O_NONBLOCK;
  if (next !== flags) check('fcntl', fd, () => libc.fcntl(fd, C.F_SETFL, 'int', next));
}

/** Whether O_NONBLOCK is set on a descriptor (fcntl(2) F_GETFL). */
export function isNonBlocking(fd: number): boolean {
  return (check('fcntl', fd, () => libc.fcntl(fd, C.F_GETFL)) & C.O_NONBLOCK) !== 0;
}

function setCloseOnExec(fd: number): void {
  check('fcntl', fd, () => libc.fcntl(fd, C.F_SETFD, 'int', C.FD_CLOEXEC));
}

// What every new socket descriptor gets where the platform cannot ask for it in socket(2) itself.
function prepare(fd: number): number {
  if (darwin) {
    setCloseOnExec(fd);
    const one = new Int32Array([1]);
    check('setsockopt', fd, () => libc.setsockopt(fd, C.SOL_SOCKET, C.SO_NOSIGPIPE!, one, 4));
  }
  return fd;
}

const sendFlags = C.MSG_NOSIGNAL ?? 0;

// recv()'s scratch buffer, grown on demand up to SCRATCH_MAX; one per thread (each worker has its own module).
const SCRATCH_MAX = 1 << 20;
let scratchBuffer = Buffer.allocUnsafeSlow(64 * 1024);
function scratchOf(size: number): Buffer {
  if (scratchBuffer.length < size) scratchBuffer = Buffer.allocUnsafeSlow(size);
  return scratchBuffer;
}

/**
 * A socket: a file descriptor and the calls of socket(7) on it. Methods throw OSError (with its
 * subclasses BlockingIOError, ConnectionResetError, BrokenPipeError, ...) when the call fails.
 *
 *   const server = new Socket(AF_INET, SOCK_STREAM);
 *   server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
 *   server.bind({ host: '127.0.0.1', port: 0 });
 *   server.listen();
 *   const [conn, peer] = server.accept();   // blocks until a client connects
 */
export class Socket {
  #fd: number;
  /** AF_INET, AF_INET6 or AF_UNIX. */
  readonly family: number;
  /** SOCK_STREAM or SOCK_DGRAM, without the SOCK_NONBLOCK / SOCK_CLOEXEC flags socket(2) also takes (as in Python). */
  readonly type: number;

  /**
   * socket(2): a new socket; or, with `fileno`, an object around a descriptor you already own (one
   * taken from a Queue, say). Throws OSError (EMFILE when the process is out of descriptors).
   */
  constructor(family: number = C.AF_INET, type: number = C.SOCK_STREAM, protocol = 0, fileno?: number) {
    this.family = family;
    this.type = type & ~((C.SOCK_NONBLOCK ?? 0) | (C.SOCK_CLOEXEC ?? 0));
    if (fileno !== undefined) {
      this.#fd = fileno;
      return;
    }
    const flags = C.SOCK_CLOEXEC ?? 0;
    this.#fd = prepare(check('socket', undefined, () => libc.socket(family, type | flags, protocol)));
  }

  /** An object around an open socket descriptor, its family and type read back from the kernel. */
  static fromFd(fd: number): Socket {
    const type = getIntOption(fd, C.SOL_SOCKET, C.SO_TYPE);
    const addr = Buffer.alloc(SOCKADDR_MAX);
    const len = new Uint32Array([SOCKADDR_MAX]);
    check('getsockname', fd, () => libc.getsockname(fd, addr, len));
    return new Socket(readFamily(addr), type, 0, fd);
  }

  /** The descriptor, for select/poll/epoll and for the kernel's eyes; -1 once closed. */
  fileno(): number {
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd === -1;
  }

  /** bind(2). Port 0 asks for any free port; getsockname() says which. Throws EADDRINUSE, EACCES, ... */
  bind(address: SocketAddress): void {
    const sa = encodeAddress(this.family, address, 'bind');
    check('bind', this.#fd, () => libc.bind(this.#fd, sa, sa.length));
  }

  /** listen(2): `backlog` is the queue of connections the kernel completes before accept() takes them. */
  listen(backlog: number = C.SOMAXCONN): void {
    check('listen', this.#fd, () => libc.listen(this.#fd, backlog));
  }

  /**
   * accept(2): the next connection, as [socket, peer address]. Blocks until one arrives, or on a
   * non-blocking socket throws BlockingIOError (EAGAIN) when none is waiting. The new socket is in
   * blocking mode whatever this one's mode is.
   */
  accept(): [Socket, SocketAddress] {
    const fd = this.#fd;
    const [conn, peer] = sockaddrCall('accept', fd, (addr, len) =>
      libc.accept4 ? libc.accept4(fd, addr, len, C.SOCK_CLOEXEC!) : libc.accept(fd, addr, len),
    );
    prepare(conn);
    if (darwin) setNonBlocking(conn, false);
    return [new Socket(this.family, this.type, 0, conn), peer];
  }

  /**
   * connect(2). In blocking mode it returns once connected, or throws ConnectionRefusedError
   * (ECONNREFUSED), ETIMEDOUT, ...; in non-blocking mode it throws BlockingIOError (EINPROGRESS) and the
   * socket becomes writable when the attempt ends: read getsockopt(SOL_SOCKET, SO_ERROR) then.
   */
  connect(address: SocketAddress): void {
    const sa = encodeAddress(this.family, address, 'connect');
    const fd = this.#fd;
    if (libc.connect(fd, sa, sa.length) === 0) return;
    const e = lastErrno();
    // After EINTR the connection goes on in the background (connect(2)); calling connect again would
    // fail with EALREADY, so wait for it to end the way a non-blocking caller would.
    if (e !== EINTR || isNonBlocking(fd)) throw osError(e, 'connect', fd);
    waitWritable(fd);
    const err = this.getsockopt(C.SOL_SOCKET, C.SO_ERROR);
    if (err !== 0) throw osError(err, 'connect', fd);
  }

  /**
   * connect(2) that returns the errno instead of throwing (0 when connected), as Python's connect_ex:
   * a non-blocking connect gives EINPROGRESS's number here.
   */
  connectEx(address: SocketAddress): number {
    try {
      this.connect(address);
      return 0;
    } catch (e) {
      if (e instanceof OSError) return e.errno;
      throw e;
    }
  }

  /**
   * recv(2): at most `maxBytes` bytes, as a new Buffer. An empty Buffer means the peer closed its
   * writing half (end of stream); a non-blocking socket with nothing to read throws BlockingIOError
   * (EAGAIN). Throws ConnectionResetError when the peer reset the connection.
   */
  recv(maxBytes: number, flags = 0): Buffer {
    // Read into one reused scratch buffer and copy out what came: a 64 KB allocation per call (most
    // of it for nothing, or for an EAGAIN) would cost more than the system call.
    const scratch = maxBytes <= SCRATCH_MAX ? scratchOf(maxBytes) : Buffer.allocUnsafe(maxBytes);
    const n = this.recvInto(scratch, maxBytes, flags);
    return Buffer.from(scratch.subarray(0, n));
  }

  /**
   * recv(2) into your own buffer: the number of bytes written to it (0 at end of stream). Throws
   * RangeError unless 0 <= nbytes <= buffer.byteLength (the kernel would write past the buffer).
   */
  recvInto(buffer: Uint8Array, nbytes: number = buffer.byteLength, flags = 0): number {
    if (!(buffer instanceof Uint8Array)) throw new TypeError('recvInto: buffer must be a Buffer or Uint8Array');
    if (!Number.isInteger(nbytes) || nbytes < 0 || nbytes > buffer.byteLength) {
      throw new RangeError(`recvInto: nbytes must be an integer from 0 to the buffer's ${buffer.byteLength} bytes, not ${nbytes}`);
    }
    const fd = this.#fd;
    return check('recv', fd, () => libc.recv(fd, buffer, nbytes, flags));
  }

  /** recvfrom(2), for datagram sockets: [data, sender's address]. */
  recvfrom(maxBytes: number, flags = 0): [Buffer, SocketAddress] {
    const buf = Buffer.allocUnsafe(maxBytes);
    const fd = this.#fd;
    const [n, from] = sockaddrCall('recvfrom', fd, (addr, len) => libc.recvfrom(fd, buf, maxBytes, flags, addr, len));
    return [Buffer.from(buf.subarray(0, n)), from];
  }

  /**
   * send(2): the number of bytes the kernel took, which may be fewer than given (the rest is yours to
   * send later). Non-blocking with a full send buffer: BlockingIOError (EAGAIN). A peer that went away:
   * BrokenPipeError (EPIPE) or ConnectionResetError, never SIGPIPE.
   */
  send(data: Data, flags = 0): number {
    const b = bytes(data);
    const fd = this.#fd;
    return check('send', fd, () => libc.send(fd, b, b.byteLength, flags | sendFlags));
  }

  /** sendto(2), for datagram sockets: the number of bytes sent. */
  sendto(data: Data, address: SocketAddress, flags = 0): number {
    const b = bytes(data);
    const sa = encodeAddress(this.family, address, 'sendto');
    const fd = this.#fd;
    return check('sendto', fd, () => libc.sendto(fd, b, b.byteLength, flags | sendFlags, sa, sa.length));
  }

  /**
   * send(2) until every byte is gone. On a non-blocking socket whose buffer fills, throws
   * BlockingIOError with `bytesSent` telling how far it got (keep the rest and wait for writability).
   */
  sendall(data: Data, flags = 0): void {
    const b = bytes(data);
    let sent = 0;
    while (sent < b.byteLength) {
      try {
        sent += this.send(b.subarray(sent), flags);
      } catch (e) {
        if (e instanceof BlockingIOError) e.bytesSent = sent;
        throw e;
      }
    }
  }

  /** shutdown(2): SHUT_WR sends end-of-stream (FIN) and keeps reading; SHUT_RD, SHUT_RDWR. */
  shutdown(how: number): void {
    check('shutdown', this.#fd, () => libc.shutdown(this.#fd, how));
  }

  /**
   * close(2). Idempotent: a closed socket's fileno() is -1, and any other call on it throws EBADF.
   * Not retried on EINTR: Linux has released the descriptor by then (close(2), "Dealing with error returns").
   */
  close(): void {
    const fd = this.#fd;
    if (fd === -1) return;
    this.#fd = -1;
    const r = libc.close(fd);
    if (r === -1 && lastErrno() !== EINTR) throw osError(lastErrno(), 'close', fd);
  }

  /** Gives up the descriptor without closing it (it is yours now); this object then acts closed. */
  detach(): number {
    const fd = this.#fd;
    this.#fd = -1;
    return fd;
  }

  /** fcntl(2) O_NONBLOCK: `false` makes recv, send, accept and connect return at once with EAGAIN/EINPROGRESS. */
  setblocking(blocking: boolean): void {
    setNonBlocking(this.#fd, !blocking);
  }

  /** Whether the socket is in blocking mode (reads O_NONBLOCK back from the kernel). */
  getblocking(): boolean {
    return !isNonBlocking(this.#fd);
  }

  /** setsockopt(2): an integer (or boolean) option, or raw bytes for a struct option such as SO_LINGER. */
  setsockopt(level: number, optname: number, value: number | boolean | Uint8Array): void {
    if (!(value instanceof Uint8Array) && typeof value !== 'boolean' && !Number.isInteger(value)) {
      throw new TypeError(`setsockopt: value is an integer, a boolean or bytes (a Buffer), not ${JSON.stringify(value)}`);
    }
    const v = value instanceof Uint8Array ? value : new Int32Array([Number(value)]);
    check('setsockopt', this.#fd, () => libc.setsockopt(this.#fd, level, optname, v, v.byteLength));
  }

  /** getsockopt(2): an integer option (SO_ERROR gives a pending errno number, 0 if none); with `buflen`, raw bytes. */
  getsockopt(level: number, optname: number): number;
  getsockopt(level: number, optname: number, buflen: number): Buffer;
  getsockopt(level: number, optname: number, buflen?: number): number | Buffer {
    if (buflen === undefined) return getIntOption(this.#fd, level, optname);
    const buf = Buffer.alloc(buflen);
    const len = new Uint32Array([buflen]);
    check('getsockopt', this.#fd, () => libc.getsockopt(this.#fd, level, optname, buf, len));
    return buf.subarray(0, len[0]);
  }

  /** getsockname(2): the local address, with the port the kernel chose after bind to port 0. */
  getsockname(): SocketAddress {
    const fd = this.#fd;
    return sockaddrCall('getsockname', fd, (a, l) => libc.getsockname(fd, a, l))[1];
  }

  /** getpeername(2): the peer's address. Throws ENOTCONN on an unconnected socket. */
  getpeername(): SocketAddress {
    const fd = this.#fd;
    return sockaddrCall('getpeername', fd, (a, l) => libc.getpeername(fd, a, l))[1];
  }

  toString(): string {
    return `Socket(fd=${this.#fd}, ${familyNames[this.family] ?? this.family}, ${typeNames[this.type] ?? this.type})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function getIntOption(fd: number, level: number, optname: number): number {
  const v = new Int32Array(1);
  const len = new Uint32Array([4]);
  check('getsockopt', fd, () => libc.getsockopt(fd, level, optname, v, len));
  return v[0]!;
}

// poll(2) for POLLOUT without a limit; used by connect() after EINTR.
function waitWritable(fd: number): void {
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(C.POLLOUT, 4);
  check('poll', fd, () => libc.poll(pfd, 1, -1));
}

/** socketpair(2): two connected sockets (AF_UNIX by default), handy as a private channel or in tests. */
export function socketpair(family: number = C.AF_UNIX, type: number = C.SOCK_STREAM, protocol = 0): [Socket, Socket] {
  const sv = new Int32Array(2);
  check('socketpair', undefined, () => libc.socketpair(family, type | (C.SOCK_CLOEXEC ?? 0), protocol, sv));
  return [new Socket(family, type, 0, prepare(sv[0]!)), new Socket(family, type, 0, prepare(sv[1]!))];
}

/** The family of a numeric host: AF_INET6 when it contains ':', else AF_INET. */
export function familyOf(host: string): number {
  if (typeof host !== 'string') throw new TypeError(`host must be a numeric address string ('127.0.0.1', '::1'), not ${JSON.stringify(host)}`);
  return host.includes(':') ? C.AF_INET6 : C.AF_INET;
}

export interface ServerOptions {
  /** listen(2) backlog; SOMAXCONN by default. */
  backlog?: number;
  /** SO_REUSEPORT, for several listeners on one port. */
  reusePort?: boolean;
  /** Non-blocking from the start (for select/poll/epoll servers). */
  blocking?: boolean;
}

/**
 * A listening TCP socket, as Python's socket.create_server: socket, SO_REUSEADDR (so a restarted
 * server can bind while old connections sit in TIME_WAIT), bind, listen. Port 0 picks a free port.
 */
export function createServer(address: InetAddress, options: ServerOptions = {}): Socket {
  const sock = new Socket(familyOf(address.host), C.SOCK_STREAM);
  try {
    sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    if (options.reusePort) sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEPORT, 1);
    sock.bind(address);
    sock.listen(options.backlog);
    if (options.blocking === false) sock.setblocking(false);
    return sock;
  } catch (e) {
    sock.close();
    throw e;
  }
}

/** A TCP socket connected to `address` (blocking connect), as Python's socket.create_connection. */
export function createConnection(address: InetAddress): Socket {
  const sock = new Socket(familyOf(address.host), C.SOCK_STREAM);
  try {
    sock.connect(address);
    return sock;
  } catch (e) {
    sock.close();
    throw e;
  }
}

/** Raw close(2) of a descriptor (not retried on EINTR). Throws EBADF for one that is not open. */
export function close(fd: number): void {
  const r = libc.close(fd);
  if (r === -1 && lastErrno() !== EINTR) throw osError(lastErrno(), 'close', fd);
}

/** pipe(2): [read end, write end], both close-on-exec. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check('pipe', undefined, () => libc.pipe(fds));
  setCloseOnExec(fds[0]!);
  setCloseOnExec(fds[1]!);
  return [fds[0]!, fds[1]!];
}

/** read(2) on any descriptor: at most `maxBytes` bytes; empty at end of file. */
export function read(fd: number, maxBytes: number): Buffer {
  const buf = Buffer.allocUnsafe(maxBytes);
  const n = check('read', fd, () => libc.read(fd, buf, maxBytes));
  return Buffer.from(buf.subarray(0, n));
}

/** write(2) on any descriptor: the number of bytes written (may be short). */
export function write(fd: number, data: Data): number {
  const b = bytes(data);
  return check('write', fd, () => libc.write(fd, b, b.byteLength));
}
