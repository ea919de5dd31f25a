// execSync runs a child and blocks until it ends: the event loop stops meanwhile
//
// What it shows: three async tickers (coroutines on Node's event loop) want to
// wake every 10 ms, and Node's own monitor (perf_hooks.monitorEventLoopDelay)
// samples how long the loop takes to come round. A fourth task, 100 ms in, runs
// the shell command `sleep 0.3` in a child process. Three rounds:
//   1. `await setTimeout(300)`: a cooperative wait, the baseline;
//   2. `execSync('sleep 0.3')`: Node starts the child and does not return
//      until it has exited. The waiting is the child's, but our one thread
//      is stuck in the call, so every task and timer waits too;
//   3. `await execFile('sleep', ['0.3'])` (promisified): the same child,
//      awaited. The task yields; libuv notices the child's exit (SIGCHLD) and
//      resumes it. *Sync APIs in Node are the un-patched calls of gevent.
// Bounded: about 2 s (under 1 s with LEARN_IO_DEMO_QUICK=1); stops by itself.
// Needs a `sleep` command (Linux, macOS, WSL).
//
// Backs the lesson's claims C05 and C10 (a blocking call is not seen by the
// scheduler and stalls every task; the asynchronous API of the same job is).
import { execFile, execSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { quick, stallReport, stallRound, stallTiming } from '../../src/demo-kit.ts';

const { pauseMs, pauseAtMs, tickMs } = stallTiming;
const seconds = String(pauseMs / 1000); // `sleep` takes seconds: '0.3'
const execFileAsync = promisify(execFile);

console.log(
  `Three tickers want to wake every ${tickMs} ms. At ${pauseAtMs} ms a fourth task\nruns the command 'sleep ${seconds}' in a child process.` +
    (quick ? '\n(quick mode: shorter times than the lesson quotes)' : '') +
    '\n',
);

const rounds = [
  await stallRound(`await setTimeout(${pauseMs})`, () => sleep(pauseMs)),
  await stallRound(`execSync('sleep ${seconds}')`, () => execSync(`sleep ${seconds}`)),
  await stallRound(`await execFile(sleep)`, () => execFileAsync('sleep', [seconds])),
];
for (const line of stallReport(rounds)) console.log(line);

const [coop, blocked, child] = rounds as [(typeof rounds)[0], (typeof rounds)[0], (typeof rounds)[0]];
console.log(`
What happened:
  - await setTimeout: the loop's longest gap was ${coop.delay.max.toFixed(1)} ms; tickers on time.
  - execSync: starting the shell and waiting for it took ${blocked.pausedMs.toFixed(0)} ms, all inside
    one call. The child did the sleeping, but our thread waited for it and
    ran nothing else: longest gap ${blocked.delay.max.toFixed(0)} ms, a ticker ${blocked.worstLateMs.toFixed(0)} ms late.
  - await execFile: the same child, ${child.pausedMs.toFixed(0)} ms, but the task yielded while it ran;
    worst lateness ${child.worstLateMs.toFixed(0)} ms. In a server, execSync in one request handler
    freezes every other connection for as long as the child runs. The same
    goes for readFileSync on a slow disk and every other *Sync call.`);
