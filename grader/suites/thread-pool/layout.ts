// The probe's shared memory: one Int32Array over a SharedArrayBuffer that the suite (main thread) and
// the probe handler (probe.ts, in the pool's threads) both update with Atomics. Everything the suite
// knows about concurrency it reads here, counted where it happens, never inferred from timing.
//
// Not a test file, and it imports nothing: the pool's threads load it through probe.ts.

/** Tasks running now (the handler entered and has not returned). */
export const RUNNING = 0;
/** The most tasks ever running at once. */
export const PEAK = 1;
/** Handler calls that began. */
export const STARTED = 2;
/** Handler calls that ended (returned, threw, or their promise settled). */
export const FINISHED = 3;
/** 0: gated tasks wait; 1: they go on. The suite opens and closes it. */
export const GATE = 4;
/** Gated tasks that gave up waiting (GATE_LIMIT_MS): a test left the gate closed. */
export const GATE_TIMEOUTS = 5;
/** Handler calls made on the main thread (a pool that runs tasks itself). */
export const ON_MAIN = 6;
/** A word that stays 0: a HOLD task sleeps on it. */
export const STILL = 7;
/** Distinct thread ids that ran a task, claimed with compareExchange: MAX_THREADS slots, 0 free. */
export const THREADS = 16;
export const MAX_THREADS = 64;
/** Per-task words, at slotOf(task): how often it ran, its plan, the thread id that last ran it. */
export const SLOTS = 4093;
export const COUNTS = THREADS + MAX_THREADS;
export const PLANS = COUNTS + SLOTS;
export const RAN_ON = PLANS + SLOTS;
export const LENGTH = RAN_ON + SLOTS;

/** A task id's slot: any int32 (negative ones too); the suite picks ids whose slots differ. */
export const slotOf = (task: number): number => ((task % SLOTS) + SLOTS) % SLOTS;

/** What the handler does with a task, set by the suite before it submits the task. */
export const Plan = {
  /** Count it and return. */
  RUN: 0,
  /** Wait (blocking the thread) until the gate opens. */
  GATED: 1,
  /** Throw a ProbeError. */
  THROW: 2,
  /** Return a promise that rejects with a ProbeError, after a turn of the thread's event loop. */
  REJECT: 3,
  /** async: await the gate's opening (Atomics.waitAsync), so the thread's event loop runs meanwhile. */
  ASYNC_GATED: 4,
  /** Block the thread HOLD_MS, then return. */
  HOLD: 5,
  /** Throw a string, not an Error. */
  THROW_STRING: 6,
} as const;

/** How long a gated task waits for the gate at most: a safety net, far above any test's own wait. */
export const GATE_LIMIT_MS = 5000;
/** How long a HOLD task blocks its thread. */
export const HOLD_MS = 200;
