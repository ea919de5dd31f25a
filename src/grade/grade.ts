// `learn-io grade`: many submissions, each in isolation, in parallel.
//
// Per submission: a fresh temporary folder with only the exercise files the catalog names (see
// submission.ts), a package root of its own holding a copy of the grading files (sandbox.ts), the
// hidden suite of each exercise run there by runSuite (its own process group, time limits per test
// and per suite, output capped, memory watched, every process ended afterwards), and the whole
// submission under a time limit of its own. Ports are the kernel's choice (port 0), so parallel
// submissions never collide. On Linux the grade process also adopts the orphans of learner code
// (PR_SET_CHILD_SUBREAPER) and ends them, and caps the size of any file they write (RLIMIT_FSIZE).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot, type ExerciseStep } from '../catalog.ts';
import { summarize, type SuiteResult, type TestResult } from '../grader/model.ts';
import { liveRunners, runSuite } from '../grader/run-suite.ts';
import type { ExerciseGrade, GradeReport, SubmissionGrade } from './model.ts';
import { GradingFiles } from './sandbox.ts';
import { readOrUndefined, SubmissionError, takeSubmission } from './submission.ts';

export interface GradeOptions {
  /** Folders, .zip or .tar.gz files: one submission each. */
  sources: string[];
  /** The exercises to grade, in course order. */
  steps: ExerciseStep[];
  /** A folder of hidden suites (ID/ folders); default: the package's grader/suites/. */
  suitesDir?: string;
  /** Submissions graded at the same time (default: the number of cores). */
  jobs?: number;
  /** Keep hidden tests' details (message, expected, actual, output) in the report. */
  showHidden?: boolean;
  /** All processes of one exercise's run together may hold this much resident memory, in bytes (default 2 GiB). */
  memoryLimitBytes?: number;
  /** The limit for one whole submission, in ms (default: the sum of its exercises' suite limits). */
  submissionTimeoutMs?: number;
  /** Called as each submission is done, in the order they finish. */
  onSubmission?: (grade: SubmissionGrade) => void;
}

/** The largest file learner code may write while graded, in bytes (RLIMIT_FSIZE; past it the writer gets SIGXFSZ). */
export const FILE_SIZE_LIMIT_BYTES = 256 * 2 ** 20;
const DEFAULT_MEMORY_BYTES = 2 * 2 ** 30;

/** Grades every submission of `options.sources`; never throws for what a submission holds or does. */
export async function gradeBatch(options: GradeOptions): Promise<GradeReport> {
  const started = Date.now();
  const suitesDir = path.resolve(options.suitesDir ?? path.join(packageRoot, 'grader', 'suites'));
  const files = new GradingFiles(suitesDir);
  const names = uniqueNames(options.sources);
  const jobs = Math.max(1, options.jobs ?? os.availableParallelism());
  const { default: pkg } = await import('../../package.json', { with: { type: 'json' } });

  // Every submission is taken in before any learner code runs: a submission graded early cannot
  // rewrite one graded later (its source is the instructor's folder, within reach of learner code).
  const intakes: Intake[] = [];
  // Ctrl-C ends the process from a signal handler (run-suite.ts): the copies go with it.
  const removeAll = () => {
    for (const intake of intakes) fs.rmSync(intake.scratch, { recursive: true, force: true });
  };
  process.on('exit', removeAll);
  try {
    for (const [i, source] of options.sources.entries()) intakes.push(await takeIn(source, names[i]!, options.steps));
  } catch (error) {
    removeAll();
    process.off('exit', removeAll);
    throw error;
  }
  const stopReaper = await adoptOrphans();
  const submissions: SubmissionGrade[] = new Array(options.sources.length);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(jobs, options.sources.length) }, async () => {
        for (let i = next++; i < options.sources.length; i = next++) {
          submissions[i] = await gradeSubmission(intakes[i]!, files, options);
          options.onSubmission?.(submissions[i]!);
        }
      }),
    );
  } finally {
    stopReaper();
    removeAll();
    process.off('exit', removeAll);
  }
  const ownSuites = suitesDir === path.join(packageRoot, 'grader', 'suites');
  const packageChanged = files.changed(packageRoot, { skipSuites: !ownSuites });
  return {
    format: 'learn-io-grade',
    version: 1,
    tool: pkg.version,
    gradedAt: new Date(started).toISOString(),
    suites: suitesDir,
    exercises: options.steps.map((s) => ({ id: s.id, title: s.title, points: s.points, bonus: s.bonus === true })),
    showHidden: options.showHidden === true,
    submissions,
    ...(packageChanged.length > 0 ? { packageChanged } : {}),
    durationMs: Date.now() - started,
  };
}

/** A submission taken in: its exercise files copied out, and their content kept to check against. */
interface Intake {
  source: string;
  name: string;
  scratch: string;
  work: string;
  found: Map<string, Record<string, string>>;
  refused: Map<string, Record<string, string>>;
  /** The content of every file taken, by its path under `work`. */
  content: Map<string, Buffer>;
  error?: SubmissionGrade['error'];
}

async function takeIn(source: string, name: string, steps: readonly ExerciseStep[]): Promise<Intake> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-grade-'));
  const work = path.join(scratch, 'work');
  fs.mkdirSync(work);
  // The learner's files are ES modules, as in their workspace.
  fs.writeFileSync(path.join(work, 'package.json'), '{ "type": "module" }\n');
  const intake: Intake = { source, name, scratch, work, found: new Map(), refused: new Map(), content: new Map() };
  try {
    const located = await takeSubmission(source, steps, work, scratch);
    intake.found = located.files;
    intake.refused = located.refused;
  } catch (e) {
    if (!(e instanceof SubmissionError)) throw e;
    intake.error = { code: e.code, message: e.message };
  }
  for (const [id, files] of intake.found) {
    for (const file of Object.keys(files)) {
      const at = path.join(work, 'exercises', id, file);
      intake.content.set(at, fs.readFileSync(at));
    }
  }
  return intake;
}

async function gradeSubmission(intake: Intake, files: GradingFiles, options: GradeOptions): Promise<SubmissionGrade> {
  const started = Date.now();
  const { source, name, scratch, work, found, refused } = intake;
  const root = path.join(scratch, 'pkg');
  const exercises: ExerciseGrade[] = [];
  let error = intake.error;
  const limitMs = options.submissionTimeoutMs ?? options.steps.reduce((sum, s) => sum + s.suiteTimeoutMs, 0);
  const deadline = AbortSignal.timeout(limitMs);
  try {
    files.install(root);
    const digests = files.digests(root);
    for (const step of options.steps) {
      const at = found.get(step.id) ?? {};
      const missing = step.files.filter((f) => !(f in at));
      if (missing.length > 0) {
        exercises.push(notGraded(step, work, at, missing.length === step.files.length ? 'missing' : 'incomplete', missing, refused.get(step.id) ?? {}));
        continue;
      }
      // The files as they were taken in, whatever happened to the folder since.
      const own = [...intake.content].filter(([file]) => file.startsWith(path.join(work, 'exercises', step.id) + path.sep));
      for (const [file, content] of own) fs.writeFileSync(file, content);
      if (deadline.aborted) {
        exercises.push(timedOut(step, work, at, limitMs));
        continue;
      }
      let result: SuiteResult;
      try {
        result = await runSuite({
          step,
          targetDir: path.join(work, 'exercises', step.id),
          packageRoot: root,
          suiteDir: path.join(root, 'grader', 'suites', step.id),
          digests,
          memoryLimitBytes: options.memoryLimitBytes ?? DEFAULT_MEMORY_BYTES,
          env: { LEARN_IO_SOLUTIONS: path.join(packageRoot, 'solutions') },
          signal: deadline,
        });
      } catch (e) {
        if (!deadline.aborted) throw e;
        exercises.push(timedOut(step, work, at, limitMs));
        continue;
      }
      // Whatever the verdicts say, they are void if the grading files changed under them.
      // (The installed package's own files are not used here: every submission runs from its copy.
      // gradeBatch compares them once at the end, without blaming anyone: with parallel jobs it
      // cannot know whose code changed them.)
      const left = files.changed(root);
      const changed = [...new Set([...(result.tampered ?? []).map((f) => path.relative(root, f)), ...left])];
      if (changed.length > 0) {
        files.restore(root, left);
        exercises.push(tampered(step, result, at, changed));
        continue;
      }
      // Its own files changed while it ran: by its own code, or by another submission's (which can
      // reach this folder). Either way the verdict may not be about what was handed in: say so.
      const rewritten = own.filter(([file, content]) => !content.equals(readOrUndefined(file) ?? Buffer.alloc(0))).map(([file]) => path.relative(work, file));
      if (rewritten.length > 0) {
        exercises.push({
          ...result,
          status: 'error',
          error: { code: 'SUBMISSION_CHANGED', message: `the submission's files changed while it was graded (${rewritten.join(', ')}): the result is void; grade it again on its own` },
          outcome: 'graded',
          found: at,
        });
        continue;
      }
      exercises.push({ ...result, outcome: 'graded', found: at });
    }
  } catch (e) {
    // Ours, not the learner's: say so, and keep the batch going.
    error = { code: 'GRADER_FAILED', message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
  if (!options.showHidden) for (const exercise of exercises) exercise.tests = exercise.tests.map(redact);
  const sum = (pick: (e: ExerciseGrade) => number) => Math.round(exercises.reduce((n, e) => n + pick(e), 0) * 100) / 100;
  return {
    name,
    source,
    status: error || exercises.some((e) => e.status === 'error') ? 'error' : 'graded',
    exercises,
    points: sum((e) => e.points),
    maxPoints: options.steps.reduce((n, s) => n + s.points, 0),
    durationMs: Date.now() - started,
    ...(error ? { error } : {}),
  };
}

/** A hidden test as a learner may see it: its name and verdict. */
function redact(test: TestResult): TestResult {
  if (test.visibility !== 'hidden') return test;
  const { message: _m, expected: _e, actual: _a, location: _l, ...rest } = test;
  return { ...rest, output: [], ...(test.status === 'pass' ? {} : { message: 'a hidden test: its details are not shown' }) };
}

function single(step: ExerciseStep, targetDir: string, test: Omit<TestResult, 'points' | 'maxPoints' | 'durationMs' | 'visibility' | 'output'>): SuiteResult {
  const result = summarize(step.id, targetDir, [{ ...test, points: 0, maxPoints: step.points, durationMs: 0, visibility: 'visible', output: [] }], 0, [], []);
  return { ...result, status: test.status === 'error' ? 'error' : 'fail' };
}

function notGraded(step: ExerciseStep, work: string, at: Record<string, string>, outcome: 'missing' | 'incomplete', missing: string[], refused: Record<string, string>): ExerciseGrade {
  const why = missing.map((f) => refused[f]).filter(Boolean);
  const test = {
    id: 'submitted',
    name: `the submission holds ${step.files.join(' and ')}`,
    status: 'fail' as const,
    message: `not found in the submission: ${missing.join(', ')} (looked for exercises/${step.id}/FILE and ${step.id}/FILE)${why.length > 0 ? `\n${why.join('\n')}` : ''}`,
  };
  return { ...single(step, path.join(work, 'exercises', step.id), test), outcome, found: at };
}

function timedOut(step: ExerciseStep, work: string, at: Record<string, string>, limitMs: number): ExerciseGrade {
  const test = {
    id: 'submission-limit',
    name: 'graded within the submission\'s time limit',
    status: 'timeout' as const,
    message: `not graded: the time limit of ${Math.round(limitMs / 1000)} s for the whole submission ran out`,
  };
  return { ...single(step, path.join(work, 'exercises', step.id), test), outcome: 'timeout', found: at };
}

function tampered(step: ExerciseStep, result: SuiteResult, at: Record<string, string>, changed: string[]): ExerciseGrade {
  const voided = result.tests.map((t) => ({ ...t, points: 0 }));
  const test: TestResult = {
    id: 'integrity',
    name: "the grader's files are left as they were",
    status: 'fail',
    message: `your code changed the grader's files while it was graded (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', ...' : ''}): the result of ${step.id} is void`,
    durationMs: 0,
    points: 0,
    maxPoints: 0,
    visibility: 'visible',
    output: [],
  };
  return { ...summarize(step.id, result.target, [test, ...voided], result.durationMs, result.output, result.unhandled), maxPoints: step.points, status: 'fail', outcome: 'tampered', found: at };
}

/** Names for the submissions: the folder or archive name, made safe for a file name and unique. */
export function uniqueNames(sources: readonly string[]): string[] {
  const taken = new Map<string, number>();
  return sources.map((source) => {
    const base = path.basename(path.resolve(source)).replace(/\.(zip|tar\.gz|tgz|tar)$/i, '').normalize('NFC').replace(/[^\p{L}\p{N}._-]+/gu, '_') || 'submission';
    const n = (taken.get(base) ?? 0) + 1;
    taken.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/**
 * On Linux: makes this process the reaper of its descendants' orphans (prctl(2)
 * PR_SET_CHILD_SUBREAPER), so a learner's process that forks and leaves lands here, and ends every
 * such adopted process each half second and at the end, and caps what learner code may write to a
 * file (setrlimit(2) RLIMIT_FSIZE, inherited by every process started from here). Returns the stop.
 */
async function adoptOrphans(): Promise<() => void> {
  if (process.platform !== 'linux') return () => {};
  const { setrlimit, getrlimit, RLIMIT_FSIZE } = await import('../sys/index.ts');
  const { libc } = await import('../sys/libc.ts');
  const { hard } = getrlimit(RLIMIT_FSIZE);
  // The hard limit too: a soft one alone, learner code could raise again.
  const cap = Math.min(hard, FILE_SIZE_LIMIT_BYTES);
  setrlimit({ soft: cap, hard: cap }, RLIMIT_FSIZE);
  libc.prctl?.(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  const sweep = () => {
    for (const pid of adoptedChildren()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  };
  const timer = setInterval(sweep, 500);
  return () => {
    clearInterval(timer);
    sweep();
  };
}

const PR_SET_CHILD_SUBREAPER = 36;

/** Children of this process that are not runners it started: adopted orphans. */
function adoptedChildren(): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the second field after the command's closing parenthesis.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && !liveRunners.has(Number(entry))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
