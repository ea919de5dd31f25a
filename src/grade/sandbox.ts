// The grading files, copied per submission: each submission is graded from a package root of its
// own (the runner, the Vitest config and setup, the harness, the runtime library and the hidden
// suites), so what one submission's code does to those files cannot reach another's, and a change
// is seen: every file is compared with the copy taken when the batch started.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../catalog.ts';
import { ToolError } from '../errors.ts';

/** The grading files, read once: relative path → content. */
export class GradingFiles {
  readonly files = new Map<string, Buffer>();

  /**
   * Reads the package's grading files, with the hidden suites from `suitesDir` (a folder of
   * ID/ folders, like the package's grader/suites/). Throws ToolError when it has none.
   */
  constructor(readonly suitesDir: string) {
    this.#add(packageRoot, 'package.json');
    for (const dir of ['src', path.join('grader', 'harness')]) this.#addTree(packageRoot, dir);
    for (const file of ['vitest.config.ts', 'setup.ts']) this.#add(packageRoot, path.join('grader', file));
    if (!fs.existsSync(suitesDir) || !fs.statSync(suitesDir).isDirectory()) {
      throw new ToolError('USAGE', `${suitesDir} is not a folder of hidden suites.`, 'Give a copy of the package\'s grader/suites/ (one folder per exercise id).');
    }
    for (const entry of walk(suitesDir)) this.files.set(path.join('grader', 'suites', entry), fs.readFileSync(path.join(suitesDir, entry)));
  }

  #add(root: string, relative: string): void {
    this.files.set(relative, fs.readFileSync(path.join(root, relative)));
  }

  #addTree(root: string, relative: string): void {
    for (const entry of walk(path.join(root, relative))) this.#add(root, path.join(relative, entry));
  }

  /** True when `suitesDir` has a suite for `id`. */
  hasSuite(id: string): boolean {
    const prefix = path.join('grader', 'suites', id) + path.sep;
    return [...this.files.keys()].some((f) => f.startsWith(prefix) && f.endsWith('.test.ts'));
  }

  /**
   * Writes the files under `root` (read-only, as a first hurdle), and a link to the package's
   * node_modules so that the copies resolve vitest, tsx and koffi as the package does.
   */
  install(root: string): void {
    for (const [relative, content] of this.files) {
      const target = path.join(root, relative);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content, { mode: 0o444 });
    }
    fs.symlinkSync(modulesDir(), path.join(root, 'node_modules'), 'dir');
  }

  /** sha256 (hex) of every file as it is under `root`, by absolute path: what runner.mjs checks at load. */
  digests(root: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [relative, content] of this.files) out[path.join(root, relative)] = createHash('sha256').update(content).digest('hex');
    return out;
  }

  /**
   * The files under `root` that differ from the copy (changed, missing or unreadable), relative.
   * `skipSuites`: for the package's own root when the suites came from another folder.
   */
  changed(root: string, { skipSuites = false } = {}): string[] {
    const out: string[] = [];
    for (const [relative, content] of this.files) {
      if (skipSuites && relative.startsWith(path.join('grader', 'suites') + path.sep)) continue;
      try {
        if (!fs.readFileSync(path.join(root, relative)).equals(content)) out.push(relative);
      } catch {
        out.push(relative);
      }
    }
    return out;
  }

  /** Writes back the copy of each of `relative` under `root`. */
  restore(root: string, relative: string[]): void {
    for (const file of relative) {
      const target = path.join(root, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      try {
        fs.chmodSync(target, 0o644);
      } catch {
        // gone: written afresh below
      }
      fs.writeFileSync(target, this.files.get(file)!);
    }
  }
}

/** Regular files under `dir`, relative to it (symbolic links are not followed). */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.relative(dir, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

/** The node_modules folder that holds vitest for this package (its own, or the one it is installed in). */
function modulesDir(): string {
  for (let dir = packageRoot; ; dir = path.dirname(dir)) {
    const candidate = path.basename(dir) === 'node_modules' ? dir : path.join(dir, 'node_modules');
    if (fs.existsSync(path.join(candidate, 'vitest', 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new ToolError('GRADER_FAILED', 'learn-io could not find the node_modules folder that holds vitest.');
  }
}
