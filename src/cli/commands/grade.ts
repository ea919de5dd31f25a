// `grade SUBMISSION...`: a classroom of submissions against the hidden suites, each in isolation
// (src/grade/), with reports for the instructor and the platforms (src/grade/report/).
// `grade --self`: the current workspace, graded exactly the way the classroom grades it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import kleur from 'kleur';
import { course, isAvailable, type ExerciseStep } from '../../catalog.ts';
import { ToolError } from '../../errors.ts';
import { gradeBatch } from '../../grade/grade.ts';
import type { ExerciseGrade, SubmissionGrade } from '../../grade/model.ts';
import { REPORT_FORMATS, writeReports, type ReportFormat } from '../../grade/report/index.ts';
import { requireWorkspace } from '../../workspace/workspace.ts';
import type { Command, Context } from '../command.ts';
import { requireExercise, shown } from '../shared.ts';

/** The exercises named by --exercise (comma-separated or repeated), in course order; all available ones by default. */
export function chosenExercises(value: string | boolean | undefined): ExerciseStep[] {
  const all = course.filter((s): s is ExerciseStep => s.kind === 'exercise' && isAvailable(s));
  if (typeof value !== 'string' || value === '') return all;
  const ids = new Set(value.split(',').map((id) => id.trim()).filter(Boolean));
  for (const id of ids) requireExercise(id);
  return all.filter((s) => ids.has(s.id));
}

function positiveNumber(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ToolError('USAGE', `--${name} must be a positive number, not "${String(value)}".`);
  return n;
}

export const grade: Command = {
  name: 'grade',
  args: '[SUBMISSION...]',
  summary: 'instructors: grade many submissions (folders, .zip, .tar.gz) in isolation; --self grades your workspace the same way',
  example: 'npx learn-io grade submissions/*.zip --format csv,html,junit --out grades',
  flags: {
    exercise: { type: 'string', multiple: true, value: 'ID,...', description: 'grade only these exercises (comma-separated, or the flag repeated; default: all)' },
    format: { type: 'string', value: 'F,...', description: `reports to write: ${REPORT_FORMATS.join(', ')} (default json,csv,html)` },
    out: { type: 'string', value: 'DIR', description: 'where the reports go (default ./grades; with --self, none unless given); the files of the previous run there are replaced' },
    jobs: { type: 'string', value: 'N', description: `submissions graded at once (default: the cores, ${os.availableParallelism()}; at most twice that)` },
    suites: { type: 'string', value: 'DIR', description: "grade with these hidden suites (a copy of the package's grader/suites/, changed or extended)" },
    self: { type: 'boolean', description: 'grade your own workspace exactly as the classroom will' },
    'show-hidden': { type: 'boolean', description: "instructors: keep hidden tests' messages and output in the reports" },
    memory: { type: 'string', value: 'MB', description: 'memory limit of one exercise run, all its processes together (default 2048)' },
    timeout: { type: 'string', value: 'S', description: "one submission's time limit in seconds (default: the sum of its suites' limits)" },
    json: { type: 'boolean', description: 'print the report (the json format) on stdout instead of the summary' },
  },
  async run(ctx, args, flags) {
    const self = flags.self === true;
    if (self && args.length > 0) throw new ToolError('USAGE', '`grade --self` grades your workspace: give no SUBMISSION with it.');
    if (!self && args.length === 0) throw new ToolError('USAGE', '`learn-io grade` needs at least one SUBMISSION (a folder, .zip or .tar.gz), or --self.');
    const sources = self ? [requireWorkspace(ctx.cwd).root] : args.map((a) => path.resolve(ctx.cwd, a));
    const steps = chosenExercises(flags.exercise);
    const outDir = typeof flags.out === 'string' ? path.resolve(ctx.cwd, flags.out) : self ? undefined : path.resolve(ctx.cwd, 'grades');
    const formats = parseFormats(flags.format, outDir !== undefined);
    const absent = sources.filter((s) => !fs.existsSync(s));
    if (absent.length > 0) throw new ToolError('USAGE', `No such submission: ${absent.map((s) => shown(ctx, s)).join(', ')}.`);
    // Before hours of grading, not after: the reports must have somewhere to go.
    if (outDir && formats.length > 0) {
      if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new ToolError('USAGE', `--out ${shown(ctx, outDir)} is a file, not a folder.`);
      fs.mkdirSync(outDir, { recursive: true });
    }
    const jobs = positiveNumber('jobs', flags.jobs);
    // Each job is a Vitest process with workers and servers of its own: past twice the cores, they only slow each other down.
    const maxJobs = os.availableParallelism() * 2;
    if (jobs !== undefined && jobs > maxJobs) throw new ToolError('USAGE', `--jobs may be at most ${maxJobs} on this machine (twice its cores).`);
    const memoryMb = positiveNumber('memory', flags.memory);
    const timeoutS = positiveNumber('timeout', flags.timeout);
    const json = flags.json === true;

    if (!json) ctx.print(kleur.bold(`Grading ${sources.length} submission${sources.length === 1 ? '' : 's'} on ${steps.map((s) => s.id).join(', ')}`));
    const report = await gradeBatch({
      sources,
      steps,
      ...(typeof flags.suites === 'string' ? { suitesDir: path.resolve(ctx.cwd, flags.suites) } : {}),
      ...(jobs ? { jobs: Math.floor(jobs) } : {}),
      showHidden: flags['show-hidden'] === true,
      ...(memoryMb ? { memoryLimitBytes: memoryMb * 2 ** 20 } : {}),
      ...(timeoutS ? { submissionTimeoutMs: timeoutS * 1000 } : {}),
      onSubmission: json ? undefined : (s) => printSubmission(ctx, s, self),
    });
    const written = outDir && formats.length > 0 ? writeFresh(report, formats, outDir) : [];
    if (json) ctx.print(JSON.stringify(report, null, 2));
    else {
      const errors = report.submissions.filter((s) => s.status === 'error').length;
      ctx.print();
      ctx.print(`${report.submissions.length} graded in ${(report.durationMs / 1000).toFixed(1)} s${errors ? kleur.magenta(`, ${errors} with grader errors (not the learners' zeros: see the reports)`) : ''}.`);
      for (const file of written) ctx.print(`  ${shown(ctx, file)}`);
      if (report.packageChanged) {
        ctx.print(kleur.magenta(`The installed package's grading files changed during the batch (${report.packageChanged.slice(0, 3).join(', ')}): every submission ran from a copy, but reinstall learn-io before the next batch.`));
      }
    }
    if (self) {
      const only = report.submissions[0]!;
      return only.status === 'error' ? 2 : only.exercises.every((e) => e.status === 'pass') ? 0 : 1;
    }
    return report.submissions.some((s) => s.status === 'error') ? 2 : 0;
  },
};

/** The list of files the last run wrote into an output folder, so that the next run removes them first. */
const MANIFEST = '.learn-io-grade-files';

/**
 * Writes the reports, after removing the files the previous run wrote there (and only those): a
 * gradescope/ or github/ folder must not mix last week's submissions with today's.
 */
function writeFresh(report: Parameters<typeof writeReports>[0], formats: ReportFormat[], outDir: string): string[] {
  const manifest = path.join(outDir, MANIFEST);
  try {
    for (const file of JSON.parse(fs.readFileSync(manifest, 'utf8')) as string[]) {
      const target = path.resolve(outDir, file);
      if (target.startsWith(outDir + path.sep)) fs.rmSync(target, { force: true });
    }
  } catch {
    // no earlier run here, or an unreadable list: nothing to remove
  }
  const written = writeReports(report, formats, outDir);
  fs.writeFileSync(manifest, `${JSON.stringify(written.map((f) => path.relative(outDir, f)), null, 2)}\n`);
  return written;
}

function parseFormats(value: string | boolean | undefined, reports: boolean): ReportFormat[] {
  if (typeof value !== 'string' || value.trim() === '') return reports ? ['json', 'csv', 'html'] : [];
  const formats = value.split(',').map((f) => f.trim()).filter(Boolean);
  const unknown = formats.filter((f) => !(REPORT_FORMATS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new ToolError('USAGE', `Unknown format: ${unknown.join(', ')}.`, `The formats are ${REPORT_FORMATS.join(', ')}.`);
  return formats as ReportFormat[];
}

const paint: Record<ExerciseGrade['status'], (s: string) => string> = { pass: kleur.green, fail: kleur.red, error: kleur.magenta };

/** One line per submission; with --self, the failing tests too. */
function printSubmission(ctx: Context, s: SubmissionGrade, self: boolean): void {
  const cells = s.exercises.map((e) => {
    const note = e.outcome === 'graded' ? `${e.passed}/${e.total}` : e.outcome;
    return paint[e.status](`${e.exercise} ${note}`);
  });
  const mark = s.status === 'error' ? kleur.magenta('!') : s.exercises.every((e) => e.status === 'pass') ? kleur.green('✓') : kleur.red('✗');
  ctx.print(`${mark} ${s.name.padEnd(20)} ${`${s.points}/${s.maxPoints}`.padStart(9)}  ${cells.join('  ')}`);
  if (s.error) ctx.print(kleur.magenta(`    ${s.error.message.split('\n')[0]}`));
  for (const e of s.exercises) if (e.error) ctx.print(kleur.magenta(`    ${e.exercise}: grader error: ${e.error.message}`));
  if (!self) return;
  for (const e of s.exercises) {
    for (const t of e.tests.filter((t) => t.status !== 'pass').slice(0, 10)) {
      ctx.print(`    ${paint[e.status](`${e.exercise} › ${t.name}`)}`);
      if (t.message) ctx.print(kleur.dim(`      ${t.message.split('\n').slice(0, 3).join('\n      ')}`));
    }
  }
}
