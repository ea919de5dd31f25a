// src/sys from worker threads: a blocking call blocks only the thread that makes it, and threads share
// the process's descriptors, so a socket made here can be served from a worker by its fd number.
//
// Worker bodies are TypeScript under test/fixtures/sys-worker/, started through boot.mjs (tsx's loader
// does not reach worker threads on Node 20 by itself). The main thread never blocks on the worker without
// a limit: it waits with poll(2) timeouts or on messages, and its `finally` wakes a worker that is stuck in
// accept or recv (shutdown of the listener, close of the peer) so that a failure cannot hang the run.
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AF_INET,
  errnoOf,
  openDescriptors,
  poll,
  POLLIN,
  POLLOUT,
  SHUT_RDWR,
  SO_ERROR,
  SOCK_STREAM,
  Socket,
  socketpair,
  SOL_SOCKET,
  createServer,
  type InetAddress,
} from '../src/sys/index.ts';

const T = 60_000; // worker start-up compiles TypeScript; generous
const boot = new URL('./fixtures/sys-worker/boot.mjs', import.meta.url);
const body = (name: string) => new URL(`./fixtures/sys-worker/${name}`, import.meta.url).href;

type Message = { type: string; [k: string]: unknown };

/** A worker and its messages in arrival order; next() fails if the worker errs or exits first. */
function startWorker(name: string, data: Record<string, unknown>) {
  const worker = new Worker(boot, { workerData: { ...data, body: body(name) } });
  const inbox: Message[] = [];
  const waiters: { resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiters.splice(0)) w.reject(failure);
  };
  worker.on('message', (m: Message) => {
    const w = waiters.shift();
    if (w) w.resolve(m);
    else inbox.push(m);
  });
  worker.on('error', fail);
  const exit = new Promise<number>((resolve) =>
    worker.on('exit', (code) => {
      fail(new Error(`the worker exited (code ${code}) before sending the message awaited`));
      resolve(code);
    }),
  );
  return {
    worker,
    exit,
    /** Messages that arrived and were not taken yet. */
    pending: () => inbox.length,
    next(ms = 30_000): Promise<Message> {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      if (failure) return Promise.reject(failure);
      return new Promise<Message>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message from the worker within ${ms} ms`)), ms);
        waiters.push({
          resolve: (m) => (clearTimeout(timer), resolve(m)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
      });
    },
  };
}

/** poll(2) with a limit; throws instead of returning nothing, so a broken worker fails the test. */
function waitFor(sock: Socket, events: number, ms = 30_000): number {
  const [r] = poll([{ fd: sock.fileno(), events }], ms);
  if (!r) throw new Error(`fd ${sock.fileno()} was not ready (events 0x${events.toString(16)}) within ${ms} ms`);
  return r.revents;
}

const tick = (ms: number) => new Promise<number>((resolve) => {
  const t0 = performance.now();
  setTimeout(() => resolve(performance.now() - t0), ms);
});

// Seeing a thread sleep in a system call: /proc/self/task/<tid>/syscall starts with the call's number
// and its first argument (the descriptor, in hex). Numbers from the kernel's syscall tables.
const syscallNumbers: Record<string, Record<string, number>> = {
  x64: { recvfrom: 45, accept4: 288 },
  arm64: { recvfrom: 207, accept4: 242 },
};
const procSyscallReadable = (() => {
  try {
    return fs.readFileSync('/proc/thread-self/syscall', 'utf8').length > 0 && process.arch in syscallNumbers;
  } catch {
    return false;
  }
})();

/** Whether some thread of this process is blocked in `syscall` on `fd` now. */
function threadBlockedIn(syscall: string, fd: number): boolean {
  const prefix = `${syscallNumbers[process.arch]![syscall]} 0x${fd.toString(16)} `;
  return fs.readdirSync('/proc/self/task').some((tid) => {
    try {
      return fs.readFileSync(`/proc/self/task/${tid}/syscall`, 'utf8').startsWith(prefix);
    } catch {
      return false; // the thread is gone
    }
  });
}

/** Waits (letting the event loop run) until a thread sleeps in `syscall` on `fd`; false after `ms`. */
async function untilBlockedIn(syscall: string, fd: number, ms = 30_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (threadBlockedIn(syscall, fd)) return true;
    await tick(2);
  }
  return false;
}

let fdsAtStart: number[] = [];
beforeEach(() => {
  fdsAtStart = openDescriptors();
});
afterEach(() => {
  // the workers have exited: their event loops' descriptors are gone, and ours are closed
  expect(openDescriptors()).toEqual(fdsAtStart);
});

describe('src/sys in worker threads', () => {
  it('a worker serves a listening socket made here, with blocking accept, recv and send', { timeout: T }, async () => {
    const server = createServer({ host: '127.0.0.1', port: 0 }); // blocking
    const address = server.getsockname() as InetAddress;
    const w = startWorker('accept-echo.ts', { fd: server.fileno() });
    const client = new Socket(AF_INET, SOCK_STREAM);
    try {
      const ready = await w.next();
      expect(ready).toMatchObject({ type: 'ready', listenerBlocking: true });
      expect(ready.threadId).toBeGreaterThan(0);
      if (procSyscallReadable) {
        // the worker sleeps in accept4(2) on our listener, and this thread's timers still run
        expect(await untilBlockedIn('accept4', server.fileno())).toBe(true);
      }

      client.setblocking(false);
      expect(client.connectEx(address)).toBe(errnoOf('EINPROGRESS'));
      expect(waitFor(client, POLLOUT) & POLLOUT).toBe(POLLOUT);
      expect(client.getsockopt(SOL_SOCKET, SO_ERROR)).toBe(0);
      expect(client.send('ping')).toBe(4);
      expect(waitFor(client, POLLIN) & POLLIN).toBe(POLLIN); // the worker's reply
      expect(client.recv(100).toString()).toBe('pong:ping');
      waitFor(client, POLLIN);
      expect(client.recv(100).length).toBe(0); // the worker closed the connection

      expect(await w.next()).toEqual({ type: 'done', peer: client.getsockname(), request: 'ping', connBlocking: true });
      expect(await w.exit).toBe(0);
      expect(server.fileno()).toBeGreaterThanOrEqual(0);
      expect(openDescriptors()).toContain(server.fileno()); // the worker detached, it did not close
    } finally {
      client.close();
      if (w.worker.threadId !== -1) {
        try {
          server.shutdown(SHUT_RDWR); // wakes a worker still blocked in accept (it fails with EINVAL)
        } catch {
          // not listening any more
        }
      }
      await w.exit;
      server.close();
    }
  });

  it("a worker blocked in recv does not block this thread's event loop", { timeout: T }, async () => {
    const [mine, theirs] = socketpair();
    const w = startWorker('blocking-recv.ts', { fd: theirs.fileno() });
    try {
      expect(await w.next()).toEqual({ type: 'receiving', fd: theirs.fileno() });
      if (procSyscallReadable) expect(await untilBlockedIn('recvfrom', theirs.fileno())).toBe(true);
      // The worker is asleep in recv(2); a timer here still fires, about on time.
      const late = await tick(20);
      expect(late).toBeGreaterThanOrEqual(15);
      expect(late).toBeLessThan(5000);
      expect(w.pending()).toBe(0); // and the worker is still waiting: nothing has come
      expect(poll([{ fd: theirs.fileno(), events: POLLIN }], 0)).toEqual([]);

      mine.sendall('wake up');
      expect(await w.next()).toEqual({ type: 'received', data: 'wake up' });
      expect(await w.exit).toBe(0);
      // both ends still ours, and still connected
      theirs.sendall('back');
      waitFor(mine, POLLIN);
      expect(mine.recv(10).toString()).toBe('back');
    } finally {
      mine.close(); // a worker still in recv gets end of stream
      await w.exit;
      theirs.close();
    }
  });
});
