// `init [DIR]`: make a workspace.
import path from 'node:path';
import kleur from 'kleur';
import { ToolError } from '../../errors.ts';
import { createWorkspace, workspaceConflicts } from '../../workspace/workspace.ts';
import type { Command } from '../command.ts';
import { quoted, shown } from '../shared.ts';

export const init: Command = {
  name: 'init',
  args: '[DIR]',
  summary: 'make a workspace: the exercise stubs, your progress file, editor settings',
  example: 'npx learn-io init my-course',
  flags: {
    force: { type: 'boolean', description: 'replace existing exercise files (your versions are backed up first)' },
  },
  async run(ctx, args, flags) {
    const root = path.resolve(ctx.cwd, args[0] || 'learn-io-course');
    const conflicts = workspaceConflicts(root);
    if (conflicts.length > 0 && !flags.force) {
      throw new ToolError(
        'WORKSPACE_EXISTS',
        `${shown(ctx, root)} already has ${conflicts.length} of the workspace's files (${conflicts.map((f) => shown(ctx, f)).slice(0, 3).join(', ')}${conflicts.length > 3 ? ', …' : ''}).`,
        `Nothing was changed. Carry on there with \`cd ${quoted(shown(ctx, root))} && npx learn-io next\`, or pass --force to restore the exercise stubs (your files are backed up in .learn-io/backups/; progress is kept).`,
      );
    }
    const result = createWorkspace(root, { force: flags.force === true });
    const files = `${result.written.length} file${result.written.length === 1 ? '' : 's'} written`;
    ctx.print(`${result.backups.length > 0 || result.kept.length > 0 ? 'Updated the' : 'Made a'} learn-io workspace in ${kleur.bold(shown(ctx, root))} (${files}).`);
    for (const backup of result.backups) ctx.print(`Your earlier version is saved as ${shown(ctx, backup)}`);
    ctx.print();
    ctx.print(`Next: ${kleur.cyan(`cd ${quoted(shown(ctx, root))} && npm install && npx learn-io next`)}`);
    ctx.print(kleur.dim('(npm install gives the workspace its own learn-io, for npx and for your editor.)'));
    return 0;
  },
};
