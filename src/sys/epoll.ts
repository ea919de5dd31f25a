// epoll(7), Linux only: an interest list the kernel keeps between calls (epoll_ctl), and a ready list it
// fills from wake-up callbacks on each descriptor, so epoll_wait costs what is ready, not what is watched.
//
// Level-triggered (the default) reports a descriptor on every wait while it stays ready; edge-triggered
// (EPOLLET) only when it becomes ready again, so the reader must drain it to EAGAIN or stall forever.
import { constants as C } from './constants.ts';
import { check, errnoOf, osError } from './errors.ts';
import { errno as lastErrno, libc } from './libc.ts';
import { filenoOf, waitLimit, type Waitable } from './select.ts';

// struct epoll_event { uint32_t events; epoll_data_t data; }: packed on x86-64 (12 bytes), naturally
// aligned elsewhere (16 bytes, the 64-bit data at offset 8). See <sys/epoll.h>, __EPOLL_PACKED.
export const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const DATA_OFFSET = process.arch === 'x64' ? 4 : 8;

/** One ready descriptor from epoll_wait: its `events` and the `data` given to epoll_ctl (the fd by default). */
export interface EpollEvent {
  events: number;
  data: number;
}

function functions() {
  const { epoll_create1: create, epoll_ctl: ctl, epoll_wait: wait } = libc;
  if (!create || !ctl || !wait) {
    throw osError(errnoOf('ENOSYS')!, 'epoll_create1', undefined, `epoll is Linux's; on ${process.platform} use poll() or select(), or DefaultSelector`);
  }
  return { create, ctl, wait };
}

/** epoll_create1(2): a new epoll instance (close-on-exec by default). Throws ENOSYS off Linux, EMFILE. */
export function epoll_create1(flags: number = C.EPOLL_CLOEXEC ?? 0): number {
  const { create } = functions();
  return check('epoll_create1', undefined, () => create(flags));
}

/**
 * epoll_ctl(2): EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL `fd` in the interest list of `epfd`, with
 * `events` (EPOLLIN | EPOLLOUT | EPOLLET ...) and `data`, a non-negative integer epoll_wait hands back
 * (the fd itself by default). Throws EEXIST (ADD twice), ENOENT (MOD/DEL of one not added), EBADF, EPERM
 * (a regular file).
 */
export function epoll_ctl(epfd: number, op: number, fd: number, events = 0, data: number = fd): void {
  const { ctl } = functions();
  if (!Number.isSafeInteger(data) || data < 0) throw new RangeError(`epoll_ctl: data must be a non-negative safe integer, not ${data}`);
  // EPOLLIN | EPOLLET is negative in JavaScript (bitwise operators give int32): both spellings are fine.
  if (!Number.isInteger(events) || events < -(2 ** 31) || events > 2 ** 32 - 1) throw new RangeError(`epoll_ctl: events must be a mask of EPOLLIN, EPOLLOUT, EPOLLET, ..., not ${JSON.stringify(events)}`);
  const ev = Buffer.alloc(EPOLL_EVENT_SIZE);
  ev.writeUInt32LE(events >>> 0, 0);
  ev.writeUInt32LE(data % 2 ** 32, DATA_OFFSET);
  ev.writeUInt32LE(Math.floor(data / 2 ** 32), DATA_OFFSET + 4);
  check('epoll_ctl', fd, () => ctl(epfd, op, fd, ev));
}

/**
 * epoll_wait(2): up to `maxevents` ready descriptors, waiting at most `timeoutMs` (-1 or null: no limit;
 * 0: only look). A signal (EINTR) resumes the wait with the time left. Each event's `events` may hold
 * EPOLLERR and EPOLLHUP even unasked; EPOLLRDHUP when asked for and the peer shut down its writing half.
 */
export function epoll_wait(epfd: number, maxevents: number, timeoutMs: number | null = -1): EpollEvent[] {
  if (!Number.isInteger(maxevents) || maxevents <= 0) throw new RangeError(`epoll_wait: maxevents must be a positive integer, not ${maxevents}`);
  return waitInto(epfd, Buffer.allocUnsafe(EPOLL_EVENT_SIZE * maxevents), maxevents, timeoutMs);
}

// epoll_wait(2) into a caller's buffer, so a loop that waits again and again allocates nothing per
// call: a wait must cost what is ready, not what is watched.
function waitInto(epfd: number, buf: Buffer, maxevents: number, timeoutMs: number | null): EpollEvent[] {
  const { wait } = functions();
  const limit = waitLimit(timeoutMs, 'epoll_wait');
  const forever = limit < 0;
  const deadline = forever ? 0 : performance.now() + limit;
  const n = check('epoll_wait', epfd, () => wait(epfd, buf, maxevents, forever ? -1 : Math.ceil(Math.max(0, deadline - performance.now()))));
  const out: EpollEvent[] = [];
  for (let i = 0; i < n; i++) {
    const at = i * EPOLL_EVENT_SIZE;
    out.push({ events: buf.readUInt32LE(at), data: buf.readUInt32LE(at + DATA_OFFSET) + buf.readUInt32LE(at + DATA_OFFSET + 4) * 2 ** 32 });
  }
  return out;
}

/**
 * An epoll instance as Python's select.epoll: register / modify / unregister descriptors, then poll()
 * for [fd, events] pairs. The interest list lives in the kernel; this object only holds its descriptor.
 */
export class Epoll {
  #epfd: number;
  #events = Buffer.alloc(0);

  /** epoll_create1(EPOLL_CLOEXEC). Throws OSError ENOSYS off Linux. */
  constructor() {
    this.#epfd = epoll_create1();
  }

  fileno(): number {
    return this.#epfd;
  }

  get closed(): boolean {
    return this.#epfd === -1;
  }

  /** EPOLL_CTL_ADD. Throws EEXIST if `fd` is registered already, RangeError for a closed socket (fileno() -1). */
  register(fd: Waitable, events: number = (C.EPOLLIN ?? 0) | (C.EPOLLOUT ?? 0)): void {
    epoll_ctl(this.#epfd, C.EPOLL_CTL_ADD!, filenoOf(fd, 'epoll_ctl'), events);
  }

  /** EPOLL_CTL_MOD: new events for a registered descriptor. Throws ENOENT if it is not registered. */
  modify(fd: Waitable, events: number): void {
    epoll_ctl(this.#epfd, C.EPOLL_CTL_MOD!, filenoOf(fd, 'epoll_ctl'), events);
  }

  /** EPOLL_CTL_DEL. Do it before close(): a closed descriptor leaves the list by itself only if no dup of it is open. */
  unregister(fd: Waitable): void {
    epoll_ctl(this.#epfd, C.EPOLL_CTL_DEL!, filenoOf(fd, 'epoll_ctl'));
  }

  /** epoll_wait: [fd, events] pairs, at most `maxevents`; timeoutMs -1 or null waits without a limit. */
  poll(timeoutMs: number | null = -1, maxevents = 1024): [number, number][] {
    if (!Number.isInteger(maxevents) || maxevents <= 0) throw new RangeError(`epoll_wait: maxevents must be a positive integer, not ${maxevents}`);
    if (this.#events.length < EPOLL_EVENT_SIZE * maxevents) this.#events = Buffer.allocUnsafe(EPOLL_EVENT_SIZE * maxevents);
    return waitInto(this.#epfd, this.#events, maxevents, timeoutMs).map((e) => [e.data, e.events]);
  }

  /** close(2) of the epoll descriptor; idempotent. */
  close(): void {
    const fd = this.#epfd;
    if (fd === -1) return;
    this.#epfd = -1;
    if (libc.close(fd) === -1) throw osError(lastErrno(), 'close', fd);
  }
}
