// `serve [ID]`: runs your server of a server exercise on a fixed port, the way the hidden tests start
// it (same runner, same ready() handshake), so you can talk to it with nc, curl or an FTP client.
import fs from 'node:fs';
import kleur from 'kleur';
import path from 'node:path';
import { workspaceExerciseDir } from '../../catalog.ts';
import { ToolError } from '../../errors.ts';
import { ServerFailure, startServer } from '../../../grader/harness/server.ts';
import { readProgress } from '../../workspace/progress.ts';
import { requireWorkspace } from '../../workspace/workspace.ts';
import type { Command } from '../command.ts';
import { currentExercise, shown } from '../shared.ts';

/** The port `serve` uses unless told otherwise (the hidden suites' by-hand commands name it). */
export const SERVE_PORT = 7007;

export const serve: Command = {
  name: 'serve',
  args: '[ID]',
  summary: "run your server (a server exercise's) on 127.0.0.1:7007 to try it by hand; Ctrl-C stops it",
  example: 'npx learn-io serve select-server',
  flags: { port: { type: 'string', value: 'PORT', description: `the port to listen on (default ${SERVE_PORT}; 0 for any free one)` } },
  async run(ctx, args, flags) {
    const ws = requireWorkspace(ctx.cwd);
    const step = currentExercise(readProgress(ws.progressFile), args[0]);
    if (!step.server) {
      throw new ToolError('USAGE', `"${step.id}" is not a server exercise.`, 'Name one: `npx learn-io serve select-server`.');
    }
    const port = flags.port === undefined ? SERVE_PORT : Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ToolError('USAGE', `--port must be a port number, not "${String(flags.port)}".`);
    const module = path.join(workspaceExerciseDir(ws.root, step), step.server);
    if (!fs.existsSync(module)) {
      throw new ToolError('FILE_MISSING', `${shown(ctx, module)} is missing.`, `Restore the stub with \`npx learn-io reset ${step.id}\`.`);
    }
    ctx.print(kleur.dim(`starting ${shown(ctx, module)} ...`));
    let server;
    try {
      server = await startServer({ module, port, inherit: true, nofile: 4096 });
    } catch (e) {
      if (e instanceof ServerFailure) {
        ctx.err.write(`${kleur.red(e.message)}\n`);
        if (/EADDRINUSE/.test(e.message)) {
          ctx.err.write(`Port ${port} is taken (an earlier \`serve\` still running?). Pick another: \`npx learn-io serve ${step.id} --port ${port + 1}\`.\n`);
        }
        return 1;
      }
      throw e;
    }
    ctx.print(`${kleur.green('listening')} on 127.0.0.1:${server.port} (pid ${server.pid}). Try, in another terminal:`);
    if (step.tryIt) ctx.print(`  ${step.tryIt.replaceAll('{port}', String(server.port))}`);
    ctx.print(kleur.dim('Ctrl-C stops it.'));
    const stop = () => void server.stop(500);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    await server.exited;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    const exit = server.exit!;
    if (exit.signal === 'SIGTERM' || exit.signal === 'SIGKILL') {
      ctx.print(kleur.dim('\nstopped.'));
      return 0;
    }
    ctx.err.write(`${kleur.red(`\nyour server ended by itself: ${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`}`)}\n`);
    return 1;
  },
};
