// `classroom gradescope|github`: what an instructor uploads or commits so that a platform grades
// submissions with `learn-io grade` (see grade.ts).
// - gradescope: the autograder zip (setup.sh, run_autograder, this package as an npm tarball, and
//   optionally a folder of hidden suites). Gradescope runs setup.sh once when it builds the image,
//   then /autograder/run_autograder per submission, and reads /autograder/results/results.json.
// - github: the GitHub Classroom workflow for an assignment repository (a learner's workspace): one
//   step per exercise writes a runner JSON, classroom-resources/autograding-grading-reporter@v1
//   reads them all (env <RUNNER>_RESULTS, base64) and reports the points.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import kleur from 'kleur';
import { packageRoot, type ExerciseStep } from '../../catalog.ts';
import { ToolError } from '../../errors.ts';
import type { Command, Context } from '../command.ts';
import { quoted, shown } from '../shared.ts';
import { chosenExercises } from './grade.ts';

const PLATFORMS = ['gradescope', 'github'] as const;
type Platform = (typeof PLATFORMS)[number];

const NPM_PACK_TIMEOUT_MS = 120_000;
/** Regular files in the zip, for Unix unzip tools (Gradescope unpacks with one). */
const FILE_ATTRS = { os: 3, attrs: (0o100644 << 16) >>> 0 };
const EXEC_ATTRS = { os: 3, attrs: (0o100755 << 16) >>> 0 };

export const classroom: Command = {
  name: 'classroom',
  args: 'PLATFORM',
  summary: 'instructors: make the Gradescope autograder zip (gradescope) or the GitHub Classroom workflow (github)',
  example: 'npx learn-io classroom gradescope --exercise coroutine-switcher,hub --out autograder.zip',
  flags: {
    exercise: { type: 'string', multiple: true, value: 'ID,...', description: 'grade only these exercises (comma-separated, or the flag repeated; default: all)' },
    out: { type: 'string', value: 'FILE', description: 'where to write (default: autograder.zip for gradescope, .github/workflows/classroom.yml for github)' },
    suites: { type: 'string', value: 'DIR', description: 'gradescope: put these hidden suites in the zip (a copy of grader/suites/, changed or extended)' },
    force: { type: 'boolean', description: 'replace the output file if it exists' },
  },
  async run(ctx, args, flags) {
    const platform = args[0] as Platform;
    if (!PLATFORMS.includes(platform)) {
      throw new ToolError('USAGE', `There is no classroom platform "${args[0]}".`, `The platforms are ${PLATFORMS.join(' and ')}: \`learn-io classroom gradescope\` or \`learn-io classroom github\`.`);
    }
    if (args.length > 1) throw new ToolError('USAGE', `\`learn-io classroom ${platform}\` takes no other argument (got ${args.slice(1).join(' ')}).`, 'See `learn-io classroom --help`.');
    const steps = chosenExercises(flags.exercise);
    if (steps.length === 0) throw new ToolError('USAGE', 'No exercise is available to grade here.', 'See `learn-io list`.');
    const force = flags.force === true;
    const outFlag = typeof flags.out === 'string' && flags.out !== '' ? flags.out : undefined;
    if (platform === 'gradescope') {
      const out = path.resolve(ctx.cwd, outFlag ?? 'autograder.zip');
      const suitesDir = typeof flags.suites === 'string' && flags.suites !== '' ? path.resolve(ctx.cwd, flags.suites) : undefined;
      return gradescope(ctx, { out, steps, suitesDir, force });
    }
    if (flags.suites !== undefined) {
      throw new ToolError(
        'USAGE',
        '--suites is for gradescope only: a GitHub Classroom workflow grades in the learner\'s own repository, where suites placed there would not be hidden.',
        'Leave out --suites; the workflow grades with the suites of the learn-io version the repository installs.',
      );
    }
    return github(ctx, { out: path.resolve(ctx.cwd, outFlag ?? path.join('.github', 'workflows', 'classroom.yml')), steps, force });
  },
};

function refuseOverwrite(ctx: Context, file: string, force: boolean): void {
  if (!force && fs.existsSync(file)) {
    throw new ToolError('USAGE', `${shown(ctx, file)} already exists; nothing was written.`, 'Pass --force to replace it, or --out to write elsewhere.', 1);
  }
}

/** The command line that made a file, as a reader would retype it. */
function madeBy(platform: Platform, steps: readonly ExerciseStep[], extra: string[] = []): string {
  return ['npx learn-io classroom', platform, '--exercise', steps.map((s) => s.id).join(','), ...extra].join(' ');
}

function totalPoints(steps: readonly ExerciseStep[]): number {
  return steps.reduce((sum, s) => sum + s.points, 0);
}

/** Enough minutes for one submission at its worst: the suites' limits added up, and some room. */
function timeoutMinutes(steps: readonly ExerciseStep[]): number {
  return Math.ceil(steps.reduce((sum, s) => sum + s.suiteTimeoutMs, 0) / 60_000) + 2;
}

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

// ---------------------------------------------------------------------------------------------
// Gradescope

interface GradescopeOptions {
  out: string;
  steps: ExerciseStep[];
  suitesDir: string | undefined;
  force: boolean;
}

async function gradescope(ctx: Context, { out, steps, suitesDir, force }: GradescopeOptions): Promise<number> {
  if (!out.toLowerCase().endsWith('.zip')) throw new ToolError('USAGE', `--out ${shown(ctx, out)}: Gradescope takes a .zip file.`, 'Give a name ending in .zip, e.g. --out autograder.zip.', 1);
  refuseOverwrite(ctx, out, force);
  const suiteFiles = suitesDir ? readSuites(ctx, suitesDir, steps) : undefined;
  const ids = steps.map((s) => s.id).join(',');
  const command = madeBy('gradescope', steps, suitesDir ? ['--suites', quoted(shown(ctx, suitesDir))] : []);

  const tarball = packTarball();
  const files: Zippable = {
    'setup.sh': [text(setupScript()), EXEC_ATTRS],
    run_autograder: [text(runAutograderScript(ids, suiteFiles !== undefined)), EXEC_ATTRS],
    'package.json': [text(`${JSON.stringify({ private: true, dependencies: { 'learn-io': `file:${tarball.name}` } }, null, 2)}\n`), FILE_ATTRS],
    [tarball.name]: [tarball.data, { ...FILE_ATTRS, level: 0 }], // already gzipped
    'README.txt': [text(gradescopeReadme(command, steps, tarball.name, suiteFiles !== undefined)), FILE_ATTRS],
  };
  for (const [relative, data] of suiteFiles ?? []) files[`suites/${relative}`] = [data, FILE_ATTRS];
  const zip = zipSync(files, { level: 9 });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, zip);

  const points = totalPoints(steps);
  ctx.print(`Wrote ${kleur.bold(shown(ctx, out))} (${Math.ceil(zip.length / 1024)} KB), Gradescope's autograder for learn-io ${packageVersion()}:`);
  ctx.print(`  setup.sh, run_autograder, package.json, ${tarball.name}, README.txt${suiteFiles ? `, suites/ (${suiteFiles.size} files)` : ''}`);
  ctx.print(`  exercises: ${steps.map((s) => `${s.id} (${s.points})`).join(', ')}; ${points} points in all`);
  ctx.print();
  ctx.print(kleur.bold('Next steps'));
  ctx.print(`  1. In Gradescope, make a Programming Assignment worth ${points} points.`);
  ctx.print(`  2. Configure Autograder → Zip file upload: ${shown(ctx, out)}; base image Ubuntu 22.04. Update Autograder, wait for the build.`);
  ctx.print(`     Give it a timeout of at least ${timeoutMinutes(steps)} minutes (the suites' limits added up).`);
  ctx.print('  3. Test Autograder with a learner\'s workspace (its exercises/ folder, or a zip of it) before releasing the assignment.');
  ctx.print(kleur.dim('  Learners upload their workspace (or just the exercise files); hidden tests stay hidden from them in Gradescope.'));
  return 0;
}

function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** The files of a suites folder (relative POSIX path → content), checked to hold a suite for each step. */
function readSuites(ctx: Context, dir: string, steps: readonly ExerciseStep[]): Map<string, Uint8Array> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ToolError('USAGE', `--suites ${shown(ctx, dir)} is not a folder.`, "Give a copy of the package's grader/suites/ (one folder per exercise id).");
  }
  const missing = steps.filter((s) => {
    const at = path.join(dir, s.id);
    return !fs.existsSync(at) || !fs.statSync(at).isDirectory() || !fs.readdirSync(at).some((f) => f.endsWith('.test.ts'));
  });
  if (missing.length > 0) {
    throw new ToolError(
      'USAGE',
      `--suites ${shown(ctx, dir)} has no suite (${missing.map((s) => `${s.id}/*.test.ts`).join(', ')}) for ${missing.map((s) => s.id).join(', ')}.`,
      "Give a copy of the package's grader/suites/ with a folder for each exercise, or choose the exercises with --exercise.",
    );
  }
  const files = new Map<string, Uint8Array>();
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      // Regular files only: a link could point anywhere; node_modules is never part of a suite.
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(child);
      else if (entry.isFile()) files.set(child, fs.readFileSync(path.join(dir, child)));
    }
  };
  walk('');
  return files;
}

/** This package as `npm pack` makes it: the tarball's file name and bytes. */
function packTarball(): { name: string; data: Uint8Array } {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-pack-'));
  try {
    let stdout: string;
    try {
      stdout = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], {
        cwd: packageRoot,
        encoding: 'utf8',
        timeout: NPM_PACK_TIMEOUT_MS,
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 * 2 ** 20,
      });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string; signal?: string };
      const printed = [e.stderr, e.stdout].filter((s) => typeof s === 'string' && s.trim() !== '').join('\n').trim();
      const why =
        e.code === 'ENOENT' ? 'npm was not found on the PATH' :
        e.code === 'ETIMEDOUT' || e.signal === 'SIGTERM' ? `npm pack took longer than ${NPM_PACK_TIMEOUT_MS / 1000} s` :
        'npm pack failed';
      throw new ToolError(
        'GRADER_FAILED',
        `${why} in ${packageRoot}${printed ? `; npm printed:\n${printed.split('\n').slice(-20).join('\n')}` : '.'}`,
        'The zip needs this package as an npm tarball: check that `npm pack` works in that folder, then try again.',
      );
    }
    let name: string | undefined;
    try {
      const parsed = JSON.parse(stdout) as { filename?: string }[];
      name = parsed[0]?.filename;
    } catch {
      // Scripts may have printed before the JSON: the folder says what was made.
    }
    const made = fs.readdirSync(scratch).filter((f) => f.endsWith('.tgz'));
    if (!name || !made.includes(name)) name = made[0];
    if (!name) throw new ToolError('GRADER_FAILED', `npm pack in ${packageRoot} made no tarball; it printed:\n${stdout.trim().slice(-2000)}`);
    return { name, data: new Uint8Array(fs.readFileSync(path.join(scratch, name))) };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function setupScript(): string {
  return `#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04).
# Made by learn-io ${packageVersion()} (\`learn-io classroom gradescope\`); see README.txt.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y ca-certificates curl strace
# Node.js 20 from NodeSource (Ubuntu's own is too old for learn-io).
curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
apt-get install -y nodejs
node --version
npm --version

# learn-io and its dependencies, from the tarball in this zip (package.json next to this file).
cd /autograder/source
npm install --omit=dev --no-audit --no-fund
npx --no-install learn-io --version
`;
}

function runAutograderScript(ids: string, withSuites: boolean): string {
  const suites = withSuites ? ' --suites /autograder/source/suites' : '';
  return `#!/usr/bin/env bash
# Gradescope runs this for every submission: the learner's files are in /autograder/submission/,
# the verdict goes to /autograder/results/results.json. Made by \`learn-io classroom gradescope\`.
# --show-hidden: Gradescope itself hides the hidden tests from the learner (their visibility says so).
set -u
cd /autograder/source || exit 1
mkdir -p /autograder/results
rm -f /autograder/results/results.json
log=/tmp/learn-io-grade.log

npx --no-install learn-io grade /autograder/submission --exercise ${ids} --format gradescope --out /autograder/results --show-hidden${suites} 2>&1 | tee "$log"
status=\${PIPESTATUS[0]}

# learn-io writes results.json even when the grader fails (exit 2); a crash might not. Never let that
# look like a learner's silent zero.
if [ ! -s /autograder/results/results.json ]; then
  LEARN_IO_STATUS="$status" LEARN_IO_LOG="$log" node -e '
    const fs = require("node:fs");
    let log = "";
    try { log = fs.readFileSync(process.env.LEARN_IO_LOG, "utf8").split("\\n").slice(-30).join("\\n"); } catch {}
    const output = [
      "THE AUTOGRADER FAILED: learn-io grade exited with status " + process.env.LEARN_IO_STATUS + " and wrote no results.",
      "THIS SCORE OF 0 IS NOT A VERDICT ON YOUR WORK. Tell your instructor, who can rerun the autograder.",
      "",
      "The end of the grader output:",
      log,
    ].join("\\n");
    fs.writeFileSync("/autograder/results/results.json", JSON.stringify({ score: 0, output, output_format: "text", visibility: "visible", stdout_visibility: "visible", tests: [], extra_data: { learnIo: { status: "error" } } }, null, 2) + "\\n");
  ' || cat > /autograder/results/results.json <<'EOF'
{
  "score": 0,
  "output": "THE AUTOGRADER FAILED: learn-io grade wrote no results (and node could not run). THIS SCORE OF 0 IS NOT A VERDICT ON YOUR WORK. Tell your instructor, who can rerun the autograder.",
  "visibility": "visible",
  "stdout_visibility": "visible",
  "tests": []
}
EOF
fi
exit 0
`;
}

function gradescopeReadme(command: string, steps: readonly ExerciseStep[], tarball: string, withSuites: boolean): string {
  const lines = [
    `Gradescope autograder for learn-io ${packageVersion()} (a zip to upload: Configure Autograder, Ubuntu 22.04 base image).`,
    `Made by: ${command}`,
    '',
    'Exercises and points:',
    ...steps.map((s) => `  ${s.id.padEnd(24)} ${String(s.points).padStart(4)}  ${s.title}`),
    `  ${'total'.padEnd(24)} ${String(totalPoints(steps)).padStart(4)}`,
    '',
    `Set the autograder's timeout to at least ${timeoutMinutes(steps)} minutes (the suites' limits added up).`,
    '',
    'Files:',
    '  setup.sh        run once when the image is built: Node.js 20, strace, curl, then npm install here',
    `  package.json    depends on ${tarball}, this package as \`npm pack\` made it`,
    '  run_autograder  per submission: learn-io grade /autograder/submission --format gradescope',
    ...(withSuites ? ['  suites/         the hidden suites to grade with (--suites)'] : []),
    '',
    'Learners submit their workspace (or the exercise files). A grader failure shows as a loud',
    'message in the results, never as a silent zero.',
  ];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// GitHub Classroom

interface GithubOptions {
  out: string;
  steps: ExerciseStep[];
  force: boolean;
}

async function github(ctx: Context, { out, steps, force }: GithubOptions): Promise<number> {
  refuseOverwrite(ctx, out, force);
  const yaml = githubWorkflow(steps, madeBy('github', steps));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, yaml);

  ctx.print(`Wrote ${kleur.bold(shown(ctx, out))}: the GitHub Classroom workflow "Autograding Tests" for learn-io.`);
  ctx.print(`  exercises: ${steps.map((s) => `${s.id} (${s.points})`).join(', ')}; ${totalPoints(steps)} points in all`);
  const warning = dependencyWarning(out);
  if (warning) ctx.print(kleur.yellow(`  note: ${warning}`));
  ctx.print();
  ctx.print(kleur.bold('Next steps'));
  ctx.print('  1. Commit it to the assignment\'s template repository (a learn-io workspace, `npx learn-io init`), at .github/workflows/classroom.yml.');
  ctx.print('  2. Make the GitHub Classroom assignment from that template; each push by a learner is graded and the points reported.');
  ctx.print(kleur.dim('  The workflow grades with the learn-io version the repository installs, and without --show-hidden: hidden tests stay redacted.'));
  return 0;
}

/** A YAML double-quoted scalar (JSON's string syntax is a subset of it). */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** A step id and reporter runner id for an exercise: letters, digits and underscores. */
export function runnerId(step: ExerciseStep): string {
  return step.id.replace(/[^A-Za-z0-9_]/g, '_');
}

export function githubWorkflow(steps: readonly ExerciseStep[], command: string): string {
  const lines = [
    `# Made by \`${command}\` (learn-io ${packageVersion()}).`,
    '# GitHub Classroom autograding: each push grades the exercises with `learn-io grade` and',
    '# classroom-resources/autograding-grading-reporter reports the points. The reporter needs this',
    '# workflow name and job id. Run the command again rather than editing by hand.',
    'name: Autograding Tests',
    '"on":',
    '  - push',
    '  - workflow_dispatch',
    '  - repository_dispatch',
    'permissions:',
    '  checks: write',
    '  actions: read',
    '  contents: read',
    'jobs:',
    '  run-autograding-tests:',
    '    runs-on: ubuntu-latest',
    "    if: github.actor != 'github-classroom[bot]'",
    '    steps:',
    '      - name: Checkout code',
    '        uses: actions/checkout@v4',
    '      - name: Set up Node.js 20',
    '        uses: actions/setup-node@v4',
    '        with:',
    '          node-version: 20',
    '      - name: Install strace and curl (best effort)',
    '        run: |',
    '          (sudo apt-get update -q && sudo apt-get install -y -q strace curl) || echo "::warning::could not install strace and curl; grading goes on without them"',
    '      - name: Install learn-io (the repository\'s package.json)',
    '        run: npm ci || npm install',
  ];
  for (const step of steps) {
    const id = runnerId(step);
    const result = `.learn-io-grade/github/${step.id}.json`;
    // What the reporter gets when the grader wrote nothing: an error, never a silent zero.
    const fallback = JSON.stringify({
      version: 1,
      status: 'error',
      max_score: step.points,
      tests: [{ name: `[grader error] ${step.id}`, status: 'error', message: 'THE GRADER FAILED and wrote no results: this is not a verdict on your work. See the log of this step.', execution_time: '0s', score: 0 }],
    });
    lines.push(
      `      - name: ${yamlString(`${step.id}: ${step.title}`)}`,
      `        id: ${id}`,
      "        if: ${{ !cancelled() }}",
      `        timeout-minutes: ${Math.ceil(step.suiteTimeoutMs / 60_000) + 5}`,
      '        run: |',
      `          rm -f ${result}`,
      `          npx learn-io grade . --exercise ${step.id} --format github --out .learn-io-grade || true`,
      `          if [ ! -s ${result} ]; then`,
      `            mkdir -p .learn-io-grade/github`,
      `            echo '${fallback.replaceAll("'", "'\\''")}' > ${result}`,
      '          fi',
      `          echo "result=$(base64 -w0 ${result})" >> "$GITHUB_OUTPUT"`,
    );
  }
  lines.push(
    '      - name: Autograding Reporter',
    '        if: ${{ !cancelled() }}',
    '        uses: classroom-resources/autograding-grading-reporter@v1',
    '        env:',
    ...steps.map((s) => `          ${runnerId(s).toUpperCase()}_RESULTS: "\${{ steps.${runnerId(s)}.outputs.result }}"`),
    '        with:',
    `          runners: ${steps.map(runnerId).join(',')}`,
  );
  return `${lines.join('\n')}\n`;
}

/** A note when the repository the workflow goes to does not install learn-io from the registry. */
function dependencyWarning(out: string): string | undefined {
  const parts = out.split(path.sep);
  const at = parts.lastIndexOf('.github');
  const repo = at > 0 ? parts.slice(0, at).join(path.sep) || path.sep : path.dirname(out);
  const file = path.join(repo, 'package.json');
  let pkg: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  try {
    pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return `${file} is missing or unreadable: the workflow runs the learn-io that the repository's package.json installs (a workspace made by \`npx learn-io init\` has one).`;
  }
  const spec = pkg.dependencies?.['learn-io'] ?? pkg.devDependencies?.['learn-io'];
  if (!spec) return `${file} does not depend on learn-io: the workflow runs \`npx learn-io\` from the repository's own dependencies.`;
  if (spec.startsWith('file:') || spec.startsWith('link:')) return `${file} installs learn-io from ${spec}, which GitHub's runner cannot reach: depend on a published version instead.`;
  return undefined;
}
