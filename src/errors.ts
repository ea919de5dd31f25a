// A broken tool or environment is a thrown ToolError with a stable code and a sentence that says
// what to do next. A learner's wrong answer is never a ToolError: it is a verdict (see grader/model).

export type ToolErrorCode =
  | 'USAGE'
  | 'UNKNOWN_STEP'
  | 'STEP_COMING'
  | 'NOT_AN_EXERCISE'
  | 'NOT_A_LESSON'
  | 'NO_WORKSPACE'
  | 'WORKSPACE_EXISTS'
  | 'PROGRESS_CORRUPT'
  | 'FILE_MISSING'
  | 'SOLUTION_LOCKED'
  | 'GRADER_FAILED'
  | 'UNSUPPORTED_PLATFORM';

export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    /** What the user can do about it, one sentence. */
    readonly fix?: string,
    /** The process exit code: 2 means the tool could not run; 1 a refusal the user can fix. */
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}
