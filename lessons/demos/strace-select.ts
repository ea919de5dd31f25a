// The system calls of a small select() server, live under strace
//
// What it shows: a select()-based echo server, written with the runtime
// library, seen from the kernel's side. The demo starts this same file a
// second time with --serve, under `strace -T` (every call of the server's
// main thread, with the time spent inside it), then drives it with two
// clients that connect, send a line, read the echo and leave, a few hundred
// ms apart. Between the clients' steps you see, one line per system call:
//   socket, setsockopt, bind, listen, fcntl(O_NONBLOCK)   setting up
//   pselect6 (glibc's select) ... = 1 <0.3 s>            the one place it waits
//   accept4 / recvfrom / sendto / close <µs>              never wait
// and a count of each call at the end. Only the trace from the server's
// socket() on is shown, lines cut to fit the terminal, at most 60 of them.
// Where strace is missing, not on Linux, or not allowed to trace (ptrace
// refused, as in many containers), the demo says so and exits 0.
// Bounded: the clients are done in about 1.5 s (0.5 s with
// LEARN_IO_DEMO_QUICK=1); the server stops by itself after 10 s in any case,
// and the demo kills it and strace after 20 s.
//
// Backs the lesson's claim C19 (a multiplexing server blocks in select, then
// reads with a second system call that does not wait; its sockets are
// non-blocking), and shows the trace the exercise `select-server` will have.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { formatStraceCall, formatStraceTime, quick, StraceReader, straceUnavailable, tsxArgs, wrap } from '../../src/demo-kit.ts';
import { BlockingIOError, createServer, select, type InetAddress, type Socket } from '../../src/sys/index.ts';

const STEP_MS = quick ? 100 : 300;
const CLIENTS = 2;
const SERVER_LIMIT_MS = 10_000;
const MAX_LINES = 60;

// --- the server: run as `<this file> --serve`, under strace ------------------------------------------
// An echo server over select(): the listening socket and every connection are non-blocking, and the
// thread waits in one place only, select(). It stops after CLIENTS connections have come and gone.
function serve(): void {
  const listener = createServer({ host: '127.0.0.1', port: 0 }, { blocking: false });
  const { port } = listener.getsockname() as InetAddress;
  console.log(`PORT ${port}`); // the demo reads this line
  const conns: Socket[] = [];
  let served = 0;
  const deadline = performance.now() + SERVER_LIMIT_MS;
  while (served < CLIENTS && performance.now() < deadline) {
    const [readable] = select([listener, ...conns], [], [], 1000);
    for (const sock of readable) {
      if (sock === listener) {
        try {
          const [conn] = listener.accept();
          conn.setblocking(false);
          conns.push(conn);
        } catch (e) {
          if (!(e instanceof BlockingIOError)) throw e; // the client went away already
        }
        continue;
      }
      const data = sock.recv(4096);
      if (data.length > 0) {
        sock.send(data); // a few bytes to an empty send buffer: it takes them all
        continue;
      }
      conns.splice(conns.indexOf(sock), 1);
      sock.close();
      served++;
    }
  }
  for (const c of conns) c.close();
  listener.close();
}

// --- the demo: start the server under strace, drive it, print its system calls ----------------------
async function main(): Promise<void> {
  const why = straceUnavailable();
  if (why) {
    console.log(`${why}\n\nThis demo needs strace to show the system calls; nothing else to do here.`);
    return;
  }
  // x86-64 has a select system call, but glibc's select() may use pselect6; arm64 has only pselect6.
  const calls = ['socket', 'setsockopt', 'bind', 'listen', 'fcntl', 'pselect6', 'accept4', 'recvfrom', 'sendto', 'close'];
  if (process.arch === 'x64') calls.push('select', 'accept');
  const file = fileURLToPath(import.meta.url);
  const child = spawn('strace', ['-T', '-qq', '-s', '24', '-e', 'signal=none', '-e', `trace=${calls.join(',')}`, process.execPath, ...tsxArgs(file), '--serve'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killAll = () => child.kill('SIGKILL');
  process.on('exit', killAll);
  const limit = setTimeout(killAll, 20_000);

  console.log(
    'A select() echo server (this file, --serve) runs under strace -T. Two clients\n' +
      'connect, send a line, read the echo and close. Each server system call is\n' +
      'shown as it happens, with the time spent in it on the right.\n',
  );

  // strace writes to stderr; its tracee (the server) writes its port to stdout.
  const reader = new StraceReader();
  const counts = new Map<string, number>();
  let showing = false; // from the server's socket(AF_INET, ...) on: before it is Node starting up
  let listenFd: string | undefined;
  let shown = 0;
  let hidden = 0;
  const show = (text: string) => {
    if (shown < MAX_LINES) {
      console.log(text);
      shown++;
    } else hidden++;
  };
  let buffered = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const call = reader.push(line);
      if (!call) {
        if (showing && line.trim() && !line.startsWith('+++') && !line.startsWith('---')) show(`  server! ${line.slice(0, 70)}`);
        continue;
      }
      if (!showing && call.name === 'socket' && call.args.startsWith('AF_INET')) {
        showing = true;
        listenFd = call.result.split(' ')[0];
      }
      if (!showing) continue;
      counts.set(call.name, (counts.get(call.name) ?? 0) + 1);
      show(`  strace  ${formatStraceCall(call, 59).padEnd(59)} ${formatStraceTime(call.seconds).padStart(8)}`);
      if (call.name === 'close' && call.args === listenFd) showing = false; // then Node shuts down
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
    console.log('The server did not start (see the lines above).');
    clearTimeout(limit);
    return;
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const say = (text: string) => show(`  ${text}`);
  const connect = (name: string) =>
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.setNoDelay(true);
      s.on('error', reject);
      say(`client ${name}: connect`);
    });
  const echo = (name: string, s: net.Socket, text: string) =>
    new Promise<void>((resolve) => {
      s.once('data', (d) => {
        say(`client ${name}: got back "${d.toString().trim()}"`);
        resolve();
      });
      say(`client ${name}: send "${text}"`);
      s.write(`${text}\n`);
    });
  const close = (name: string, s: net.Socket) =>
    new Promise<void>((resolve) => {
      say(`client ${name}: close`);
      s.end(() => resolve());
    });

  try {
    await sleep(STEP_MS);
    const a = await connect('A');
    await sleep(STEP_MS);
    await echo('A', a, 'hello');
    await sleep(STEP_MS);
    const b = await connect('B');
    await echo('B', b, 'bonjour');
    await sleep(STEP_MS);
    await close('A', a);
    await sleep(STEP_MS);
    await close('B', b);
  } catch (e) {
    say(`a client failed: ${(e as Error).message}`);
  }
  await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.on('exit', () => resolve())));
  clearTimeout(limit);
  if (hidden > 0) console.log(`  ... ${hidden} more lines not shown`);

  const summary = wrap(`system calls from socket() to the listener's close(): ${[...counts].map(([name, n]) => `${name} ${n}`).join(', ')}`, 78, '  ').join('\n');
  const selects = (counts.get('pselect6') ?? 0) + (counts.get('select') ?? 0);
  const reads = counts.get('recvfrom') ?? 0;
  console.log(`
${summary}

What happened:
  - Setting up: socket, setsockopt(SO_REUSEADDR), bind, listen, then
    fcntl(F_SETFL, O_NONBLOCK) on the listener and on every accepted socket.
  - The server waits in one place only: ${selects} select calls (strace shows
    pselect6, the system call glibc's select() uses here). Their times on the
    right are the pauses between the clients' steps. An accept4, recvfrom or
    sendto takes microseconds: select() already said it would not wait.
  - Every read is two calls: a select that waits (or returns at once when
    data is already there), then a recvfrom that copies (${reads} recvfrom in all,
    each after a select). A recvfrom that returns 0 is a client's end of
    stream; close follows.
  - recv() and send() in the library are recvfrom and sendto to the kernel:
    glibc implements them with those system calls on Linux.`);
}

if (process.argv.includes('--serve')) serve();
else await main();
