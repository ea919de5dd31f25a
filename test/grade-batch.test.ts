// `learn-io grade` on a classroom: 40-odd synthetic submissions made from the stubs, the references
// and the wrong implementations under test/fixtures, plus hostile ones (an endless loop, process.exit
// mid-test, a server that never listens, one that forks children and exits, forged results, 1 GB of
// output, a file that fills the disk, an edit of the copied hidden suite, an import of the reference).
// Every verdict must be right, no process may be left behind, and parallel jobs must not collide.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findStep, packageRoot, stepPaths, type ExerciseStep } from '../src/catalog.ts';
import type { GradeReport, SubmissionGrade } from '../src/grade/model.ts';
import { processesMentioning } from './support.ts';
import { wrongImplementation } from './wrong-implementations.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-class-'));
const classDir = path.join(root, 'submissions');
const outDir = path.join(root, 'out');
const exercises = ['coroutine-switcher', 'thread-pool', 'select-server'];
const step = (id: string) => findStep(id) as ExerciseStep;
/** A number no other process on the machine has in its command line: the hostile children carry it. */
const MARK = String(40_000 + (process.pid % 20_000));

/** What each submission must get. */
const expected = new Map<string, (s: SubmissionGrade) => void>();
const sources: string[] = [];

/** A workspace-shaped folder WS/exercises/ID/FILE holding `files` (file name → content). */
function workspace(name: string, id: string, files: Record<string, string | Buffer>): string {
  const dir = path.join(classDir, name);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, 'exercises', id), { recursive: true });
    fs.writeFileSync(path.join(dir, 'exercises', id, file), content);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const filesOf = (dir: string, id: string) => Object.fromEntries(step(id).files.map((f) => [f, fs.readFileSync(path.join(dir, f))]));
const reference = (id: string) => filesOf(stepPaths(step(id)).referenceDir, id);
const stub = (id: string) => filesOf(stepPaths(step(id)).stubDir, id);

function add(source: string, check: (s: SubmissionGrade) => void): void {
  sources.push(source);
  expected.set(path.basename(source).replace(/\.(zip|tar\.gz)$/, ''), check);
}

const passes = (id: string) => (s: SubmissionGrade) => {
  const e = s.exercises.find((x) => x.exercise === id)!;
  expect(e.status, `${s.name}: ${e.tests.filter((t) => t.status !== 'pass').map((t) => `${t.name}: ${t.message}`).join('\n')}`).toBe('pass');
  expect(e.points).toBe(step(id).points);
  for (const other of s.exercises.filter((x) => x.exercise !== id)) expect(other.outcome).toBe('missing');
};
const fails = (id: string, { atMost = step(id).points - 0.01, outcome = 'graded' } = {}) => (s: SubmissionGrade) => {
  const e = s.exercises.find((x) => x.exercise === id)!;
  expect(s.status, `${s.name} is judged, not a grader error: ${JSON.stringify(e.error)}`).toBe('graded');
  expect(e.outcome).toBe(outcome);
  expect(e.status).toBe('fail');
  expect(e.points).toBeLessThanOrEqual(atMost);
};

/** The reference with `hook` called at the start of each new Greenlet (after the main one). */
function hostileSwitcher(hook: string): Record<string, string> {
  const source = reference('coroutine-switcher')['switcher.ts']!.toString();
  const at = "    if (typeof run !== 'function') {";
  expect(source.split(at).length, 'the hook point is in the reference once').toBe(2);
  return { 'switcher.ts': `${source.replace(at, `    __hostile();\n${at}`)}\nfunction __hostile(): void {\n${hook}\n}\n` };
}
/** Once per submission (a flag file in the learner's own folder survives the grader's re-runs). */
const once = (action: string) => `
  const fs = process.getBuiltinModule('node:fs');
  const flag = new URL('./.done', import.meta.url);
  (globalThis as any).__made = ((globalThis as any).__made ?? 0) + 1;
  if ((globalThis as any).__made === 5 && !fs.existsSync(flag)) { fs.writeFileSync(flag, ''); ${action} }`;

function server(main: string): Record<string, string> {
  return { 'server.ts': `import { spawn } from 'node:child_process';\nexport function main({ ready }: { ready(a: unknown): void }): void {\n${main}\n}\n` };
}

beforeAll(async () => {
  fs.mkdirSync(classDir, { recursive: true });
  // References, stubs, and every wrong implementation of the in-process exercises.
  for (const id of ['coroutine-switcher', 'thread-pool']) {
    add(workspace(`${id}-reference`, id, reference(id)), passes(id));
    add(workspace(`${id}-stub`, id, stub(id)), fails(id, { atMost: step(id).points / 10 }));
    const fixtures = path.join(packageRoot, 'test', 'fixtures', id);
    for (const patch of fs.readdirSync(fixtures).filter((f) => f.endsWith('.patch'))) {
      const wrong = wrongImplementation(step(id), path.join(fixtures, patch));
      add(workspace(`${id}-${patch.replace(/\.patch$/, '')}`, id, filesOf(wrong, id)), fails(id));
      fs.rmSync(wrong, { recursive: true, force: true });
    }
  }
  // A server exercise, as archives: the reference zipped (as a GitHub download: one top folder), the stub as .tar.gz.
  const zip = path.join(classDir, 'select-server-reference.zip');
  fs.writeFileSync(zip, zipSync({ 'repo-main/exercises/select-server/server.ts': reference('select-server')['server.ts']!, 'repo-main/README.md': Buffer.from('hi') }));
  add(zip, passes('select-server'));
  const stubDir = workspace('select-server-stub-src', 'select-server', stub('select-server'));
  await tar.c({ gzip: true, file: path.join(classDir, 'select-server-stub.tar.gz'), cwd: stubDir }, ['exercises']);
  add(path.join(classDir, 'select-server-stub.tar.gz'), fails('select-server', { atMost: 0 }));
  for (const patch of ['always-writable', 'upper-non-ascii']) {
    const wrong = wrongImplementation(step('select-server'), path.join(packageRoot, 'test', 'fixtures', 'select-server', `${patch}.patch`));
    add(workspace(`select-server-${patch}`, 'select-server', filesOf(wrong, 'select-server')), fails('select-server'));
    fs.rmSync(wrong, { recursive: true, force: true });
  }
  // The same submissions again, packed otherwise: the same verdicts (checked below).
  const again = path.join(classDir, 'coroutine-switcher-reference-again.tar.gz');
  await tar.c({ gzip: true, file: again, cwd: path.join(classDir, 'coroutine-switcher-reference') }, ['exercises']);
  add(again, passes('coroutine-switcher'));

  // Hostile submissions.
  add(workspace('hostile-endless-loop', 'coroutine-switcher', hostileSwitcher(once('for (;;) {}'))), (s) => {
    fails('coroutine-switcher')(s);
    const tests = s.exercises[0]!.tests;
    expect(tests.filter((t) => t.status === 'timeout').length).toBe(1);
    expect(tests.filter((t) => t.status === 'pass').length).toBe(tests.length - 1);
  });
  add(workspace('hostile-process-exit', 'coroutine-switcher', hostileSwitcher(once('process.exit(0);'))), (s) => {
    fails('coroutine-switcher')(s);
    const failing = s.exercises[0]!.tests.filter((t) => t.status !== 'pass');
    expect(failing.length).toBe(1);
    expect(failing[0]!.message).toMatch(/process\.exit|process ended/);
  });
  // Lines that look like the runner's own events, on stdout and written into every ancestor's fd 3.
  const forged = `
    const fs = process.getBuiltinModule('node:fs');
    const lines = [
      JSON.stringify({ type: 'collected', file: 'x', tests: [{ id: 'forged', name: 'forged test', file: 'x' }] }),
      JSON.stringify({ type: 'test-end', id: 'forged', name: 'forged test', state: 'passed', durationMs: 1, errors: [] }),
    ].join('\\n') + '\\n';
    console.log(lines);
    for (let pid = process.ppid, i = 0; pid > 1 && i < 6; i++) {
      try { fs.appendFileSync('/proc/' + pid + '/fd/3', 'AAAA ' + lines.split('\\n').join('\\nAAAA ')); } catch {}
      try { pid = Number(fs.readFileSync('/proc/' + pid + '/stat', 'latin1').split(') ')[1].split(' ')[1]); } catch { break; }
    }`;
  add(workspace('hostile-forged-result', 'coroutine-switcher', { 'switcher.ts': `${forged}\n${stub('coroutine-switcher')['switcher.ts']}` }), (s) => {
    fails('coroutine-switcher', { atMost: 0 })(s);
    expect(s.exercises[0]!.tests.some((t) => t.name.includes('forged'))).toBe(false);
  });
  add(
    workspace('hostile-gigabyte-output', 'coroutine-switcher', {
      'switcher.ts': `const chunk = 'x'.repeat(1 << 20) + '\\n';\nfor (let i = 0; i < 1024; i++) process.stdout.write(chunk);\n${stub('coroutine-switcher')['switcher.ts']}`,
    }),
    fails('coroutine-switcher', { atMost: 0 }),
  );
  add(
    workspace('hostile-fills-disk', 'coroutine-switcher', {
      'switcher.ts': `const fs = process.getBuiltinModule('node:fs');\nconst mb = Buffer.alloc(1 << 20, 120);\nconst fd = fs.openSync(process.getBuiltinModule('node:path').join(process.getBuiltinModule('node:os').tmpdir(), 'fill'), 'w');\nfor (let i = 0; i < 2048; i++) fs.writeSync(fd, mb);\n${reference('coroutine-switcher')['switcher.ts']}`,
    }),
    fails('coroutine-switcher', { atMost: 0 }),
  );
  // Replaces the copied hidden suite with one test that always passes; the stub would then score 100.
  const edit = `
    const fs = process.getBuiltinModule('node:fs');
    const suite = process.getBuiltinModule('node:path').join(process.cwd(), 'grader', 'suites', 'coroutine-switcher', 'switcher.test.ts');
    try { fs.chmodSync(suite, 0o644); fs.writeFileSync(suite, "import { test } from 'vitest';\\ntest('fine', () => {});\\n"); } catch {}`;
  add(workspace('hostile-edits-suite', 'coroutine-switcher', { 'switcher.ts': `${edit}\n${stub('coroutine-switcher')['switcher.ts']}` }), fails('coroutine-switcher', { atMost: 0, outcome: 'tampered' }));
  add(
    workspace('hostile-imports-reference', 'coroutine-switcher', { 'switcher.ts': `export * from ${JSON.stringify(path.join(stepPaths(step('coroutine-switcher')).referenceDir, 'switcher.ts'))};\n` }),
    fails('coroutine-switcher', { atMost: 0 }),
  );
  add(workspace('hostile-never-listens', 'select-server', server('setInterval(() => {}, 1000);')), fails('select-server', { atMost: 0 }));
  add(
    workspace(
      'hostile-forks-and-exits',
      'select-server',
      server(`
  for (let i = 0; i < 3; i++) spawn('sleep', ['${MARK}'], { detached: true, stdio: 'ignore', env: {} }).unref();
  spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${MARK}'], { detached: true, stdio: 'ignore', env: {} }).unref();
  setTimeout(() => process.exit(0), 100);`),
    ),
    fails('select-server', { atMost: 0 }),
  );
  // One that rewrites other submissions wherever it finds them: the sources named on the grader's
  // command line, and the other submissions' folders under the temporary directory. The victim is
  // taken in before any learner code runs; a copy rewritten during its run voids its result loudly.
  const rewrite = `
    const fs = process.getBuiltinModule('node:fs');
    const path = process.getBuiltinModule('node:path');
    const os = process.getBuiltinModule('node:os');
    const stub = 'export class Greenlet {}\\nexport class GreenletExit extends Error {}\\nexport function getcurrent() { throw new Error("gone"); }\\n';
    const hit = (file: string) => { try { if (fs.readFileSync(file, 'utf8').includes('VICTIM' + '-MARK')) fs.writeFileSync(file, stub); } catch {} };
    const args = new Set<string>();
    for (const pid of fs.readdirSync('/proc')) { try { for (const a of fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0')) if (a.startsWith('/')) args.add(a); } catch {} }
    for (const a of args) hit(path.join(a, 'exercises', 'coroutine-switcher', 'switcher.ts'));
    for (const d of fs.readdirSync(os.tmpdir())) hit(path.join(os.tmpdir(), d, 'work', 'exercises', 'coroutine-switcher', 'switcher.ts'));
    for (const d of fs.readdirSync('/tmp')) hit(path.join('/tmp', d, 'work', 'exercises', 'coroutine-switcher', 'switcher.ts'));`;
  add(workspace('hostile-rewrites-others', 'coroutine-switcher', { 'switcher.ts': `${rewrite}\n${stub('coroutine-switcher')['switcher.ts']}` }), fails('coroutine-switcher', { atMost: 0 }));
  const victim = { 'switcher.ts': `// VICTIM-MARK\n${reference('coroutine-switcher')['switcher.ts']}` };
  add(workspace('victim', 'coroutine-switcher', victim), (s) => {
    const e = s.exercises[0]!;
    // Its verdict is about what it handed in, or loudly void: never a quiet zero.
    if (e.status === 'error') expect(e.error?.code).toBe('SUBMISSION_CHANGED');
    else passes('coroutine-switcher')(s);
  });

  // Not hostile, just broken or empty.
  fs.writeFileSync(path.join(classDir, 'broken-archive.zip'), 'PK\u0003\u0004 this is not a zip');
  add(path.join(classDir, 'broken-archive.zip'), (s) => {
    expect(s.status).toBe('error');
    expect(s.error?.code).toBe('UNREADABLE');
    expect(s.points).toBe(0);
  });
  fs.mkdirSync(path.join(classDir, 'empty'));
  add(path.join(classDir, 'empty'), (s) => {
    expect(s.status).toBe('graded');
    expect(s.exercises.map((e) => e.outcome)).toEqual(['missing', 'missing', 'missing']);
  });
}, 120_000);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('learn-io grade on a classroom', () => {
  let report: GradeReport;
  let exitCode: number | null;
  const jobs = os.availableParallelism() * 2;

  it(
    'grades every submission in parallel jobs; every verdict is right',
    async () => {
      expect(sources.length).toBeGreaterThanOrEqual(30);
      exitCode = await new Promise<number | null>((resolve) => {
        const child = execFile(
          process.execPath,
          [path.join(packageRoot, 'src', 'cli', 'bin.mjs'), 'grade', ...sources, '--exercise', exercises.join(','), '--jobs', String(jobs), '--format', 'json,csv,junit,html,gradescope,github', '--out', outDir],
          { cwd: root, maxBuffer: 64 * 2 ** 20 },
          () => {},
        );
        child.on('exit', (code) => resolve(code));
      });
      report = JSON.parse(fs.readFileSync(path.join(outDir, 'grade.json'), 'utf8')) as GradeReport;
      expect(report.submissions.map((s) => s.name).sort()).toEqual([...expected.keys()].sort());
      const wrong: string[] = [];
      for (const s of report.submissions) {
        try {
          expected.get(s.name)!(s);
        } catch (error) {
          wrong.push(`${s.name}: ${(error as Error).message.split('\n')[0]}`);
        }
      }
      // For the log: each verdict with its first failure, so a reader sees why, not only that.
      for (const s of report.submissions) {
        const first = s.exercises.filter((e) => e.outcome !== 'missing').flatMap((e) => e.tests.filter((t) => t.status !== 'pass').map((t) => `${e.exercise} › ${t.status}: ${(t.message ?? '').split('\n')[0]!.slice(0, 140)}`))[0];
        console.log(`${s.name.padEnd(48)} ${s.status.padEnd(6)} ${String(s.points).padStart(6)}/${s.maxPoints}  ${s.exercises.map((e) => e.outcome).join(',')}  ${s.error?.message ?? first ?? ''}`);
      }
      expect(wrong).toEqual([]);
      // The broken archive is a submission the grader could not judge: exit 2 says so.
      expect(exitCode).toBe(2);
    },
    900_000,
  );

  it('a submission graded twice, packed differently, gets the same verdicts', () => {
    const verdicts = (name: string) => report.submissions.find((s) => s.name === name)!.exercises.map((e) => e.tests.map((t) => `${t.name}:${t.status}`));
    expect(verdicts('coroutine-switcher-reference-again')).toEqual(verdicts('coroutine-switcher-reference'));
  });

  it('no learner process outlives the batch, not even the detached ones', async () => {
    await new Promise((r) => setTimeout(r, 500));
    expect(processesMentioning(MARK).filter((p) => !p.includes('vitest'))).toEqual([]);
    expect(processesMentioning(classDir)).toEqual([]);
  });

  it('writes every report: one CSV row per submission, one column per exercise', () => {
    const csv = fs.readFileSync(path.join(outDir, 'grades.csv'), 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe(`submission,${report.exercises.map((e) => e.id).join(',')},total,max,status,notes,source`);
    expect(report.exercises.map((e) => e.id).sort()).toEqual([...exercises].sort());
    expect(csv.length).toBe(sources.length + 1);
    for (const file of ['junit.xml', 'report.html']) expect(fs.statSync(path.join(outDir, file)).size).toBeGreaterThan(1000);
    expect(fs.readdirSync(path.join(outDir, 'gradescope')).length).toBe(sources.length);
  });
});

describe('grade --self and an instructor\'s private suites', () => {
  const bin = path.join(packageRoot, 'src', 'cli', 'bin.mjs');
  const run = (args: string[], cwd: string) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { cwd, maxBuffer: 16 * 2 ** 20 }, (error, stdout) => resolve({ code: error ? (error.code as number) : 0, stdout }));
    });

  it('grades the workspace the classroom way; a [hidden] test shows its name and verdict only, unless --show-hidden', async () => {
    const ws = path.join(root, 'self');
    expect((await run(['init', ws], root)).code).toBe(0);
    fs.copyFileSync(path.join(stepPaths(step('coroutine-switcher')).referenceDir, 'switcher.ts'), path.join(ws, 'exercises', 'coroutine-switcher', 'switcher.ts'));
    const passing = await run(['grade', '--self', '--exercise', 'coroutine-switcher'], ws);
    expect(passing.stdout).toMatch(/✓ self\s+100\/100/);
    expect(passing.code).toBe(0);

    // A private copy of the suites with one more test, hidden, that the reference fails.
    const suites = path.join(root, 'private-suites');
    fs.cpSync(path.join(packageRoot, 'grader', 'suites'), suites, { recursive: true });
    fs.writeFileSync(
      path.join(suites, 'coroutine-switcher', 'private.test.ts'),
      `import { describe, expect, test } from 'vitest';
import { Greenlet } from '@learn-io/target/coroutine-switcher/switcher.ts';
describe('[hidden] private', () => {
  test('a secret expectation', () => {
    console.log('secret output 4242');
    expect(typeof Greenlet).toBe('secret-4242');
  });
});
`,
    );
    const hidden = await run(['grade', '--self', '--exercise', 'coroutine-switcher', '--suites', suites, '--out', path.join(root, 'self-out'), '--format', 'json,gradescope'], ws);
    expect(hidden.code).toBe(1);
    const redacted = JSON.parse(fs.readFileSync(path.join(root, 'self-out', 'grade.json'), 'utf8')) as GradeReport;
    const test = redacted.submissions[0]!.exercises[0]!.tests.find((t) => t.name.includes('[hidden]'))!;
    expect(test).toMatchObject({ status: 'fail', visibility: 'hidden', output: [] });
    expect(JSON.stringify(redacted)).not.toContain('4242');
    expect(hidden.stdout).not.toContain('4242');
    const gradescope = JSON.parse(fs.readFileSync(path.join(root, 'self-out', 'results.json'), 'utf8')) as { tests: { name: string; visibility: string }[] };
    expect(gradescope.tests.find((t) => t.name.includes('[hidden]'))!.visibility).toBe('hidden');

    await run(['grade', '--self', '--exercise', 'coroutine-switcher', '--suites', suites, '--out', path.join(root, 'self-out'), '--format', 'json', '--show-hidden'], ws);
    const shown = JSON.parse(fs.readFileSync(path.join(root, 'self-out', 'grade.json'), 'utf8')) as GradeReport;
    const full = shown.submissions[0]!.exercises[0]!.tests.find((t) => t.name.includes('[hidden]'))!;
    expect(full.message).toContain('secret-4242');
    expect(full.output.join('\n')).toContain('secret output 4242');
  }, 180_000);
});

describe('grade --memory', () => {
  it('stops a run whose processes together pass the memory limit, and says so', async () => {
    // 1.5 GB held at the module's top level, then a loop: the memory watchdog, not a time limit, must end it.
    const hog = 'const kept: Buffer[] = [];\nfor (let i = 0; i < 24; i++) kept.push(Buffer.alloc(64 * 2 ** 20, 1));\nfor (;;) kept.push(Buffer.alloc(1));\n';
    const dir = workspace('hostile-memory', 'coroutine-switcher', { 'switcher.ts': `${hog}${stub('coroutine-switcher')['switcher.ts']}` });
    const out = path.join(root, 'memory-out');
    const code = await new Promise<number | null>((resolve) => {
      execFile(process.execPath, [path.join(packageRoot, 'src', 'cli', 'bin.mjs'), 'grade', dir, '--exercise', 'coroutine-switcher', '--memory', '900', '--format', 'json', '--out', out], () => {}).on('exit', resolve);
    });
    expect(code).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'grade.json'), 'utf8')) as GradeReport;
    const tests = report.submissions[0]!.exercises[0]!.tests;
    expect(tests.map((t) => t.status)).toEqual(['fail']);
    expect(tests[0]!.message).toMatch(/MB of memory while loading, over the limit of 900 MB/);
  }, 120_000);
});
