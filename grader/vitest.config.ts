// The one Vitest configuration every hidden suite runs under.
//
// A suite imports the code under test as `@learn-io/target/<exercise-id>/<file>`. The alias below
// sends that to the directory named by LEARN_IO_TARGET (a learner's exercise folder, a stub, a
// reference solution or a wrong implementation kept under test/fixtures/), or to solutions/<id>/
// when the variable is unset, so a suite can be run by hand against the reference.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = process.env.LEARN_IO_TARGET;

export default defineConfig({
  root,
  resolve: {
    alias: [
      {
        find: /^@learn-io\/target\/([^/]+)\//,
        replacement: target ? `${path.resolve(target)}/` : `${path.join(root, 'solutions')}/$1/`,
      },
    ],
  },
  test: {
    // The second pattern is a suite that tests the grader itself (test/grader.test.ts).
    include: ['grader/suites/**/*.test.ts', 'test/fixtures/grader-probe/suite/*.test.ts'],
    setupFiles: ['grader/setup.ts'],
    testTimeout: Number(process.env.LEARN_IO_TEST_TIMEOUT_MS ?? 2000),
    hookTimeout: 5000,
    pool: 'forks',
    watch: false,
  },
});
