// One typed flag table per command yields both its parser and its help text.
import { parseArgs } from 'node:util';
import kleur from 'kleur';
import { ToolError } from '../errors.ts';

export interface Flag {
  type: 'boolean' | 'string';
  short?: string;
  description: string;
  /** Placeholder shown in help for a string flag, e.g. DIR. */
  value?: string;
  /** A string flag that may be repeated: its values arrive joined by commas. */
  multiple?: true;
}

export interface Context {
  cwd: string;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** Colour on: a TTY, no NO_COLOR, no --no-color. */
  color: boolean;
  /** Columns to wrap to (the terminal's width, at most 100). */
  width: number;
  /** Both stdin and stdout are terminals: prompts may be shown. */
  interactive: boolean;
  print(text?: string): void;
}

export interface Command {
  name: string;
  /** e.g. "[ID]" or "SUBMISSION..." */
  args: string;
  summary: string;
  example: string;
  flags: Record<string, Flag>;
  /** Everything after the first positional is passed on untouched (`run DEMO --json`: the demo's flag). */
  passThrough?: true;
  /** Returns the exit code. */
  run(ctx: Context, positionals: string[], flags: Record<string, string | boolean | undefined>): Promise<number>;
}

/** Flags every command takes. */
export const commonFlags: Record<string, Flag> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  'no-color': { type: 'boolean', description: 'plain text without colour (also: NO_COLOR=1)' },
};

export function parse(command: Command, argv: string[]) {
  const all = { ...commonFlags, ...command.flags };
  const options = Object.fromEntries(
    Object.entries(all).map(([name, flag]) => [name, { type: flag.type, ...(flag.short ? { short: flag.short } : {}), ...(flag.multiple ? { multiple: true } : {}) }]),
  );
  let parsed;
  let rest: string[] = [];
  if (command.passThrough) {
    const first = argv.findIndex((a) => !a.startsWith('-'));
    if (first !== -1) {
      rest = argv.slice(first + 1);
      argv = argv.slice(0, first + 1);
    }
  }
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ToolError('USAGE', (error as Error).message, `See \`learn-io ${command.name} --help\`.`);
  }
  // `args` says what is required: a bare name (ID) must be given; [ID] may be left out.
  const required = command.args.split(' ').filter((a) => /^[A-Z]/.test(a));
  if (!parsed.values.help && parsed.positionals.length < required.length) {
    const fix = required.some((a) => a.startsWith('ID')) ? 'See `learn-io list` for the ids.' : `See \`learn-io ${command.name} --help\`.`;
    throw new ToolError('USAGE', `\`learn-io ${command.name}\` needs ${required.join(' ')}.`, fix);
  }
  const values = Object.fromEntries(Object.entries(parsed.values).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
  return { values: values as Record<string, string | boolean | undefined>, positionals: [...parsed.positionals, ...rest] };
}

export function commandHelp(command: Command): string {
  const lines = [
    `${kleur.bold(`learn-io ${command.name}`)}${command.args ? ` ${command.args}` : ''}`,
    '',
    `  ${command.summary}`,
    '',
    kleur.bold('Options'),
  ];
  for (const [name, flag] of Object.entries({ ...command.flags, ...commonFlags })) {
    const left = `${flag.short ? `-${flag.short}, ` : '    '}--${name}${flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : ''}`;
    lines.push(`  ${left.padEnd(26)} ${flag.description}`);
  }
  lines.push('', kleur.bold('Example'), `  ${command.example}`);
  return lines.join('\n');
}
