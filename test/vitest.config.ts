// The project's own tests (test/*.test.ts). Hidden suites are not run from here: `review` and the
// wrong-implementation tests run them through the grader, the way learners meet them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
  test: {
    include: ['test/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each grader run starts Vitest processes of its own; two cores are enough for two at a time.
    maxWorkers: 2,
    watch: false,
  },
});
