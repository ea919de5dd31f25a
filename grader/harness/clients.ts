// Real clients for the server exercises, and the transcript a failure shows.
//
// Every step a client takes is logged with a stage prefix and a client name: what it sent, what came
// back, what was expected. A failure ends the test with an error that says what was expected, what
// was received and where it broke, then the last lines of the transcript and a command the learner
// can re-run by hand (CodeCrafters' testers are the model).
import net from 'node:net';

/** A byte string for messages: printable ASCII as is, \n \r \t escaped, other bytes as \xNN; cut at `max`. */
export function show(data: Uint8Array | string, max = 48): string {
  const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
  let out = '';
  let shownBytes = 0;
  for (const b of buf.subarray(0, max)) {
    if (out.length >= max) break; // escapes take room too: keep the line short
    shownBytes++;
    if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  const more = shownBytes < buf.length ? `... (${buf.length.toLocaleString('en-US')} bytes)` : '';
  return `"${out}"${more}`;
}

/** What a failure shows: one stage's log lines, kept to the last few hundred. */
export class Transcript {
  readonly #lines: string[] = [];
  #dropped = 0;
  constructor(
    readonly stage: string,
    /** A shell command that reproduces the stage by hand, given the server's port. */
    readonly reproduce?: (port: number) => string,
  ) {}

  log(who: string, text: string): void {
    this.#lines.push(`[${this.stage}] ${who ? `[${who}] ` : ''}${text}`);
    if (this.#lines.length > 400) {
      this.#lines.shift();
      this.#dropped++;
    }
  }

  /** The last `n` lines, indented, with a note of how many came before. */
  tail(n = 16): string {
    const lines = this.#lines.slice(-n);
    const before = this.#lines.length - lines.length + this.#dropped;
    return [...(before > 0 ? [`    ... ${before} earlier lines`] : []), ...lines.map((l) => `    ${l}`)].join('\n');
  }
}

/** A failed expectation about the server, with the transcript. Shown to the learner as is. */
export class HarnessFailure extends Error {
  override name = 'AssertionError';
  constructor(message: string) {
    super(message);
    // No stack: where in the harness it was noticed means nothing to the learner; the transcript does.
    this.stack = `${this.name}: ${message}`;
  }
}

/** A byte string and, when show() did not already say it, its length. */
export function showSized(data: Uint8Array): string {
  const text = show(data);
  return text.endsWith(' bytes)') ? text : `${text} (${data.length} bytes)`;
}

export interface FailureContext {
  transcript: Transcript;
  port: number;
  /** Why the server cannot answer, if it died (ServerProcess.death()). */
  death?: () => string;
  /** Waits (briefly) for a dying server to be seen dead, so a failure can say why. */
  settle?: () => Promise<void>;
  /** The exercise id, for the by-hand command. */
  exercise?: string;
}

/** Builds the error for a failed expectation: the sentence, the transcript, the server's death, the by-hand command. */
export function failure(ctx: FailureContext, sentence: string): HarnessFailure {
  // What matters most first: the sentence, how the server died, the command to try; then the log.
  const parts = [sentence];
  const died = ctx.death?.();
  if (died) parts.push('', died);
  if (ctx.transcript.reproduce) {
    parts.push('', `try it by hand: \`npx learn-io serve ${ctx.exercise ?? ''}\` in one terminal, then in another:`, `    ${ctx.transcript.reproduce(ctx.port)}`);
  }
  parts.push('', 'transcript (last lines):', ctx.transcript.tail(12));
  return new HarnessFailure(parts.join('\n'));
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A TCP client on loopback that records what it sends and receives. */
export class Client {
  readonly #socket: net.Socket;
  readonly #chunks: Buffer[] = [];
  #received = 0;
  #consumed = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  sent = 0;

  private constructor(
    socket: net.Socket,
    readonly name: string,
    readonly ctx: FailureContext,
  ) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#chunks.push(d);
      this.#received += d.length;
      this.#wake?.();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#wake?.();
    });
    socket.on('error', (e) => {
      this.#error = e;
      this.#wake?.();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  /** Connects to the server; fails with the transcript if it cannot within `timeoutMs`. */
  static connect(ctx: FailureContext, name: string, timeoutMs = 5000): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: ctx.port, allowHalfOpen: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(failure(ctx, `${name} could not connect to 127.0.0.1:${ctx.port} within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        const client = new Client(socket, name, ctx);
        ctx.transcript.log(name, `connected from port ${socket.localPort}`);
        resolve(client);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        void (ctx.settle?.() ?? Promise.resolve()).then(() =>
          reject(failure(ctx, `${name} could not connect to 127.0.0.1:${ctx.port}: ${(e as NodeJS.ErrnoException).code ?? e.message}.`)),
        );
      });
    });
  }

  get ended(): boolean {
    return this.#ended;
  }
  get error(): Error | undefined {
    return this.#error;
  }
  /** Bytes received and not yet taken by read(). */
  get pending(): number {
    return this.#received - this.#consumed;
  }
  get received(): number {
    return this.#received;
  }
  /** Bytes the client has queued that the kernel has not taken yet (the server is not reading). */
  get queued(): number {
    return this.#socket.writableLength;
  }

  /** Writes `data`; resolves once Node has handed it to the kernel. */
  send(data: Uint8Array | string, quiet = false): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    this.sent += buf.length;
    if (!quiet) this.ctx.transcript.log(this.name, `sent ${show(buf)}`);
    return new Promise((resolve) => this.#socket.write(buf, () => resolve()));
  }

  /** Writes `data` and shuts down the writing half in one go (Node's end(data)): data and FIN leave together. */
  sendAndShutdown(data: Uint8Array | string): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
    this.sent += buf.length;
    this.ctx.transcript.log(this.name, `sent ${show(buf)} and shut down its writing half (FIN) at once`);
    return new Promise((resolve) => this.#socket.end(buf, () => resolve()));
  }

  /** Writes without waiting for the kernel to take it (a client that floods). */
  push(data: Uint8Array): void {
    this.sent += data.length;
    this.#socket.write(data);
  }

  /** Takes exactly `n` bytes once they have arrived; rejects with a failure naming what came instead. */
  async read(n: number, timeoutMs: number, expected?: Uint8Array): Promise<Buffer> {
    const deadline = performance.now() + timeoutMs;
    while (this.pending < n && !this.#ended && !this.#error) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, left);
      });
      this.#wake = undefined;
    }
    const got = this.#take(Math.min(n, this.pending));
    if (got.length === n) {
      this.ctx.transcript.log(this.name, `received ${show(got)}`);
      if (expected && !got.equals(expected)) {
        const at = got.findIndex((b, i) => b !== expected[i]);
        const from = Math.max(0, at - 8);
        throw failure(
          this.ctx,
          `${this.name} expected ${showSized(expected)} back, but received ${showSized(got)}: the first difference is at byte ${at} ` +
            `(0x${got[at]!.toString(16).padStart(2, '0')} where 0x${expected[at]!.toString(16).padStart(2, '0')} was expected); ` +
            `from byte ${from}, received ${show(got.subarray(from, from + 24))}, expected ${show(expected.subarray(from, from + 24))}.`,
        );
      }
      return got;
    }
    if (got.length < n) await this.ctx.settle?.();
    const what = expected ? showSized(expected) : `${n} bytes`;
    const how = this.#error
      ? `then the connection failed: ${(this.#error as NodeJS.ErrnoException).code ?? this.#error.message}`
      : this.#ended
        ? 'then the server closed the connection'
        : `then nothing more for ${timeoutMs} ms`;
    this.ctx.transcript.log(this.name, `received ${show(got)} and ${how}`);
    throw failure(this.ctx, `${this.name} expected ${what} back, but received ${showSized(got)}, ${how}.`);
  }

  /** Waits for the server to close the connection (FIN or reset); rejects if it sends more or stays open. */
  async expectClosed(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.#ended && !this.#error && performance.now() < deadline) await delay(10);
    if (this.pending > 0) {
      const extra = this.#take(this.pending);
      throw failure(this.ctx, `${this.name} expected the server to close the connection, but received ${show(extra)} more.`);
    }
    if (!this.#ended && !this.#error) {
      await this.ctx.settle?.();
      this.ctx.transcript.log(this.name, `still open after ${timeoutMs} ms`);
      throw failure(this.ctx, `${this.name} expected the server to close the connection within ${timeoutMs} ms, but it stayed open.`);
    }
    this.ctx.transcript.log(this.name, 'the server closed the connection');
  }

  /** shutdown(SHUT_WR): end-of-stream to the server, while still reading. */
  shutdownWrite(): void {
    this.ctx.transcript.log(this.name, 'shut down its writing half (FIN)');
    this.#socket.end();
  }

  /** Closes with a TCP reset (SO_LINGER 0): the abrupt way a crashed client goes. */
  reset(): void {
    this.ctx.transcript.log(this.name, 'reset the connection (RST)');
    this.#socket.resetAndDestroy();
  }

  /** Closes normally (FIN) and forgets the socket. */
  close(): void {
    this.#socket.destroy();
  }

  /** Stops or resumes taking data from the kernel: a paused client lets the server's sends back up. */
  pause(): void {
    this.#socket.pause();
  }
  resume(): void {
    this.#socket.resume();
  }

  // #chunks holds exactly the bytes received and not yet taken.
  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#consumed += n;
    this.#chunks.length = 0;
    if (all.length > n) this.#chunks.push(all.subarray(n));
    return Buffer.from(all.subarray(0, n));
  }
}
