// Cases with real clients and the command set: start-up, basic-ftp sessions byte for byte, curl's
// recipes, the replies of each command (ftp.md §3), listings (§6), transfer types (§3.4, §5.3), names
// with spaces and UTF-8, FEAT/MLST, SYST, PASV/EPSV.
import { enterPassiveModeIPv4, enterPassiveModeIPv6 } from 'basic-ftp';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { failure } from '../../harness/clients.ts';
import {
  ALL_BYTES,
  bigFile,
  CRLF_MIX,
  CURL_BIG,
  describeList,
  download,
  FIXTURES,
  ftpCase,
  HAND_PASSWORD,
  HAND_USER,
  hasProgram,
  listing,
  PASSWORD,
  PASSWORD2,
  run,
  sameBytes,
  SERVE_PORT,
  sha256,
  upload,
  USER,
  USER2,
  type FtpStage,
} from './support.ts';

const url = (s: FtpStage, rest = '') => `ftp://${USER}:${PASSWORD}@127.0.0.1:${s.port}/${rest}`;
const byHand = `curl -v ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/`;

/** A Writable that keeps what basic-ftp downloads. */
function sink(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks) };
}

/** One line of a Unix LIST (ftp.md §6.1): type, size, name (the rest of the line). */
const LIST_LINE = /^([-dl])[rwxsStT-]{9}[+@.]?\s+\d+\s+\S+(?:\s+\S+)?\s+(\d+)\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4})\s(.*)$/;

/** Parses a LIST body strictly; fails naming the first line no client could read. */
export function parseList(s: FtpStage, text: string, what: string): Map<string, { dir: boolean; size: number }> {
  const out = new Map<string, { dir: boolean; size: number }>();
  for (const line of text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '' && !/^total \d+$/.test(l))) {
    const m = LIST_LINE.exec(line);
    if (!m) {
      throw failure(s, `${what}: the line ${JSON.stringify(line)} is not in the Unix "ls -l" form that basic-ftp and lftp parse: "-rw-r--r--   1 owner    group        4096 Nov 29 11:02 name" (ftp.md §6.1).`);
    }
    out.set(m[3]!, { dir: m[1] === 'd', size: Number(m[2]) });
  }
  return out;
}

/** The top level of the fixture root: name → directory or size. */
const ROOT_ENTRIES: [string, { dir: boolean; size: number }][] = [
  ...Object.entries(FIXTURES)
    .filter(([name]) => !name.includes('/'))
    .map(([name, content]): [string, { dir: boolean; size: number }] => [name, { dir: false, size: content.length }]),
  ['sub', { dir: true, size: -1 }],
];

export function clientCases(): void {
  ftpCase('F01 main({ root, users, maxUsers, poolSize, idleTimeoutMs }) starts and calls ready(); 220, USER/PASS, wrong passwords, QUIT', { reproduce: byHand }, async (s) => {
    const c = await s.connect('client-1');
    await c.greeting(1000);
    await c.cmd(`USER ${USER}`, 331, 'USER of a configured user');
    await c.cmd('PASS not-the-password', 530, 'PASS with a wrong password');
    await c.cmd('USER mallory', [331, 530], 'USER of an unknown user');
    if (c.replies.at(-1)!.code === 331) await c.cmd('PASS anything', 530, 'PASS for an unknown user');
    await c.login(USER, PASSWORD);
    const pwd = await c.cmd('PWD', 257, 'PWD after login');
    if (!/^257 "\/"/.test(pwd.text)) throw failure(s, `After login PWD answered ${JSON.stringify(pwd.text)}; the session starts at the root, "257 \\"/\\" is the current directory." (ftp.md §3.4).`);
    await c.cmd('NOOP', 200);
    // The second configured account works too, in a session of its own.
    const d = await s.session('client-2', USER2, PASSWORD2);
    await d.cmd('QUIT', 221, 'QUIT');
    await d.expectClosed(2000, 'after 221 the server closes the connection');
    await c.cmd('QUIT', 221, 'QUIT');
    await c.expectClosed(2000, 'after 221 the server closes the connection');
  });

  ftpCase('F02 basic-ftp: list, download every fixture, upload, size, lastMod, ensureDir, rename, remove, removeDir, downloadToDir, byte for byte', { reproduce: byHand }, async (s) => {
    const b = await s.basic('basic-ftp');
    const pwd = await s.step('basic-ftp', 'pwd()', () => b.pwd());
    if (pwd !== '/') throw failure(s, `basic-ftp pwd() gave ${JSON.stringify(pwd)} at the start of a session; expected "/".`);
    const list = await s.step('basic-ftp', 'list()', () => b.list());
    for (const [name, want] of ROOT_ENTRIES) {
      const got = list.find((f) => f.name === name);
      if (!got || got.isDirectory !== want.dir || (!want.dir && got.size !== want.size)) {
        throw failure(s, `basic-ftp list() of "/" gave [${describeList(list)}]; expected ${JSON.stringify(name)} as a ${want.dir ? 'directory' : `file of ${want.size} bytes`} (the name is the rest of the LIST line, spaces and UTF-8 kept).`);
      }
    }
    for (const [name, content] of Object.entries(FIXTURES)) {
      const out = sink();
      await s.step('basic-ftp', `downloadTo(${JSON.stringify(name)})`, () => b.downloadTo(out.stream, name));
      sameBytes(s, out.bytes(), content, `basic-ftp download of ${JSON.stringify(name)}`);
    }
    await s.step('basic-ftp', 'ensureDir("/up/deep")', () => b.ensureDir('/up/deep'));
    if (!fs.statSync(path.join(s.root, 'up', 'deep'), { throwIfNoEntry: false })?.isDirectory()) throw failure(s, 'basic-ftp ensureDir("/up/deep") succeeded, but <root>/up/deep is not a directory on disk.');
    const here = await s.step('basic-ftp', 'pwd()', () => b.pwd());
    if (here !== '/up/deep') throw failure(s, `After ensureDir("/up/deep") (MKD and CWD per segment) pwd() gave ${JSON.stringify(here)}; expected "/up/deep".`);
    for (const [name, content] of [['allbytes.bin', ALL_BYTES], ['crlf mix.bin', CRLF_MIX], ['empty.bin', Buffer.alloc(0)], ['ünï 文件.bin', Buffer.from('utf-8 名前\n')]] as const) {
      await s.step('basic-ftp', `uploadFrom(${JSON.stringify(name)})`, () => b.uploadFrom(Readable.from([content]), name));
      // basic-ftp resolves after the 226: the file must be complete on disk by then (ftp.md §5.2.6).
      sameBytes(s, s.onDisk(`up/deep/${name}`) ?? Buffer.from('(missing)'), content, `<root>/up/deep/${name} right after basic-ftp's upload`);
    }
    await s.step('basic-ftp', 'cdup()', () => b.cdup());
    await s.step('basic-ftp', 'cd("/")', () => b.cd('/'));
    const size = await s.step('basic-ftp', 'size("allbytes.bin")', () => b.size('allbytes.bin'));
    if (size !== ALL_BYTES.length) throw failure(s, `basic-ftp size("allbytes.bin") gave ${size}; the file has ${ALL_BYTES.length} bytes.`);
    const mod = await s.step('basic-ftp', 'lastMod("hello.txt")', () => b.lastMod('hello.txt'));
    const mtime = fs.statSync(path.join(s.root, 'hello.txt')).mtimeMs;
    if (Math.abs(mod.getTime() - mtime) > 2000) throw failure(s, `basic-ftp lastMod("hello.txt") gave ${mod.toISOString()}, but the file was modified at ${new Date(mtime).toISOString()}: MDTM answers "213 YYYYMMDDHHMMSS" in UTC.`);
    await s.step('basic-ftp', 'rename("up/deep/allbytes.bin", "moved.bin")', () => b.rename('up/deep/allbytes.bin', 'moved.bin'));
    sameBytes(s, s.onDisk('moved.bin') ?? Buffer.from('(missing)'), ALL_BYTES, '<root>/moved.bin after the rename');
    await s.step('basic-ftp', 'remove("moved.bin")', () => b.remove('moved.bin'));
    if (s.onDisk('moved.bin')) throw failure(s, 'basic-ftp remove("moved.bin") succeeded, but the file is still on disk.');
    await s.step('basic-ftp', 'removeDir("up") (recursive: list, DELE, CDUP, RMD)', () => b.removeDir('up'));
    if (fs.existsSync(path.join(s.root, 'up'))) throw failure(s, 'basic-ftp removeDir("up") succeeded, but <root>/up is still there.');
    const local = path.join(s.base, 'local-sub');
    await s.step('basic-ftp', 'downloadToDir(local, "sub")', () => b.downloadToDir(local, 'sub'));
    for (const rel of ['a.txt', 'deeper/n.txt']) {
      sameBytes(s, fs.readFileSync(path.join(local, rel)), FIXTURES[`sub/${rel}`]!, `downloadToDir: sub/${rel}`);
    }
    b.close();
  });

  ftpCase(`F03 a 32 MiB file of random bytes: basic-ftp upload and download, sha256 equal, the upload complete on disk at the 226`, { big: true, reproduce: CURL_BIG }, async (s) => {
    const { data, sha } = bigFile();
    const b = await s.basic('basic-ftp');
    let t0 = performance.now();
    await s.step('basic-ftp', 'uploadFrom(32 MiB, "big-up.bin")', () => b.uploadFrom(Readable.from([data]), 'big-up.bin'));
    s.transcript.log('basic-ftp', `upload took ${Math.round(performance.now() - t0)} ms`);
    const onDisk = s.onDisk('big-up.bin') ?? Buffer.alloc(0);
    if (sha256(onDisk) !== sha) sameBytes(s, onDisk, data, '<root>/big-up.bin right after the 226 of its upload');
    t0 = performance.now();
    const out = sink();
    await s.step('basic-ftp', 'downloadTo("big.bin")', () => b.downloadTo(out.stream, 'big.bin'));
    s.transcript.log('basic-ftp', `download took ${Math.round(performance.now() - t0)} ms`);
    const got = out.bytes();
    if (sha256(got) !== sha) sameBytes(s, got, data, 'the download of big.bin (32 MiB)');
    s.transcript.log('', `32 MiB both ways, sha256 ${sha.slice(0, 16)}... equal`);
  });

  ftpCase('F04 curl recipes (ftp.md §11): list, download, --disable-epsv, upload, --ftp-create-dirs, -Q RNFR/RNTO and DELE, -I, exit codes', { reproduce: byHand }, async (s) => {
    if (!hasProgram('curl')) {
      s.transcript.log('', 'curl is not installed: the case is skipped');
      return;
    }
    const local = path.join(s.base, 'curl');
    fs.mkdirSync(local);
    const curl = async (why: string, args: string[], wantCode = 0) => {
      const r = await run(s, 'curl', 'curl', ['-sS', '--max-time', '8', ...args], { cwd: local });
      if (r.code !== wantCode) throw failure(s, `curl (${why}) exited with ${r.code}, expected ${wantCode}${r.stderr ? `: ${r.stderr.trim()}` : ''} (curl's codes: ftp.md §4).`);
      return r.stdout;
    };
    const list = await curl('list the root', [url(s)]);
    for (const [name] of ROOT_ENTRIES) {
      if (!list.split(/\r?\n/).some((l) => l.endsWith(` ${name}`))) throw failure(s, `curl's listing of "/" has no line ending in ${JSON.stringify(name)}:\n${list}`);
    }
    const files: [string, string, Buffer][] = [
      ['allbytes.bin', 'allbytes.bin', ALL_BYTES],
      ['name%20with%20spaces.txt', 'spaces.txt', FIXTURES['name with spaces.txt']!],
      [encodeURIComponent('ünïcödé-文件.txt'), 'unicode.txt', FIXTURES['ünïcödé-文件.txt']!],
      ['sub/deeper/n.txt', 'n.txt', FIXTURES['sub/deeper/n.txt']!],
      ['empty.txt', 'empty.txt', Buffer.alloc(0)],
    ];
    for (const [remote, out, content] of files) {
      await curl(`download ${remote}`, ['-o', out, url(s, remote)]);
      sameBytes(s, fs.readFileSync(path.join(local, out)), content, `curl download of ${remote}`);
    }
    await curl('download over PASV', ['--disable-epsv', '-o', 'crlf.bin', url(s, 'crlfmix.bin')]);
    sameBytes(s, fs.readFileSync(path.join(local, 'crlf.bin')), CRLF_MIX, 'curl --disable-epsv download of crlfmix.bin');
    fs.writeFileSync(path.join(local, 'up.bin'), ALL_BYTES);
    await curl('upload', ['-T', 'up.bin', url(s)]);
    sameBytes(s, s.onDisk('up.bin') ?? Buffer.from('(missing)'), ALL_BYTES, '<root>/up.bin after curl -T');
    await curl('upload with --ftp-create-dirs', ['--ftp-create-dirs', '-T', 'up.bin', url(s, 'new/dir/')]);
    sameBytes(s, s.onDisk('new/dir/up.bin') ?? Buffer.from('(missing)'), ALL_BYTES, '<root>/new/dir/up.bin after curl --ftp-create-dirs -T');
    await curl('rename with -Q', ['-Q', 'RNFR up.bin', '-Q', 'RNTO renamed.bin', url(s)]);
    if (!s.onDisk('renamed.bin') || s.onDisk('up.bin')) throw failure(s, 'curl -Q "RNFR up.bin" -Q "RNTO renamed.bin" succeeded, but <root>/renamed.bin is not there or <root>/up.bin still is.');
    await curl('delete with -Q', ['-Q', 'DELE renamed.bin', url(s)]);
    if (s.onDisk('renamed.bin')) throw failure(s, 'curl -Q "DELE renamed.bin" succeeded, but the file is still on disk.');
    const head = await curl('-I (MDTM, SIZE)', ['-I', url(s, 'hello.txt')]);
    if (!/Content-Length: 12\b/.test(head) || !/Last-Modified: /.test(head)) throw failure(s, `curl -I of hello.txt printed ${JSON.stringify(head)}; expected "Content-Length: 12" (SIZE) and a "Last-Modified:" line (MDTM).`);
    await curl('a wrong password', [`ftp://${USER}:wrong@127.0.0.1:${s.port}/`], 67);
    await curl('a missing file', ['-o', 'missing', url(s, 'no-such-file.txt')], 78);
  });

  ftpCase('F05 each command\'s reply (ftp.md §3.4): PWD quoting, CWD/CDUP, TYPE, MODE, STRU, SIZE, MDTM, MKD, RMD, DELE, RNFR/RNTO, STOR, RETR, unknown verbs', { reproduce: `nc -C 127.0.0.1 ${SERVE_PORT}` }, async (s) => {
    const pre = await s.connect('pre-login');
    await pre.greeting();
    await pre.cmd(`PASS ${PASSWORD}`, 503, 'PASS without USER');
    const c = await s.session('client-1');
    await c.cmd('noop', 200, 'a lower-case verb (verbs are case-insensitive)');
    const mkd = await c.cmd('MKD a"b', 257, 'MKD of a name with a double quote');
    if (!mkd.text.startsWith('257 "/a""b"')) throw failure(s, `MKD a"b answered ${JSON.stringify(mkd.text)}; a 257 reply carries the path in double quotes with any quote inside doubled: 257 "/a""b" created (ftp.md §2.2).`);
    await c.cmd('CWD a"b', 250, 'CWD into it');
    const pwd = await c.cmd('PWD', 257);
    if (!pwd.text.startsWith('257 "/a""b"')) throw failure(s, `PWD in /a"b answered ${JSON.stringify(pwd.text)}; expected 257 "/a""b" ... (quotes doubled).`);
    await c.cmd('CDUP', [200, 250], 'CDUP');
    await c.cmd('CDUP', [200, 250], 'CDUP at the root (stays at /)');
    const top = await c.cmd('PWD', 257);
    if (!top.text.startsWith('257 "/"')) throw failure(s, `After CDUP at the root, PWD answered ${JSON.stringify(top.text)}; the root is the top: stay at "/".`);
    await c.cmd('CWD no-such-dir', 550, 'CWD to a missing directory');
    await c.cmd('CWD hello.txt', 550, 'CWD to a file');
    await c.cmd('CWD sub/deeper', 250, 'CWD with a multi-segment relative path');
    const deep = await c.cmd('PWD', 257);
    if (!deep.text.startsWith('257 "/sub/deeper"')) throw failure(s, `After CWD sub/deeper, PWD answered ${JSON.stringify(deep.text)}; expected 257 "/sub/deeper".`);
    await c.cmd('CWD /', 250, 'CWD to an absolute (virtual) path');
    for (const t of ['A', 'A N', 'I', 'L 8']) await c.cmd(`TYPE ${t}`, 200, `TYPE ${t}`);
    await c.cmd('TYPE E', (code) => code >= 500 && code < 600, 'TYPE E (EBCDIC: not supported)');
    await c.cmd('MODE S', 200);
    await c.cmd('STRU F', 200);
    await c.cmd('MODE B', (code) => code >= 500, 'MODE B (not supported)');
    await c.cmd('STRU R', (code) => code >= 500, 'STRU R (not supported)');
    const size = await c.cmd('SIZE allbytes.bin', 213, 'SIZE of a file');
    if (size.text.trim() !== '213 4096') throw failure(s, `SIZE allbytes.bin answered ${JSON.stringify(size.text)}; expected "213 4096".`);
    await c.cmd('SIZE sub', 550, 'SIZE of a directory');
    await c.cmd('SIZE no-such-file', 550, 'SIZE of a missing file');
    const mdtm = await c.cmd('MDTM hello.txt', 213, 'MDTM of a file');
    const m = /^213 (\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?$/.exec(mdtm.text.trim());
    const mtime = fs.statSync(path.join(s.root, 'hello.txt')).mtimeMs;
    const want = new Date(mtime).toISOString().replace(/[-T:]/g, '').slice(0, 14);
    const [, y, mo, d, h, mi, sec] = (m ?? []).map(Number);
    if (!m || Math.abs(Date.UTC(y!, mo! - 1, d, h, mi, sec) - mtime) > 1500) throw failure(s, `MDTM hello.txt answered ${JSON.stringify(mdtm.text)}; expected "213 ${want}" (the modification time in UTC, 14 digits).`);
    await c.cmd('MDTM no-such-file', 550, 'MDTM of a missing file');
    await c.cmd('MKD sub', 550, 'MKD of an existing directory');
    await c.cmd('RMD sub', 550, 'RMD of a directory that is not empty');
    await c.cmd('RMD no-such-dir', 550, 'RMD of a missing directory');
    await c.cmd('RMD a"b', 250, 'RMD of an empty directory');
    if (fs.existsSync(path.join(s.root, 'a"b'))) throw failure(s, 'RMD a"b answered 250, but the directory is still on disk.');
    await c.cmd('DELE sub', 550, 'DELE of a directory');
    await c.cmd('DELE no-such-file', 550, 'DELE of a missing file');
    await c.cmd('RNFR no-such-file', 550, 'RNFR of a missing file');
    await c.cmd('RNTO somewhere', 503, 'RNTO without RNFR');
    await c.cmd('RNFR hello.txt', 350, 'RNFR of an existing file');
    await c.cmd('NOOP', 200);
    await c.cmd('RNTO cancelled.txt', 503, 'RNTO after another command (that command cancelled the pending rename)');
    await c.cmd('RNFR hello.txt', 350, 'RNFR');
    await c.cmd('RNTO sub/hello moved.txt', 250, 'RNTO into a subdirectory');
    if (!s.onDisk('sub/hello moved.txt') || s.onDisk('hello.txt')) throw failure(s, 'RNFR hello.txt + RNTO "sub/hello moved.txt" answered 250, but the file did not move on disk.');
    // A missing file or directory is refused before any data connection is used.
    await c.epsv();
    await c.cmd('RETR no-such-file', 550, 'RETR of a missing file (refused before 150)');
    await c.epsv();
    await c.cmd('RETR sub', 550, 'RETR of a directory (refused before 150)');
    await c.epsv();
    await c.cmd('STOR no-such-dir/f.txt', [550, 553], 'STOR into a missing directory');
    await c.cmd('XYZZY', 500, 'an unknown verb');
    await c.cmd('NOOP', 200, 'NOOP after a 500: the session goes on');
    await upload(s, c, 'new.txt', Buffer.from('abc'));
    await upload(s, c, 'new.txt', Buffer.from('x'));
    sameBytes(s, s.onDisk('new.txt') ?? Buffer.alloc(0), Buffer.from('x'), 'a second STOR of new.txt (STOR truncates)');
  });

  ftpCase('S18 binary safety in TYPE A and TYPE I: every byte value, CR/LF mixtures and the empty file go through unchanged both ways; SIZE is exact', { reproduce: `curl --disable-epsv -o allbytes.bin ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/allbytes.bin` }, async (s) => {
    const c = await s.session('client-1');
    for (const type of ['A', 'I']) {
      await c.cmd(`TYPE ${type}`, 200);
      for (const [name, mode] of [['allbytes.bin', 'epsv'], ['crlfmix.bin', 'pasv'], ['empty.txt', 'epsv']] as const) {
        const got = await download(s, c, name, mode);
        sameBytes(s, got, FIXTURES[name]!, `RETR ${name} in TYPE ${type}`);
        const size = await c.cmd(`SIZE ${name}`, 213, `SIZE in TYPE ${type}`);
        if (size.text.trim() !== `213 ${FIXTURES[name]!.length}`) throw failure(s, `SIZE ${name} in TYPE ${type} answered ${JSON.stringify(size.text)}; the file has ${FIXTURES[name]!.length} bytes, and bytes go unchanged in both types.`);
      }
      for (const [name, content] of [['up-all.bin', ALL_BYTES], ['up-crlf.bin', CRLF_MIX], ['up-empty.bin', Buffer.alloc(0)]] as const) {
        await upload(s, c, `${type}-${name}`, content, 'pasv');
        sameBytes(s, s.onDisk(`${type}-${name}`) ?? Buffer.from('(missing)'), content, `<root>/${type}-${name} after STOR in TYPE ${type}`);
      }
    }
  });

  ftpCase('S19 names with spaces (leading, trailing, inside) and UTF-8: STOR, RETR, MKD, CWD, RNFR/RNTO, DELE keep them exactly; NLST and LIST show them exactly', { reproduce: `curl -T welcome.txt "ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/pub/name%20with%20spaces.txt" && curl -l ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/pub/` }, async (s) => {
    const c = await s.session('client-1');
    const names = [' lead space.txt', 'trail space.txt ', 'in  two  spaces.txt', 'ünïcödé 文件 ✓.bin'];
    for (const name of names) await upload(s, c, name, Buffer.from(`content of [${name}]`));
    const disk = fs.readdirSync(s.root);
    for (const name of names) {
      if (!disk.includes(name)) throw failure(s, `After STOR ${JSON.stringify(name)}, <root> holds [${disk.map((n) => JSON.stringify(n)).join(', ')}]: the argument is everything after the first space up to CRLF, untrimmed, UTF-8 (ftp.md §2.1).`);
      sameBytes(s, await download(s, c, name), Buffer.from(`content of [${name}]`), `RETR ${JSON.stringify(name)}`);
    }
    await c.cmd('MKD dir with ünï', 257, 'MKD of a name with spaces and UTF-8');
    await c.cmd('CWD dir with ünï', 250, 'CWD into it');
    const pwd = await c.cmd('PWD', 257);
    if (!pwd.text.startsWith('257 "/dir with ünï"')) throw failure(s, `PWD answered ${JSON.stringify(pwd.text)}; expected 257 "/dir with ünï".`);
    await c.cmd('CDUP', [200, 250]);
    await c.cmd('RNFR name with spaces.txt', 350);
    await c.cmd('RNTO dir with ünï/ renamed ✓ ', 250, 'RNTO a name with leading and trailing spaces in a subdirectory');
    if (!fs.existsSync(path.join(s.root, 'dir with ünï', ' renamed ✓ '))) throw failure(s, `After RNTO "dir with ünï/ renamed ✓ " the directory holds [${fs.readdirSync(path.join(s.root, 'dir with ünï')).map((n) => JSON.stringify(n)).join(', ')}].`);
    await c.cmd('DELE  lead space.txt', 250, 'DELE " lead space.txt" (the argument starts after the first space)');
    if (fs.existsSync(path.join(s.root, ' lead space.txt'))) throw failure(s, 'DELE " lead space.txt" answered 250, but the file is still there.');
    const nlst = (await listing(s, c, 'NLST')).split(/\r?\n/).filter(Boolean);
    const want = fs.readdirSync(s.root).sort();
    if (JSON.stringify([...nlst].sort()) !== JSON.stringify(want)) throw failure(s, `NLST gave [${nlst.map((n) => JSON.stringify(n)).join(', ')}]; <root> holds [${want.map((n) => JSON.stringify(n)).join(', ')}]: one bare name per line, exactly as on disk.`);
    const list = parseList(s, await listing(s, c, 'LIST'), 'LIST of "/"');
    for (const name of want) if (!list.has(name)) throw failure(s, `LIST of "/" has no line whose name is exactly ${JSON.stringify(name)}; found [${[...list.keys()].map((n) => JSON.stringify(n)).join(', ')}].`);
  });

  ftpCase('B20 LIST -a, LIST -la, LIST -l sub, LIST -al: options, not paths; LIST of a file, of a missing path; the Unix line format; basic-ftp parses it', { reproduce: `curl -Q "" ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/sub/` }, async (s) => {
    const c = await s.session('client-1');
    const root = parseList(s, await listing(s, c, 'LIST'), 'LIST of "/"');
    for (const [name, want] of ROOT_ENTRIES) {
      const got = root.get(name);
      if (!got || got.dir !== want.dir || (!want.dir && got.size !== want.size)) throw failure(s, `LIST of "/" shows ${JSON.stringify(name)} as ${got ? (got.dir ? 'a directory' : `a file of ${got.size} bytes`) : 'nothing'}; it is ${want.dir ? 'a directory' : `a file of ${want.size} bytes`}.`);
    }
    for (const cmd of ['LIST -a', 'LIST -la', 'LIST -al', 'LIST -l']) {
      const got = parseList(s, await listing(s, c, cmd, 'pasv'), cmd);
      if (!got.has('hello.txt') || !got.has('sub')) throw failure(s, `${cmd} listed [${[...got.keys()].join(', ')}] instead of the current directory: a leading -a, -l, -la or -al is an option, not a path (B20).`);
    }
    const sub = parseList(s, await listing(s, c, 'LIST -l sub'), 'LIST -l sub');
    if (!sub.has('a.txt') || !sub.get('deeper')?.dir) throw failure(s, `LIST -l sub listed [${[...sub.keys()].join(', ')}]; expected a.txt and the directory deeper.`);
    const one = parseList(s, await listing(s, c, 'LIST hello.txt'), 'LIST hello.txt');
    if (one.size !== 1 || one.get('hello.txt')?.size !== 12) throw failure(s, `LIST hello.txt listed [${[...one.keys()].join(', ')}]; LIST of a file shows that one entry (ftp.md §6.3).`);
    await c.epsv();
    await c.cmd('LIST no-such-dir', [450, 550], 'LIST of a missing path');
    await c.cmd('NOOP', 200, 'NOOP after a refused LIST');
    const b = await s.basic('basic-ftp');
    const list = await s.step('basic-ftp', 'list("sub")', () => b.list('sub'));
    if (!list.some((f) => f.name === 'a.txt' && f.isFile && f.size === FIXTURES['sub/a.txt']!.length) || !list.some((f) => f.name === 'deeper' && f.isDirectory)) {
      throw failure(s, `basic-ftp list("sub") gave [${describeList(list)}]; expected a.txt (${FIXTURES['sub/a.txt']!.length} bytes) and the directory deeper.`);
    }
  });

  ftpCase('L09 LIST, RETR and STOR without PASV or EPSV first: 425 each, and the session goes on; each PASV serves one transfer', { reproduce: `printf 'USER ${HAND_USER}\\r\\nPASS ${HAND_PASSWORD}\\r\\nLIST\\r\\n' | nc -C 127.0.0.1 ${SERVE_PORT}` }, async (s) => {
    const c = await s.session('client-1');
    await c.cmd('LIST', 425, 'LIST with no PASV/EPSV before it ("425 Use PASV or EPSV first.")');
    await c.cmd('RETR hello.txt', 425, 'RETR with no PASV/EPSV before it');
    await c.cmd('STOR x.txt', 425, 'STOR with no PASV/EPSV before it');
    if (s.onDisk('x.txt')) throw failure(s, 'STOR x.txt without PASV was refused, yet <root>/x.txt was created.');
    await c.cmd('NOOP', 200);
    sameBytes(s, await download(s, c, 'hello.txt'), FIXTURES['hello.txt']!, 'RETR hello.txt after EPSV');
    await c.cmd('RETR hello.txt', 425, 'a second RETR without a new PASV/EPSV (the data connection of the first is gone)');
    await c.cmd('NOOP', 200);
  });

  ftpCase('L12 PASV announces the address the client connected to (127,0,0,1) and EPSV works: basic-ftp lists and downloads through each one alone', { reproduce: `curl --disable-epsv -v ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/` }, async (s) => {
    const c = await s.session('client-1');
    await c.pasv(); // checks the address
    await c.epsv();
    await c.cmd('EPSV 1', 229, 'EPSV 1 (IPv4)');
    await c.cmd('EPSV 2', (code) => code >= 500, 'EPSV 2 (IPv6, which this IPv4 server cannot do: 522)');
    await c.cmd('NOOP', 200);
    for (const [mode, strategy] of [['PASV', enterPassiveModeIPv4], ['EPSV', enterPassiveModeIPv6]] as const) {
      const b = await s.basic(`basic-ftp/${mode}`);
      b.prepareTransfer = strategy;
      const list = await s.step(`basic-ftp/${mode}`, `list() over ${mode} only`, () => b.list());
      if (!list.some((f) => f.name === 'hello.txt')) throw failure(s, `basic-ftp list() over ${mode} gave [${describeList(list)}] without hello.txt.`);
      const out = sink();
      await s.step(`basic-ftp/${mode}`, `downloadTo("allbytes.bin") over ${mode} only`, () => b.downloadTo(out.stream, 'allbytes.bin'));
      sameBytes(s, out.bytes(), ALL_BYTES, `basic-ftp download over ${mode}`);
      b.close();
    }
  });

  ftpCase('B07 OPTS MLST, an unknown verb, SITE HELP: an error reply each, never a disconnect; NOOP still 200 and basic-ftp access() + list() work', { reproduce: `nc -C 127.0.0.1 ${SERVE_PORT}` }, async (s) => {
    const c = await s.session('client-1');
    await c.cmd('OPTS MLST type;size;', (code) => code === 200 || (code >= 500 && code < 600), 'OPTS MLST (200 if supported, else 501/502)');
    await c.cmd('FOO', [500, 502], 'an unknown verb');
    await c.cmd('SITE HELP', (code) => code === 200 || code === 214 || (code >= 500 && code < 600), 'SITE HELP');
    await c.cmd('OPTS UTF8 ON', (code) => code === 200 || (code >= 500 && code < 600), 'OPTS UTF8 ON');
    await c.cmd('AUTH TLS', (code) => code >= 500 && code < 600, 'AUTH TLS (no TLS here: a 5xx, and lftp goes on in plain text)');
    await c.cmd('NOOP', 200, 'NOOP after the refused commands: the session is still open');
    const b = await s.basic('basic-ftp');
    const list = await s.step('basic-ftp', 'list()', () => b.list());
    if (!list.some((f) => f.name === 'sub' && f.isDirectory)) throw failure(s, `basic-ftp list() gave [${describeList(list)}]; expected the directory sub among them.`);
  });

  ftpCase('L10 FEAT: a well-formed 211 (before and after login) that advertises MLST only with complete MLSD facts; lftp mirror keeps normal modes', { reproduce: `lftp -u ${HAND_USER},${HAND_PASSWORD} -p ${SERVE_PORT} 127.0.0.1 -e "set net:max-retries 1; mirror sub local; bye"` }, async (s) => {
    const pre = await s.connect('pre-login');
    await pre.greeting();
    const feat0 = await pre.cmd('FEAT', [211, 500, 502], 'FEAT before login (lftp sends it)');
    const c = await s.session('client-1');
    const feat = await c.cmd('FEAT', 211, 'FEAT after login');
    for (const r of [feat0, feat].filter((r) => r.code === 211 && r.lines.length > 1)) {
      for (const line of r.lines.slice(1, -1)) if (!line.startsWith(' ')) throw failure(s, `The FEAT reply's line ${JSON.stringify(line)} does not start with a space: each feature sits on its own line starting with one space, between "211-..." and "211 End" (ftp.md §2.2).`);
    }
    const features = feat.lines.slice(1, -1).map((l) => l.trim());
    const mlst = features.find((f) => /^MLST\b/i.test(f));
    if (mlst) {
      const facts = mlst.slice(4).trim().toLowerCase();
      const body = await listing(s, c, 'MLSD');
      for (const line of body.split(/\r?\n/).filter(Boolean)) {
        const [factText, name] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
        const have = new Set(factText.split(';').filter(Boolean).map((f) => f.split('=')[0]!.toLowerCase()));
        const need = ['type', ...(/\bunix\.mode\b/.test(facts) ? ['unix.mode'] : [])];
        for (const fact of need) if (!have.has(fact)) throw failure(s, `FEAT advertises ${JSON.stringify(mlst)}, but the MLSD line for ${JSON.stringify(name)} has no ${fact} fact (${JSON.stringify(line)}): advertise MLST only with complete MLSD (L10; lftp mirror then creates files with mode 000).`);
      }
    }
    if (!hasProgram('lftp')) {
      s.transcript.log('', 'lftp is not installed: the mirror part is skipped');
      return;
    }
    const local = path.join(s.base, 'lftp');
    fs.mkdirSync(path.join(local, 'up', 'inner'), { recursive: true });
    fs.writeFileSync(path.join(local, 'up', 'inner', 'u.bin'), ALL_BYTES);
    const script = 'set net:max-retries 1; set net:timeout 8; set cmd:fail-exit yes; set ftp:ssl-allow no; mirror sub local-sub; mirror -R up remote-up; bye';
    const r = await run(s, 'lftp', 'lftp', ['-u', `${USER},${PASSWORD}`, '-p', String(s.port), '127.0.0.1', '-e', script], { cwd: local, timeoutMs: 12_000 });
    if (r.code !== 0) throw failure(s, `lftp "${script}" exited with ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    for (const [rel, content] of [['local-sub/a.txt', FIXTURES['sub/a.txt']!], ['local-sub/deeper/n.txt', FIXTURES['sub/deeper/n.txt']!]] as const) {
      const file = path.join(local, rel);
      if (!fs.existsSync(file)) throw failure(s, `lftp mirror sub local-sub did not create ${rel}.`);
      sameBytes(s, fs.readFileSync(file), content, `lftp mirror: ${rel}`);
      const mode = fs.statSync(file).mode & 0o777;
      if ((mode & 0o600) !== 0o600) throw failure(s, `lftp mirror created ${rel} with mode ${mode.toString(8).padStart(3, '0')}: the MLSD facts told it so (L10).`);
    }
    sameBytes(s, s.onDisk('remote-up/inner/u.bin') ?? Buffer.from('(missing)'), ALL_BYTES, 'lftp mirror -R: <root>/remote-up/inner/u.bin');
  });

  ftpCase('L11 SYST answers 215 (UNIX Type: L8), so tnftp switches to binary: its download of a CR/LF mixture is byte-identical', { reproduce: `printf 'user ${HAND_USER} ${HAND_PASSWORD}\\nget crlfmix.bin out.bin\\nbye\\n' | ftp -n -v 127.0.0.1 ${SERVE_PORT}` }, async (s) => {
    const c = await s.session('client-1');
    const syst = await c.cmd('SYST', 215, 'SYST');
    if (!/^215 UNIX\b/.test(syst.text)) s.transcript.log('', `note: ${JSON.stringify(syst.text)} works, though "215 UNIX Type: L8" is the universal form`);
    if (!hasProgram('ftp')) {
      s.transcript.log('', 'tnftp (ftp) is not installed: the client part is skipped');
      return;
    }
    const local = path.join(s.base, 'tnftp');
    fs.mkdirSync(local);
    const r = await run(s, 'tnftp', 'ftp', ['-n', '-v', '127.0.0.1', String(s.port)], { cwd: local, input: `user ${USER} ${PASSWORD}\nget crlfmix.bin out.bin\nget allbytes.bin all.bin\nbye\n`, timeoutMs: 10_000 });
    for (const [file, content] of [['out.bin', CRLF_MIX], ['all.bin', ALL_BYTES]] as const) {
      const got = fs.existsSync(path.join(local, file)) ? fs.readFileSync(path.join(local, file)) : undefined;
      if (!got) throw failure(s, `tnftp did not write ${file} (its output: ${JSON.stringify((r.stdout + r.stderr).slice(-400))}).`);
      sameBytes(s, got, content, `tnftp get into ${file}`);
    }
  });
}
