// The handler module the suite gives every pool: `handle(task, context)` runs in the pool's threads and
// records what happens in the shared probe (layout.ts): how many tasks run at once, which thread ran
// which task, how often each task ran. What a task does is its plan, written by the suite beforehand.
//
// It trusts nothing it is handed but context.data.probe, and counts even what it cannot use.
import { isMainThread, threadId } from 'node:worker_threads';
import {
  COUNTS,
  FINISHED,
  GATE,
  GATE_LIMIT_MS,
  GATE_TIMEOUTS,
  HOLD_MS,
  MAX_THREADS,
  ON_MAIN,
  PEAK,
  Plan,
  PLANS,
  RAN_ON,
  RUNNING,
  slotOf,
  STARTED,
  STILL,
  THREADS,
} from './layout.ts';

/** The error a THROW or REJECT task fails with. */
class ProbeError extends Error {
  override name = 'ProbeError';
}

/** Records this thread's id in the table of threads that ran tasks (once per thread). */
function noteThread(p: Int32Array): void {
  for (let i = 0; i < MAX_THREADS; i++) {
    const seen = Atomics.compareExchange(p, THREADS + i, 0, threadId);
    if (seen === 0 || seen === threadId) return;
  }
}

/** Blocks this thread until the gate opens (or GATE_LIMIT_MS, counted as a gate timeout). */
function waitGate(p: Int32Array): void {
  const deadline = performance.now() + GATE_LIMIT_MS;
  while (Atomics.load(p, GATE) === 0) {
    const left = deadline - performance.now();
    if (left <= 0) {
      Atomics.add(p, GATE_TIMEOUTS, 1);
      return;
    }
    Atomics.wait(p, GATE, 0, left);
  }
}

/**
 * Awaits the gate's opening without blocking the thread: it looks every millisecond, on a timer, so the
 * thread's event loop runs meanwhile and stays alive. (Not Atomics.waitAsync: a pending one does not
 * keep a thread's event loop alive, so the thread would simply exit in the middle of the task.)
 */
async function waitGateAsync(p: Int32Array): Promise<void> {
  const deadline = performance.now() + GATE_LIMIT_MS;
  while (Atomics.load(p, GATE) === 0) {
    if (performance.now() >= deadline) {
      Atomics.add(p, GATE_TIMEOUTS, 1);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** A value in a few words, for the error above. */
function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return `an object with keys [${Object.keys(value).join(', ')}]`;
}

export function handle(task: number, context: { data?: { probe?: unknown } } | undefined): unknown {
  const buffer = context?.data?.probe;
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(
      `the probe handler's context.data is ${describe(context?.data)}, not the options.data given to the pool ` +
        '({ probe: SharedArrayBuffer }): pass options.data to every handle() call as context.data',
    );
  }
  const p = new Int32Array(buffer);
  const slot = slotOf(Number(task) | 0);
  if (isMainThread) Atomics.add(p, ON_MAIN, 1);

  const running = Atomics.add(p, RUNNING, 1) + 1;
  for (let peak = Atomics.load(p, PEAK); running > peak; peak = Atomics.load(p, PEAK)) {
    if (Atomics.compareExchange(p, PEAK, peak, running) === peak) break;
  }
  Atomics.add(p, STARTED, 1);
  Atomics.add(p, COUNTS + slot, 1);
  Atomics.store(p, RAN_ON + slot, threadId);
  noteThread(p);
  const end = () => {
    Atomics.sub(p, RUNNING, 1);
    Atomics.add(p, FINISHED, 1);
  };

  const plan = Atomics.load(p, PLANS + slot);
  if (plan === Plan.REJECT || plan === Plan.ASYNC_GATED) {
    return (async () => {
      try {
        if (plan === Plan.ASYNC_GATED) await waitGateAsync(p);
        else {
          await new Promise((resolve) => setImmediate(resolve));
          throw new ProbeError(`task ${task} rejected on purpose`);
        }
      } finally {
        end();
      }
    })();
  }
  try {
    if (plan === Plan.GATED) waitGate(p);
    else if (plan === Plan.HOLD) Atomics.wait(p, STILL, 0, HOLD_MS);
    else if (plan === Plan.THROW) throw new ProbeError(`task ${task} failed on purpose`);
    else if (plan === Plan.THROW_STRING) throw `task ${task} threw a string`;
  } finally {
    end();
  }
  return undefined;
}
