// Past the limit: users beyond a maximum of sessions, refused or left waiting
//
// What it shows: a tiny TCP server built the way the thread-pool-ftp exercise
// builds its FTP server. An acceptor thread takes connections with blocking
// accept() (src/sys) and hands each descriptor to a pool of 2 session
// threads through a Queue (src/threads): a maximum of 2 concurrent sessions.
// A session greets ("220"), waits for the client's QUIT, says "221" and
// closes. Four clients (node:net, in the main thread) arrive 30 ms apart and
// each stays 400 ms once greeted. Two versions of the acceptor:
//   A. it counts the sessions; a client past the maximum gets
//      "421 Too many users" and is closed at once (what vsftpd's max_clients
//      does, with FTP's reply 421 from RFC 959);
//   B. it queues every client silently until a session thread is free.
// Each client's view is measured on its own side: when it connected, when the
// first reply came and what it said, when it was done.
// Bounded: about 2 s after the threads start (less with LEARN_IO_DEMO_QUICK=1);
// every blocking call has a limit, clients give up after 5 s, and the threads
// are terminated after 20 s in any case.
//
// Backs the lesson's claim on a maximum of concurrent users: refusing at
// once with a clear reply beats a silent queue that looks like a dead server.
import net from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { quick, table } from '../../src/demo-kit.ts';
import { createServer, select, Socket, type InetAddress } from '../../src/sys/index.ts';
import { Queue, QueueEmpty, QueueShutDown, startWorker } from '../../src/threads/index.ts';

const MAX_SESSIONS = 2;
const CLIENTS = 4;
const ARRIVE_EVERY_MS = 30;
const HOLD_MS = quick ? 150 : 400; // how long a greeted client stays before QUIT
const GIVE_UP_MS = 5000; // a client that hears nothing for this long leaves
const LIMIT_MS = 5000; // on every blocking call of the server's threads

// The server's shared state: one Int32Array the three threads and the main thread see.
const MODE = 0; // REFUSE or QUEUE: what the acceptor does past the maximum
const ACTIVE = 1; // sessions admitted and not yet over
const STOP = 2; // 1: the acceptor leaves
const REFUSE = 0;
const QUEUE = 1;

interface ServerJob {
  role: 'acceptor' | 'session';
  listenFd: number;
  queue: SharedArrayBuffer;
  shared: SharedArrayBuffer;
}

// ---- the server's threads (this same file, started by startWorker) ----

function acceptor(job: ServerJob, queue: Queue, shared: Int32Array): void {
  const listener = Socket.fromFd(job.listenFd); // the main thread's: detach, never close
  try {
    while (Atomics.load(shared, STOP) === 0) {
      if (select([listener], [], [], 50)[0].length === 0) continue; // look at STOP now and then
      const [conn] = listener.accept(); // blocking, and ready: returns at once
      if (Atomics.load(shared, MODE) === REFUSE && Atomics.load(shared, ACTIVE) >= MAX_SESSIONS) {
        conn.sendall('421 Too many users.\r\n'); // refused at once, and told why
        conn.close();
        continue;
      }
      Atomics.add(shared, ACTIVE, 1);
      queue.put(conn.fileno(), LIMIT_MS); // to the pool: a session thread takes it when free
      conn.detach(); // the descriptor is the session thread's now
    }
  } finally {
    listener.detach();
  }
}

function session(queue: Queue, shared: Int32Array): void {
  for (;;) {
    let fd: number;
    try {
      fd = queue.get(1000);
    } catch (e) {
      if (e instanceof QueueEmpty) continue;
      if (e instanceof QueueShutDown) return;
      throw e;
    }
    const conn = Socket.fromFd(fd);
    try {
      conn.sendall('220 Welcome.\r\n');
      let said = '';
      while (!said.includes('\n')) {
        if (select([conn], [], [], LIMIT_MS)[0].length === 0) break; // a silent client: give up
        const data = conn.recv(1024); // blocking, like any session of a thread-pool server
        if (data.length === 0) break;
        said += data.toString();
      }
      if (said.startsWith('QUIT')) conn.sendall('221 Goodbye.\r\n');
    } finally {
      conn.close();
      Atomics.sub(shared, ACTIVE, 1);
    }
  }
}

if (!isMainThread) {
  const job = workerData as ServerJob;
  const queue = Queue.from(job.queue);
  const shared = new Int32Array(job.shared);
  parentPort!.postMessage({ type: 'ready' });
  if (job.role === 'acceptor') acceptor(job, queue, shared);
  else session(queue, shared);
}

// ---- the main thread: the clients ----

interface Seen {
  client: number;
  arrivedMs: number;
  connectedMs: number;
  replyMs: number;
  reply: string;
  doneMs: number;
}

/** One client: connect, read the first reply; if greeted, stay `holdMs` and QUIT. Times since t0. */
function client(n: number, port: number, t0: number, holdMs = HOLD_MS): Promise<Seen> {
  return new Promise((resolve) => {
    const now = () => performance.now() - t0;
    const seen: Seen = { client: n, arrivedMs: now(), connectedMs: NaN, replyMs: NaN, reply: '(nothing)', doneMs: NaN };
    const sock = net.connect({ host: '127.0.0.1', port });
    let text = '';
    let giveUp = setTimeout(() => sock.destroy(), GIVE_UP_MS);
    sock.setNoDelay(true);
    sock.on('connect', () => (seen.connectedMs = now()));
    sock.on('data', (d) => {
      text += d.toString();
      if (!Number.isNaN(seen.replyMs) || !text.includes('\n')) return;
      seen.replyMs = now();
      seen.reply = text.split('\r\n')[0]!;
      if (seen.reply.startsWith('220')) {
        clearTimeout(giveUp);
        setTimeout(() => sock.write('QUIT\r\n'), holdMs); // a short session
        giveUp = setTimeout(() => sock.destroy(), holdMs + GIVE_UP_MS);
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(giveUp);
      seen.doneMs = now();
      resolve(seen);
    });
  });
}

async function round(port: number): Promise<Seen[]> {
  const t0 = performance.now();
  const all: Promise<Seen>[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const wait = i * ARRIVE_EVERY_MS - (performance.now() - t0); // client i arrives at i * 30 ms
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    all.push(client(i + 1, port, t0));
  }
  return Promise.all(all);
}

/** Each client's life, one character per `tick` ms: '.' connected, no word yet; '=' in session; 'x' refused. */
function strip(s: Seen, tick: number, width: number): string {
  const cells: string[] = [];
  for (let c = 0; c < width; c++) {
    const t = c * tick;
    if (t + tick <= s.arrivedMs || t >= s.doneMs) cells.push(' ');
    else if (s.reply.startsWith('421')) cells.push('x');
    else if (Number.isNaN(s.replyMs) || t + tick <= s.replyMs) cells.push('.');
    else cells.push('=');
  }
  return cells.join('').trimEnd();
}

const TICK_MS = quick ? 10 : 20;

/** A round as the clients saw it: times in ms since the first one arrived. */
function report(title: string, seen: Seen[]): void {
  const f = (ms: number) => (Number.isNaN(ms) ? '-' : `${ms.toFixed(0)} ms`);
  console.log(title);
  const rows = seen.map((s) => [
    `client ${s.client}`,
    f(s.arrivedMs),
    f(s.connectedMs),
    f(s.replyMs),
    f(s.replyMs - s.arrivedMs),
    s.reply.length > 20 ? `${s.reply.slice(0, 19)}…` : s.reply,
    f(s.doneMs),
  ]);
  for (const line of table(['', 'arrived', 'connected', 'reply', 'waited', 'it said', 'done'], rows)) console.log(`  ${line}`);
  console.log('');
  for (const s of seen) console.log(`  client ${s.client}  ${strip(s, TICK_MS, 60)}`);
  console.log(`  (one mark per ${TICK_MS} ms: '.' connected, no word yet; '=' in session; 'x' refused)\n`);
}

async function main(): Promise<void> {
  const listener = createServer({ host: '127.0.0.1', port: 0 }); // blocking
  const { port } = listener.getsockname() as InetAddress;
  const queue = Queue.create(16);
  const shared = new Int32Array(new SharedArrayBuffer(3 * 4));
  const me = new URL(import.meta.url);
  const job = { listenFd: listener.fileno(), queue: queue.buffer, shared: shared.buffer as SharedArrayBuffer };

  console.log(
    `A server on 127.0.0.1:${port}: an acceptor thread and a pool of ${MAX_SESSIONS} session threads\n` +
      `fed by a Queue, so at most ${MAX_SESSIONS} sessions at a time. ${CLIENTS} clients arrive ${ARRIVE_EVERY_MS} ms apart;\n` +
      `each stays ${HOLD_MS} ms once greeted. Starting the threads...` +
      (quick ? '\n(quick mode: shorter sessions than the lesson quotes)' : '') +
      '\n',
  );
  const workers = [
    startWorker(me, { ...job, role: 'acceptor' }),
    ...Array.from({ length: MAX_SESSIONS }, () => startWorker(me, { ...job, role: 'session' })),
  ];
  const exited = workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
  const stopAll = setTimeout(() => workers.forEach((w) => void w.terminate()), 20_000);
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('a server thread did not start within 15 s')), 15_000);
            w.once('message', () => (clearTimeout(timer), resolve()));
            w.once('error', (e) => (clearTimeout(timer), reject(e)));
          }),
      ),
    );

    // Every session over before a round starts (the count drops just after the close).
    const idle = async () => {
      for (let i = 0; i < 100 && Atomics.load(shared, ACTIVE) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await client(0, port, performance.now(), 0); // a first session, so that the figures are warm
    await idle();
    Atomics.store(shared, MODE, REFUSE);
    const refused = await round(port);
    report(`A. Past ${MAX_SESSIONS} sessions, refuse at once: "421 Too many users"`, refused);

    await idle();
    Atomics.store(shared, MODE, QUEUE);
    const queued = await round(port);
    report(`B. Past ${MAX_SESSIONS} sessions, queue the client silently until a thread is free`, queued);

    const late = queued.slice(MAX_SESSIONS);
    const waited = Math.max(...late.map((s) => s.replyMs - s.arrivedMs));
    console.log(`What happened:
  - In both versions every client was connected within ms of arriving: the
    kernel completes the TCP handshake and queues the connection by itself
    (the listen backlog), before any thread of ours calls accept(). A
    connection that succeeded tells the user nothing about being served.
  - A: clients ${MAX_SESSIONS + 1}-${CLIENTS} had their answer at once, "421", and could retry later,
    try another server or tell their user. Nobody waited on a server that
    had no room.
  - B: clients ${MAX_SESSIONS + 1}-${CLIENTS} sat connected in silence for up to ${waited.toFixed(0)} ms, until a
    session ended. Here that is a few hundred ms; with sessions of minutes
    (an FTP download) it is minutes, and a client that gives up after its own
    timeout cannot tell a full server from a dead one.
  - A maximum protects the server (threads, memory, descriptors); what the
    users past it see is a choice. The thread-pool-ftp exercise makes it.`);
  } finally {
    Atomics.store(shared, STOP, 1); // the acceptor leaves within 50 ms
    queue.shutdown(); // the session threads leave when idle
    const grace = new Promise((r) => setTimeout(r, 3000).unref());
    await Promise.race([Promise.all(exited), grace]);
    clearTimeout(stopAll);
    await Promise.all(workers.map((w) => w.terminate()));
    listener.close();
  }
}

if (isMainThread) await main();
