// Every hidden suite must catch plausible wrong answers. Each wrong implementation is kept as a
// patch, test/fixtures/<exercise>/<bug>.patch, against the reference in solutions/<exercise>/: the
// reference with one bug, so the bug is all a reader sees, and a patch that no longer applies to a
// changed reference fails here rather than testing yesterday's code. Its header names, on a line
// `Expected to fail: G05, G13`, the cases that must catch it; the suite must fail it on those.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { course, packageRoot, stepPaths, type ExerciseStep } from '../src/catalog.ts';
import { runSuite } from '../src/grader/run-suite.ts';


/** The reference with `patch` applied, in a fresh temporary folder (git apply, outside any repo). */
export function wrongImplementation(step: ExerciseStep, patch: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `learn-io-wrong-${step.id}-`));
  fs.cpSync(stepPaths(step).referenceDir, dir, { recursive: true });
  // A server runs as a process of its own, and outside a package Node would take server.ts for CommonJS.
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  execFileSync('git', ['apply', '--whitespace=nowarn', patch], {
    cwd: dir,
    env: { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(dir) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return dir;
}

/**
 * Registers the checks for every built exercise that `which` picks. Several test files call it
 * (wrong-implementations, wrong-servers, wrong-ftp), so that Vitest runs the in-process suites and the
 * slow server suites side by side.
 */
export function wrongImplementationTests(which: (step: ExerciseStep) => boolean): void {
  const exercises = course.filter((s): s is ExerciseStep => s.kind === 'exercise' && !s.coming && which(s));
  for (const step of exercises) {
    const root = path.join(packageRoot, 'test', 'fixtures', step.id);
    const patches = fs.existsSync(root) ? fs.readdirSync(root).filter((f) => f.endsWith('.patch')) : [];

    describe(`${step.id}: wrong implementations`, () => {
      it('there are at least five', () => {
        expect(patches.length).toBeGreaterThanOrEqual(5);
      });

      for (const patch of patches) {
        it(`fails "${patch.replace(/\.patch$/, '')}" on the cases it names`, async () => {
          const file = path.join(root, patch);
          const named = /^Expected to fail: (.+)$/m.exec(fs.readFileSync(file, 'utf8'))?.[1]?.split(/,\s*/) ?? [];
          expect(named.length, 'the patch names the cases that must catch it').toBeGreaterThan(0);

          const dir = wrongImplementation(step, file);
          try {
            const result = await runSuite({ step, targetDir: dir });
            expect(result.status).toBe('fail');
            const failing = result.tests.filter((t) => t.status !== 'pass').map((t) => t.name);
            for (const id of named) {
              expect(failing.some((name) => name.split(' > ').some((part) => part.startsWith(`${id} `))), `${id} fails`).toBe(true);
            }
            // And it is a near miss, not a stub: most of the suite still passes.
            expect(result.passed, 'a plausible wrong answer passes most tests').toBeGreaterThan(result.total / 2);
          } finally {
            fs.rmSync(dir, { recursive: true, force: true });
          }
          // As long as the suite may take, and a little more: the grader enforces its own limits.
        }, step.suiteTimeoutMs + 30_000);
      }
    });
  }
}
