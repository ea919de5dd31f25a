// Classroom grading: `learn-io grade --jobs 2` on N submissions of the whole course (BENCH_GRADE_SUBMISSIONS,
// default 30: references, stubs, and halves of each), in submissions per minute, against the same
// submissions run straight through runSuite two at a time, as `review` does: no copy of the grading
// files, no integrity checks, no archive reading. The ratio is what isolation costs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { course, isAvailable, packageRoot, stepPaths, type ExerciseStep } from '../../src/catalog.ts';
import { runSuite } from '../../src/grader/run-suite.ts';
import { table } from '../../src/demo-kit.ts';

const bin = path.join(packageRoot, 'src', 'cli', 'bin.mjs');

/** N workspace-shaped folders: every third a reference, a stub, or the reference for every other exercise. */
function makeClass(dir: string, n: number, steps: ExerciseStep[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const ws = path.join(dir, `learner-${String(i + 1).padStart(2, '0')}`);
    steps.forEach((step, j) => {
      const from = i % 3 === 0 || (i % 3 === 2 && j % 2 === 0) ? stepPaths(step).referenceDir : stepPaths(step).stubDir;
      fs.mkdirSync(path.join(ws, 'exercises', step.id), { recursive: true });
      for (const file of step.files) fs.copyFileSync(path.join(from, file), path.join(ws, 'exercises', step.id, file));
    });
    fs.writeFileSync(path.join(ws, 'package.json'), '{ "type": "module" }\n');
    out.push(ws);
  }
  return out;
}

export async function benchGrade(n: number, jobs = 2): Promise<void> {
  const steps = course.filter((s): s is ExerciseStep => s.kind === 'exercise' && isAvailable(s));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-bench-class-'));
  try {
    const submissions = makeClass(dir, n, steps);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, 'grade', ...submissions, '--jobs', String(jobs), '--format', 'csv', '--out', path.join(dir, 'out')], {
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    const oursMin = (performance.now() - t0) / 60_000;
    if (r.status !== 0) throw new Error(`grade failed (${r.status}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);

    // The peer: the same suites on the same folders, two submissions at a time, each exercise in turn.
    const t1 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        for (let i = next++; i < submissions.length; i = next++) {
          for (const step of steps) await runSuite({ step, targetDir: path.join(submissions[i]!, 'exercises', step.id), verifyGrader: false });
        }
      }),
    );
    const peerMin = (performance.now() - t1) / 60_000;
    console.log(`\nClassroom grading: ${n} submissions of ${steps.length} exercises, ${jobs} at a time`);
    console.log(
      table(
        ['', 'submissions/min', 'wall time'],
        [
          ['learn-io grade (isolated)', (n / oursMin).toFixed(2), `${(oursMin * 60).toFixed(0)} s`],
          ['runSuite straight (as review)', (n / peerMin).toFixed(2), `${(peerMin * 60).toFixed(0)} s`],
          ['ratio grade / straight', (peerMin / oursMin).toFixed(2), ''],
        ],
      ).join('\n'),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
