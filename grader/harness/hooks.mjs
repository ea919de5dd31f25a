// @ts-check
// Module resolution hooks for a learner's server process (registered by serve.mjs).
//
// 1. `learn-io` and `learn-io/sys` mean this package's runtime library wherever the learner's file
//    lives: in a workspace, in a clone, or in the temporary copy a grader makes.
// 2. Graded code may not import the reference solutions (the same rule as grader/vitest.config.ts).

/** @type {{ sys: string, threads: string, solutions: string, allowSolutions: boolean }} */
let config;

/** @param {{ sys: string, threads: string, solutions: string, allowSolutions: boolean }} data */
export function initialize(data) {
  config = data;
}

/**
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: object) => Promise<{ url: string }>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  // Through the rest of the chain, so that tsx's hooks still see (and compile) the .ts file.
  if (specifier === 'learn-io' || specifier === 'learn-io/sys') return nextResolve(config.sys, context);
  if (specifier === 'learn-io/threads') return nextResolve(config.threads, context);
  const resolved = await nextResolve(specifier, context);
  const parent = context.parentURL ?? '';
  if (!config.allowSolutions && resolved.url.startsWith(config.solutions) && !parent.startsWith(config.solutions)) {
    throw new Error(`${parent.replace(/^file:\/\//, '')} imports ${specifier}: the reference solution is not yours to import`);
  }
  return resolved;
}
