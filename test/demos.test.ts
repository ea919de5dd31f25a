// Every demo of every built lesson runs to the end by itself, through the CLI as a learner runs it,
// and says something. LEARN_IO_DEMO_QUICK=1 makes the demos shrink their sizes (src/demo-kit.ts).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { course, isAvailable, packageRoot } from '../src/catalog.ts';

const bin = path.join(packageRoot, 'src', 'cli', 'bin.mjs');
const LIMIT_MS = 40_000;

function runDemo(id: string): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, 'run', id], {
      cwd: packageRoot,
      env: { ...process.env, LEARN_IO_DEMO_QUICK: '1', NO_COLOR: '1' },
      detached: true,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const limit = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(limit);
      resolve({ code, out, err, ms: performance.now() - t0 });
    });
  });
}

const demos = course.flatMap((step) => (step.kind === 'lesson' && isAvailable(step) ? step.demos.map((d) => d.id) : []));

describe('demos', () => {
  it('there are demos to run', () => {
    expect(demos.length).toBeGreaterThanOrEqual(6);
  });
  it.concurrent.each(demos)('%s runs to the end on its own', async (id) => {
    const r = await runDemo(id);
    expect(r.err, `stderr of ${id}`).not.toMatch(/Error:|TypeError|at .*\.ts:\d+/);
    expect(r.code, `${id} exit code; stderr:\n${r.err}`).toBe(0);
    expect(r.out.split('\n').length, `${id} printed:\n${r.out}`).toBeGreaterThan(5);
    expect(r.ms).toBeLessThan(LIMIT_MS);
  }, LIMIT_MS + 5000);
});
