// The result model of `learn-io grade`: a batch of submissions, each graded on some exercises.
//
// Every report format (src/grade/report/) is a view of a GradeReport; the `json` format is this
// model as it is, and README.md documents it. A test's verdict reuses the grader's own model
// (src/grader/model.ts); what is added here is the submission around it.
import type { SuiteResult } from '../grader/model.ts';

/** What happened to one submission as a whole. */
export type SubmissionStatus =
  /** Every exercise was graded (each may pass or fail). */
  | 'graded'
  /** The grader could not judge at least one exercise: an infrastructure fault, never the learner's zero. */
  | 'error';

export interface ExerciseGrade extends SuiteResult {
  /**
   * How this exercise ended, beyond the suite's own status:
   * - graded: the suite ran (status pass/fail/error as in SuiteResult);
   * - missing: the submission holds none of the exercise's files (0 points, nothing ran);
   * - incomplete: some of its files are missing (0 points, nothing ran);
   * - tampered: the learner's code changed the grader's files while it ran (0 points, result void);
   * - timeout: the submission's own time limit ran out before this exercise finished.
   */
  outcome: 'graded' | 'missing' | 'incomplete' | 'tampered' | 'timeout';
  /** The exercise's files as found in the submission, relative to the submission's root. */
  found: Record<string, string>;
}

export interface SubmissionGrade {
  /** The submission's name: its folder or archive name without extension, made unique in the batch. */
  name: string;
  /** Where it came from, as given on the command line. */
  source: string;
  status: SubmissionStatus;
  exercises: ExerciseGrade[];
  points: number;
  maxPoints: number;
  durationMs: number;
  /** Set when the submission could not be read at all (a broken archive): what went wrong. */
  error?: { code: string; message: string };
}

export interface GradeReport {
  /** Always "learn-io-grade"; `version` changes only when a field changes meaning or goes away. */
  format: 'learn-io-grade';
  version: 1;
  /** learn-io's own version, which holds the suites unless `suites` says otherwise. */
  tool: string;
  /** ISO 8601, when the batch started. */
  gradedAt: string;
  /** The folder of hidden suites used: the package's own, or an instructor's (`--suites`). */
  suites: string;
  /** The exercises graded, in course order, with their points. */
  exercises: { id: string; title: string; points: number; bonus: boolean }[];
  /** Hidden tests' details (message, expected, actual, output) are kept only when this is true. */
  showHidden: boolean;
  submissions: SubmissionGrade[];
  /**
   * Grading files of the installed package that differ, after the batch, from what they were when it
   * started (relative paths): learner code (or a person) changed them. The batch's results stand
   * (every submission ran from a copy), but the package should be reinstalled.
   */
  packageChanged?: string[];
  durationMs: number;
}
