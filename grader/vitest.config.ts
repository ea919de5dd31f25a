// The one Vitest configuration every hidden suite runs under.
//
// A suite imports the code under test as `@learn-io/target/<exercise-id>/<file>`. The alias below
// sends that to the directory named by LEARN_IO_TARGET (a learner's exercise folder, a stub, a
// reference solution or a wrong implementation kept under test/fixtures/), or to solutions/<id>/
// when the variable is unset, so a suite can be run by hand against the reference.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = process.env.LEARN_IO_TARGET;

// Graded code may not import the reference solution (or anything else of the package's solutions/):
// `export * from '../../solutions/...'` would pass every test. `learn-io grade` runs from a copy of the
// grading files and names the installed package's solutions/ here.
const solutions = path.resolve(process.env.LEARN_IO_SOLUTIONS ?? path.join(root, 'solutions')) + path.sep;
const gradingReference = !target || path.resolve(target).startsWith(solutions);
const noSolutions = {
  name: 'learn-io:no-solutions',
  enforce: 'pre' as const,
  async resolveId(this: { resolve: (id: string, importer?: string, o?: object) => Promise<{ id: string } | null> }, id: string, importer?: string) {
    if (gradingReference || !importer || importer.startsWith(solutions)) return null;
    const resolved = await this.resolve(id, importer, { skipSelf: true });
    if (resolved && resolved.id.startsWith(solutions)) {
      throw new Error(`${importer} imports ${id}: the reference solution is not yours to import`);
    }
    return resolved;
  },
};

// Under `learn-io grade`, runner.mjs knows the content each grading file (suite, setup, harness) had
// when the grader copied it; a file that learner code changed before it was loaded is reported as
// tampered and not run. Learner files and node_modules are not in the list.
const integrity = (globalThis as { __learnIoIntegrity?: { expected(file: string): string | undefined; tampered(file: string): void } }).__learnIoIntegrity;
const checkIntegrity = {
  name: 'learn-io:integrity',
  enforce: 'pre' as const,
  transform(code: string, id: string) {
    const file = id.split('?')[0]!;
    const expected = integrity?.expected(file);
    if (expected === undefined) return null;
    if (createHash('sha256').update(code).digest('hex') !== expected) {
      integrity!.tampered(file);
      throw new Error(`${file} was changed while it was being graded`);
    }
    return null;
  },
};

export default defineConfig({
  root,
  plugins: [noSolutions, checkIntegrity],
  resolve: {
    alias: [
      // The runtime library, however the graded file spells it (see grader/harness/hooks.mjs for servers).
      { find: /^learn-io(\/sys)?$/, replacement: path.join(root, 'src', 'sys', 'index.ts') },
      { find: /^learn-io\/threads$/, replacement: path.join(root, 'src', 'threads', 'index.ts') },
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
