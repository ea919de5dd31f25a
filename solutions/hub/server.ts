// The seed's coroutine echo server on the hub: one task per client, one thread, cooperative sockets.
// Each client task reads, upper-cases a-z and sends back until the client finishes sending, then closes.
// Backpressure comes for free: a task does not read again until sendall() has handed its reply to the
// kernel, so a client that does not read only ever holds one chunk of ours (cases.md B23).
import { createServer, OSError, type InetAddress, type Socket } from 'learn-io/sys';
import { Hub } from './hub.ts';

/** What the harness passes to main(). */
export interface ServeOptions {
  host: string;
  port: number;
  /** Call once listening, with listener.getsockname(): the harness learns the port from it. */
  ready(address: InetAddress): void;
}

const CHUNK = 64 * 1024;

/** ASCII a-z to A-Z, in place; every other byte unchanged. */
export function upper(data: Buffer): Buffer {
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b >= 0x61 && b <= 0x7a) data[i] = b - 0x20;
  }
  return data;
}

export function main({ host, port, ready }: ServeOptions): void {
  const hub = new Hub();
  const listener = createServer({ host, port }, { blocking: false });
  ready(listener.getsockname() as InetAddress);

  function* serve(conn: Socket) {
    try {
      for (;;) {
        const data = yield* hub.recv(conn, CHUNK);
        if (data.length === 0) break; // the client finished sending: everything owed is already sent
        yield* hub.sendall(conn, upper(data));
      }
    } catch (e) {
      if (!(e instanceof OSError)) throw e; // ECONNRESET, EPIPE: this client is gone, the others go on
    } finally {
      conn.close();
    }
  }

  hub.run(function* acceptLoop() {
    for (;;) {
      const [conn] = yield* hub.accept(listener);
      hub.spawn(serve, conn);
    }
  });
}
