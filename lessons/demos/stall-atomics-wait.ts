// Atomics.wait blocks the thread: every task and every timer waits with it
//
// What it shows: three async tickers (coroutines on Node's event loop) want to
// wake every 10 ms, and Node's own monitor (perf_hooks.monitorEventLoopDelay)
// samples how long the loop takes to come round. A fourth task, 100 ms in,
// waits 300 ms. Three rounds:
//   1. `await setTimeout(300)`: a cooperative wait, the baseline;
//   2. `Atomics.wait(..., 300)`: the thread sleeps in the kernel (a futex
//      wait nobody wakes). It uses no CPU, and yet nothing else runs: this
//      is Python's un-patched time.sleep inside a gevent program;
//   3. `await Atomics.waitAsync(..., 300).value`: the same wait on the same
//      memory, in its promise form, so the task yields while it waits. That
//      is what monkey-patching does for time.sleep: same call, cooperative.
// Bounded: about 2 s (under 1 s with LEARN_IO_DEMO_QUICK=1); stops by itself.
//
// Backs the lesson's claims C05 and C10 (a blocking sleep is not seen by the
// scheduler and stalls every task; its cooperative twin is).
import { setTimeout as sleep } from 'node:timers/promises';
import { quick, stallReport, stallRound, stallTiming } from '../../src/demo-kit.ts';

const { pauseMs, pauseAtMs, tickMs } = stallTiming;

// A word of shared memory that nobody ever changes: a wait on it can only time out.
const cell = new Int32Array(new SharedArrayBuffer(4));

function blockingWait(ms: number): string {
  return Atomics.wait(cell, 0, 0, ms); // 'timed-out' after ms; the whole thread sleeps meanwhile
}

// Atomics.waitAsync (Node 16+, ES2024) is missing from the ES2023 typings this project compiles with.
type WaitAsync = (a: Int32Array, i: number, v: number, ms: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

async function cooperativeWait(ms: number): Promise<string> {
  return await waitAsync(cell, 0, 0, ms).value; // resolves to 'timed-out'; the loop runs meanwhile
}

console.log(
  `Three tickers want to wake every ${tickMs} ms. At ${pauseAtMs} ms a fourth task waits ${pauseMs} ms.` +
    (quick ? '\n(quick mode: shorter times than the lesson quotes)' : '') +
    '\n',
);

const rounds = [
  await stallRound(`await setTimeout(${pauseMs})`, () => sleep(pauseMs)),
  await stallRound(`Atomics.wait(…, ${pauseMs})`, () => blockingWait(pauseMs)),
  await stallRound('await Atomics.waitAsync', () => cooperativeWait(pauseMs)),
];
for (const line of stallReport(rounds)) console.log(line);

const [coop, blocked, asyncWait] = rounds as [(typeof rounds)[0], (typeof rounds)[0], (typeof rounds)[0]];
console.log(`
What happened:
  - await setTimeout: the task gave the thread back; the loop's longest gap
    was ${coop.delay.max.toFixed(1)} ms and the tickers woke within ${coop.worstLateMs.toFixed(0)} ms.
  - Atomics.wait: the thread slept in the kernel for ${blocked.pausedMs.toFixed(0)} ms. It burnt no CPU
    (${blocked.cpuMs.toFixed(0)} ms), but it was the only thread the tasks have, so the loop's longest
    gap was ${blocked.delay.max.toFixed(0)} ms and a ticker woke ${blocked.worstLateMs.toFixed(0)} ms late (${blocked.wakeUps} wake-ups against ${coop.wakeUps}).
    Idle is not the same as cooperative: the scheduler never got the thread.
  - Atomics.waitAsync: the same wait on the same memory, as a promise. The
    task yielded and the others ran on (worst lateness ${asyncWait.worstLateMs.toFixed(0)} ms). Swapping a
    blocking call for its cooperative twin is exactly what gevent's
    monkey.patch_all() does to time.sleep; in Node nothing swaps it for you.`);
