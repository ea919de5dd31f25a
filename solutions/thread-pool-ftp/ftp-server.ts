// The thread-pool FTP server: the acceptor (this file, the main thread) and the pool (session.ts).
//
// The acceptor blocks in accept(2). For each connection it decides at once whether a user slot is
// free: if not, it writes `421` and closes (never a silent queue, never a hang, ftp.md §7); if so, it
// takes the slot and puts the bare descriptor in the shared Queue. A fixed set of worker threads,
// started once, take descriptors from the Queue, and the one that takes a descriptor owns that session
// end to end with blocking calls (session.ts), then closes it and gives the slot back.
//
// The slot count lives in shared memory (one Int32 updated with Atomics): the acceptor adds one, the
// worker that closes the session subtracts one, so a slot is free the moment its control connection
// is closed, whatever closed it (QUIT, FIN, RST, idle timeout, protocol error, a bug in a handler).
//
// Why the pool bounds the users too: a session holds its worker from greeting to close, so sessions
// beyond the pool size would sit in the Queue without a greeting, which is exactly the "accepted and
// left hanging" that real clients cannot cope with. The limit is therefore min(maxUsers, poolSize).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { createServer, MSG_DONTWAIT, OSError, type InetAddress, type Socket } from 'learn-io/sys';
import { Queue, startWorker } from 'learn-io/threads';

/** What the harness passes to main(): its own three, plus the exercise's configuration (all optional). */
export interface ServeOptions extends FtpOptions {
  host: string;
  port: number;
  /** Call once listening, with listener.getsockname(): the harness learns the port from it. */
  ready(address: InetAddress): void;
}

export interface FtpOptions {
  /** The directory clients see as `/`. Default: a folder in the system's temp directory (see defaultRoot). */
  root?: string;
  /** Accounts: { name: password }, or [{ name, password }]. Default: { learner: 'learner' }. */
  users?: Record<string, string> | { name?: string; user?: string; password?: string; pass?: string }[];
  /** Accept USER anonymous (or ftp) with any password. Default false. */
  anonymous?: boolean;
  /** Worker threads, started once. Default: maxUsers. */
  poolSize?: number;
  /** Concurrent control connections admitted, logged in or not. Default 8. */
  maxUsers?: number;
  /** Silence on the control connection before `421` and close, in ms. Default 300 000. */
  idleTimeoutMs?: number;
  /** How long a PASV/EPSV listener waits for the client's data connection, in ms. Default 30 000. */
  dataTimeoutMs?: number;
  /** A transfer that makes no progress for this long is aborted with `426`, in ms. Default 300 000. */
  transferTimeoutMs?: number;
  /** Longest command line accepted, in bytes, without its CRLF (at least 2048). Default 4096. */
  maxLineBytes?: number;
}

/** The configuration after defaults and checks: what every worker receives. */
export interface FtpConfig {
  root: string;
  users: Record<string, string>;
  anonymous: boolean;
  poolSize: number;
  maxUsers: number;
  idleTimeoutMs: number;
  dataTimeoutMs: number;
  transferTimeoutMs: number;
  maxLineBytes: number;
}

/** The reply to a connection past the limit (ftp.md §7). */
export const TOO_MANY_USERS = '421 Too many users connected, please try again later.\r\n';

/** Where `learn-io serve` puts its root when no configuration names one: created with a welcome file. */
export function defaultRoot(): string {
  const dir = path.join(os.tmpdir(), `learn-io-ftp-root-${os.userInfo().uid}`);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(path.join(dir, 'pub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'welcome.txt'), 'Hello from learn-io\'s thread-pool FTP server.\n');
  }
  return dir;
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`ftp-server: ${name} must be a positive integer, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** Defaults, checks and a canonical root (symlinks resolved: the jail is checked against real paths). */
export function parseConfig(options: FtpOptions): FtpConfig {
  const root = options.root ?? defaultRoot();
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(path.resolve(root));
  } catch {
    throw new Error(`ftp-server: the root directory ${root} does not exist`);
  }
  if (!fs.statSync(realRoot).isDirectory()) throw new Error(`ftp-server: the root ${root} is not a directory`);

  const users: Record<string, string> = {};
  const given = options.users ?? { learner: 'learner' };
  if (Array.isArray(given)) {
    for (const u of given) {
      const name = u.name ?? u.user;
      if (typeof name !== 'string') throw new TypeError(`ftp-server: a user needs a name: ${JSON.stringify(u)}`);
      users[name] = String(u.password ?? u.pass ?? '');
    }
  } else {
    for (const [name, password] of Object.entries(given)) users[name] = String(password);
  }

  const maxUsers = positiveInt('maxUsers', options.maxUsers, 8);
  return {
    root: realRoot,
    users,
    anonymous: options.anonymous === true,
    maxUsers,
    poolSize: positiveInt('poolSize', options.poolSize, maxUsers),
    idleTimeoutMs: positiveInt('idleTimeoutMs', options.idleTimeoutMs, 300_000),
    dataTimeoutMs: positiveInt('dataTimeoutMs', options.dataTimeoutMs, 30_000),
    transferTimeoutMs: positiveInt('transferTimeoutMs', options.transferTimeoutMs, 300_000),
    maxLineBytes: Math.max(2048, positiveInt('maxLineBytes', options.maxLineBytes, 4096)),
  };
}

/** Writes to stderr without the event loop: the main thread is blocked in accept() and cannot relay. */
export function log(text: string): void {
  try {
    fs.writeSync(2, `ftp-server: ${text}\n`);
  } catch {
    // stderr gone: nothing to do
  }
}

export async function main(options: ServeOptions): Promise<void> {
  const config = parseConfig(options);
  const limit = Math.min(config.maxUsers, config.poolSize);
  if (config.poolSize < config.maxUsers) {
    log(`poolSize ${config.poolSize} < maxUsers ${config.maxUsers}: a session holds its worker, so at most ${limit} users are admitted`);
  }

  // Slots in use: admitted sessions, queued or being served. Index 0 of a shared Int32Array.
  const slots = new Int32Array(new SharedArrayBuffer(4));
  // Never more than `limit` descriptors are in flight, so put() never waits.
  const queue = Queue.create(limit);
  // A word nobody changes: Atomics.wait on it is a plain sleep of the acceptor thread.
  const pause = new Int32Array(new SharedArrayBuffer(4));

  const workers: Worker[] = [];
  for (let i = 0; i < config.poolSize; i++) {
    workers.push(startWorker(new URL('./session.ts', import.meta.url), { queue: queue.buffer, slots: slots.buffer, config, worker: i }));
  }
  // Each worker says 'ready' once its module has loaded; a worker that fails to load fails the server
  // here, with its error, rather than leaving admitted clients without a greeting.
  await Promise.all(
    workers.map(async (w) => {
      const [message] = (await Promise.race([once(w, 'message'), once(w, 'error').then(([e]) => Promise.reject(e))])) as [unknown];
      if (message !== 'ready') throw new Error(`ftp-server: a worker sent ${JSON.stringify(message)} instead of 'ready'`);
    }),
  );

  const listener = createServer({ host: options.host, port: options.port });
  options.ready(listener.getsockname() as InetAddress);

  // From here on the main thread blocks in accept() for good: this is the acceptor thread.
  for (;;) {
    let conn: Socket;
    try {
      [conn] = listener.accept();
    } catch (e) {
      if (e instanceof OSError && (e.code === 'ECONNABORTED' || e.code === 'EPROTO')) continue; // gone before we took it
      if (e instanceof OSError && (e.code === 'EMFILE' || e.code === 'ENFILE' || e.code === 'ENOBUFS' || e.code === 'ENOMEM')) {
        // Out of descriptors: the connection waits in the backlog; try again a little later.
        Atomics.wait(pause, 0, 0, 100);
        continue;
      }
      queue.shutdown({ immediate: true });
      throw e;
    }

    if (!waitForSlot(slots, limit)) {
      refuse(conn);
      continue;
    }
    Atomics.add(slots, 0, 1);
    queue.put(conn.detach()); // from now on the worker that takes it owns the descriptor
  }
}

const GRACE_MS = 50;
const GRACE_BUDGET_MS = 250; // refilled at a quarter of the time that passes
let graceBudget = GRACE_BUDGET_MS;
let lastCheck = 0;

/**
 * Whether a slot is free. When none is, a short grace: a client that closes and at once reconnects
 * can arrive before the worker has seen its close, so wait up to GRACE_MS for a worker to give a slot
 * back (it notifies). The graces come out of a small budget, so that a burst of refused clients is not
 * refused one grace after another: the last of them still gets its 421 well within a second.
 */
function waitForSlot(slots: Int32Array, limit: number): boolean {
  const now = performance.now();
  graceBudget = Math.min(GRACE_BUDGET_MS, graceBudget + (now - lastCheck) / 4);
  lastCheck = now;
  if (Atomics.load(slots, 0) < limit) return true;
  const deadline = now + Math.min(GRACE_MS, graceBudget);
  for (let left = deadline - now; left > 0; left = deadline - performance.now()) {
    const seen = Atomics.load(slots, 0);
    if (seen < limit) break;
    Atomics.wait(slots, 0, seen, left);
  }
  graceBudget -= performance.now() - now;
  lastCheck = performance.now();
  return Atomics.load(slots, 0) < limit;
}

// 421 at once, then close. The socket is new, so the short reply always fits its send buffer. Whatever
// the client already sent is read first: closing with unread bytes would send RST, which can destroy
// the 421 before the client reads it.
function refuse(conn: Socket): void {
  try {
    conn.send(TOO_MANY_USERS, MSG_DONTWAIT);
    for (let i = 0; i < 4; i++) if (conn.recv(4096, MSG_DONTWAIT).length === 0) break;
  } catch {
    // EAGAIN (nothing more to read), or the client is gone already
  } finally {
    conn.close();
  }
}
