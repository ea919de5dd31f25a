// What Node does underneath: epoll_wait on the main thread, file reads on libuv's pool
//
// What it shows: a plain Node server (node:net, no runtime library), seen from
// the kernel's side. The demo starts this same file a second time with
// --serve, under `strace -f -T` (every thread, with the time spent in each
// call), and sends it two requests a few hundred ms apart. For each request
// the server reads a file with fs.readFile and answers with its size. The
// trace shows, by thread id:
//   - the main thread (the one that runs JavaScript) waits in epoll_pwait or
//     epoll_wait: libuv's event loop. Its sockets are non-blocking (accept4
//     with SOCK_NONBLOCK) and it reads them with read(2) only once epoll has
//     said they are ready: multiplexed I/O, as in the select demo;
//   - the file is opened, stat'ed, read and closed by other threads: libuv's
//     thread pool, four threads unless UV_THREADPOOL_SIZE says otherwise.
//     Each one then writes to an eventfd that the loop's epoll watches, which
//     wakes the main thread to run the callback.
// Shown: the main thread's calls from listen() on (without the epoll calls
// that only look, with a zero timeout, and find nothing) and the pool's calls
// on the file; lines cut to fit, at most 60. Where strace is missing, not on
// Linux, or not allowed to trace, the demo says so and exits 0.
// Bounded: the requests are done in about 1.5 s (0.5 s with
// LEARN_IO_DEMO_QUICK=1); the server stops by itself after 10 s in any case,
// and the demo kills it and strace after 20 s.
//
// Backs the lesson's claims about Node: network I/O is non-blocking and
// multiplexed on one thread (epoll), file I/O runs on libuv's thread pool
// because a regular file is always "ready" to select, poll and epoll.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatStraceCall, formatStraceTime, quick, StraceReader, straceUnavailable, tsxArgs, wrap } from '../../src/demo-kit.ts';

const STEP_MS = quick ? 100 : 300;
const REQUESTS = 2;
const SERVER_LIMIT_MS = 10_000;
const MAX_LINES = 60;
const self = fileURLToPath(import.meta.url);

// --- the server: run as `<this file> --serve FILE`, under strace --------------------------------------
// Node's own net server: every line of data is a request; the answer is the size of FILE, read with
// fs.readFile each time. It closes after REQUESTS connections have come and gone.
function serve(file: string): void {
  let done = 0;
  const server = net.createServer((conn) => {
    conn.on('data', () => {
      fs.readFile(file, (err, data) => conn.write(err ? `error ${err.code}\n` : `${data.length} bytes\n`));
    });
    conn.on('close', () => {
      if (++done === REQUESTS) server.close();
    });
    conn.on('error', () => conn.destroy());
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    console.log(`PORT ${port} PID ${process.pid}`); // the demo reads this line
  });
  setTimeout(() => process.exit(0), SERVER_LIMIT_MS).unref();
}

// --- the demo ----------------------------------------------------------------------------------------
async function main(): Promise<void> {
  const why = straceUnavailable();
  if (why) {
    console.log(`${why}\n\nThis demo needs strace to show the system calls; nothing else to do here.`);
    return;
  }
  // The file the server reads: this demo's own source, by a short relative path when possible.
  const file = path.relative(process.cwd(), self) || self;
  const calls = ['listen', 'epoll_pwait', 'epoll_pwait2', 'accept4', 'read', 'write', 'writev', 'openat', 'close', 'statx', 'fstat', 'newfstatat'];
  if (process.arch === 'x64') calls.push('epoll_wait', 'accept');
  const child = spawn(
    'strace',
    ['-f', '-T', '-qq', '-s', '16', '-e', 'signal=none', '-e', `trace=${calls.join(',')}`, process.execPath, ...tsxArgs(self), '--serve', file],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const killAll = () => child.kill('SIGKILL');
  process.on('exit', killAll);
  const limit = setTimeout(killAll, 20_000);

  console.log(
    `A Node net server (this file, --serve) runs under strace -f -T. Two clients\n` +
      `each send one request; for each, the server calls fs.readFile("${path.basename(file)}").\n` +
      'Columns: thread id, role, system call, time spent in it.\n',
  );

  const reader = new StraceReader();
  let mainTid: number | undefined; // the thread that calls listen(): Node's main thread
  let firstMainTid: number | undefined;
  let listenFd: string | undefined;
  let fileFd: string | undefined; // the descriptor openat() gave for the file, while it is open
  let eventFd: string | undefined; // what pool threads write 1 to, to wake the loop
  const poolTids = new Set<number>();
  const waits: number[] = [];
  let shown = 0;
  let hidden = 0;
  const show = (text: string) => {
    if (shown < MAX_LINES) {
      console.log(text);
      shown++;
    } else hidden++;
  };
  const fdOf = (args: string) => args.split(',')[0]!.trim();

  let buffered = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const call = reader.push(line);
      if (!call || call.tid === undefined) continue;
      if (mainTid === undefined) {
        if (call.name !== 'listen') continue; // Node starting up: not shown
        mainTid = firstMainTid = call.tid;
        listenFd = fdOf(call.args);
      }
      let role: string;
      if (call.tid === mainTid) {
        role = 'main';
        const look = /^epoll_p?wait2?$/.test(call.name) && / 0, NULL|, 0\)$| 0, NULL, \d+$/.test(call.args) && call.result.startsWith('0');
        if (look) continue; // a zero-timeout look that found nothing: libuv does one per loop turn
        if (/^epoll_p?wait2?$/.test(call.name) && call.seconds !== undefined) waits.push(call.seconds);
      } else {
        // Another thread: shown only when it works on the file (or signals the loop afterwards).
        const onFile = call.name === 'openat' ? call.args.includes(`"${file}"`) : fileFd !== undefined && fdOf(call.args) === fileFd;
        const signals = poolTids.has(call.tid) && call.name === 'write' && call.args.includes('"\\1\\0\\0\\0');
        if (!onFile && !signals) continue;
        role = 'pool';
        if (onFile) poolTids.add(call.tid);
        if (signals) eventFd = fdOf(call.args);
      }
      if (call.name === 'openat' && call.args.includes(`"${file}"`)) fileFd = call.result.split(' ')[0];
      else if (call.name === 'close' && fdOf(call.args) === fileFd) fileFd = undefined;
      show(`  ${String(call.tid).padStart(7)} ${role}  ${formatStraceCall(call, 52).padEnd(52)} ${formatStraceTime(call.seconds).padStart(8)}`);
      if (call.tid === mainTid && call.name === 'close' && fdOf(call.args) === listenFd) mainTid = -1; // then Node exits
    }
  });

  const port = await new Promise<number | undefined>((resolve) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => resolve(undefined));
  });
  if (port === undefined) {
    console.log('The server did not start.');
    clearTimeout(limit);
    return;
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const say = (text: string) => show(`  ${text}`);
  const request = (name: string) =>
    new Promise<void>((resolve, reject) => {
      say(`client ${name}: connect, send a request`);
      const s = net.connect({ host: '127.0.0.1', port }, () => s.write('size?\n'));
      s.setNoDelay(true);
      s.on('error', reject);
      s.once('data', (d) => {
        say(`client ${name}: got "${d.toString().trim()}"; close`);
        s.end(() => resolve());
      });
    });
  try {
    for (let i = 0; i < REQUESTS; i++) {
      await sleep(STEP_MS);
      await request(String.fromCharCode(65 + i));
    }
  } catch (e) {
    say(`a client failed: ${(e as Error).message}`);
  }
  await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', () => resolve())));
  clearTimeout(limit);
  if (hidden > 0) console.log(`  ... ${hidden} more lines not shown`);

  const pool = [...poolTids];
  const longest = waits.length ? Math.max(...waits) : 0;
  console.log(`\nWhat happened:`);
  const points = [
    `The main thread (${firstMainTid ?? '?'}, the one that runs JavaScript) waited in epoll ${waits.length} times, the longest ${formatStraceTime(longest)}: between requests it sat in epoll, not in read(). The epoll timeout is the time left to the next timer (-1 when there is none). That is libuv's event loop: one thread, many descriptors, as the select server did with select().`,
    'The sockets are non-blocking (accept4 with SOCK_NONBLOCK), and read(2) on them comes after epoll said they were ready: Node\'s network I/O is multiplexed I/O.',
    pool.length > 0
      ? `The file was opened, stat'ed, read and closed by ${pool.length === 1 ? 'thread' : 'threads'} ${pool.join(', ')}, never by the main thread: libuv's thread pool. fs.readFile is a chain of pool jobs (open, stat, read, close), each a round trip from the loop to the pool and back. The pool has ${process.env.UV_THREADPOOL_SIZE ?? 4} threads here (UV_THREADPOOL_SIZE sets how many). Each step blocks a pool thread, not the loop. A regular file is always "ready" to select, poll and epoll (epoll refuses one outright), so readiness cannot help with files; Node uses threads instead.`
      : 'No thread was seen opening the file (the trace may have been cut short).',
    eventFd
      ? `When a step is done, the pool thread writes 1 to descriptor ${eventFd}, an eventfd in the loop's epoll set: that wakes epoll on the main thread, which reads the eventfd and runs the callback.`
      : '',
  ].filter(Boolean);
  for (const p of points) console.log(wrap(p, 78, '    ').join('\n').replace(/^ {4}/, '  - '));
}

if (process.argv.includes('--serve')) serve(process.argv[process.argv.indexOf('--serve') + 1]!);
else await main();
