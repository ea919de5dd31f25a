// A non-blocking recv() loop spinning on EAGAIN: the CPU it burns while waiting
//
// What it shows: the second I/O model, non-blocking I/O used as a polling loop.
// A peer process sends four short lines at irregular moments over about a
// second, each stamped with the time it was sent (CLOCK_MONOTONIC, which both
// processes share). We wait for them three ways, one round each:
//   1. a blocking recv() (the kernel wakes us when data comes);
//   2. a non-blocking socket and a loop that calls recv() again at once after
//      every BlockingIOError (EAGAIN: "nothing yet, try again");
//   3. the same loop with a 50 ms sleep after each EAGAIN, to spare the CPU.
// For each round: how many recv() calls were made, how many failed with
// EAGAIN, the CPU time the process used, and the latency of each line (from
// the peer's send to our recv returning it). The peer also looks at our main
// thread from outside (/proc: state, CPU time run) between its first and last
// line, and sends what it saw as a last line.
// Bounded: three rounds of about 1 s (0.3 s with LEARN_IO_DEMO_QUICK=1), each
// loop also stopped by a deadline; the peer is killed after 20 s in any case.
//
// Backs the lesson's claim C18 (a polling loop burns a CPU, or adds latency
// when it sleeps between tries; not recommended).
import { cpuMs, formatNs, lookAtSource, median, peer, quick, sleepThread, table, wrap } from '../../src/demo-kit.ts';
import { BlockingIOError, createServer, select, type InetAddress, type Socket } from '../../src/sys/index.ts';

const DELAY_MS = quick ? 300 : 1000;
const PAUSE_MS = 50;

interface Mode {
  name: string;
  blocking: boolean;
  pauseMs: number;
}
const MODES: Mode[] = [
  { name: 'blocking recv()', blocking: true, pauseMs: 0 },
  { name: 'non-blocking, spin', blocking: false, pauseMs: 0 },
  { name: `non-blocking + sleep`, blocking: false, pauseMs: PAUSE_MS },
];

// The peer: one connection per round. On "go" it sends four stamped lines over DELAY_MS,
// looks at our main thread at 10% and 90% of that time, and ends with what it saw.
const PEER = `
import net from 'node:net';
${lookAtSource}
const [port, pid, delay, rounds] = process.argv.slice(1).map(Number);
const SENDS = [0.22, 0.5, 0.74, 1.0];  // irregular, so a loop that sleeps meets them at varied phases
function round() {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => sock.setNoDelay(true));
    sock.on('error', (e) => { console.log('  [peer] ' + e.message); process.exit(1); });
    sock.on('close', resolve);
    sock.once('data', () => {
      let a, b;
      setTimeout(() => { a = lookAt(pid); }, delay * 0.1);
      setTimeout(() => { b = lookAt(pid); }, delay * 0.9);
      SENDS.forEach((at, i) => setTimeout(() => {
        sock.write('sent ' + process.hrtime.bigint() + '\\n');
        if (i < SENDS.length - 1) return;
        const ran = a?.runNs !== undefined && b?.runNs !== undefined ? b.runNs - a.runNs : -1;
        sock.end('seen ' + (b?.state ?? '?') + ' ' + ran + ' ' + Math.round(delay * 0.8 * 1e6) + '\\n');
      }, at * delay));
    });
  });
}
for (let i = 0; i < rounds; i++) await round();
`;

interface Result {
  calls: number;
  eagain: number;
  wallMs: number;
  cpuMs: number;
  latenciesNs: number[];
  seen?: { state: string; ranNs: number; overNs: number };
  timedOut: boolean;
}

function round(server: Socket, mode: Mode): Result {
  // A guard, not the point: give up if the peer never connects (accept() would wait forever).
  if (select([server], [], [], 10_000)[0].length === 0) throw new Error('the peer did not connect within 10 s');
  const [conn] = server.accept();
  conn.setblocking(mode.blocking); // fcntl(F_SETFL, O_NONBLOCK) for the non-blocking rounds
  const r: Result = { calls: 0, eagain: 0, wallMs: 0, cpuMs: 0, latenciesNs: [], timedOut: false };
  let pending = '';
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + 3 * DELAY_MS + 2000;
  conn.send('go\n');
  for (;;) {
    if (performance.now() > deadline) {
      r.timedOut = true;
      break;
    }
    let chunk: Buffer;
    r.calls++;
    try {
      chunk = conn.recv(4096);
    } catch (e) {
      if (!(e instanceof BlockingIOError)) throw e;
      r.eagain++; // nothing to read yet: the kernel said "try again"
      if (mode.pauseMs > 0) sleepThread(mode.pauseMs);
      continue;
    }
    const now = process.hrtime.bigint();
    if (chunk.length === 0) break; // the peer closed: end of the round
    pending += chunk.toString('latin1');
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const [kind, ...rest] = pending.slice(0, nl).split(' ');
      pending = pending.slice(nl + 1);
      if (kind === 'sent') r.latenciesNs.push(Number(now - BigInt(rest[0]!)));
      if (kind === 'seen') r.seen = { state: rest[0]!, ranNs: Number(rest[1]), overNs: Number(rest[2]) };
    }
  }
  r.wallMs = performance.now() - t0;
  r.cpuMs = cpuMs(cpu0);
  conn.close();
  return r;
}

const server = createServer({ host: '127.0.0.1', port: 0 });
const { port } = server.getsockname() as InetAddress;
peer(PEER, [String(port), String(process.pid), String(DELAY_MS), String(MODES.length)], 20_000);

console.log(
  `A peer sends 4 short lines over ${DELAY_MS} ms. We wait for them three ways, one round\n` +
    `each: a blocking recv(); a non-blocking recv() retried at once after each\n` +
    `EAGAIN; the same with a ${PAUSE_MS} ms sleep after each EAGAIN.\n`,
);

const results: Result[] = [];
for (const mode of MODES) results.push(round(server, mode));
server.close();

const n = (x: number) => x.toLocaleString('en-US');
const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;
const lines = table(
  ['how we wait', 'recv()', 'EAGAIN', 'CPU', 'CPU/wall', 'latency', 'worst'],
  MODES.map((m, i) => {
    const r = results[i]!;
    const lat = r.latenciesNs;
    return [
      m.name,
      n(r.calls),
      n(r.eagain),
      formatNs(r.cpuMs * 1e6),
      pct(r.cpuMs, r.wallMs),
      lat.length ? formatNs(median(lat)) : 'n/a',
      lat.length ? formatNs(Math.max(...lat)) : 'n/a',
    ];
  }),
);
for (const l of lines) console.log(`  ${l}`);

const seen = results.map((r) => r.seen);
if (seen.every((s) => s && s.ranNs >= 0)) {
  console.log(`\n  the peer's view of our main thread (/proc), over ${formatNs(seen[0]!.overNs)} of each round:`);
  MODES.forEach((m, i) => {
    const s = seen[i]!;
    const state = s.state === 'R' ? 'R (running)' : s.state === 'S' ? 'S (sleeping)' : s.state;
    console.log(`    ${m.name.padEnd(21)} state ${state.padEnd(13)} ran ${formatNs(s.ranNs).padStart(8)} (${pct(s.ranNs, s.overNs)})`);
  });
}
if (results.some((r) => r.timedOut)) console.log('\n  (a round hit its deadline before the peer closed; the numbers are partial)');

const [blk, spin, nap] = results as [Result, Result, Result];
const busy = spin.cpuMs / spin.wallMs > 0.9;
const points = [
  `Blocking: ${n(blk.calls)} recv() calls for the peer's lines and the end of stream. The kernel woke the ` +
    `thread when a line came (median ${formatNs(median(blk.latenciesNs))} later); it used no CPU in between.`,
  `Spinning: ${n(spin.eagain)} recv() calls failed with EAGAIN, ${n(Math.round(spin.eagain / (spin.wallMs / 1000)))} a second, ` +
    'each a full trip into the kernel that found nothing. ' +
    (busy
      ? `The loop kept a CPU busy the whole round (${pct(spin.cpuMs, spin.wallMs)} of the wall time). `
      : `The loop wanted a CPU the whole round (state R) but got one only ${pct(spin.cpuMs, spin.wallMs)} of the time: ` +
        'other work on this machine needed the CPUs too, and every cycle the loop got was taken from it. ') +
    (median(spin.latenciesNs) < 0.8 * median(blk.latenciesNs)
      ? `It answered in ${formatNs(median(spin.latenciesNs))} instead of ${formatNs(median(blk.latenciesNs))}: it skips the wake-up, at the price of a core.`
      : `It answered in ${formatNs(median(spin.latenciesNs))}, no faster to speak of than blocking (${formatNs(median(blk.latenciesNs))}), at the price of a core.`),
  `Sleeping between tries spares the CPU (${n(nap.calls)} calls), but a line that comes just after a try ` +
    `waits for the next one: up to ${PAUSE_MS} ms late (here median ${formatNs(median(nap.latenciesNs))}, worst ` +
    `${formatNs(Math.max(...nap.latenciesNs))}). A shorter sleep burns more CPU, a longer one adds more latency: ` +
    'no sleep length wins both. That is why servers do not poll on EAGAIN; they ask the kernel to tell ' +
    'them when a socket is ready (select, poll, epoll: the next demos).',
];
console.log(`
  (CPU: the whole process, all threads; latency: median of the 4 lines, from
  the peer's send to our recv() returning the line.)

What happened:`);
for (const p of points) console.log(wrap(p, 78, '    ').join('\n').replace(/^ {4}/, '  - '));
