// Exercise select-server: the upper-case echo server over select(2).
// The task is in README.md next to this file (`npx learn-io read select-server`).
//
// Every byte a client sends must come back with ASCII a-z upper-cased and every other byte unchanged,
// in order, however the stream is split, to many clients at once, in one thread. Check your work with
// `npx learn-io check select-server`; try it by hand with `npx learn-io serve select-server`.
import { BlockingIOError, createServer, FD_SETSIZE, OSError, select, type InetAddress, type Socket } from 'learn-io/sys';

/** What the harness passes to main(). Keep this shape. */
export interface ServeOptions {
  host: string;
  port: number;
  /** Call once listening, with listener.getsockname(): the harness learns the port from it. */
  ready(address: InetAddress): void;
}

/** Stop reading from a client while this many bytes (or more) wait to be sent to it. */
export const MAX_BACKLOG = 256 * 1024;

/** What you keep per client: its socket, the bytes you owe it, whether it has shut down its writing half. */
interface Client {
  sock: Socket;
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
  ready(listener.getsockname() as InetAddress);
  const clients = new Map<Socket, Client>();

  for (;;) {
    // TODO 1. Build the read list (the listener, and clients you are willing to read from) and the
    //         write list (clients you owe bytes to), then wait: select(readers, writers, [], null).
    // TODO 2. Listener readable: accept every waiting connection (until BlockingIOError), make each
    //         non-blocking, remember it. A descriptor >= FD_SETSIZE cannot go in a select list: close it.
    // TODO 3. Client readable: recv(); empty means the client has finished sending; otherwise queue
    //         upper(data) for it. A ConnectionResetError (or any OSError) ends that client only.
    // TODO 4. Client writable: send() what you owe; keep whatever the kernel did not take.
    void [BlockingIOError, FD_SETSIZE, OSError, select, clients];
    throw new Error('select-server: the server loop is not written yet (exercises/select-server/server.ts)');
  }
}
