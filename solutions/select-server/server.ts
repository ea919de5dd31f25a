// The upper-case echo server over select(2): one thread, non-blocking sockets, a read list, a write
// list, and a queue of bytes owed to each client.
//
// Every byte a client sends comes back with ASCII a-z upper-cased and every other byte unchanged, in
// order, however the stream is split. The rules that make it a good server rather than a demo:
// - a client whose backlog (bytes owed to it) is over MAX_BACKLOG leaves the read list until it drains,
//   so a client that sends without reading cannot grow our memory (cases.md B23);
// - end of stream (recv returns 0 bytes) is a half-close: send what is owed, then close (B28, B31);
// - a reset or a broken pipe ends that one client, never the server (B27), and a closed socket leaves
//   both lists at once (no EBADF, no leaked descriptor);
// - a descriptor select() cannot watch (>= FD_SETSIZE) is closed as soon as it is accepted: the
//   documented cap (B25);
// - select() waits without a time limit and the write list holds only clients with bytes to send, so
//   an idle server sleeps in the kernel.
import { BlockingIOError, createServer, FD_SETSIZE, OSError, select, type InetAddress, type Socket } from 'learn-io/sys';

/** What the harness passes to main(). */
export interface ServeOptions {
  host: string;
  port: number;
  /** Call once listening, with listener.getsockname(): the harness learns the port from it. */
  ready(address: InetAddress): void;
}

/** Stop reading from a client while this many bytes (or more) wait to be sent to it. */
export const MAX_BACKLOG = 256 * 1024;
/** Bytes asked of recv() at a time. */
const CHUNK = 64 * 1024;

interface Client {
  sock: Socket;
  /** Bytes owed to the client, oldest first; the first may be partly sent already. */
  out: Buffer[];
  backlog: number;
  /** The client shut down its writing half: close once `out` is empty. */
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
  ready(listener.getsockname() as InetAddress);
  const clients = new Map<Socket, Client>();

  const drop = (c: Client) => {
    clients.delete(c.sock);
    c.sock.close();
  };

  for (;;) {
    const readers: Socket[] = [listener];
    const writers: Socket[] = [];
    for (const c of clients.values()) {
      if (!c.eof && c.backlog < MAX_BACKLOG) readers.push(c.sock);
      if (c.backlog > 0) writers.push(c.sock);
    }
    const [readable, writable] = select(readers, writers, [], null);

    for (const sock of readable) {
      if (sock === listener) {
        acceptAll(listener, clients);
        continue;
      }
      const c = clients.get(sock);
      if (!c) continue;
      let data: Buffer;
      try {
        data = sock.recv(CHUNK);
      } catch (e) {
        if (e instanceof BlockingIOError) continue;
        if (e instanceof OSError) {
          drop(c); // ECONNRESET and the like: that client is gone
          continue;
        }
        throw e;
      }
      if (data.length === 0) {
        c.eof = true;
        if (c.backlog === 0) drop(c);
        continue;
      }
      c.out.push(upper(data));
      c.backlog += data.length;
      flush(c, drop); // most of the time the reply goes out at once, saving a trip through select
    }

    for (const sock of writable) {
      const c = clients.get(sock);
      if (c && c.backlog > 0) flush(c, drop);
    }
  }
}

// Takes every waiting connection (the listener is non-blocking: EAGAIN means none left).
function acceptAll(listener: Socket, clients: Map<Socket, Client>): void {
  for (;;) {
    let conn: Socket;
    try {
      [conn] = listener.accept();
    } catch (e) {
      if (e instanceof BlockingIOError) return;
      // ECONNABORTED: gone before we took it; EMFILE/ENFILE: out of descriptors, try again later.
      if (e instanceof OSError) return;
      throw e;
    }
    if (conn.fileno() >= FD_SETSIZE) {
      conn.close(); // select() cannot watch it: refuse the client cleanly rather than crash
      continue;
    }
    conn.setblocking(false);
    clients.set(conn, { sock: conn, out: [], backlog: 0, eof: false });
  }
}

// Sends what the kernel will take now; keeps the rest for the next writable turn.
function flush(c: Client, drop: (c: Client) => void): void {
  while (c.out.length > 0) {
    const head = c.out[0]!;
    let n: number;
    try {
      n = c.sock.send(head);
    } catch (e) {
      if (e instanceof BlockingIOError) return;
      if (e instanceof OSError) return drop(c); // EPIPE, ECONNRESET: the client went away
      throw e;
    }
    c.backlog -= n;
    if (n === head.length) c.out.shift();
    else {
      c.out[0] = head.subarray(n);
      return;
    }
  }
  if (c.eof) drop(c);
}
