// What several commands need: finding steps, the learner's position in the course, paths to show.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { course, findStep, isAvailable, type ExerciseStep, type Step } from '../catalog.ts';
import { ToolError } from '../errors.ts';
import { renderMarkdown } from '../render/markdown.ts';
import type { Progress } from '../workspace/progress.ts';
import type { Context } from './command.ts';

export function requireStep(id: string): Step {
  const step = findStep(id);
  if (!step) {
    const ids = course.map((s) => s.id).join(', ');
    throw new ToolError('UNKNOWN_STEP', `There is no step "${id}".`, `The steps are: ${ids}.`);
  }
  if (step.coming) {
    throw new ToolError('STEP_COMING', `"${id}" is not written yet: it is coming in a later release.`, 'See `learn-io list`.');
  }
  if (!isAvailable(step)) {
    throw new ToolError(
      'UNSUPPORTED_PLATFORM',
      `"${id}" needs ${step.platforms?.join(' or ')}; this is ${process.platform}.`,
      'On Windows, use WSL; see README.md.',
    );
  }
  return step;
}

export function requireExercise(id: string): ExerciseStep {
  const step = requireStep(id);
  if (step.kind !== 'exercise') {
    throw new ToolError('NOT_AN_EXERCISE', `"${id}" is a lesson, not an exercise.`, `Read it with \`learn-io read ${id}\`.`);
  }
  return step;
}

/** The first step of the course, in order, that is available here and not done. */
export function nextStep(progress: Progress): Step | undefined {
  return course.find((step) => isAvailable(step) && !progress.steps[step.id]?.done);
}

/**
 * The exercise a command without an ID means: the named one, else the first available exercise not
 * done yet, else (all done) the last one that is available.
 */
export function currentExercise(progress: Progress, id: string | undefined): ExerciseStep {
  if (id) return requireExercise(id);
  const exercises = course.filter((s): s is ExerciseStep => s.kind === 'exercise' && isAvailable(s));
  const open = exercises.find((s) => !progress.steps[s.id]?.done) ?? exercises[exercises.length - 1];
  if (!open) throw new ToolError('NOT_AN_EXERCISE', 'This course has no exercise available yet.');
  return open;
}

/** A path as the user should type it from where they are. */
export function shown(ctx: Context, file: string): string {
  const relative = path.relative(ctx.cwd, file);
  return relative && !relative.startsWith('..') ? relative : file;
}

/** A path quoted for a POSIX shell when it needs it, so a printed command can be pasted as is. */
export function quoted(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

export function render(ctx: Context, markdown: string): string {
  return renderMarkdown(markdown, { width: ctx.width, color: ctx.color });
}

/** What to run to continue after `step`, as one line. */
export function afterwards(progress: Progress): string {
  const step = nextStep(progress);
  if (!step) return 'You have done every step that is available. More are coming: see `npx learn-io list`.';
  return `Next: ${step.kind} "${step.title}". Run \`npx learn-io next\`.`;
}

/**
 * Prints a long text through a pager (`$PAGER`, else `less -R -F -X`) when a person is at a terminal
 * and the text is taller than it; otherwise prints it. Resolves once the reader has left the pager.
 */
export async function page(ctx: Context, text: string): Promise<void> {
  const rows = ctx.out.rows || 24;
  if (!ctx.interactive || text.split('\n').length < rows || process.env.LEARN_IO_PAGER === '0') {
    ctx.print(text);
    return;
  }
  const [command, ...args] = (process.env.PAGER || 'less -R -F -X').split(/\s+/).filter(Boolean);
  // Ctrl-C is the pager's to handle (less redraws): if it ended us, less would stay behind,
  // fighting the shell for the keyboard. git ignores it in the same way.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  const shownInPager = await new Promise<boolean>((resolve) => {
    const pager = spawn(command!, args, { stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'R', ...process.env } });
    pager.on('error', () => resolve(false)); // no pager here: print instead
    pager.on('exit', (code) => resolve(code === 0));
    pager.stdin!.on('error', () => {}); // the reader quit before the end: not our error
    pager.stdin!.end(`${text}\n`);
  });
  process.off('SIGINT', ignore);
  if (!shownInPager) ctx.print(text);
}
