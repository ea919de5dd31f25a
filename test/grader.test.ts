// The grader core on a probe suite (test/fixtures/grader-probe): each outcome is told apart, a test
// stuck in a loop is stopped and named while the others still run, and no process is left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
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

// Every run's scratch files go to a private temporary folder, which must be empty after each test.
const savedTmp = process.env.TMPDIR;
const realTmp = os.tmpdir();
const privateTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-grader-test-'));
process.env.TMPDIR = privateTmp;

afterEach(() => {
  delete process.env.PROBE_MODE;
  expect(fs.readdirSync(privateTmp), 'the grader left temporary files behind').toEqual([]);
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  fs.rmSync(privateTmp, { recursive: true, force: true });
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
    expect(result.tests[2]!.output, 'what the stuck test printed before it got stuck').toEqual(['about to spin']);
    expect(result.status).toBe('fail');
    expect(processesMentioning(targetDir)).toEqual([]);
  });

  it('hands verdicts to onTest in the order of the suite, although a re-run delivers some late', async () => {
    const seen: string[] = [];
    const result = await grade('spin', { onTest: (t) => seen.push(t.name) });
    expect(seen).toEqual(result.tests.map((t) => t.name));
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
    // 100,000 console.log calls: with the probe's 1 s limit a loaded machine (CI runs test files side
    // by side) stops the test before Vitest hands the lines over, and then nothing is there to cut.
    const result = await grade('flood', { testTimeoutMs: 15_000 });
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

  it('a detached child of the learner code does not outlive the run', async () => {
    const result = await grade('detach');
    expect(result.status).toBe('fail'); // the probe's own failing test; what matters is below
    expect(processesMentioning(targetDir)).toEqual([]);
  });

  it('killing the grader itself, even with SIGKILL, ends the runner and its workers', async () => {
    const { spawn } = await import('node:child_process');
    const script = `
      import { runSuite } from ${JSON.stringify(path.join(packageRoot, 'src/grader/run-suite.ts'))};
      process.env.PROBE_MODE = 'spin';
      runSuite({ step: ${JSON.stringify(probe)}, suiteDir: ${JSON.stringify(suiteDir)}, targetDir: ${JSON.stringify(targetDir)}, testTimeoutMs: 60000 });
    `;
    // A grader killed this way cannot clean up its scratch folder: give it one of its own.
    const scratch = fs.mkdtempSync(path.join(realTmp, 'learn-io-killed-'));
    const grader = spawn(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], {
      stdio: 'ignore',
      env: { ...process.env, TMPDIR: scratch },
    });
    onTestFinished(() => fs.rmSync(scratch, { recursive: true, force: true }));
    // Wait until its worker spins in the endless test, then kill the grader without warning.
    for (let i = 0; i < 100 && processesMentioning(targetDir).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    expect(processesMentioning(targetDir).length).toBeGreaterThanOrEqual(2);
    grader.kill('SIGKILL');
    for (let i = 0; i < 50 && processesMentioning(targetDir).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesMentioning(targetDir)).toEqual([]);
  });
});

describe('runSuite on the real coroutine-switcher suite', () => {
  it("calls it the learner's failure when their code breaks the grader but the reference does not", async () => {
    const dir = fs.mkdtempSync(path.join(realTmp, 'learn-io-breaker-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const stub = fs.readFileSync(path.join(packageRoot, 'exercises', 'coroutine-switcher', 'switcher.ts'), 'utf8');
    // Built-ins the test framework needs, broken at load time.
    fs.writeFileSync(path.join(dir, 'switcher.ts'), `${stub}\nArray.prototype.push = function () { return 0; };\n`);
    const { findStep } = await import('../src/catalog.ts');
    const result = await runSuite({ step: findStep('coroutine-switcher') as ExerciseStep, targetDir: dir });
    expect(result.status).toBe('fail');
    expect(result.tests.every((t) => t.status !== 'error')).toBe(true);
    expect(result.tests[0]!.message).toMatch(/your code stopped the hidden tests from running/);
  });
});
