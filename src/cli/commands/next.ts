// `next`, `list` and `read`: moving through the course.
import fs from 'node:fs';
import path from 'node:path';
import kleur from 'kleur';
import { course, isAvailable, stepPaths, workspaceExerciseDir, type ExerciseStep, type LessonStep } from '../../catalog.ts';
import { ToolError } from '../../errors.ts';
import { renderMarkdown } from '../../render/markdown.ts';
import { extractQuiz, type QuizQuestion } from '../../render/quiz.ts';
import { readProgress, updateStep, type Progress, type QuizRecord } from '../../workspace/progress.ts';
import { createWorkspace, noWorkspaceError, resolveWorkspace, workspaceAt, workspaceConflicts, type Workspace } from '../../workspace/workspace.ts';
import type { Command, Context } from '../command.ts';
import { afterwards, nextStep, page, quoted, render, requireStep, shown } from '../shared.ts';

export const next: Command = {
  name: 'next',
  args: '',
  summary: 'show the next step: a lesson to read, or an exercise with the file to edit',
  example: 'npx learn-io next',
  flags: {},
  async run(ctx) {
    const ws = resolveWorkspace(ctx.cwd) ?? (await offerWorkspace(ctx));
    if (!ws) return 1;
    const progress = readProgress(ws.progressFile);
    const step = nextStep(progress);
    if (!step) {
      ctx.print(afterwards(progress));
      return 0;
    }
    if (step.kind === 'lesson') return showLesson(ctx, ws, step);
    await showExercise(ctx, ws, step);
    return 0;
  },
};

/** No workspace: in a terminal, offer to make one; otherwise say what to run, and fail. */
async function offerWorkspace(ctx: Context): Promise<Workspace | null> {
  const missing = noWorkspaceError(ctx.cwd);
  if (!ctx.interactive) throw missing;
  ctx.print(missing.message);
  const { confirm, input } = await import('@inquirer/prompts'); // loaded only when a prompt is shown
  if (!(await confirm({ message: 'Create a workspace for the course now?', default: true }))) {
    ctx.print(`Nothing was created. ${missing.fix}`);
    return null;
  }
  const dir = await input({ message: 'Folder for it:', default: 'learn-io-course' });
  const root = path.resolve(ctx.cwd, dir || 'learn-io-course');
  const conflicts = workspaceConflicts(root);
  if (conflicts.length > 0) {
    throw new ToolError('WORKSPACE_EXISTS', `${shown(ctx, root)} already has files of a workspace (${shown(ctx, conflicts[0]!)}).`, 'Pick another folder, or see `npx learn-io init --help`.');
  }
  createWorkspace(root, { force: false });
  ctx.print(`Made a workspace in ${shown(ctx, root)}. From now on, run learn-io inside it: cd ${quoted(shown(ctx, root))}`);
  ctx.print();
  return workspaceAt(root);
}

async function showLesson(ctx: Context, ws: Workspace, step: LessonStep): Promise<number> {
  const { body, questions } = extractQuiz(fs.readFileSync(stepPaths(step).lesson, 'utf8'));
  await page(ctx, render(ctx, body));
  let quiz: QuizRecord | undefined;
  if (questions.length > 0) {
    if (ctx.interactive) quiz = await askQuiz(ctx, step, questions);
    else ctx.print(kleur.dim(`(This lesson ends with a ${questions.length}-question quiz: run \`npx learn-io read ${step.id}\` in a terminal to take it.)`));
  }
  const progress = updateStep(ws.progressFile, step.id, (record) => {
    record.done = new Date().toISOString();
    if (quiz) record.quiz = quiz;
  });
  ctx.print();
  ctx.print(render(ctx, `**Lesson "${step.title}" done.** ${afterwards(progress)}`));
  return 0;
}

/** In a terminal, offers a lesson's quiz when it has one that was never answered, and records it. */
async function offerQuiz(ctx: Context, ws: Workspace | null, step: LessonStep, questions: QuizQuestion[]): Promise<void> {
  if (!ctx.interactive || !ws || questions.length === 0) return;
  if (readProgress(ws.progressFile).steps[step.id]?.quiz) return;
  const quiz = await askQuiz(ctx, step, questions);
  updateStep(ws.progressFile, step.id, (record) => {
    record.quiz = quiz;
  });
}

async function askQuiz(ctx: Context, step: LessonStep, questions: QuizQuestion[]): Promise<QuizRecord> {
  const { select } = await import('@inquirer/prompts');
  ctx.print();
  ctx.print(kleur.bold(`Quiz: ${questions.length} question${questions.length > 1 ? 's' : ''}`));
  const answers: number[] = [];
  let correct = 0;
  for (const [i, q] of questions.entries()) {
    const choice = await select({
      message: `${i + 1}. ${q.question}`,
      choices: q.choices.map((c, index) => ({ name: c.text, value: index })),
      // The prompt's own ✔ would read as "right" before we say whether it was.
      theme: { prefix: { idle: '?', done: '·' } },
    });
    answers.push(choice);
    const right = q.choices[choice]?.correct === true;
    if (right) correct++;
    const answer = q.choices.find((c) => c.correct)?.text ?? '';
    ctx.print(right ? kleur.green('  Right.') : `${kleur.yellow('  Not quite.')} The answer: ${answer}`);
    if (q.explanation) ctx.print(indent(renderMarkdown(q.explanation, { width: ctx.width - 2, color: ctx.color }), '  '));
  }
  ctx.print(`${correct} of ${questions.length} right.${correct < questions.length ? ` \`npx learn-io read ${step.id}\` shows the lesson again.` : ''}`);
  return { answers, correct, total: questions.length, at: new Date().toISOString() };
}

async function showExercise(ctx: Context, ws: Workspace, step: ExerciseStep): Promise<void> {
  const dir = workspaceExerciseDir(ws.root, step);
  const task = path.join(dir, 'README.md');
  await page(ctx, render(ctx, fs.readFileSync(fs.existsSync(task) ? task : stepPaths(step).task, 'utf8')));
  ctx.print();
  const rows: [string, string][] = [
    ['Edit', step.files.map((f) => shown(ctx, path.join(dir, f))).join(', ')],
    ['Check', `npx learn-io check ${step.id}`],
    ['Re-check on save', `npx learn-io watch ${step.id}`],
    ['Stuck', `npx learn-io hint ${step.id}  (${step.hints.length} hints, one at a time)`],
  ];
  for (const [label, text] of rows) ctx.print(`${kleur.bold(label.padEnd(17))} ${kleur.cyan(text)}`);
}

export const list: Command = {
  name: 'list',
  args: '',
  summary: 'the course, in order, with your progress',
  example: 'npx learn-io list --json',
  flags: { json: { type: 'boolean', description: 'print the list as JSON' } },
  async run(ctx, _args, flags) {
    const ws = resolveWorkspace(ctx.cwd);
    const progress: Progress = ws ? readProgress(ws.progressFile) : { version: 1, steps: {} };
    const upNext = nextStep(progress);
    const rows = course.map((step, index) => {
      const record = progress.steps[step.id] ?? {};
      const status = step.coming
        ? 'coming'
        : !isAvailable(step)
          ? 'unavailable'
          : record.done
            ? 'done'
            : step === upNext
              ? 'next'
              : 'todo';
      return {
        index: index + 1,
        id: step.id,
        kind: step.kind,
        title: step.title,
        status,
        ...(step.kind === 'exercise' ? { bonus: step.bonus === true, hintsSeen: record.hintsSeen ?? 0, hints: step.hints.length } : {}),
        ...(record.done ? { done: record.done } : {}),
        ...(record.quiz ? { quiz: { correct: record.quiz.correct, total: record.quiz.total } } : {}),
        ...(record.checks ? { checks: record.checks } : {}),
        ...(record.lastCheck ? { lastCheck: record.lastCheck } : {}),
      };
    });
    if (flags.json) {
      ctx.print(JSON.stringify({ workspace: ws?.root ?? null, steps: rows }, null, 2));
      return 0;
    }
    const mark: Record<string, [string, (s: string) => string]> = {
      done: ['✓ done', kleur.green],
      next: ['▶ next', kleur.cyan],
      todo: ['  todo', (s) => s],
      coming: ['  coming', kleur.dim],
      unavailable: ['  n/a', kleur.dim],
    };
    const idWidth = Math.max(...course.map((s) => s.id.length));
    for (const row of rows) {
      const dim = row.status === 'coming' || row.status === 'unavailable' ? kleur.dim : (s: string) => s;
      const extra = row.quiz ? kleur.dim(` quiz ${row.quiz.correct}/${row.quiz.total}`) : '';
      ctx.print(
        `${String(row.index).padStart(2)}  ${mark[row.status]![1](mark[row.status]![0].padEnd(8))} ` +
          dim(`${row.id.padEnd(idWidth)}  ${row.kind.padEnd(8)} ${row.title}`) +
          extra,
      );
    }
    if (!ws) ctx.print(kleur.dim('\nNo workspace here, so no progress is shown. Start with `npx learn-io next`.'));
    return 0;
  },
};

export const read: Command = {
  name: 'read',
  args: 'ID',
  summary: "render a lesson (or an exercise's task) in the terminal",
  example: 'npx learn-io read coroutines',
  flags: {},
  async run(ctx, args) {
    const step = requireStep(args[0]!);
    const file = step.kind === 'lesson' ? stepPaths(step).lesson : stepPaths(step).task;
    const { body, questions } = extractQuiz(fs.readFileSync(file, 'utf8'));
    await page(ctx, render(ctx, body));
    if (step.kind === 'lesson') await offerQuiz(ctx, resolveWorkspace(ctx.cwd), step, questions);
    return 0;
  },
};

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}
