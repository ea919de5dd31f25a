// The grader core on a probe suite (test/fixtures/grader-probe): each outcome is told apart, a test
// stuck in a loop is stopped and named while the others still run, and no process is left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { packageRoot, type ExerciseStep } from '../src/catalog.ts';
import { runSuite } from '../src/grader/run-suite.ts';
import { processesMentioning } from './support.ts';

const probe: ExerciseStep = {
  id: 'grader-probe',
  kind: 'exercise',
  title: 'probe',
  summary: '',
  files: ['probe.ts'],
  points: 10,
  testTimeoutMs: 1000,
  suiteTimeoutMs: 60_000,
  hints: [],
};
const fixture = path.join(packageRoot, 'test', 'fixtures', 'grader-probe');
const suiteDir = path.join(fixture, 'suite');
// A private copy of the target per run, so the process checks below see only this run's processes.
const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-probe-'));
fs.cpSync(path.join(fixture, 'target'), targetDir, { recursive: true });

function grade(mode: string, extra: Partial<Parameters<typeof runSuite>[0]> = {}) {
  process.env.PROBE_MODE = mode;
  return runSuite({ step: probe, suiteDir, targetDir, ...extra });
}

afterEach(() => {
  delete process.env.PROBE_MODE;
});
afterAll(() => fs.rmSync(targetDir, { recursive: true, force: true }));

describe('runSuite', () => {
  it('reports pass and fail per test, with expected, received, location and the learner output', async () => {
    const result = await grade('none');
    expect(result.tests.map((t) => [t.name, t.status])).toEqual([
      ['probe > passes', 'pass'],
      ['probe > fails with a value', 'fail'],
      ['probe > hangs in a synchronous loop when asked', 'pass'],
      ['probe > waits forever when asked', 'pass'],
      ['probe > passes after the others', 'pass'],
    ]);
    const failed = result.tests[1]!;
    expect(failed.message).toContain('double(2)');
    expect([failed.expected, failed.actual]).toEqual(['5', '4']);
    expect(failed.location?.file).toBe(path.join(suiteDir, 'probe.test.ts'));
    expect(failed.output).toEqual(['learner output from the failing test']);
    expect(result.status).toBe('fail');
    expect([result.passed, result.total, result.points, result.maxPoints]).toEqual([4, 5, 8, 10]);
  });

  it('stops a test stuck in a synchronous loop, names it a timeout, and still runs the rest', async () => {
    const result = await grade('spin');
    const statuses = Object.fromEntries(result.tests.map((t) => [t.name.replace('probe > ', ''), t.status]));
    expect(statuses).toEqual({
      passes: 'pass',
      'fails with a value': 'fail',
      'hangs in a synchronous loop when asked': 'timeout',
      'waits forever when asked': 'pass',
      'passes after the others': 'pass',
    });
    expect(result.tests[2]!.message).toMatch(/did not finish within 1000 ms/);
    expect(result.status).toBe('fail');
    expect(processesMentioning(targetDir)).toEqual([]);
  });

  it('reports a test that waits forever as a timeout after its limit', async () => {
    const result = await grade('wait');
    const waiting = result.tests.find((t) => t.name.includes('waits forever'))!;
    expect(waiting.status).toBe('timeout');
    expect(waiting.message).toMatch(/within 1000 ms/);
    expect(result.tests.filter((t) => t.status === 'pass')).toHaveLength(3);
  });

  it("blames the learner, not the grader, for a file that never finishes loading", async () => {
    const result = await grade('spin-at-load', { loadTimeoutMs: 3000 });
    expect(result.status).toBe('fail');
    expect(result.tests[0]).toMatchObject({ status: 'timeout' });
    expect(result.tests[0]!.message).toMatch(/loading your file did not finish within 3000 ms/);
    expect(processesMentioning(targetDir)).toEqual([]);
  });

  it("blames the learner for a file that does not compile, and points at it", async () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-broken-'));
    fs.writeFileSync(path.join(broken, 'probe.ts'), 'export function double(x: number) {\n  return x * ;\n}\n');
    try {
      const result = await runSuite({ step: probe, suiteDir, targetDir: broken });
      expect(result.status).toBe('fail');
      expect(result.tests).toHaveLength(1);
      expect(result.tests[0]!.location).toMatchObject({ file: path.join(broken, 'probe.ts'), line: 2 });
      expect(result.tests[0]!.message).toMatch(/Unexpected token/);
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
    }
  });

  it('calls a missing suite a grader error, never a learner failure', async () => {
    const result = await runSuite({ step: probe, suiteDir: path.join(fixture, 'no-such-suite'), targetDir });
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('GRADER_FAILED');
  });
});

describe('runSuite against code that fights back', () => {
  it('a test whose process is killed under it fails, and the other tests still run', async () => {
    const result = await grade('kill');
    expect(result.status).toBe('fail');
    expect(result.tests.map((t) => t.status)).toEqual(['pass', 'fail', 'pass', 'pass', 'pass']);
    expect(result.tests[1]!.message).toMatch(/the test process ended while this test ran/);
    expect(processesMentioning(targetDir)).toEqual([]);
  });

  it('anything thrown while loading, even a string, is the learner failure', async () => {
    const result = await grade('throw-string-at-load');
    expect(result.status).toBe('fail');
    expect(result.tests).toHaveLength(1);
    expect(result.tests[0]!.message).toContain('a string');
  });

  it('learner code cannot switch the assertions off', async () => {
    const result = await grade('tamper');
    expect(result.status).toBe('fail');
    expect(result.passed).toBe(0);
  });

  it('a flood of output is cut by lines and bytes', async () => {
    const result = await grade('flood');
    const flooded = result.tests[1]!;
    expect(flooded.output.length).toBeLessThanOrEqual(200);
    expect(result.output.at(-1)).toMatch(/^\[\d+ more lines of output were cut\]$/);
    expect(JSON.stringify(result).length).toBeLessThan(100_000);
  });

  it('an unhandled rejection from the learner fails the suite without adding tests or points', async () => {
    const result = await grade('unhandled');
    expect(result.total).toBe(5);
    expect(result.status).toBe('fail');
    expect(result.unhandled.map((e) => e.message)).toEqual(['nobody waits for me']);
    expect(result.unhandled[0]!.location?.file).toBe(path.join(targetDir, 'probe.ts'));
  });

  it('killing the grader itself, even with SIGKILL, ends the runner and its workers', async () => {
    const { spawn } = await import('node:child_process');
    const script = `
      import { runSuite } from ${JSON.stringify(path.join(packageRoot, 'src/grader/run-suite.ts'))};
      process.env.PROBE_MODE = 'spin';
      runSuite({ step: ${JSON.stringify(probe)}, suiteDir: ${JSON.stringify(suiteDir)}, targetDir: ${JSON.stringify(targetDir)}, testTimeoutMs: 60000 });
    `;
    const grader = spawn(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], { stdio: 'ignore' });
    // Wait until its worker spins in the endless test, then kill the grader without warning.
    for (let i = 0; i < 100 && processesMentioning(targetDir).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    expect(processesMentioning(targetDir).length).toBeGreaterThanOrEqual(2);
    grader.kill('SIGKILL');
    for (let i = 0; i < 50 && processesMentioning(targetDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesMentioning(targetDir)).toEqual([]);
  });
});
