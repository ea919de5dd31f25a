#!/usr/bin/env node
// The `learn-io` executable. The CLI is TypeScript run through tsx, so a clone works with no build
// step; tsx's loader is registered here, before the first TypeScript import.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`learn-io check | head`) closes our stdout: stop writing, but finish
// the command (its clean-up and its exit code still matter).
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.stdout.write = () => true;
});
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
