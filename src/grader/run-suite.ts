// Runs an exercise's hidden suite against a folder of files and returns one SuiteResult.
//
// The suite runs in a child process (runner.mjs) that leads a process group of its own. Vitest's
// per-test timeout catches a test that waits forever; a test stuck in a synchronous loop blocks its
// worker, so we watch the event stream ourselves: past the test's limit the whole group is killed,
// that test is a timeout, and the tests it kept from running are run again in a fresh process.
// Every run ends with the group swept (SIGTERM, then SIGKILL), so no process is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { packageRoot, stepPaths, type ExerciseStep } from '../catalog.ts';
import { summarize, type SourceLocation, type SuiteResult, type TestResult } from './model.ts';
import type { RunnerEvent, RunnerRequest, WireError } from './protocol.ts';

export interface RunSuiteOptions {
  step: ExerciseStep;
  /** The folder holding the exercise's files (workspace copy, stub, reference, wrong one). */
  targetDir: string;
  /** Overrides the catalog's limits, in ms. */
  testTimeoutMs?: number;
  suiteTimeoutMs?: number;
  /** Limit for importing the suite and the learner's module, in ms (default 15 s). */
  loadTimeoutMs?: number;
  /** Another suite folder than the step's own (the grader's own tests use this). */
  suiteDir?: string;
  /** Called as each test finishes, for live output. */
  onTest?: (test: TestResult) => void;
}

/** Vitest's own start-up, before any learner code runs; past it the grader itself is at fault. */
const STARTUP_LIMIT_MS = 60_000;
/** Importing the suite and the learner's module; past it the learner's top level is stuck. */
const LOAD_LIMIT_MS = 15_000;
/** Time between SIGTERM and SIGKILL for the runner's group. */
const KILL_GRACE_MS = 500;
/** Slack over a test's own limit before we decide its worker is stuck, in ms. */
const HANG_SLACK_MS = 1000;
const OUTPUT_CAP_BYTES = 64 * 1024;

const runnerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'runner.mjs');

type Outcome =
  | { kind: 'finished' }
  | { kind: 'hung'; testId: string; afterMs: number }
  | { kind: 'load-hung'; afterMs: number }
  | { kind: 'suite-limit' }
  | { kind: 'crashed'; detail: string };

export async function runSuite(options: RunSuiteOptions): Promise<SuiteResult> {
  const { step, onTest } = options;
  const targetDir = path.resolve(options.targetDir);
  const testTimeoutMs = options.testTimeoutMs ?? step.testTimeoutMs;
  const loadTimeoutMs = options.loadTimeoutMs ?? LOAD_LIMIT_MS;
  const suiteDeadline = Date.now() + (options.suiteTimeoutMs ?? step.suiteTimeoutMs);
  const suiteDir = options.suiteDir ?? stepPaths(step).suiteDir;
  const started = performance.now();

  const names = new Map<string, string>(); // collected tests, in suite order
  const results = new Map<string, TestResult>();
  const logs = new Map<string, string[]>();
  const output: string[] = [];
  const loadFailures: TestResult[] = [];
  let toolError: SuiteResult['error'];

  const record = (test: TestResult) => {
    results.set(test.id, test);
    onTest?.(test);
  };

  let onlyIds: string[] | undefined;
  for (;;) {
    const outcome = await runOnce(
      { packageRoot, suiteDir, targetDir, testTimeoutMs, ...(onlyIds ? { onlyIds } : {}) },
      suiteDeadline,
      { test: testTimeoutMs, load: loadTimeoutMs },
      (event) => {
        switch (event.type) {
          case 'collected':
            for (const t of event.tests) if (!names.has(t.id)) names.set(t.id, t.name);
            break;
          case 'test-end':
            if (event.state === 'passed' || event.state === 'failed') {
              record(toTestResult(event, targetDir, suiteDir, logs.get(event.id) ?? []));
            }
            break;
          case 'log': {
            const line = event.content.replace(/\n$/, '');
            if (event.taskId && names.has(event.taskId)) {
              const list = logs.get(event.taskId) ?? [];
              list.push(line);
              logs.set(event.taskId, list);
            } else output.push(line);
            break;
          }
          case 'module-end':
            if (event.state === 'failed' && event.errors.length > 0) {
              const blame = event.errors.some((e) => mentions(e, targetDir));
              if (blame) loadFailures.push(loadFailure(event.file, event.errors[0]!, targetDir, suiteDir));
              else toolError ??= { code: 'GRADER_FAILED', message: `the hidden suite ${path.basename(event.file)} failed to load`, detail: describe(event.errors[0]!) };
            }
            break;
          case 'run-end':
            if (event.errors.length > 0) {
              // An error outside any test (say, an unhandled rejection from learner code): blame
              // the learner when the error comes from their files.
              const learner = event.errors.filter((e) => mentions(e, targetDir));
              for (const e of learner) loadFailures.push({ ...loadFailure('(outside any test)', e, targetDir, suiteDir), id: `unhandled:${loadFailures.length}`, name: 'an error escaped every test (unhandled)' });
              if (learner.length < event.errors.length) {
                toolError ??= { code: 'GRADER_FAILED', message: 'the test run reported an error outside any test', detail: describe(event.errors.find((e) => !mentions(e, targetDir))!) };
              }
            }
            break;
          case 'fatal':
            toolError ??= { code: 'GRADER_FAILED', message: `the grader's runner failed: ${event.error.message}`, detail: event.error.stack };
            break;
        }
      },
      output,
    );

    if (outcome.kind === 'hung') {
      record({
        ...blank(outcome.testId, names.get(outcome.testId) ?? outcome.testId, 'timeout'),
        message: `did not finish within ${testTimeoutMs} ms: it was stopped after ${Math.round(outcome.afterMs)} ms (a loop that never yields?)`,
        durationMs: outcome.afterMs,
        output: logs.get(outcome.testId) ?? [],
      });
      const rest = [...names.keys()].filter((id) => !results.has(id));
      if (rest.length > 0 && Date.now() < suiteDeadline) {
        onlyIds = rest;
        for (const id of rest) logs.delete(id); // they run again from the start
        continue;
      }
    }
    const missing = [...names.keys()].filter((id) => !results.has(id));
    if (outcome.kind === 'load-hung') {
      loadFailures.push({
        ...blank('load', `load ${path.basename(targetDir)} files`, 'timeout'),
        message: `loading your file did not finish within ${loadTimeoutMs} ms (does its top level loop forever?)`,
        durationMs: outcome.afterMs,
      });
    } else if (outcome.kind === 'crashed' && !toolError) {
      toolError = { code: 'GRADER_FAILED', message: 'the grader stopped before the suite finished', detail: outcome.detail };
    }
    for (const id of missing) {
      const why =
        outcome.kind === 'suite-limit'
          ? `not run: the suite's limit of ${Math.round((options.suiteTimeoutMs ?? step.suiteTimeoutMs) / 1000)} s was reached`
          : 'not run: the grader stopped before reaching it';
      record({ ...blank(id, names.get(id)!, outcome.kind === 'suite-limit' ? 'timeout' : 'error'), message: why });
    }
    break;
  }

  const ordered = [...loadFailures, ...[...names.keys()].map((id) => results.get(id)).filter((t): t is TestResult => !!t)];
  if (ordered.length === 0 && !toolError) {
    toolError = { code: 'GRADER_FAILED', message: `the suite ${path.relative(packageRoot, suiteDir)} ran no test` };
  }
  // Shares that add up to the exercise's points exactly: test i gets the step from i/n to (i+1)/n.
  const n = ordered.length;
  ordered.forEach((t, i) => {
    t.maxPoints = round2((step.points * (i + 1)) / n - round2((step.points * i) / n));
    t.points = t.status === 'pass' ? t.maxPoints : 0;
  });
  return summarize(step.id, targetDir, ordered, performance.now() - started, output, toolError);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function blank(id: string, name: string, status: TestResult['status']): TestResult {
  return { id, name, status, durationMs: 0, points: 0, maxPoints: 0, visibility: 'visible', output: [] };
}

function mentions(error: WireError, dir: string): boolean {
  const inDir = (file: string) => path.resolve(file.replace(/^file:\/\//, '')).startsWith(dir + path.sep);
  return (
    (error.file !== undefined && inDir(error.file)) ||
    error.stacks.some((f) => inDir(f.file)) ||
    error.message.includes(dir + path.sep) ||
    (error.stack ?? '').includes(dir + path.sep)
  );
}

function describe(error: WireError): string {
  return error.stack ?? `${error.name}: ${error.message}`;
}

function locate(error: WireError, targetDir: string, suiteDir: string): SourceLocation | undefined {
  const frames = error.stacks.map((f) => ({ ...f, file: f.file.replace(/^file:\/\//, '') }));
  const within = (dir: string) => frames.find((f) => path.resolve(f.file).startsWith(dir + path.sep));
  return within(targetDir) ?? within(suiteDir) ?? frames[0];
}

function toTestResult(
  event: Extract<RunnerEvent, { type: 'test-end' }>,
  targetDir: string,
  suiteDir: string,
  output: string[],
): TestResult {
  const base = { ...blank(event.id, event.name, 'pass'), durationMs: event.durationMs, output };
  if (event.state === 'passed') return base;
  const error = event.errors[0] ?? { name: 'Error', message: 'failed without an error', stacks: [] };
  const timedOut = /^Test timed out in (\d+)ms/.exec(error.message);
  if (timedOut) {
    return {
      ...base,
      status: 'timeout',
      message: `did not finish within ${timedOut[1]} ms (waiting for something that never happens?)`,
    };
  }
  const location = locate(error, targetDir, suiteDir);
  return {
    ...base,
    status: 'fail',
    message: error.name && !['AssertionError', 'Error'].includes(error.name) ? `${error.name}: ${error.message}` : error.message,
    ...(error.expected !== undefined ? { expected: error.expected } : {}),
    ...(error.actual !== undefined ? { actual: error.actual } : {}),
    ...(location ? { location } : {}),
  };
}

function loadFailure(file: string, error: WireError, targetDir: string, suiteDir: string): TestResult {
  const location = locate(error, targetDir, suiteDir);
  return {
    ...blank(`load:${file}`, `load your ${path.basename(targetDir)} files`, 'fail'),
    message: `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}`,
    ...(location ? { location } : {}),
  };
}

/** One runner process: resolves when it exits or when we had to kill it. */
function runOnce(
  request: RunnerRequest,
  suiteDeadline: number,
  limitsMs: { test: number; load: number },
  onEvent: (event: RunnerEvent) => void,
  output: string[],
): Promise<Outcome> {
  return new Promise((resolve) => {
    // grader/setup.ts appends each test's id here as it starts (see there for why).
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-run-'));
    const progressFile = path.join(scratch, 'started');
    fs.writeFileSync(progressFile, '');
    const child = spawn(process.execPath, [runnerFile, JSON.stringify(request)], {
      cwd: request.packageRoot,
      detached: true, // its own process group: one kill reaches Vitest and every worker
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0', NO_COLOR: '1', LEARN_IO_PROGRESS_FILE: progressFile },
    });
    let stderrTail = '';
    let captured = 0;
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      if (captured >= OUTPUT_CAP_BYTES) return;
      captured += chunk.length;
      output.push(...chunk.replace(/\n$/, '').split('\n'));
      if (captured >= OUTPUT_CAP_BYTES) output.push(`[output cut at ${OUTPUT_CAP_BYTES} bytes]`);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-8192);
    });

    let settled = false;
    let phase: 'startup' | 'load' | 'test' | 'between' | 'done' = 'startup';
    let phaseStart = Date.now();
    let currentTest: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    let readOffset = 0;

    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poller);
      stopGroup(child).then(() => {
        fs.rmSync(scratch, { recursive: true, force: true });
        resolve(outcome);
      });
    };
    const limits = {
      startup: STARTUP_LIMIT_MS,
      load: limitsMs.load,
      test: limitsMs.test + HANG_SLACK_MS,
      between: limitsMs.load,
      done: limitsMs.load,
    };
    const arm = () => {
      clearTimeout(timer);
      const due = Math.min(phaseStart + limits[phase], suiteDeadline);
      timer = setTimeout(() => {
        const afterMs = Date.now() - phaseStart;
        if (Date.now() >= suiteDeadline) finish({ kind: 'suite-limit' });
        else if (phase === 'test' && currentTest) finish({ kind: 'hung', testId: currentTest, afterMs });
        else if (phase === 'load' || phase === 'between') finish({ kind: 'load-hung', afterMs });
        else finish({ kind: 'crashed', detail: `the test runner stopped making progress (${phase})\n${stderrTail}` });
      }, Math.max(0, due - Date.now()));
    };
    const enter = (next: typeof phase) => {
      phase = next;
      phaseStart = Date.now();
      arm();
    };
    arm();

    // The start markers: cheap to poll, and the only news a blocked worker can still give.
    const poller = setInterval(() => {
      const size = fs.statSync(progressFile).size;
      if (size <= readOffset) return;
      const fd = fs.openSync(progressFile, 'r');
      const buffer = Buffer.alloc(size - readOffset);
      fs.readSync(fd, buffer, 0, buffer.length, readOffset);
      fs.closeSync(fd);
      const text = buffer.toString('utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      readOffset += Buffer.byteLength(complete);
      const ids = complete.split('\n').filter(Boolean);
      if (ids.length > 0 && !settled) {
        currentTest = ids[ids.length - 1];
        enter('test');
      }
    }, 25);

    createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on('line', (line) => {
      if (settled) return;
      let event: RunnerEvent;
      try {
        event = JSON.parse(line) as RunnerEvent;
      } catch {
        return;
      }
      if (event.type === 'ready') enter('load');
      else if (event.type === 'collected') enter('between');
      else if (event.type === 'test-end' && event.id === currentTest) {
        currentTest = undefined;
        enter('between');
      } else if (event.type === 'run-end') enter('done');
      onEvent(event);
    });

    child.on('exit', (code, signal) => {
      // Let the last lines on fd 3 arrive before judging.
      setImmediate(() => {
        if (code === 0) finish({ kind: 'finished' });
        else finish({ kind: 'crashed', detail: `runner exited with ${signal ?? `code ${code}`}\n${stderrTail}` });
      });
    });
    child.on('error', (error) => finish({ kind: 'crashed', detail: String(error) }));

    // Ctrl-C on the learner's terminal reaches only our group: pass it on to the runner's.
    const onSignal = (signal: NodeJS.Signals) => {
      killGroup(child, 'SIGKILL');
      fs.rmSync(scratch, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    child.on('exit', () => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

/** Ends every process of the runner's group: SIGTERM, a grace period, SIGKILL. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  if (!killGroup(child, 'SIGTERM')) return;
  const deadline = Date.now() + KILL_GRACE_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    if (!groupAlive(child.pid)) return;
  }
  killGroup(child, 'SIGKILL');
  for (let i = 0; i < 50 && groupAlive(child.pid); i++) await new Promise((r) => setTimeout(r, 20));
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
