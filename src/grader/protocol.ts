// What runner.mjs (the child) tells run-suite.ts (the parent), one JSON object per line on fd 3.

export interface RunnerRequest {
  packageRoot: string;
  /** grader/suites/ID */
  suiteDir: string;
  /** The folder holding the exercise files under test. */
  targetDir: string;
  /** Those files, which grader/setup.ts imports before the suite does. */
  targetFiles: string[];
  testTimeoutMs: number;
  /** Run only these Vitest test ids (a re-run after a hang); absent means all. */
  onlyIds?: string[];
  /** sha256 (hex) of each grading file by absolute path: a file loaded with another content is reported as tampered. */
  digests?: Record<string, string>;
}

export interface WireError {
  name: string;
  message: string;
  /** The file a transform (parse) error is about. */
  file?: string;
  stack?: string | undefined;
  stacks: { file: string; line: number; column: number }[];
  expected?: string | undefined;
  actual?: string | undefined;
  diff?: string | undefined;
}

export type RunnerEvent =
  | { type: 'ready' }
  | { type: 'collected'; file: string; tests: { id: string; name: string; file: string }[] }
  | { type: 'test-start'; id: string }
  | {
      type: 'test-end';
      id: string;
      name: string;
      state: 'passed' | 'failed' | 'skipped' | 'pending';
      durationMs: number;
      errors: WireError[];
    }
  | { type: 'log'; taskId?: string | undefined; stream: 'stdout' | 'stderr'; content: string }
  | { type: 'module-end'; file: string; state: string; errors: WireError[] }
  | { type: 'run-end'; errors: WireError[] }
  | { type: 'fatal'; error: WireError }
  /** A grading file (suite, setup, harness) was loaded with other content than the grader copied. */
  | { type: 'tampered'; file: string };
