// The one place libc is loaded and its functions declared (through koffi, which ships prebuilt binaries).
//
// Every other module of src/sys calls these raw functions and turns a -1 into an OSError (errors.ts).
// Pointers are passed as Buffers: koffi hands the Buffer's own memory to C, so what the kernel writes
// (an address, an fd_set, a length) is there after the call, with no copy. The declarations follow the
// prototypes of the man pages, section 2; `socklen_t` is uint32 and `nfds_t` an unsigned long on both
// supported platforms.
import koffi from 'koffi';
import { ToolError } from '../errors.ts';
import { unsupportedReason } from './constants.ts';

const reason = unsupportedReason();
if (reason) throw new ToolError('UNSUPPORTED_PLATFORM', reason);

function loadLibc(): ReturnType<typeof koffi.load> {
  if (process.platform === 'darwin') return koffi.load('/usr/lib/libSystem.B.dylib');
  // glibc's soname; musl (Alpine) ships its libc under another one.
  for (const name of ['libc.so.6', 'libc.musl-x86_64.so.1', 'libc.musl-aarch64.so.1', 'libc.so']) {
    try {
      return koffi.load(name);
    } catch {
      // try the next name
    }
  }
  throw new ToolError('UNSUPPORTED_PLATFORM', 'learn-io could not load the C library (libc.so.6) through koffi.');
}

const lib = loadLibc();
const linux = process.platform === 'linux';

type Ptr = Buffer | Uint8Array | Int32Array | Uint32Array | BigInt64Array | null;
type Fn<A extends unknown[], R = number> = (...args: A) => R;
const fn = <A extends unknown[], R = number>(prototype: string) => lib.func(prototype) as Fn<A, R>;

export const libc = {
  socket: fn<[number, number, number]>('int socket(int domain, int type, int protocol)'),
  socketpair: fn<[number, number, number, Ptr]>('int socketpair(int domain, int type, int protocol, void *sv)'),
  bind: fn<[number, Ptr, number]>('int bind(int sockfd, void *addr, uint32_t addrlen)'),
  listen: fn<[number, number]>('int listen(int sockfd, int backlog)'),
  accept4: linux ? fn<[number, Ptr, Ptr, number]>('int accept4(int sockfd, void *addr, void *addrlen, int flags)') : undefined,
  accept: fn<[number, Ptr, Ptr]>('int accept(int sockfd, void *addr, void *addrlen)'),
  connect: fn<[number, Ptr, number]>('int connect(int sockfd, void *addr, uint32_t addrlen)'),
  recv: fn<[number, Ptr, number, number]>('intptr_t recv(int sockfd, void *buf, size_t len, int flags)'),
  recvfrom: fn<[number, Ptr, number, number, Ptr, Ptr]>('intptr_t recvfrom(int sockfd, void *buf, size_t len, int flags, void *src_addr, void *addrlen)'),
  send: fn<[number, Ptr, number, number]>('intptr_t send(int sockfd, void *buf, size_t len, int flags)'),
  sendto: fn<[number, Ptr, number, number, Ptr, number]>('intptr_t sendto(int sockfd, void *buf, size_t len, int flags, void *dest_addr, uint32_t addrlen)'),
  shutdown: fn<[number, number]>('int shutdown(int sockfd, int how)'),
  close: fn<[number]>('int close(int fd)'),
  read: fn<[number, Ptr, number]>('intptr_t read(int fd, void *buf, size_t count)'),
  write: fn<[number, Ptr, number]>('intptr_t write(int fd, void *buf, size_t count)'),
  pipe: fn<[Ptr]>('int pipe(void *pipefd)'),
  dup: fn<[number]>('int dup(int oldfd)'),
  setsockopt: fn<[number, number, number, Ptr, number]>('int setsockopt(int sockfd, int level, int optname, void *optval, uint32_t optlen)'),
  getsockopt: fn<[number, number, number, Ptr, Ptr]>('int getsockopt(int sockfd, int level, int optname, void *optval, void *optlen)'),
  getsockname: fn<[number, Ptr, Ptr]>('int getsockname(int sockfd, void *addr, void *addrlen)'),
  getpeername: fn<[number, Ptr, Ptr]>('int getpeername(int sockfd, void *addr, void *addrlen)'),
  // Variadic in C: on arm64 macOS the third argument travels on the stack, so it must be declared as such.
  fcntl: fn<[number, number, ...unknown[]]>('int fcntl(int fd, int cmd, ...)'),
  select: fn<[number, Ptr, Ptr, Ptr, Ptr]>('int select(int nfds, void *readfds, void *writefds, void *exceptfds, void *timeout)'),
  poll: fn<[Ptr, number, number]>('int poll(void *fds, unsigned long nfds, int timeout)'),
  getrlimit: fn<[number, Ptr]>('int getrlimit(int resource, void *rlim)'),
  setrlimit: fn<[number, Ptr]>('int setrlimit(int resource, void *rlim)'),
  inet_pton: fn<[number, string, Ptr]>('int inet_pton(int af, const char *src, void *dst)'),
  inet_ntop: fn<[number, Ptr, Ptr, number], string | null>('const char *inet_ntop(int af, void *src, void *dst, uint32_t size)'),
  prctl: linux ? fn<[number, number, number, number, number]>('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)') : undefined,
  strerror: fn<[number], string>('const char *strerror(int errnum)'),
  epoll_create1: linux ? fn<[number]>('int epoll_create1(int flags)') : undefined,
  epoll_ctl: linux ? fn<[number, number, number, Ptr]>('int epoll_ctl(int epfd, int op, int fd, void *event)') : undefined,
  epoll_wait: linux ? fn<[number, Ptr, number, number]>('int epoll_wait(int epfd, void *events, int maxevents, int timeout)') : undefined,
};

/** errno as the failed call left it (koffi saves it right after each call, before any JavaScript runs). */
export const errno = (): number => koffi.errno();
