// The result model every grader command speaks: `check`, `review`, later `grade` and its emitters.
//
// A learner's wrong answer is a verdict made of these values. `error` is reserved for a fault of
// the grader or its environment, so a broken tool never reads as a learner's zero.

export type TestStatus = 'pass' | 'fail' | 'timeout' | 'error';

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface TestResult {
  /** Stable id within the suite (Vitest's test id, or a synthetic one for load failures). */
  id: string;
  /** The test's name as written in the suite, with its describe blocks joined by " > ". */
  name: string;
  status: TestStatus;
  /** What went wrong, for a learner: the assertion's message or the error thrown. */
  message?: string;
  expected?: string;
  actual?: string;
  /** Where it broke: the deepest frame in the learner's file when there is one, else in the suite. */
  location?: SourceLocation;
  durationMs: number;
  points: number;
  maxPoints: number;
  visibility: 'visible' | 'hidden';
  /** What the learner's code printed while this test ran (console.log/console.error). */
  output: string[];
}

/** An error of the learner's code outside any test (an unhandled rejection, a throw in a timer). */
export interface SuiteError {
  message: string;
  location?: SourceLocation;
}

export interface SuiteResult {
  exercise: string;
  /** The folder whose files were graded. */
  target: string;
  /** pass: every test passed; fail: a learner's failure; error: the grader could not judge. */
  status: 'pass' | 'fail' | 'error';
  tests: TestResult[];
  passed: number;
  total: number;
  points: number;
  maxPoints: number;
  durationMs: number;
  /** Learner output not tied to one test (module top level, stray writes). */
  output: string[];
  /** Errors of the learner's code outside any test; any of them makes the suite fail. */
  unhandled: SuiteError[];
  /** Set when status is error: what failed in the grader and what to do. */
  error?: { code: string; message: string; detail?: string };
  /** Grading files that were loaded with other content than the grader copied (`learn-io grade` only). */
  tampered?: string[];
}

export function summarize(
  exercise: string,
  target: string,
  tests: TestResult[],
  durationMs: number,
  output: string[],
  unhandled: SuiteError[],
  error?: SuiteResult['error'],
): SuiteResult {
  const passed = tests.filter((t) => t.status === 'pass').length;
  const status: SuiteResult['status'] =
    error || tests.some((t) => t.status === 'error')
      ? 'error'
      : tests.length > 0 && passed === tests.length && unhandled.length === 0
        ? 'pass'
        : 'fail';
  const sum = (pick: (t: TestResult) => number) => Math.round(tests.reduce((n, t) => n + pick(t), 0) * 100) / 100;
  return {
    exercise,
    target,
    status,
    tests,
    passed,
    total: tests.length,
    points: sum((t) => t.points),
    maxPoints: sum((t) => t.maxPoints),
    durationMs,
    output,
    unhandled,
    ...(error ? { error } : {}),
  };
}
