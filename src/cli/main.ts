// The CLI's entry: parse, dispatch, and the only top-level catch.
import kleur from 'kleur';
import { ToolError } from '../errors.ts';
import { commandHelp, parse, type Command, type Context } from './command.ts';
import { check, watch } from './commands/check.ts';
import { classroom } from './commands/classroom.ts';
import { hint, reset, solution } from './commands/exercise.ts';
import { grade } from './commands/grade.ts';
import { init } from './commands/init.ts';
import { list, next, read } from './commands/next.ts';
import { review } from './commands/review.ts';
import { run } from './commands/run.ts';
import { serve } from './commands/serve.ts';

export const commands: Command[] = [init, next, list, read, run, check, watch, serve, hint, reset, solution, review, grade, classroom];

function makeContext(argv: string[]): Context {
  const out = process.stdout;
  // --no-color is passed on as NO_COLOR, which the prompt library and child processes also honour.
  if (argv.includes('--no-color')) process.env.NO_COLOR = '1';
  const color = out.isTTY === true && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  kleur.enabled = color;
  return {
    cwd: process.cwd(),
    out,
    err: process.stderr,
    color,
    width: Math.max(20, Math.min(out.columns || 80, 100)),
    interactive: process.stdin.isTTY === true && out.isTTY === true,
    print: (text = '') => out.write(`${text}\n`),
  };
}

function usage(): string {
  const lines = [
    `${kleur.bold('learn-io')}: a workbook on concurrency and I/O on Linux, for TypeScript programmers.`,
    '',
    `Start with ${kleur.cyan('npx learn-io next')}. Commands:`,
    '',
  ];
  for (const c of commands) lines.push(`  ${`${c.name} ${c.args}`.padEnd(22)} ${c.summary}`);
  lines.push('', `\`learn-io COMMAND --help\` tells more about one command.`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const ctx = makeContext(argv);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const about = name === 'help' && rest[0] ? commands.find((c) => c.name === rest[0]) : undefined;
    if (rest[0] && !about) {
      ctx.err.write(`${kleur.red('error')} There is no command "${rest[0]}".\n${usage()}\n`);
      return 2;
    }
    ctx.print(about ? commandHelp(about) : usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });
    ctx.print(pkg.version);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) throw new ToolError('USAGE', `There is no command "${name}".`, 'Run `learn-io --help` for the list.');
    const { values, positionals } = parse(command, rest);
    if (values.help) {
      ctx.print(commandHelp(command));
      return 0;
    }
    return await command.run(ctx, positionals, values);
  } catch (error) {
    if (error instanceof ToolError) {
      ctx.err.write(`${kleur.red('error')} ${error.message}\n`);
      if (error.fix) ctx.err.write(`${error.fix}\n`);
      return error.exitCode;
    }
    if (error instanceof Error && error.name === 'ExitPromptError') return 130; // Ctrl-C at a prompt
    ctx.err.write(`${kleur.red('learn-io failed unexpectedly.')} Please report this with the text below.\n`);
    ctx.err.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
}
