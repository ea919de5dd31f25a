// The FTP bench: the thread-pool-ftp reference against real FTP servers, with curl as the client.
//
// Scenarios (sizes configurable):
//   1. download of one 256 MB file, one session (curl -o /dev/null: the client only discards bytes);
//   2. upload of the same file, one session (curl -T; the server writes it to disk);
//   3. 20 sessions at once, each downloading a 10 MB file: total MB/s over the wall time.
// Servers: ours (solutions/thread-pool-ftp, started through the harness exactly as the hidden suite
// starts it), vsftpd (standalone, anonymous, a generated configuration bound to 127.0.0.1 and a free
// port; needs root) and pyftpdlib (`/usr/bin/python3 -m pyftpdlib`, its default asynchronous server),
// each where installed; a peer that is missing is named and skipped. Without curl the bench is skipped.
// Every figure is the median of `runs`; ratios are ours / peer (above 1: ours is faster).
//
// Knobs: BENCH_FTP_RUNS (3), BENCH_FTP_FILE_MB (256), BENCH_FTP_SESSIONS (20), BENCH_FTP_SESSION_MB (10).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/catalog.ts';
import { table } from '../../src/demo-kit.ts';
import { startServer, type ServerProcess } from '../../grader/harness/server.ts';

export interface FtpBenchOptions {
  runs?: number;
  fileMB?: number;
  sessions?: number;
  sessionMB?: number;
}

type Scenario = 'download' | 'upload' | 'concurrent';
export interface FtpBenchResult {
  /** MB/s per server per scenario (median of the runs); a server that was skipped is absent. */
  rates: Record<string, Partial<Record<Scenario, number>>>;
  /** Why a peer was skipped, by name. */
  skipped: Record<string, string>;
}

const USER = 'bench';
const PASSWORD = 'bench';
const MB = 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A running FTP server: its URL prefix (with credentials) and how to stop it. */
interface Target {
  name: string;
  url: string;
  stop(): Promise<void>;
}

function has(command: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 5000 });
  return r.error === undefined && r.status === 0;
}

/** The path of an installed program (PATH, then the sbin directories a non-root PATH lacks), or undefined. */
function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  return dirs.map((d) => path.join(d, name)).find((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something on `port` greets with 220; rejects after `timeoutMs`. */
async function greeted(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      const done = (v: boolean) => {
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(1000, () => done(false));
      sock.once('error', () => done(false));
      sock.once('data', (d) => done(d.toString('latin1').startsWith('220')));
    });
    if (ok) return;
    await delay(100);
  }
  throw new Error(`no 220 greeting on port ${port} within ${timeoutMs} ms`);
}

// Ends a child started detached (its own process group: vsftpd forks a process per session).
async function stopChild(child: ChildProcess): Promise<void> {
  const gone = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  await Promise.race([gone, delay(1000)]);
  kill('SIGKILL');
  await Promise.race([gone, delay(1000)]);
}

async function startOurs(root: string, sessions: number): Promise<Target> {
  const server: ServerProcess = await startServer({
    module: path.join(packageRoot, 'solutions', 'thread-pool-ftp', 'ftp-server.ts'),
    config: { root, users: { [USER]: PASSWORD }, maxUsers: sessions + 1, poolSize: sessions + 1 },
    nofile: 4096,
    readyTimeoutMs: 60_000,
  });
  return {
    name: 'ours (thread pool)',
    url: `ftp://${USER}:${PASSWORD}@127.0.0.1:${server.port}`,
    stop: async () => void (await server.stop(500)),
  };
}

async function startVsftpd(program: string, base: string, root: string): Promise<Target> {
  const port = await freePort();
  const empty = path.join(base, 'vsftpd-empty');
  fs.mkdirSync(empty, { recursive: true });
  const conf = path.join(base, 'vsftpd.conf');
  // Anonymous (vsftpd's local users need system accounts), writable only in up/, no sandboxes that a
  // container may refuse, no transfer log, no connection limits.
  fs.writeFileSync(
    conf,
    [
      'listen=YES',
      'listen_ipv6=NO',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=YES',
      'local_enable=NO',
      'no_anon_password=YES',
      `anon_root=${root}`,
      'write_enable=YES',
      'anon_upload_enable=YES',
      'anon_other_write_enable=YES',
      'anon_umask=022',
      `secure_chroot_dir=${empty}`,
      'seccomp_sandbox=NO',
      'isolate=NO',
      'isolate_network=NO',
      'xferlog_enable=NO',
      'pasv_enable=YES',
      'max_clients=0',
      'max_per_ip=0',
      '',
    ].join('\n'),
  );
  const child = spawn(program, [conf], { detached: true, stdio: 'ignore' });
  try {
    await greeted(port, 5000, child);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return { name: 'vsftpd', url: `ftp://anonymous:bench@127.0.0.1:${port}`, stop: () => stopChild(child) };
}

async function startPyftpdlib(root: string): Promise<Target> {
  const port = await freePort();
  const child = spawn('/usr/bin/python3', ['-m', 'pyftpdlib', '-i', '127.0.0.1', '-p', String(port), '-d', root, '-w', '-u', USER, '-P', PASSWORD], {
    detached: true,
    stdio: 'ignore',
  });
  try {
    await greeted(port, 5000, child);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return { name: 'pyftpdlib (async)', url: `ftp://${USER}:${PASSWORD}@127.0.0.1:${port}`, stop: () => stopChild(child) };
}

/** One curl; resolves with the bytes it moved; rejects with its stderr on failure. */
function curl(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--max-time', '60', '-w', '%{size_download} %{size_upload}', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`curl ${args.join(' ')} exited with ${code}: ${err.trim()}`));
      const [down, up] = out.trim().split(' ').map(Number);
      resolve(Math.max(down ?? 0, up ?? 0));
    });
  });
}

/** MB/s of one scenario run: bytes over the wall time of the whole scenario. */
async function runScenario(t: Target, s: Scenario, o: Required<FtpBenchOptions>, root: string, run: number): Promise<number> {
  const t0 = performance.now();
  let bytes = 0;
  if (s === 'download') {
    bytes = await curl(['-o', '/dev/null', `${t.url}/big.bin`]);
  } else if (s === 'upload') {
    bytes = await curl(['-T', path.join(root, 'big.bin'), `${t.url}/up/up-${run}.bin`]);
  } else {
    const all = await Promise.all(Array.from({ length: o.sessions }, () => curl(['-o', '/dev/null', `${t.url}/small.bin`])));
    bytes = all.reduce((a, b) => a + b, 0);
  }
  const seconds = (performance.now() - t0) / 1000;
  const want = s === 'concurrent' ? o.sessions * o.sessionMB * MB : o.fileMB * MB;
  if (bytes !== want) throw new Error(`${t.name} ${s}: moved ${bytes} bytes, expected ${want}`);
  if (s === 'upload') {
    const up = path.join(root, 'up', `up-${run}.bin`);
    const size = fs.statSync(up).size;
    fs.rmSync(up, { force: true });
    if (size !== want) throw new Error(`${t.name} upload: ${size} bytes on disk, expected ${want}`);
  }
  return bytes / MB / seconds;
}

function writeRandomFile(file: string, megabytes: number): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.allocUnsafe(MB);
  try {
    for (let i = 0; i < megabytes; i++) fs.writeSync(fd, crypto.randomFillSync(chunk));
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs the three scenarios against every available server; prints the table; returns the figures. */
export async function benchFtp(options: FtpBenchOptions = {}): Promise<FtpBenchResult> {
  const o: Required<FtpBenchOptions> = {
    runs: options.runs ?? Number(process.env.BENCH_FTP_RUNS ?? 3),
    fileMB: options.fileMB ?? Number(process.env.BENCH_FTP_FILE_MB ?? 256),
    sessions: options.sessions ?? Number(process.env.BENCH_FTP_SESSIONS ?? 20),
    sessionMB: options.sessionMB ?? Number(process.env.BENCH_FTP_SESSION_MB ?? 10),
  };
  const result: FtpBenchResult = { rates: {}, skipped: {} };
  console.log(
    `\nFTP (curl, loopback): download and upload of a ${o.fileMB} MB file, ${o.sessions} sessions each downloading ${o.sessionMB} MB at once; ` +
      `MB/s, median of ${o.runs} runs`,
  );
  if (!has('curl')) {
    console.log('  skipped: curl is not installed');
    result.skipped.all = 'curl is not installed';
    return result;
  }

  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-io-ftp-bench-'));
  const root = path.join(base, 'root');
  fs.mkdirSync(path.join(root, 'up'), { recursive: true });
  fs.chmodSync(root, 0o755); // vsftpd refuses an anonymous root its user could write to
  fs.chmodSync(path.join(root, 'up'), 0o777);
  fs.chmodSync(base, 0o755);
  writeRandomFile(path.join(root, 'big.bin'), o.fileMB);
  writeRandomFile(path.join(root, 'small.bin'), o.sessionMB);

  const starters: [string, () => Promise<Target>][] = [['ours (thread pool)', () => startOurs(root, o.sessions)]];
  const vsftpd = findProgram('vsftpd');
  if (!vsftpd) result.skipped.vsftpd = 'not installed';
  else if (process.getuid?.() !== 0) result.skipped.vsftpd = 'needs root to start (it drops to its ftp user itself)';
  else starters.push(['vsftpd', () => startVsftpd(vsftpd, base, root)]);
  if (spawnSync('/usr/bin/python3', ['-c', 'import pyftpdlib'], { stdio: 'ignore' }).status === 0) starters.push(['pyftpdlib (async)', () => startPyftpdlib(root)]);
  else result.skipped['pyftpdlib'] = 'python3-pyftpdlib is not installed';

  const scenarios: Scenario[] = ['download', 'upload', 'concurrent'];
  try {
    for (const [name, start] of starters) {
      let target: Target;
      try {
        target = await start();
      } catch (e) {
        result.skipped[name] = `did not start: ${(e as Error).message}`;
        continue;
      }
      try {
        const rates: Partial<Record<Scenario, number>> = {};
        for (const s of scenarios) {
          const runs: number[] = [];
          for (let i = 0; i < o.runs; i++) runs.push(await runScenario(target, s, o, root, i));
          rates[s] = median(runs);
        }
        result.rates[name] = rates;
      } catch (e) {
        result.skipped[name] = `failed: ${(e as Error).message}`;
      } finally {
        await target.stop();
      }
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }

  const ours = result.rates['ours (thread pool)'];
  const label: Record<Scenario, string> = {
    download: `download ${o.fileMB} MB`,
    upload: `upload ${o.fileMB} MB`,
    concurrent: `${o.sessions} × ${o.sessionMB} MB at once`,
  };
  const peers = Object.keys(result.rates).filter((n) => n !== 'ours (thread pool)');
  const head = ['scenario', ...Object.keys(result.rates).map((n) => `${n} MB/s`), ...peers.map((p) => `ours/${p.split(' ')[0]}`)];
  const rows = scenarios.map((s) => [
    label[s],
    ...Object.values(result.rates).map((r) => (r[s] === undefined ? '-' : r[s]!.toFixed(0))),
    ...peers.map((p) => (ours?.[s] && result.rates[p]![s] ? `${(ours[s]! / result.rates[p]![s]!).toFixed(2)}x` : '-')),
  ]);
  for (const line of table(head, rows)) console.log(`  ${line}`);
  for (const [name, why] of Object.entries(result.skipped)) console.log(`  ${name}: skipped (${why})`);
  return result;
}
