// Exercise thread-pool-ftp: one worker thread of the pool, and the FTP session it serves.
// The task is in README.md next to this file (`npx learn-io read thread-pool-ftp`).
//
// ftp-server.ts starts this file as a worker thread (startWorker), several times. Each worker takes a
// descriptor from the shared Queue, serves that control connection from greeting to close with
// blocking calls, gives its user slot back, and takes the next one. Nothing here may use Node's event
// loop: sockets are learn-io/sys's (real recv, send, poll), files are fs's synchronous calls.
//
// Given: the reply helpers, the listing line, error texts, the command table, the session's frame.
// Yours: the worker loop, reading command lines (limits, idle timeout), the paths (the security core),
// the commands, the data connections and the transfers.
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import {
  AF_INET,
  BlockingIOError,
  createServer,
  IPPROTO_TCP,
  MSG_DONTWAIT,
  OSError,
  poll,
  POLLIN,
  POLLOUT,
  SOCK_STREAM,
  Socket,
  TCP_NODELAY,
  type InetAddress,
} from 'learn-io/sys';
import { Queue, QueueShutDown } from 'learn-io/threads';
import type { FtpConfig } from './ftp-server.ts';

/** Bytes moved per recv/send/read/write of a transfer. */
export const CHUNK = 256 * 1024;

/** Writes to stderr directly: a worker's console output would go through the main thread, which is blocked in accept(). */
export function log(text: string): void {
  try {
    fs.writeSync(2, `ftp-server [worker ${threadId}]: ${text}\n`);
  } catch {
    // stderr gone
  }
}

function notWritten(what: string): never {
  throw new Error(`thread-pool-ftp: ${what} is not written yet (exercises/thread-pool-ftp/session.ts)`);
}

/** A reply that ends a command early: throw it from a handler or from path resolution; dispatch sends it. */
export class Reply extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`${code} ${text}`);
  }
}

/** The control connection is gone, or we are closing it: the session ends. */
export class Closed extends Error {}

/**
 * A file system error (fs.*Sync throws them) as a reply, without the host path that Node puts in its
 * messages (ftp.md S20); undefined for anything else.
 */
export function fsReply(e: unknown): Reply | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || e instanceof OSError) return undefined;
  const texts: Record<string, [number, string]> = {
    ENOENT: [550, 'No such file or directory.'],
    EEXIST: [550, 'File exists.'],
    ENOTEMPTY: [550, 'Directory not empty.'],
    ENOTDIR: [550, 'Not a directory.'],
    EISDIR: [550, 'Is a directory.'],
    EACCES: [550, 'Permission denied.'],
    EPERM: [550, 'Permission denied.'],
    EINVAL: [550, 'Invalid argument.'],
    ELOOP: [550, 'Too many levels of symbolic links.'],
    ENAMETOOLONG: [553, 'File name too long.'],
    ENOSPC: [452, 'Insufficient storage space.'],
  };
  const [c, text] = texts[code] ?? [451, `Local error (${code}).`];
  return new Reply(c, text);
}

/**
 * send() all of `data` within `timeoutMs`: poll() for POLLOUT, then send() with MSG_DONTWAIT, so a peer
 * that stops reading makes this return false at the limit instead of blocking the thread forever.
 * False too when the peer is gone (EPIPE, ECONNRESET).
 */
export function sendAllWithin(sock: Socket, data: Buffer, timeoutMs: number): boolean {
  const deadline = performance.now() + timeoutMs;
  for (let off = 0; off < data.length; ) {
    const left = deadline - performance.now();
    if (left <= 0 || poll([{ fd: sock.fileno(), events: POLLOUT }], Math.ceil(left)).length === 0) return false;
    try {
      off += sock.send(data.subarray(off), MSG_DONTWAIT);
    } catch (e) {
      if (e instanceof BlockingIOError) continue;
      if (e instanceof OSError) return false;
      throw e;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Paths: the virtual tree the client sees (`/` = the root) and the host paths behind it. The security
// core of the server, and yours (README.md, "Paths and the root"; ftp.md §9 S2-S7).

/**
 * The virtual path of `arg` seen from `cwd`: absolute, normalised, never above `/`.
 * Examples: ('/', 'sub/../..') → '/', ('/sub', 'deeper') → '/sub/deeper', ('/sub', '/etc') → '/etc'.
 */
export function virtualPath(cwd: string, arg: string): string {
  void [cwd, arg];
  return notWritten('virtualPath()');
}

/** A path of the virtual tree and the host path it maps to. */
export interface Resolved {
  virtual: string;
  host: string;
}

/** The virtual tree rooted at `root` (a real path: parseConfig resolved its symlinks). */
export class Jail {
  constructor(readonly root: string) {}

  /** Whether a real (symlink-free) host path is the root or under it. Careful: `/srv/root2` is not under `/srv/root`. */
  contains(real: string): boolean {
    void real;
    return notWritten('Jail.contains()');
  }

  /**
   * An existing file or directory (for CWD, SIZE, MDTM, RETR, LIST), symlinks followed: its real host
   * path, inside the root. Missing, or reached only by leaving the root: throw new Reply(550, ...).
   */
  existing(virtual: string): Resolved {
    void virtual;
    return notWritten('Jail.existing()');
  }

  /**
   * A name to create, delete or rename (MKD, RMD, DELE, RNFR, RNTO, STOR): its parent directory
   * resolved as in existing(), the last component not followed. The root itself: 550.
   */
  entry(virtual: string): Resolved {
    void virtual;
    return notWritten('Jail.entry()');
  }
}

// ---------------------------------------------------------------------------------------------------
// Listings and other reply formats (ftp.md §2.2, §6).

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SIX_MONTHS_MS = 182 * 24 * 3600 * 1000;

function permissions(mode: number): string {
  let s = '';
  for (const shift of [6, 3, 0]) {
    const bits = (mode >> shift) & 7;
    s += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  return s;
}

/**
 * One LIST line, CRLF included: `-rw-r--r--   1 ftp      ftp          4096 Nov 29 11:02 name`, in UTC.
 * For a symlink, pass the stat of what it points to (inside the root), never show its target.
 */
export function listLine(name: string, st: fs.Stats, now = Date.now()): string {
  const type = st.isDirectory() ? 'd' : '-';
  const t = st.mtime;
  const recent = Math.abs(now - t.getTime()) < SIX_MONTHS_MS;
  const day = `${MONTHS[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2)}`;
  const when = recent
    ? `${day} ${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}`
    : `${day}  ${t.getUTCFullYear()}`;
  return `${type}${permissions(st.mode)} ${String(st.nlink).padStart(3)} ftp      ftp      ${String(st.size).padStart(12)} ${when} ${name}\r\n`;
}

/** MDTM's form: YYYYMMDDHHMMSS in UTC. */
export function mdtm(t: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getUTCFullYear(), 4)}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}`;
}

/** A path in a 257 reply: in double quotes, any `"` inside doubled. */
export const quote = (p: string) => `"${p.replaceAll('"', '""')}"`;

/** A command line's bytes (without CRLF) as text: telnet IAC pairs (`FF xx`, e.g. before ABOR) removed, UTF-8 decoded. */
export function decodeLine(raw: Buffer): string {
  if (raw.includes(0xff)) {
    const out: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === 0xff) i++;
      else out.push(raw[i]!);
    }
    raw = Buffer.from(out);
  }
  return raw.toString('utf8');
}

// ---------------------------------------------------------------------------------------------------
// The session.

interface Command {
  run: (s: Session, arg: string) => void;
  /** Allowed before login (README.md, "Commands"; ftp.md S1). */
  open?: boolean;
}

/** Known verbs this server does not implement: 502, not 500. */
const NOT_IMPLEMENTED = new Set(['ACCT', 'SMNT', 'REIN', 'STOU', 'SITE', 'STAT', 'MLSD', 'MLST', 'MFMT', 'PBSZ', 'PROT', 'LPRT', 'LPSV']);

export class Session {
  readonly ctl: Socket;
  readonly jail: Jail;
  /** The client's address and ours on the control connection (a PASV listener binds ours; data connections must come from theirs). */
  readonly peerHost: string;
  readonly localHost: string;
  /** Bytes received on the control connection and not yet used as command lines. */
  inbuf: Buffer = Buffer.alloc(0);
  /** performance.now() when the last complete command was handled: the idle timer counts from here. */
  lastCommand = performance.now();
  /** The virtual current directory. */
  cwd = '/';
  loggedIn = false;
  /** Set by QUIT (and by the third wrong password): serve() ends after the current command. */
  quitting = false;

  constructor(
    fd: number,
    readonly config: FtpConfig,
  ) {
    this.ctl = Socket.fromFd(fd);
    // Replies are small writes with no answer in between (150, then 226): without this, Nagle's
    // algorithm holds the second until the client's delayed ACK, 40 ms per transfer.
    this.ctl.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    this.jail = new Jail(config.root);
    this.peerHost = (this.ctl.getpeername() as InetAddress).host;
    this.localHost = (this.ctl.getsockname() as InetAddress).host;
  }

  /** The whole session: greeting, then commands until QUIT, end of stream, timeout or error; then close. */
  serve(): void {
    try {
      this.reply(220, 'learn-io FTP server ready.');
      while (!this.quitting) {
        const line = this.readLine();
        if (line === undefined) return;
        this.dispatch(line);
        this.lastCommand = performance.now();
      }
    } catch (e) {
      if (!(e instanceof Closed)) throw e;
    } finally {
      // TODO: close whatever the session still holds (a passive listener, a data connection).
      this.ctl.close();
    }
  }

  /** One reply line: `ddd text` CRLF. Throws Closed if the client cannot be written to. */
  reply(code: number, text: string): void {
    this.#send(`${code} ${text}\r\n`);
  }

  /** A multi-line reply: `ddd-first`, the middle lines as given (FEAT's start with a space), `ddd last`. */
  replyLines(code: number, first: string, middle: string[], last: string): void {
    this.#send([`${code}-${first}`, ...middle, `${code} ${last}`].map((l) => `${l}\r\n`).join(''));
  }

  #send(text: string): void {
    if (!sendAllWithin(this.ctl, Buffer.from(text, 'utf8'), this.config.idleTimeoutMs)) throw new Closed(text);
  }

  /**
   * The next command line without its terminator (CRLF or a bare LF), through decodeLine(); or
   * undefined when the session must end.
   */
  readLine(): string | undefined {
    // TODO: serve what inbuf already holds first (pipelining); otherwise wait for more with
    //       poll([{ fd: this.ctl.fileno(), events: POLLIN }], <time left before the idle timeout>), then
    //       recv. Idle timeout: 421 and end. End of stream or reset: end. A line over
    //       this.config.maxLineBytes, or that many bytes without a line end: one 500, then end.
    return notWritten('Session.readLine()');
  }

  /** Splits a line into verb and argument and runs the command; Reply and fs errors become replies. */
  dispatch(line: string): void {
    const sp = line.indexOf(' ');
    const verb = (sp === -1 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp === -1 ? '' : line.slice(sp + 1); // not trimmed: ' lead space.txt' is a name
    const command = COMMANDS[verb];
    try {
      if (!command) {
        if (NOT_IMPLEMENTED.has(verb)) throw new Reply(502, `${verb} is not implemented.`);
        throw new Reply(500, verb === '' ? 'Empty command.' : 'Command not understood.');
      }
      // TODO: the pre-login rule (530 unless command.open), a NUL byte in the argument (501), a pending
      //       RNFR that any other command cancels, a REST offset that only the next transfer may use.
      command.run(this, arg);
    } catch (e) {
      if (e instanceof Closed) throw e;
      const r = e instanceof Reply ? e : fsReply(e);
      if (!r) throw e;
      this.reply(r.code, r.text);
    }
  }

  // --- login: USER, PASS, QUIT ------------------------------------------------------------------
  user(arg: string): void {
    void arg;
    notWritten('USER');
  }
  pass(arg: string): void {
    void arg;
    notWritten('PASS');
  }
  quit(): void {
    notWritten('QUIT');
  }

  // --- information and settings: FEAT, OPTS, TYPE, MODE, STRU, REST -----------------------------
  feat(): void {
    notWritten('FEAT');
  }
  opts(arg: string): void {
    void arg;
    notWritten('OPTS');
  }
  type(arg: string): void {
    void arg;
    notWritten('TYPE');
  }
  mode(arg: string): void {
    void arg;
    notWritten('MODE');
  }
  stru(arg: string): void {
    void arg;
    notWritten('STRU');
  }
  rest(arg: string): void {
    void arg;
    notWritten('REST');
  }

  // --- directories: PWD, CWD, CDUP, MKD, RMD ------------------------------------------------------
  pwd(): void {
    notWritten('PWD');
  }
  cwdTo(arg: string): void {
    void arg;
    notWritten('CWD');
  }
  cdup(): void {
    notWritten('CDUP');
  }
  mkd(arg: string): void {
    void arg;
    notWritten('MKD');
  }
  rmd(arg: string): void {
    void arg;
    notWritten('RMD');
  }

  // --- files: DELE, RNFR, RNTO, SIZE, MDTM --------------------------------------------------------
  dele(arg: string): void {
    void arg;
    notWritten('DELE');
  }
  rnfr(arg: string): void {
    void arg;
    notWritten('RNFR');
  }
  rnto(arg: string): void {
    void arg;
    notWritten('RNTO');
  }
  size(arg: string): void {
    void arg;
    notWritten('SIZE');
  }
  mdtm(arg: string): void {
    void arg;
    notWritten('MDTM');
  }

  // --- data connections: PASV, EPSV (PORT, EPRT optional) -----------------------------------------
  // A listener: createServer({ host: this.localHost, port: 0 }, { backlog: 1 }). Accept with poll()
  // and a deadline (config.dataTimeoutMs); only from this.peerHost.
  pasv(): void {
    void [createServer, AF_INET, SOCK_STREAM];
    notWritten('PASV');
  }
  epsv(arg: string): void {
    void arg;
    notWritten('EPSV');
  }
  port(arg: string): void {
    void arg;
    throw new Reply(502, 'Active mode is not supported: use PASV or EPSV.');
  }
  eprt(arg: string): void {
    void arg;
    throw new Reply(502, 'Active mode is not supported: use PASV or EPSV.');
  }

  // --- transfers: LIST, NLST, RETR, STOR (APPE, ABOR optional) ------------------------------------
  // 150, the data connection, the bytes (poll for POLLOUT/POLLIN with config.transferTimeoutMs before
  // each send/recv), close the data connection, then 226; 425 without PASV/EPSV; 426 when it breaks.
  list(arg: string, namesOnly: boolean): void {
    void [arg, namesOnly, POLLIN, path, CHUNK];
    notWritten(namesOnly ? 'NLST' : 'LIST');
  }
  retr(arg: string): void {
    void arg;
    notWritten('RETR');
  }
  /** STOR (and APPE): into a temporary name, renamed over the final name only once complete. */
  stor(arg: string, append: boolean): void {
    void [arg, append];
    notWritten(append ? 'APPE' : 'STOR');
  }
  abor(): void {
    this.reply(225, 'No transfer to abort.');
  }
}

const COMMANDS: Record<string, Command> = {
  USER: { run: (s, a) => s.user(a), open: true },
  PASS: { run: (s, a) => s.pass(a), open: true },
  QUIT: { run: (s) => s.quit(), open: true },
  FEAT: { run: (s) => s.feat(), open: true },
  SYST: { run: (s) => s.reply(215, 'UNIX Type: L8'), open: true },
  NOOP: { run: (s) => s.reply(200, 'NOOP ok.'), open: true },
  OPTS: { run: (s, a) => s.opts(a), open: true },
  AUTH: { run: () => { throw new Reply(502, 'TLS is not supported.'); }, open: true },
  PWD: { run: (s) => s.pwd() },
  XPWD: { run: (s) => s.pwd() },
  CWD: { run: (s, a) => s.cwdTo(a) },
  XCWD: { run: (s, a) => s.cwdTo(a) },
  CDUP: { run: (s) => s.cdup() },
  XCUP: { run: (s) => s.cdup() },
  TYPE: { run: (s, a) => s.type(a) },
  MODE: { run: (s, a) => s.mode(a) },
  STRU: { run: (s, a) => s.stru(a) },
  PASV: { run: (s) => s.pasv() },
  EPSV: { run: (s, a) => s.epsv(a) },
  PORT: { run: (s, a) => s.port(a) },
  EPRT: { run: (s, a) => s.eprt(a) },
  LIST: { run: (s, a) => s.list(a, false) },
  NLST: { run: (s, a) => s.list(a, true) },
  RETR: { run: (s, a) => s.retr(a) },
  STOR: { run: (s, a) => s.stor(a, false) },
  APPE: { run: (s, a) => s.stor(a, true) },
  REST: { run: (s, a) => s.rest(a) },
  DELE: { run: (s, a) => s.dele(a) },
  MKD: { run: (s, a) => s.mkd(a) },
  XMKD: { run: (s, a) => s.mkd(a) },
  RMD: { run: (s, a) => s.rmd(a) },
  XRMD: { run: (s, a) => s.rmd(a) },
  RNFR: { run: (s, a) => s.rnfr(a) },
  RNTO: { run: (s, a) => s.rnto(a) },
  SIZE: { run: (s, a) => s.size(a) },
  MDTM: { run: (s, a) => s.mdtm(a) },
  ABOR: { run: (s) => s.abor() },
};

// ---------------------------------------------------------------------------------------------------
// The worker thread's body.

function runWorker(): void {
  const queue = Queue.from(workerData.queue as SharedArrayBuffer);
  const config = workerData.config as FtpConfig;
  // TODO: first tell main() this worker is up: parentPort!.postMessage('ready') (main() waits for it
  //       from every worker before it calls ready()). Then, for good (until QueueShutDown): fd = queue.get(); serve it with
  //       new Session(fd, config).serve(); whatever it throws, log() it and go on (a worker never dies
  //       with a session); then give the slot back (Atomics.sub on workerData.slots) once the control
  //       connection is closed. A descriptor whose client already left (Session's constructor throws
  //       OSError ENOTCONN) must still be closed.
  void [queue, config, QueueShutDown, Session, parentPort];
  notWritten('the worker loop (runWorker)');
}

if (!isMainThread && workerData?.queue instanceof SharedArrayBuffer) runWorker();
