// Runs in the test worker before the hidden suite, with three jobs.
//
// 1. Markers. Each test writes "start <id>" to the grader's marker file as it begins, synchronously,
//    so a test stuck in a loop that never yields can still be named (Vitest's own reports from the
//    worker are batched and would never leave a blocked worker); its first console lines follow.
//    Only timing and output come through here: verdicts travel through Vitest's reporter.
// 2. Blame. The learner's files are imported here, before the suite: if that fails, "load-error"
//    tells the grader the failure is the learner's, whatever was thrown (even a string).
// 3. Integrity. The assertion library and the worker's reporting channel are pinned before any
//    learner code runs, so that code cannot quietly switch the assertions off or rewrite verdicts.
import fs from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import { beforeEach, chai, expect } from 'vitest';

const markers = process.env.LEARN_IO_MARKERS;
const mark = (line: string) => {
  if (markers) fs.appendFileSync(markers, `${line}\n`);
};

for (const target of [chai.Assertion, chai.Assertion.prototype, chai.assert, expect]) {
  Object.freeze(target);
}
// The worker reports verdicts through this object; pin it so learner code cannot wrap it. (Code in
// the same process can always find another way in; the grade command should not rely on this.)
const worker = (globalThis as { __vitest_worker__?: Record<string, unknown> }).__vitest_worker__;
if (worker) {
  Object.defineProperty(worker, 'rpc', { value: worker.rpc, writable: false, configurable: false });
  Object.defineProperty(globalThis, '__vitest_worker__', { value: worker, writable: false, configurable: false });
}

for (const file of (process.env.LEARN_IO_TARGET_FILES ?? '').split(path.delimiter).filter(Boolean)) {
  try {
    await import(/* @vite-ignore */ file);
  } catch (error) {
    mark('load-error');
    throw error;
  }
}

// Console output of the running test also goes to the markers, synchronously: Vitest's copy is
// batched and never leaves a worker stuck in a loop, which is exactly when a learner needs their
// debug prints. Only a test's first lines; the full output still comes through Vitest.
const LOGGED_PER_TEST = 50;
let running: string | undefined;
let logged = 0;
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    if (running && logged++ < LOGGED_PER_TEST) mark(`log ${running} ${JSON.stringify(format(...args).slice(0, 1000))}`);
    original(...args);
  };
}

beforeEach((context) => {
  running = context.task.id;
  logged = 0;
  mark(`start ${context.task.id}`);
});
