// Starting, measuring and stopping a learner's server process, for the hidden suites of the server
// exercises (and for `learn-io serve`).
//
// The server runs as its own process group through serve.mjs, which calls the module's main() and
// passes on its ready(address) call as a JSON line on descriptor 3. So the harness never guesses a port
// and never sleeps a fixed time: it waits for that line, and if the process exits first or the line
// does not come within the limit, it fails at once with the end of the server's stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runner = path.join(root, 'grader', 'harness', 'serve.mjs');
const TAIL_BYTES = 4000;

/** The server did something that ends the test: exited, crashed, never became ready. The learner's fault. */
export class ServerFailure extends Error {
  override name = 'ServerFailure';
  constructor(message: string) {
    super(message);
    // No stack: where the harness noticed it means nothing to the learner.
    this.stack = `${this.name}: ${message}`;
  }
}

export interface StartOptions {
  /** The learner's module (absolute path); it must export main({ host, port, ready }). */
  module: string;
  /** Limit for the server to call ready(), in ms (tsx compiling the file is part of it). */
  readyTimeoutMs?: number;
  /** Raise the server's soft open-file limit to this (within the hard limit). */
  nofile?: number;
  /** A fixed port (for `learn-io serve`); 0, the default, lets the kernel choose a free one. */
  port?: number;
  /** Pass the server's stdout and stderr through instead of keeping a tail (for `learn-io serve`). */
  inherit?: boolean;
  /** More options for main() besides host, port and ready (JSON-serialisable): an FTP root, users, limits. */
  config?: Record<string, unknown>;
  /** More environment variables for the server process. */
  env?: NodeJS.ProcessEnv;
}

/** The module of an exercise under test: in LEARN_IO_TARGET (set by the grader) or the reference. */
export function targetModule(id: string, file: string): string {
  const dir = process.env.LEARN_IO_TARGET ?? path.join(root, 'solutions', id);
  return path.join(path.resolve(dir), file);
}

// `learn-io grade` runs from a copy of the grading files and names the package's own solutions/ here.
const solutionsDir = path.resolve(process.env.LEARN_IO_SOLUTIONS ?? path.join(root, 'solutions'));
const isReference = (module: string) => path.resolve(module).startsWith(solutionsDir + path.sep);

/** A running server: where it listens, what it prints, what it costs, and how to stop it. */
export class ServerProcess {
  #stderr = '';
  #stdout = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #crash: string | undefined;
  readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly module: string,
  ) {
    child.stderr?.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString('utf8')).slice(-TAIL_BYTES)));
    child.stdout?.on('data', (d: Buffer) => (this.#stdout = (this.#stdout + d.toString('utf8')).slice(-TAIL_BYTES)));
    this.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        resolve();
      }),
    );
  }

  host = '127.0.0.1';
  port = 0;

  get pid(): number {
    return this.child.pid!;
  }

  /** How the process ended, or undefined while it runs. */
  get exit() {
    return this.#exit;
  }

  /** @internal set from the channel */
  noteCrash(error: string): void {
    this.#crash = error;
  }

  /** The end of the server's stderr (and its last uncaught error), for messages. */
  stderrTail(lines = 15): string {
    const text = this.#stderr.trimEnd().split('\n').slice(-lines).join('\n');
    return text || '(nothing on stderr)';
  }

  stdoutTail(lines = 10): string {
    return this.#stdout.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Whether the process is still running. */
  alive(): boolean {
    return this.#exit === undefined;
  }

  /** One sentence on how the server died, with its stderr tail; '' while it runs. */
  death(): string {
    if (!this.#exit) return '';
    const how = this.#exit.signal ? `was killed by ${this.#exit.signal}` : `exited with code ${this.#exit.code}`;
    const crash = this.#crash ? ` after an uncaught ${this.#crash.replace(/\.$/, '')}` : '';
    if (this.child.stderr === null) return `The server ${how}${crash}.`; // its stderr went to the terminal
    return `The server ${how}${crash}. The end of its stderr:\n${indent(this.stderrTail())}`;
  }

  /** The descriptors the server process holds open now (Linux: /proc/PID/fd). Throws ServerFailure once it is gone. */
  openDescriptors(): number {
    return this.#proc(() => fs.readdirSync(`/proc/${this.pid}/fd`).length);
  }

  // Reads /proc/PID/...; a server that has died meanwhile becomes a ServerFailure that says so.
  #proc<T>(read: () => T): T {
    try {
      if (this.#exit) throw new Error('exited');
      return read();
    } catch {
      throw new ServerFailure(this.death() || `The server (pid ${this.pid}) is not running any more.`);
    }
  }

  /** Resident memory in bytes (VmRSS of /proc/PID/status). */
  rssBytes(): number {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(this.#proc(() => fs.readFileSync(`/proc/${this.pid}/status`, 'utf8')));
    return m ? Number(m[1]) * 1024 : 0;
  }

  /** CPU time used so far, user + system, all threads, in ms (/proc/PID/stat, in clock ticks of 10 ms). */
  cpuMs(): number {
    const stat = this.#proc(() => fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14 and 15 of proc(5))
  }

  /**
   * Ends the server's whole process group: SIGTERM, then SIGKILL after `graceMs`. Resolves with the
   * pids of the group still alive after that (should be none).
   */
  async stop(graceMs = 1000): Promise<number[]> {
    signalGroup(this.pid, 'SIGTERM');
    const ended = await Promise.race([this.exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!ended) signalGroup(this.pid, 'SIGKILL');
    await Promise.race([this.exited, delay(2000)]);
    signalGroup(this.pid, 'SIGKILL'); // anything it started that outlived it
    await delay(20);
    return groupMembers(this.pid);
  }
}

const running = new Set<ServerProcess>();
process.on('exit', () => {
  for (const s of running) signalGroup(s.pid, 'SIGKILL');
});

/**
 * Starts the server in `module` and resolves once it has called ready(address); rejects with a
 * ServerFailure (saying why, with its stderr tail) if it exits or stays silent past `readyTimeoutMs`.
 */
export function startServer(options: StartOptions): Promise<ServerProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LEARN_IO_SERVE_HOST: '127.0.0.1',
    LEARN_IO_SERVE_PORT: String(options.port ?? 0),
    LEARN_IO_ALLOW_SOLUTIONS: isReference(options.module) ? '1' : '0',
    LEARN_IO_PARENT_PID: String(process.pid),
    NODE_OPTIONS: '',
  };
  if (options.nofile) env.LEARN_IO_SERVE_NOFILE = String(options.nofile);
  if (options.config) env.LEARN_IO_SERVE_CONFIG = JSON.stringify(options.config);
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [runner, options.module], {
    cwd: path.dirname(options.module),
    env,
    detached: true,
    stdio: ['ignore', options.inherit ? 'inherit' : 'pipe', options.inherit ? 'inherit' : 'pipe', 'pipe'],
  });
  const server = new ServerProcess(child, options.module);
  running.add(server);
  void server.exited.then(() => running.delete(server));
  const limit = options.readyTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void server.stop(200).then(() => reject(new ServerFailure(why)));
    };
    const timer = setTimeout(() => {
      let cpu = NaN;
      try {
        cpu = server.cpuMs();
      } catch {
        // gone meanwhile
      }
      const busy = cpu > limit / 2;
      const why = busy
        ? `It used ${cpu} ms of CPU meanwhile: a loop that runs before ready() is called?`
        : `It used ${Number.isNaN(cpu) ? 'little' : `${cpu} ms of`} CPU meanwhile, so it was waiting: does main() call ready(listener.getsockname()) ` +
          'once it listens, before its loop? (Do not call main() yourself at the end of the file: the harness calls it.)';
      const out = server.stdoutTail();
      fail(
        `The server did not call ready(address) within ${limit} ms of starting. ${why}` +
          (out ? `\nThe end of its stdout:\n${indent(out)}` : '') +
          `\nThe end of its stderr:\n${indent(server.stderrTail())}`,
      );
    }, limit);
    const channel = child.stdio[3] as NodeJS.ReadableStream;
    channel.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let msg: { event?: string; port?: number; host?: string; error?: string };
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.event === 'ready' && !settled) {
          settled = true;
          clearTimeout(timer);
          server.port = msg.port!;
          server.host = msg.host ?? '127.0.0.1';
          resolve(server);
        } else if (msg.event === 'crashed') server.noteCrash(msg.error ?? 'error');
      }
    });
    void server.exited.then(() => fail(`The server stopped before it was ready. ${server.death()}`));
  });
}

/** The live pids whose process group is `pgid` (Linux /proc). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

/** One descriptor in a process's epoll interest list, as /proc/PID/fdinfo shows it (proc(5)). */
export interface EpollRegistration {
  /** The epoll instance's descriptor in that process. */
  epfd: number;
  /** The watched descriptor. */
  fd: number;
  /** The registered event mask (EPOLLIN 0x1, EPOLLOUT 0x4, EPOLLRDHUP 0x2000, EPOLLET 0x80000000...). */
  events: number;
  /** Whether the watched descriptor is a listening socket (it shares the first port the process bound). */
  listening: boolean;
}

/**
 * The epoll registrations of TCP sockets in process `pid`, read from the kernel's /proc/PID/fdinfo
 * (Linux). Node's own event loop has an epoll instance too, but it watches pipes and the like, so
 * keeping TCP sockets only leaves the server's own registrations.
 */
export function epollRegistrations(pid: number): EpollRegistration[] {
  const out: EpollRegistration[] = [];
  const { listening: listeners, all: tcp } = tcpInodes(pid);
  for (const entry of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${entry}`);
    } catch {
      continue;
    }
    if (target !== 'anon_inode:[eventpoll]') continue;
    const info = fs.readFileSync(`/proc/${pid}/fdinfo/${entry}`, 'utf8');
    for (const m of info.matchAll(/^tfd:\s+(\d+)\s+events:\s+([0-9a-f]+)/gm)) {
      const fd = Number(m[1]);
      let inode = '';
      try {
        inode = /socket:\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '';
      } catch {
        // closed meanwhile
      }
      if (tcp.has(inode)) out.push({ epfd: Number(entry), fd, events: parseInt(m[2]!, 16), listening: listeners.has(inode) });
    }
  }
  return out;
}

// Inodes of TCP sockets, and of those in LISTEN state (st 0A), from /proc/PID/net/tcp and tcp6.
function tcpInodes(pid: number): { listening: Set<string>; all: Set<string> } {
  const listening = new Set<string>();
  const all = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (!cols[9] || cols[9] === '0') continue;
      all.add(cols[9]);
      if (cols[3] === '0A') listening.add(cols[9]);
    }
  }
  return { listening, all };
}
