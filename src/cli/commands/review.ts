// `review [ID]`: every hidden suite against the reference (all must pass) and the untouched stub
// (the suite must fail), as a matrix with timings. The maintainer's check; `npm test` runs it.
import os from 'node:os';
import kleur from 'kleur';
import { course, isAvailable, stepPaths, type ExerciseStep } from '../../catalog.ts';
import type { SuiteResult } from '../../grader/model.ts';
import { runSuite } from '../../grader/run-suite.ts';
import type { Command } from '../command.ts';
import { requireExercise } from '../shared.ts';

export interface ReviewCell {
  target: 'solution' | 'stub';
  /** The suite did what it must: pass on the solution, fail on the stub. */
  ok: boolean;
  status: SuiteResult['status'];
  passed: number;
  total: number;
  durationMs: number;
  /** Tests that broke the rule: failing on the solution, or passing on the stub. */
  offenders: string[];
  error?: SuiteResult['error'];
}

export interface ReviewRow {
  exercise: string;
  solution: ReviewCell;
  stub: ReviewCell;
}

export async function reviewExercise(step: ExerciseStep): Promise<ReviewRow> {
  const paths = stepPaths(step);
  const [solution, stub] = await Promise.all([
    runSuite({ step, targetDir: paths.referenceDir }),
    runSuite({ step, targetDir: paths.stubDir }),
  ]);
  return { exercise: step.id, solution: cell('solution', solution), stub: cell('stub', stub) };
}

function cell(target: ReviewCell['target'], result: SuiteResult): ReviewCell {
  const ok = target === 'solution' ? result.status === 'pass' : result.status === 'fail';
  const offenders = result.tests
    .filter((t) => (target === 'solution' ? t.status !== 'pass' : t.status === 'pass'))
    .map((t) => `${t.name}${t.message && target === 'solution' ? `: ${t.message.split('\n')[0]}` : ''}`);
  return {
    target,
    ok,
    status: result.status,
    passed: result.passed,
    total: result.total,
    durationMs: Math.round(result.durationMs),
    offenders,
    ...(result.error ? { error: result.error } : {}),
  };
}

export const review: Command = {
  name: 'review',
  args: '[ID]',
  summary: 'instructors: every hidden suite must pass on solutions/ and fail on the stubs',
  example: 'npx learn-io review --json',
  flags: { json: { type: 'boolean', description: 'print the matrix as JSON' } },
  async run(ctx, args, flags) {
    const steps = args[0]
      ? [requireExercise(args[0])]
      : course.filter((s): s is ExerciseStep => s.kind === 'exercise' && isAvailable(s));
    // Two suites at a time per two cores: each is a Vitest process with its own worker.
    const rows: ReviewRow[] = [];
    const width = Math.max(1, Math.floor(os.availableParallelism() / 2));
    for (let i = 0; i < steps.length; i += width) rows.push(...(await Promise.all(steps.slice(i, i + width).map(reviewExercise))));
    const ok = rows.every((r) => r.solution.ok && r.stub.ok);
    if (flags.json) {
      ctx.print(JSON.stringify({ ok, exercises: rows }, null, 2));
      return ok ? 0 : 1;
    }
    const idWidth = Math.max(8, ...rows.map((r) => r.exercise.length));
    ctx.print(kleur.bold(`${'exercise'.padEnd(idWidth)}  ${'solution (must pass)'.padEnd(26)}  stub (must fail)`));
    for (const row of rows) {
      const show = (c: ReviewCell) => {
        const text = `${c.ok ? '✓' : '✗'} ${c.passed}/${c.total} passed  ${(c.durationMs / 1000).toFixed(1)} s`;
        return (c.ok ? kleur.green : kleur.red)(text.padEnd(26));
      };
      ctx.print(`${row.exercise.padEnd(idWidth)}  ${show(row.solution)}  ${show(row.stub)}`);
      for (const c of [row.solution, row.stub]) {
        if (c.error) ctx.print(kleur.magenta(`    ${c.target}: grader error: ${c.error.message}${c.error.detail ? `\n      ${c.error.detail.split('\n')[0]}` : ''}`));
        // A solution test that fails is wrong; a stub test that passes is worth a look, no more.
        const paint = c.target === 'solution' ? kleur.red : kleur.dim;
        for (const o of c.offenders.slice(0, 10)) ctx.print(paint(`    ${c.target}: ${c.target === 'solution' ? 'fails' : 'passes'}: ${o}`));
      }
    }
    ctx.print();
    ctx.print(ok ? kleur.green('Every suite passes on its solution and fails on its stub.') : kleur.red('Some cells are wrong (see above).'));
    return ok ? 0 : 1;
  },
};
