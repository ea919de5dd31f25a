// The numbers the kernel's interface is spelled in, per platform.
//
// The names are the C headers' (sys/socket.h, netinet/in.h, poll.h, sys/epoll.h, fcntl.h), so `man 2`
// and `man 7` apply word for word. Values differ between Linux and macOS (AF_INET6 is 10 on one and 30
// on the other; SOL_SOCKET is 1 against 0xffff), so they are looked up here once, by process.platform.
// Linux values are the same on x86-64 and arm64 for every name below (asm-generic), checked against
// the glibc headers; macOS values are from the xnu headers. A name the platform lacks is absent
// (undefined), never a guess: EPOLL* exist only on Linux, MSG_NOSIGNAL is replaced by SO_NOSIGPIPE on macOS.

export interface Constants {
  AF_UNIX: number;
  AF_INET: number;
  AF_INET6: number;
  SOCK_STREAM: number;
  SOCK_DGRAM: number;
  /** Linux only: socket(2) type flags that save an fcntl(2). */
  SOCK_NONBLOCK?: number;
  SOCK_CLOEXEC?: number;
  SOL_SOCKET: number;
  SO_REUSEADDR: number;
  SO_REUSEPORT: number;
  SO_KEEPALIVE: number;
  SO_ERROR: number;
  SO_TYPE: number;
  SO_SNDBUF: number;
  SO_RCVBUF: number;
  SO_LINGER: number;
  /** macOS: the per-socket switch that stands in for MSG_NOSIGNAL. */
  SO_NOSIGPIPE?: number;
  IPPROTO_TCP: number;
  IPPROTO_IPV6: number;
  TCP_NODELAY: number;
  IPV6_V6ONLY: number;
  MSG_PEEK: number;
  MSG_DONTWAIT: number;
  /** Linux: send(2) flag that turns SIGPIPE into a plain EPIPE. */
  MSG_NOSIGNAL?: number;
  SHUT_RD: number;
  SHUT_WR: number;
  SHUT_RDWR: number;
  SOMAXCONN: number;
  F_GETFL: number;
  F_SETFL: number;
  F_GETFD: number;
  F_SETFD: number;
  FD_CLOEXEC: number;
  O_NONBLOCK: number;
  /** select(2): the number of bits in an fd_set; descriptors at or above it cannot be watched. */
  FD_SETSIZE: number;
  POLLIN: number;
  POLLPRI: number;
  POLLOUT: number;
  POLLERR: number;
  POLLHUP: number;
  POLLNVAL: number;
  /** Linux: the peer shut down its writing half (poll(2), since 2.6.17). */
  POLLRDHUP?: number;
  EPOLLIN?: number;
  EPOLLPRI?: number;
  EPOLLOUT?: number;
  EPOLLERR?: number;
  EPOLLHUP?: number;
  EPOLLRDHUP?: number;
  EPOLLEXCLUSIVE?: number;
  EPOLLONESHOT?: number;
  EPOLLET?: number;
  EPOLL_CLOEXEC?: number;
  EPOLL_CTL_ADD?: number;
  EPOLL_CTL_DEL?: number;
  EPOLL_CTL_MOD?: number;
  RLIMIT_NOFILE: number;
  RLIMIT_FSIZE: number;
}

const linux: Constants = {
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  SO_TYPE: 3,
  SO_ERROR: 4,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_KEEPALIVE: 9,
  SO_LINGER: 13,
  SO_REUSEPORT: 15,
  IPPROTO_TCP: 6,
  IPPROTO_IPV6: 41,
  TCP_NODELAY: 1,
  IPV6_V6ONLY: 26,
  MSG_PEEK: 0x2,
  MSG_DONTWAIT: 0x40,
  MSG_NOSIGNAL: 0x4000,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  SOMAXCONN: 4096,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  FD_CLOEXEC: 1,
  O_NONBLOCK: 0o4000,
  FD_SETSIZE: 1024,
  POLLIN: 0x1,
  POLLPRI: 0x2,
  POLLOUT: 0x4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  POLLRDHUP: 0x2000,
  EPOLLIN: 0x1,
  EPOLLPRI: 0x2,
  EPOLLOUT: 0x4,
  EPOLLERR: 0x8,
  EPOLLHUP: 0x10,
  EPOLLRDHUP: 0x2000,
  EPOLLEXCLUSIVE: 1 << 28,
  EPOLLONESHOT: 1 << 30,
  EPOLLET: 2 ** 31, // 1 << 31 would be negative in JavaScript; the kernel reads the field as uint32
  EPOLL_CLOEXEC: 0o2000000,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CTL_MOD: 3,
  RLIMIT_NOFILE: 7,
  RLIMIT_FSIZE: 1,
};

const darwin: Constants = {
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 30,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOL_SOCKET: 0xffff,
  SO_REUSEADDR: 0x4,
  SO_KEEPALIVE: 0x8,
  SO_LINGER: 0x80,
  SO_REUSEPORT: 0x200,
  SO_SNDBUF: 0x1001,
  SO_RCVBUF: 0x1002,
  SO_ERROR: 0x1007,
  SO_TYPE: 0x1008,
  SO_NOSIGPIPE: 0x1022,
  IPPROTO_TCP: 6,
  IPPROTO_IPV6: 41,
  TCP_NODELAY: 1,
  IPV6_V6ONLY: 27,
  MSG_PEEK: 0x1,
  MSG_DONTWAIT: 0x80,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  SOMAXCONN: 128,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  FD_CLOEXEC: 1,
  O_NONBLOCK: 0x4,
  FD_SETSIZE: 1024,
  POLLIN: 0x1,
  POLLPRI: 0x2,
  POLLOUT: 0x4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  RLIMIT_NOFILE: 8,
  RLIMIT_FSIZE: 1,
};

/** Platforms the library runs on, and the machines its struct layouts were written for. */
export const supported: Readonly<Record<string, readonly string[]>> = {
  linux: ['x64', 'arm64'],
  darwin: ['x64', 'arm64'],
};

/**
 * Why this machine cannot run the library, or undefined when it can. Checked once at import by libc.ts,
 * which throws a ToolError with this text instead of loading a library whose layouts would be wrong.
 */
export function unsupportedReason(platform: string = process.platform, arch: string = process.arch): string | undefined {
  const archs = supported[platform];
  if (!archs) {
    return platform === 'win32'
      ? 'learn-io makes Linux system calls (socket, select, poll, epoll), which Windows does not have. Run it inside WSL 2 (https://learn.microsoft.com/windows/wsl/).'
      : `learn-io's runtime library supports Linux (x64, arm64) and macOS, not ${platform}.`;
  }
  if (!archs.includes(arch)) return `learn-io's runtime library knows the struct layouts of ${platform} on ${archs.join(' and ')}, not on ${arch}.`;
  return undefined;
}

/** The constants of this platform (Linux values on an unsupported one, which libc.ts refuses to load anyway). */
export const constants: Readonly<Constants> = Object.freeze(process.platform === 'darwin' ? darwin : linux);
