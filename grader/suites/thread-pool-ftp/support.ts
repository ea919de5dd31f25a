// The stage every case of the thread-pool-ftp suite runs in: a fresh temporary tree (the server's root
// and, beside it, what must stay out of reach), a fresh server started through the harness with the
// case's limits, a warm-up session, and clients whose every step lands in one transcript.
//
// Layout of a stage's temporary tree (`base`, removed after the test):
//   base/srv/root         the server's root (a folder): the fixture files below
//   base/srv/root2        a sibling folder whose name starts with the root's (S5)
//   base/srv/outside      a directory next to the root, with a secret file (symlink targets point here)
//   base/secret-top.txt   two levels above the root
import { Client as BasicFtp, type FileInfo } from 'basic-ftp';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, it } from 'vitest';
import { failure, show, Transcript, type FailureContext } from '../../harness/clients.ts';
import { FtpControl, FtpData, type FtpReply } from '../../harness/ftp-client.ts';
import { startServer, targetModule, type ServerProcess } from '../../harness/server.ts';

export const EXERCISE = 'thread-pool-ftp';
export const FILE = 'ftp-server.ts';
/** The port `learn-io serve` listens on, for the by-hand commands in messages. */
export const SERVE_PORT = 7007;

/** The account of `learn-io serve` (no configuration: the defaults), for the by-hand commands. */
export const HAND_USER = 'learner';
export const HAND_PASSWORD = 'learner';
/** By hand: a 32 MiB file in the root `learn-io serve` uses, then its download. */
export const CURL_BIG = `head -c 33554432 /dev/urandom > /tmp/learn-io-ftp-root-$(id -u)/big.bin; curl -o big.bin ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/big.bin`;

/** The accounts every stage configures. */
export const USER = 'alice';
export const PASSWORD = 'wonderland';
export const USER2 = 'bob';
export const PASSWORD2 = 'builder';

/** One test's limit: the grader's (LEARN_IO_TEST_TIMEOUT_MS), or the catalog's 20 s when run by hand. */
export const TEST_MS = Number(process.env.LEARN_IO_TEST_TIMEOUT_MS ?? 20_000);

export const sha256 = (data: Uint8Array) => crypto.createHash('sha256').update(data).digest('hex');
export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The fixture files in every root: name → content. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256));
export const CRLF_MIX = Buffer.from('line one\r\nlone CR\rlone LF\nend\r\n\r\r\n\n\x1a\x00\xff\r', 'latin1');
export const FIXTURES: Record<string, Buffer> = {
  'hello.txt': Buffer.from('hello world\n'),
  'empty.txt': Buffer.alloc(0),
  'allbytes.bin': ALL_BYTES,
  'crlfmix.bin': CRLF_MIX,
  'name with spaces.txt': Buffer.from('spaces\n'),
  'ünïcödé-文件.txt': Buffer.from('unicode ✓\n', 'utf8'),
  'sub/a.txt': Buffer.from('file a in sub\n'),
  'sub/deeper/n.txt': Buffer.from('nested n\n'),
};

/** A 32 MiB file of random bytes, made once per test process (the large-file cases share it). */
export const BIG_BYTES = 32 * 1024 * 1024;
let big: { data: Buffer; sha: string } | undefined;
export function bigFile(): { data: Buffer; sha: string } {
  if (!big) {
    const data = crypto.randomBytes(BIG_BYTES);
    big = { data, sha: sha256(data) };
  }
  return big;
}

export interface StageOptions {
  /** The user limit (maxUsers); 4 unless a case needs another. */
  maxUsers?: number;
  /** The pool's worker threads (poolSize); the user limit unless a case needs another. */
  poolSize?: number;
  /** Idle control-connection timeout in ms; 10 s unless the case is about it. */
  idleTimeoutMs?: number;
  /** Put the 32 MiB random file in the root as big.bin. */
  big?: boolean;
  /** A shell command that reproduces the case by hand, given the port. */
  reproduce?: string;
}

/** What main() receives besides host, port and ready (exercises/thread-pool-ftp/README.md). */
export function serverConfig(root: string, o: StageOptions) {
  const maxUsers = o.maxUsers ?? 4;
  return {
    root,
    users: { [USER]: PASSWORD, [USER2]: PASSWORD2 },
    maxUsers,
    poolSize: o.poolSize ?? maxUsers,
    idleTimeoutMs: o.idleTimeoutMs ?? 10_000,
  };
}

export interface FtpStage extends FailureContext {
  server: ServerProcess;
  base: string;
  root: string;
  /** Secret markers that must never reach a client (contents of files outside the root). */
  secrets: string[];
  options: StageOptions;
  /** A control connection, not greeted yet. */
  connect(name: string, localAddress?: string): Promise<FtpControl>;
  /** A control connection, greeted (220) and logged in. */
  session(name: string, user?: string, password?: string): Promise<FtpControl>;
  /** basic-ftp, connected and logged in, its verbose log in the transcript. */
  basic(name: string): Promise<BasicFtp>;
  /** Runs one basic-ftp call; a rejection becomes a failure naming the step. */
  step<T>(name: string, what: string, call: () => Promise<T>): Promise<T>;
  /** A data connection (tracked for clean-up). */
  data(name: string, port: number, localAddress?: string): Promise<FtpData>;
  /** The server's thread count (Threads: of /proc/PID/status). */
  threads(): number;
  /** Waits until open descriptors are back to `count`; fails after `timeoutMs`. */
  descriptorsBackTo(count: number, why: string, timeoutMs?: number): Promise<void>;
  /** Waits until the thread count is back to `count`; fails after `timeoutMs`. */
  threadsBackTo(count: number, why: string, timeoutMs?: number): Promise<void>;
  /** A new client that must get 220 within `withinMs` (retrying a 421 until then: a slot is being freed). */
  admitted(name: string, withinMs?: number): Promise<FtpControl>;
  /** A new client that must get 421 within 1 s and then be closed by the server within 1 s more. */
  refused(name: string, why: string): Promise<void>;
  /** The file under the root, as bytes (undefined if missing). */
  onDisk(rel: string): Buffer | undefined;
  /** Fails if `text` shows a host path or a secret. */
  noLeak(text: string, where: string): void;
}

interface Live {
  server: ServerProcess;
  base: string;
  controls: FtpControl[];
  datas: FtpData[];
  basics: BasicFtp[];
}
let current: Live | undefined;

afterEach(async () => {
  if (!current) return;
  const live = current;
  current = undefined;
  for (const c of live.controls) c.close();
  for (const d of live.datas) d.close();
  for (const b of live.basics) b.close();
  await live.server.stop(500);
  fs.rmSync(live.base, { recursive: true, force: true });
});

function writeTree(root: string, files: Record<string, Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
}

/** Starts a fresh server on a fresh tree, warms it up and hands the case its stage. */
export async function stage(name: string, options: StageOptions = {}): Promise<FtpStage> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-ftp-'));
  const root = path.join(base, 'srv', 'root');
  const marker = crypto.randomBytes(6).toString('hex');
  const secrets = [`SECRET-OUTSIDE-${marker}`, `SECRET-SIBLING-${marker}`, `SECRET-TOP-${marker}`];
  writeTree(root, FIXTURES);
  writeTree(path.join(base, 'srv', 'outside'), { 'secret.txt': Buffer.from(`${secrets[0]}\n`) });
  writeTree(path.join(base, 'srv', 'root2'), { 'secret.txt': Buffer.from(`${secrets[1]}\n`) });
  writeTree(base, { 'secret-top.txt': Buffer.from(`${secrets[2]}\n`) });
  if (options.big) fs.writeFileSync(path.join(root, 'big.bin'), bigFile().data);

  const reproduce = options.reproduce;
  const transcript = new Transcript(name, reproduce ? () => reproduce : undefined);
  const config = serverConfig(root, options);
  let server: ServerProcess;
  try {
    server = await startServer({ module: targetModule(EXERCISE, FILE), config, nofile: 4096, readyTimeoutMs: 10_000 });
  } catch (e) {
    fs.rmSync(base, { recursive: true, force: true });
    throw e;
  }
  transcript.log('', `server started (pid ${server.pid}) on 127.0.0.1:${server.port} with ${JSON.stringify({ ...config, root: '<root>' })}`);
  const live: Live = { server, base, controls: [], datas: [], basics: [] };
  current = live;

  const s: FtpStage = {
    server,
    base,
    root,
    secrets,
    options,
    transcript,
    port: server.port,
    exercise: EXERCISE,
    death: () => server.death(),
    settle: () => Promise.race([server.exited, delay(300)]),
    async connect(who, localAddress) {
      const c = await FtpControl.connect(s, who, { localAddress });
      live.controls.push(c);
      return c;
    },
    async session(who, user = USER, password = PASSWORD) {
      const c = await s.connect(who);
      await c.greeting();
      await c.login(user, password);
      return c;
    },
    async basic(who) {
      const client = new BasicFtp(8000);
      live.basics.push(client);
      client.ftp.verbose = true;
      client.ftp.log = (message: string) => transcript.log(who, message.replace(/\r?\n$/, '').replace(/\r\n/g, ' / '));
      await s.step(who, `access() (connect, log in as ${USER}, FEAT, TYPE I)`, () =>
        client.access({ host: '127.0.0.1', port: server.port, user: USER, password: PASSWORD, secure: false }),
      );
      return client;
    },
    async step(who, what, call) {
      try {
        return await call();
      } catch (e) {
        await s.settle?.();
        const message = e instanceof Error ? e.message : String(e);
        transcript.log(who, `${what} failed: ${message}`);
        throw failure(s, `basic-ftp (${who}): ${what} failed: ${message}`);
      }
    },
    async data(who, port, localAddress) {
      const d = await FtpData.connect(s, who, port, { localAddress });
      live.datas.push(d);
      return d;
    },
    threads() {
      const status = (() => {
        try {
          return fs.readFileSync(`/proc/${server.pid}/status`, 'utf8');
        } catch {
          throw failure(s, `The server is not running any more.`);
        }
      })();
      return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    },
    async descriptorsBackTo(count, why, timeoutMs = 2000) {
      const deadline = performance.now() + timeoutMs;
      let now = server.openDescriptors();
      while (now !== count && performance.now() < deadline) {
        await delay(20);
        now = server.openDescriptors();
      }
      transcript.log('', `server holds ${now} open descriptors (${count} at the start)`);
      if (now > count) {
        throw failure(s, `After ${why}, the server still holds ${now - count} more open descriptor(s) than at the start (${now} against ${count}) after ${timeoutMs} ms: every socket (control, data, passive listener) and every file must be closed when its session or transfer ends, however it ends.`);
      }
    },
    async threadsBackTo(count, why, timeoutMs = 2000) {
      const deadline = performance.now() + timeoutMs;
      let now = s.threads();
      while (now !== count && performance.now() < deadline) {
        await delay(20);
        now = s.threads();
      }
      transcript.log('', `server runs ${now} threads (${count} at the start)`);
      if (now !== count) {
        throw failure(s, `After ${why}, the server runs ${now} threads where it ran ${count} at the start: the pool's workers are started once and each outlives every session it serves (${now < count ? 'a worker died: catch every error of a session inside the worker, close that session and take the next one' : 'threads were started per connection'}).`);
      }
    },
    async admitted(who, withinMs = 1000) {
      const deadline = performance.now() + withinMs;
      for (;;) {
        const c = await s.connect(who);
        const r = await c.reply(1500, 'the greeting (220) of a server with a free slot');
        if (r.code === 220) return c;
        if (r.code === 421 && performance.now() < deadline) {
          transcript.log(who, 'a slot is still being freed: trying again');
          c.close();
          await delay(50);
          continue;
        }
        throw failure(s, `${who} expected a 220 greeting (a slot is free${r.code === 421 ? `, and was free ${withinMs} ms ago` : ''}), but received ${JSON.stringify(r.text)}: a slot is released as soon as its session ends, whatever the way it ends (ftp.md §7.4).`);
      }
    },
    async refused(who, why) {
      const c = await s.connect(who);
      const t0 = performance.now();
      const r = await c.maybeReply(1000);
      if (!r) {
        if (c.closed) throw failure(s, `${who} (${why}) was closed without a reply: send "421 <text>" before closing, so that the client can tell the user (ftp.md §7.2).`);
        throw failure(s, `${who} (${why}) got nothing within 1 s: a client past the limit must get "421 <text>" at once and be closed, never be accepted and left waiting (B13).`);
      }
      if (r.code !== 421) {
        throw failure(s, `${who} (${why}) expected "421 ..." and a close, but received ${JSON.stringify(r.text)}: ${r.code === 220 ? `the server admitted one session more than maxUsers = ${config.maxUsers}` : 'the user limit is answered with 421'}.`);
      }
      transcript.log(who, `421 came ${Math.round(r.at - t0)} ms after connecting`);
      await c.expectClosed(1000, 'after a 421 the server closes the connection');
    },
    onDisk(rel) {
      try {
        return fs.readFileSync(path.join(root, rel));
      } catch {
        return undefined;
      }
    },
    noLeak(text, where) {
      const hit = [base, fs.realpathSync(base), ...secrets].find((needle) => text.includes(needle));
      if (hit) {
        const what = secrets.includes(hit) ? 'the content of a file outside the root' : `the host path ${JSON.stringify(hit)}`;
        throw failure(s, `${where} shows ${what}: ${JSON.stringify(text.slice(0, 300))}. Clients see virtual paths only (root = "/"), and nothing outside the root (ftp.md §9).`);
      }
    },
  };

  // Warm-up: one full session (login, a listing, a download, QUIT), so that whatever the server sets up
  // on first use is in place before a case takes its descriptor and thread counts.
  const warm = await s.session('warm-up');
  const d1 = await warm.openData('epsv');
  await warm.cmd('LIST', [150, 125], 'LIST after EPSV');
  await d1.readAll(3000, 'the warm-up listing');
  await warm.expect(226, 'the end of the listing');
  const d2 = await warm.openData('pasv');
  await warm.cmd('RETR hello.txt', [150, 125], 'RETR of an existing file');
  const hello = await d2.readAll(3000, 'hello.txt');
  await warm.expect(226, 'the end of the download');
  if (!hello.equals(FIXTURES['hello.txt']!)) throw failure(s, `warm-up: RETR hello.txt sent ${JSON.stringify(hello.toString('latin1'))} where the file holds "hello world\\n".`);
  await warm.cmd('QUIT', 221, 'QUIT');
  await warm.expectClosed(2000, 'after 221 the server closes the connection');
  // Then wait for the counts to settle: three equal readings 30 ms apart (1.5 s at most).
  let same = 0;
  let last = '';
  for (let i = 0; i < 50 && same < 3; i++) {
    const now = `${server.openDescriptors()}/${s.threads()}`;
    same = now === last ? same + 1 : 1;
    last = now;
    await delay(30);
  }
  transcript.log('', `warm-up done: ${server.openDescriptors()} open descriptors, ${s.threads()} threads`);
  return s;
}

/** Fails the case if the server died during it. */
export function expectAlive(s: FtpStage, after: string): void {
  if (!s.server.alive()) throw failure(s, `The server died ${after}; it must outlive any one client: an error in a session ends that session only.`);
  s.transcript.log('', `the server is still running ${after}`);
}

/** Registers one case: a fresh stage, the body, then a check that the server is still alive. */
export function ftpCase(title: string, options: StageOptions, body: (s: FtpStage) => Promise<void>): void {
  it(
    title,
    async () => {
      const s = await stage(title.split(' ')[0]!, options);
      await body(s);
      expectAlive(s, 'by the end of the test');
    },
    TEST_MS,
  );
}

/** A transfer on a raw session: PASV/EPSV, the command, the data, the 226. Returns what came. */
export async function download(s: FtpStage, c: FtpControl, file: string, mode: 'pasv' | 'epsv' = 'epsv', timeoutMs = 5000): Promise<Buffer> {
  const port = mode === 'pasv' ? await c.pasv() : await c.epsv();
  const d = await s.data(`${c.name}/data`, port);
  await c.cmd(`RETR ${file}`, [150, 125], `RETR ${file}`);
  const got = await d.readAll(timeoutMs, `the download of ${JSON.stringify(file)}`);
  await c.expect(226, `the end of the download of ${JSON.stringify(file)}`, timeoutMs);
  return got;
}

/** STOR of `content` on a raw session; resolves after the 226. */
export async function upload(s: FtpStage, c: FtpControl, file: string, content: Uint8Array, mode: 'pasv' | 'epsv' = 'epsv', timeoutMs = 5000): Promise<void> {
  const port = mode === 'pasv' ? await c.pasv() : await c.epsv();
  const d = await s.data(`${c.name}/data`, port);
  await c.cmd(`STOR ${file}`, [150, 125], `STOR ${file}`);
  await d.end(Buffer.from(content));
  await c.expect(226, `the end of the upload of ${JSON.stringify(file)} (the client closed the data connection)`, timeoutMs);
}

/** LIST or NLST (with an argument or not) on a raw session; the listing's text. */
export async function listing(s: FtpStage, c: FtpControl, command: string, mode: 'pasv' | 'epsv' = 'epsv'): Promise<string> {
  const port = mode === 'pasv' ? await c.pasv() : await c.epsv();
  const d = await s.data(`${c.name}/data`, port);
  await c.cmd(command, [150, 125], command);
  const got = await d.readAll(3000, `the listing of ${JSON.stringify(command)}`);
  await c.expect(226, `the end of ${JSON.stringify(command)}`);
  return got.toString('utf8');
}

/** Compares two byte strings and fails naming the first difference. */
export function sameBytes(s: FtpStage, got: Buffer, want: Buffer, what: string): void {
  if (got.equals(want)) {
    s.transcript.log('', `${what}: ${got.length.toLocaleString('en-US')} bytes, sha256 ${sha256(got).slice(0, 16)}..., identical`);
    return;
  }
  const at = got.findIndex((b, i) => b !== want[i]);
  const where = at === -1 ? Math.min(got.length, want.length) : at;
  throw failure(
    s,
    `${what}: ${got.length.toLocaleString('en-US')} bytes (sha256 ${sha256(got).slice(0, 16)}...) where ${want.length.toLocaleString('en-US')} bytes (sha256 ${sha256(want).slice(0, 16)}...) were expected; ` +
      `the first difference is at byte ${where.toLocaleString('en-US')} (got ${show(got.subarray(where, where + 12))}, expected ${show(want.subarray(where, where + 12))}). ` +
      'Files go through unchanged, in TYPE A as in TYPE I (ftp.md §3.4 TYPE, §5.3).',
  );
}

/** Whether a program is on the PATH (curl, lftp, ftp). */
export function hasProgram(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs a program with a time limit; its output goes to the transcript. Never throws. */
export function run(s: FtpStage, who: string, file: string, args: string[], options: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  s.transcript.log(who, `$ ${[file, ...args].map((a) => (/[\s"'|;]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8', HOME: options.cwd ?? os.tmpdir() } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const line of (stdout + stderr).split('\n').filter(Boolean).slice(-30)) s.transcript.log(who, line);
      s.transcript.log(who, `exit code ${code ?? 'none (killed after its time limit)'}`);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Names, types and sizes of a basic-ftp listing, for messages. */
export const describeList = (list: FileInfo[]) => list.map((f) => `${f.name}${f.isDirectory ? '/' : ` (${f.size})`}`).join(', ');

export type { FtpControl, FtpData, FtpReply };
