// Runs an exercise's hidden suite against a folder of files and returns one SuiteResult.
//
// The suite runs in a child process (runner.mjs) that leads a process group of its own. Vitest's
// per-test timeout catches a test that waits forever; a test stuck in a synchronous loop blocks its
// worker, so we watch the event stream ourselves: past the test's limit the whole group is killed,
// that test is a timeout, and the tests it kept from running are run again in a fresh process.
// Every run ends with the group swept (SIGTERM, then SIGKILL), so no process is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot, stepPaths, type ExerciseStep } from '../catalog.ts';
import { summarize, type SourceLocation, type SuiteError, type SuiteResult, type TestResult } from './model.ts';
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
  /** Cancels the run: its processes are ended and runSuite rejects with the signal's reason. */
  signal?: AbortSignal;
  /** When the run fails as the grader's fault, re-run on the reference to tell (default true). */
  verifyGrader?: boolean;
  /** Called as each test finishes, in the suite's order, for live output. */
  onTest?: (test: TestResult) => void;
  /**
   * The package root to run from (`learn-io grade` runs each submission from a copy of the grading
   * files); default: the installed package. The runner, the Vitest config and the harness come from here.
   */
  packageRoot?: string;
  /** sha256 (hex) of each grading file by absolute path; one loaded with another content is reported in `tampered`. */
  digests?: Record<string, string>;
  /** All the run's processes together (the runner, Vitest's workers, servers) may hold this much resident memory, in bytes. */
  memoryLimitBytes?: number;
  /** More environment for the runner and everything it starts. */
  env?: Record<string, string>;
}

/** Runner processes alive now (their pids): `learn-io grade` ends any other child it finds. */
export const liveRunners = new Set<number>();

/** Vitest's own start-up, before any learner code runs; past it the grader itself is at fault. */
const STARTUP_LIMIT_MS = 60_000;
/** Importing the suite and the learner's module; past it the learner's top level is stuck. */
const LOAD_LIMIT_MS = 15_000;
/** Time between SIGTERM and SIGKILL for the runner's group. */
const KILL_GRACE_MS = 500;
/** Slack over a test's own limit before we decide its worker is stuck, in ms. */
const HANG_SLACK_MS = 1000;
/** Learner output kept in all, and per test; the rest is counted, not kept. */
const OUTPUT_CAP_BYTES = 64 * 1024;
const OUTPUT_CAP_LINES = 200;

/** Tests whose name carries this tag are hidden: learners see their name and verdict, not their details. */
const HIDDEN_TAG = '[hidden]';

type Ending =
  | { kind: 'finished' }
  | { kind: 'hung'; testId: string; afterMs: number }
  | { kind: 'memory'; testId: string | undefined; afterMs: number; rssBytes: number }
  | { kind: 'load-hung'; afterMs: number }
  | { kind: 'suite-limit' }
  | { kind: 'crashed'; detail: string };

type Outcome = Ending & {
  /** Tests that started in this run, in order (from grader/setup.ts's markers). */
  started: string[];
  /** The first console lines of each test, as written by grader/setup.ts, by test id. */
  earlyLogs: Record<string, string[]>;
  /** grader/setup.ts could not import the learner's files. */
  loadFailed: boolean;
};

/**
 * Grades `options.targetDir` with the step's hidden suite. Resolves with every test's verdict (a
 * learner's failure, a hang, a crash of their code are all verdicts); a fault of the grader itself
 * comes back as status 'error' with `error` set, never as a learner's zero. Does not throw for
 * anything the learner's code does; rejects only when `signal` cancels it. Takes about 0.7 s for a
 * suite that passes on this machine.
 */
export async function runSuite(options: RunSuiteOptions): Promise<SuiteResult> {
  const { step, onTest } = options;
  const targetDir = path.resolve(options.targetDir);
  const testTimeoutMs = options.testTimeoutMs ?? step.testTimeoutMs;
  const loadTimeoutMs = options.loadTimeoutMs ?? LOAD_LIMIT_MS;
  const suiteLimitMs = options.suiteTimeoutMs ?? step.suiteTimeoutMs;
  const suiteDeadline = Date.now() + suiteLimitMs;
  const suiteDir = options.suiteDir ?? stepPaths(step).suiteDir;
  const started = performance.now();

  const names = new Map<string, string>(); // collected tests, in suite order
  const results = new Map<string, TestResult>();
  const output = new OutputLog();
  const loadFailures: TestResult[] = [];
  const unhandled: SuiteError[] = [];
  let toolError: SuiteResult['error'];
  const tampered = new Set<string>();
  const root = options.packageRoot ?? packageRoot;

  // Verdicts reach onTest in the suite's order, whatever order they arrive in (a re-run after a
  // hang delivers earlier tests late), so "the first failure above" is the first in the suite.
  let emitted = 0;
  const flush = () => {
    const order = [...names.keys()];
    while (emitted < order.length && results.has(order[emitted]!)) {
      const test = results.get(order[emitted]!)!;
      emitted++; // not inside onTest?.(…): an absent onTest would skip the increment too
      onTest?.(test);
    }
  };
  const record = (test: TestResult) => {
    results.set(test.id, test);
    flush();
  };
  const unreported = () => [...names.keys()].filter((id) => !results.has(id));

  let onlyIds: string[] | undefined;
  for (;;) {
    const runErrors: WireError[] = [];
    let loadError: WireError | undefined;
    const before = results.size;
    const outcome = await runOnce(
      {
        packageRoot: root,
        suiteDir,
        targetDir,
        // A server's files run in a process of their own (grader/harness); the worker must not import them.
        targetFiles: step.server ? [] : step.files.map((f) => path.join(targetDir, f)),
        testTimeoutMs,
        ...(onlyIds ? { onlyIds } : {}),
        ...(options.digests ? { digests: options.digests } : {}),
      },
      suiteDeadline,
      { test: testTimeoutMs, load: loadTimeoutMs, memoryBytes: options.memoryLimitBytes ?? Infinity, env: options.env ?? {} },
      (event) => {
        switch (event.type) {
          case 'collected':
            for (const t of event.tests) if (!names.has(t.id)) names.set(t.id, t.name);
            break;
          case 'test-end':
            if (event.state === 'passed' || event.state === 'failed') {
              record(toTestResult(event, targetDir, suiteDir, output.take(event.id)));
            }
            break;
          case 'log':
            output.add(event.taskId && names.has(event.taskId) ? event.taskId : '', event.content);
            break;
          case 'module-end':
            if (event.state === 'failed' && event.errors.length > 0) loadError ??= event.errors[0];
            break;
          case 'run-end':
            runErrors.push(...event.errors);
            break;
          case 'fatal':
            toolError ??= { code: 'GRADER_FAILED', message: `the grader's runner failed: ${event.error.message}`, detail: event.error.stack };
            break;
          case 'tampered':
            tampered.add(event.file);
            break;
        }
      },
      output,
      options.signal,
    );
    options.signal?.throwIfAborted();

    // A test whose run ended without a verdict: stuck in a loop (we stopped it), or its process
    // died under it (process.exit, abort, a signal from the learner's code).
    const lastStarted = outcome.started.at(-1);
    const lost =
      outcome.kind === 'hung' || (outcome.kind === 'memory' && outcome.testId)
        ? outcome.testId
        : lastStarted && !results.has(lastStarted)
          ? lastStarted
          : undefined;
    if (lost && names.has(lost) && outcome.kind !== 'suite-limit') {
      record({
        ...blank(lost, names.get(lost)!, outcome.kind === 'hung' ? 'timeout' : 'fail'),
        message:
          outcome.kind === 'hung'
            ? `did not finish within ${testTimeoutMs} ms: it was stopped after ${Math.round(outcome.afterMs)} ms (a loop that never yields?)`
            : outcome.kind === 'memory'
              ? `used ${mb(outcome.rssBytes)} of memory, over the limit of ${mb(options.memoryLimitBytes!)} (all its processes together): it was stopped`
              : 'the test process ended while this test ran: does your code call process.exit(), abort, or kill its own process?',
        ...(outcome.kind === 'hung' || outcome.kind === 'memory' ? { durationMs: outcome.afterMs } : {}),
        // Vitest's copy of its output died in the worker's batch; the markers kept the first lines.
        output: [output.take(lost), outcome.earlyLogs[lost] ?? []].reduce((a, b) => (a.length >= b.length ? a : b)),
      });
      runErrors.length = 0; // the worker's death is explained by that test
    }
    // Run what is left in a fresh process, after a loss or when this run covered only part of it.
    // Tests that finished before a loss had their verdicts still in Vitest's batch: they go first,
    // on their own, so that one more hang cannot cost them again.
    const rest = unreported();
    const progressed = results.size > before;
    if ((lost || onlyIds) && rest.length > 0 && progressed && outcome.kind !== 'suite-limit' && Date.now() < suiteDeadline) {
      const ended = rest.filter((id) => outcome.started.includes(id));
      onlyIds = ended.length > 0 ? ended : rest;
      for (const id of onlyIds) output.take(id); // they run again from the start
      continue;
    }

    if (loadError && names.size === 0) {
      // Nothing was collected: the suite could not be imported. grader/setup.ts imported the
      // learner's files first and marked a failure there, so that tells whose fault it is.
      if (outcome.loadFailed || mentions(loadError, targetDir)) loadFailures.push(loadFailure(loadError, targetDir, suiteDir));
      else toolError ??= { code: 'GRADER_FAILED', message: `the hidden suite failed to load: ${loadError.message.split('\n')[0]}`, detail: describe(loadError) };
    }
    for (const error of runErrors) {
      // An error outside any test (an unhandled rejection, a throw in a timer): the learner's when
      // it comes from their files, the grader's otherwise.
      if (mentions(error, targetDir) || !error.stacks.some((f) => f.file.includes('node_modules'))) {
        const location = locate(error, targetDir, suiteDir);
        unhandled.push({ message: error.message, ...(location ? { location } : {}) });
      } else toolError ??= { code: 'GRADER_FAILED', message: 'the test run reported an error outside any test', detail: describe(error) };
    }
    if (outcome.kind === 'memory' && !lost) {
      loadFailures.push({
        ...blank('load', `load your ${path.basename(targetDir)} files`, 'fail'),
        message: `used ${mb(outcome.rssBytes)} of memory while loading, over the limit of ${mb(options.memoryLimitBytes!)}: it was stopped`,
        durationMs: outcome.afterMs,
      });
    } else if (outcome.kind === 'load-hung') {
      loadFailures.push({
        ...blank('load', `load your ${path.basename(targetDir)} files`, 'timeout'),
        message: `loading your file did not finish within ${loadTimeoutMs} ms (does its top level loop forever?)`,
        durationMs: outcome.afterMs,
      });
    } else if (outcome.kind === 'crashed' && !toolError && loadFailures.length === 0) {
      toolError = { code: 'GRADER_FAILED', message: 'the grader stopped before the suite finished', detail: outcome.detail };
    }
    for (const id of unreported()) {
      const limit = outcome.kind === 'suite-limit';
      record({
        ...blank(id, names.get(id)!, limit ? 'timeout' : 'error'),
        message: limit ? `not run: the suite's time limit of ${Math.round(suiteLimitMs / 1000)} s ran out (earlier tests hung)` : 'not run: the grader stopped before reaching it',
      });
    }
    break;
  }

  const ordered = [...loadFailures, ...[...names.keys()].map((id) => results.get(id)).filter((t): t is TestResult => !!t)];
  if (ordered.length === 0 && !toolError) {
    toolError = { code: 'GRADER_FAILED', message: `the suite ${path.relative(packageRoot, suiteDir)} ran no test` };
  }
  if ((toolError || ordered.some((t) => t.status === 'error')) && options.verifyGrader !== false) {
    // Before calling it the grader's fault, see whether the grader works on the reference: if it
    // does, the learner's code broke it (changed built-ins, killed the runner, wrote to its files).
    const referenceDir = stepPaths(step).referenceDir;
    if (targetDir !== referenceDir && fs.existsSync(referenceDir)) {
      const check = await runSuite({ ...options, targetDir: referenceDir, onTest: undefined, verifyGrader: false });
      if (check.status === 'pass') {
        const why = `your code stopped the hidden tests from running (${toolError?.message ?? 'the grader was interrupted'}): does it change built-in objects, or kill or write to the grader's processes and files?`;
        if (toolError && !ordered.some((t) => t.status === 'error')) ordered.unshift({ ...blank('load', `load your ${path.basename(targetDir)} files`, 'fail'), message: why });
        for (const t of ordered) if (t.status === 'error') Object.assign(t, { status: 'fail', message: `not run: ${why}` });
        toolError = undefined;
      }
    }
  }
  // Shares that add up to the exercise's points exactly: test i gets the step from i/n to (i+1)/n.
  const n = ordered.length;
  ordered.forEach((t, i) => {
    t.maxPoints = round2((step.points * (i + 1)) / n - round2((step.points * i) / n));
    t.points = t.status === 'pass' ? t.maxPoints : 0;
  });
  for (const t of ordered) if (t.name.includes(HIDDEN_TAG)) t.visibility = 'hidden';
  const result = summarize(step.id, targetDir, ordered, performance.now() - started, output.take(''), unhandled, toolError);
  return tampered.size > 0 ? { ...result, tampered: [...tampered] } : result;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MB`;
}

/**
 * The learner's console output, by test ('' for none), cut by lines and bytes: one console.log can
 * carry a megabyte, and a loop can make a million of them.
 */
class OutputLog {
  #byTest = new Map<string, string[]>();
  #bytes = 0;
  #cut = 0;

  add(testId: string, content: string): void {
    const lines = this.#byTest.get(testId) ?? [];
    this.#byTest.set(testId, lines);
    for (const line of content.replace(/\n$/, '').split('\n')) {
      if (this.#bytes >= OUTPUT_CAP_BYTES || lines.length >= OUTPUT_CAP_LINES) {
        this.#cut++;
        continue;
      }
      const kept = line.length > 1000 ? `${line.slice(0, 1000)}… [line cut at 1000 characters]` : line;
      this.#bytes += kept.length + 1;
      lines.push(kept);
    }
  }

  /** The lines kept for `testId`, which are forgotten here; '' also reports what was cut. */
  take(testId: string): string[] {
    const lines = this.#byTest.get(testId) ?? [];
    this.#byTest.delete(testId);
    if (testId === '' && this.#cut > 0) lines.push(`[${this.#cut} more lines of output were cut]`);
    return lines;
  }
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

function loadFailure(error: WireError, targetDir: string, suiteDir: string): TestResult {
  const location = locate(error, targetDir, suiteDir);
  return {
    ...blank('load', `load your ${path.basename(targetDir)} files`, 'fail'),
    message: `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}`,
    ...(location ? { location } : {}),
  };
}

/** One runner process: resolves when it exits or when we had to kill it. */
function runOnce(
  request: RunnerRequest,
  suiteDeadline: number,
  limitsMs: { test: number; load: number; memoryBytes: number; env: Record<string, string> },
  onEvent: (event: RunnerEvent) => void,
  output: OutputLog,
  signal: AbortSignal | undefined,
): Promise<Outcome> {
  return new Promise((resolve) => {
    // grader/setup.ts writes a line here as each test starts, and when the learner's files fail to
    // import (see there for why this side channel exists).
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-run-'));
    const markerFile = path.join(scratch, 'markers');
    fs.writeFileSync(markerFile, '');
    // Vitest's own temporary files (the transformed learner code) go here too: a group we kill
    // never cleans up after itself, so we remove the whole folder.
    const tmp = path.join(scratch, 'tmp');
    fs.mkdirSync(tmp);
    const child = spawn(process.execPath, [path.join(request.packageRoot, 'src', 'grader', 'runner.mjs'), JSON.stringify(request)], {
      cwd: request.packageRoot,
      detached: true, // its own process group: one kill reaches Vitest and every worker
      // stdin is a pipe the runner watches: when this process dies, however it dies, the pipe
      // closes and the runner ends its group (see runner.mjs).
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...limitsMs.env, NODE_OPTIONS: '', FORCE_COLOR: '0', NO_COLOR: '1', LEARN_IO_MARKERS: markerFile, TMPDIR: tmp },
    });
    // The key that signs the runner's event lines (see runner.mjs): only this process and the runner know it.
    const key = randomBytes(32).toString('base64url');
    child.stdin!.on('error', () => {}); // a runner that died at once: its exit says so
    child.stdin!.write(`${key}\n`);
    if (child.pid !== undefined) liveRunners.add(child.pid);
    let stderrTail = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => output.add('', chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-8192);
    });

    let settled = false;
    let phase: 'startup' | 'load' | 'test' | 'between' | 'done' = 'startup';
    let phaseStart = Date.now();
    let currentTest: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    let readOffset = 0;
    const started: string[] = [];
    const earlyLogs: Record<string, string[]> = {};
    let loadFailed = false;

    const finish = (outcome: Ending) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poller);
      clearInterval(memoryWatch);
      readMarkers();
      stopGroup(child, markerFile).then(() => {
        if (child.pid !== undefined) liveRunners.delete(child.pid);
        fs.rmSync(scratch, { recursive: true, force: true });
        // Only now: a Ctrl-C during the clean-up above must still clean up.
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal).off('SIGHUP', onSignal);
        resolve({ ...outcome, started, earlyLogs, loadFailed });
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

    // The markers: cheap to poll, and the only news a blocked worker can still give. The file is
    // within the learner's reach, so it only ever steers time limits, never a verdict.
    const readMarkers = () => {
      let text: string;
      try {
        const size = fs.statSync(markerFile).size;
        if (size <= readOffset) return;
        const fd = fs.openSync(markerFile, 'r');
        const buffer = Buffer.alloc(size - readOffset);
        fs.readSync(fd, buffer, 0, buffer.length, readOffset);
        fs.closeSync(fd);
        text = buffer.toString('utf8');
      } catch {
        return; // gone or unreadable: no news
      }
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      readOffset += Buffer.byteLength(complete);
      for (const line of complete.split('\n')) {
        if (line.startsWith('start ')) {
          started.push(line.slice(6));
          currentTest = line.slice(6);
          if (!settled) enter('test');
        } else if (line === 'load-error') loadFailed = true;
        else if (line.startsWith('log ')) {
          const [, id, json] = /^log (\S+) (.*)$/.exec(line) ?? [];
          try {
            if (id) (earlyLogs[id] ??= []).push(String(JSON.parse(json!)));
          } catch {
            // a torn or forged line: it only ever fed a display
          }
        }
      }
    };
    const poller = setInterval(readMarkers, 25);
    // Memory, where /proc tells it: the resident memory of every process that carries this run's marker.
    const memoryWatch = setInterval(() => {
      if (limitsMs.memoryBytes === Infinity) return;
      const rssBytes = runProcesses(markerFile).reduce((sum, pid) => sum + residentBytes(pid), 0);
      if (rssBytes > limitsMs.memoryBytes) finish({ kind: 'memory', testId: phase === 'test' ? currentTest : undefined, afterMs: Date.now() - phaseStart, rssBytes });
    }, 500);
    signal?.addEventListener('abort', () => finish({ kind: 'crashed', detail: 'cancelled' }), { once: true });

    createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on('line', (line) => {
      if (settled) return;
      const json = verified(line, key);
      if (json === undefined) return; // not the runner's: dropped
      let event: RunnerEvent;
      try {
        event = JSON.parse(json) as RunnerEvent;
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

    let eventsDone = false;
    child.stdio[3]!.on('close', () => (eventsDone = true));
    child.on('exit', async (code, signal) => {
      // Let the last lines on fd 3 arrive before judging (briefly: an orphan could hold it open).
      for (let i = 0; i < 20 && !eventsDone; i++) await new Promise((r) => setTimeout(r, 10));
      if (code === 0) finish({ kind: 'finished' });
      else finish({ kind: 'crashed', detail: `runner exited with ${signal ?? `code ${code}`}\n${stderrTail}` });
    });
    child.on('error', (error) => finish({ kind: 'crashed', detail: String(error) }));

    // Ctrl-C, or the terminal closing, reaches only our group: end the runner's group too.
    const onSignal = (signal: NodeJS.Signals) => {
      killGroup(child, 'SIGKILL');
      killEscapees(markerFile);
      fs.rmSync(scratch, { recursive: true, force: true });
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
    };
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal).once('SIGHUP', onSignal);
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

/**
 * Ends every process of the runner's group: SIGTERM, a grace period, SIGKILL. Then, where /proc
 * exists, also the processes that left the group (a learner's detached child): they still carry
 * this run's marker path in their environment.
 */
export async function stopGroup(child: ChildProcess, markerFile: string): Promise<void> {
  if (child.pid !== undefined && killGroup(child, 'SIGTERM')) {
    const deadline = Date.now() + KILL_GRACE_MS;
    while (Date.now() < deadline && groupAlive(child.pid)) await new Promise((r) => setTimeout(r, 20));
    if (groupAlive(child.pid)) {
      killGroup(child, 'SIGKILL');
      for (let i = 0; i < 50 && groupAlive(child.pid); i++) await new Promise((r) => setTimeout(r, 20));
    }
  }
  killEscapees(markerFile);
}

/** The JSON of a line signed with `key` ("<hmac> <json>"), or undefined when the signature is wrong. */
function verified(line: string, key: string): string | undefined {
  const space = line.indexOf(' ');
  if (space < 0) return undefined;
  const json = line.slice(space + 1);
  const given = Buffer.from(line.slice(0, space));
  const wanted = Buffer.from(createHmac('sha256', key).update(json).digest('base64url'));
  return given.length === wanted.length && timingSafeEqual(given, wanted) ? json : undefined;
}

/** SIGKILLs every process whose environment names `markerFile` (Linux /proc; elsewhere nothing). */
function killEscapees(markerFile: string): void {
  for (const pid of runProcesses(markerFile)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** The processes whose environment names `markerFile`: every process of one run, even those that left its group. */
function runProcesses(markerFile: string): number[] {
  const needle = `LEARN_IO_MARKERS=${markerFile}\0`;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  return pids
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle);
      } catch {
        return false; // gone, or not ours to read
      }
    })
    .map(Number);
}

/** Resident memory of a process in bytes (VmRSS of /proc/PID/status), 0 when it is gone. */
function residentBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
