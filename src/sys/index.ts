// learn-io's runtime library: the real system calls for sockets and readiness, from TypeScript.
//
//   import { Socket, select, AF_INET, SOCK_STREAM, BlockingIOError } from 'learn-io/sys';
//
// Every function is one (or, where said, a few) system calls made through libc, so `strace -f` of a
// program using it shows socket, bind, accept4, recvfrom, sendto, select, poll, epoll_wait, word for word
// what `man 2` describes. Timeouts are in milliseconds, sizes in bytes. Failures throw OSError with
// `code` (the POSIX name), `errno`, `syscall` and `fd`. Linux (x64, arm64) is complete; macOS has
// everything but epoll; importing on another platform throws a message that says so.
import { constants } from './constants.ts';

export { constants, unsupportedReason, type Constants } from './constants.ts';
export {
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionRefusedError,
  ConnectionResetError,
  errnoName,
  errnoOf,
  InterruptedError,
  OSError,
  TimedOutError,
} from './errors.ts';
export {
  close,
  createConnection,
  createServer,
  decodeAddress,
  encodeAddress,
  familyOf,
  formatAddress,
  isNonBlocking,
  pipe,
  read,
  setNonBlocking,
  Socket,
  socketpair,
  write,
  type Data,
  type InetAddress,
  type ServerOptions,
  type SocketAddress,
} from './socket.ts';
export { fdSetsizeError, poll, select, type PollFd, type PollResult, type Waitable } from './select.ts';
export { Epoll, epoll_create1, epoll_ctl, epoll_wait, EPOLL_EVENT_SIZE, type EpollEvent } from './epoll.ts';
export {
  BaseSelector,
  DefaultSelector,
  EpollSelector,
  EVENT_READ,
  EVENT_WRITE,
  PollSelector,
  SelectSelector,
  type SelectorKey,
} from './selectors.ts';
export { getrlimit, openDescriptors, raiseOpenFileLimit, setrlimit, type Rlimit } from './resource.ts';

// The constants by their C names, so code reads as in C and Python: `new Socket(AF_INET, SOCK_STREAM)`.
// Names this platform lacks (EPOLL* off Linux) are undefined.
export const {
  AF_UNIX,
  AF_INET,
  AF_INET6,
  SOCK_STREAM,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_CLOEXEC,
  SOL_SOCKET,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_KEEPALIVE,
  SO_ERROR,
  SO_TYPE,
  SO_SNDBUF,
  SO_RCVBUF,
  SO_LINGER,
  IPPROTO_TCP,
  IPPROTO_IPV6,
  TCP_NODELAY,
  IPV6_V6ONLY,
  MSG_PEEK,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  SHUT_RD,
  SHUT_WR,
  SHUT_RDWR,
  SOMAXCONN,
  O_NONBLOCK,
  FD_SETSIZE,
  POLLIN,
  POLLPRI,
  POLLOUT,
  POLLERR,
  POLLHUP,
  POLLNVAL,
  POLLRDHUP,
  EPOLLIN,
  EPOLLPRI,
  EPOLLOUT,
  EPOLLERR,
  EPOLLHUP,
  EPOLLRDHUP,
  EPOLLEXCLUSIVE,
  EPOLLONESHOT,
  EPOLLET,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  RLIMIT_NOFILE,
  RLIMIT_FSIZE,
} = constants;
