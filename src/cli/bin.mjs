#!/usr/bin/env node
// The `learn-io` executable. The CLI is TypeScript run through tsx, so a clone works with no build
// step; tsx's loader is registered here, before the first TypeScript import.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`learn-io read coroutines | head`) closes our stdout: not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
