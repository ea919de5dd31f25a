// The CLI end to end, as a learner meets it without a terminal: a fresh workspace in a temporary
// folder, the real bin, real exit codes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/catalog.ts';
import { isInOwnClone } from '../src/workspace/workspace.ts';
import { processesMentioning } from './support.ts';

const bin = path.join(packageRoot, 'src', 'cli', 'bin.mjs');
const reference = path.join(packageRoot, 'solutions', 'coroutine-switcher', 'switcher.ts');
const stub = path.join(packageRoot, 'exercises', 'coroutine-switcher', 'switcher.ts');

function cli(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let home: string; // a folder outside the package's clone
let ws: string;
beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-cli-'));
  ws = path.join(home, 'course');
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('learn-io without a terminal', () => {
  it('next without a workspace says exactly what to run, and fails', () => {
    const r = cli(home, 'next');
    expect(r.code).toBe(2);
    expect(r.err).toContain('npx learn-io init my-course');
    expect(fs.readdirSync(home)).toEqual([]); // nothing was made without asking
  });

  it('init makes a workspace, and refuses to overwrite it without --force', () => {
    expect(cli(home, 'init', 'course').code).toBe(0);
    for (const f of ['.learn-io/workspace.json', '.learn-io/progress.json', 'package.json', 'tsconfig.json', 'exercises/coroutine-switcher/switcher.ts', 'exercises/coroutine-switcher/README.md']) {
      expect(fs.existsSync(path.join(ws, f)), f).toBe(true);
    }
    expect(fs.readFileSync(path.join(ws, 'exercises/coroutine-switcher/switcher.ts'), 'utf8')).toBe(fs.readFileSync(stub, 'utf8'));
    fs.appendFileSync(path.join(ws, 'exercises/coroutine-switcher/switcher.ts'), '// mine\n');
    const again = cli(home, 'init', 'course');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already has .* of the workspace's files/);
    expect(fs.readFileSync(path.join(ws, 'exercises/coroutine-switcher/switcher.ts'), 'utf8')).toContain('// mine');
    // --force restores the stub, keeps the learner's version, and never touches package.json.
    fs.writeFileSync(path.join(ws, 'package.json'), '{"name":"mine"}\n');
    const forced = cli(home, 'init', 'course', '--force');
    expect(forced.code).toBe(0);
    const backup = /Your earlier version is saved as (\S+)/.exec(forced.out)![1]!;
    expect(fs.readFileSync(path.resolve(home, backup), 'utf8')).toContain('// mine');
    expect(fs.readFileSync(path.join(ws, 'exercises/coroutine-switcher/switcher.ts'), 'utf8')).toBe(fs.readFileSync(stub, 'utf8'));
    expect(fs.readFileSync(path.join(ws, 'package.json'), 'utf8')).toBe('{"name":"mine"}\n');
  });

  it('init refuses the package itself and a file, without a stack trace', () => {
    const itself = cli(home, 'init', packageRoot);
    expect(itself.code).toBe(2);
    expect(itself.err).toMatch(/learn-io package itself/);
    fs.writeFileSync(path.join(home, 'afile'), '');
    const file = cli(home, 'init', 'afile');
    expect(file.code).toBe(2);
    expect(file.err).toMatch(/is a file, not a folder/);
    expect(file.err).not.toMatch(/\n\s+at /);
    fs.rmSync(path.join(home, 'afile'));
  });

  it("the printed next command works: the workspace's own learn-io after npm install", () => {
    const r = cli(home, 'init', 'second');
    expect(r.out).toMatch(/cd second && npm install && npx learn-io next/);
    const pkg = JSON.parse(fs.readFileSync(path.join(home, 'second', 'package.json'), 'utf8'));
    expect(pkg.devDependencies['learn-io']).toMatch(fs.existsSync(path.join(packageRoot, '.git')) ? /^file:/ : /^\^/);
    fs.rmSync(path.join(home, 'second'), { recursive: true });
  });

  it('next shows the first lesson in full, then the exercise with its file and command', () => {
    const lesson = cli(ws, 'next');
    expect(lesson.code).toBe(0);
    expect(lesson.out).toContain('Coroutines: threads the kernel never sees');
    expect(lesson.out).not.toContain('```quiz');
    expect(lesson.out).toContain('Lesson "Coroutines" done.');
    const exercise = cli(ws, 'next');
    expect(exercise.out).toContain(path.join('exercises', 'coroutine-switcher', 'switcher.ts'));
    expect(exercise.out).toContain('npx learn-io check coroutine-switcher');
  });

  it('list --json shows the progress and the steps still to come', () => {
    const { steps } = JSON.parse(cli(ws, 'list', '--json').out) as { steps: { id: string; status: string }[] };
    expect(steps.slice(0, 3).map((s) => [s.id, s.status])).toEqual([
      ['coroutines', 'done'],
      ['coroutine-switcher', 'next'],
      ['cooperative-scheduling', 'todo'],
    ]);
    expect(steps.find((s) => s.id === 'servers-compared')?.status).toBe('coming');
  });

  it('hint gives one more graded hint each time and records how many were seen', () => {
    expect(cli(ws, 'hint').out).toContain('Hint 1 of 5 for coroutine-switcher');
    expect(cli(ws, 'hint').out).toContain('Hint 2 of 5 for coroutine-switcher');
    const progress = JSON.parse(fs.readFileSync(path.join(ws, '.learn-io/progress.json'), 'utf8'));
    expect(progress.steps['coroutine-switcher'].hintsSeen).toBe(2);
  });

  it('check fails on the stub with readable messages and exit code 1; solution stays locked', () => {
    const r = cli(ws, 'check', 'coroutine-switcher');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✗ .*G01 /);
    expect(r.out).toContain('not implemented');
    expect(r.out).toMatch(/0 of \d+ tests passed/);
    expect(processesMentioning(ws), 'no process is left behind').toEqual([]);
    expect(cli(ws, 'solution', 'coroutine-switcher').code).toBe(1);
  });

  it('a deleted exercise file is reported missing, not silently replaced by the stub', () => {
    const file = path.join(ws, 'exercises/coroutine-switcher/switcher.ts');
    fs.renameSync(file, `${file}.moved`);
    const r = cli(ws, 'check');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/switcher\.ts is missing/);
    expect(fs.existsSync(file)).toBe(false);
    fs.renameSync(`${file}.moved`, file);
  });

  it('check --json passes on the reference, records it, and next moves on', () => {
    fs.copyFileSync(reference, path.join(ws, 'exercises/coroutine-switcher/switcher.ts'));
    const r = cli(ws, 'check', '--json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.status).toBe('pass');
    expect(result.passed).toBe(result.total);
    expect(result.points).toBe(100);
    const next = cli(ws, 'next');
    expect(next.out).not.toContain('npx learn-io check coroutine-switcher');
    // The next step of the course: the cooperative-scheduling lesson.
    expect(next.out).toMatch(/^Cooperative scheduling/);
    expect(cli(ws, 'solution', 'coroutine-switcher').out).toContain('class Greenlet');
  });

  it('reset restores the stub and keeps a backup of the learner file', () => {
    const r = cli(ws, 'reset', 'coroutine-switcher');
    expect(r.code).toBe(0);
    const backup = /Saved your version as (\S+)/.exec(r.out)![1]!;
    expect(fs.readFileSync(path.resolve(ws, backup), 'utf8')).toBe(fs.readFileSync(reference, 'utf8'));
    expect(fs.readFileSync(path.join(ws, 'exercises/coroutine-switcher/switcher.ts'), 'utf8')).toBe(fs.readFileSync(stub, 'utf8'));
  });

  it('a corrupt progress file names itself and the way out, exit 2, and stays as it was', () => {
    const file = path.join(ws, '.learn-io/progress.json');
    const saved = fs.readFileSync(file);
    fs.writeFileSync(file, 'not json');
    const r = cli(ws, 'list');
    expect(r.code).toBe(2);
    expect(r.err).toContain(file);
    expect(r.err).toContain('.broken');
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.readFileSync(file, 'utf8')).toBe('not json');
    fs.writeFileSync(file, saved);
  });

  it('unknown steps and commands are usage errors with the way forward', () => {
    const r = cli(ws, 'read', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/There is no step "nope".*\n.*coroutines, coroutine-switcher/);
    expect(cli(ws, 'frobnicate').code).toBe(2);
    expect(cli(ws, 'read', 'servers-compared').err).toMatch(/coming in a later release/);
  });
});

describe('the package clone', () => {
  it('counts a folder inside the clone as the clone, and an installed copy as not', () => {
    expect(isInOwnClone(packageRoot)).toBe(fs.existsSync(path.join(packageRoot, '.git')));
    expect(isInOwnClone(os.tmpdir())).toBe(false);
    const installed = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-installed-'));
    expect(isInOwnClone(installed, installed)).toBe(false); // no .git: an installed copy
    fs.rmSync(installed, { recursive: true });
  });
});
