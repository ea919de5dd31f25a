// Every hidden suite must catch plausible wrong answers. Each folder test/fixtures/<exercise>/<bug>/
// holds a wrong implementation whose header names, on a line `// Expected to fail: G05, G13`, the
// cases that must catch it; the suite must fail it, and fail it on (at least) those cases.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { course, packageRoot, type ExerciseStep } from '../src/catalog.ts';
import { runSuite } from '../src/grader/run-suite.ts';

const exercises = course.filter((s): s is ExerciseStep => s.kind === 'exercise' && !s.coming);

for (const step of exercises) {
  const root = path.join(packageRoot, 'test', 'fixtures', step.id);
  const wrong = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => fs.statSync(path.join(root, d)).isDirectory()) : [];

  describe(`${step.id}: wrong implementations`, () => {
    it('there are at least five', () => {
      expect(wrong.length).toBeGreaterThanOrEqual(5);
    });

    for (const bug of wrong) {
      it(`fails "${bug}" on the cases it names`, async () => {
        const dir = path.join(root, bug);
        const header = step.files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
        const named = /^\/\/ Expected to fail: (.+)$/m.exec(header)?.[1]?.split(/,\s*/) ?? [];
        expect(named.length, 'the fixture names the cases that must catch it').toBeGreaterThan(0);

        const result = await runSuite({ step, targetDir: dir });
        expect(result.status).toBe('fail');
        const failing = result.tests.filter((t) => t.status !== 'pass').map((t) => t.name);
        for (const id of named) {
          expect(failing.some((name) => name.split(' > ').some((part) => part.startsWith(`${id} `))), `${id} fails on ${bug}`).toBe(true);
        }
        // And it is a near miss, not a stub: most of the suite still passes.
        expect(result.passed, 'a plausible wrong answer passes most tests').toBeGreaterThan(result.total / 2);
      });
    }
  });
}
