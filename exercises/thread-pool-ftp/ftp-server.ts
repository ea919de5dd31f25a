// Exercise thread-pool-ftp: the acceptor and the pool of an FTP server (session.ts is the other half).
// The task is in README.md next to this file (`npx learn-io read thread-pool-ftp`).
//
// The main thread is the acceptor: it blocks in accept(), decides at once whether a user slot is free
// (421 and close if not), and hands each admitted connection's descriptor to the pool through the
// shared Queue. The worker threads, started once, run session.ts. Check your work with
// `npx learn-io check thread-pool-ftp`; try it by hand with `npx learn-io serve thread-pool-ftp`.
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

  // TODO 1. The shared state: a Queue of descriptors (Queue.create(limit): never more than `limit` are in
  //         flight) and the slot count, one Int32 in a SharedArrayBuffer that both sides change with Atomics.
  // TODO 2. The pool: config.poolSize workers, started once:
  //           startWorker(new URL('./session.ts', import.meta.url), { queue: queue.buffer, slots: ..., config })
  //         then wait until each has posted 'ready' (session.ts does it once loaded), or failed ('error').
  // TODO 3. The listener: createServer({ host: options.host, port: options.port }), then
  //         options.ready(listener.getsockname() as InetAddress).
  // TODO 4. The acceptor loop, for good: listener.accept() (it blocks); ECONNABORTED: next; EMFILE: pause
  //         a little (Atomics.wait on a spare Int32Array is a sleep) and retry. Then the user limit: a
  //         slot free? take it (Atomics.add) and queue.put(conn.detach()); none? refuse(conn) at once.
  void [createServer, once, OSError, Queue, startWorker, limit, refuse, [] as Worker[]];
  throw new Error('thread-pool-ftp: main() is not written yet: the pool, the Queue, the listener and the acceptor loop (exercises/thread-pool-ftp/ftp-server.ts)');
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
