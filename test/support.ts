import fs from 'node:fs';

/**
 * Live processes (other than this one) whose command line or environment contains `needle`, from
 * /proc. The grader's runner carries the target folder in its arguments and every Vitest worker it
 * starts carries it in LEARN_IO_TARGET, so an orphaned worker is found too.
 */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      if ((cmd.includes(needle) || env.includes(needle)) && Number(pid) !== process.pid) found.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
