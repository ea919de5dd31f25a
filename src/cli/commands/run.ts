// `run DEMO` / `run --list`: the runnable demos that back the lessons' claims.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import kleur from 'kleur';
import { course, demoPath, findDemo, isAvailable, packageRoot } from '../../catalog.ts';
import { ToolError } from '../../errors.ts';
import type { Command } from '../command.ts';

/** A demo is bounded by design; this limit only stops a broken one. */
const DEMO_LIMIT_MS = 120_000;

export const run: Command = {
  name: 'run',
  args: '[DEMO]',
  summary: "run a lesson's demo (real system calls, real timings); --list shows them",
  example: 'npx learn-io run interleave',
  flags: { list: { type: 'boolean', description: 'list the demos, lesson by lesson' } },
  // `run wait-cost --json`: flags after the demo's name are the demo's.
  passThrough: true,
  async run(ctx, args, flags) {
    if (flags.list || !args[0]) {
      for (const step of course) {
        if (step.kind !== 'lesson' || !isAvailable(step) || step.demos.length === 0) continue;
        ctx.print(kleur.bold(`${step.title} (${step.id})`));
        const width = Math.max(...step.demos.map((d) => d.id.length));
        for (const demo of step.demos) ctx.print(`  ${kleur.cyan(demo.id.padEnd(width))}  ${demo.title}`);
      }
      ctx.print(kleur.dim('\nRun one with `npx learn-io run DEMO`.'));
      return flags.list ? 0 : 2; // without --list, a missing DEMO is a usage error
    }
    const found = findDemo(args[0]);
    if (!found || !fs.existsSync(demoPath(args[0]))) {
      throw new ToolError('UNKNOWN_STEP', `There is no demo "${args[0]}".`, 'See `npx learn-io run --list`.');
    }
    // On stderr, so that a demo's own output (`--json`) stays clean on stdout.
    ctx.err.write(kleur.dim(`demo ${found.demo.id}: ${found.demo.title} (from the lesson "${found.lesson.title}")\n\n`));
    // Its own process group, so whatever it starts ends with it.
    const quiet = new URL('../quiet-epipe.mjs', import.meta.url).href;
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx/esm'), '--import', quiet, demoPath(args[0]), ...args.slice(1)], {
      cwd: packageRoot,
      stdio: 'inherit',
      detached: true,
    });
    const stop = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    const limit = setTimeout(() => {
      ctx.err.write(kleur.red(`\nThe demo ran past ${DEMO_LIMIT_MS / 1000} s and was stopped.\n`));
      stop('SIGKILL');
    }, DEMO_LIMIT_MS);
    const onSigint = () => stop('SIGINT');
    process.on('SIGINT', onSigint);
    const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 128 : 1))));
    clearTimeout(limit);
    process.off('SIGINT', onSigint);
    stop('SIGKILL'); // anything it left behind in its group
    return code;
  },
};
