// The upper-case echo server over edge-triggered epoll(7): the contract of select-server, with the
// interest list kept in the kernel and a wait that costs what is ready, not what is watched.
//
// Edge-triggered means a descriptor is reported when it becomes ready, not while it stays ready. So:
// - every client is registered once, for EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, and never modified;
// - on an event we read until recv() throws BlockingIOError (EAGAIN), or returns less than asked
//   (the queue is empty then, and the next arrival raises a new edge), and write until send() throws
//   or nothing is owed: stopping earlier leaves bytes the kernel will never announce again (the
//   stall of edge mode);
// - the one exception is a client owed MAX_BACKLOG bytes or more: we stop reading it, and once its
//   backlog drains we must go back and read on our own, because no new edge will come for bytes that
//   are already waiting.
// EPOLLOUT in edge mode fires only when the send buffer goes from full to not full, so leaving it on
// costs nothing (in level mode it would wake the loop forever).
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

/** What the harness passes to main(). */
export interface ServeOptions {
  host: string;
  port: number;
  /** Call once listening, with listener.getsockname(): the harness learns the port from it. */
  ready(address: InetAddress): void;
}

/** Stop reading from a client while this many bytes (or more) wait to be sent to it. */
export const MAX_BACKLOG = 256 * 1024;
const CHUNK = 64 * 1024;

interface Client {
  sock: Socket;
  fd: number;
  out: Buffer[];
  backlog: number;
  eof: boolean;
  /** The last read ended with EAGAIN: the kernel holds nothing more, the next edge will say when. */
  drained: boolean;
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

  const drop = (c: Client) => {
    clients.delete(c.fd);
    ep.unregister(c.fd); // before close(): the kernel forgets a closed fd only when no dup of it is open
    c.sock.close();
  };

  for (;;) {
    for (const [fd, events] of ep.poll(-1, 1024)) {
      if (fd === listener.fileno()) {
        acceptAll(listener, ep, clients);
        continue;
      }
      const c = clients.get(fd);
      if (!c) continue;
      if (events & EPOLLERR!) {
        drop(c); // a reset, or a failed write: that client is gone
        continue;
      }
      if (events & (EPOLLIN! | EPOLLRDHUP!)) c.drained = false;
      // With EPOLLRDHUP the FIN is in: read on to the end of stream even after a short read.
      service(c, (events & EPOLLRDHUP!) !== 0, drop);
    }
  }
}

function acceptAll(listener: Socket, ep: Epoll, clients: Map<number, Client>): void {
  for (;;) {
    let conn: Socket;
    try {
      [conn] = listener.accept();
    } catch (e) {
      if (e instanceof BlockingIOError) return; // edge mode: the queue is empty, the next edge will tell
      if (e instanceof OSError) return; // ECONNABORTED, EMFILE: nothing to do for now
      throw e;
    }
    conn.setblocking(false);
    const fd = conn.fileno();
    clients.set(fd, { sock: conn, fd, out: [], backlog: 0, eof: false, drained: false });
    ep.register(fd, EPOLLIN! | EPOLLOUT! | EPOLLRDHUP! | EPOLLET!);
  }
}

// Reads and writes as far as the kernel and the backlog limit allow. Loops because draining the
// backlog can re-open reading for bytes that are already waiting (no edge will announce them).
function service(c: Client, finArrived: boolean, drop: (c: Client) => void): void {
  for (;;) {
    while (!c.eof && !c.drained && c.backlog < MAX_BACKLOG) {
      let data: Buffer;
      try {
        data = c.sock.recv(CHUNK);
      } catch (e) {
        if (e instanceof BlockingIOError) {
          c.drained = true;
          break;
        }
        if (e instanceof OSError) return drop(c);
        throw e;
      }
      if (data.length === 0) c.eof = true;
      else {
        c.out.push(upper(data));
        c.backlog += data.length;
        // A short read emptied the socket's receive queue: the next arrival will raise a new edge,
        // so the read that would only say EAGAIN can be skipped (nginx does the same). Not when the
        // FIN is known to be in: its end of stream must be read now, no edge will announce it again.
        if (data.length < CHUNK && !finArrived) c.drained = true;
      }
    }
    if (!flush(c)) return drop(c);
    if (c.eof && c.backlog === 0) return drop(c);
    // Stop unless the backlog limit (not EAGAIN) ended reading and sending has since made room.
    if (c.eof || c.drained || c.backlog >= MAX_BACKLOG) return;
  }
}

// Sends until EAGAIN or nothing is owed; false when the client is gone (EPIPE, ECONNRESET).
function flush(c: Client): boolean {
  while (c.out.length > 0) {
    const head = c.out[0]!;
    let n: number;
    try {
      n = c.sock.send(head);
    } catch (e) {
      if (e instanceof BlockingIOError) return true;
      if (e instanceof OSError) return false;
      throw e;
    }
    c.backlog -= n;
    if (n === head.length) c.out.shift();
    else c.out[0] = head.subarray(n);
  }
  return true;
}
