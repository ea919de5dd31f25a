// `learn-io classroom gradescope|github`, end to end: the real bin, the zip unpacked the way
// Gradescope would, and the autograder's grade command really run on a reference solution.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/catalog.ts';

const bin = path.join(packageRoot, 'src', 'cli', 'bin.mjs');
const reference = path.join(packageRoot, 'solutions', 'coroutine-switcher', 'switcher.ts');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: packageRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Unix mode of each entry, from the zip's central directory (fflate's unzip does not report it). */
function zipModes(zip: Uint8Array): Map<string, number> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = zip.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== 0x06054b50) end--;
  expect(end, 'end of central directory').toBeGreaterThanOrEqual(0);
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const modes = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    expect(view.getUint32(at, true)).toBe(0x02014b50);
    const madeBy = view.getUint16(at + 4, true) >> 8;
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const external = view.getUint32(at + 38, true);
    const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength));
    modes.set(name, madeBy === 3 ? external >>> 16 : 0);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return modes;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-classroom-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('learn-io classroom gradescope', () => {
  it('builds an autograder zip whose grade command really grades a submission', () => {
    const zipPath = path.join(tmp, 'autograder.zip');
    const made = cli('classroom', 'gradescope', '--out', zipPath, '--exercise', 'coroutine-switcher');
    expect(made.code, made.err).toBe(0);
    expect(made.out).toContain('Configure Autograder');
    expect(made.out).toContain('Ubuntu 22.04');

    const zip = new Uint8Array(fs.readFileSync(zipPath));
    const files = unzipSync(zip);
    const text = (name: string) => new TextDecoder().decode(files[name]);
    for (const name of ['setup.sh', 'run_autograder', 'package.json', 'README.txt']) expect(Object.keys(files), name).toContain(name);

    const modes = zipModes(zip);
    expect(modes.get('run_autograder')! & 0o111, 'run_autograder is executable').toBe(0o111);
    expect(modes.get('run_autograder')! & 0o170000, 'run_autograder is a regular file').toBe(0o100000);

    const run = text('run_autograder');
    expect(run.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(run).toContain('cd /autograder/source');
    expect(run).toContain('npx --no-install learn-io grade /autograder/submission --exercise coroutine-switcher --format gradescope --out /autograder/results --show-hidden');
    expect(run).toContain('/autograder/results/results.json');
    expect(run).toMatch(/NOT A VERDICT/);
    expect(run).not.toContain('--suites');
    expect(text('setup.sh')).toContain('https://deb.nodesource.com/setup_20.x');
    expect(text('setup.sh')).toContain('npm install --omit=dev');
    expect(text('README.txt')).toContain('coroutine-switcher');

    const pkg = JSON.parse(text('package.json')) as { dependencies: Record<string, string> };
    const spec = pkg.dependencies['learn-io']!;
    expect(spec).toMatch(/^file:learn-io-.+\.tgz$/);
    const tarball = files[spec.slice('file:'.length)];
    expect(tarball, 'the tarball package.json names is in the zip').toBeDefined();
    expect([...tarball!.subarray(0, 2)]).toEqual([0x1f, 0x8b]);

    // Gradescope, scaled down: the learner's workspace in submission/, the grade command with the
    // arguments run_autograder passes (only the paths changed). Installing the tarball is skipped.
    const autograder = path.join(tmp, 'autograder');
    const exerciseDir = path.join(autograder, 'submission', 'exercises', 'coroutine-switcher');
    fs.mkdirSync(exerciseDir, { recursive: true });
    fs.copyFileSync(reference, path.join(exerciseDir, 'switcher.ts'));
    const results = path.join(autograder, 'results');
    const graded = cli('grade', path.join(autograder, 'submission'), '--exercise', 'coroutine-switcher', '--format', 'gradescope', '--out', results, '--show-hidden');
    expect(graded.code, graded.out + graded.err).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(results, 'results.json'), 'utf8')) as { score: number; tests: { name: string; status: string }[] };
    expect(report.score).toBe(100);
    expect(report.tests.length).toBeGreaterThan(0);
    for (const t of report.tests) expect(t.status, t.name).toBe('passed');
  }, 90_000);

  it('puts a --suites folder in the zip, and refuses one without the chosen suites', () => {
    const suites = path.join(tmp, 'suites');
    fs.cpSync(path.join(packageRoot, 'grader', 'suites', 'coroutine-switcher'), path.join(suites, 'coroutine-switcher'), { recursive: true });
    const zipPath = path.join(tmp, 'with-suites.zip');
    const made = cli('classroom', 'gradescope', '--out', zipPath, '--exercise', 'coroutine-switcher', '--suites', suites);
    expect(made.code, made.err).toBe(0);
    const files = unzipSync(new Uint8Array(fs.readFileSync(zipPath)));
    expect(Object.keys(files)).toContain('suites/coroutine-switcher/switcher.test.ts');
    expect(new TextDecoder().decode(files['run_autograder'])).toContain('--suites /autograder/source/suites');

    const refused = cli('classroom', 'gradescope', '--out', path.join(tmp, 'no.zip'), '--exercise', 'coroutine-switcher,hub', '--suites', suites);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('hub/*.test.ts');
    expect(fs.existsSync(path.join(tmp, 'no.zip'))).toBe(false);
  }, 60_000);
});

describe('learn-io classroom github', () => {
  it('writes the workflow GitHub Classroom runs, and will not overwrite it without --force', () => {
    const file = path.join(tmp, 'repo', '.github', 'workflows', 'classroom.yml');
    const made = cli('classroom', 'github', '--out', file, '--exercise', 'coroutine-switcher,select-server');
    expect(made.code, made.err).toBe(0);
    const yaml = fs.readFileSync(file, 'utf8');
    expect(yaml).toMatch(/^# Made by `npx learn-io classroom github/);
    expect(yaml).toContain('name: Autograding Tests\n');
    expect(yaml).toContain('  run-autograding-tests:\n');
    expect(yaml).toContain("if: github.actor != 'github-classroom[bot]'");
    expect(yaml).toContain('checks: write');
    for (const [id, runner] of [['coroutine-switcher', 'coroutine_switcher'], ['select-server', 'select_server']] as const) {
      expect(yaml).toContain(`        id: ${runner}\n`);
      expect(yaml).toContain(`npx learn-io grade . --exercise ${id} --format github --out .learn-io-grade || true`);
      expect(yaml).toContain(`base64 -w0 .learn-io-grade/github/${id}.json`);
      expect(yaml).toContain(`${runner.toUpperCase()}_RESULTS: "\${{ steps.${runner}.outputs.result }}"`);
    }
    expect(yaml).not.toContain('--exercise hub');
    expect(yaml).toContain('uses: classroom-resources/autograding-grading-reporter@v1');
    expect(yaml).toContain('runners: coroutine_switcher,select_server\n');

    // Valid YAML, with the structure the reporter needs, when python3 can tell.
    const hasYaml = spawnSync('python3', ['-c', 'import yaml'], { stdio: 'ignore' }).status === 0;
    if (hasYaml) {
      const parsed = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
      expect(parsed.status, parsed.stderr).toBe(0);
      const wf = JSON.parse(parsed.stdout) as {
        name: string;
        on: string[];
        jobs: Record<string, { steps: { id?: string; uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, string> }[] }>;
      };
      expect(wf.name).toBe('Autograding Tests');
      expect(wf.on).toEqual(['push', 'workflow_dispatch', 'repository_dispatch']);
      const steps = wf.jobs['run-autograding-tests']!.steps;
      expect(steps.filter((s) => s.id).map((s) => s.id)).toEqual(['coroutine_switcher', 'select_server']);
      const reporter = steps.at(-1)!;
      expect(reporter.uses).toBe('classroom-resources/autograding-grading-reporter@v1');
      const runners = reporter.with!.runners!.split(',');
      expect(Object.keys(reporter.env!)).toEqual(runners.map((r) => `${r.toUpperCase()}_RESULTS`));
    }

    const again = cli('classroom', 'github', '--out', file, '--exercise', 'coroutine-switcher');
    expect([1, 2]).toContain(again.code);
    expect(again.err).toMatch(/already exists/);
    expect(fs.readFileSync(file, 'utf8')).toBe(yaml);
    const forced = cli('classroom', 'github', '--out', file, '--exercise', 'coroutine-switcher', '--force');
    expect(forced.code, forced.err).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).not.toContain('select_server');
  });

  it('refuses an unknown platform', () => {
    const r = cli('classroom', 'moodle');
    expect(r.code).toBe(2);
    expect(r.err).toContain('gradescope');
  });
});
