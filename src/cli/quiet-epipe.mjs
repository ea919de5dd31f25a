// @ts-check
// Preloaded into every demo (`learn-io run`): when the reader of its output goes away (`run X | head`),
// stop quietly, as command-line tools do, instead of printing an EPIPE stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EPIPE') process.exit(0);
    throw error;
  });
}
