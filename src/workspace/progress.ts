// The learner's progress: WORKSPACE/.learn-io/progress.json.
//
// Written atomically (temporary file in the same folder, fsync, rename, fsync of the folder), so a
// crash or Ctrl-C mid-write leaves either the old file or the new one, never half of each. A file
// we cannot read is reported with its path and the way out, and is never overwritten.
import fs from 'node:fs';
import path from 'node:path';
import { ToolError } from '../errors.ts';

export const PROGRESS_VERSION = 1;

export interface QuizRecord {
  /** Index of the chosen answer, per question. */
  answers: number[];
  correct: number;
  total: number;
  at: string;
}

export interface StepProgress {
  /** ISO time the step was completed (lesson shown in full, or exercise passed). */
  done?: string;
  /** How many of the exercise's hints were shown. */
  hintsSeen?: number;
  quiz?: QuizRecord;
  /** Every `check` of the exercise: how many, and the last verdict. */
  checks?: number;
  lastCheck?: { at: string; passed: number; total: number };
}

export interface Progress {
  version: typeof PROGRESS_VERSION;
  steps: Record<string, StepProgress>;
}

export function emptyProgress(): Progress {
  return { version: PROGRESS_VERSION, steps: {} };
}

/** Reads a progress file; a missing file is empty progress. Throws ToolError PROGRESS_CORRUPT. */
export function readProgress(file: string): Progress {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyProgress();
    throw error;
  }
  const fix =
    `Move it aside (mv ${file} ${file}.broken) and run the command again to start a fresh one, ` +
    'or repair the JSON by hand; learn-io never overwrites it.';
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ToolError('PROGRESS_CORRUPT', `The progress file ${file} is not valid JSON (${(error as Error).message}).`, fix);
  }
  if (!isProgress(data)) {
    const version = (data as { version?: unknown } | null)?.version;
    const what =
      typeof version === 'number' && version > PROGRESS_VERSION
        ? `was written by a newer learn-io (format ${version}; this one reads ${PROGRESS_VERSION})`
        : 'is not a learn-io progress file';
    throw new ToolError('PROGRESS_CORRUPT', `The progress file ${file} ${what}.`, fix);
  }
  return data;
}

function isProgress(data: unknown): data is Progress {
  if (typeof data !== 'object' || data === null) return false;
  const { version, steps } = data as Record<string, unknown>;
  if (version !== PROGRESS_VERSION || typeof steps !== 'object' || steps === null || Array.isArray(steps)) return false;
  return Object.values(steps).every(isStepProgress);
}

function isStepProgress(value: unknown): value is StepProgress {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const s = value as Record<string, unknown>;
  const optional = (v: unknown, ok: (v: unknown) => boolean) => v === undefined || ok(v);
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const text = (v: unknown) => typeof v === 'string';
  const record = (v: unknown, fields: Record<string, (v: unknown) => boolean>) =>
    typeof v === 'object' && v !== null && Object.entries(fields).every(([k, ok]) => ok((v as Record<string, unknown>)[k]));
  return (
    optional(s.done, text) &&
    optional(s.hintsSeen, count) &&
    optional(s.checks, count) &&
    optional(s.quiz, (q) => record(q, { answers: (a) => Array.isArray(a) && a.every(count), correct: count, total: count, at: text })) &&
    optional(s.lastCheck, (c) => record(c, { at: text, passed: count, total: count }))
  );
}

/** Replaces `file` with `text` atomically: other readers see the old or the new file, whole. */
export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  // The rename itself lives in the folder: sync it too, where the platform lets us open a folder.
  try {
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Not supported on every platform or file system; the rename is still atomic.
  }
}

export function writeProgress(file: string, progress: Progress): void {
  writeFileAtomic(file, `${JSON.stringify(progress, null, 2)}\n`);
}

/** Reads, changes and writes back one step's record; returns the new whole progress. */
export function updateStep(file: string, id: string, change: (step: StepProgress) => void): Progress {
  const progress = readProgress(file);
  const step = (progress.steps[id] ??= {});
  change(step);
  writeProgress(file, progress);
  return progress;
}
