// The grader's child process: runs one hidden suite with Vitest's node API and streams what happens
// as JSON lines on file descriptor 3, a channel of its own (learner code in the test workers cannot
// write to it: their fd 3 is Vitest's IPC, and their stdout/stderr go elsewhere).
//
// It is started by run-suite.ts in a process group of its own, which is killed when a test hangs;
// this file therefore keeps no state worth saving and never waits on the learner.
//
//   node --import tsx/esm runner.ts '<RunnerRequest as JSON>'
import fs from 'node:fs';
import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { RunnerEvent, RunnerRequest, WireError } from './protocol.ts';

const request = JSON.parse(process.argv[2] ?? '{}') as RunnerRequest;

function emit(event: RunnerEvent): void {
  fs.writeSync(3, `${JSON.stringify(event)}\n`);
}

function wire(error: { message?: unknown; name?: unknown; stack?: unknown; stacks?: unknown; expected?: unknown; actual?: unknown; diff?: unknown }): WireError {
  const stacks = Array.isArray(error.stacks)
    ? (error.stacks as { file: string; line: number; column: number }[]).map(({ file, line, column }) => ({ file, line, column }))
    : [];
  return {
    name: typeof error.name === 'string' ? error.name : 'Error',
    message: typeof error.message === 'string' ? error.message : String(error.message),
    stack: typeof error.stack === 'string' ? error.stack : undefined,
    stacks,
    expected: typeof error.expected === 'string' ? error.expected : undefined,
    actual: typeof error.actual === 'string' ? error.actual : undefined,
    diff: typeof error.diff === 'string' ? error.diff : undefined,
  };
}

const reporter: Reporter = {
  onTestModuleCollected(module: TestModule) {
    const tests = [...module.children.allTests()].map((test) => ({ id: test.id, name: test.fullName, file: module.moduleId }));
    emit({ type: 'collected', file: module.moduleId, tests });
  },
  onTestCaseReady(test: TestCase) {
    emit({ type: 'test-start', id: test.id });
  },
  onTestCaseResult(test: TestCase) {
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
  onTestModuleEnd(module: TestModule) {
    emit({ type: 'module-end', file: module.moduleId, state: module.state(), errors: module.errors().map(wire) });
  },
  onTestRunEnd(_modules, unhandledErrors) {
    emit({ type: 'run-end', errors: unhandledErrors.map(wire) });
  },
};

async function main(): Promise<void> {
  // grader/vitest.config.ts reads the target from here, so the suite imports the right files.
  process.env.LEARN_IO_TARGET = request.targetDir;
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
    const all = await vitest.globTestSpecifications([request.suiteDir]);
    if (all.length === 0) throw new Error(`no test files under ${request.suiteDir}`);
    const specs = request.onlyIds
      ? all.map((spec) => spec.project.createSpecification(spec.moduleId, { testIds: request.onlyIds }))
      : all;
    await vitest.runTestSpecifications(specs, true);
  } finally {
    await vitest.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    emit({ type: 'fatal', error: wire(error instanceof Error ? error : { message: String(error) }) });
    process.exit(3);
  },
);
