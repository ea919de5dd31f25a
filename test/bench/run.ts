// npm run bench: our code and a peer in the same run, as ratios; medians of several runs.
//
// 1. `learn-io check coroutine-switcher` on the reference solution, whole command, wall time.
// 2. A switch ping-pong through the reference switcher against a plain generator ping-pong.
//    One "switch" is one transfer of control; a round trip main -> greenlet -> main is two, and so
//    is one gen.next() (resume, then yield back).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/catalog.ts';
import { Greenlet } from '../../solutions/coroutine-switcher/switcher.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bin = path.join(packageRoot, 'src', 'cli', 'bin.mjs');

function benchCheck(runs: number): number[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-bench-'));
  try {
    const init = spawnSync(process.execPath, [bin, 'init', dir], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
    fs.copyFileSync(
      path.join(packageRoot, 'solutions', 'coroutine-switcher', 'switcher.ts'),
      path.join(dir, 'exercises', 'coroutine-switcher', 'switcher.ts'),
    );
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [bin, 'check', 'coroutine-switcher'], { cwd: dir, encoding: 'utf8' });
      times.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`check did not pass on the reference:\n${r.stdout}\n${r.stderr}`);
    }
    return times;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** ns per switch through the reference switcher: main and one greenlet hand a counter back and forth. */
function switcherPingPong(roundTrips: number): number {
  const g = new Greenlet(function* (n: number) {
    for (;;) n = (yield* main.switch(n + 1)) as number;
  });
  const main = (g.parent as Greenlet);
  let n = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < roundTrips; i++) n = g.switch(n) as number;
  const ns = Number(process.hrtime.bigint() - t0);
  if (n !== roundTrips) throw new Error(`ping-pong lost count: ${n}`);
  return ns / (roundTrips * 2);
}

/** ns per switch of a plain generator driven by next(): the floor a generator switcher can reach. */
function generatorPingPong(roundTrips: number): number {
  function* echo(): Generator<number, never, number> {
    let n = 0;
    for (;;) n = yield n + 1;
  }
  const gen = echo();
  gen.next(0);
  let n = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < roundTrips; i++) n = gen.next(n).value;
  const ns = Number(process.hrtime.bigint() - t0);
  if (n !== roundTrips) throw new Error(`ping-pong lost count: ${n}`);
  return ns / (roundTrips * 2);
}

function main(): void {
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const trips = Number(process.env.BENCH_ROUND_TRIPS ?? 1_000_000);
  console.log(`learn-io bench: node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${runs} runs each\n`);

  switcherPingPong(trips / 10); // warm up both, so neither pays the JIT in its first run
  generatorPingPong(trips / 10);
  const ours: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(switcherPingPong(trips));
    peer.push(generatorPingPong(trips));
  }
  const [o, p] = [median(ours), median(peer)];
  console.log('switch ping-pong (median ns per switch, lower is better)');
  console.log(`  reference switcher (solutions/coroutine-switcher)  ${o.toFixed(1)} ns`);
  console.log(`  plain generator ping-pong (gen.next)               ${p.toFixed(1)} ns`);
  const ratio = o / p;
  console.log(`  ratio switcher / generator                          ${ratio.toFixed(2)}x   (aim: within 2.5x${ratio > 2.5 ? ': OVER THE AIM' : ''})\n`);

  const checkRuns = Math.max(3, Math.min(runs, 5));
  const times = benchCheck(checkRuns);
  console.log(`learn-io check coroutine-switcher on the reference (whole command, median of ${checkRuns})`);
  const check = median(times);
  console.log(`  ${Math.round(check)} ms   (runs: ${times.map((t) => Math.round(t)).join(', ')} ms; aim: under 1000 ms${check > 1000 ? ': OVER THE AIM' : ''})`);
}

main();
