// Runs in the test worker before each hidden test: writes "this test starts now" to the grader's
// progress file, synchronously, so a test stuck in a loop that never yields can still be named.
// (Vitest's own reports from the worker are batched and would never leave a blocked worker.)
// Only progress goes here; results travel through Vitest's reporter, out of the learner's reach.
import fs from 'node:fs';
import { beforeEach } from 'vitest';

const progressFile = process.env.LEARN_IO_PROGRESS_FILE;
if (progressFile) {
  beforeEach((context) => {
    fs.appendFileSync(progressFile, `${context.task.id}\n`);
  });
}
