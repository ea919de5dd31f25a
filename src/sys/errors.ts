// A failed system call becomes one error type, OSError, carrying what `man 2` and `man 3 errno` talk
// about: the POSIX name (`code`), the number (`errno`), the call (`syscall`) and the descriptor (`fd`).
//
// Subclasses follow Python's, so that a learner can catch "would block" or "connection reset" the way
// the seed's Python programs do, and `code` is the discriminant for those who prefer a switch:
//
//   try { data = sock.recv(4096) }
//   catch (e) { if (e instanceof BlockingIOError) continue; throw e }   // or: e.code === 'EAGAIN'
import koffi from 'koffi';
import { errno as lastErrno, libc } from './libc.ts';

/** POSIX errno names of this platform, by number. Where two names share a number, the one man pages use. */
const names = new Map<number, string>();
const preferred = new Set(['EAGAIN', 'EDEADLK', 'EOPNOTSUPP']);
for (const [name, value] of Object.entries(koffi.os.errno as Record<string, number>)) {
  if (!names.has(value) || preferred.has(name)) names.set(value, name);
}

/** The errno number of a POSIX name on this platform (EAGAIN is 11 on Linux, 35 on macOS). */
export function errnoOf(code: string): number | undefined {
  return (koffi.os.errno as Record<string, number>)[code];
}

const descriptions = new Map<number, string>();
/** strerror(3), remembered: "Resource temporarily unavailable". */
function describe(errno: number): string {
  let text = descriptions.get(errno);
  if (text === undefined) descriptions.set(errno, (text = libc.strerror(errno)));
  return text;
}

/** The POSIX name of an errno number, or `E<number>` for one this platform does not name. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `E${errno}`;
}

/** A system call failed. `code` is the POSIX name, `errno` its number on this platform. */
export class OSError extends Error {
  override name = 'OSError';
  /** POSIX name: 'EAGAIN', 'ECONNRESET', 'EPIPE', 'EBADF', ... */
  readonly code: string;
  constructor(
    /** errno as the call left it (errno(3)). */
    readonly errno: number,
    /** The call that failed, spelled as in section 2 of the manual: 'recv', 'epoll_ctl'. */
    readonly syscall: string,
    /** The descriptor the call was about, when there was one. */
    readonly fd?: number,
    detail?: string,
  ) {
    const code = errnoName(errno);
    const on = fd === undefined ? '' : ` on fd ${fd}`;
    super(`${syscall}${on}: ${code} (${describe(errno)})${detail ? `: ${detail}` : ''}`);
    this.code = code;
  }
}

/** EAGAIN / EWOULDBLOCK, EINPROGRESS, EALREADY: a non-blocking call could not finish now. Not a failure. */
export class BlockingIOError extends OSError {
  override name = 'BlockingIOError';
  /** sendall() only: the bytes that went out before the send buffer filled. Absent on other errors. */
  declare bytesSent?: number;
}
/** ECONNRESET: the peer reset the connection (it closed with data unread, or set SO_LINGER to 0). */
export class ConnectionResetError extends OSError {
  override name = 'ConnectionResetError';
}
/** ECONNREFUSED: nothing listens at that address. */
export class ConnectionRefusedError extends OSError {
  override name = 'ConnectionRefusedError';
}
/** ECONNABORTED: a connection was aborted before accept(2) took it. */
export class ConnectionAbortedError extends OSError {
  override name = 'ConnectionAbortedError';
}
/** EPIPE / ESHUTDOWN: writing to a connection whose other end (or our own writing half) is closed. */
export class BrokenPipeError extends OSError {
  override name = 'BrokenPipeError';
}
/** EINTR: a signal arrived during the call. The library retries where POSIX allows, so this is rare. */
export class InterruptedError extends OSError {
  override name = 'InterruptedError';
}
/** ETIMEDOUT: the connection timed out in the kernel (keep-alive, retransmissions). */
export class TimedOutError extends OSError {
  override name = 'TimedOutError';
}

const classes: Record<string, typeof OSError> = {
  EAGAIN: BlockingIOError,
  EWOULDBLOCK: BlockingIOError,
  EINPROGRESS: BlockingIOError,
  EALREADY: BlockingIOError,
  ECONNRESET: ConnectionResetError,
  ECONNREFUSED: ConnectionRefusedError,
  ECONNABORTED: ConnectionAbortedError,
  EPIPE: BrokenPipeError,
  ESHUTDOWN: BrokenPipeError,
  EINTR: InterruptedError,
  ETIMEDOUT: TimedOutError,
};

/** The OSError (of the right subclass) for an errno number. */
export function osError(errno: number, syscall: string, fd?: number, detail?: string): OSError {
  const Class = classes[errnoName(errno)] ?? OSError;
  if (Class !== BlockingIOError) return new Class(errno, syscall, fd, detail);
  // EAGAIN is how a non-blocking loop learns it is done, thousands of times a second: skip the stack
  // trace, which costs more than the system call (the message still names the call and the fd).
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Class(errno, syscall, fd, detail);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const EINTR = errnoOf('EINTR')!;

/**
 * Calls `call` until it does not fail with EINTR, and returns its result; a -1 with any other errno
 * throws. For the calls that POSIX lets a program simply restart (recv, send, accept, ...); not for
 * close(2) (the descriptor is gone after EINTR on Linux) nor connect(2) (the connection goes on).
 */
export function check(syscall: string, fd: number | undefined, call: () => number): number {
  for (;;) {
    const r = call();
    if (r !== -1) return r;
    const e = lastErrno();
    if (e !== EINTR) throw osError(e, syscall, fd, fd === -1 ? 'the socket is closed' : undefined);
  }
}

/** The same as check() for a call that must not be restarted: EINTR is thrown as InterruptedError. */
export function checkOnce(syscall: string, fd: number | undefined, r: number): number {
  if (r === -1) throw osError(lastErrno(), syscall, fd);
  return r;
}
