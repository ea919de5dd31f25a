import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToolError } from '../src/errors.ts';
import { emptyProgress, readProgress, updateStep, writeProgress } from '../src/workspace/progress.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-progress-'));
  file = path.join(dir, '.learn-io', 'progress.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ToolError ? `${error.code}: ${error.message} | ${error.fix}` : String(error);
  }
  return undefined;
}

describe('progress file', () => {
  it('a missing file reads as empty progress, version 1', () => {
    expect(readProgress(file)).toEqual({ version: 1, steps: {} });
  });

  it('round-trips what was written and leaves no temporary file behind', () => {
    updateStep(file, 'coroutines', (s) => {
      s.done = '2026-01-01T00:00:00.000Z';
    });
    updateStep(file, 'coroutine-switcher', (s) => {
      s.hintsSeen = 2;
    });
    expect(readProgress(file).steps).toEqual({
      coroutines: { done: '2026-01-01T00:00:00.000Z' },
      'coroutine-switcher': { hintsSeen: 2 },
    });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['progress.json']);
  });

  it('a corrupt file is reported with its path and the way out, and is not overwritten', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version": 1, "steps": {');
    const message = codeOf(() => readProgress(file));
    expect(message).toMatch(/^PROGRESS_CORRUPT: The progress file .*progress\.json is not valid JSON/);
    expect(message).toContain(`mv ${file} ${file}.broken`);
    expect(codeOf(() => updateStep(file, 'coroutines', () => {}))).toMatch(/^PROGRESS_CORRUPT/);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"version": 1, "steps": {');
  });

  it('a foreign or newer file is refused, not reinterpreted', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ version: 7, steps: {} }));
    expect(codeOf(() => readProgress(file))).toMatch(/written by a newer learn-io \(format 7; this one reads 1\)/);
    fs.writeFileSync(file, JSON.stringify(['a list']));
    expect(codeOf(() => readProgress(file))).toMatch(/is not a learn-io progress file/);
    // A field of the wrong type is caught too, not left to crash a command later.
    fs.writeFileSync(file, JSON.stringify({ version: 1, steps: { 'coroutine-switcher': { hintsSeen: 'lots' } } }));
    expect(codeOf(() => readProgress(file))).toMatch(/is not a learn-io progress file/);
    fs.writeFileSync(file, JSON.stringify({ version: 1, steps: { coroutines: { quiz: 'x' } } }));
    expect(codeOf(() => readProgress(file))).toMatch(/is not a learn-io progress file/);
  });

  it('a writer killed mid-write leaves the previous file whole', async () => {
    writeProgress(file, { ...emptyProgress(), steps: { coroutines: { done: 'before' } } });
    // A child that writes a large progress file in a loop; we kill it at a random moment.
    const { spawn } = await import('node:child_process');
    const script = `
      import { writeProgress } from ${JSON.stringify(path.resolve('src/workspace/progress.ts'))};
      const big = { version: 1, steps: Object.fromEntries(Array.from({ length: 20000 }, (_, i) => ['s' + i, { done: 'x'.repeat(50) }])) };
      process.stdout.write('go\\n');
      for (;;) writeProgress(${JSON.stringify(file)}, big);
    `;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx/esm', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((r) => child.stdout!.once('data', r));
      await new Promise((r) => setTimeout(r, 30 + Math.random() * 100));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const progress = readProgress(file); // must parse: old or new, never half
      expect(Object.keys(progress.steps).length === 1 || Object.keys(progress.steps).length === 20000).toBe(true);
    }
  });
});
