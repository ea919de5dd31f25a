// `learn-io` and `learn-io/sys` for the pool's threads (see threads.mjs next to this file).
export * from '../../../../src/sys/index.ts';
