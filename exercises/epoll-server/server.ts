// Bonus exercise epoll-server: the upper-case echo server of select-server, over edge-triggered epoll.
// The task is in README.md next to this file (`npx learn-io read epoll-server`).
//
// Same contract as select-server (every byte back, a-z upper-cased, many clients, bounded memory),
// plus: the clients are registered with EPOLLET, and 2,000 of them at once must all be served.
// Check it with `npx learn-io check epoll-server`; try it with `npx learn-io serve epoll-server`.
import {
  BlockingIOError,
  createServer,
  Epoll,
  EPOLLERR,
  EPOLLET,
  EPOLLIN,
  EPOLLOUT,
  EPOLLRDHUP,
  OSError,
  type InetAddress,
  type Socket,
} from 'learn-io/sys';

/** What the harness passes to main(). Keep this shape. */
export interface ServeOptions {
  host: string;
  port: number;
  /** Call once listening, with listener.getsockname(): the harness learns the port from it. */
  ready(address: InetAddress): void;
}

/** Stop reading from a client while this many bytes (or more) wait to be sent to it. */
export const MAX_BACKLOG = 256 * 1024;

/** What you keep per client; epoll gives you back descriptors, so keep these in a Map by fd. */
interface Client {
  sock: Socket;
  fd: number;
  out: Buffer[];
  backlog: number;
  eof: boolean;
}

/** ASCII a-z to A-Z, in place; every other byte unchanged. */
export function upper(data: Buffer): Buffer {
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b >= 0x61 && b <= 0x7a) data[i] = b - 0x20;
  }
  return data;
}

export function main({ host, port, ready }: ServeOptions): void {
  const listener = createServer({ host, port }, { blocking: false });
  const ep = new Epoll();
  ep.register(listener, EPOLLIN! | EPOLLET!);
  ready(listener.getsockname() as InetAddress);
  const clients = new Map<number, Client>();

  for (;;) {
    // TODO 1. for (const [fd, events] of ep.poll(-1, 1024)) { ... }
    // TODO 2. The listener's fd: accept until BlockingIOError; make each socket non-blocking and
    //         ep.register() it once for EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET.
    // TODO 3. A client's fd: on EPOLLERR drop it; otherwise read until EAGAIN (or the backlog limit),
    //         queue upper(data), then send until EAGAIN. Empty recv: send what is owed, then drop.
    // TODO 4. Dropping: ep.unregister(fd), then close, then forget it.
    void [BlockingIOError, EPOLLERR, EPOLLOUT, EPOLLRDHUP, OSError, clients];
    throw new Error('epoll-server: the event loop is not written yet (exercises/epoll-server/server.ts)');
  }
}
