// The hidden cases of the upper-case echo server, shared by select-server and epoll-server.
//
// Each test starts the learner's server afresh through the harness (grader/harness), talks to it with
// real TCP clients on loopback and checks every byte. After each test the server must still be alive,
// and its whole process group is ended. Case ids E01... are ours; B23, B25, B27-B31 and L01 are the
// rows of shared/design/cases.md that each case reproduces.
import { afterEach, it } from 'vitest';
import { Client, failure, show, Transcript, type FailureContext } from '../../harness/clients.ts';
import { ServerFailure, startServer, targetModule, type ServerProcess } from '../../harness/server.ts';

/** The port `learn-io serve` listens on, for the by-hand commands in messages. */
const SERVE_PORT = 7007;
const nc = (input: string) => `printf '${input}' | nc -N 127.0.0.1 ${SERVE_PORT}`;

/** ASCII a-z upper-cased, every other byte unchanged: what the server must send back. */
export function upper(data: Uint8Array): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (out[i]! >= 0x61 && out[i]! <= 0x7a) out[i] = out[i]! - 0x20;
  return out;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Stage extends FailureContext {
  server: ServerProcess;
  connect(name: string): Promise<Client>;
  /** Sends `data` and expects its echo back within `timeoutMs`. */
  roundTrip(client: Client, data: Uint8Array | string, timeoutMs?: number): Promise<void>;
  /** Waits until the server's open descriptors are back to `count` (within `timeoutMs`). */
  descriptorsBackTo(count: number, why: string, timeoutMs?: number): Promise<void>;
}

let current: { server: ServerProcess; clients: Client[] } | undefined;
let startupFailure: string | undefined;

afterEach(async () => {
  if (!current) return;
  const { server, clients } = current;
  current = undefined;
  for (const c of clients) c.close();
  await server.stop(500);
});

/** Starts the server for one stage and gives the test its context. */
export async function stage(id: string, file: string, name: string, reproduce?: string): Promise<Stage> {
  const transcript = new Transcript(name, reproduce ? () => reproduce : undefined);
  // A server that could not start once will not start for the next test either: say so at once
  // instead of waiting out the limit again in every test.
  if (startupFailure) throw new ServerFailure(`Not run: the server did not start in an earlier test (${startupFailure.split('\n')[0]})`);
  let server: ServerProcess;
  try {
    server = await startServer({ module: targetModule(id, file), nofile: 4096 });
  } catch (e) {
    if (e instanceof ServerFailure && !/exited|killed|stopped/.test(e.message)) startupFailure = e.message;
    throw e;
  }
  transcript.log('', `server started (pid ${server.pid}), listening on 127.0.0.1:${server.port}`);
  const clients: Client[] = [];
  current = { server, clients };
  const ctx: Stage = {
    server,
    transcript,
    port: server.port,
    death: () => server.death(),
    exercise: id,
    settle: () => Promise.race([server.exited, delay(300)]),
    async connect(who) {
      const c = await Client.connect(ctx, who);
      clients.push(c);
      return c;
    },
    async roundTrip(client, data, timeoutMs = 3000) {
      const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
      await client.send(buf);
      await client.read(buf.length, timeoutMs, upper(buf));
    },
    async descriptorsBackTo(count, why, timeoutMs = 2000) {
      const deadline = performance.now() + timeoutMs;
      let now = server.openDescriptors();
      while (now > count && performance.now() < deadline) {
        await delay(20);
        now = server.openDescriptors();
      }
      transcript.log('', `server holds ${now} open descriptors (${count} at the start)`);
      if (now > count) {
        throw failure(ctx, `After ${why}, the server still holds ${now - count} more open descriptor(s) than at the start (${now} against ${count}) after ${timeoutMs} ms: close each client's socket once it is done.`);
      }
    },
  };
  // Warm-up: one round trip and a close, so that whatever the server sets up lazily (an epoll
  // instance, a module loaded on first use) is in place before a test takes its descriptor count.
  const warm = await ctx.connect('warm-up');
  await ctx.roundTrip(warm, 'warm-up\n');
  warm.close();
  // Then wait for the count to settle (three equal readings 30 ms apart, 1.5 s at most). A server that
  // never closes keeps the warm-up's descriptor in its baseline; later leaks still show.
  let same = 0;
  let last = -1;
  for (let i = 0; i < 50 && same < 3; i++) {
    const now = server.openDescriptors();
    same = now === last ? same + 1 : 1;
    last = now;
    await delay(30);
  }
  return ctx;
}

/** Fails the test if the server died during it. */
export function expectAlive(s: Stage, after: string, advice = ''): void {
  if (!s.server.alive()) throw failure(s, `The server died ${after}; it must outlive any one client.${advice ? ` ${advice}` : ''}`);
  s.transcript.log('', `the server is still running ${after}`);
}

/** Text of a message in mixed case, different per client and round, so cross-talk shows. */
const message = (client: number, round: number) => `client ${client} round ${round}: Hello, Select! abc-xyz\n`;

/** Registers the cases. `id` and `file` locate the module under test. */
export function echoCases(id: string, file: string): void {
  /** One test: a fresh server, the body, and a last check that the server outlived it all. */
  const serverCase = (name: string, ...rest: [title: string, body: (s: Stage) => Promise<void>] | [reproduce: string, title: string, body: (s: Stage) => Promise<void>]) => {
    const [reproduce, title, body] = rest.length === 2 ? [undefined, ...rest] : rest;
    it(title, async () => {
      const s = await stage(id, file, name, reproduce);
      await body(s);
      expectAlive(s, 'by the end of the test');
    });
  };

  serverCase('one-client', nc('hello\\n'), 'E01 one client: "hello\\n" comes back as "HELLO\\n", twice in a row', async (s) => {
    const c = await s.connect('client-1');
    await s.roundTrip(c, 'hello\n');
    await s.roundTrip(c, 'Mixed Case 123\n');
    expectAlive(s, 'after a single client');
  });

  serverCase('binary', nc('\\x00\\xff azAZ\\xe9'), 'E02 binary-safe: all 256 byte values in one message; only a-z change', async (s) => {
    const c = await s.connect('client-1');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await s.roundTrip(c, Buffer.concat([all, all.reverse()]));
    // UTF-8 text: "é" is 0xc3 0xa9 and "ß" 0xc3 0x9f; neither may change.
    await s.roundTrip(c, Buffer.from('café straße ÿ\n', 'utf8'));
  });

  serverCase('many-clients', nc('client 1 round 1\\n'), 'E03 many clients at once: 200 clients, 5 round trips each, in lockstep rounds', async (s) => {
    const start = s.server.openDescriptors();
    const clients: Client[] = [];
    for (let i = 0; i < 200; i += 50) {
      clients.push(...(await Promise.all(Array.from({ length: 50 }, (_, k) => s.connect(`client-${i + k + 1}`)))));
    }
    // Every client finishes a round before any starts the next: a server that serves one client to
    // the end before the next never gets past round 1.
    for (let round = 1; round <= 5; round++) {
      s.transcript.log('', `round ${round}: 200 clients each send one message`);
      await Promise.all(clients.map((c, i) => s.roundTrip(c, message(i + 1, round), 5000)));
    }
    for (const c of clients) c.close();
    await s.descriptorsBackTo(start, '200 clients closed their connections');
    expectAlive(s, 'with 200 clients');
  });

  serverCase('split-message', nc('hel'), 'E04 B30 one message split over many sends, 100 ms apart', async (s) => {
    const c = await s.connect('client-1');
    const parts = ['hel', 'lo\nwor', 'ld\n'];
    for (const p of parts) {
      await c.send(p);
      await delay(100);
    }
    await c.read(12, 3000, upper(Buffer.from('hello\nworld\n')));
    // And byte by byte.
    for (const ch of 'split') await c.send(ch);
    await c.read(5, 3000, Buffer.from('SPLIT'));
  });

  serverCase('pipelined', nc('a\\nb\\nc\\n'), 'E05 B29 several messages in one write all come back, in order', async (s) => {
    const c = await s.connect('client-1');
    await s.roundTrip(c, 'a\nb\nc\n');
    const many = Array.from({ length: 500 }, (_, i) => `line ${i}\n`).join('');
    await s.roundTrip(c, many);
  });

  serverCase('long-stream', `head -c 3000000 /dev/zero | tr '\\0' a | nc -N 127.0.0.1 ${SERVE_PORT} | wc -c`, 'E06 L01 a 3 MB stream with no newline comes back whole, while the client sends and reads', async (s) => {
    const c = await s.connect('client-1');
    const size = 3 * 1024 * 1024;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = 0x61 + (i % 26);
    s.transcript.log('client-1', `sends ${size.toLocaleString('en-US')} bytes of a-z with no newline, reading meanwhile`);
    c.push(data);
    const back = await c.read(size, 8000, upper(data));
    const want = upper(data);
    const at = back.findIndex((b, i) => b !== want[i]);
    if (at !== -1) throw failure(s, `client-1 got a wrong byte at offset ${at}: ${show(back.subarray(at, at + 16))} where ${show(want.subarray(at, at + 16))} was expected.`);
  });

  serverCase('flood', `head -c 33554432 /dev/zero | tr '\\0' a | nc 127.0.0.1 ${SERVE_PORT} | (sleep 5; wc -c)`, 'E07 B23 a client that sends and never reads: others are served, memory stays bounded, it gets everything later', async (s) => {
    const flooder = await s.connect('flooder');
    const other = await s.connect('other');
    flooder.pause();
    const rssBefore = s.server.rssBytes();
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = 0x61 + (i % 26);
    const total = 32;
    s.transcript.log('flooder', `sends ${total} MiB and reads nothing`);
    for (let i = 0; i < total; i++) flooder.push(chunk);
    await delay(1500);
    const grown = s.server.rssBytes() - rssBefore;
    s.transcript.log('', `server resident memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB; flooder still has ${(flooder.queued / 2 ** 20).toFixed(1)} MiB queued`);
    await s.roundTrip(other, 'still there?\n');
    if (grown > 24 * 2 ** 20) {
      throw failure(s, `While one client sent ${total} MiB without reading, the server's memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB. Stop reading from a client while what you owe it is over a limit (take it out of the read list), so the kernel makes the sender wait.`);
    }
    if (flooder.queued === 0) {
      throw failure(s, `The server read all ${total} MiB from a client that reads nothing back: it must stop reading from a client whose backlog is over a limit.`);
    }
    flooder.resume();
    s.transcript.log('flooder', 'starts reading');
    const back = await flooder.read(total * chunk.length, 9000);
    const want = upper(chunk);
    for (let i = 0; i < total; i++) {
      const part = back.subarray(i * chunk.length, (i + 1) * chunk.length);
      if (!part.equals(want)) throw failure(s, `flooder: MiB number ${i + 1} of the echo differs from what it sent, upper-cased.`);
    }
  });

  serverCase('half-close', nc('hello\\n'), 'E08 B28 half-close: the client sends, then FIN; it still gets every byte back, then the server closes', async (s) => {
    const start = s.server.openDescriptors();
    const c = await s.connect('client-1');
    // The message and the FIN leave together, so the server sees end of stream right after the data,
    // before it has had a turn to write: the reply is still owed when recv() returns nothing.
    await c.sendAndShutdown('hello\n');
    await c.read(6, 3000, Buffer.from('HELLO\n'));
    await c.expectClosed(2000);
    const big = await s.connect('client-2');
    const data = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = 0x61 + (i % 26);
    // Not reading while it sends: the replies back up in the server, so it still owes most of them
    // when the FIN comes, however fast the machine (a reading client let a server that drops its
    // backlog at end of stream pass now and then).
    big.pause();
    big.push(data);
    big.shutdownWrite();
    await delay(300);
    big.resume();
    await big.read(data.length, 8000, upper(data));
    await big.expectClosed(2000);
    await s.descriptorsBackTo(start, 'two half-closed clients were answered');
  });

  serverCase('idle-and-gone', nc('x\\n'), 'E09 B31 a quiet client is still served after 2 s; one that closes at once is closed within 1 s', async (s) => {
    const start = s.server.openDescriptors();
    const quiet = await s.connect('quiet');
    const gone = await s.connect('gone');
    // Both accepted (two more descriptors in the server) before one leaves, whatever the machine's load.
    const deadline = performance.now() + 3000;
    while (s.server.openDescriptors() < start + 2 && performance.now() < deadline) await delay(10);
    gone.close();
    s.transcript.log('gone', 'closed at once (FIN) without sending anything');
    await s.descriptorsBackTo(start + 1, 'a client connected and closed at once', 1000);
    await delay(2000);
    await s.roundTrip(quiet, 'x\n');
  });

  serverCase('reset-mid-write', `head -c 10485760 /dev/zero | nc 127.0.0.1 ${SERVE_PORT} | sleep 1   # nc is killed mid-transfer`, 'E10 B27 a client sends 10 MiB without reading, then resets: the server lives on', async (s) => {
    const start = s.server.openDescriptors();
    const rude = await s.connect('rude');
    rude.pause();
    const data = Buffer.alloc(10 * 1024 * 1024, 0x78);
    rude.push(data);
    await delay(500);
    rude.reset();
    await delay(300);
    expectAlive(s, 'after a client reset the connection while the server was writing to it', 'EPIPE and ECONNRESET end that one client: catch them around its send() and recv().');
    const next = await s.connect('next');
    await s.roundTrip(next, 'next one\n');
    next.close();
    await s.descriptorsBackTo(start, 'the clients were gone');
  });

  serverCase('resets', nc('hi\\n'), 'E11 50 clients reset mid-conversation: descriptors return to their start value, no spinning', async (s) => {
    const start = s.server.openDescriptors();
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => s.connect(`client-${i + 1}`)));
    await Promise.all(clients.map((c, i) => s.roundTrip(c, `hello from ${i + 1}\n`)));
    for (const c of clients.slice(0, 25)) c.reset();
    for (const c of clients.slice(25)) void c.send('half a mess', true).then(() => c.reset());
    await s.descriptorsBackTo(start, '50 clients reset their connections');
    const cpu0 = s.server.cpuMs();
    await delay(1000);
    const spent = s.server.cpuMs() - cpu0;
    s.transcript.log('', `server used ${spent} ms of CPU in the idle second after the resets`);
    if (spent > 200) throw failure(s, `After 50 resets the idle server used ${spent} ms of CPU in one second: something is still in a select list (a closed socket, a write interest with nothing to write).`);
    const fresh = await s.connect('fresh');
    await s.roundTrip(fresh, 'fresh\n');
  });

  serverCase('idle', 'E12 an idle server sleeps: under 200 ms of CPU over an idle second, with 10 quiet clients', async (s) => {
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => s.connect(`quiet-${i + 1}`)));
    await s.roundTrip(clients[0]!, 'wake\n');
    const cpu0 = s.server.cpuMs();
    await delay(1000);
    const spent = s.server.cpuMs() - cpu0;
    s.transcript.log('', `server used ${spent} ms of CPU over one idle second`);
    if (spent > 200) throw failure(s, `The server used ${spent} ms of CPU in one idle second: it is spinning. Wait in select() or epoll_wait() without a timeout, and ask for writability only while you owe a client bytes.`);
  });

  serverCase('fd-setsize', 'E13 B25 1,100 clients at once: each gets its own number back or is refused cleanly', async (s) => {
    const clients: Client[] = [];
    for (let i = 0; i < 1100; i += 100) {
      clients.push(...(await Promise.all(Array.from({ length: 100 }, (_, k) => s.connect(`client-${i + k + 1}`)))));
    }
    s.transcript.log('', '1,100 clients connected; each sends its own number');
    await Promise.all(clients.map((c, i) => c.send(`${i + 1}\n`, true)));
    let served = 0;
    await Promise.all(
      clients.map(async (c, i) => {
        const want = Buffer.from(`${i + 1}\n`);
        const deadline = performance.now() + 6000;
        while (c.pending < want.length && !c.ended && !c.error && performance.now() < deadline) await delay(20);
        if (c.pending === 0 && (c.ended || c.error)) return; // refused cleanly
        const got = await c.read(want.length, 100, want);
        if (!got.equals(want)) throw failure(s, `client-${i + 1} sent ${show(want)} and received ${show(got)}: another client's data (cross-talk).`);
        served++;
      }),
    );
    s.transcript.log('', `${served} of 1,100 clients were served; the rest were refused`);
    expectAlive(s, 'with 1,100 clients', 'select() cannot watch a descriptor >= FD_SETSIZE: close such a connection as soon as you accept it.');
    if (served < 900) throw failure(s, `Only ${served} of 1,100 clients got their number back; a select() server should serve all it can watch (about 1,000).`);
    for (const c of clients) c.close();
    const last = await s.connect('after');
    await s.roundTrip(last, 'after\n');
  });
}
