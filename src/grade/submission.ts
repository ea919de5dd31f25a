// A submission: a learner's workspace as a folder, a .zip or a .tar.gz. Only the exercise files the
// catalog names are taken from it; nothing else is read, run or trusted (not its progress file, not
// its package.json, not a test or grader file it may carry).
//
// Where a file is: a submission may be a workspace (WS/exercises/ID/FILE), a clone of the package
// with its workspace inside (CLONE/workspace/exercises/ID/FILE, next to the pristine stubs in
// CLONE/exercises/), a folder of a workspace's exercise folders (ID/FILE), or, when one exercise is
// graded, the bare files. A folder that holds the workspace marker (.learn-io/workspace.json) wins.
import fs from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import * as tar from 'tar';
import { stepPaths, type ExerciseStep } from '../catalog.ts';

/** A learner's file larger than this is not read (bytes). */
export const FILE_LIMIT_BYTES = 1024 * 1024;
/** An archive larger than this is refused (bytes). */
export const ARCHIVE_LIMIT_BYTES = 200 * 1024 * 1024;
/** A folder is searched this deep, and through at most this many entries. */
const MAX_DEPTH = 8;
const MAX_ENTRIES = 50_000;
const MARKER = path.join('.learn-io', 'workspace.json');

export class SubmissionError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'UNREADABLE' | 'TOO_LARGE' | 'NOT_SUPPORTED',
    message: string,
  ) {
    super(message);
    this.name = 'SubmissionError';
  }
}

/** Where each exercise's files were found, relative to the submission's root; absent: not there. */
export interface Located {
  /** By exercise id: by file name (as the catalog names it), the path within the submission. */
  files: Map<string, Record<string, string>>;
  /** By exercise id: by file name, why a file that is there was not taken (a link, too large). */
  refused: Map<string, Record<string, string>>;
}

/**
 * Copies the files of `steps` from `source` (a folder, .zip, .tar.gz or .tgz) into
 * `dest/exercises/ID/FILE` and says where each was found. Regular files only (a symbolic link is
 * not followed), each at most FILE_LIMIT_BYTES. Throws SubmissionError when the source cannot be read.
 */
export async function takeSubmission(source: string, steps: readonly ExerciseStep[], dest: string, scratch: string): Promise<Located> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new SubmissionError('NOT_FOUND', `${source} does not exist`);
  }
  const wanted = new Set(steps.flatMap((s) => s.files));
  let root = source;
  if (!stat.isDirectory()) {
    if (stat.size > ARCHIVE_LIMIT_BYTES) throw new SubmissionError('TOO_LARGE', `${source} is larger than ${ARCHIVE_LIMIT_BYTES / 2 ** 20} MB`);
    root = path.join(scratch, 'unpacked');
    fs.mkdirSync(root, { recursive: true });
    const keep = (name: string, size: number) => size <= FILE_LIMIT_BYTES && (wanted.has(path.posix.basename(name)) || name.endsWith('.learn-io/workspace.json'));
    if (/\.zip$/i.test(source)) unpackZip(source, root, keep);
    else if (/\.(tar\.gz|tgz|tar)$/i.test(source)) await unpackTar(source, root, keep);
    else throw new SubmissionError('NOT_SUPPORTED', `${source}: a submission is a folder, a .zip or a .tar.gz`);
  }
  const { files: found, refused } = locate(root, steps);
  for (const step of steps) {
    const files = found.get(step.id) ?? {};
    for (const [file, at] of Object.entries(files)) {
      const target = path.join(dest, 'exercises', step.id, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(path.join(root, at), target);
    }
  }
  return { files: found, refused };
}

/** Extracts the entries `keep` accepts, under safe relative paths only. */
function unpackZip(file: string, into: string, keep: (name: string, size: number) => boolean): void {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(fs.readFileSync(file), { filter: (entry) => !entry.name.endsWith('/') && keep(entry.name, entry.originalSize) });
  } catch (error) {
    throw new SubmissionError('UNREADABLE', `${file} is not a readable zip archive (${error instanceof Error ? error.message : String(error)})`);
  }
  for (const [name, data] of Object.entries(entries)) {
    const relative = safeRelative(name);
    // A declared size can lie: what came out counts.
    if (!relative || data.length > FILE_LIMIT_BYTES) continue;
    const target = path.join(into, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data);
  }
}

async function unpackTar(file: string, into: string, keep: (name: string, size: number) => boolean): Promise<void> {
  try {
    await tar.x({
      file,
      cwd: into,
      strict: true,
      // Regular files only: a link could point anywhere on the grading machine.
      filter: (name, entry) => {
        const type = 'type' in entry ? entry.type : undefined;
        const size = 'size' in entry && typeof entry.size === 'number' ? entry.size : 0;
        return (type === 'File' || type === 'OldFile' || type === 'ContiguousFile') && safeRelative(name) !== undefined && keep(name, size);
      },
    });
  } catch (error) {
    throw new SubmissionError('UNREADABLE', `${file} is not a readable tar archive (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** A path inside the archive as a safe relative path, or undefined (absolute, `..`, empty). */
function safeRelative(name: string): string | undefined {
  const parts = name.replaceAll('\\', '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..') || /^[a-zA-Z]:/.test(parts[0]!)) return undefined;
  return parts.join(path.sep);
}

/** Finds each step's files under `root` (see the top of this file for the rules). */
export function locate(root: string, steps: readonly ExerciseStep[]): Located {
  const names = new Set(steps.flatMap((s) => s.files));
  const candidates: string[] = []; // relative paths of regular files with a wanted name
  const links: string[] = []; // symbolic links with a wanted name: never followed
  const workspaces: string[] = []; // relative folders holding the workspace marker
  let seen = 0;
  const walk = (relative: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > MAX_ENTRIES) return;
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === '.learn-io') {
          if (fs.existsSync(path.join(root, child, 'workspace.json'))) workspaces.push(relative);
        } else if (entry.name !== 'node_modules' && !entry.name.startsWith('.') && depth < MAX_DEPTH) walk(child, depth + 1);
      } else if (entry.isFile() && names.has(entry.name)) {
        candidates.push(child);
      } else if (entry.isSymbolicLink() && names.has(entry.name)) {
        links.push(child);
      }
    }
  };
  walk('', 0);

  const byDepth = (a: string, b: string) => a.split(path.sep).length - b.split(path.sep).length || a.localeCompare(b);
  candidates.sort(byDepth);
  workspaces.sort(byDepth);
  const inWorkspace = (p: string) => workspaces.length === 0 || workspaces.some((w) => w === '' || p.startsWith(w + path.sep));
  const found = new Map<string, Record<string, string>>();
  const refused = new Map<string, Record<string, string>>();
  for (const step of steps) {
    const files: Record<string, string> = {};
    const why: Record<string, string> = {};
    for (const file of step.files) {
      // A whole clone without its workspace marker holds the pristine stub at exercises/ID/ and the
      // work deeper down: of several matches, one that is not the stub wins.
      const stub = readOrUndefined(path.join(stepPaths(step).stubDir, file));
      const notStub = (c: string) => stub === undefined || !stub.equals(readOrUndefined(path.join(root, c)) ?? Buffer.alloc(0));
      const pick = (suffix: string) => {
        const matches = candidates.filter((c) => c === suffix || c.endsWith(path.sep + suffix));
        const preferred = matches.filter(inWorkspace);
        const pool = preferred.length > 0 ? preferred : matches;
        return pool.find(notStub) ?? pool[0];
      };
      const at =
        pick(path.join('exercises', step.id, file)) ??
        pick(path.join(step.id, file)) ??
        // The bare file, only when one exercise is graded: several exercises share file names.
        (steps.length === 1 ? candidates.find((c) => path.basename(c) === file && !c.split(path.sep).includes('exercises')) : undefined);
      if (at && fs.statSync(path.join(root, at)).size > FILE_LIMIT_BYTES) {
        why[file] = `${at} is larger than ${FILE_LIMIT_BYTES / 2 ** 20} MB: it was not read`;
      } else if (at) {
        files[file] = at;
      } else {
        const link = links.find((l) => l.endsWith(path.join(step.id, file)) || (steps.length === 1 && path.basename(l) === file));
        if (link) why[file] = `${link} is a symbolic link: only regular files are taken from a submission`;
      }
    }
    found.set(step.id, files);
    if (Object.keys(why).length > 0) refused.set(step.id, why);
  }
  return { files: found, refused };
}

/** The file's content, or undefined when it is missing, unreadable or larger than FILE_LIMIT_BYTES. */
export function readOrUndefined(file: string): Buffer | undefined {
  try {
    return fs.statSync(file).size <= FILE_LIMIT_BYTES ? fs.readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}
