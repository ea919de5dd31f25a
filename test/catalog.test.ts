import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { course, demoPath, packageRoot, stepPaths } from '../src/catalog.ts';

const built = course.filter((s) => !s.coming);

/** Every file under `dir` (relative to the package root), skipping nothing. */
function filesUnder(dir: string): string[] {
  const abs = path.join(packageRoot, dir);
  if (!fs.existsSync(abs)) return [];
  return fs
    .readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(packageRoot, path.join(e.parentPath, e.name)));
}

/** The files the catalog says a step owns. */
function owned(): Set<string> {
  const files = new Set<string>();
  const add = (f: string) => files.add(path.relative(packageRoot, f));
  for (const step of built) {
    const p = stepPaths(step);
    if (step.kind === 'lesson') {
      add(p.lesson);
      p.demos.forEach(add);
    } else {
      add(p.task);
      for (const f of step.files) {
        add(path.join(p.stubDir, f));
        add(path.join(p.referenceDir, f));
      }
      for (const f of filesUnder(path.relative(packageRoot, p.suiteDir))) files.add(f);
    }
  }
  return files;
}

describe('catalog', () => {
  it('ids are unique kebab-case', () => {
    const ids = course.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("lists every step of PRODUCT.md's course, in order", () => {
    expect(course.map((s) => `${s.kind}:${s.id}`)).toEqual([
      'lesson:coroutines',
      'exercise:coroutine-switcher',
      'lesson:cooperative-scheduling',
      'exercise:hub',
      'lesson:io-models',
      'lesson:select-poll-epoll',
      'exercise:select-server',
      'exercise:epoll-server',
      'lesson:threads',
      'exercise:thread-pool',
      'exercise:thread-pool-ftp',
      'lesson:servers-compared',
    ]);
  });

  it('every built step has all of its files', () => {
    const missing = [...owned()].filter((f) => !fs.existsSync(path.join(packageRoot, f)));
    expect(missing).toEqual([]);
    for (const step of built) {
      if (step.kind !== 'exercise') continue;
      expect(filesUnder(path.relative(packageRoot, stepPaths(step).suiteDir)).some((f) => f.endsWith('.test.ts')), `${step.id} has a hidden suite`).toBe(true);
      expect(step.hints.length, `${step.id} has graded hints`).toBeGreaterThanOrEqual(3);
    }
  });

  it('every file of lessons/, exercises/, solutions/ and grader/suites/ belongs to a step', () => {
    const mine = owned();
    const stray = ['lessons', 'exercises', 'solutions', path.join('grader', 'suites')]
      .flatMap(filesUnder)
      .filter((f) => !mine.has(f));
    expect(stray).toEqual([]);
  });

  it('a step that is coming has no files yet, so nothing half-built ships', () => {
    for (const step of course.filter((s) => s.coming)) {
      const p = stepPaths(step);
      expect(fs.existsSync(p.lesson) || fs.existsSync(p.stubDir) || fs.existsSync(p.suiteDir), step.id).toBe(false);
    }
  });

  it("a server exercise's server file is one of its files", () => {
    for (const step of built) if (step.kind === 'exercise' && step.server !== undefined) expect(step.files, step.id).toContain(step.server);
  });

  it('demo ids resolve to files in lessons/demos/', () => {
    for (const step of built) if (step.kind === 'lesson') for (const d of step.demos) expect(fs.existsSync(demoPath(d.id)), d.id).toBe(true);
  });
});
