// @ts-check
// The grader's child process: runs one hidden suite with Vitest's node API and streams what happens
// as JSON lines on file descriptor 3, a channel of its own (learner code in the test workers cannot
// write to it: their fd 3 is Vitest's IPC, and their stdout/stderr go elsewhere).
//
// It is started by run-suite.ts in a process group of its own, which is killed when a test hangs;
// this file therefore keeps no state worth saving and never waits on the learner.
//
// Plain JavaScript on purpose: under tsx's loader, importing Vitest took 700 ms instead of 160 ms.
//
//   node runner.mjs '<RunnerRequest as JSON>'    (then a key, one line, on stdin)
//
// Each event line carries an HMAC of its JSON made with a key that only the parent and this process
// know (it comes on stdin, before any learner code runs): a learner's process of the same user could
// open this pipe through /proc and write lines that look like verdicts, and the parent drops those.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** @typedef {import('./protocol.ts').RunnerEvent} RunnerEvent */
/** @typedef {import('./protocol.ts').RunnerRequest} RunnerRequest */
/** @typedef {import('./protocol.ts').WireError} WireError */

/** @type {RunnerRequest} */
const request = JSON.parse(process.argv[2] ?? '{}');

/** The line-signing key: the first line on stdin. */
const key = await new Promise((resolve) => {
  let buffered = '';
  /** @param {string} chunk */
  const onData = (chunk) => {
    buffered += chunk;
    const end = buffered.indexOf('\n');
    if (end < 0) return;
    process.stdin.off('data', onData);
    resolve(buffered.slice(0, end));
  };
  process.stdin.setEncoding('utf8').on('data', onData);
  // No key, no run: the parent died before it could send one.
  process.stdin.once('end', () => resolve(''));
});
if (!key) process.exit(1);

/** @param {RunnerEvent} event */
function emit(event) {
  const json = JSON.stringify(event);
  fs.writeSync(3, `${createHmac('sha256', key).update(json).digest('base64url')} ${json}\n`);
}

// Integrity: the grading files (suites, setup, harness) must be what the grader copied. The config's
// plugin (grader/vitest.config.ts) asks here, in this process, which learner code cannot reach.
/** @type {Record<string, string>} */
const digests = request.digests ?? {};
/** @type {Set<string>} */
const tampered = new Set();
Object.defineProperty(globalThis, '__learnIoIntegrity', {
  value: Object.freeze({
    /** @param {string} file @returns {string | undefined} */
    expected: (file) => digests[file],
    /** @param {string} file */
    tampered: (file) => {
      if (tampered.has(file)) return;
      tampered.add(file);
      emit({ type: 'tampered', file });
    },
  }),
});

/**
 * @param {{ message?: unknown, name?: unknown, stack?: unknown, stacks?: unknown, expected?: unknown, actual?: unknown, diff?: unknown, id?: unknown, loc?: unknown, __vitest_rollup_error__?: unknown }} error
 * @returns {WireError}
 */
function wire(error) {
  const str = (/** @type {unknown} */ v) => (typeof v === 'string' ? v : undefined);
  const stacks = Array.isArray(error.stacks)
    ? error.stacks.map(({ file, line, column }) => ({ file, line, column }))
    : [];
  // Unhandled errors come with the stack as text only.
  if (stacks.length === 0 && typeof error.stack === 'string') {
    for (const [, file, line, column] of error.stack.matchAll(/(?:file:\/\/)?(\/[^\s():]+):(\d+):(\d+)/g)) {
      stacks.push({ file: String(file), line: Number(line), column: Number(column) });
    }
  }
  // Vite's transform errors (a learner file that does not parse) name the file in `id` and `loc`;
  // their message shows a path relative to the package root, and colours we do not want.
  // Vitest keeps the file in __vitest_rollup_error__.id; the line is only in the message.
  const message = (str(error.message) ?? String(error.message)).replace(/\x1b\[[0-9;]*m/g, '');
  const rollup = /** @type {{ id?: unknown } | undefined} */ (error.__vitest_rollup_error__);
  const loc = /** @type {{ file?: unknown, line?: unknown, column?: unknown } | undefined} */ (error.loc);
  const file = str(error.id) ?? str(rollup?.id) ?? str(loc?.file);
  if (file) {
    const at = /\[ (\S+):(\d+):(\d+) \]/.exec(message);
    const line = typeof loc?.line === 'number' ? loc.line : at ? Number(at[2]) : undefined;
    const column = typeof loc?.column === 'number' ? loc.column + 1 : at ? Number(at[3]) : 1;
    if (line !== undefined) stacks.unshift({ file, line, column });
  }
  return {
    name: str(error.name) ?? 'Error',
    message,
    ...(file ? { file } : {}),
    stack: str(error.stack),
    stacks,
    expected: str(error.expected),
    actual: str(error.actual),
    diff: str(error.diff),
  };
}

/** @type {import('vitest/node').Reporter} */
const reporter = {
  onTestModuleCollected(module) {
    const tests = [...module.children.allTests()].map((test) => ({ id: test.id, name: test.fullName, file: module.moduleId }));
    emit({ type: 'collected', file: module.moduleId, tests });
  },
  onTestCaseResult(test) {
    const result = test.result();
    emit({
      type: 'test-end',
      id: test.id,
      name: test.fullName,
      state: result.state,
      durationMs: test.diagnostic()?.duration ?? 0,
      errors: (result.errors ?? []).map(wire),
    });
  },
  onUserConsoleLog(log) {
    emit({ type: 'log', taskId: log.taskId, stream: log.type, content: log.content });
  },
  onTestModuleEnd(module) {
    emit({ type: 'module-end', file: module.moduleId, state: module.state(), errors: module.errors().map(wire) });
  },
  onTestRunEnd(_modules, unhandledErrors) {
    emit({ type: 'run-end', errors: unhandledErrors.map(wire) });
  },
};

// When the grader that started us dies, however it dies, our stdin closes: end the whole group
// (we lead it), so a learner's endless loop never outlives the command that ran it.
process.stdin.on('end', endGroup).on('error', endGroup).resume();
function endGroup() {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.exit(1);
  }
}

async function main() {
  // grader/vitest.config.ts reads the target from here, so the suite imports the right files;
  // grader/setup.ts imports the files themselves first.
  process.env.LEARN_IO_TARGET = request.targetDir;
  process.env.LEARN_IO_TARGET_FILES = request.targetFiles.join(path.delimiter);
  process.env.LEARN_IO_TEST_TIMEOUT_MS = String(request.testTimeoutMs);
  const { createVitest } = await import('vitest/node');
  const vitest = await createVitest(
    'test',
    {
      config: path.join(request.packageRoot, 'grader', 'vitest.config.ts'),
      root: request.packageRoot,
      watch: false,
      reporters: [reporter],
      testTimeout: request.testTimeoutMs,
      includeTaskLocation: true,
    },
    { server: { watch: null }, logLevel: 'silent' },
  );
  emit({ type: 'ready' });
  try {
    // Vitest filters by path prefix: without the separator, grader/suites/thread-pool would also match
    // grader/suites/thread-pool-ftp.
    const all = await vitest.globTestSpecifications([request.suiteDir.endsWith(path.sep) ? request.suiteDir : request.suiteDir + path.sep]);
    if (all.length === 0) throw new Error(`no test files under ${request.suiteDir}`);
    const only = request.onlyIds;
    const specs = only ? all.map((spec) => spec.project.createSpecification(spec.moduleId, { testIds: only })) : all;
    await vitest.runTestSpecifications(specs, true);
  } finally {
    await vitest.close();
  }
}

main().then(
  () => process.exit(0),
  (/** @type {unknown} */ error) => {
    emit({ type: 'fatal', error: wire(error instanceof Error ? error : { message: String(error) }) });
    process.exit(3);
  },
);
