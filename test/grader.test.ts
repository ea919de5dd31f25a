// The grader core on a probe suite (test/fixtures/grader-probe): each outcome is told apart, a test
// stuck in a loop is stopped and named while the others still run, and no process is left behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
const targetDir = path.join(fixture, 'target');

function grade(mode: string, extra: Partial<Parameters<typeof runSuite>[0]> = {}) {
  process.env.PROBE_MODE = mode;
  return runSuite({ step: probe, suiteDir, targetDir, ...extra });
}

afterEach(() => {
  delete process.env.PROBE_MODE;
});

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
