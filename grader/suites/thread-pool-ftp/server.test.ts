// Hidden suite of the thread-pool-ftp exercise: the learner's exercises/thread-pool-ftp/ftp-server.ts,
// run as its own process by the harness (grader/harness), driven with basic-ftp, curl, lftp, tnftp and
// a raw control client (grader/harness/ftp-client.ts). Case ids: B.. and L.. are rows of
// shared/design/cases.md, S.. rules of ftp.md §9, F.. our own. Each case runs on a fresh root and a
// fresh server (support.ts). One file, so that the cases run one after another: they measure time,
// threads and memory of one server at a time.
import { describe } from 'vitest';
import { clientCases } from './client-cases.ts';
import { limitCases } from './limit-cases.ts';
import { securityCases } from './security-cases.ts';
import { transferCases } from './transfer-cases.ts';

describe('thread-pool-ftp', () => {
  clientCases();
  securityCases();
  transferCases();
  limitCases();
});
