// select(2) and poll(2), the two portable ways to wait on many descriptors at once.
//
// select takes three fd_set bit arrays (FD_SETSIZE bits each, 1024 on Linux and macOS), which the kernel
// reads and overwrites on every call: that is why this wrapper rebuilds them each time and why a
// descriptor numbered 1024 or more cannot be watched at all (writing its bit would run past the array:
// glibc's FD_SET does exactly that, silently). poll takes an array of struct pollfd with no such limit,
// and is scanned just the same.
import { constants as C } from './constants.ts';
import { check } from './errors.ts';
import { libc } from './libc.ts';

/** Anything select and poll can watch: a descriptor number, or an object with fileno() (a Socket). */
export type Waitable = number | { fileno(): number };

/** The descriptor of a Waitable; refuses a negative one (a closed Socket's fileno() is -1). */
export function filenoOf(w: Waitable, syscall: string): number {
  const fd = typeof w === 'number' ? w : w.fileno();
  if (!Number.isInteger(fd) || fd < 0) {
    throw new RangeError(`${syscall}: descriptor ${fd} is not open (a closed socket's fileno() is -1): take it out of the lists when you close it`);
  }
  return fd;
}

/** The error select() throws for a descriptor it cannot watch, with the reason. */
export function fdSetsizeError(fd: number): RangeError {
  return new RangeError(
    `select: descriptor ${fd} is >= FD_SETSIZE (${C.FD_SETSIZE}). An fd_set is a fixed array of ` +
      `${C.FD_SETSIZE} bits, one per descriptor number, so select(2) cannot watch descriptor ${fd}; ` +
      'setting its bit would write past the array. Use poll() or epoll, which have no such limit.',
  );
}

const FD_SET_BYTES = C.FD_SETSIZE / 8;
// Byte fd>>3, bit fd&7 is the same bit as glibc's word fd/64, bit fd%64 (and macOS's 32-bit words) on a
// little-endian machine, which every supported one is.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('learn-io: select() assumes a little-endian machine');

function toFdSet(list: readonly Waitable[], fds: number[], syscall: string): Buffer | null {
  if (list.length === 0) return null;
  const set = Buffer.alloc(FD_SET_BYTES);
  for (const w of list) {
    const fd = filenoOf(w, syscall);
    if (fd >= C.FD_SETSIZE) throw fdSetsizeError(fd);
    set[fd >> 3]! |= 1 << (fd & 7);
    fds.push(fd);
  }
  return set;
}

const isSet = (set: Buffer | null, fd: number) => set !== null && (set[fd >> 3]! & (1 << (fd & 7))) !== 0;

/**
 * A wait's limit in ms as the calls take it: -1 for "no limit" (null, undefined, a negative number or
 * Infinity), else the number. Throws RangeError for NaN or anything that is not a number, so that a
 * typo never turns a blocking wait into a busy loop.
 */
export function waitLimit(timeoutMs: unknown, syscall: string): number {
  if (timeoutMs === null || timeoutMs === undefined) return -1;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) {
    throw new RangeError(`${syscall}: timeoutMs is a number of ms (0 only looks; null, -1 or Infinity wait without a limit), not ${JSON.stringify(timeoutMs)}`);
  }
  return timeoutMs < 0 || timeoutMs === Infinity ? -1 : timeoutMs;
}

/**
 * select(2): waits until some of the descriptors are ready, and returns the ready ones of each list
 * (the same objects you passed): [readable, writable, exceptional]. Readable includes a listening socket
 * with a connection to accept and a socket at end of stream (recv returns empty) or in error.
 *
 * timeoutMs: null or undefined waits without a limit; 0 only looks (a poll); otherwise at most that
 * many ms (rounded to µs), after which all three lists come back empty. A signal (EINTR) does not end
 * the wait early: it resumes with the time that is left.
 * Throws RangeError for a descriptor >= FD_SETSIZE or a closed one, OSError EBADF for a number that is
 * not an open descriptor.
 */
export function select<T extends Waitable>(rlist: readonly T[], wlist: readonly T[], xlist: readonly T[], timeoutMs?: number | null): [T[], T[], T[]] {
  if (typeof timeoutMs === 'number' && timeoutMs < 0) {
    throw new RangeError(`select: timeoutMs must be >= 0, or null (or Infinity) to wait without a limit; got ${timeoutMs}`);
  }
  const limit = waitLimit(timeoutMs, 'select');
  const fds: number[] = [];
  const r = toFdSet(rlist, fds, 'select');
  const w = toFdSet(wlist, fds, 'select');
  const x = toFdSet(xlist, fds, 'select');
  const nfds = fds.length === 0 ? 0 : Math.max(...fds) + 1;
  const deadline = limit < 0 ? undefined : performance.now() + limit;
  const tv = limit < 0 ? null : Buffer.alloc(16);
  // The kernel overwrites the sets (and, on Linux, the timeval), so a retry after EINTR rebuilds them.
  const copies = [r && Buffer.from(r), w && Buffer.from(w), x && Buffer.from(x)] as const;
  check('select', undefined, () => {
    if (r) copies[0]!.copy(r);
    if (w) copies[1]!.copy(w);
    if (x) copies[2]!.copy(x);
    if (tv) {
      const left = Math.max(0, deadline! - performance.now());
      const us = Math.round(left * 1000);
      tv.fill(0);
      tv.writeBigInt64LE(BigInt(Math.floor(us / 1e6)), 0); // tv_sec: a long on every supported platform
      tv.writeInt32LE(us % 1e6, 8); // tv_usec: a long on Linux, an int on macOS; its low half either way
    }
    return libc.select(nfds, r, w, x, tv);
  });
  const pick = (list: readonly T[], set: Buffer | null) => list.filter((item) => isSet(set, typeof item === 'number' ? item : item.fileno()));
  return [pick(rlist, r), pick(wlist, w), pick(xlist, x)];
}

/** One entry of poll(): a descriptor and the events (POLLIN, POLLOUT, ...) to wait for. */
export interface PollFd {
  fd: number;
  events: number;
}
/** A ready entry: `revents` says what happened; POLLERR, POLLHUP and POLLNVAL come even unasked. */
export interface PollResult extends PollFd {
  revents: number;
}

/**
 * poll(2): waits until some descriptors have events, and returns those entries (in the order given)
 * with `revents` set. timeoutMs: -1 (the default) or null waits without a limit, 0 only looks. A
 * signal (EINTR) resumes the wait with the time left. A closed descriptor number comes back with
 * POLLNVAL, not an error: poll(2) reports it per entry. A negative fd (a closed Socket's fileno() is
 * -1) throws RangeError, as in Python: poll(2) would skip it silently and could wait forever.
 */
export function poll(fds: readonly PollFd[], timeoutMs: number | null = -1): PollResult[] {
  if (!Array.isArray(fds)) throw new TypeError('poll: fds is an array of { fd, events }');
  const limit = waitLimit(timeoutMs, 'poll');
  const buf = Buffer.alloc(8 * fds.length); // struct pollfd { int fd; short events; short revents; }
  fds.forEach((p, i) => {
    if (!Number.isInteger(p?.events) || p.events < 0 || p.events > 0xffff) {
      throw new RangeError(`poll: fds[${i}].events must be a mask of POLLIN, POLLOUT, ..., not ${JSON.stringify(p?.events)}`);
    }
    const fd = filenoOf(p.fd, 'poll');
    if (fd > 2 ** 31 - 1) throw new RangeError(`poll: fds[${i}].fd ${fd} is not a descriptor number`);
    buf.writeInt32LE(fd, i * 8);
    buf.writeInt16LE(p.events << 16 >> 16, i * 8 + 4);
  });
  const forever = limit < 0;
  const deadline = forever ? 0 : performance.now() + limit;
  const n = check('poll', undefined, () => libc.poll(buf, fds.length, forever ? -1 : Math.ceil(Math.max(0, deadline - performance.now()))));
  const ready: PollResult[] = [];
  for (let i = 0; i < fds.length && ready.length < n; i++) {
    const revents = buf.readUInt16LE(i * 8 + 6);
    if (revents !== 0) ready.push({ fd: fds[i]!.fd, events: fds[i]!.events, revents });
  }
  return ready;
}
