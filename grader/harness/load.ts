// A closed-loop echo load generator: N connections, each sending a message and waiting for its echo
// before sending the next, for a fixed time. Measures what a concurrency comparison needs: messages
// per second, latency percentiles, and the server's own CPU time per message (from /proc, so the load
// generator's CPU does not count). Used by `npm run bench`; bounded in time and count.
import net from 'node:net';
import type { ServerProcess } from './server.ts';

export interface LoadOptions {
  /** Connections that send and wait for echoes. */
  active: number;
  /** Connections that connect and then sit there, for the cost of watching many idle descriptors. */
  idle?: number;
  /** Bytes per message (a-z, so the echo is upper-cased and checked). */
  messageBytes?: number;
  /** How long the active connections keep sending, in ms. */
  durationMs?: number;
  /** Stop earlier after this many messages in all. */
  maxMessages?: number;
}

export interface LoadResult {
  messages: number;
  seconds: number;
  perSecond: number;
  p50Us: number;
  p99Us: number;
  /** The server's user + system CPU over the run, ms. */
  serverCpuMs: number;
  /** serverCpuMs spread over the messages, µs per message. */
  cpuPerMessageUs: number;
  /** Connections that could not be made or broke (a select() server refuses descriptors >= FD_SETSIZE). */
  failedConnections: number;
}

function connect(port: number): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(undefined);
    }, 5000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

async function connectMany(port: number, n: number): Promise<{ sockets: net.Socket[]; failed: number }> {
  const sockets: net.Socket[] = [];
  let failed = 0;
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => connect(port)));
    for (const s of batch) (s ? sockets.push(s) : failed++);
  }
  return { sockets, failed };
}

/** Runs the load against `server` and closes every connection it made. */
export async function echoLoad(server: ServerProcess, options: LoadOptions): Promise<LoadResult> {
  const size = options.messageBytes ?? 64;
  const durationMs = options.durationMs ?? 2000;
  const maxMessages = options.maxMessages ?? 5_000_000;
  const message = Buffer.alloc(size);
  for (let i = 0; i < size; i++) message[i] = 0x61 + (i % 26);
  const expected = Buffer.from(message.toString('latin1').toUpperCase(), 'latin1');

  const idle = await connectMany(server.port, options.idle ?? 0);
  const active = await connectMany(server.port, options.active);
  // Idle sockets that the server refused (closed) count as failures too.
  await new Promise((r) => setTimeout(r, 100));
  const idleBroken = idle.sockets.filter((s) => s.destroyed || s.readableEnded).length;

  const latencies: number[] = [];
  let messages = 0;
  let broken = 0;
  const cpu0 = server.cpuMs();
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(
    active.sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          let got = 0;
          let sentAt = 0;
          let firstBytes: Buffer | undefined;
          const send = () => {
            if (performance.now() >= deadline || messages >= maxMessages) return resolve();
            got = 0;
            firstBytes = undefined;
            sentAt = performance.now();
            s.write(message);
          };
          s.on('data', (d: Buffer) => {
            firstBytes ??= d.subarray(0, Math.min(d.length, size));
            got += d.length;
            if (got < size) return;
            if (!firstBytes.equals(expected.subarray(0, firstBytes.length))) broken++;
            latencies.push(performance.now() - sentAt);
            messages++;
            send();
          });
          s.once('error', () => {
            broken++;
            resolve();
          });
          s.once('close', () => resolve());
          send();
        }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const serverCpuMs = server.cpuMs() - cpu0;
  for (const s of [...idle.sockets, ...active.sockets]) s.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]! * 1000 : NaN);
  return {
    messages,
    seconds,
    perSecond: messages / seconds,
    p50Us: pct(0.5),
    p99Us: pct(0.99),
    serverCpuMs,
    cpuPerMessageUs: messages ? (serverCpuMs * 1000) / messages : NaN,
    failedConnections: idle.failed + active.failed + idleBroken + broken,
  };
}
