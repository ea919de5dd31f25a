// A busy loop is an un-patched sleep: the event loop stops while one task computes
//
// What it shows: three async tickers (coroutines on Node's event loop) want to
// wake every 10 ms, and Node's own monitor (perf_hooks.monitorEventLoopDelay)
// samples how long the loop takes to come round. A fourth task, 100 ms in,
// needs 300 ms. Three rounds:
//   1. it waits cooperatively, `await setTimeout(300)`: the baseline;
//   2. it computes for 300 ms in one go (a busy loop): nothing else can run,
//      so the monitor and every ticker are ~300 ms late;
//   3. it does the same 300 ms of computation in 5 ms slices, awaiting
//      setImmediate between slices: the same CPU, but the loop keeps turning.
// Then a timer armed for 50 ms just before a busy loop: it cannot fire until
// the loop ends, like a gevent Timeout around code that never yields.
// Bounded: about 2 s (under 1 s with LEARN_IO_DEMO_QUICK=1); stops by itself.
//
// Backs the lesson's claims C05 and C10 (a call that does not yield is not seen
// by the scheduler: every other task waits, and so does every timer).
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { quick, stallReport, stallRound, stallTiming } from '../../src/demo-kit.ts';

const { pauseMs, pauseAtMs, tickMs } = stallTiming;
const SLICE_MS = 5;

// Pure computation until `ms` have passed: the thread is never handed back.
function busy(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

// The same amount of computation, cut into slices with a switch point between them.
async function busyInSlices(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    busy(Math.min(SLICE_MS, end - performance.now()));
    await nextTurn(); // back to the event loop: due timers and I/O run here
  }
}

console.log(
  `Three tickers want to wake every ${tickMs} ms. At ${pauseAtMs} ms a fourth task needs ${pauseMs} ms.` +
    (quick ? '\n(quick mode: shorter times than the lesson quotes)' : '') +
    '\n',
);

const rounds = [
  await stallRound(`await setTimeout(${pauseMs})`, () => sleep(pauseMs)),
  await stallRound(`busy loop, ${pauseMs} ms`, () => busy(pauseMs)),
  await stallRound(`same, ${SLICE_MS} ms slices`, () => busyInSlices(pauseMs)),
];
for (const line of stallReport(rounds)) console.log(line);

// A timer cannot interrupt code that does not yield: it fires when the thread comes back.
const TIMEOUT_MS = 50;
const armed = performance.now();
const fired = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - armed), TIMEOUT_MS));
busy(pauseMs);
const firedAfter = await fired;

const [coop, blocked, sliced] = rounds as [(typeof rounds)[0], (typeof rounds)[0], (typeof rounds)[0]];
console.log(`
  A ${TIMEOUT_MS} ms timer armed just before a ${pauseMs} ms busy loop fired after ${firedAfter.toFixed(0)} ms.

What happened:
  - Waiting with await handed the thread back: the loop came round every
    ~${tickMs} ms (max ${coop.delay.max.toFixed(1)} ms), the tickers woke on time.
  - The busy loop never yielded. For ${blocked.pausedMs.toFixed(0)} ms nothing else ran: the monitor's
    longest gap was ${blocked.delay.max.toFixed(0)} ms, a ticker woke ${blocked.worstLateMs.toFixed(0)} ms late, and the strip has a
    hole. No scheduler can take the thread away from a coroutine.
  - Sliced, the same work (${sliced.cpuMs.toFixed(0)} ms of CPU against ${blocked.cpuMs.toFixed(0)}) left room for the
    others: worst lateness ${sliced.worstLateMs.toFixed(0)} ms. Switching did not make the work
    faster; it only stopped it from holding everybody up.
  - The timer was due after ${TIMEOUT_MS} ms but could only fire once the loop ended.
    A gevent Timeout (and the hub's, in the next exercise) is the same: it
    is delivered at the task's next switch point, never in the middle.`);
