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
  const found = findWorkspaceRoot(cwd);
  if (found) {
    addNewExercises(found);
    return workspaceAt(found);
  }
  if (!isInOwnClone(cwd)) return null;
  const root = cloneWorkspaceRoot();
  if (fs.existsSync(markerFile(root))) addNewExercises(root);
  else createWorkspace(root, { force: false });
  return workspaceAt(root);
}

/**
 * Copies in the exercises a newer learn-io added since the workspace was made: only those whose
 * folder does not exist at all. A file the learner deleted or renamed is left missing (check says
 * so) rather than silently replaced by a fresh stub.
 */
function addNewExercises(root: string): void {
  for (const step of course) {
    if (step.kind !== 'exercise' || step.coming) continue;
    if (fs.existsSync(workspaceExerciseDir(root, step))) continue;
    copyExercise(root, step, (target, content) => {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    });
  }
}

/** Hands each file of an exercise's workspace copy (its README and stubs) to `write`. */
function copyExercise(root: string, step: ExerciseStep, write: (target: string, content: Buffer) => void): void {
  const paths = stepPaths(step);
  const dir = workspaceExerciseDir(root, step);
  write(path.join(dir, 'README.md'), fs.readFileSync(paths.task));
  for (const file of step.files) write(path.join(dir, file), fs.readFileSync(path.join(paths.stubDir, file)));
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
  /** Copies of learner files that `force` replaced. */
  backups: string[];
}

/** @throws ToolError WORKSPACE_EXISTS when `root` is the package itself or is not a folder. */
function checkWorkspaceRoot(root: string): void {
  if (path.resolve(root) === packageRoot) {
    throw new ToolError(
      'WORKSPACE_EXISTS',
      'That is the learn-io package itself, not a place for a workspace.',
      'In a clone, just run `npx learn-io next`: it uses the workspace/ folder.',
    );
  }
  if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) {
    throw new ToolError('WORKSPACE_EXISTS', `${root} is a file, not a folder.`, 'Pick another name for the workspace.');
  }
}

/**
 * The files `createWorkspace` would write that exist already (what `init` refuses to replace).
 * @throws ToolError WORKSPACE_EXISTS when `root` cannot be a workspace at all.
 */
export function workspaceConflicts(root: string): string[] {
  checkWorkspaceRoot(root);
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
 * `force`, which replaces the exercise files only, each backed up first when it differs. Files the
 * learner may have made their own (package.json, tsconfig.json, .gitignore) and the progress file
 * are never replaced.
 * @throws ToolError WORKSPACE_EXISTS when `root` is the package itself or is not a folder.
 */
export function createWorkspace(root: string, options: { force: boolean }): CreateResult {
  checkWorkspaceRoot(root);
  const ws = workspaceAt(root);
  const written: string[] = [];
  const kept: string[] = [];
  const backups: string[] = [];
  const put = (file: string, content: string | Buffer, replaceable: boolean) => {
    if (fs.existsSync(file)) {
      if (!(options.force && replaceable) || fs.readFileSync(file).equals(Buffer.from(content))) {
        kept.push(file);
        return;
      }
      backups.push(backupFile(ws, file));
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, typeof content === 'string' ? content : content.toString('utf8'));
    written.push(file);
  };

  fs.mkdirSync(path.join(root, MARKER_DIR), { recursive: true });
  put(markerFile(root), `${JSON.stringify({ package: 'learn-io', format: 1, created: new Date().toISOString() }, null, 2)}\n`, false);
  if (!fs.existsSync(ws.progressFile)) {
    writeProgress(ws.progressFile, emptyProgress());
    written.push(ws.progressFile);
  }
  for (const step of course) {
    if (step.kind === 'exercise' && !step.coming) copyExercise(root, step, (file, content) => put(file, content, true));
  }
  // The clone's own workspace lives inside the package: no package.json of its own, or npx would
  // look for learn-io there instead of using the clone.
  if (root !== cloneWorkspaceRoot()) put(path.join(root, 'package.json'), workspacePackageJson(root), false);
  put(path.join(root, 'tsconfig.json'), workspaceTsconfig(root), false);
  put(path.join(root, '.gitignore'), '.learn-io/backups/\nnode_modules/\n', false);
  return { root, written, kept, backups };
}

function workspacePackageJson(root: string): string {
  const name = path.basename(root).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'my-course';
  // `npm install` here gives `npx learn-io` a local copy and the editor the runtime library's types:
  // the registry's when learn-io runs from there, this clone when it runs from a clone.
  const version = (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const spec = fs.existsSync(path.join(packageRoot, '.git')) ? `file:${packageRoot}` : `^${version}`;
  const pkg = {
    name,
    private: true,
    type: 'module',
    description: 'A learn-io workspace: edit the files under exercises/, check them with `npx learn-io check`.',
    devDependencies: { 'learn-io': spec },
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
      types: ['node'],
      // `import ... from 'learn-io/sys'` in an exercise: the runtime library's source, for its types.
      paths: {
        'learn-io': [rel(path.join(packageRoot, 'src', 'sys', 'index.ts'))],
        'learn-io/sys': [rel(path.join(packageRoot, 'src', 'sys', 'index.ts'))],
        'learn-io/threads': [rel(path.join(packageRoot, 'src', 'threads', 'index.ts'))],
      },

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
