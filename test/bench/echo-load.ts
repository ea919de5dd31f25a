// The echo load test of `npm run bench`: the select-server, epoll-server and hub (coroutine) references against Node's
// own `net` echo server (test/bench/net-echo.mjs), each started through the harness exactly as the
// hidden suites start a learner's server. Closed-loop clients from grader/harness/load.ts.
//
// Figures: messages per second, p50/p99 latency, and the server's CPU time per message, each also as
// a ratio to net's. One load generator thread saturates near 100k messages/s here, so CPU per message
// is the figure that shows the difference.
import path from 'node:path';
import { packageRoot } from '../../src/catalog.ts';
import { echoLoad, type LoadResult } from '../../grader/harness/load.ts';
import { startServer } from '../../grader/harness/server.ts';

const servers = {
  net: path.join(packageRoot, 'test', 'bench', 'net-echo.mjs'),
  select: path.join(packageRoot, 'solutions', 'select-server', 'server.ts'),
  epoll: path.join(packageRoot, 'solutions', 'epoll-server', 'server.ts'),
  hub: path.join(packageRoot, 'solutions', 'hub', 'server.ts'),
} as const;
type Name = keyof typeof servers;

interface Scenario {
  label: string;
  active: number;
  idle: number;
  /** select() cannot hold this many descriptors below FD_SETSIZE. */
  skipSelect?: boolean;
}

const scenarios: Scenario[] = [
  { label: '10 connections', active: 10, idle: 0 },
  { label: '100 connections', active: 100, idle: 0 },
  { label: '1,000 connections', active: 1000, idle: 0, skipSelect: true },
  { label: '10 active + 1,000 idle', active: 10, idle: 1000, skipSelect: true },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(name: Name, s: Scenario, runs: number, durationMs: number): Promise<LoadResult> {
  const results: LoadResult[] = [];
  for (let i = 0; i < runs; i++) {
    const server = await startServer({ module: servers[name], nofile: 4096 });
    try {
      results.push(await echoLoad(server, { active: s.active, idle: s.idle, durationMs }));
    } finally {
      await server.stop(500);
    }
  }
  // The run with the median CPU per message, so the row's figures belong together.
  const m = median(results.map((r) => r.cpuPerMessageUs));
  return results.find((r) => r.cpuPerMessageUs === m)!;
}

/** Runs every scenario and prints the table; returns the rows for a caller that wants them. */
export async function benchEchoLoad(runs = 3, durationMs = 1500): Promise<Record<string, Partial<Record<Name, LoadResult>>>> {
  console.log(`\necho load (closed loop, 64-byte messages, ${durationMs} ms per run, median of ${runs} runs by CPU per message)`);
  const head = ['scenario', 'server', 'msg/s', 'p50 µs', 'p99 µs', 'CPU µs/msg', 'vs net: msg/s', 'p99', 'CPU/msg'];
  const rows: string[][] = [];
  const all: Record<string, Partial<Record<Name, LoadResult>>> = {};
  for (const s of scenarios) {
    const byServer: Partial<Record<Name, LoadResult>> = {};
    for (const name of ['net', 'select', 'epoll', 'hub'] as Name[]) {
      if (name === 'select' && s.skipSelect) continue;
      byServer[name] = await measure(name, s, runs, durationMs);
    }
    all[s.label] = byServer;
    const base = byServer.net!;
    for (const [name, r] of Object.entries(byServer) as [Name, LoadResult][]) {
      const ratio = (a: number, b: number) => (name === 'net' ? '1.00x' : `${(a / b).toFixed(2)}x`);
      rows.push([
        s.label,
        name + (r.failedConnections ? ` (${r.failedConnections} refused)` : ''),
        Math.round(r.perSecond).toLocaleString('en-US'),
        r.p50Us.toFixed(0),
        r.p99Us.toFixed(0),
        r.cpuPerMessageUs.toFixed(2),
        ratio(r.perSecond, base.perSecond),
        ratio(r.p99Us, base.p99Us),
        ratio(r.cpuPerMessageUs, base.cpuPerMessageUs),
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log('(CPU per message is the server process\'s own user+system time from /proc, in clock ticks of 10 ms.)');
  return all;
}


