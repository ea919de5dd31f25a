// An echo server on the selector registry, with callbacks in the data slot
//
// What it shows: the shape of an event loop built on selectors, the way
// Python's selectors module describes it. The registry (DefaultSelector, which
// is epoll on Linux) watches non-blocking sockets; each registration carries,
// in its data slot, the function to call when that socket is ready:
//   - the listening socket carries `accept`: take the connection, make it
//     non-blocking, register it with `serve` in its slot;
//   - each connection carries `serve`: recv() what came, send it back; at end
//     of stream, unregister and close.
// The loop itself knows nothing about either: it waits in select() and calls
// whatever the ready key holds. Three clients in a peer process (Node's own
// net module) connect to 127.0.0.1 on the port the kernel picked, each sends
// two lines, checks the echo and hangs up. The server stops by itself once
// all three have come and gone.
// Bounded: 6 s and 500 rounds of the loop at most; done in well under a second
// (sooner with LEARN_IO_DEMO_QUICK=1).
//
// Backs the lesson's claim C26 (one interface over the best back end of the
// platform, callback data on registration), and shows C19 in practice: one
// thread, blocked only in the wait, serving several connections.
import { once } from 'node:events';
import { peer, quick } from '../../src/demo-kit.ts';
import {
  ConnectionResetError,
  createServer,
  DefaultSelector,
  EVENT_READ,
  formatAddress,
  type Socket,
} from '../../src/sys/index.ts';

const CLIENTS = 3;
const GAP_MS = quick ? 20 : 60; // between one client's start and the next, and between its two lines
const LIMIT_MS = 6_000;
const MAX_ROUNDS = 500;

const PEER = `
import net from 'node:net';
const [port, clients, gap] = process.argv.slice(1).map(Number);
function client(i) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setNoDelay(true);
    const lines = ['hello from client ' + i, 'bye from client ' + i];
    let got = '';
    const say = () => s.write(lines.shift() + '\\n');
    s.on('connect', say);
    s.on('data', (d) => {
      got += d;
      if (!got.endsWith('\\n')) return;           // wait for the whole line
      console.log('        [client ' + i + '] got back ' + JSON.stringify(got));
      got = '';
      if (lines.length > 0) setTimeout(say, gap);
      else s.end();                              // done: send end of stream
    });
    s.on('close', resolve);
    s.on('error', (e) => { console.log('        [client ' + i + '] ' + e.message); resolve(); });
  });
}
const all = [];
for (let i = 1; i <= clients; i++) {
  all.push(client(i));
  await new Promise((r) => setTimeout(r, gap));
}
await Promise.all(all);
`;

/** What a registration's data slot holds here: the function to call when its socket is ready. */
type Callback = (sock: Socket, events: number) => void;

const sel = new DefaultSelector<Callback>();
let served = 0;
let bytes = 0;
const log = (text: string) => console.log(`[server] ${text}`);

function accept(listener: Socket): void {
  const [conn, from] = listener.accept();
  conn.setblocking(false);
  sel.register(conn, EVENT_READ, serve);
  log(`accept: fd ${conn.fileno()} from ${formatAddress(from)}; registered with serve()`);
}

function serve(conn: Socket): void {
  const fd = conn.fileno();
  let data: Buffer;
  try {
    data = conn.recv(1024);
  } catch (e) {
    if (!(e instanceof ConnectionResetError)) throw e;
    data = Buffer.alloc(0); // reset by the peer: treat it as the end
  }
  if (data.length > 0) {
    // A short message into an empty send buffer goes out whole. A server that can fill the buffer
    // keeps what send() did not take and registers EVENT_WRITE until it is gone (next exercise).
    const sent = conn.send(data);
    bytes += sent;
    log(`fd ${fd}: ${JSON.stringify(data.toString())} -> sent back ${sent} bytes`);
    return;
  }
  sel.unregister(conn); // before close(), while the descriptor still means this socket
  conn.close();
  served++;
  log(`fd ${fd}: end of stream; unregistered and closed (${served} of ${CLIENTS} done)`);
}

async function main(): Promise<void> {
  const listener = createServer({ host: '127.0.0.1', port: 0 }, { blocking: false });
  const address = listener.getsockname();
  sel.register(listener, EVENT_READ, accept);
  log(`listening on ${formatAddress(address)}, fd ${listener.fileno()}; DefaultSelector is ${sel.constructor.name}`);
  log(`registered the listener with accept() in its data slot\n`);

  const port = typeof address === 'string' ? 0 : address.port;
  const clients = peer(PEER, [String(port), String(CLIENTS), String(GAP_MS)], LIMIT_MS);
  const end = performance.now() + LIMIT_MS;
  let rounds = 0;
  let events = 0;
  try {
    while (served < CLIENTS && rounds < MAX_ROUNDS) {
      const left = end - performance.now();
      if (left <= 0) break;
      rounds++;
      // Block here, and only here, until some registered socket is ready.
      for (const [key, ready] of sel.select(left)) {
        events++;
        key.data(key.fileobj as Socket, ready); // the loop calls whatever was registered
      }
    }
  } finally {
    for (const key of [...sel.getMap().values()]) if (key.fileobj !== listener) (key.fileobj as Socket).close();
    sel.close();
    listener.close();
  }
  if (clients.exitCode === null) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([once(clients, 'exit'), new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }

  const stopped = served === CLIENTS ? 'all clients done' : `stopped early (${served} of ${CLIENTS} done)`;
  console.log(`
${stopped}: ${rounds} waits in select(), ${events} callbacks, ${bytes} bytes echoed.

What happened:
  - One thread served ${CLIENTS} connections that overlapped in time. It blocked only
    in ${sel.name}'s wait; accept() and recv() were called when the registry had
    said they would not block, on sockets set non-blocking to be sure.
  - The loop never looked at what a socket was for: the registration's data
    slot held the function to call (accept for the listener, serve for a
    connection), as in the example of Python's selectors documentation.
  - DefaultSelector is the best back end this platform has (${sel.name} here; poll
    elsewhere). The same code runs over SelectSelector or PollSelector.`);
}

await main();
