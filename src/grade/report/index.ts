// The report emitters of `learn-io grade`: each format is a view of one GradeReport (../model.ts).
//
// Every emitter is a pure function from the report to a list of files (path relative to the output
// folder, text); writeReports only writes them. Two rules hold in every format:
// - learner output is hostile text: it is escaped (HTML, XML), quoted (CSV) or stored as a JSON
//   string, never pasted raw into markup;
// - a grader error is never a silent zero: every format says loudly that the grader, not the
//   learner, failed (a status of its own, a note, a first line in capitals).
// Hidden tests arrive already redacted (see GradeReport.showHidden); the emitters do not redact,
// they only carry `visibility` through where the format has it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestResult, TestStatus } from '../../grader/model.ts';
import type { ExerciseGrade, GradeReport, SubmissionGrade } from '../model.ts';

export type ReportFormat = 'json' | 'gradescope' | 'github' | 'junit' | 'csv' | 'html';

/** Every format, in the order the files are described in README.md. */
export const REPORT_FORMATS: readonly ReportFormat[] = Object.freeze(['json', 'gradescope', 'github', 'junit', 'csv', 'html'] as const);

/** One file of a report: where it goes, relative to the output folder, and what it holds. */
export interface ReportFile {
  file: string;
  text: string;
}

/**
 * Writes the report in each of `formats` under `outDir` (created if needed) and returns the
 * absolute paths written, in the order of `formats` (a format named twice is written once).
 *
 * File layout, OUT being `outDir`:
 * - json:       OUT/grade.json (the GradeReport as it is)
 * - gradescope: OUT/results.json with one submission; OUT/gradescope/<submission>.json with several
 * - github:     one runner per exercise: OUT/github/<exercise>.json with one submission,
 *               OUT/github/<submission>/<exercise>.json with several (plus _submission.json for a
 *               submission that could not be read at all)
 * - junit:      OUT/junit.xml
 * - csv:        OUT/grades.csv
 * - html:       OUT/report.html (one self-contained page)
 * Submission names are made safe as file names (no path separators, no reserved characters).
 * With no submission at all, gradescope and github write nothing.
 */
export function writeReports(report: GradeReport, formats: readonly ReportFormat[], outDir: string): string[] {
  const root = path.resolve(outDir);
  fs.mkdirSync(root, { recursive: true });
  const written: string[] = [];
  for (const format of new Set(formats)) {
    for (const { file, text } of renderReport(report, format)) {
      const target = path.join(root, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
      written.push(target);
    }
  }
  return written;
}

/** The files of one format, without writing them (layout as in writeReports). */
export function renderReport(report: GradeReport, format: ReportFormat): ReportFile[] {
  switch (format) {
    case 'json':
      return [{ file: 'grade.json', text: `${JSON.stringify(report, null, 2)}\n` }];
    case 'gradescope':
      return gradescopeFiles(report);
    case 'github':
      return githubFiles(report);
    case 'junit':
      return [{ file: 'junit.xml', text: junitXml(report) }];
    case 'csv':
      return [{ file: 'grades.csv', text: gradesCsv(report) }];
    case 'html':
      return [{ file: 'report.html', text: htmlReport(report) }];
    default:
      // The CLI passes user input through here: name the choices rather than write nothing.
      throw new Error(`unknown report format ${JSON.stringify(format)} (one of: ${REPORT_FORMATS.join(', ')})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** Points as people write them: at most two decimals, no trailing zeros (76.92, 10, 6.6). */
function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function seconds(ms: number, digits: number): string {
  return (ms / 1000).toFixed(digits);
}

/** Cuts `text` to at most `max` characters, saying so, without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `\n… [cut: ${text.length - max} more characters]`;
  let end = Math.max(0, max - note.length);
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return text.slice(0, end) + note;
}

/** One line, for notes and summaries: whitespace and control characters collapsed, length capped. */
function oneLine(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\s\x00-\x1F\x7F]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Unique, safe file names for submission names. Names are unique in the batch already, but they
 * come from folder and archive names: a separator, a reserved character or "." / ".." must not
 * make a file land elsewhere, and two names that differ only by such characters (or by case, on
 * macOS and Windows) must not overwrite each other.
 */
function safeFileNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    // eslint-disable-next-line no-control-regex
    let base = name.replace(/[/\\:*?"<>|\x00-\x1F\x7F]/g, '_').replace(/[. ]+$/, '');
    if (base === '' || base === '.' || base === '..') base = '_';
    if (base.length > 120) base = base.slice(0, 120);
    let unique = base;
    for (let i = 2; taken.has(unique.toLowerCase()); i++) unique = `${base}-${i}`;
    taken.add(unique.toLowerCase());
    return unique;
  });
}

const OUTCOME_TEXT: Record<ExerciseGrade['outcome'], string> = {
  graded: 'graded',
  missing: 'not graded: none of its files are in the submission',
  incomplete: 'not graded: some of its files are missing from the submission',
  tampered: "void: the code changed the grader's files while it ran",
  timeout: "not finished: the submission's time limit ran out before this exercise finished",
};

/** The name of the stand-in test for an exercise that ran no test, by outcome. */
const NOT_GRADED_NAME: Record<ExerciseGrade['outcome'], string> = {
  graded: 'no test ran',
  missing: 'exercise files missing',
  incomplete: 'exercise files incomplete',
  tampered: "the grader's files were changed",
  timeout: "the submission's time limit",
};

/** What the grader could not judge, for a submission: one entry per exercise, plus the submission's own. */
interface GraderError {
  exercise?: string;
  code: string;
  message: string;
}

function exerciseError(ex: ExerciseGrade): GraderError | undefined {
  if (ex.status !== 'error') return undefined;
  if (ex.error) return { exercise: ex.exercise, code: ex.error.code, message: ex.error.message };
  const test = ex.tests.find((t) => t.status === 'error');
  return { exercise: ex.exercise, code: 'TEST_ERROR', message: test?.message ?? `the grader could not run "${test?.name ?? 'its tests'}"` };
}

function graderErrors(sub: SubmissionGrade): GraderError[] {
  const errors: GraderError[] = [];
  if (sub.error) errors.push({ code: sub.error.code, message: sub.error.message });
  for (const ex of sub.exercises) {
    const error = exerciseError(ex);
    if (error) errors.push(error);
  }
  return errors;
}

/** The loud first lines of a learner-facing summary: one per thing the grader could not judge. */
const LOUD = 'THE GRADER FAILED';

function loudLines(sub: SubmissionGrade): string[] {
  const tail = '— this is not a verdict on your code; your score is incomplete. Tell your instructor.';
  const lines = graderErrors(sub).map(
    (e) => `${LOUD} on ${e.exercise ?? 'this submission'}: ${oneLine(e.message, 500)} ${tail}`,
  );
  if (lines.length === 0 && sub.status === 'error') lines.push(`${LOUD} on this submission ${tail}`);
  return lines;
}

/**
 * What a test's failure says, as plain text: the message, expected and actual values, where it
 * broke, then what the learner's code printed. A redacted hidden test says so instead of nothing.
 */
function testText(t: TestResult): string {
  const lines: string[] = [];
  if (t.message) lines.push(t.message);
  if (t.expected !== undefined) lines.push(`expected: ${t.expected}`);
  if (t.actual !== undefined) lines.push(`actual: ${t.actual}`);
  if (t.location) lines.push(`at ${t.location.file}:${t.location.line}:${t.location.column}`);
  if (t.output.length > 0) lines.push('output:', ...t.output);
  if (lines.length === 0 && t.status !== 'pass' && t.visibility === 'hidden') lines.push('(hidden test: its details are not shown)');
  return lines.join('\n');
}

/**
 * The tests every per-test format lists for an exercise: the model's own, plus synthetic ones where
 * the model's alone would hide a failure: errors outside any test (they fail the suite while every
 * test passes) and an exercise that ran no test at all (missing files, a grader error before the
 * first test). Synthetic tests carry 0 points and never change a score.
 */
function testsFor(ex: ExerciseGrade): TestResult[] {
  const tests = [...ex.tests];
  const blank = { durationMs: 0, points: 0, maxPoints: 0, visibility: 'visible' as const, output: [] };
  if (ex.unhandled.length > 0) {
    tests.push({
      ...blank,
      id: `${ex.exercise}:unhandled`,
      name: 'errors outside any test',
      status: 'fail',
      message: ex.unhandled
        .map((e) => (e.location ? `${e.message}\nat ${e.location.file}:${e.location.line}:${e.location.column}` : e.message))
        .join('\n\n'),
    });
  }
  if (ex.tests.length === 0 && ex.status !== 'pass') {
    const error = exerciseError(ex);
    const found = Object.values(ex.found);
    tests.push({
      ...blank,
      id: `${ex.exercise}:not-graded`,
      name: error ? 'grader error' : NOT_GRADED_NAME[ex.outcome],
      status: error ? 'error' : ex.outcome === 'timeout' ? 'timeout' : 'fail',
      message: [
        error ? `the grader could not judge this exercise: ${error.message}` : OUTCOME_TEXT[ex.outcome],
        ...(ex.outcome === 'incomplete' && found.length > 0 ? [`found: ${found.join(', ')}`] : []),
      ].join('\n'),
      maxPoints: ex.maxPoints,
    });
  }
  return tests;
}

/** A submission that could not be read at all, with no exercise to carry the error. */
function unreadable(sub: SubmissionGrade): boolean {
  return sub.error !== undefined && !sub.exercises.some((ex) => ex.status === 'error');
}

// ---------------------------------------------------------------------------------------------
// Gradescope: https://gradescope-autograders.readthedocs.io/en/latest/specs/

const GRADESCOPE_OUTPUT_MAX = 10_000;

interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  visibility: 'visible' | 'hidden';
  extra_data: { status: TestStatus };
}

interface GradescopeResult {
  score: number;
  execution_time: number;
  output: string;
  output_format: 'text';
  visibility: 'visible';
  stdout_visibility: 'hidden';
  tests: GradescopeTest[];
  extra_data: { learnIo: { status: SubmissionGrade['status']; errors: GraderError[] } };
}

function gradescopeFiles(report: GradeReport): ReportFile[] {
  const subs = report.submissions;
  if (subs.length === 1) return [{ file: 'results.json', text: json(gradescopeResult(report, subs[0]!)) }];
  const names = safeFileNames(subs.map((s) => s.name));
  return subs.map((sub, i) => ({ file: path.join('gradescope', `${names[i]}.json`), text: json(gradescopeResult(report, sub)) }));
}

/** Gradescope's results.json for one submission. */
export function gradescopeResult(report: GradeReport, sub: SubmissionGrade): GradescopeResult {
  const summary = sub.exercises.map((ex) => {
    let line = `${ex.exercise}: ${ex.passed}/${ex.total} tests, ${fmt(ex.points)}/${fmt(ex.maxPoints)} points`;
    if (ex.outcome !== 'graded') line += ` (${OUTCOME_TEXT[ex.outcome]})`;
    if (ex.status === 'error') line += ' (GRADER ERROR, see above)';
    for (const e of ex.unhandled.slice(0, 3)) line += `\n  error outside any test: ${oneLine(e.message)}`;
    return line;
  });
  const loud = loudLines(sub);
  const output = [...loud, ...(loud.length > 0 ? [''] : []), ...summary, '', `total: ${fmt(sub.points)}/${fmt(sub.maxPoints)} points`];

  const tests: GradescopeTest[] = [];
  sub.exercises.forEach((ex, i) => {
    // Numbered by the exercise's place in the course, so "2.3" means the same test for everyone.
    const index = report.exercises.findIndex((e) => e.id === ex.exercise);
    const number = (index >= 0 ? index : i) + 1;
    testsFor(ex).forEach((t, j) => {
      tests.push({
        name: `${t.status === 'error' ? '[grader error] ' : ''}${ex.exercise} › ${t.name}`,
        number: `${number}.${j + 1}`,
        score: t.points,
        max_score: t.maxPoints,
        status: t.status === 'pass' ? 'passed' : 'failed',
        output: cut(testText(t), GRADESCOPE_OUTPUT_MAX),
        visibility: t.visibility,
        extra_data: { status: t.status },
      });
    });
  });
  return {
    score: sub.points,
    execution_time: Math.round(sub.durationMs / 1000),
    output: cut(output.join('\n'), GRADESCOPE_OUTPUT_MAX),
    output_format: 'text',
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests,
    extra_data: { learnIo: { status: sub.status, errors: graderErrors(sub) } },
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// GitHub Classroom: the runner results that education/autograding-grading-reporter reads (each
// runner's JSON, base64-encoded, in the `<RUNNER>_RESULTS` environment variable).

const GITHUB_MESSAGE_MAX = 2_000;

type GithubStatus = 'pass' | 'fail' | 'error';

interface GithubTest {
  name: string;
  status: GithubStatus;
  message: string;
  line_no?: number;
  execution_time: string;
  score: number;
  filename?: string;
}

interface GithubRunner {
  version: 1;
  status: GithubStatus;
  max_score: number;
  tests: GithubTest[];
}

function githubStatus(status: TestStatus): GithubStatus {
  return status === 'pass' ? 'pass' : status === 'error' ? 'error' : 'fail';
}

/** The first lines of a failure, whole lines only, within the reporter's room for a message. */
function firstLines(text: string, max: number): string {
  if (text.length <= max) return text;
  const kept: string[] = [];
  let used = 0;
  for (const line of text.split('\n')) {
    if (used + line.length + 1 > max - 2) break;
    kept.push(line);
    used += line.length + 1;
  }
  // A first line longer than the budget is cut rather than dropped: it is the message itself.
  return kept.length > 0 ? `${kept.join('\n')}\n…` : `${text.slice(0, max - 1)}…`;
}

/**
 * The reporter adds the tests' scores as floats: 67 shares of 100 such as 1.49 add up to
 * 99.99999999999993. Shares in 1/128ths are exact in binary, so any set of them adds up exactly:
 * test i gets the 1/128ths between the running totals of maxPoints before and after it.
 */
function binaryShares(tests: readonly TestResult[]): number[] {
  const q = (x: number) => Math.round(x * 128) / 128;
  let before = 0;
  return tests.map((t) => {
    const share = q(before + t.maxPoints) - q(before);
    before += t.maxPoints;
    return t.status === 'pass' ? share : 0;
  });
}

function githubTest(t: TestResult, score: number): GithubTest {
  return {
    name: `${t.status === 'error' ? '[grader error] ' : ''}${t.name}`,
    status: githubStatus(t.status),
    message: t.status === 'pass' ? '' : firstLines(testText(t), GITHUB_MESSAGE_MAX),
    ...(t.location ? { line_no: t.location.line } : {}),
    execution_time: `${seconds(t.durationMs, 2)}s`,
    score,
    ...(t.location ? { filename: t.location.file } : {}),
  };
}

/** One GitHub Classroom runner for one exercise of a submission. */
export function githubRunner(ex: ExerciseGrade): GithubRunner {
  const all = testsFor(ex);
  const scores = binaryShares(all);
  const tests = all.map((t, i) => githubTest(t, scores[i]!));
  const status: GithubStatus =
    ex.status === 'error' || tests.some((t) => t.status === 'error')
      ? 'error'
      : ex.status === 'fail' || ex.outcome !== 'graded' || tests.some((t) => t.status !== 'pass')
        ? 'fail'
        : 'pass';
  return { version: 1, status, max_score: ex.maxPoints, tests };
}

function githubFiles(report: GradeReport): ReportFile[] {
  const subs = report.submissions;
  const names = safeFileNames(subs.map((s) => s.name));
  const files: ReportFile[] = [];
  subs.forEach((sub, i) => {
    const dir = subs.length === 1 ? 'github' : path.join('github', names[i]!);
    const exerciseNames = safeFileNames(sub.exercises.map((ex) => ex.exercise));
    sub.exercises.forEach((ex, j) => files.push({ file: path.join(dir, `${exerciseNames[j]}.json`), text: json(githubRunner(ex)) }));
    if (unreadable(sub)) {
      // Its own runner, so the reporter prints the error; max_score 0 keeps it out of the sums. The
      // leading underscore keeps it apart from exercise ids, which are kebab-case words.
      const runner: GithubRunner = {
        version: 1,
        status: 'error',
        max_score: 0,
        tests: [{ name: '[grader error] read the submission', status: 'error', message: loudLines(sub).join('\n'), execution_time: `${seconds(sub.durationMs, 2)}s`, score: 0 }],
      };
      files.push({ file: path.join(dir, '_submission.json'), text: json(runner) });
    }
  });
  return files;
}

// ---------------------------------------------------------------------------------------------
// JUnit XML, as read by CI systems (Jenkins, GitLab, GitHub test reporters).

/**
 * Removes what XML 1.0 cannot hold at all, escaped or not: control characters other than tab, line
 * feed and carriage return, U+FFFE/U+FFFF, and UTF-16 surrogates that are not part of a pair.
 */
function xmlLegal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

function xmlText(text: string): string {
  return xmlLegal(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also keep their tabs and line breaks, which a parser would turn into spaces. */
function xmlAttr(text: string | number): string {
  return xmlText(String(text)).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

function xmlProperties(indent: string, props: Record<string, string | number>): string {
  const lines = Object.entries(props).map(([name, value]) => `${indent}  <property name="${xmlAttr(name)}" value="${xmlAttr(value)}"/>`);
  return `${indent}<properties>\n${lines.join('\n')}\n${indent}</properties>`;
}

interface JunitCase {
  name: string;
  status: TestStatus;
  durationMs: number;
  points: number;
  maxPoints: number;
  visibility: string;
  text: string;
  output: string[];
}

function junitCase(t: TestResult): JunitCase {
  // The output goes to <system-out>; the failure's text is the rest.
  return { ...t, text: testText({ ...t, output: [] }) };
}

function junitCounts(cases: readonly JunitCase[]): { tests: number; failures: number; errors: number } {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.status === 'fail' || c.status === 'timeout').length,
    errors: cases.filter((c) => c.status === 'error').length,
  };
}

/** The whole batch as one JUnit XML document (OUT/junit.xml). */
export function junitXml(report: GradeReport): string {
  const suites: string[] = [];
  const all: JunitCase[] = [];
  for (const sub of report.submissions) {
    const groups: { name: string; exercise: string; outcome: string; score: number; maxScore: number; durationMs: number; cases: JunitCase[]; out: string[]; err: string[] }[] =
      sub.exercises.map((ex) => ({
        name: `${sub.name}/${ex.exercise}`,
        exercise: ex.exercise,
        outcome: ex.outcome,
        score: ex.points,
        maxScore: ex.maxPoints,
        durationMs: ex.durationMs,
        cases: testsFor(ex).map(junitCase),
        out: ex.output,
        err: [...(ex.error ? [`grader error ${ex.error.code}: ${ex.error.message}`, ...(ex.error.detail ? [ex.error.detail] : [])] : [])],
      }));
    if (unreadable(sub)) {
      groups.push({
        name: sub.name,
        exercise: '',
        outcome: 'error',
        score: 0,
        maxScore: sub.maxPoints,
        durationMs: sub.durationMs,
        cases: [{ name: 'read the submission', status: 'error', durationMs: sub.durationMs, points: 0, maxPoints: 0, visibility: 'visible', text: loudLines(sub).join('\n'), output: [] }],
        out: [],
        err: [],
      });
    }
    for (const g of groups) {
      all.push(...g.cases);
      const counts = junitCounts(g.cases);
      const classname = g.exercise ? `${sub.name}.${g.exercise}` : sub.name;
      const cases = g.cases.map((c) => {
        const parts = [
          xmlProperties('      ', { score: c.points, maxScore: c.maxPoints, visibility: c.visibility }),
        ];
        const message = xmlAttr(oneLine(c.text.split('\n')[0] ?? '', 500));
        if (c.status === 'fail') parts.push(`      <failure message="${message}" type="fail">${xmlText(c.text)}</failure>`);
        else if (c.status === 'timeout') parts.push(`      <failure message="${message}" type="timeout">${xmlText(c.text)}</failure>`);
        else if (c.status === 'error') parts.push(`      <error message="${message}" type="error">${xmlText(c.text)}</error>`);
        if (c.output.length > 0) parts.push(`      <system-out>${xmlText(c.output.join('\n'))}</system-out>`);
        return `    <testcase name="${xmlAttr(c.name)}" classname="${xmlAttr(classname)}" time="${seconds(c.durationMs, 3)}">\n${parts.join('\n')}\n    </testcase>`;
      });
      suites.push(
        [
          `  <testsuite name="${xmlAttr(g.name)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="0" time="${seconds(g.durationMs, 3)}" timestamp="${xmlAttr(report.gradedAt)}">`,
          xmlProperties('    ', { score: g.score, maxScore: g.maxScore, submission: sub.name, exercise: g.exercise, outcome: g.outcome }),
          ...cases,
          ...(g.out.length > 0 ? [`    <system-out>${xmlText(g.out.join('\n'))}</system-out>`] : []),
          ...(g.err.length > 0 ? [`    <system-err>${xmlText(g.err.join('\n'))}</system-err>`] : []),
          '  </testsuite>',
        ].join('\n'),
      );
    }
  }
  const counts = junitCounts(all);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="learn-io grade" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" time="${seconds(report.durationMs, 3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180), for a spreadsheet or a gradebook import.

/**
 * A text cell that a spreadsheet would not run: one starting with = + - @ (or a tab or carriage
 * return, which some programs skip before looking) gets a leading apostrophe, as OWASP advises.
 */
function csvText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Short notes on what is not an ordinary verdict: outcomes other than graded, and grader errors. */
function csvNotes(sub: SubmissionGrade): string {
  const notes: string[] = [];
  if (sub.error) notes.push(`submission: ${oneLine(sub.error.message)}`);
  for (const ex of sub.exercises) {
    if (ex.outcome !== 'graded') notes.push(`${ex.exercise}: ${ex.outcome}`);
    const error = exerciseError(ex);
    if (error) notes.push(`${ex.exercise}: grader error: ${oneLine(error.message)}`);
    else if (ex.unhandled.length > 0) notes.push(`${ex.exercise}: ${ex.unhandled.length} error(s) outside any test`);
  }
  return notes.join('; ');
}

/**
 * The batch as one table (OUT/grades.csv): a row per submission, a column per exercise. A cell is
 * empty when the exercise was not graded for that submission: not in its results, or the grader
 * failed on it (a number there would read as a verdict; the notes say why).
 */
export function gradesCsv(report: GradeReport): string {
  const ids = report.exercises.map((e) => e.id);
  // The source last: names are made unique (alice, alice-2), the source tells which alice is which.
  const rows: string[][] = [['submission', ...ids, 'total', 'max', 'status', 'notes', 'source']];
  for (const sub of report.submissions) {
    const byId = new Map(sub.exercises.map((ex) => [ex.exercise, ex]));
    const cells = ids.map((id) => {
      const ex = byId.get(id);
      return ex && ex.status !== 'error' ? fmt(ex.points) : '';
    });
    rows.push([sub.name, ...cells, fmt(sub.points), fmt(sub.maxPoints), sub.status, csvNotes(sub), sub.source]);
  }
  // Numbers stay numbers; every other cell is text and is neutralised.
  const cell = (field: string) => csvField(/^-?\d+(\.\d+)?$/.test(field) ? field : csvText(field));
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// HTML: one self-contained page for the instructor.

function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Learner output as it can be shown: colour escapes removed, other control characters drawn as
 * their Unicode pictures (␀, ␛), unpaired surrogates as U+FFFD, then HTML-escaped.
 */
function shown(text: string): string {
  const visible = text
    // eslint-disable-next-line no-control-regex
    .replace(/\x1B\[[0-?]*[ -/]*[@-~]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/\x7F/g, '\u2421')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return escapeHtml(visible);
}

type CellState = 'pass' | 'partial' | 'fail' | 'error' | 'missing' | 'timeout';

const STATE_LABEL: Record<CellState, string> = {
  pass: 'pass',
  partial: 'partial',
  fail: 'fail',
  error: 'grader error',
  missing: 'missing',
  timeout: 'timeout',
};

const STATE_MEANING: Record<CellState, string> = {
  pass: 'every test passed',
  partial: 'some points',
  fail: 'no points',
  error: 'the grader failed: not a verdict',
  missing: 'files missing or incomplete',
  timeout: "the submission's time ran out",
};

function cellState(ex: ExerciseGrade): CellState {
  if (ex.status === 'error') return 'error';
  if (ex.outcome === 'timeout') return 'timeout';
  if (ex.outcome === 'missing' || ex.outcome === 'incomplete') return 'missing';
  if (ex.status === 'pass') return 'pass';
  return ex.points > 0 ? 'partial' : 'fail';
}

const TEST_BADGE: Record<TestStatus, CellState> = { pass: 'pass', fail: 'fail', timeout: 'timeout', error: 'error' };

const HTML_STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
  --pass: #1a7f37; --pass-bg: #dafbe1; --partial: #7d4e00; --partial-bg: #fff3c4;
  --fail: #b42318; --fail-bg: #ffebe9; --error: #6e40c9; --error-bg: #f3ebff;
  --missing: #59636e; --missing-bg: #eaeef2; --timeout: #a3420b; --timeout-bg: #ffeedd; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 2rem 1.25rem 4rem; color: var(--fg); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.5rem 0 .25rem; padding-top: 1rem; border-top: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
a { color: #0a59c4; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); border: 1px solid var(--line);
  border-radius: 6px; padding: .5rem .75rem; margin: .3rem 0; max-height: 32rem; overflow: auto; }
.muted, .meta { color: var(--muted); }
.meta { margin: 0; }
.counts { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; padding: 0; margin: 1rem 0; list-style: none; }
.counts b { font-size: 1.2rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; }
thead th small { display: block; font-weight: normal; color: var(--muted); }
td.cell, td.total { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.none { text-align: center; color: var(--muted); }
.pass { color: var(--pass); background: var(--pass-bg); }
.partial { color: var(--partial); background: var(--partial-bg); }
.fail { color: var(--fail); background: var(--fail-bg); }
.error { color: var(--error); background: var(--error-bg); font-weight: 600; }
.missing { color: var(--missing); background: var(--missing-bg); }
.timeout { color: var(--timeout); background: var(--timeout-bg); }
td.pass::before { content: "\\2713\\00a0"; } td.partial::before { content: "\\25D0\\00a0"; }
td.fail::before { content: "\\2717\\00a0"; } td.error::before { content: "\\26A0\\00a0"; }
td.missing::before { content: "\\2205\\00a0"; } td.timeout::before { content: "\\23F1\\00a0"; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; margin: .5rem 0 0; list-style: none; font-size: .9rem; }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; line-height: 1.4; padding: 0 .5em;
  border: 1px solid currentColor; border-radius: 1em; vertical-align: .1em; white-space: nowrap; }
.tag { font-size: .75rem; color: var(--muted); border: 1px dashed var(--line); border-radius: 1em; padding: 0 .5em; }
.alert { color: var(--fg); background: var(--error-bg); border-left: 4px solid var(--error); padding: .6rem .9rem; margin: .6rem 0; border-radius: 0 6px 6px 0; }
.alert strong { color: var(--error); }
.notice { background: var(--missing-bg); border-left: 4px solid var(--missing); padding: .4rem .9rem; margin: .5rem 0; border-radius: 0 6px 6px 0; }
.exercise { margin-left: .25rem; }
.exercise .title { font-weight: normal; color: var(--muted); }
.pts { color: var(--muted); font-weight: normal; font-size: .9rem; white-space: nowrap; }
details { margin: .35rem 0; }
details.test { border: 1px solid var(--line); border-radius: 6px; }
details > summary { cursor: pointer; padding: .3rem .6rem; }
details.test > .body { padding: 0 .8rem .6rem; border-top: 1px solid var(--line); }
details.test[open] > summary { background: var(--soft); }
.label { margin: .5rem 0 0; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
dl.values { display: grid; grid-template-columns: max-content 1fr; gap: 0 .75rem; margin: .3rem 0; }
dl.values dt { padding-top: .6rem; color: var(--muted); }
dl.values dd { margin: 0; min-width: 0; }
pre.transcript { background: #fbfbfc; border-style: dashed; }
ul.passed { margin: .2rem 0 .4rem; padding-left: 1.5rem; color: var(--muted); }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
  pre { max-height: none; overflow: visible; }
  .submission { break-before: page; }
  details.test, .alert, tr { break-inside: avoid; }
  details::details-content { content-visibility: visible; display: block; }
  .noprint { display: none; }
}
`;

// Printing a page with closed <details> would leave the failures out: open them for the printout
// and close them again after. The page works without it (and prints closed sections without it).
const HTML_SCRIPT = `
(() => {
  let opened = [];
  addEventListener('beforeprint', () => {
    opened = [...document.querySelectorAll('details:not([open])')];
    for (const d of opened) d.open = true;
  });
  addEventListener('afterprint', () => {
    for (const d of opened) d.open = false;
    opened = [];
  });
})();
`;

function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/**
 * The batch as one self-contained HTML page (OUT/report.html): no external resource, inline CSS,
 * a few lines of inline JS that it can do without. Every value from the model is escaped; on top
 * of that, a Content-Security-Policy lets only our own style and script run (by hash) and loads
 * nothing, so a slip in escaping would still not run a learner's script.
 */
export function htmlReport(report: GradeReport): string {
  const csp = [
    "default-src 'none'",
    `style-src ${cspHash(HTML_STYLE)}`,
    `script-src ${cspHash(HTML_SCRIPT)}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const subs = report.submissions;
  const when = formatDate(report.gradedAt);
  const allPassed = subs.filter((s) => s.status === 'graded' && s.exercises.length > 0 && s.exercises.every((e) => e.status === 'pass')).length;
  const withErrors = subs.filter((s) => s.status === 'error').length;
  const judged = subs.filter((s) => s.status === 'graded');
  const maxTotal = report.exercises.reduce((n, e) => n + (e.bonus ? 0 : e.points), 0);
  const bonusTotal = report.exercises.reduce((n, e) => n + (e.bonus ? e.points : 0), 0);
  const average = judged.length > 0 ? judged.reduce((n, s) => n + s.points, 0) / judged.length : undefined;

  const head = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>learn-io grade — ${escapeHtml(when)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    `<script>${HTML_SCRIPT}</script>`,
    '</head>',
    '<body>',
  ];

  const intro = [
    '<header>',
    '<h1>Grades</h1>',
    `<p class="meta">Graded <time datetime="${escapeHtml(report.gradedAt)}">${escapeHtml(when)}</time> by learn-io ${escapeHtml(report.tool)} in ${escapeHtml(seconds(report.durationMs, 1))} s, with the suites in <code>${escapeHtml(report.suites)}</code>.${report.showHidden ? ' Hidden tests are shown in full.' : ' Hidden tests show their names only.'}</p>`,
    '<ul class="counts">',
    `<li><b>${subs.length}</b> submission${subs.length === 1 ? '' : 's'}</li>`,
    `<li><b>${report.exercises.length}</b> exercise${report.exercises.length === 1 ? '' : 's'} (${escapeHtml(fmt(maxTotal))} points${bonusTotal > 0 ? ` and ${escapeHtml(fmt(bonusTotal))} bonus` : ''})</li>`,
    `<li><b>${allPassed}</b> passed every exercise</li>`,
    `<li${withErrors > 0 ? ' class="error"' : ''}><b>${withErrors}</b> with grader errors</li>`,
    ...(average !== undefined ? [`<li>average <b>${escapeHtml(fmt(average))}</b> points (without grader errors)</li>`] : []),
    '</ul>',
    '</header>',
  ];

  const glance = [
    '<main>',
    '<h2 id="glance">The class at a glance</h2>',
    '<div class="table-wrap">',
    '<table id="class">',
    '<thead><tr><th scope="col">Submission</th>',
    ...report.exercises.map(
      (e) => `<th scope="col" title="${escapeHtml(e.title)}">${escapeHtml(e.id)}<small>${escapeHtml(fmt(e.points))} points${e.bonus ? ', bonus' : ''}</small></th>`,
    ),
    '<th scope="col">Total</th></tr></thead>',
    '<tbody>',
    ...subs.map((sub, i) => {
      const byId = new Map(sub.exercises.map((ex) => [ex.exercise, ex]));
      const cells = report.exercises.map((e) => {
        const ex = byId.get(e.id);
        if (!ex) return '<td class="none" title="not graded">—</td>';
        const state = cellState(ex);
        const title = ex.outcome !== 'graded' ? OUTCOME_TEXT[ex.outcome] : `${STATE_LABEL[state]}: ${ex.passed}/${ex.total} tests`;
        return `<td class="cell ${state}" title="${escapeHtml(title)}">${escapeHtml(fmt(ex.points))}/${escapeHtml(fmt(ex.maxPoints))}</td>`;
      });
      const totalClass = sub.status === 'error' ? 'total error' : 'total';
      return `<tr><th scope="row"><a href="#sub-${i}">${escapeHtml(sub.name)}</a></th>${cells.join('')}<td class="${totalClass}">${escapeHtml(fmt(sub.points))}/${escapeHtml(fmt(sub.maxPoints))}</td></tr>`;
    }),
    '</tbody>',
    '</table>',
    '</div>',
    '<ul class="legend">',
    ...(Object.keys(STATE_LABEL) as CellState[]).map(
      (s) => `<li><span class="badge ${s}">${escapeHtml(STATE_LABEL[s])}</span> ${escapeHtml(STATE_MEANING[s])}</li>`,
    ),
    '<li><span class="badge missing">—</span> not graded for this submission</li>',
    '</ul>',
  ];

  const sections = subs.map((sub, i) => htmlSubmission(sub, i, report));
  return [...head, ...intro, ...glance, ...sections, '</main>', '</body>', '</html>', ''].join('\n');
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  // In UTC, so that the page says the same thing wherever it is opened.
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function htmlSubmission(sub: SubmissionGrade, index: number, report: GradeReport): string {
  const titles = new Map(report.exercises.map((e) => [e.id, e.title]));
  const status = sub.status === 'error' ? '<span class="badge error">grader error</span>' : '';
  const parts = [
    `<section class="submission" id="sub-${index}">`,
    `<h2>${escapeHtml(sub.name)} ${status}</h2>`,
    `<p class="meta"><b>${escapeHtml(fmt(sub.points))}/${escapeHtml(fmt(sub.maxPoints))} points</b> · from <code>${escapeHtml(sub.source)}</code> · ${escapeHtml(seconds(sub.durationMs, 1))} s · <a class="noprint" href="#class">back to the class</a></p>`,
  ];
  for (const line of loudLines(sub)) {
    parts.push(`<p class="alert" role="alert"><strong>${LOUD}</strong>${escapeHtml(line.slice(LOUD.length))}</p>`);
  }
  if (sub.exercises.length === 0) parts.push('<p class="muted">No exercise was graded.</p>');
  sub.exercises.forEach((ex, j) => parts.push(htmlExercise(ex, `sub-${index}-${j}`, titles.get(ex.exercise))));
  parts.push('</section>');
  return parts.join('\n');
}

function htmlExercise(ex: ExerciseGrade, id: string, title: string | undefined): string {
  const state = cellState(ex);
  const parts = [
    `<div class="exercise" id="${id}">`,
    `<h3><span class="badge ${state}">${escapeHtml(STATE_LABEL[state])}</span> ${escapeHtml(ex.exercise)}${title ? ` <span class="title">${escapeHtml(title)}</span>` : ''} <span class="pts">${escapeHtml(fmt(ex.points))}/${escapeHtml(fmt(ex.maxPoints))} points · ${ex.passed}/${ex.total} tests</span></h3>`,
  ];
  if (ex.outcome !== 'graded') {
    const found = Object.values(ex.found);
    parts.push(`<p class="notice">${escapeHtml(OUTCOME_TEXT[ex.outcome])}.${found.length > 0 ? ` Found: ${found.map((f) => `<code>${escapeHtml(f)}</code>`).join(', ')}.` : ''}</p>`);
  }
  if (ex.error) {
    parts.push(
      `<div class="alert" role="alert"><strong>The grader failed</strong> (${escapeHtml(ex.error.code)}): ${escapeHtml(ex.error.message)}. This is not a verdict on the learner's code.${ex.error.detail ? `<pre>${shown(ex.error.detail)}</pre>` : ''}</div>`,
    );
  }
  if (ex.unhandled.length > 0) {
    parts.push('<p class="label">Errors outside any test</p>');
    for (const e of ex.unhandled) {
      const at = e.location ? `\nat ${e.location.file}:${e.location.line}:${e.location.column}` : '';
      parts.push(`<pre class="message">${shown(e.message + at)}</pre>`);
    }
  }
  const failing = ex.tests.filter((t) => t.status !== 'pass');
  const passing = ex.tests.filter((t) => t.status === 'pass');
  failing.forEach((t) => parts.push(htmlTest(t)));
  if (passing.length > 0) {
    parts.push(
      `<details class="passed"><summary>${passing.length} test${passing.length === 1 ? '' : 's'} passed</summary><ul class="passed">${passing.map((t) => `<li>${shown(t.name)}${t.visibility === 'hidden' ? ' <span class="tag">hidden</span>' : ''}</li>`).join('')}</ul></details>`,
    );
  }
  if (ex.output.length > 0) {
    parts.push(`<details class="output"><summary>Output outside any test (${ex.output.length} line${ex.output.length === 1 ? '' : 's'})</summary><pre class="transcript">${shown(ex.output.join('\n'))}</pre></details>`);
  }
  parts.push('</div>');
  return parts.join('\n');
}

function htmlTest(t: TestResult): string {
  const badge = TEST_BADGE[t.status];
  const body: string[] = [];
  if (t.message) body.push(`<pre class="message">${shown(t.message)}</pre>`);
  if (t.expected !== undefined || t.actual !== undefined) {
    body.push('<dl class="values">');
    if (t.expected !== undefined) body.push(`<dt>expected</dt><dd><pre class="expected">${shown(t.expected)}</pre></dd>`);
    if (t.actual !== undefined) body.push(`<dt>actual</dt><dd><pre class="actual">${shown(t.actual)}</pre></dd>`);
    body.push('</dl>');
  }
  if (t.location) body.push(`<p class="location">at <code>${shown(`${t.location.file}:${t.location.line}:${t.location.column}`)}</code></p>`);
  if (t.output.length > 0) body.push('<p class="label">Output</p>', `<pre class="transcript">${shown(t.output.join('\n'))}</pre>`);
  if (body.length === 0) body.push(`<p class="muted">${t.visibility === 'hidden' ? 'A hidden test: its details are not shown.' : 'No details.'}</p>`);
  return [
    `<details class="test ${badge}-test">`,
    `<summary><span class="badge ${badge}">${escapeHtml(t.status)}</span> <span class="name">${shown(t.name)}</span> <span class="pts">${escapeHtml(fmt(t.points))}/${escapeHtml(fmt(t.maxPoints))}</span>${t.visibility === 'hidden' ? ' <span class="tag">hidden</span>' : ''}</summary>`,
    `<div class="body">${body.join('\n')}</div>`,
    '</details>',
  ].join('\n');
}
