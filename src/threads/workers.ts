// Starting worker threads whose code is TypeScript.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const boot = path.join(path.dirname(fileURLToPath(import.meta.url)), 'boot.mjs');

/**
 * A worker thread running `module` (a path or file: URL of a .ts or .js file), with `data` as its
 * workerData (plus the `__module` the bootstrap needs). Pass SharedArrayBuffers (a Queue's `buffer`)
 * in `data`: they are shared, not copied.
 */
export function startWorker(module: string | URL, data: Record<string, unknown> = {}, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  const url = module instanceof URL ? module.href : module.startsWith('file:') ? module : pathToFileURL(path.resolve(module)).href;
  return new Worker(boot, { ...options, workerData: { ...data, __module: url } });
}
