// One worker thread of the FTP server's pool, and the FTP session it serves (ftp.md).
//
// The worker takes a descriptor from the shared Queue, owns that control connection from the greeting
// to the close, serving it with blocking calls, then gives its user slot back and takes the next one.
// Nothing here touches Node's event loop: sockets are the runtime library's (real recv/send/poll),
// files are read and written with fs's synchronous calls, which block this thread only.
//
// Where a blocking call could wait forever, it waits in poll(2) with a limit instead:
// - the control connection, between commands: the idle timeout (421 and close);
// - a data transfer: the stall timeout, while also watching the control connection, so that an ABOR
//   is seen, and a client whose control connection is reset ends its session at once;
// - a passive listener: the data-connection timeout (425).
// send() then runs with MSG_DONTWAIT after poll() said there is room, so a reader that stops reading
// stalls the transfer (bounded memory, ftp.md §5.3) until the stall timeout, never forever.
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import {
  AF_INET,
  AF_INET6,
  BlockingIOError,
  createServer,
  IPPROTO_TCP,
  MSG_DONTWAIT,
  OSError,
  poll,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDHUP,
  SO_ERROR,
  SOCK_STREAM,
  Socket,
  SHUT_WR,
  SOL_SOCKET,
  TCP_NODELAY,
  type InetAddress,
} from 'learn-io/sys';
import { Queue, QueueShutDown } from 'learn-io/threads';
import type { FtpConfig } from './ftp-server.ts';

/** Bytes moved per recv/send/read/write of a transfer. */
const CHUNK = 256 * 1024;
const RDHUP = POLLRDHUP ?? 0;
const GONE = POLLERR | POLLHUP | RDHUP;

function log(text: string): void {
  try {
    fs.writeSync(2, `ftp-server [worker ${threadId}]: ${text}\n`);
  } catch {
    // stderr gone
  }
}

/** A reply that ends a command early: thrown by handlers and path resolution, sent by dispatch. */
class Reply extends Error {
  constructor(
    readonly code: number,
    readonly text: string,
  ) {
    super(`${code} ${text}`);
  }
}

/** The control connection is gone, or we are closing it: the session ends. */
class Closed extends Error {}

/** A file system error as a reply, without the host path Node puts in its messages (ftp.md §9 S20). */
function fsReply(e: unknown): Reply | undefined {
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
    EBUSY: [550, 'Resource busy.'],
    ELOOP: [550, 'Too many levels of symbolic links.'],
    ENAMETOOLONG: [553, 'File name too long.'],
    EXDEV: [550, 'Cannot move across file systems.'],
    ENOSPC: [452, 'Insufficient storage space.'],
    EDQUOT: [452, 'Quota exceeded.'],
  };
  const [c, text] = texts[code] ?? [451, `Local error (${code}).`];
  return new Reply(c, text);
}

// ---------------------------------------------------------------------------------------------------
// Paths: the virtual tree (what the client sees, `/` = the root) and the host paths behind it.

/** A path of the virtual tree and the host path it maps to. */
interface Resolved {
  virtual: string;
  host: string;
}

/**
 * The virtual path of `arg` seen from `cwd`: absolute, normalised, never above `/` (`/../..` is `/`).
 * Backslashes and `%2f` are ordinary characters (ftp.md S7). `name/..` is accepted only where
 * `name` is a directory that exists (`isDir`), as the kernel would: `CWD \/../..` is 550, not a
 * detour back to where it started (B04).
 */
export function virtualPath(cwd: string, arg: string, isDir: (virtual: string) => boolean): string {
  if (/[\r\n]/.test(arg)) throw new Reply(501, 'Line breaks are not allowed in path names.');
  const parts: string[] = [];
  for (const seg of (arg.startsWith('/') ? arg : `${cwd}/${arg}`).split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg !== '..') parts.push(seg);
    else if (parts.length > 0) {
      if (!isDir(`/${parts.join('/')}`)) throw new Reply(550, 'No such file or directory.');
      parts.pop();
    }
  }
  return `/${parts.join('/')}`;
}

/** The virtual tree rooted at `root` (a real path, symlinks already resolved). */
export class Jail {
  constructor(readonly root: string) {}

  /** Whether a real (symlink-free) host path is the root or under it. `/rootX` is not under `/root`. */
  contains(real: string): boolean {
    return real === this.root || real.startsWith(this.root === '/' ? '/' : `${this.root}/`);
  }

  /**
   * An existing file or directory, following symlinks all the way: the host path returned is real
   * and inside the root. Anything missing, or reached only by leaving the root, is 550, and the
   * reply does not say which (a link pointing outside looks like a missing file).
   */
  existing(virtual: string): Resolved {
    let real: string;
    try {
      real = fs.realpathSync(path.join(this.root, virtual));
    } catch (e) {
      throw fsReply(e) ?? e;
    }
    if (!this.contains(real)) throw new Reply(550, 'No such file or directory.');
    return { virtual, host: real };
  }

  /** Whether `virtual` is a directory inside the root (following links that stay inside). */
  isDir(virtual: string): boolean {
    try {
      return fs.statSync(this.existing(virtual).host).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * A name inside an existing directory, for creating, deleting or renaming it: the parent is
   * resolved as in existing(), the last component is not followed (unlink, rmdir, rename, mkdir and a
   * rename onto it act on the name itself, never on what a link there points to). The root itself
   * cannot be created, deleted or renamed.
   */
  entry(virtual: string): Resolved {
    if (virtual === '/') throw new Reply(550, 'Permission denied.');
    const parent = this.existing(path.posix.dirname(virtual));
    if (!fs.statSync(parent.host).isDirectory()) throw new Reply(550, 'Not a directory.');
    return { virtual, host: path.join(parent.host, path.posix.basename(virtual)) };
  }
}

// ---------------------------------------------------------------------------------------------------
// Listings (ftp.md §6): `ls -l` lines, the shape every client's parser accepted.

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

/** One LIST line: `-rw-r--r--   1 ftp      ftp          4096 Nov 29 11:02 name`, in UTC. */
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
function mdtm(t: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getUTCFullYear(), 4)}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}`;
}

/** A path in a 257 reply: in double quotes, any `"` inside doubled (ftp.md §2.2). */
const quote = (p: string) => `"${p.replaceAll('"', '""')}"`;

// ---------------------------------------------------------------------------------------------------
// The session.

type Handler = (s: Session, arg: string) => void;
interface Command {
  run: Handler;
  /** Allowed before login (ftp.md §3.4, S1). */
  open?: boolean;
}

/** Known verbs we choose not to implement: `502`, not `500` (ftp.md §3.3). */
const NOT_IMPLEMENTED = new Set(['ACCT', 'SMNT', 'REIN', 'STOU', 'SITE', 'STAT', 'MLSD', 'MLST', 'MFMT', 'MFF', 'PBSZ', 'PROT', 'CCC', 'LANG', 'HOST', 'AVBL', 'CSID', 'DSIZ', 'RMDA', 'SPSV', 'LPRT', 'LPSV', 'ADAT', 'MIC', 'CONF', 'ENC']);

type Wait = 'ready' | 'timeout' | 'abort';
type Outcome = { ok: true } | { ok: false; code: number; text: string; aborted?: boolean };

let uploads = 0; // per worker: part of each temporary upload name

export class Session {
  readonly ctl: Socket;
  readonly jail: Jail;
  /** The client's address and ours on the control connection: data connections must match them. */
  readonly peerHost: string;
  readonly localHost: string;
  #inbuf: Buffer = Buffer.alloc(0);
  /** The client shut down its side of the control connection: serve what is buffered, then end. */
  #ctlEof = false;
  #lastCommand = performance.now();
  #user: string | undefined;
  #loggedIn = false;
  #failures = 0;
  cwd = '/';
  #passive: Socket | undefined;
  #active: InetAddress | undefined;
  #epsvAll = false;
  #rest = 0;
  #renameFrom: Resolved | undefined;
  #quit = false;
  /** File and data-connection bytes. */
  readonly #chunk = Buffer.allocUnsafe(CHUNK);
  /** Control-connection bytes: apart from #chunk, since the control connection is read in the middle of a transfer. */
  readonly #control = Buffer.allocUnsafe(16 * 1024);

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

  /** The whole session: greeting, commands until QUIT, end of stream, timeout or error. Never throws Closed. */
  serve(): void {
    try {
      this.reply(220, 'learn-io FTP server ready.');
      while (!this.#quit) {
        const line = this.#readLine();
        if (line === undefined) return;
        this.#dispatch(line);
        this.#lastCommand = performance.now();
      }
    } catch (e) {
      if (!(e instanceof Closed)) throw e;
    } finally {
      this.#closePassive();
      this.#close();
    }
  }

  // --- control connection ------------------------------------------------------------------------

  /** One reply line: `ddd text` CRLF. Throws Closed if the client cannot be written to. */
  reply(code: number, text: string): void {
    this.#sendControl(`${code} ${text}\r\n`);
  }

  /** A multi-line reply: `ddd-first`, the middle lines as given, `ddd last`. */
  replyLines(code: number, first: string, middle: string[], last: string): void {
    this.#sendControl([`${code}-${first}`, ...middle, `${code} ${last}`].map((l) => `${l}\r\n`).join(''));
  }

  #sendControl(text: string): void {
    const r = this.#sendAll(this.ctl, Buffer.from(text, 'utf8'), this.config.idleTimeoutMs, false);
    if (!r.ok) throw new Closed(text);
  }

  /**
   * The next command line, without its terminator (CRLF or bare LF), telnet IAC sequences removed; or
   * undefined when the session must end: end of stream, reset, idle timeout (after `421`), or a line
   * over the limit (after `500`: its tail is never read as a command, ftp.md §2.1, L01).
   */
  #readLine(): string | undefined {
    const max = this.config.maxLineBytes;
    for (;;) {
      const nl = this.#inbuf.indexOf(0x0a);
      if (nl !== -1) {
        const raw = this.#inbuf.subarray(0, nl > 0 && this.#inbuf[nl - 1] === 0x0d ? nl - 1 : nl);
        this.#inbuf = this.#inbuf.subarray(nl + 1);
        if (raw.length > max) return this.#tooLong();
        return decodeLine(raw);
      }
      if (this.#inbuf.length > max + 1) return this.#tooLong();
      if (this.#ctlEof) return undefined;
      const left = this.#lastCommand + this.config.idleTimeoutMs - performance.now();
      if (left <= 0) {
        this.#replyQuietly(421, 'Timeout: no command for too long, closing.');
        return undefined;
      }
      if (poll([{ fd: this.ctl.fileno(), events: POLLIN }], Math.ceil(left)).length === 0) continue;
      if (!this.#readControl()) return undefined;
    }
  }

  #tooLong(): undefined {
    this.#replyQuietly(500, 'Command line too long, closing.');
    // The rest of the line is still coming. Closing now, with bytes unread, would answer with a reset
    // that can overtake the 500; so send our FIN first and read (and drop) what arrives for a moment.
    try {
      this.ctl.shutdown(SHUT_WR);
      const until = performance.now() + 200;
      for (let dropped = 0; dropped < 8 << 20; ) {
        const left = until - performance.now();
        if (left <= 0 || poll([{ fd: this.ctl.fileno(), events: POLLIN }], Math.ceil(left)).length === 0) break;
        const n = this.ctl.recvInto(this.#control, this.#control.length, MSG_DONTWAIT);
        if (n === 0) break;
        dropped += n;
      }
    } catch {
      // reset, or nothing to read: closing is all that is left
    }
    return undefined;
  }

  /** Appends what the control connection holds to the buffer; false if it was reset. */
  #readControl(): boolean {
    try {
      const n = this.ctl.recvInto(this.#control, this.#control.length, MSG_DONTWAIT);
      if (n === 0) this.#ctlEof = true;
      else this.#inbuf = Buffer.concat([this.#inbuf, this.#control.subarray(0, n)]);
      return true;
    } catch (e) {
      if (e instanceof BlockingIOError) return true;
      if (e instanceof OSError) return false;
      throw e;
    }
  }

  #replyQuietly(code: number, text: string): void {
    try {
      this.reply(code, text);
    } catch {
      // the client is gone already
    }
  }

  #close(): void {
    // Bytes the client sent and we never read would turn our close into a reset, which can destroy
    // the last reply (221, 421) before the client reads it: read them first (a few, without waiting).
    try {
      for (let i = 0; i < 16 && this.ctl.recvInto(this.#control, this.#control.length, MSG_DONTWAIT) > 0; i++);
    } catch {
      // nothing waiting, or already reset
    }
    this.ctl.close();
  }

  #dispatch(line: string): void {
    const sp = line.indexOf(' ');
    const verb = (sp === -1 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp === -1 ? '' : line.slice(sp + 1);
    // A pending rename and a restart offset belong to the very next command only.
    const renameFrom = this.#renameFrom;
    this.#renameFrom = undefined;
    const rest = this.#rest;
    this.#rest = 0;
    const command = COMMANDS[verb];
    try {
      if (!command) {
        if (NOT_IMPLEMENTED.has(verb)) throw new Reply(502, `${verb} is not implemented.`);
        throw new Reply(500, verb === '' ? 'Empty command.' : 'Command not understood.');
      }
      if (!this.#loggedIn && !command.open) throw new Reply(530, 'Please log in with USER and PASS first.');
      if (arg.includes('\0')) throw new Reply(501, 'NUL bytes are not allowed in arguments.');
      if (verb === 'RNTO') this.#renameFrom = renameFrom;
      if (verb === 'RETR' || verb === 'STOR') this.#rest = rest;
      command.run(this, arg);
    } catch (e) {
      if (e instanceof Closed) throw e;
      const r = e instanceof Reply ? e : fsReply(e);
      if (!r) throw e;
      this.reply(r.code, r.text);
    }
  }

  /** A command's path argument as a virtual path (see virtualPath). */
  #path(arg: string): string {
    return virtualPath(this.cwd, arg, (v) => this.jail.isDir(v));
  }

  // --- login --------------------------------------------------------------------------------------

  user(arg: string): void {
    if (this.#loggedIn) throw new Reply(530, 'Already logged in; cannot change user.');
    if (arg === '') throw new Reply(501, 'USER needs a user name.');
    this.#user = arg;
    this.reply(331, this.#isAnonymous(arg) ? 'Anonymous login okay, send your e-mail address as password.' : 'Please specify the password.');
  }

  pass(arg: string): void {
    if (this.#loggedIn) return this.reply(230, 'Already logged in.');
    const user = this.#user;
    if (user === undefined) throw new Reply(503, 'Login with USER first.');
    this.#user = undefined;
    const ok = this.#isAnonymous(user) || (Object.hasOwn(this.config.users, user) && this.config.users[user] === arg);
    if (ok) {
      this.#loggedIn = true;
      return this.reply(230, 'Login successful.');
    }
    if (++this.#failures >= 3) {
      this.reply(530, 'Login incorrect. Too many failures, closing.');
      this.#quit = true;
      return;
    }
    this.reply(530, 'Login incorrect.');
  }

  #isAnonymous(user: string): boolean {
    return this.config.anonymous && (user.toLowerCase() === 'anonymous' || user.toLowerCase() === 'ftp');
  }

  quit(): void {
    this.reply(221, 'Goodbye.');
    this.#quit = true;
  }

  // --- information --------------------------------------------------------------------------------

  feat(): void {
    this.replyLines(211, 'Features:', [' EPRT', ' EPSV', ' MDTM', ' PASV', ' REST STREAM', ' SIZE', ' TVFS', ' UTF8'], 'End');
  }

  help(): void {
    const verbs = Object.keys(COMMANDS).sort();
    const rows: string[] = [];
    for (let i = 0; i < verbs.length; i += 8) rows.push(` ${verbs.slice(i, i + 8).join(' ')}`);
    this.replyLines(214, 'The following commands are recognized:', rows, 'Help OK.');
  }

  opts(arg: string): void {
    if (/^utf-?8( on)?$/i.test(arg.trim())) return this.reply(200, 'Always in UTF8 mode.');
    throw new Reply(501, 'Option not understood.');
  }

  type(arg: string): void {
    const t = arg.toUpperCase();
    // Bytes are never converted, in either type (ftp.md §3.4): SIZE is exact, binaries survive.
    if (t === 'I' || t === 'L 8') return this.reply(200, 'Switching to Binary mode.');
    if (t === 'A' || t === 'A N') return this.reply(200, 'Switching to ASCII mode.');
    throw new Reply(504, 'Type not supported.');
  }

  mode(arg: string): void {
    if (arg.toUpperCase() !== 'S') throw new Reply(504, 'Only stream mode (S) is supported.');
    this.reply(200, 'Mode set to S.');
  }

  stru(arg: string): void {
    if (arg.toUpperCase() !== 'F') throw new Reply(504, 'Only file structure (F) is supported.');
    this.reply(200, 'Structure set to F.');
  }

  rest(arg: string): void {
    if (!/^\d{1,15}$/.test(arg)) throw new Reply(501, 'REST needs a byte offset (a non-negative integer).');
    this.#rest = Number(arg);
    this.reply(350, `Restarting at ${this.#rest}. Send RETR or STOR to start the transfer.`);
  }

  // --- directories --------------------------------------------------------------------------------

  pwd(): void {
    this.reply(257, `${quote(this.cwd)} is the current directory.`);
  }

  cwdTo(arg: string): void {
    if (arg === '') throw new Reply(501, 'CWD needs a directory.');
    const target = this.jail.existing(this.#path(arg));
    if (!fs.statSync(target.host).isDirectory()) throw new Reply(550, 'Not a directory.');
    this.cwd = target.virtual;
    this.reply(250, 'Directory successfully changed.');
  }

  cdup(): void {
    this.cwdTo('..');
  }

  mkd(arg: string): void {
    if (arg === '') throw new Reply(501, 'MKD needs a directory name.');
    const target = this.jail.entry(this.#path(arg));
    fs.mkdirSync(target.host);
    this.reply(257, `${quote(target.virtual)} created.`);
  }

  rmd(arg: string): void {
    if (arg === '') throw new Reply(501, 'RMD needs a directory name.');
    const target = this.jail.entry(this.#path(arg));
    fs.rmdirSync(target.host);
    this.reply(250, 'Directory removed.');
  }

  // --- files --------------------------------------------------------------------------------------

  dele(arg: string): void {
    if (arg === '') throw new Reply(501, 'DELE needs a file name.');
    const target = this.jail.entry(this.#path(arg));
    if (fs.lstatSync(target.host).isDirectory()) throw new Reply(550, 'Is a directory: use RMD.');
    fs.unlinkSync(target.host);
    this.reply(250, 'File deleted.');
  }

  rnfr(arg: string): void {
    if (arg === '') throw new Reply(501, 'RNFR needs a file name.');
    const from = this.jail.entry(this.#path(arg));
    fs.lstatSync(from.host); // 550 if missing
    this.#renameFrom = from;
    this.reply(350, 'Ready for RNTO.');
  }

  rnto(arg: string): void {
    const from = this.#renameFrom;
    this.#renameFrom = undefined;
    if (!from) throw new Reply(503, 'RNFR required first.');
    if (arg === '') throw new Reply(501, 'RNTO needs a file name.');
    const to = this.jail.entry(this.#path(arg));
    fs.renameSync(from.host, to.host);
    this.reply(250, 'Rename successful.');
  }

  size(arg: string): void {
    const st = fs.statSync(this.jail.existing(this.#path(arg)).host);
    if (!st.isFile()) throw new Reply(550, 'Not a regular file.');
    this.reply(213, String(st.size));
  }

  mdtm(arg: string): void {
    const st = fs.statSync(this.jail.existing(this.#path(arg)).host);
    if (!st.isFile()) throw new Reply(550, 'Not a regular file.');
    this.reply(213, mdtm(st.mtime));
  }

  // --- data connections ---------------------------------------------------------------------------

  pasv(): void {
    if (this.#epsvAll) throw new Reply(550, 'PASV not allowed after EPSV ALL.');
    if (this.localHost.includes(':')) throw new Reply(522, 'PASV is IPv4 only here: use EPSV.');
    const port = this.#openPassive();
    const h = this.localHost.split('.').join(',');
    this.reply(227, `Entering Passive Mode (${h},${port >> 8},${port & 255}).`);
  }

  epsv(arg: string): void {
    const a = arg.toUpperCase();
    if (a === 'ALL') {
      this.#epsvAll = true;
      return this.reply(200, 'EPSV ALL ok.');
    }
    const family = this.localHost.includes(':') ? '2' : '1';
    if (a !== '' && a !== family) {
      if (/^\d+$/.test(a)) throw new Reply(522, `Network protocol not supported, use (${family}).`);
      throw new Reply(501, 'EPSV takes 1, 2 or ALL.');
    }
    const port = this.#openPassive();
    this.reply(229, `Entering Extended Passive Mode (|||${port}|).`);
  }

  /**
   * Active mode, limited to the control connection's own peer and to unprivileged ports, so that the
   * server can never be made to connect anywhere else (FTP bounce, ftp.md S10).
   */
  port(arg: string): void {
    if (this.#epsvAll) throw new Reply(550, 'PORT not allowed after EPSV ALL.');
    const m = /^(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})$/.exec(arg.trim());
    const n = m?.slice(1).map(Number);
    if (!n || n.some((x) => x > 255)) throw new Reply(501, 'Illegal PORT command.');
    this.#setActive(n.slice(0, 4).join('.'), n[4]! * 256 + n[5]!);
    this.reply(200, 'PORT command successful. Consider using PASV.');
  }

  eprt(arg: string): void {
    if (this.#epsvAll) throw new Reply(550, 'EPRT not allowed after EPSV ALL.');
    const d = arg[0];
    const parts = d ? arg.split(d) : [];
    if (parts.length !== 5 || parts[0] !== '' || parts[4] !== '' || !/^\d{1,5}$/.test(parts[3]!)) throw new Reply(501, 'Illegal EPRT command.');
    const family = this.localHost.includes(':') ? '2' : '1';
    if (parts[1] !== family) throw new Reply(522, `Network protocol not supported, use (${family}).`);
    this.#setActive(parts[2]!, Number(parts[3]));
    this.reply(200, 'EPRT command successful. Consider using EPSV.');
  }

  #setActive(host: string, port: number): void {
    if (host !== this.peerHost) throw new Reply(501, 'Rejected data connection to a foreign address.');
    if (port < 1024 || port > 65535) throw new Reply(501, 'Rejected data connection to a privileged port.');
    this.#closePassive();
    this.#active = { host, port };
  }

  /** A new passive listener on our side of the control connection; any previous one is closed (S12). */
  #openPassive(): number {
    this.#closePassive();
    this.#passive = createServer({ host: this.localHost, port: 0 }, { backlog: 1 });
    return (this.#passive.getsockname() as InetAddress).port;
  }

  #closePassive(): void {
    this.#passive?.close();
    this.#passive = undefined;
    this.#active = undefined;
  }

  /** 425 unless PASV, EPSV, PORT or EPRT came first (ftp.md §5.2 rule 4, L09). */
  #requireDataChannel(): void {
    if (!this.#passive && !this.#active) throw new Reply(425, 'Use PASV or EPSV first.');
  }

  /**
   * The data connection for a transfer that was just announced with 150: accepted from the passive
   * listener (only from the client's own address: anyone else is closed unheard, S11), or connected
   * to the client's PORT/EPRT address. The listener is closed either way: one connection per PASV.
   */
  #openData(): Socket | Reply {
    const listener = this.#passive;
    const active = this.#active;
    this.#passive = undefined;
    this.#active = undefined;
    const deadline = performance.now() + this.config.dataTimeoutMs;
    try {
      if (active) return this.#connectActive(active, deadline);
      for (;;) {
        const w = this.#wait(listener!, POLLIN, deadline);
        if (w === 'abort') return new Reply(426, 'Transfer aborted before the data connection opened.');
        if (w === 'timeout') return new Reply(425, 'Failed to establish the data connection.');
        let conn: Socket;
        let peer: InetAddress;
        try {
          [conn, peer] = listener!.accept() as [Socket, InetAddress];
        } catch (e) {
          if (e instanceof OSError) continue; // it went away before we took it
          throw e;
        }
        if (peer.host === this.peerHost) return conn;
        log(`refused a data connection from ${peer.host} (the session's client is ${this.peerHost})`);
        conn.close();
      }
    } finally {
      listener?.close();
    }
  }

  #connectActive(to: InetAddress, deadline: number): Socket | Reply {
    const sock = new Socket(this.localHost.includes(':') ? AF_INET6 : AF_INET, SOCK_STREAM);
    try {
      sock.bind({ host: this.localHost, port: 0 });
      sock.setblocking(false);
      try {
        sock.connect(to);
      } catch (e) {
        if (!(e instanceof BlockingIOError)) throw e;
        const w = this.#wait(sock, POLLOUT, deadline);
        if (w !== 'ready') {
          sock.close();
          return w === 'abort' ? new Reply(426, 'Transfer aborted.') : new Reply(425, 'Failed to establish the data connection.');
        }
        const err = sock.getsockopt(SOL_SOCKET, SO_ERROR);
        if (err !== 0) {
          sock.close();
          return new Reply(425, 'Failed to establish the data connection.');
        }
      }
      sock.setblocking(true);
      return sock;
    } catch (e) {
      sock.close();
      if (e instanceof OSError) return new Reply(425, 'Failed to establish the data connection.');
      throw e;
    }
  }

  /**
   * Waits until `sock` has `events`, watching the control connection meanwhile: bytes that arrive
   * there are kept for later (a pipelined QUIT runs after the transfer), except ABOR, which ends the
   * wait. A reset control connection ends the session (Closed). Stops at `deadline`.
   */
  #wait(sock: Socket, events: number, deadline: number): Wait {
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return 'timeout';
      const fds = [{ fd: sock.fileno(), events }];
      // Past the line limit we stop reading the control connection: the kernel holds the rest.
      const watchControl = !this.#ctlEof && this.#inbuf.length <= this.config.maxLineBytes;
      if (watchControl) fds.push({ fd: this.ctl.fileno(), events: POLLIN | RDHUP });
      let ready = false;
      for (const r of poll(fds, Math.ceil(left))) {
        if (r.fd === sock.fileno()) ready = true;
        else {
          if (!this.#readControl()) throw new Closed('control connection reset');
          if (this.#takeAbort()) return 'abort';
        }
      }
      if (ready) return 'ready';
    }
  }

  /** Removes the first complete ABOR line from the buffer; whether there was one. */
  #takeAbort(): boolean {
    let start = 0;
    for (;;) {
      const nl = this.#inbuf.indexOf(0x0a, start);
      if (nl === -1) return false;
      const line = decodeLine(this.#inbuf.subarray(start, nl)).replace(/\r$/, '');
      if (line.toUpperCase() === 'ABOR') {
        this.#inbuf = Buffer.concat([this.#inbuf.subarray(0, start), this.#inbuf.subarray(nl + 1)]);
        return true;
      }
      start = nl + 1;
    }
  }

  /**
   * send() every byte of `data`, waiting in poll() for room at most `stallMs` each time (and watching
   * the control connection when `watch`). Never throws for the peer's failures: they are the outcome.
   */
  #sendAll(sock: Socket, data: Buffer, stallMs: number, watch: boolean): Outcome {
    let off = 0;
    while (off < data.length) {
      const deadline = performance.now() + stallMs;
      let w: Wait;
      if (watch) w = this.#wait(sock, POLLOUT, deadline);
      else w = poll([{ fd: sock.fileno(), events: POLLOUT }], stallMs).length > 0 ? 'ready' : 'timeout';
      if (w === 'timeout') return { ok: false, code: 426, text: 'Transfer timed out: the client stopped reading.' };
      if (w === 'abort') return { ok: false, code: 426, text: 'Transfer aborted.', aborted: true };
      try {
        off += sock.send(data.subarray(off), MSG_DONTWAIT);
      } catch (e) {
        if (e instanceof BlockingIOError) continue;
        if (e instanceof OSError) return { ok: false, code: 426, text: 'Connection closed; transfer aborted.' };
        throw e;
      }
    }
    return { ok: true };
  }

  /** Ends a transfer: data connection closed first, then 226 (ftp.md §5.2 rule 5, B08) or the failure. */
  #finish(data: Socket, outcome: Outcome, success: string): void {
    data.close();
    if (outcome.ok) return this.reply(226, success);
    this.reply(outcome.code, outcome.text);
    if (outcome.aborted) this.reply(226, 'ABOR successful.');
  }

  // --- transfers ----------------------------------------------------------------------------------

  list(arg: string, namesOnly: boolean): void {
    this.#requireDataChannel();
    // Leading option words (`-a`, `-la`, ...) are options, not paths (B20).
    const where = arg.replace(/^(-[a-zA-Z]+(\s+|$))+/, '');
    const target = this.jail.existing(this.#path(where));
    const st = fs.statSync(target.host);
    let text = '';
    if (st.isDirectory()) {
      const now = Date.now();
      for (const name of fs.readdirSync(target.host).sort()) {
        if (/[\r\n]/.test(name)) continue; // cannot be listed unambiguously (ftp.md §6.3)
        const shown = this.#entryStat(path.join(target.host, name));
        if (!shown) continue;
        text += namesOnly ? `${name}\r\n` : listLine(name, shown, now);
      }
    } else {
      const name = path.posix.basename(target.virtual);
      text = namesOnly ? `${name}\r\n` : listLine(name, st);
    }
    this.reply(150, 'Here comes the directory listing.');
    const data = this.#openData();
    if (data instanceof Reply) throw data;
    this.#finish(data, this.#sendAll(data, Buffer.from(text, 'utf8'), this.config.transferTimeoutMs, true), 'Directory send OK.');
  }

  /**
   * What a listing shows for an entry: its own stat, or for a symlink the stat of what it points to
   * when that is inside the root. Links that lead out, dangle or loop are left out, and no link target
   * is ever printed (L07, S20).
   */
  #entryStat(host: string): fs.Stats | undefined {
    try {
      const st = fs.lstatSync(host);
      if (!st.isSymbolicLink()) return st;
      const real = fs.realpathSync(host);
      return this.jail.contains(real) ? fs.statSync(real) : undefined;
    } catch {
      return undefined;
    }
  }

  retr(arg: string): void {
    this.#requireDataChannel();
    if (arg === '') throw new Reply(501, 'RETR needs a file name.');
    const offset = this.#rest;
    this.#rest = 0;
    const source = this.jail.existing(this.#path(arg));
    const file = fs.openSync(source.host, 'r');
    try {
      const st = fs.fstatSync(file);
      if (!st.isFile()) throw new Reply(550, 'Not a regular file.');
      this.reply(150, `Opening BINARY mode data connection for ${path.posix.basename(source.virtual)} (${st.size} bytes).`);
      const data = this.#openData();
      if (data instanceof Reply) throw data;
      let outcome: Outcome = { ok: true };
      let position = offset;
      try {
        for (;;) {
          let n: number;
          try {
            n = fs.readSync(file, this.#chunk, 0, CHUNK, position);
          } catch {
            outcome = { ok: false, code: 451, text: 'Local error reading the file; transfer aborted.' };
            break;
          }
          if (n === 0) break;
          position += n;
          outcome = this.#sendAll(data, this.#chunk.subarray(0, n), this.config.transferTimeoutMs, true);
          if (!outcome.ok) break;
        }
      } catch (e) {
        data.close();
        throw e;
      }
      this.#finish(data, outcome, 'Transfer complete.');
    } finally {
      fs.closeSync(file);
    }
  }

  /**
   * STOR and APPE. The bytes go to a temporary file next to the target, renamed over the final name
   * only after the data connection ended normally and the client is still there: an interrupted
   * upload never leaves a file that claims to be complete (ftp.md S15).
   */
  stor(arg: string, append: boolean): void {
    this.#requireDataChannel();
    if (arg === '') throw new Reply(501, 'STOR needs a file name.');
    const offset = this.#rest;
    this.#rest = 0;
    const target = this.jail.entry(this.#path(arg));
    let existing: fs.Stats | undefined;
    try {
      // A link in the way is followed only inside the root (the rename below would replace the link
      // itself, but a link that leads out is a dead end for every command, S6).
      if (fs.lstatSync(target.host).isSymbolicLink()) this.jail.existing(target.virtual);
      existing = fs.statSync(target.host);
    } catch (e) {
      if (e instanceof Reply) throw e;
      // a new file
    }
    if (existing?.isDirectory()) throw new Reply(550, 'Is a directory.');
    const temp = path.join(path.dirname(target.host), `.ftp-upload-${threadId}-${++uploads}-${process.pid}.part`);
    let start = 0;
    if ((append || offset > 0) && existing) {
      // Resuming or appending starts from a copy of the file as it is (followed through links only
      // inside the root), so the original stays whole until the upload is complete.
      const real = this.jail.existing(target.virtual).host;
      fs.copyFileSync(real, temp);
      start = append ? existing.size : Math.min(offset, existing.size);
      fs.truncateSync(temp, start);
    } else if (offset > 0) throw new Reply(550, 'Cannot restart an upload of a file that does not exist.');
    const file = fs.openSync(temp, start > 0 ? 'r+' : 'wx', 0o644);
    // Closed exactly once: a second close(2) of the same number could close what another worker
    // thread has opened in the meantime under that number (descriptors are per process).
    let open = true;
    const closeFile = () => {
      if (open) {
        open = false;
        fs.closeSync(file);
      }
    };
    let renamed = false;
    try {
      this.reply(150, 'Ok to send data.');
      const data = this.#openData();
      if (data instanceof Reply) throw data;
      let outcome: Outcome = { ok: true };
      let position = start;
      try {
        for (;;) {
          const w = this.#wait(data, POLLIN, performance.now() + this.config.transferTimeoutMs);
          if (w === 'timeout') {
            outcome = { ok: false, code: 426, text: 'Transfer timed out: no data from the client.' };
            break;
          }
          if (w === 'abort') {
            outcome = { ok: false, code: 426, text: 'Transfer aborted.', aborted: true };
            break;
          }
          let n: number;
          try {
            n = data.recvInto(this.#chunk, CHUNK);
          } catch (e) {
            if (e instanceof BlockingIOError) continue;
            if (!(e instanceof OSError)) throw e;
            outcome = { ok: false, code: 426, text: 'Connection reset; transfer aborted.' };
            break;
          }
          if (n === 0) break; // end of stream: the upload is complete (B18)
          try {
            for (let off = 0; off < n; ) off += fs.writeSync(file, this.#chunk, off, n - off, position + off);
          } catch (e) {
            const r = fsReply(e) ?? new Reply(451, 'Local error writing the file.');
            outcome = { ok: false, code: r.code, text: `${r.text} Transfer aborted.` };
            break;
          }
          position += n;
        }
        closeFile();
        if (outcome.ok && !this.#controlAlive()) throw new Closed('the client left during the upload');
        // The file is in place, or gone, before the reply: a client acts on the 226/426 at once (B09).
        if (outcome.ok) {
          fs.renameSync(temp, target.host);
          renamed = true;
        } else fs.rmSync(temp, { force: true });
      } catch (e) {
        data.close();
        throw e;
      }
      this.#finish(data, outcome, 'Transfer complete.');
    } finally {
      closeFile();
      if (!renamed) fs.rmSync(temp, { force: true });
    }
  }

  /** After an upload's end of stream: false if the control connection was reset or closed meanwhile. */
  #controlAlive(): boolean {
    if (this.#ctlEof) return false;
    const r = poll([{ fd: this.ctl.fileno(), events: POLLIN | RDHUP }], 0)[0];
    if (!r) return true;
    if (r.revents & (POLLERR | POLLHUP | RDHUP)) return false;
    return this.#readControl() && !this.#ctlEof;
  }

  abor(): void {
    this.reply(225, 'No transfer to abort.');
  }
}

/** A command line's bytes as text: telnet IAC pairs (`FF xx`, e.g. before ABOR) removed, UTF-8 decoded. */
function decodeLine(raw: Buffer): string {
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

const COMMANDS: Record<string, Command> = {
  USER: { run: (s, a) => s.user(a), open: true },
  PASS: { run: (s, a) => s.pass(a), open: true },
  QUIT: { run: (s) => s.quit(), open: true },
  FEAT: { run: (s) => s.feat(), open: true },
  SYST: { run: (s) => s.reply(215, 'UNIX Type: L8'), open: true },
  NOOP: { run: (s) => s.reply(200, 'NOOP ok.'), open: true },
  HELP: { run: (s) => s.help(), open: true },
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
  ALLO: { run: (s) => s.reply(202, 'ALLO is not needed.') },
  ABOR: { run: (s) => s.abor() },
};

// ---------------------------------------------------------------------------------------------------
// The worker thread's body: take a session, serve it to the end, give the slot back, repeat.

/** Serves the control connection `fd` to its end, then closes it. Never throws for the client's doings. */
export function serveSession(fd: number, config: FtpConfig): void {
  let session: Session;
  try {
    session = new Session(fd, config);
  } catch (e) {
    // Reset before we even looked at it (getpeername: ENOTCONN): just close it.
    try {
      new Socket(AF_INET, SOCK_STREAM, 0, fd).close();
    } catch {
      // already closed
    }
    if (!(e instanceof OSError)) throw e;
    return;
  }
  session.serve();
}

function runWorker(): void {
  const queue = Queue.from(workerData.queue as SharedArrayBuffer);
  const slots = new Int32Array(workerData.slots as SharedArrayBuffer);
  const config = workerData.config as FtpConfig;
  parentPort!.postMessage('ready');
  for (;;) {
    let fd: number;
    try {
      fd = queue.get();
    } catch (e) {
      if (e instanceof QueueShutDown) return;
      throw e;
    }
    try {
      serveSession(fd, config);
    } catch (e) {
      // A bug in a handler ends that session (its socket is closed by serve's finally), not the worker.
      log(`a session ended with an error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    } finally {
      Atomics.sub(slots, 0, 1); // the control connection is closed: the slot is free
      Atomics.notify(slots, 0); // for an acceptor waiting for one (ftp-server.ts, waitForSlot)
    }
  }
}

if (!isMainThread && workerData?.queue instanceof SharedArrayBuffer) runWorker();
