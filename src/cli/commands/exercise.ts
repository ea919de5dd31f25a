// `hint`, `reset` and `solution`: help with one exercise.
import fs from 'node:fs';
import path from 'node:path';
import kleur from 'kleur';
import { stepPaths, workspaceExerciseDir } from '../../catalog.ts';
import { ToolError } from '../../errors.ts';
import { readProgress, updateStep } from '../../workspace/progress.ts';
import { backupFile, requireWorkspace } from '../../workspace/workspace.ts';
import type { Command } from '../command.ts';
import { currentExercise, render, requireExercise, shown } from '../shared.ts';

export const hint: Command = {
  name: 'hint',
  args: '[ID]',
  summary: 'the next of several graded hints for an exercise (the current one by default)',
  example: 'npx learn-io hint coroutine-switcher',
  flags: {},
  async run(ctx, args) {
    const ws = requireWorkspace(ctx.cwd);
    const step = currentExercise(readProgress(ws.progressFile), args[0]);
    const total = step.hints.length;
    if (total === 0) {
      ctx.print(`"${step.id}" has no hints.`);
      return 0;
    }
    let seen = 0;
    updateStep(ws.progressFile, step.id, (record) => {
      record.hintsSeen = Math.min((record.hintsSeen ?? 0) + 1, total);
      seen = record.hintsSeen;
    });
    const shownBefore = step.hints.slice(0, seen - 1);
    if (shownBefore.length > 0) {
      ctx.print(kleur.dim(`Hints you have seen for ${step.id}:`));
      ctx.print(kleur.dim(render({ ...ctx, color: false }, shownBefore.map((text, i) => `${i + 1}. ${text}`).join('\n'))));
      ctx.print();
    }
    ctx.print(kleur.bold(`Hint ${seen} of ${total} for ${step.id}`));
    ctx.print(render(ctx, step.hints[seen - 1]!));
    ctx.print(
      kleur.dim(
        seen < total
          ? `Run the command again for hint ${seen + 1}.`
          : `That was the last hint. Once your version passes, \`npx learn-io solution ${step.id}\` shows the reference.`,
      ),
    );
    return 0;
  },
};

export const reset: Command = {
  name: 'reset',
  args: 'ID',
  summary: "restore an exercise's stub (your file is backed up first)",
  example: 'npx learn-io reset coroutine-switcher',
  flags: {},
  async run(ctx, args) {
    const ws = requireWorkspace(ctx.cwd);
    const step = requireExercise(args[0]!);
    const dir = workspaceExerciseDir(ws.root, step);
    for (const file of step.files) {
      const mine = path.join(dir, file);
      const stub = fs.readFileSync(path.join(stepPaths(step).stubDir, file));
      if (fs.existsSync(mine)) {
        if (fs.readFileSync(mine).equals(stub)) {
          ctx.print(`${shown(ctx, mine)} is already the stub.`);
          continue;
        }
        ctx.print(`Saved your version as ${shown(ctx, backupFile(ws, mine))}`);
      }
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(mine, stub);
      ctx.print(`Restored ${shown(ctx, mine)} from the stub.`);
    }
    return 0;
  },
};

export const solution: Command = {
  name: 'solution',
  args: 'ID',
  summary: 'show the reference solution, once the exercise has passed',
  example: 'npx learn-io solution coroutine-switcher',
  flags: { force: { type: 'boolean', description: 'show it although the exercise has not passed yet' } },
  async run(ctx, args, flags) {
    const step = requireExercise(args[0]!);
    if (!flags.force) {
      const ws = requireWorkspace(ctx.cwd);
      if (!readProgress(ws.progressFile).steps[step.id]?.done) {
        throw new ToolError(
          'SOLUTION_LOCKED',
          `The reference solution of ${step.id} opens once your version passes \`npx learn-io check ${step.id}\`.`,
          'Try `npx learn-io hint` first; `--force` shows it anyway.',
          1,
        );
      }
    }
    for (const file of step.files) {
      const source = fs.readFileSync(path.join(stepPaths(step).referenceDir, file), 'utf8');
      ctx.print(render(ctx, `## solutions/${step.id}/${file}\n\n\`\`\`\`ts\n${source}\`\`\`\`\n`));
    }
    return 0;
  },
};
