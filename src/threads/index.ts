// learn-io's threads: a blocking Queue in shared memory, and TypeScript worker threads.
//
//   import { Queue, startWorker } from 'learn-io/threads';
export { Queue, QueueEmpty, QueueFull, QueueShutDown } from './queue.ts';
export { startWorker } from './workers.ts';
