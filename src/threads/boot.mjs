// @ts-check
// The first module of every worker thread this package starts (see workers.ts). tsx's loader does not
// reach worker threads on Node 20, so this plain JavaScript registers it for the new thread, then imports
// the TypeScript module named in workerData.__module (a file: URL).
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
// In a server the grader runs (grader/harness/serve.mjs), the same resolution hooks as its main thread:
// `learn-io/...` means this package wherever the learner's file lives.
if (process.env.LEARN_IO_HOOKS) registerHooks(new URL('../../grader/harness/hooks.mjs', import.meta.url), { data: JSON.parse(process.env.LEARN_IO_HOOKS) });
await import(workerData.__module);
