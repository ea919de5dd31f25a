// @ts-check
// The runner of a learner's server: `node serve.mjs MODULE` imports MODULE and calls its `main` with
// { host, port, ready }. The server calls ready(address) once it listens; that becomes one JSON line
// on descriptor 3 (the harness's channel, which the server's own output cannot reach), then the server
// serves until it is signalled. Plain JavaScript, so that nothing but the learner's file needs tsx.
//
// Environment: LEARN_IO_SERVE_HOST (127.0.0.1), LEARN_IO_SERVE_PORT (0), LEARN_IO_SERVE_CONFIG (JSON of
// more options for main, e.g. an FTP server's root and users), LEARN_IO_SERVE_NOFILE
// (raise the soft open-file limit to this, within the hard limit), LEARN_IO_ALLOW_SOLUTIONS=1 when the
// module is a reference solution.
import fs from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register as registerTsx } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = process.argv[2];
const CHANNEL = 3;

/** @param {object} message */
function report(message) {
  try {
    fs.writeSync(CHANNEL, `${JSON.stringify(message)}\n`);
  } catch {
    // no harness listening (run by hand): nothing to tell
  }
}

if (!file) {
  console.error('usage: node serve.mjs MODULE');
  process.exit(2);
}

// If whatever started us dies, even by SIGKILL, we must not outlive it: a learner's server blocked in
// select() never runs a JavaScript handler, so ask the kernel (prctl(2) PR_SET_PDEATHSIG) to send us
// SIGKILL when our parent goes. (Our own children are ended with our process group by the harness.)
if (process.platform === 'linux') {
  const { default: koffi } = await import('koffi');
  const prctl = koffi.load('libc.so.6').func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');
  const PR_SET_PDEATHSIG = 1;
  prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0);
  const parent = Number(process.env.LEARN_IO_PARENT_PID);
  if (parent && process.ppid !== parent) process.exit(1); // it died before we asked
}

registerTsx();
const hooks = {
  sys: pathToFileURL(path.join(root, 'src', 'sys', 'index.ts')).href,
  threads: pathToFileURL(path.join(root, 'src', 'threads', 'index.ts')).href,
  solutions: pathToFileURL(path.resolve(process.env.LEARN_IO_SOLUTIONS ?? path.join(root, 'solutions'))).href + '/',
  allowSolutions: process.env.LEARN_IO_ALLOW_SOLUTIONS === '1',
};
register(pathToFileURL(path.join(root, 'grader', 'harness', 'hooks.mjs')), { data: hooks });
// Worker threads the server starts (src/threads/boot.mjs) register the same hooks from here.
process.env.LEARN_IO_HOOKS = JSON.stringify(hooks);

// An error thrown later, from a callback, ends the server the same way as one thrown by main().
process.on('uncaughtException', (error) => crashed(error));
process.on('unhandledRejection', (error) => crashed(error));

/** @param {unknown} error */
function crashed(error) {
  report({ event: 'crashed', ready: readyOnce, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  console.error(error);
  process.exit(1);
}

const host = process.env.LEARN_IO_SERVE_HOST ?? '127.0.0.1';
const port = Number(process.env.LEARN_IO_SERVE_PORT ?? 0);
let readyOnce = false;

try {
  const sys = await import(pathToFileURL(path.join(root, 'src', 'sys', 'index.ts')).href);
  const nofile = Number(process.env.LEARN_IO_SERVE_NOFILE ?? 0);
  if (nofile > 0) sys.raiseOpenFileLimit(nofile);
  const mod = await import(pathToFileURL(path.resolve(file)).href);
  if (typeof mod.main !== 'function') {
    throw new Error(`${path.basename(file)} has no exported function main({ host, port, ready }): keep the stub's export`);
  }
  /** @param {{ host: string, port: number } | string} address */
  const ready = (address) => {
    if (readyOnce) return;
    readyOnce = true;
    const bound = typeof address === 'object' && address !== null ? address : undefined;
    if (!bound || typeof bound.port !== 'number' || bound.port <= 0) {
      throw new Error(`ready() wants the address the server listens on (listener.getsockname()), got ${JSON.stringify(address)}`);
    }
    report({ event: 'ready', host: bound.host, port: bound.port });
  };
  // Exercise-specific settings (an FTP server's root, users, pool size...) come as JSON from the harness.
  const config = process.env.LEARN_IO_SERVE_CONFIG ? JSON.parse(process.env.LEARN_IO_SERVE_CONFIG) : {};
  await mod.main({ ...config, host, port, ready });
  report({ event: 'returned', ready: readyOnce });
  console.error(`main() returned${readyOnce ? '' : ' without calling ready()'}: a server's main should serve until it is stopped`);
  process.exit(readyOnce ? 0 : 1);
} catch (error) {
  crashed(error);
}
