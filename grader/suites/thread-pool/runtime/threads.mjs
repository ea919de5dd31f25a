// `learn-io/threads` for the pool's threads (see support.ts, "Module resolution in the pool's threads"):
// plain JavaScript, so that Node can load it whichever hooks resolved it; the TypeScript it re-exports
// is resolved, and compiled by tsx, the ordinary way.
export * from '../../../../src/threads/index.ts';
