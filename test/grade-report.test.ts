// The report emitters of `learn-io grade` on a synthetic batch: a full pass, a partial submission
// with hostile output (script tags, XML-illegal characters, commas, quotes, a name starting with
// "="), a submission the grader failed on, and one that could not be read at all. Each format is
// read back the way its consumer reads it; the HTML page is opened in a real headless browser.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExerciseGrade, GradeReport, SubmissionGrade } from '../src/grade/model.ts';
import { summarize, type SuiteResult, type TestResult } from '../src/grader/model.ts';
import { githubRunner, REPORT_FORMATS, writeReports } from '../src/grade/report/index.ts';

// ---------------------------------------------------------------------------------------------
// The batch

function test(name: string, status: TestResult['status'], maxPoints: number, extra: Partial<TestResult> = {}): TestResult {
  return {
    id: name,
    name,
    status,
    durationMs: 120,
    points: status === 'pass' ? maxPoints : 0,
    maxPoints,
    visibility: 'visible',
    output: [],
    ...extra,
  };
}

function exercise(
  id: string,
  tests: TestResult[],
  extra: { outcome?: ExerciseGrade['outcome']; error?: SuiteResult['error']; unhandled?: SuiteResult['unhandled']; output?: string[] } = {},
): ExerciseGrade {
  const suite = summarize(id, `/batch/x/${id}`, tests, 1500, extra.output ?? [], extra.unhandled ?? [], extra.error);
  return { ...suite, outcome: extra.outcome ?? 'graded', found: { 'server.ts': `${id}/server.ts` } };
}

function submission(name: string, exercises: ExerciseGrade[], extra: Partial<SubmissionGrade> = {}): SubmissionGrade {
  const sum = (pick: (e: ExerciseGrade) => number) => Math.round(exercises.reduce((n, e) => n + pick(e), 0) * 100) / 100;
  return {
    name,
    source: `/batch/${name}`,
    status: exercises.some((e) => e.status === 'error') ? 'error' : 'graded',
    exercises,
    points: sum((e) => e.points),
    maxPoints: 110,
    durationMs: 4200,
    ...extra,
  };
}

const HOSTILE_MESSAGE = 'expected "a,b" to equal "a, b" <script>window.pwned=1</script>';
const HOSTILE_OUTPUT = [
  '<img src=x onerror="window.pwned=2">',
  'bell\x07 nul\x00 esc\x1b[31mred\x1b[0m lone\uD800 ]]> & done',
  '=SUM(A1:A2), "quoted"',
];
const BOB = '=HYPERLINK("http://x","bob, jr")';
const CAROL_ERROR = 'Vitest did not start within 60 s (tried "twice", then gave up)';

const alice = submission('alice', [
  exercise('select-server', ['accepts', 'echoes', 'slow client', 'many'].map((n) => test(`select-server > ${n}`, 'pass', 25))),
  exercise('hub', [test('hub > joins', 'pass', 5), test('hub > broadcasts', 'pass', 5)]),
]);

const bob = submission(BOB, [
  exercise('select-server', [
    test('select-server > accepts a client', 'pass', 25),
    test('select-server > echoes "quoted", lines', 'fail', 25, {
      message: HOSTILE_MESSAGE,
      expected: 'a, b',
      actual: 'a,b',
      location: { file: '/batch/bob/select-server/server.ts', line: 12, column: 5 },
      output: HOSTILE_OUTPUT,
    }),
    test('select-server > survives a slow client', 'timeout', 25, {
      message: 'did not finish within 1000 ms: it was stopped after 1180 ms (a loop that never yields?)',
      durationMs: 1180,
      // Far more than Gradescope's 10,000 characters and GitHub's 2,000.
      output: Array.from({ length: 30 }, (_, i) => `line ${i} ${'x'.repeat(500)}`),
    }),
    test('select-server > [hidden] handles 1000 clients', 'fail', 25, { visibility: 'hidden' }),
  ]),
  exercise('hub', [test('hub > joins', 'pass', 3.33), test('hub > leaves', 'pass', 3.33), test('hub > broadcasts', 'fail', 3.34, { message: 'hub lost a message' })], {
    unhandled: [{ message: 'Unhandled rejection: boom', location: { file: '/batch/bob/hub/hub.ts', line: 3, column: 1 } }],
    output: ['top-level log'],
  }),
]);

const carol = submission('carol', [
  exercise(
    'select-server',
    [
      test('select-server > accepts a client', 'pass', 25),
      ...['echoes', 'slow client', 'many'].map((n) => test(`select-server > ${n}`, 'error', 25, { message: 'not run: the grader stopped before reaching it' })),
    ],
    { error: { code: 'GRADER_FAILED', message: CAROL_ERROR, detail: 'spawn vitest ETIMEDOUT' } },
  ),
  { ...exercise('hub', [], { outcome: 'missing' }), found: {}, maxPoints: 10 },
]);

const dave = submission('dave', [], { status: 'error', error: { code: 'BAD_ARCHIVE', message: 'dave.zip: unexpected end of archive' }, points: 0 });

const report: GradeReport = {
  format: 'learn-io-grade',
  version: 1,
  tool: '0.1.0',
  gradedAt: '2025-03-01T09:30:00.000Z',
  suites: '/course/suites',
  exercises: [
    { id: 'select-server', title: 'A select() server', points: 100, bonus: false },
    { id: 'hub', title: 'A chat hub', points: 10, bonus: false },
  ],
  showHidden: false,
  submissions: [alice, bob, carol, dave],
  durationMs: 18_000,
};

// ---------------------------------------------------------------------------------------------

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-grade-report-'));
let written: string[] = [];
const BOB_FILE = '=HYPERLINK(_http___x_,_bob, jr_)';

beforeAll(() => {
  written = writeReports(report, REPORT_FORMATS, outDir);
});
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

const read = (file: string) => fs.readFileSync(path.join(outDir, file), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const readJson = (file: string): any => JSON.parse(read(file));

describe('writeReports', () => {
  it('writes every format, in order, and returns the absolute paths', () => {
    expect(written.every((f) => path.isAbsolute(f))).toBe(true);
    expect(written.map((f) => path.relative(outDir, f).split(path.sep).join('/'))).toEqual([
      'grade.json',
      'gradescope/alice.json',
      `gradescope/${BOB_FILE}.json`,
      'gradescope/carol.json',
      'gradescope/dave.json',
      'github/alice/select-server.json',
      'github/alice/hub.json',
      `github/${BOB_FILE}/select-server.json`,
      `github/${BOB_FILE}/hub.json`,
      'github/carol/select-server.json',
      'github/carol/hub.json',
      'github/dave/_submission.json',
      'junit.xml',
      'grades.csv',
      'report.html',
    ]);
    expect(JSON.parse(read('grade.json'))).toEqual(report);
    expect(read('grade.json')).toContain('\n  "format": "learn-io-grade"');
  });

  it('writes results.json and github/<exercise>.json when there is one submission', () => {
    const dir = path.join(outDir, 'single');
    const files = writeReports({ ...report, submissions: [alice] }, ['gradescope', 'github', 'gradescope'], dir);
    expect(files).toEqual(['results.json', 'github/select-server.json', 'github/hub.json'].map((f) => path.join(dir, f)));
    expect(JSON.parse(fs.readFileSync(files[0]!, 'utf8')).score).toBe(110);
  });
});

describe('gradescope', () => {
  it('scores each submission with one entry per test, carrying visibility and our status', () => {
    const a = readJson('gradescope/alice.json');
    expect([a.score, a.execution_time, a.output_format, a.visibility, a.stdout_visibility]).toEqual([110, 4, 'text', 'visible', 'hidden']);
    expect(a.tests).toHaveLength(6);
    expect(a.tests.reduce((n: number, t: { score: number }) => n + t.score, 0)).toBe(110);
    expect(a.output).toBe('select-server: 4/4 tests, 100/100 points\nhub: 2/2 tests, 10/10 points\n\ntotal: 110/110 points');
    expect(a.extra_data).toEqual({ learnIo: { status: 'graded', errors: [] } });

    const b = readJson(`gradescope/${BOB_FILE}.json`);
    expect(b.score).toBe(31.66);
    expect(b.tests.map((t: { number: string }) => t.number)).toEqual(['1.1', '1.2', '1.3', '1.4', '2.1', '2.2', '2.3', '2.4']);
    expect(b.tests.map((t: { status: string }) => t.status)).toEqual(['passed', 'failed', 'failed', 'failed', 'passed', 'passed', 'failed', 'failed']);
    expect(b.tests.map((t: { extra_data: { status: string } }) => t.extra_data.status)).toEqual(['pass', 'fail', 'timeout', 'fail', 'pass', 'pass', 'fail', 'fail']);
    expect(b.tests.map((t: { visibility: string }) => t.visibility)).toEqual(['visible', 'visible', 'visible', 'hidden', 'visible', 'visible', 'visible', 'visible']);
    expect(b.tests.reduce((n: number, t: { score: number }) => n + t.score, 0)).toBeCloseTo(31.66, 10);
    expect(b.tests.reduce((n: number, t: { max_score: number }) => n + t.max_score, 0)).toBeCloseTo(110, 10);
    const failed = b.tests[1];
    expect(failed.name).toBe('select-server › select-server > echoes "quoted", lines');
    expect(failed.output).toBe([HOSTILE_MESSAGE, 'expected: a, b', 'actual: a,b', 'at /batch/bob/select-server/server.ts:12:5', 'output:', ...HOSTILE_OUTPUT].join('\n'));
    expect(b.tests[2].output.length).toBeLessThanOrEqual(10_000);
    expect(b.tests[2].output).toMatch(/\[cut: \d+ more characters\]$/);
    expect(b.tests[3].output).toBe('(hidden test: its details are not shown)');
    expect(b.tests[7]).toMatchObject({ name: 'hub › errors outside any test', score: 0, max_score: 0, status: 'failed' });
    expect(b.output.split('\n').slice(0, 3)).toEqual([
      'select-server: 1/4 tests, 25/100 points',
      'hub: 2/3 tests, 6.66/10 points',
      '  error outside any test: Unhandled rejection: boom',
    ]);
  });

  it('opens with a loud line when the grader failed, and marks its tests', () => {
    const c = readJson('gradescope/carol.json');
    expect(c.output.split('\n')[0]).toBe(
      `THE GRADER FAILED on select-server: ${CAROL_ERROR} — this is not a verdict on your code; your score is incomplete. Tell your instructor.`,
    );
    expect(c.score).toBe(25);
    expect(c.tests.map((t: { name: string }) => t.name)).toEqual([
      'select-server › select-server > accepts a client',
      '[grader error] select-server › select-server > echoes',
      '[grader error] select-server › select-server > slow client',
      '[grader error] select-server › select-server > many',
      'hub › exercise files missing',
    ]);
    expect(c.tests[4]).toMatchObject({ score: 0, max_score: 10, status: 'failed', output: 'not graded: none of its files are in the submission' });
    expect(c.extra_data.learnIo).toEqual({ status: 'error', errors: [{ exercise: 'select-server', code: 'GRADER_FAILED', message: CAROL_ERROR }] });

    const d = readJson('gradescope/dave.json');
    expect(d.output).toMatch(/^THE GRADER FAILED on this submission: dave\.zip: unexpected end of archive — this is not a verdict/);
    expect([d.score, d.tests]).toEqual([0, []]);
    expect(d.extra_data.learnIo).toEqual({ status: 'error', errors: [{ code: 'BAD_ARCHIVE', message: 'dave.zip: unexpected end of archive' }] });
  });
});

describe('github', () => {
  it('writes one runner per exercise in the reporter shape', () => {
    const sumScores = (r: { tests: { score: number }[] }) => r.tests.reduce((n, t) => n + t.score, 0);
    const a = readJson('github/alice/select-server.json');
    expect([a.version, a.status, a.max_score, sumScores(a)]).toEqual([1, 'pass', 100, 100]);
    expect(a.tests[0]).toEqual({ name: 'select-server > accepts', status: 'pass', message: '', execution_time: '0.12s', score: 25 });

    const b = readJson(`github/${BOB_FILE}/select-server.json`);
    expect([b.status, b.max_score, sumScores(b)]).toEqual(['fail', 100, 25]);
    expect(b.tests.map((t: { status: string }) => t.status)).toEqual(['pass', 'fail', 'fail', 'fail']);
    expect(b.tests[1]).toMatchObject({ line_no: 12, filename: '/batch/bob/select-server/server.ts', execution_time: '0.12s' });
    expect(b.tests[1].message.startsWith(HOSTILE_MESSAGE)).toBe(true);
    expect(b.tests[2].execution_time).toBe('1.18s');
    expect(b.tests[2].message.length).toBeLessThanOrEqual(2_000);
    for (const t of b.tests) expect(Object.keys(t).sort()).toEqual(expect.arrayContaining(['execution_time', 'message', 'name', 'score', 'status']));

    const bHub = readJson(`github/${BOB_FILE}/hub.json`);
    // Scores in 1/128ths, so that the reporter's float sums are exact: 6.66 points as 6.65625.
    expect([bHub.status, bHub.max_score, sumScores(bHub), bHub.tests.at(-1).name]).toEqual(['fail', 10, 6.65625, 'errors outside any test']);

    const c = readJson('github/carol/select-server.json');
    expect(c.status).toBe('error');
    expect(c.tests.map((t: { status: string; name: string }) => [t.status, t.name.startsWith('[grader error] ')])).toEqual([
      ['pass', false],
      ['error', true],
      ['error', true],
      ['error', true],
    ]);
    const cHub = readJson('github/carol/hub.json');
    expect([cHub.status, cHub.max_score, cHub.tests.length, cHub.tests[0].status]).toEqual(['fail', 10, 1, 'fail']);

    const d = readJson('github/dave/_submission.json');
    expect([d.status, d.max_score, d.tests[0].status]).toEqual(['error', 0, 'error']);
    expect(d.tests[0].message).toMatch(/^THE GRADER FAILED on this submission/);
  });
});

describe('junit', () => {
  it('counts tests, failures and errors per suite and in all, and holds no XML-illegal character', () => {
    const xml = read('junit.xml');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="learn-io grade" tests="20" failures="6" errors="4" time="18.000">')).toBe(true);
    const suites = [...xml.matchAll(/<testsuite name="([^"]*)" tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="0"/g)].map((m) => m.slice(1));
    expect(suites).toEqual([
      ['alice/select-server', '4', '0', '0'],
      ['alice/hub', '2', '0', '0'],
      ['=HYPERLINK(&quot;http://x&quot;,&quot;bob, jr&quot;)/select-server', '4', '3', '0'],
      ['=HYPERLINK(&quot;http://x&quot;,&quot;bob, jr&quot;)/hub', '4', '2', '0'],
      ['carol/select-server', '4', '0', '3'],
      ['carol/hub', '1', '1', '0'],
      ['dave', '1', '0', '1'],
    ]);
    expect(xml.match(/<testcase /g)).toHaveLength(20);
    expect(xml).toContain('<failure message="did not finish within 1000 ms: it was stopped after 1180 ms (a loop that never yields?)" type="timeout">');
    expect(xml).toContain('<property name="outcome" value="missing"/>');
    expect(xml).toContain('<property name="visibility" value="hidden"/>');
    expect(xml).toContain('&lt;script&gt;window.pwned=1&lt;/script&gt;');
    expect(xml).toContain('bell nul esc[31mred[0m lone ]]&gt; &amp; done');
    // eslint-disable-next-line no-control-regex
    expect(xml).not.toMatch(/[\x00-\x08\x0B\x0C\x0E-\x1F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });
});

/** A small RFC 4180 reader: records end with CRLF, quoted fields may hold commas, quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"' && field === '') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') (field += '"'), (i += 2);
          else break;
        } else field += text[i++];
      }
      i++;
      if (i < text.length && text[i] !== ',' && text[i] !== '\r') throw new Error(`text after a quoted field at ${i}`);
    } else if (text[i] === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (text[i] === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`a bare CR at ${i}`);
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (text[i] === '\n' || text[i] === '"') {
      throw new Error(`a bare ${JSON.stringify(text[i])} at ${i}`);
    } else field += text[i++];
  }
  if (field !== '' || row.length > 0) throw new Error('the last record does not end with CRLF');
  return rows;
}

describe('csv', () => {
  it('has a row per submission, a column per exercise, quoted and neutralised text', () => {
    const rows = parseCsv(read('grades.csv'));
    expect(rows).toEqual([
      ['submission', 'select-server', 'hub', 'total', 'max', 'status', 'notes', 'source'],
      ['alice', '100', '10', '110', '110', 'graded', '', '/batch/alice'],
      [`'${BOB}`, '25', '6.66', '31.66', '110', 'graded', 'hub: 1 error(s) outside any test', `/batch/${BOB}`],
      ['carol', '', '0', '25', '110', 'error', `select-server: grader error: ${CAROL_ERROR}; hub: missing`, '/batch/carol'],
      ['dave', '', '', '0', '110', 'error', 'submission: dave.zip: unexpected end of archive', '/batch/dave'],
    ]);
  });
});

describe('html (text)', () => {
  it('escapes what comes from the model and loads nothing from outside', () => {
    const html = read('report.html');
    expect(html).not.toContain('<script>window.pwned');
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;script&#62;window.pwned=1&#60;/script&#62;');
    expect(html).not.toMatch(/\b(?:src|href)="(?!#)/);
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});

const CHROMIUM = '/usr/bin/chromium';

// The browser's globals as the page functions below use them: the project compiles without the
// DOM library (it is Node code), so they are named here and reached through globalThis.
interface XmlElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
}
interface BrowserWindow {
  pwned?: unknown;
  document: { querySelectorAll(selector: string): { length: number }; querySelector(selector: string): unknown };
  dispatchEvent(event: Event): boolean;
  getComputedStyle(element: unknown): { backgroundColor: string };
  DOMParser: new () => {
    parseFromString(text: string, type: string): {
      documentElement: XmlElement;
      getElementsByTagName(name: string): { length: number; [index: number]: XmlElement };
      querySelector(selector: string): XmlElement | null;
    };
  };
}

const hasChromium = fs.existsSync(CHROMIUM);

describe.skipIf(!hasChromium)(hasChromium ? 'html in a headless browser' : `html in a headless browser: skipped, ${CHROMIUM} not found`, () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    // A console error here would be a CSP violation (our own style or script refused) or a
    // script error: either means the page is not what we meant.
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    page.on('pageerror', (e) => void problems.push(e.message));
    page.on('request', (r) => void (r.url().startsWith('file:') || problems.push(`request: ${r.url()}`)));
    // Once, in a loaded CI run, Chromium answered ERR_FILE_NOT_FOUND for this file: say whether it was
    // really gone, and give a busy browser one more try before failing.
    const file = path.join(outDir, 'report.html');
    expect(fs.existsSync(file), `${file} exists before the browser opens it`).toBe(true);
    await page.goto(pathToFileURL(file).href).catch(async (error: Error) => {
      if (!/ERR_FILE_NOT_FOUND/.test(error.message)) throw error;
      await new Promise((r) => setTimeout(r, 1000));
      await page.goto(pathToFileURL(file).href);
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the class at a glance: a row per submission, "points/max" cells with their state', async () => {
    const rows = await page.$$eval('#class tbody tr', (trs) =>
      trs.map((tr) => ({
        name: tr.querySelector('th')!.textContent,
        href: tr.querySelector('th a')!.getAttribute('href'),
        cells: [...tr.querySelectorAll('td')].map((td) => [td.textContent, td.className]),
      })),
    );
    expect(rows).toEqual([
      { name: 'alice', href: '#sub-0', cells: [['100/100', 'cell pass'], ['10/10', 'cell pass'], ['110/110', 'total']] },
      { name: BOB, href: '#sub-1', cells: [['25/100', 'cell partial'], ['6.66/10', 'cell partial'], ['31.66/110', 'total']] },
      { name: 'carol', href: '#sub-2', cells: [['25/100', 'cell error'], ['0/10', 'cell missing'], ['25/110', 'total error']] },
      { name: 'dave', href: '#sub-3', cells: [['—', 'none'], ['—', 'none'], ['0/110', 'total error']] },
    ]);
    for (let i = 0; i < 4; i++) expect(await page.locator(`section#sub-${i}`).count()).toBe(1);
    // The inline style is applied (its CSP hash matched): a passed cell is coloured.
    const background = await page.$eval('#class td.pass', (td) => (globalThis as unknown as BrowserWindow).getComputedStyle(td).backgroundColor);
    expect(background).not.toBe('rgba(0, 0, 0, 0)');
  });

  it('opens a failing test on click, showing its message as text, and runs no learner script', async () => {
    const failing = page.locator('#sub-1 details.test').first();
    expect(await failing.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
    const message = failing.locator('pre.message');
    expect(await message.isVisible()).toBe(false);
    await failing.locator('summary').click();
    expect(await failing.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(true);
    expect(await message.isVisible()).toBe(true);
    expect(await message.textContent()).toBe(HOSTILE_MESSAGE);
    const transcript = await failing.locator('pre.transcript').textContent();
    expect(transcript).toBe(['<img src=x onerror="window.pwned=2">', 'bell\u2407 nul\u2400 escred lone\uFFFD ]]> & done', '=SUM(A1:A2), "quoted"'].join('\n'));
    expect(await page.locator('#sub-1 details.test').count()).toBe(4);
    expect(await page.locator('#sub-1 details.passed').count()).toBe(2);

    expect(await page.evaluate(() => (globalThis as unknown as BrowserWindow).pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    // Our own script did run: it opens every section for printing.
    const closedBeforePrint = await page.evaluate(() => {
      const w = globalThis as unknown as BrowserWindow;
      w.dispatchEvent(new Event('beforeprint'));
      return w.document.querySelectorAll('details:not([open])').length;
    });
    expect(closedBeforePrint).toBe(0);
    await page.evaluate(() => (globalThis as unknown as BrowserWindow).dispatchEvent(new Event('afterprint')));
    expect(problems).toEqual([]);
  });

  it('produces well-formed JUnit XML (DOMParser finds no error)', async () => {
    const xml = read('junit.xml');
    const parsed = await page.evaluate((text) => {
      const doc = new (globalThis as unknown as BrowserWindow).DOMParser().parseFromString(text, 'application/xml');
      const root = doc.documentElement;
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        tests: root.getAttribute('tests'),
        cases: doc.getElementsByTagName('testcase').length,
        suites: doc.getElementsByTagName('testsuite').length,
        bobSuite: doc.getElementsByTagName('testsuite')[2]!.getAttribute('name'),
        failure: doc.querySelector('testcase failure')!.textContent,
      };
    }, xml);
    expect(parsed).toEqual({
      errors: 0,
      tests: '20',
      cases: 20,
      suites: 7,
      bobSuite: `${BOB}/select-server`,
      failure: [HOSTILE_MESSAGE, 'expected: a, b', 'actual: a,b', 'at /batch/bob/select-server/server.ts:12:5'].join('\n'),
    });
  });
});

describe('github scores', () => {
  it('add up exactly in floating point: 67 passing shares of 100 are 100, not 99.99999999999993', () => {
    const n = 67;
    const round2 = (x: number) => Math.round(x * 100) / 100;
    const tests: TestResult[] = Array.from({ length: n }, (_, i) => {
      const maxPoints = round2((100 * (i + 1)) / n - round2((100 * i) / n));
      return { id: `t${i}`, name: `t${i}`, status: 'pass', durationMs: 1, points: maxPoints, maxPoints, visibility: 'visible', output: [] };
    });
    expect(tests.reduce((sum, t) => sum + t.points, 0)).not.toBe(100); // the float noise this guards against
    const exercise = { exercise: 'x', target: '/x', status: 'pass', tests, passed: n, total: n, points: 100, maxPoints: 100, durationMs: 1, output: [], unhandled: [], outcome: 'graded', found: {} } as ExerciseGrade;
    const runner = githubRunner(exercise);
    expect(runner.tests.reduce((sum, t) => sum + t.score, 0)).toBe(100);
    tests[3]!.status = 'fail';
    const partial = githubRunner(exercise).tests.reduce((sum, t) => sum + t.score, 0);
    expect(Math.abs(partial - (100 - tests[3]!.maxPoints))).toBeLessThan(1 / 64);
  });
});
