// Small helpers the lessons' demos share (lessons/demos/*.ts): numbers, tables, a peer process.
// Demos stay readable top to bottom; whatever is not the point of a demo lives here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** LEARN_IO_DEMO_QUICK=1 (set by the project's tests): demos shrink their sizes and repetitions. */
export const quick = process.env.LEARN_IO_DEMO_QUICK === '1';

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]! ) / 2;
}

/** A duration given in ns, in the unit that reads best: "850 ns", "12.4 µs", "3.1 ms", "1.20 s". */
export function formatNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns >= 100) return `${ns.toFixed(0)} ns`;
  return `${ns.toFixed(1)} ns`;
}

/** Process CPU time (user + system) in ms since `since` (a process.cpuUsage() reading), or since start. */
export function cpuMs(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

/**
 * Lines of a text table: a header row, a rule, then the rows. Columns are right-aligned when every
 * cell below the header looks like a number, left-aligned otherwise.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+( ?[a-zµ%x]+)?$|^n\/a$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** A horizontal bar of `value` against `max`, at most `width` characters ('#' per step). */
export function bar(value: number, max: number, width = 40): string {
  const n = max > 0 ? Math.round((value / max) * width) : 0;
  return '#'.repeat(Math.max(value > 0 ? 1 : 0, Math.min(width, n)));
}

/**
 * Runs a small JavaScript program (ES module source) in a separate Node process: the peer a demo
 * talks to while its own thread is blocked in a system call. Its stdout and stderr go to the demo's,
 * prefixed; it is killed when the demo exits, and after `limitMs` in any case.
 */
export function peer(source: string, args: readonly string[] = [], limitMs = 20_000): ChildProcess {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source, '--', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  const limit = setTimeout(() => child.kill('SIGKILL'), limitMs);
  limit.unref();
  child.on('exit', () => clearTimeout(limit));
  process.on('exit', () => child.kill('SIGKILL'));
  return child;
}

/** Sleeps the calling thread (not just this task) for `ms`: a real blocking wait, for demos that need one. */
export function sleepThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The context switches the kernel has counted for the calling thread (/proc/thread-self/status, Linux):
 * `voluntary` when it gave up the CPU to wait (blocked in a system call, slept), `involuntary` when the
 * scheduler preempted it. undefined where /proc is missing.
 */
export function contextSwitches(): { voluntary: number; involuntary: number } | undefined {
  try {
    const status = readFileSync('/proc/thread-self/status', 'utf8');
    const voluntary = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1]);
    const involuntary = Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1]);
    return Number.isFinite(voluntary) && Number.isFinite(involuntary) ? { voluntary, involuntary } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * JavaScript source to paste into a `peer` program: defines `lookAt(pid)`, which reads the main thread
 * of process `pid` from the outside, in /proc (Linux), and returns
 *   { state: 'S', stateName: 'sleeping', syscall: 'recvfrom' | 'number 7' | 'none' | undefined,
 *     wchan: 'wait_woken' | undefined, runNs: 123456 | undefined }
 * or undefined where /proc is missing. `syscall` needs ptrace rights over the process and is
 * undefined where they are refused; `runNs` is the CPU time the thread has run in all (schedstat):
 * exact for a sleeping thread, a few ms stale for a running one.
 */
export const lookAtSource = `
import { readFileSync as __read } from 'node:fs';
const __STATES = { R: 'running', S: 'sleeping', D: 'sleeping, uninterruptible', T: 'stopped', t: 'stopped (traced)' };
const __CALLS = {
  x64: { 0: 'read', 7: 'poll', 23: 'select', 43: 'accept', 45: 'recvfrom', 202: 'futex', 232: 'epoll_wait', 270: 'pselect6', 271: 'ppoll', 281: 'epoll_pwait', 288: 'accept4' },
  arm64: { 22: 'epoll_pwait', 63: 'read', 72: 'pselect6', 73: 'ppoll', 98: 'futex', 202: 'accept', 207: 'recvfrom', 242: 'accept4' },
}[process.arch] ?? {};
function lookAt(pid) {
  const dir = '/proc/' + pid + '/task/' + pid + '/';
  const get = (f) => { try { return __read(dir + f, 'utf8').trim(); } catch { return undefined; } };
  const stat = get('stat');
  if (stat === undefined) return undefined;
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  const sc = get('syscall');
  const nr = sc === undefined ? undefined : sc.split(' ')[0];
  const syscall = nr === undefined ? undefined : nr === 'running' || nr === '-1' ? 'none' : (__CALLS[nr] ?? 'number ' + nr);
  const w = get('wchan');
  const run = get('schedstat');
  return { state, stateName: __STATES[state] ?? '?', syscall, wchan: w && w !== '0' ? w : undefined, runNs: run === undefined ? undefined : Number(run.split(' ')[0]) };
}
`;

/**
 * Why `strace` cannot trace here, as a note for the learner (not Linux, not installed, ptrace refused),
 * or undefined when it can.
 */
export function straceUnavailable(): string | undefined {
  if (process.platform !== 'linux') {
    return `strace is a Linux tool, and this is ${process.platform}.\n(On macOS, dtruss shows system calls, with SIP relaxed.)`;
  }
  const version = spawnSync('strace', ['-V'], { encoding: 'utf8', timeout: 5000 });
  if (version.error) {
    return 'strace is not installed. Install it (Debian, Ubuntu: sudo apt-get install strace;\n' + 'Fedora: sudo dnf install strace) and run this demo again.';
  }
  const trial = spawnSync('strace', ['-qq', '-e', 'trace=none', 'true'], { encoding: 'utf8', timeout: 5000 });
  if (trial.status !== 0) {
    const why = (trial.stderr ?? '').trim().split('\n')[0] ?? '';
    return (
      `strace is installed but cannot trace here:\n  ${why || `strace exited with status ${trial.status}`}\n` +
      'ptrace is often refused inside containers: run the container with --cap-add=SYS_PTRACE,\n' +
      'or check /proc/sys/kernel/yama/ptrace_scope on the host.'
    );
  }
  return undefined;
}

/** The arguments that make Node run a TypeScript file as `learn-io run` does: ['--import', tsx, file]. */
export function tsxArgs(file: string): string[] {
  return ['--import', import.meta.resolve('tsx/esm'), file];
}

/** One system call from strace's output. */
export interface StraceCall {
  /** The thread that made it (strace -f prints "[pid N]"); undefined without -f. */
  tid?: number;
  name: string;
  args: string;
  /** The return value and what strace says about it: "3", "-1 EAGAIN (...)", "1 (in [5])". */
  result: string;
  /** Time spent in the call (strace -T), in seconds. */
  seconds?: number;
}

/**
 * Reads strace's output line by line (with -f, -T or neither) and returns whole calls: a call that
 * strace split into "<unfinished ...>" and "<... name resumed>" (another thread ran meanwhile) comes
 * back once, joined, when it ends. Lines that are not system calls (signals, exits) give undefined.
 */
export class StraceReader {
  #pending = new Map<number, string>();

  push(line: string): StraceCall | undefined {
    let rest = line.trim();
    let tid: number | undefined;
    const pid = /^\[pid\s+(\d+)\]\s*/.exec(rest) ?? /^(\d+)\s+(?=[a-z_0-9]+\(|<\.\.\.)/.exec(rest);
    if (pid) {
      tid = Number(pid[1]);
      rest = rest.slice(pid[0].length);
    }
    const key = tid ?? 0;
    if (rest.endsWith('<unfinished ...>')) {
      this.#pending.set(key, rest.slice(0, -'<unfinished ...>'.length).replace(/ $/, '')); // strace adds one space
      return undefined;
    }
    const resumed = /^<\.\.\. [a-z_0-9]+ resumed>\s?/.exec(rest);
    if (resumed) {
      const start = this.#pending.get(key);
      this.#pending.delete(key);
      if (start === undefined) return undefined;
      rest = start + rest.slice(resumed[0].length);
    }
    const m = /^([a-z_0-9]+)\((.*)\)\s+=\s+(.*?)(?:\s+<(\d+\.\d+)>)?$/.exec(rest);
    if (!m) return undefined;
    return { tid, name: m[1]!, args: m[2]!, result: m[3]!, seconds: m[4] === undefined ? undefined : Number(m[4]) };
  }
}

/**
 * A call as one short line: socket addresses as "{AF_INET, 127.0.0.1:5000}", time limits as "{0.5 s}",
 * epoll events as "{EPOLLIN, 7}" (events, data), then cut to `width` columns (with "…") if still too long.
 */
export function formatStraceCall(call: StraceCall, width: number): string {
  const args = call.args
    .replace(/\{sa_family=(AF_INET6?), sin6?_port=htons\((\d+)\), (?:sin6_flowinfo=[^,]+, )?sin6?_addr=inet(?:_addr\("|_pton\(AF_INET6, ")([^"]+)"\)[^}]*\}/g, '{$1, $3:$2}')
    .replace(/\{events=([A-Z|]+), data=\{u32=(\d+), u64=\d+\}\}/g, '{$1, $2}')
    .replace(/\{tv_sec=(\d+), tv_(n|u)sec=(\d+)\}/g, (_, s: string, unit: string, frac: string) => `{${(Number(s) + Number(frac) / (unit === 'n' ? 1e9 : 1e6)).toFixed(3)} s}`);
  // select/pselect6 also report the time left ("left {...}"); -T already says how long the call took.
  const result = call.result.replace(/, left \{[^}]*\}/, '');
  let text = `${call.name}(${args}) = ${result}`;
  if (text.length > width) {
    const tail = ` = ${result}`;
    const room = width - tail.length - call.name.length - 3;
    text = room > 4 ? `${call.name}(${args.slice(0, room)}…)${tail}` : `${text.slice(0, width - 1)}…`;
  }
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** The time strace -T printed for a call (seconds, µs resolution), in the unit that reads best. */
export function formatStraceTime(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  const us = seconds * 1e6;
  if (us < 1000) return `${Math.round(us)} µs`;
  return seconds < 1 ? `${(us / 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`;
}

/** `text` wrapped at spaces to lines of at most `width` columns, each line prefixed by `indent`. */
export function wrap(text: string, width = 78, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/**
 * The timings the stall demos (lessons/demos/stall-*.ts) share: tickers want to wake every `tickMs`;
 * one task starts its pause at `pauseAtMs` and pauses `pauseMs`; a round lasts `roundMs`.
 */
export const stallTiming = quick
  ? { tickMs: 10, pauseAtMs: 50, pauseMs: 100, roundMs: 250 }
  : { tickMs: 10, pauseAtMs: 100, pauseMs: 300, roundMs: 500 };

/** What one round of a stall demo measured. Times in ms. */
export interface StallRound {
  label: string;
  /** How long the pause took, measured around it. */
  pausedMs: number;
  /** CPU time the whole process used while the pause lasted (a child process's CPU is not counted). */
  cpuMs: number;
  /** perf_hooks.monitorEventLoopDelay over the round: percentiles of the time between its own ticks. */
  delay: { p50: number; p99: number; max: number; samples: number };
  /** The worst lateness of a ticker's wake-up: woke this much later than it asked. */
  worstLateMs: number;
  /** Wake-ups of all tickers together during the round. */
  wakeUps: number;
  /** One character per `tickMs` of the round: '|' while the tickers ran, '.' in a gap over 1.5 ticks. */
  strip: string;
}

/**
 * One round of a stall demo: three async tickers want to wake every `tickMs` until the round ends,
 * while one more task waits `pauseAtMs`, then calls `pause()` (awaited if it returns a promise).
 * Meanwhile Node's own event-loop monitor samples the loop. A cooperative pause lets the loop run on;
 * a blocking one (a busy loop, Atomics.wait, execSync) stops it and every task with it.
 */
export async function stallRound(label: string, pause: () => unknown, tickers = 3): Promise<StallRound> {
  const { tickMs, pauseAtMs, roundMs } = stallTiming;
  const nap = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  // The monitor arms a repeating libuv timer every `resolution` ms and records, in ns, the time
  // between two of its ticks: about `resolution` on an idle loop, more when the loop was held up.
  const monitor = monitorEventLoopDelay({ resolution: tickMs });
  const late: number[] = [];
  const ran: number[] = [];
  let pausedMs = 0;
  let cpu = 0;
  const t0 = performance.now();
  monitor.enable();

  // The tickers start a third of a tick apart, so that between them the loop is seen every few ms.
  const ticker = async (i: number): Promise<void> => {
    if (i > 0) await nap((i * tickMs) / tickers);
    ran.push(performance.now() - t0);
    while (performance.now() - t0 < roundMs) {
      const asked = performance.now();
      await nap(tickMs);
      const now = performance.now();
      late.push(now - asked - tickMs);
      ran.push(now - t0);
    }
  };
  const pauser = async (): Promise<void> => {
    await nap(pauseAtMs);
    const cpu0 = process.cpuUsage();
    const p0 = performance.now();
    await pause();
    pausedMs = performance.now() - p0;
    cpu = cpuMs(cpu0);
  };
  await Promise.all([...Array.from({ length: tickers }, (_, i) => ticker(i)), pauser()]);
  monitor.disable();

  const slots = Math.ceil(roundMs / tickMs);
  const strip = Array.from({ length: slots }, () => '.');
  // A slot is '|' when the tickers ran in it or across it with no gap longer than 1.5 ticks:
  // timer jitter leaves no hole; a stall does.
  const mark = (from: number, to: number) => {
    for (let s = Math.floor(from / tickMs); s <= Math.floor(to / tickMs) && s < slots; s++) strip[s] = '|';
  };
  const times = [...ran].sort((a, b) => a - b);
  times.forEach((t, i) => {
    const next = times[i + 1];
    mark(t, next !== undefined && next - t <= 1.5 * tickMs ? next : t);
  });
  const ms = (ns: number) => ns / 1e6;
  return {
    label,
    pausedMs,
    cpuMs: cpu,
    delay: { p50: ms(monitor.percentile(50)), p99: ms(monitor.percentile(99)), max: ms(monitor.max), samples: monitor.count },
    worstLateMs: Math.max(...late),
    wakeUps: late.length,
    strip: strip.join(''),
  };
}

/** The results of stall rounds as lines: a table of the figures, then each round's wake-up strip. */
export function stallReport(rounds: readonly StallRound[]): string[] {
  const { tickMs, roundMs } = stallTiming;
  const rows = rounds.map((r) => [
    r.label,
    r.delay.p50.toFixed(1),
    r.delay.p99.toFixed(1),
    r.delay.max.toFixed(1),
    `${r.worstLateMs.toFixed(0)} ms`,
    String(r.wakeUps),
    `${r.cpuMs.toFixed(0)} ms`,
  ]);
  const width = Math.max(...rounds.map((r) => r.label.length));
  return [
    ...table(['the pause', 'p50', 'p99', 'max', 'worst late', 'wake-ups', 'CPU'], rows).map((l) => `  ${l}`),
    '',
    `  p50, p99, max: event-loop delay in ms, from monitorEventLoopDelay, which`,
    `  ticks every ${tickMs} ms (an idle loop reads about ${tickMs}). worst late: the tickers'`,
    `  latest wake-up. CPU: used by this process while the pause lasted.`,
    '',
    `  When did a ticker run? One mark per ${tickMs} ms of the ${roundMs} ms round`,
    `  ('|': the tickers ran, '.': none ran for over ${1.5 * tickMs} ms):`,
    ...rounds.map((r) => `  ${r.label.padEnd(width)}  ${r.strip}`),
  ];
}
