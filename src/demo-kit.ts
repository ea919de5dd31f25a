// Small helpers the lessons' demos share (lessons/demos/*.ts): numbers, tables, a peer process.
// Demos stay readable top to bottom; whatever is not the point of a demo lives here.
import { spawn, type ChildProcess } from 'node:child_process';

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
