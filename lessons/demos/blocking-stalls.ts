// One blocking call stalls every coroutine: timers fire late while one task blocks
//
// What it shows: three "ticker" tasks (async functions, i.e. coroutines driven
// by Node's event loop) each want to wake every 50 ms and record how late each
// wake-up is. A fourth task, 150 ms in, needs to pause for 300 ms. It does so
// three ways, one round each:
//   1. cooperatively: `await sleep(300)` hands the thread back while it waits;
//   2. with a blocking call: `Atomics.wait` on a SharedArrayBuffer, which
//      puts the whole thread to sleep in the kernel (like an un-patched
//      time.sleep in Python, or a blocking read on a socket);
//   3. with a busy loop of 300 ms of pure computation.
// In rounds 2 and 3 every ticker's timer fires about 300 ms late, because the
// only thread is stuck and nobody is left to run the scheduler.
// Bounded: three rounds of about 0.6 s; stops by itself.
//
// Backs the lesson's claims C05 (one blocking call stalls every coroutine) and
// C08 (without a scheduler that switches on I/O, a blocking call blocks in place).
import { performance } from 'node:perf_hooks';

const TICK_MS = 50;
const TICKS = 10;
const PAUSE_AT_MS = 150;
const PAUSE_MS = 300;

type Mode = 'cooperative sleep' | 'Atomics.wait (blocking)' | 'busy loop (CPU)';

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

function blockingSleep(ms: number): void {
  // Sleeps the calling thread in the kernel (a futex wait that nobody wakes).
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function busy(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

async function ticker(lateness: number[]): Promise<void> {
  for (let i = 0; i < TICKS; i++) {
    const asked = performance.now();
    await sleep(TICK_MS);
    lateness.push(performance.now() - asked - TICK_MS);
  }
}

async function pauser(mode: Mode, log: string[]): Promise<void> {
  await sleep(PAUSE_AT_MS);
  const t0 = performance.now();
  if (mode === 'cooperative sleep') await sleep(PAUSE_MS);
  else if (mode === 'Atomics.wait (blocking)') blockingSleep(PAUSE_MS);
  else busy(PAUSE_MS);
  log.push(`pauser: paused ${(performance.now() - t0).toFixed(0)} ms`);
}

async function round(mode: Mode): Promise<{ worst: number[]; lateTicks: number; tookMs: number }> {
  const late: number[][] = [[], [], []];
  const log: string[] = [];
  const t0 = performance.now();
  await Promise.all([ticker(late[0]!), ticker(late[1]!), ticker(late[2]!), pauser(mode, log)]);
  const tookMs = performance.now() - t0;
  const worst = late.map((xs) => Math.max(...xs));
  const lateTicks = late.flat().filter((x) => x > 20).length;
  return { worst, lateTicks, tookMs };
}

const modes: Mode[] = ['cooperative sleep', 'Atomics.wait (blocking)', 'busy loop (CPU)'];

console.log(
  `Three tickers want to wake every ${TICK_MS} ms (${TICKS} times each). At ${PAUSE_AT_MS} ms a fourth\n` +
    `task pauses for ${PAUSE_MS} ms. How late did the tickers wake?\n`,
);
console.log(
  `  ${'the pause is done with'.padEnd(25)}  ${'worst lateness'.padEnd(20)}` +
    `  ${'>20ms late'.padStart(10)}  ${'all done'.padStart(9)}`,
);
console.log(`  ${''.padEnd(25)}  ${'ticker 1/2/3'.padEnd(20)}  ${'wake-ups'.padStart(10)}  ${'after'.padStart(9)}`);
const results: Array<{ mode: Mode; worst: number[]; lateTicks: number; tookMs: number }> = [];
for (const mode of modes) {
  const r = await round(mode);
  results.push({ mode, ...r });
  const worst = r.worst.map((w) => `${w.toFixed(0).padStart(3)} ms`).join(' ');
  const late = `${r.lateTicks} of ${3 * TICKS}`.padStart(10);
  console.log(`  ${mode.padEnd(25)}  ${worst}  ${late}  ${r.tookMs.toFixed(0).padStart(6)} ms`);
}

const coop = Math.max(...results[0]!.worst);
const blocked = Math.max(...results[1]!.worst);
const spun = Math.max(...results[2]!.worst);
console.log(`
What happened:
  - Cooperative sleep: the pausing task handed the thread back while it waited,
    so the event loop kept waking the tickers on time (worst ${coop.toFixed(0)} ms late).
  - Atomics.wait: the same 300 ms pause, but as a blocking call. The one thread
    the whole program runs on slept inside the kernel; no ticker could run
    until it returned, so they woke up to ${blocked.toFixed(0)} ms late. Each ticker lost
    its ticks for that stretch: ${TICKS} ticks took ${results[1]!.tookMs.toFixed(0)} ms instead of ${TICKS * TICK_MS}.
  - Busy loop: pure computation has the same effect (${spun.toFixed(0)} ms late). A
    coroutine is never preempted: nobody can take the thread away from it.
  - The pausing task did not "switch" anywhere during a blocking call.
    Coroutines switch only where the code says so (await, yield); a blocking
    call in between blocks in place, and every other coroutine waits with it.`);
