// A raw FTP client for the hidden suite of the FTP exercise: a control connection that sends one line
// at a time (or any bytes at all) and reads complete replies, multi-line ones included (ftp.md §2.2),
// and data connections opened through PASV or EPSV (§5). Real clients (basic-ftp, curl) cover what
// users do; this one covers what they never send: commands before login, long lines, split and
// pipelined commands, resets in the middle of a transfer, the timing of a 421. Every step is logged in
// the stage's transcript, and every wait has a limit.
import net from 'node:net';
import { failure, show, type FailureContext } from './clients.ts';

/** One complete reply: its code, every line (without CRLF), and when its last line arrived. */
export interface FtpReply {
  code: number;
  lines: string[];
  /** All lines joined with "\n". */
  text: string;
  /** performance.now() when the last byte of the reply arrived. */
  at: number;
}

/** What a reply may be: a code, one of several codes, or a test on the code. */
export type Expect = number | readonly number[] | ((code: number) => boolean);

const matches = (code: number, want: Expect) =>
  typeof want === 'number' ? code === want : typeof want === 'function' ? want(code) : want.includes(code);
const describeExpect = (want: Expect) =>
  typeof want === 'number' ? String(want) : typeof want === 'function' ? 'another code' : want.join(' or ');

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// One socket's incoming bytes and its end, with a way to wait for either.
class Inbox {
  chunks: Buffer[] = [];
  bytes = 0;
  /** When each chunk arrived: the byte count after it, and performance.now(). */
  arrivals: { upTo: number; at: number }[] = [];
  ended = false;
  endedAt = 0;
  error: NodeJS.ErrnoException | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.bytes += d.length;
      this.arrivals.push({ upTo: this.bytes, at: performance.now() });
      this.#poke();
    });
    const end = () => {
      if (!this.ended) this.endedAt = performance.now();
      this.ended = true;
      this.#poke();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (e) => {
      this.error = e;
      end();
    });
  }

  #poke() {
    for (const w of [...this.#waiters]) w();
  }

  /** Waits until something arrives or the socket ends, at most until `deadline`. */
  async wait(deadline: number): Promise<void> {
    const left = deadline - performance.now();
    if (left <= 0 || this.ended) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, left);
      this.#waiters.add(done);
    });
  }

  /** When the byte at absolute offset `index` arrived; forgets the arrivals before it. */
  arrivedAt(index: number): number {
    while (this.arrivals.length > 1 && this.arrivals[0]!.upTo <= index) this.arrivals.shift();
    return this.arrivals[0]?.at ?? performance.now();
  }

  all(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}

const endWords = (inbox: Inbox) =>
  inbox.error ? `the connection failed (${inbox.error.code ?? inbox.error.message})` : 'the server closed the connection';

/** A control connection, as a test drives it by hand. */
export class FtpControl {
  readonly #inbox: Inbox;
  /** Every reply read so far, in order. */
  readonly replies: FtpReply[] = [];
  /** performance.now() when the connection was made. */
  readonly connectedAt = performance.now();

  private constructor(
    readonly socket: net.Socket,
    readonly name: string,
    readonly ctx: FailureContext,
  ) {
    this.#inbox = new Inbox(socket);
  }

  /** Connects (optionally from another loopback address); fails with the transcript after `timeoutMs`. */
  static connect(ctx: FailureContext, name: string, options: { timeoutMs?: number; localAddress?: string } = {}): Promise<FtpControl> {
    const timeoutMs = options.timeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      // Like every real client, close our side once the server has closed its own.
      const socket = net.connect({ host: '127.0.0.1', port: ctx.port, allowHalfOpen: false, localAddress: options.localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(failure(ctx, `${name} could not connect to 127.0.0.1:${ctx.port} within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        void (ctx.settle?.() ?? Promise.resolve()).then(() =>
          reject(failure(ctx, `${name} could not connect to 127.0.0.1:${ctx.port}: ${e.code ?? e.message}.`)),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        ctx.transcript.log(name, `connected to the control port from ${socket.localAddress}:${socket.localPort}`);
        resolve(new FtpControl(socket, name, ctx));
      });
    });
  }

  /** Whether the server has closed (or reset) the connection. */
  get closed(): boolean {
    return this.#inbox.ended;
  }

  /** Bytes received and not yet read as replies. */
  get pending(): number {
    return this.#inbox.bytes - this.#consumed;
  }
  #consumed = 0;

  /** Sends any bytes at all (a string as UTF-8), logged unless `quiet`. */
  sendRaw(data: Uint8Array | string, quiet = false): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (!quiet) this.ctx.transcript.log(this.name, `sent ${show(buf, 80)}`);
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(buf, () => resolve());
    });
  }

  /** Sends one command line, CRLF added. */
  send(line: string): Promise<void> {
    return this.sendRaw(`${line}\r\n`);
  }

  // The next complete reply in the buffer, taken out of it; undefined if it is not complete yet.
  #parse(): FtpReply | undefined {
    const all = this.#inbox.all();
    let offset = 0;
    const lines: string[] = [];
    let code = 0;
    for (;;) {
      const nl = all.indexOf(0x0a, offset);
      if (nl === -1) return undefined;
      const line = all.subarray(offset, nl).toString('utf8').replace(/\r$/, '');
      offset = nl + 1;
      if (lines.length === 0) {
        const m = /^(\d{3})([ -]|$)/.exec(line);
        if (!m) {
          this.#take(offset);
          throw failure(this.ctx, `${this.name} received ${show(line)}, which is not an FTP reply: a reply line starts with three digits and a space (or a hyphen for the first line of a multi-line reply).`);
        }
        code = Number(m[1]);
        lines.push(line);
        if (m[2] !== '-') break;
      } else {
        lines.push(line);
        if (line.startsWith(`${code} `) || line === String(code)) break;
      }
    }
    const at = this.#inbox.arrivedAt(this.#consumed + offset - 1);
    this.#take(offset);
    const reply: FtpReply = { code, lines, text: lines.join('\n'), at };
    this.replies.push(reply);
    this.ctx.transcript.log(this.name, `received ${lines.map((l) => show(l, 100)).join(' / ')}`);
    return reply;
  }

  #take(n: number) {
    const all = this.#inbox.all();
    this.#consumed += n;
    this.#inbox.chunks = n < all.length ? [all.subarray(n)] : [];
  }

  /** The next reply, or undefined if none comes within `timeoutMs` or the connection ends first. */
  async maybeReply(timeoutMs: number): Promise<FtpReply | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const reply = this.#parse();
      if (reply) return reply;
      if (this.#inbox.ended || performance.now() >= deadline) return undefined;
      await this.#inbox.wait(deadline);
    }
  }

  /** The next reply; fails (saying what was waited for) if none comes within `timeoutMs`. */
  async reply(timeoutMs = 3000, waitingFor = 'a reply'): Promise<FtpReply> {
    const reply = await this.maybeReply(timeoutMs);
    if (reply) return reply;
    await this.ctx.settle?.();
    const partial = this.pending > 0 ? ` (only an incomplete line came: ${show(this.#inbox.all(), 80)})` : '';
    const how = this.#inbox.ended ? `${endWords(this.#inbox)} first` : `nothing came within ${Math.round(timeoutMs)} ms`;
    this.ctx.transcript.log(this.name, `waited for ${waitingFor}: ${how}${partial}`);
    throw failure(this.ctx, `${this.name} waited for ${waitingFor}, but ${how}${partial}.`);
  }

  /** Reads the next reply and checks its code. */
  async expect(want: Expect, why: string, timeoutMs = 3000): Promise<FtpReply> {
    const reply = await this.reply(timeoutMs, `a ${describeExpect(want)} reply (${why})`);
    if (!matches(reply.code, want)) {
      throw failure(this.ctx, `${this.name} expected a ${describeExpect(want)} reply (${why}), but received ${show(reply.text, 120)}.`);
    }
    return reply;
  }

  /** Sends a command and checks the code of its reply. */
  async cmd(line: string, want: Expect, why = line.split(' ')[0]!, timeoutMs = 3000): Promise<FtpReply> {
    await this.send(line);
    return this.expect(want, why, timeoutMs);
  }

  /** Every reply that arrives within `ms` (stops early if the connection ends). */
  async repliesWithin(ms: number): Promise<FtpReply[]> {
    const out: FtpReply[] = [];
    const deadline = performance.now() + ms;
    for (;;) {
      const r = await this.maybeReply(deadline - performance.now());
      if (!r) return out;
      out.push(r);
    }
  }

  /** Fails if any byte arrives within `ms`. */
  async expectSilence(ms: number, why: string): Promise<void> {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline && this.pending === 0 && !this.#inbox.ended) await this.#inbox.wait(deadline);
    if (this.pending > 0) {
      const got = this.#inbox.all();
      throw failure(this.ctx, `${this.name} expected nothing yet (${why}), but received ${show(got, 120)}.`);
    }
  }

  /** The greeting: 220 (a multi-line 220 is fine). */
  greeting(timeoutMs = 3000): Promise<FtpReply> {
    return this.expect(220, 'the greeting of a server with a free slot', timeoutMs);
  }

  /** USER and PASS, expecting 331 then 230. */
  async login(user: string, password: string): Promise<void> {
    await this.cmd(`USER ${user}`, 331, 'USER of a known user');
    await this.cmd(`PASS ${password}`, 230, 'PASS with the right password');
  }

  /** Sends PASV and parses the 227 reply; checks that the address is the control connection's own. */
  async pasv(): Promise<number> {
    const r = await this.cmd('PASV', 227, 'PASV after login');
    const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(r.text);
    if (!m) throw failure(this.ctx, `${this.name} could not find "(h1,h2,h3,h4,p1,p2)" in the PASV reply ${show(r.text, 120)} (ftp.md §5.1).`);
    const host = m.slice(1, 5).join('.');
    if (host !== this.socket.localAddress) {
      throw failure(this.ctx, `The PASV reply announces address ${host}, but the client reached the server at ${this.socket.localAddress}: announce the control connection's local address (L12; basic-ftp and tnftp refuse any other).`);
    }
    return Number(m[5]) * 256 + Number(m[6]);
  }

  /** Sends EPSV and parses the 229 reply. */
  async epsv(): Promise<number> {
    const r = await this.cmd('EPSV', 229, 'EPSV after login');
    const m = /\(\|\|\|(\d+)\|\)/.exec(r.text);
    if (!m) throw failure(this.ctx, `${this.name} could not find "(|||port|)" in the EPSV reply ${show(r.text, 120)} (ftp.md §5.1).`);
    return Number(m[1]);
  }

  /** PASV or EPSV, then a data connection to the announced port. */
  async openData(mode: 'pasv' | 'epsv' = 'epsv', name = `${this.name}/data`): Promise<FtpData> {
    const port = mode === 'pasv' ? await this.pasv() : await this.epsv();
    return FtpData.connect(this.ctx, name, port);
  }

  /** Waits for the server to close the connection; fails if it sends more or stays open. */
  async expectClosed(timeoutMs: number, why: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.#inbox.ended && performance.now() < deadline) await this.#inbox.wait(deadline);
    const extra = await this.repliesWithin(0);
    if (extra.length) throw failure(this.ctx, `${this.name} expected the server to close the connection (${why}), but received ${show(extra.map((r) => r.text).join(' / '), 120)}.`);
    if (!this.#inbox.ended) {
      this.ctx.transcript.log(this.name, `still open after ${timeoutMs} ms`);
      throw failure(this.ctx, `${this.name} expected the server to close the connection within ${timeoutMs} ms (${why}), but it stayed open.`);
    }
    this.ctx.transcript.log(this.name, `the server closed the connection (${endWords(this.#inbox)})`);
  }

  /** performance.now() when the server closed the connection (0 while open). */
  get closedAt(): number {
    return this.#inbox.endedAt;
  }

  /** shutdown(SHUT_WR): a FIN, while still reading. */
  shutdownWrite(): void {
    this.ctx.transcript.log(this.name, 'shut down its writing half (FIN)');
    this.socket.end();
  }

  /** Closes with a TCP reset (SO_LINGER 0). */
  reset(): void {
    this.ctx.transcript.log(this.name, 'reset the control connection (RST)');
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  /** Closes normally (FIN), without logging (clean-up). */
  close(): void {
    this.socket.destroy();
  }
}

/** A data connection: what arrived, when it ended, and ways to send, stall, close or reset it. */
export class FtpData {
  readonly #inbox: Inbox;

  private constructor(
    readonly socket: net.Socket,
    readonly name: string,
    readonly ctx: FailureContext,
  ) {
    this.#inbox = new Inbox(socket);
  }

  /** Connects to a passive port (optionally from another loopback address, to play an intruder). */
  static connect(ctx: FailureContext, name: string, port: number, options: { localAddress?: string; timeoutMs?: number } = {}): Promise<FtpData> {
    const timeoutMs = options.timeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true, localAddress: options.localAddress });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(failure(ctx, `${name} could not connect to the passive port ${port} within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        ctx.transcript.log(name, `could not connect to port ${port}: ${e.code ?? e.message}`);
        reject(failure(ctx, `${name} could not connect to the passive port ${port} the server announced: ${e.code ?? e.message}.`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        ctx.transcript.log(name, `connected to passive port ${port} from ${socket.localAddress}:${socket.localPort}`);
        resolve(new FtpData(socket, name, ctx));
      });
    });
  }

  /** Bytes received so far. */
  get bytes(): number {
    return this.#inbox.bytes;
  }
  get ended(): boolean {
    return this.#inbox.ended;
  }
  /** performance.now() of the server's FIN (or reset); 0 before. */
  get endedAt(): number {
    return this.#inbox.endedAt;
  }
  get error(): NodeJS.ErrnoException | undefined {
    return this.#inbox.error;
  }
  /** Everything received so far. */
  data(): Buffer {
    return this.#inbox.all();
  }

  /** Waits for the server to end the data connection; resolves with every byte; fails past `timeoutMs`. */
  async readAll(timeoutMs: number, what: string): Promise<Buffer> {
    const deadline = performance.now() + timeoutMs;
    while (!this.#inbox.ended && performance.now() < deadline) await this.#inbox.wait(deadline);
    if (!this.#inbox.ended) {
      await this.ctx.settle?.();
      this.ctx.transcript.log(this.name, `received ${this.bytes} bytes, and the connection was still open after ${timeoutMs} ms`);
      throw failure(this.ctx, `${this.name} waited for the end of ${what} (the server closes the data connection after the last byte), but after ${timeoutMs} ms it had ${this.bytes.toLocaleString('en-US')} bytes and the connection was still open.`);
    }
    const all = this.data();
    this.ctx.transcript.log(this.name, `received ${all.length.toLocaleString('en-US')} bytes ${show(all, 40)}, then ${endWords(this.#inbox)}`);
    return all;
  }

  /** Waits until at least `n` bytes have arrived (or the connection ended); returns how many did. */
  async waitFor(n: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.bytes < n && !this.#inbox.ended && performance.now() < deadline) await this.#inbox.wait(deadline);
    return this.bytes;
  }

  /** Writes `data` (for STOR); resolves once the kernel has taken it or the connection failed. */
  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  /** Sends `data` and a FIN, and resolves once both are handed to the kernel. */
  end(data?: Uint8Array): Promise<void> {
    this.ctx.transcript.log(this.name, `sent ${data ? `${data.length.toLocaleString('en-US')} bytes and ` : ''}a FIN (end of upload)`);
    return new Promise((resolve) => (data ? this.socket.end(data, () => resolve()) : this.socket.end(() => resolve())));
  }

  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }

  /** Closes with a TCP reset. */
  reset(): void {
    this.ctx.transcript.log(this.name, `reset the data connection (RST) after ${this.bytes.toLocaleString('en-US')} bytes`);
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  /** Closes normally (FIN). */
  close(): void {
    this.socket.destroy();
  }
}

/** Waits `ms`; for the few places where time itself is the input (a pause, a slow writer). */
export const sleep = delay;
