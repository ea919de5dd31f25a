// Exercise hub, part 2: the seed's coroutine echo server on your hub.ts. One task per client, one thread.
// Check with `npx learn-io check hub`; try it with `npx learn-io serve hub`.
import { createServer, OSError, type InetAddress, type Socket } from 'learn-io/sys';
import { Hub } from './hub.ts';

/** What the harness passes to main(). Keep this shape. */
export interface ServeOptions {
  host: string;
  port: number;
  /** Call once listening, with listener.getsockname(): the harness learns the port from it. */
  ready(address: InetAddress): void;
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
  const hub = new Hub();
  const listener = createServer({ host, port }, { blocking: false });
  ready(listener.getsockname() as InetAddress);

  function* serve(conn: Socket) {
    // TODO: loop: data = yield* hub.recv(conn, 65536); stop at end of stream (empty data);
    //       otherwise yield* hub.sendall(conn, upper(data)). An OSError (ECONNRESET, EPIPE) ends this
    //       client only. Close the socket when done, whatever happened (finally).
    void [conn, OSError];
  }

  hub.run(function* acceptLoop() {
    // TODO: for ever: const [conn] = yield* hub.accept(listener); hub.spawn(serve, conn);
    void serve;
    throw new Error('hub: the accept loop of server.ts is not written yet (exercises/hub/server.ts)');
  });
}
