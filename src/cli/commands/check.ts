// `check [ID]` and `watch [ID]`: grade the learner's exercise file against its hidden suite.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import kleur from 'kleur';
import { workspaceExerciseDir, type ExerciseStep } from '../../catalog.ts';
import { visibleWidth } from '../../render/markdown.ts';
import { ToolError } from '../../errors.ts';
import type { SuiteResult, TestResult } from '../../grader/model.ts';
import { runSuite } from '../../grader/run-suite.ts';
import { readProgress, updateStep } from '../../workspace/progress.ts';
import { requireWorkspace, type Workspace } from '../../workspace/workspace.ts';
import type { Command, Context } from '../command.ts';
import { afterwards, currentExercise, shown } from '../shared.ts';

export const check: Command = {
  name: 'check',
  args: '[ID]',
  summary: 'run the hidden tests of an exercise (the current one by default) against your file',
  example: 'npx learn-io check coroutine-switcher',
  flags: {
    json: { type: 'boolean', description: 'print the result as JSON (exit code as usual)' },
    all: { type: 'boolean', description: 'show every failing test (by default the first 10)' },
  },
  async run(ctx, args, flags) {
    const ws = requireWorkspace(ctx.cwd);
    const step = currentExercise(readProgress(ws.progressFile), args[0]);
    const result = await checkOnce(ctx, ws, step, { json: flags.json === true, all: flags.all === true });
    return result.status === 'pass' ? 0 : result.status === 'fail' ? 1 : 2;
  },
};

/** Runs the suite on the workspace's files, prints the verdict, records progress. */
async function checkOnce(
  ctx: Context,
  ws: Workspace,
  step: ExerciseStep,
  {
    json,
    failuresOnly = false,
    all = false,
    signal,
  }: { json: boolean; failuresOnly?: boolean; all?: boolean; signal?: AbortSignal },
): Promise<SuiteResult> {
  const dir = workspaceExerciseDir(ws.root, step);
  const missing = step.files.map((f) => path.join(dir, f)).filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    const result: SuiteResult = {
      exercise: step.id,
      target: dir,
      status: 'fail',
      tests: missing.map((f) => ({
        id: `missing:${f}`,
        name: `your file ${path.basename(f)} exists`,
        status: 'fail',
        message: `${shown(ctx, f)} is missing. \`npx learn-io reset ${step.id}\` restores the stub.`,
        durationMs: 0,
        points: 0,
        maxPoints: 0,
        visibility: 'visible',
        output: [],
      })),
      passed: 0,
      total: missing.length,
      points: 0,
      maxPoints: step.points,
      durationMs: 0,
      output: [],
      unhandled: [],
    };
    print(ctx, step, result, json);
    return result;
  }

  if (!json) ctx.print(`${kleur.bold(`Checking ${step.id}`)} ${kleur.dim(`(${step.files.map((f) => shown(ctx, path.join(dir, f))).join(', ')})`)}\n`);
  const report = new Report(ctx, { failuresOnly, maxFailures: all ? Infinity : failuresOnly ? 3 : 10 });
  const result = await runSuite({ step, targetDir: dir, onTest: json ? undefined : (test) => report.test(test), ...(signal ? { signal } : {}) });
  const progress = updateStep(ws.progressFile, step.id, (record) => {
    record.checks = (record.checks ?? 0) + 1;
    record.lastCheck = { at: new Date().toISOString(), passed: result.passed, total: result.total };
    if (result.status === 'pass') record.done ??= new Date().toISOString();
  });
  if (json) {
    ctx.print(JSON.stringify(result, null, 2));
    return result;
  }
  // Load failures come before any test ran, so onTest never printed them.
  for (const test of result.tests) if (test.id === 'load') report.test(test);
  report.end();
  printSummary(ctx, step, result);
  if (result.status === 'pass') ctx.print(afterwards(progress));
  return result;
}

function print(ctx: Context, step: ExerciseStep, result: SuiteResult, json: boolean): void {
  if (json) ctx.print(JSON.stringify(result, null, 2));
  else {
    const report = new Report(ctx, { failuresOnly: false, maxFailures: Infinity });
    for (const test of result.tests) report.test(test);
    printSummary(ctx, step, result);
  }
}

const marks: Record<TestResult['status'], [string, (s: string) => string]> = {
  pass: ['✓', kleur.green],
  fail: ['✗', kleur.red],
  timeout: ['⏱', kleur.yellow],
  error: ['!', kleur.magenta],
};

/**
 * Prints verdicts as they come: every test (or only failures), a failure in full the first time its
 * error is seen, and at most `maxFailures` failures, so the first one stays in view.
 */
class Report {
  #seen = new Set<string>();
  #failures = 0;
  constructor(
    private readonly ctx: Context,
    private readonly options: { failuresOnly: boolean; maxFailures: number },
  ) {}

  test(test: TestResult): void {
    if (test.status === 'pass') {
      if (!this.options.failuresOnly) this.ctx.print(testLine(this.ctx, test, this.#seen));
      return;
    }
    if (++this.#failures <= this.options.maxFailures) this.ctx.print(testLine(this.ctx, test, this.#seen));
  }

  end(): void {
    const hidden = this.#failures - this.options.maxFailures;
    if (hidden > 0) this.ctx.print(kleur.dim(`  … and ${hidden} more failing test${hidden > 1 ? 's' : ''}: \`npx learn-io check --all\` lists every one.`));
  }
}

/** Plain text wrapped at spaces to `width` columns; lines after the first start with `indent`. */
function wrapWords(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && visibleWidth(line) + 1 + visibleWidth(word) > width - (lines.length > 0 ? indent.length : 0)) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

/** Learner text made safe for a terminal: control characters (an ESC byte, say) shown, not obeyed. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * One line per test; for a failure, what was expected, what came back, and where. A failure whose
 * error was already shown (a stub fails every test alike) is named but not repeated.
 */
export function testLine(ctx: Context, test: TestResult, seen: Set<string> = new Set()): string {
  const [mark, paint] = marks[test.status];
  const head = (note: string) => `  ${paint(mark)} ${wrapWords(`${test.name}${note}`, ctx.width - 4, '    ')}`;
  const lines = [head(test.status === 'pass' ? ` (${Math.round(test.durationMs)} ms)` : '')];
  if (test.status === 'pass') return lines[0]!;
  // The same error from another line of the suite is still the same error; in the learner's own
  // file, the line is part of what the error is.
  const inLearnerFile = test.location && !test.location.file.includes(`${path.sep}grader${path.sep}`);
  const key = `${test.status}|${test.message?.replace(/\d+ ms/g, 'N ms')}|${inLearnerFile ? `${test.location!.file}:${test.location!.line}` : ''}`;
  if (seen.has(key) && test.expected === undefined && test.output.length === 0) {
    return head('  (the same error as an earlier test)');
  }
  seen.add(key);
  const indent = (text: string) => text.split('\n').map((l) => `      ${l}`).join('\n');
  if (test.status === 'timeout') lines.push(indent(kleur.yellow(test.message?.startsWith('not run') ? test.message : `timed out: ${test.message ?? ''}`)));
  else if (test.message) {
    // Long enough for a socket harness failure (sentence, the server's death, the command to try by
    // hand, the transcript); a cut says so.
    const all = test.message.split('\n');
    const kept = all.slice(0, 40);
    if (all.length > kept.length) kept.push(kleur.dim(`… ${all.length - kept.length} more lines (\`check --json\` has them all)`));
    lines.push(indent(printable(kept.join('\n'))));
  }
  if (test.expected !== undefined && test.actual !== undefined) {
    lines.push(indent(`${kleur.green('expected:')} ${printable(test.expected).split('\n').join('\n          ')}`));
    lines.push(indent(`${kleur.red('received:')} ${printable(test.actual).split('\n').join('\n          ')}`));
  }
  if (test.location) {
    lines.push(indent(kleur.dim(`at ${shown(ctx, test.location.file)}:${test.location.line}:${test.location.column}`)));
    const source = sourceLine(test.location.file, test.location.line);
    if (source !== undefined && !test.location.file.includes(`${path.sep}grader${path.sep}suites${path.sep}`)) {
      lines.push(indent(kleur.dim(`${test.location.line} | `) + printable(source.trim()).slice(0, 200)));
    }
  }
  if (test.output.length > 0) {
    lines.push(indent(kleur.dim('your code printed:')));
    for (const line of test.output.slice(0, 20)) lines.push(indent(kleur.dim(`│ ${printable(line).slice(0, 200)}`)));
    if (test.output.length > 20) lines.push(indent(kleur.dim(`│ … ${test.output.length - 20} more lines`)));
  }
  return lines.join('\n');
}

function sourceLine(file: string, line: number): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').split('\n')[line - 1];
  } catch {
    return undefined;
  }
}

function printSummary(ctx: Context, step: ExerciseStep, result: SuiteResult): void {
  if (result.unhandled.length > 0) {
    ctx.print();
    ctx.print(kleur.red().bold('Errors in your code outside any test (each kind fails the check):'));
    const counts = new Map<string, number>();
    for (const e of result.unhandled) {
      const where = e.location ? `\n      at ${shown(ctx, e.location.file)}:${e.location.line}:${e.location.column}` : '';
      const key = `${printable(e.message.split('\n')[0] ?? '')}${kleur.dim(where)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [text, n] of counts) ctx.print(`  ${kleur.red('✗')} ${text}${n > 1 ? kleur.dim(` (${n} times)`) : ''}`);
  }
  if (result.output.length > 0) {
    ctx.print();
    ctx.print(kleur.bold('Output of your code outside any test:'));
    const shownLines = 40;
    for (const line of result.output.slice(0, shownLines)) ctx.print(kleur.dim(`  │ ${printable(line).slice(0, 200)}`));
    const cut = /^\[(\d+) more lines of output were cut\]$/.exec(result.output.at(-1) ?? '');
    const notShown = result.output.length - shownLines - (cut ? 1 : 0) + (cut ? Number(cut[1]) : 0);
    if (notShown > 0) ctx.print(kleur.dim(`  │ … and ${notShown} more lines`));
  }
  ctx.print();
  const seconds = (result.durationMs / 1000).toFixed(1);
  if (result.status === 'error') {
    ctx.print(kleur.magenta(`The grader itself could not run: ${result.error?.message ?? 'see above'}.`));
    if (result.error?.detail) ctx.print(kleur.dim(result.error.detail.split('\n').slice(0, 15).join('\n')));
    ctx.print('This is not your fault. Try again; if it persists, report it with the text above.');
    return;
  }
  const loadOnly = result.tests.length > 0 && result.tests.every((t) => t.id.startsWith('load'));
  const points = `(${result.points}/${step.points} points)`;
  if (result.status === 'pass') {
    ctx.print(kleur.green().bold(`${result.passed} of ${result.total} tests passed ${points} in ${seconds} s. ${step.id} is done.`));
  } else if (loadOnly) {
    ctx.print(kleur.red(`Your file could not be loaded, so no test ran (0/${step.points} points).`));
  } else if (result.passed === result.total) {
    ctx.print(kleur.yellow(`All ${result.total} tests passed ${points}, but your code raised errors outside any test (above): fix them to finish ${step.id}.`));
    return;
  } else {
    ctx.print(kleur.red(`${result.passed} of ${result.total} tests passed ${points} in ${seconds} s.`));
  }
  if (result.status !== 'pass') ctx.print(`Start with the first failure above. Stuck? ${kleur.cyan(`npx learn-io hint ${step.id}`)}`);
}

export const watch: Command = {
  name: 'watch',
  args: '[ID]',
  summary: 're-check an exercise each time you save its file',
  example: 'npx learn-io watch coroutine-switcher',
  flags: {
    poll: { type: 'boolean', description: 'look for changes by polling (where file events do not arrive)' },
  },
  async run(ctx, args, flags) {
    const ws = requireWorkspace(ctx.cwd);
    const step = currentExercise(readProgress(ws.progressFile), args[0]);
    const dir = workspaceExerciseDir(ws.root, step);
    const files = step.files.map((f) => path.join(dir, f));
    const fingerprint = () =>
      files.map((f) => (fs.existsSync(f) ? createHash('sha1').update(fs.readFileSync(f)).digest('hex') : '-')).join(':');

    let last = '';
    let running: AbortController | undefined;
    let again = false;
    let timer: NodeJS.Timeout | undefined;
    const runCheck = async () => {
      if (running) {
        // A save during a check makes that check stale: stop it and start over.
        again = true;
        running.abort();
        return;
      }
      do {
        again = false;
        running = new AbortController();
        last = fingerprint();
        if (ctx.interactive) ctx.out.write('\x1b[2J\x1b[H'); // a fresh screen per run, as test watchers do
        try {
          // Only failures, so that the first one is on screen in a short terminal.
          await checkOnce(ctx, ws, step, { json: false, failuresOnly: true, signal: running.signal });
        } catch (error) {
          if (running.signal.aborted) continue;
          if (!(error instanceof ToolError)) throw error;
          ctx.print(`${kleur.red('error')} ${error.message}${error.fix ? `\n${error.fix}` : ''}`);
        }
        ctx.print(kleur.dim(`\nWatching ${files.map((f) => shown(ctx, f)).join(', ')}. Save to re-check; Ctrl-C to stop.`));
      } while (again || fingerprint() !== last);
      running = undefined;
    };
    // Saves come as bursts of events (editors write, rename, chmod): wait until they settle.
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (fingerprint() !== last) void runCheck();
      }, 150);
    };

    // File events where they work; a slow poll underneath catches what they miss (network file
    // systems, some containers and editors that replace the folder).
    if (!flags.poll) {
      try {
        fs.watch(dir, { persistent: true }, changed);
      } catch {
        ctx.print(kleur.dim('(file events are not available here: polling instead)'));
      }
    }
    setInterval(changed, flags.poll ? 500 : 1500);
    await runCheck();
    return new Promise<number>(() => {}); // until Ctrl-C
  },
};
