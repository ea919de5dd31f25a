// Limits and counts of descriptors: getrlimit(2)/setrlimit(2) RLIMIT_NOFILE, and what is open now.
import fs from 'node:fs';
import { constants as C } from './constants.ts';
import { check } from './errors.ts';
import { libc } from './libc.ts';

/** A resource limit; RLIM_INFINITY is Infinity. */
export interface Rlimit {
  soft: number;
  hard: number;
}

const INFINITY = 2n ** 64n - 1n;
const fromRlim = (v: bigint) => (v === INFINITY ? Infinity : Number(v));
const toRlim = (v: number) => (v === Infinity ? INFINITY : BigInt(v));

/** getrlimit(2). `resource` defaults to RLIMIT_NOFILE: the most descriptors this process may hold open. */
export function getrlimit(resource: number = C.RLIMIT_NOFILE): Rlimit {
  const buf = new BigUint64Array(2); // struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }
  check('getrlimit', undefined, () => libc.getrlimit(resource, buf as unknown as BigInt64Array));
  return { soft: fromRlim(buf[0]!), hard: fromRlim(buf[1]!) };
}

/** setrlimit(2). A process may raise its soft limit up to the hard one; raising the hard one needs privilege (EPERM). */
export function setrlimit(limit: Rlimit, resource: number = C.RLIMIT_NOFILE): void {
  const buf = new BigUint64Array([toRlim(limit.soft), toRlim(limit.hard)]);
  check('setrlimit', undefined, () => libc.setrlimit(resource, buf as unknown as BigInt64Array));
}

/**
 * Raises the soft RLIMIT_NOFILE towards `wanted` (never past the hard limit) and returns the soft limit
 * now in force. For demos and benchmarks that open thousands of descriptors.
 */
export function raiseOpenFileLimit(wanted: number): number {
  const { soft, hard } = getrlimit();
  if (soft >= wanted) return soft;
  const next = Math.min(wanted, hard);
  setrlimit({ soft: next, hard });
  return next;
}

/** Descriptors this process holds open now (from /proc/self/fd on Linux, /dev/fd on macOS). */
export function openDescriptors(): number[] {
  const dir = process.platform === 'linux' ? '/proc/self/fd' : '/dev/fd';
  const fds = fs.readdirSync(dir).map(Number);
  // readdir's own descriptor is listed but closed by now; keep only what is still open.
  return fds.filter((fd) => {
    try {
      fs.fstatSync(fd);
      return true;
    } catch {
      return false;
    }
  }).sort((a, b) => a - b);
}
