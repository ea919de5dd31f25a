// A learner's workspace: the exercise stubs they edit, their progress, editor settings.
//
//   WORKSPACE/.learn-io/workspace.json   the marker (which package made it, when)
//   WORKSPACE/.learn-io/progress.json    progress (see progress.ts)
//   WORKSPACE/.learn-io/backups/         files replaced by `reset`
//   WORKSPACE/exercises/ID/              README.md and the files the learner edits
//   WORKSPACE/package.json, tsconfig.json  so an editor knows the types
//
// In the package's own git clone the workspace is CLONE/workspace (ignored by git), made on first
// use without asking, so `npm install && npx learn-io next` just works and exercises/ stays pristine.
import fs from 'node:fs';
import path from 'node:path';
import { course, packageRoot, stepPaths, workspaceExerciseDir, type ExerciseStep } from '../catalog.ts';
import { ToolError } from '../errors.ts';
import { emptyProgress, writeFileAtomic, writeProgress } from './progress.ts';

export const MARKER_DIR = '.learn-io';

export interface Workspace {
  root: string;
  progressFile: string;
  backupsDir: string;
}

export function workspaceAt(root: string): Workspace {
  return {
    root,
    progressFile: path.join(root, MARKER_DIR, 'progress.json'),
    backupsDir: path.join(root, MARKER_DIR, 'backups'),
  };
}

function markerFile(root: string): string {
  return path.join(root, MARKER_DIR, 'workspace.json');
}

/** The nearest folder at or above `start` that holds a workspace marker, or null. */
export function findWorkspaceRoot(start: string): string | null {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(markerFile(dir))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** True when `dir` is inside the package's own git clone (not an installed copy). */
export function isInOwnClone(dir: string, root: string = packageRoot): boolean {
  const relative = path.relative(root, path.resolve(dir));
  const inside = relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  return inside && fs.existsSync(path.join(root, '.git'));
}

export function cloneWorkspaceRoot(root: string = packageRoot): string {
  return path.join(root, 'workspace');
}

/**
 * The workspace for a command run in `cwd`: the nearest marked folder; else, inside the package's
 * own clone, CLONE/workspace (created now if missing); else null.
 */
export function resolveWorkspace(cwd: string): Workspace | null {
  const root = findWorkspaceRoot(cwd) ?? (isInOwnClone(cwd) ? cloneWorkspaceRoot() : null);
  if (!root) return null;
  // Completes the workspace without touching what is there: a first use in the clone makes it, and
  // an exercise added by a newer learn-io appears in an older workspace.
  createWorkspace(root, { force: false });
  return workspaceAt(root);
}

/** Like resolveWorkspace, but a missing workspace is a ToolError that says what to run. */
export function requireWorkspace(cwd: string): Workspace {
  const ws = resolveWorkspace(cwd);
  if (!ws) throw noWorkspaceError(cwd);
  return ws;
}

export function noWorkspaceError(cwd: string): ToolError {
  return new ToolError(
    'NO_WORKSPACE',
    `No learn-io workspace here (${cwd}) or in any folder above it.`,
    'Create one with `npx learn-io init my-course`, then `cd my-course && npx learn-io next`.',
  );
}

export interface CreateResult {
  root: string;
  written: string[];
  /** Files that were there already and were left as they were. */
  kept: string[];
}

/** The files `createWorkspace` would write that exist already (what `init` refuses to replace). */
export function workspaceConflicts(root: string): string[] {
  const files = [markerFile(root), path.join(root, 'package.json'), path.join(root, 'tsconfig.json')];
  for (const step of course) {
    if (step.kind !== 'exercise' || step.coming) continue;
    const dir = workspaceExerciseDir(root, step);
    files.push(path.join(dir, 'README.md'), ...step.files.map((f) => path.join(dir, f)));
  }
  return files.filter((f) => fs.existsSync(f));
}

/**
 * Makes (or completes) a workspace at `root`. Existing files are kept, never overwritten, unless
 * `force`; with force the replaced exercise files are backed up first. The progress file is never
 * replaced: it is the learner's record.
 */
export function createWorkspace(root: string, options: { force: boolean }): CreateResult {
  const ws = workspaceAt(root);
  const written: string[] = [];
  const kept: string[] = [];
  const put = (file: string, content: string | Buffer, { replaceable }: { replaceable: boolean }) => {
    if (fs.existsSync(file)) {
      if (!(options.force && replaceable)) {
        kept.push(file);
        return;
      }
      if (!fs.readFileSync(file).equals(Buffer.from(content))) backupFile(ws, file);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, typeof content === 'string' ? content : content.toString('utf8'));
    written.push(file);
  };

  fs.mkdirSync(path.join(root, MARKER_DIR), { recursive: true });
  put(markerFile(root), `${JSON.stringify({ package: 'learn-io', format: 1, created: new Date().toISOString() }, null, 2)}\n`, {
    replaceable: false,
  });
  if (!fs.existsSync(ws.progressFile)) {
    writeProgress(ws.progressFile, emptyProgress());
    written.push(ws.progressFile);
  }
  for (const step of course) {
    if (step.kind !== 'exercise' || step.coming) continue;
    const paths = stepPaths(step);
    const dir = workspaceExerciseDir(root, step);
    put(path.join(dir, 'README.md'), fs.readFileSync(paths.task), { replaceable: true });
    for (const file of step.files) put(path.join(dir, file), fs.readFileSync(path.join(paths.stubDir, file)), { replaceable: true });
  }
  put(path.join(root, 'package.json'), workspacePackageJson(root), { replaceable: true });
  put(path.join(root, 'tsconfig.json'), workspaceTsconfig(root), { replaceable: true });
  put(path.join(root, '.gitignore'), '.learn-io/backups/\nnode_modules/\n', { replaceable: true });
  return { root, written, kept };
}

function workspacePackageJson(root: string): string {
  const name = path.basename(root).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-course';
  const pkg = {
    name,
    private: true,
    type: 'module',
    description: 'A learn-io workspace: edit the files under exercises/, check them with `npx learn-io check`.',
    scripts: { next: 'learn-io next', check: 'learn-io check', watch: 'learn-io watch', hint: 'learn-io hint' },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

function workspaceTsconfig(root: string): string {
  // The runtime library's types come from the installed package, found relative to the workspace
  // so the file stays valid when the folder is moved together with the package.
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'Bundler',
      allowImportingTsExtensions: true,
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      paths: { 'learn-io/*': [`${rel(path.join(packageRoot, 'src'))}/*`] },
    },
    include: ['exercises'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Copies `file` to WORKSPACE/.learn-io/backups/<time>/<path inside the workspace>; returns the copy. */
export function backupFile(ws: Workspace, file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const relative = path.relative(ws.root, file);
  const target = path.join(ws.backupsDir, stamp, relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(file, target);
  return target;
}

export function exerciseFiles(ws: Workspace, step: ExerciseStep): string[] {
  return step.files.map((file) => path.join(workspaceExerciseDir(ws.root, step), file));
}
