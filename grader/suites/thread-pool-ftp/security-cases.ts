// Cases about what a client must never get: commands before login (S1), paths out of the root (B01,
// B02, B04, S5, S6, L07), the FTP bounce (B05), a stolen passive port (B14, S12), and malformed input on
// the control connection: NUL bytes, overlong lines, empty lines, split and pipelined commands, a FIN
// right after QUIT (L01, L02, B15, B28-B30).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { failure } from '../../harness/clients.ts';
import { sleep } from '../../harness/ftp-client.ts';
import { parseList } from './client-cases.ts';
import { download, FIXTURES, ftpCase, HAND_PASSWORD, HAND_USER, listing, PASSWORD, sameBytes, SERVE_PORT, USER, type FtpControl, type FtpStage } from './support.ts';

const nc = (lines: string) => `printf '${lines}' | nc -C 127.0.0.1 ${SERVE_PORT}`;
const login = `USER ${HAND_USER}\\r\\nPASS ${HAND_PASSWORD}\\r\\n`;
const is5xx = (code: number) => code >= 500 && code < 600;

/** Every file and directory under `dir` except `skip`, with a digest of each file: what must not change. */
function snapshot(dir: string, skip: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (p === skip) continue;
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        out.push(`${path.relative(dir, p)}/`);
        walk(p);
      } else out.push(`${path.relative(dir, p)} ${st.size} ${st.isSymbolicLink() ? fs.readlinkSync(p) : fs.readFileSync(p).toString('base64').slice(0, 64)}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

function unchangedOutside(s: FtpStage, before: string, what: string): void {
  const after = snapshot(s.base, s.root);
  if (after === before) return;
  const a = new Set(before.split('\n'));
  const b = new Set(after.split('\n'));
  const gone = [...a].filter((x) => !b.has(x)).map((x) => x.split(' ')[0]);
  const added = [...b].filter((x) => !a.has(x)).map((x) => x.split(' ')[0]);
  throw failure(s, `${what} changed the disk OUTSIDE the root: ${added.length ? `created or changed ${added.map((x) => `<base>/${x}`).join(', ')}` : ''}${added.length && gone.length ? '; ' : ''}${gone.length ? `removed or changed ${gone.map((x) => `<base>/${x}`).join(', ')}` : ''}. Resolve every argument to a path inside the root, then check the final resolved path, symlinks followed (ftp.md §9 S4, S6).`);
}

/** RETR through a fresh EPSV: the first reply's code and any bytes that came (which must hold no secret). */
async function tryRetr(s: FtpStage, c: FtpControl, file: string): Promise<number> {
  const port = await c.epsv();
  const d = await s.data(`${c.name}/data`, port);
  const first = await c.cmd(`RETR ${file}`, () => true, `RETR ${file}`);
  if (first.code === 150 || first.code === 125) {
    const got = await d.readAll(3000, `RETR ${file}`);
    await c.reply(3000, 'the end of the transfer');
    s.noLeak(got.toString('latin1'), `RETR ${JSON.stringify(file)} sent data that`);
  }
  d.close();
  s.noLeak(first.text, `The reply to RETR ${JSON.stringify(file)}`);
  return first.code;
}

async function refusedRetr(s: FtpStage, c: FtpControl, file: string, why: string): Promise<void> {
  const code = await tryRetr(s, c, file);
  if (!is5xx(code)) throw failure(s, `RETR ${JSON.stringify(file)} answered ${code}; ${why}: expected 550.`);
}

/** PWD must be a virtual path; returns it. */
async function pwd(s: FtpStage, c: FtpControl): Promise<string> {
  const r = await c.cmd('PWD', 257);
  const m = /^257 "((?:[^"]|"")*)"/.exec(r.text);
  if (!m) throw failure(s, `PWD answered ${JSON.stringify(r.text)}; expected 257 "<path>" ...`);
  s.noLeak(r.text, 'The PWD reply');
  return m[1]!.replaceAll('""', '"');
}

export function securityCases(): void {
  ftpCase('S1 nothing but USER, PASS, QUIT, FEAT (and SYST, NOOP, OPTS, AUTH) before login: LIST, RETR, STOR, PASV, EPSV, CWD, MKD, DELE, PWD... get 530, no data port opens', { reproduce: nc('LIST\\r\\nRETR welcome.txt\\r\\nPASV\\r\\n') }, async (s) => {
    const start = s.server.openDescriptors();
    const c = await s.connect('no-login');
    await c.greeting();
    const refused = ['LIST', 'NLST', 'RETR hello.txt', 'STOR planted.txt', 'APPE planted.txt', 'PASV', 'EPSV', 'PORT 127,0,0,1,200,10', 'CWD /', 'CWD sub', 'CDUP', 'MKD planted-dir', 'RMD sub', 'DELE hello.txt', 'RNFR hello.txt', 'PWD', 'SIZE hello.txt', 'MDTM hello.txt', 'TYPE I'];
    for (const cmd of refused) {
      const r = await c.cmd(cmd, () => true, `${cmd.split(' ')[0]} before login`);
      if (r.code !== 530) {
        throw failure(s, `${cmd} before login answered ${JSON.stringify(r.text)}; only USER, PASS, QUIT, FEAT (and SYST, NOOP, OPTS, AUTH) are allowed before login: everything else gets "530 Please log in first." (ftp.md §3.4, S1).`);
      }
      if (s.server.openDescriptors() > start + 1) throw failure(s, `After ${cmd} before login, the server holds ${s.server.openDescriptors() - start - 1} descriptor(s) more than the control connection: a refused command opens nothing (no passive listener, no file).`);
    }
    if (s.onDisk('planted.txt') || fs.existsSync(path.join(s.root, 'planted-dir')) || !s.onDisk('hello.txt')) throw failure(s, 'Commands refused before login changed the root anyway.');
    await c.cmd('FEAT', [211, 500, 502], 'FEAT before login (allowed)');
    await c.cmd('SYST', [215, 530], 'SYST before login');
    await c.cmd('NOOP', [200, 530], 'NOOP before login');
    await c.login(USER, PASSWORD);
    const list = parseList(s, await listing(s, c, 'LIST'), 'LIST after login');
    if (!list.has('hello.txt')) throw failure(s, 'After login, LIST does not show hello.txt.');
    await c.cmd('QUIT', 221);
    await c.expectClosed(2000, 'after 221');
  });

  ftpCase('B01 LIST .., CWD .. and friends, RETR ../../x, absolute host paths (/etc): never above the root, no byte from outside (S2, S3)', { reproduce: nc(`${login}CWD ..\\r\\nPWD\\r\\nSIZE ../../secret-top.txt\\r\\n`) }, async (s) => {
    const c = await s.session('client-1');
    await c.cmd('CWD /', 250);
    for (const cmd of ['LIST ..', 'LIST ../..', 'LIST ../../..', 'NLST ..', 'LIST /..', 'NLST /etc']) {
      const port = await c.epsv();
      const d = await s.data('client-1/data', port);
      const first = await c.cmd(cmd, () => true, cmd);
      if (first.code === 150 || first.code === 125) {
        const text = (await d.readAll(3000, cmd)).toString('utf8');
        await c.expect(226, `the end of ${cmd}`);
        s.noLeak(text, `${cmd} listed something that`);
        for (const name of ['srv', 'root', 'root2', 'outside', 'secret-top.txt', 'passwd', 'hostname']) {
          if (text.split(/\r?\n/).some((l) => l === name || l.endsWith(` ${name}`))) throw failure(s, `${cmd} at the root listed ${JSON.stringify(name)}, an entry outside the root:\n${text}\n".." at the root is the root itself (B01).`);
        }
      } else if (!is5xx(first.code) && first.code !== 450) throw failure(s, `${cmd} answered ${JSON.stringify(first.text)}; expected a listing of the root itself, or 550.`);
      d.close();
    }
    for (const file of ['../../secret-top.txt', '../outside/secret.txt', '/../outside/secret.txt', '../../../../../../etc/hostname', '/etc/hostname', '/etc/passwd', 'sub/../../outside/secret.txt']) {
      await refusedRetr(s, c, file, 'the path leads out of the root');
    }
    for (const file of ['../../../../etc/passwd', '/etc/passwd', '../../secret-top.txt']) {
      await c.cmd(`SIZE ${file}`, 550, `SIZE ${file} (out of the root)`);
    }
    await c.cmd('CWD /etc', 550, 'CWD /etc (a host path: the root has no /etc)');
    for (const dir of ['..', '../../../..', 'sub/../../..', '/..', '/../..']) {
      await c.cmd('CWD /sub', 250);
      const r = await c.cmd(`CWD ${dir}`, [250, 550], `CWD ${dir}`);
      const where = await pwd(s, c);
      const want = r.code === 250 ? '/' : '/sub';
      if (where !== want) throw failure(s, `In /sub, CWD ${dir} answered ${r.code} and then PWD showed ${JSON.stringify(where)}; expected ${JSON.stringify(want)}: ".." never climbs above "/" (S2).`);
      const text = await listing(s, c, 'LIST');
      s.noLeak(text, `LIST after CWD ${dir}`);
      if (!parseList(s, text, `LIST after CWD ${dir}`).has(want === '/' ? 'hello.txt' : 'a.txt')) throw failure(s, `After CWD ${dir}, LIST shows something other than ${want}:\n${text}`);
    }
  });

  ftpCase('B02 writing out of the root: STOR ../../x, MKD ../x, RNFR/RNTO ../../x, DELE and RMD of outside files, RNFR of an outside file: 550 or done inside; nothing outside changes (S4)', { reproduce: nc(`${login}MKD ../escape_dir\\r\\nDELE ../outside/secret.txt\\r\\n`) }, async (s) => {
    const before = snapshot(s.base, s.root);
    const c = await s.session('client-1');
    const stor = async (file: string) => {
      const port = await c.epsv();
      const d = await s.data('client-1/data', port);
      const first = await c.cmd(`STOR ${file}`, () => true, `STOR ${file}`);
      if (first.code === 150 || first.code === 125) {
        await d.end(Buffer.from('escaped!\n'));
        await c.reply(3000, 'the end of the upload');
      } else d.close();
    };
    for (const file of ['../../escape.txt', '../escape.txt', '/../../escape.txt', 'sub/../../escape2.txt', '../outside/secret.txt', '../root2/planted.txt']) await stor(file);
    for (const cmd of ['MKD ../escape_dir', 'MKD ../../escape_dir', 'MKD /../escape_dir2', 'DELE ../outside/secret.txt', 'DELE ../../secret-top.txt', 'DELE /../root2/secret.txt', 'RMD ../outside', 'RMD ../../srv']) {
      await c.cmd(cmd, () => true, cmd);
    }
    await c.cmd('RNFR hello.txt', 350);
    await c.cmd('RNTO ../../moved.txt', () => true, 'RNTO ../../moved.txt');
    await c.cmd('RNFR ../outside/secret.txt', () => true, 'RNFR of a file outside the root');
    if (c.replies.at(-1)!.code === 350) {
      await c.cmd('RNTO stolen.txt', () => true, 'RNTO stolen.txt');
      if (s.onDisk('stolen.txt')) throw failure(s, 'RNFR ../outside/secret.txt + RNTO stolen.txt moved a file from outside the root into it: RNFR of a path out of the root is 550.');
    }
    unchangedOutside(s, before, 'Writing commands with ".." in their paths');
    for (const r of c.replies) s.noLeak(r.text, 'A reply');
  });

  ftpCase('B04 backslashes and %2f are ordinary name characters: CWD \\/../../, CWD ..\\..\\.., CWD ....//, SIZE ..%2f..%2fetc%2fpasswd: 550 or a move inside the root, never out (S7)', { reproduce: nc(`${login}CWD ..\\\\..\\\\..\\r\\nPWD\\r\\n`) }, async (s) => {
    const c = await s.session('client-1');
    await c.cmd('CWD /sub/deeper', 250);
    for (const dir of ['..\\..\\..', '....//', '..%2f..%2f..', '\\/../../']) {
      const r = await c.cmd(`CWD ${dir}`, [250, 550], `CWD ${dir}`);
      const where = await pwd(s, c);
      // "\/../../" seen from /sub/deeper is "/sub" if resolved as text, or missing ("\" is a name): both stay inside.
      if (r.code === 250 && !(dir === '\\/../../' && (where === '/sub' || where === '/'))) throw failure(s, `CWD ${dir} answered 250 and PWD is now ${JSON.stringify(where)}: on Linux "\\" and "%2f" are ordinary characters, so there is no such directory: 550 (S7).`);
      const text = await listing(s, c, 'LIST');
      s.noLeak(text, `LIST after CWD ${dir}`);
      await c.cmd('CWD /sub/deeper', 250);
    }
    await c.cmd('SIZE ..%2f..%2fetc%2fpasswd', 550, 'SIZE ..%2f..%2fetc%2fpasswd');
    await c.cmd('SIZE ..\\..\\..\\secret-top.txt', 550, 'SIZE with backslashes');
    await refusedRetr(s, c, '..%2f..%2f..%2f..%2fsecret-top.txt', '"%2f" is not a slash');
  });

  ftpCase('S5 a sibling directory whose name starts with the root\'s (<base>/srv/root2 beside <base>/srv/root) is outside too: RETR, SIZE, CWD through ../root2 or a link to it refused', { reproduce: nc(`${login}SIZE ../root2/secret.txt\\r\\n`) }, async (s) => {
    // Text can't climb out ("..", S2); a symlink can: the check on its real path must compare whole components.
    fs.symlinkSync('../root2', path.join(s.root, 'to-sibling'));
    fs.symlinkSync(path.join(s.base, 'srv', 'root2', 'secret.txt'), path.join(s.root, 'sibling-secret'));
    const c = await s.session('client-1');
    await refusedRetr(s, c, 'to-sibling/secret.txt', 'the link leads to <base>/srv/root2, a sibling of the root whose name merely starts with the root\'s (a startsWith check without the trailing "/")');
    await refusedRetr(s, c, 'sibling-secret', 'the link leads to a file in <base>/srv/root2, beside the root, not inside it');
    await c.cmd('SIZE sibling-secret', 550, 'SIZE of a link into the sibling root2');
    await c.cmd('CWD to-sibling', 550, 'CWD into a link to the sibling root2');
    await refusedRetr(s, c, '../root2/secret.txt', 'root2 is a sibling of the root, not inside it');
    await refusedRetr(s, c, '/../root2/secret.txt', 'root2 is outside the root');
    await c.cmd('SIZE ../root2/secret.txt', 550, 'SIZE ../root2/secret.txt');
    const r = await c.cmd('CWD ../root2', [250, 550], 'CWD ../root2');
    if (r.code === 250) {
      const text = await listing(s, c, 'LIST');
      if (text.includes('secret.txt')) throw failure(s, `CWD ../root2 succeeded and LIST then shows root2's secret.txt:\n${text}`);
    }
  });

  ftpCase('S6 symlinks inside the root that point out of it (absolute, relative, to a file, to a directory) lead nowhere: CWD, SIZE, RETR, LIST, STOR through them 550; a link that stays inside works', { reproduce: nc(`${login}SIZE link-file\\r\\nCWD link-dir\\r\\n`) }, async (s) => {
    const outside = path.join(s.base, 'srv', 'outside');
    fs.symlinkSync(outside, path.join(s.root, 'link-dir'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(s.root, 'link-file'));
    fs.symlinkSync('../outside', path.join(s.root, 'rel'));
    fs.symlinkSync('hello.txt', path.join(s.root, 'link-in-file'));
    fs.symlinkSync('sub', path.join(s.root, 'link-in-dir'));
    const before = snapshot(s.base, s.root);
    const c = await s.session('client-1');
    for (const dir of ['link-dir', 'rel', '/link-dir/', 'sub/../rel']) {
      const r = await c.cmd(`CWD ${dir}`, [250, 550], `CWD ${dir}`);
      if (r.code === 250) {
        const text = await listing(s, c, 'LIST');
        throw failure(s, `CWD ${dir} (a symlink to a directory outside the root) answered 250, and LIST there shows:\n${text}\nCheck the real path (symlinks resolved) against the root (S6).`);
      }
    }
    for (const file of ['link-file', 'link-dir/secret.txt', 'rel/secret.txt']) {
      await c.cmd(`SIZE ${file}`, 550, `SIZE ${file} (through a link that leads out)`);
      await refusedRetr(s, c, file, 'the link leads out of the root');
    }
    for (const cmd of ['LIST link-dir', 'NLST rel', 'LIST link-file']) {
      const port = await c.epsv();
      const d = await s.data('client-1/data', port);
      const first = await c.cmd(cmd, () => true, cmd);
      if (first.code === 150 || first.code === 125) {
        const text = (await d.readAll(3000, cmd)).toString('utf8');
        await c.reply(3000, `the end of ${cmd}`);
        s.noLeak(text, `${cmd} listed something that`);
        if (/secret\.txt/.test(text)) throw failure(s, `${cmd} listed the directory outside the root that the link points to:\n${text}`);
      }
      d.close();
    }
    const port = await c.epsv();
    const d = await s.data('client-1/data', port);
    const first = await c.cmd('STOR link-dir/planted.txt', () => true, 'STOR through a link that leads out');
    if (first.code === 150 || first.code === 125) {
      await d.end(Buffer.from('planted\n'));
      await c.reply(3000, 'the end of the upload');
    }
    unchangedOutside(s, before, 'STOR link-dir/planted.txt');
    sameBytes(s, await download(s, c, 'link-in-file'), FIXTURES['hello.txt']!, 'RETR link-in-file (a link to hello.txt, inside the root)');
    await c.cmd('CWD link-in-dir', 250, 'CWD link-in-dir (a link to sub, inside the root)');
  });

  ftpCase('L07 listings of a directory with symlinks show no link target and no host path; error replies show no host path either (S20)', { reproduce: nc(`${login}EPSV\\r\\nLIST\\r\\n`) }, async (s) => {
    fs.symlinkSync(path.join(s.base, 'srv', 'outside'), path.join(s.root, 'link-out'));
    fs.symlinkSync(path.join(s.root, 'sub'), path.join(s.root, 'link-in'));
    fs.symlinkSync(path.join(s.base, 'nowhere'), path.join(s.root, 'dangling'));
    const c = await s.session('client-1');
    for (const cmd of ['LIST', 'LIST -la', 'NLST', 'LIST sub']) {
      const text = await listing(s, c, cmd);
      s.noLeak(text, `${cmd} of a directory with symlinks`);
      if (text.includes(' -> ')) throw failure(s, `${cmd} prints a symlink target ("name -> target"):\n${text}\nList a link as what it resolves to inside the root, or leave it out (ftp.md §6.3, L07).`);
    }
    for (const cmd of ['CWD link-out', 'CWD dangling', 'SIZE dangling', 'RETR no-such-file', 'MKD sub', 'RMD sub', 'DELE no-such', 'CWD /no/such/dir', 'MDTM link-out']) {
      if (cmd.startsWith('RETR')) await c.epsv();
      await c.cmd(cmd, () => true, cmd);
    }
    await c.cmd('MKD new dir', 257);
    await pwd(s, c);
    for (const r of c.replies) s.noLeak(r.text, 'A reply');
  });

  ftpCase('B05 no FTP bounce: PORT and EPRT naming another host or a privileged port are refused (5xx), and the server connects nowhere (S10)', { reproduce: nc(`${login}PORT 10,1,2,3,0,80\\r\\n`) }, async (s) => {
    // A listener on every loopback address, to catch any connection the server makes.
    const caught: string[] = [];
    const trap = net.createServer((sock) => {
      caught.push(`${sock.remoteAddress}:${sock.remotePort}`);
      sock.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '0.0.0.0', resolve));
    const port = (trap.address() as net.AddressInfo).port;
    try {
      const c = await s.session('client-1');
      const commands = [
        'PORT 10,1,2,3,0,80',
        'EPRT |1|10.1.2.3|80|',
        `PORT 127,0,0,2,${port >> 8},${port & 255}`,
        `EPRT |1|127.0.0.2|${port}|`,
        'PORT 127,0,0,1,0,25',
        'EPRT |1|127.0.0.1|25|',
        'PORT 1,2,3',
        'PORT 999,0,0,1,4,1',
      ];
      for (const cmd of commands) {
        const r = await c.cmd(cmd, () => true, cmd);
        if (!is5xx(r.code)) throw failure(s, `${cmd} from a client at 127.0.0.1 answered ${JSON.stringify(r.text)}: active mode may only connect to the control connection's own peer, on an unprivileged port; anything else is 500/501 (FTP bounce, ftp.md S10).`);
        const list = await c.cmd('LIST', () => true, 'LIST after the refused PORT/EPRT');
        if (list.code === 150 || list.code === 125) {
          await c.reply(3000, 'the end of the LIST');
          throw failure(s, `After the refused ${cmd}, LIST answered ${JSON.stringify(list.text)}: with no PASV/EPSV and no accepted PORT there is no data connection to use: 425.`);
        }
      }
      await sleep(300);
      if (caught.length) throw failure(s, `The server connected to ${caught.join(', ')}, an address named in a refused PORT/EPRT.`);
      sameBytes(s, await download(s, c, 'hello.txt'), FIXTURES['hello.txt']!, 'RETR hello.txt over EPSV after the refused PORTs');
    } finally {
      trap.close();
    }
  });

  ftpCase('B14 a connection to the passive port from another address (127.0.0.2) gets nothing and is closed; the transfer goes to the real client or fails with 425 (S11)', { reproduce: nc(`${login}PASV\\r\\n`) }, async (s) => {
    const c = await s.session('client-1');
    const port = await c.pasv();
    const intruder = await s.data('intruder@127.0.0.2', port, '127.0.0.2');
    await sleep(100);
    let real: Awaited<ReturnType<FtpStage['data']>> | undefined;
    try {
      real = await s.data('client-1/data', port);
    } catch {
      s.transcript.log('client-1/data', 'the passive port no longer accepts (closed after the intruder): the transfer must then fail with 425');
    }
    const r = await c.cmd('RETR allbytes.bin', [150, 125, 425], 'RETR with an intruder on the passive port');
    if (r.code !== 425) {
      const got = real ? await real.readAll(3000, 'allbytes.bin on the real data connection') : Buffer.alloc(0);
      const end = await c.expect(real ? [226, 425, 426] : [425, 426], 'the end of the transfer');
      if (end.code === 226) sameBytes(s, got, FIXTURES['allbytes.bin']!, "the download on the real client's data connection");
    }
    const deadline = performance.now() + 2000;
    while (!intruder.ended && performance.now() < deadline) await sleep(20);
    if (intruder.bytes > 0) throw failure(s, `The intruder connected to the passive port from 127.0.0.2 and received ${intruder.bytes} bytes: accept a data connection only from the control connection's peer address (B14).`);
    if (!intruder.ended) throw failure(s, 'The intruder connected to the passive port from 127.0.0.2 and was left open: close a data connection from a foreign address at once.');
    await c.cmd('NOOP', 200, 'NOOP: the session goes on');
  });

  ftpCase('S12 one passive listener per session: a second PASV closes (or reuses) the first port; twenty PASVs leave no listener behind', { reproduce: nc(`${login}PASV\\r\\nPASV\\r\\n`) }, async (s) => {
    const start = s.server.openDescriptors();
    const c = await s.session('client-1');
    const first = await c.pasv();
    const second = await c.pasv();
    if (first !== second) {
      const refused = await new Promise<boolean>((resolve) => {
        const sock = net.connect({ host: '127.0.0.1', port: first });
        sock.once('connect', () => {
          sock.destroy();
          resolve(false);
        });
        sock.once('error', () => resolve(true));
      });
      if (!refused) throw failure(s, `After a second PASV (port ${second}), the first passive port ${first} still accepts connections: close the previous listener when a new PASV/EPSV replaces it.`);
    }
    for (let i = 0; i < 20; i++) await (i % 2 ? c.pasv() : c.epsv());
    const held = s.server.openDescriptors() - start;
    s.transcript.log('', `after 22 PASV/EPSV the server holds ${held} descriptors more than before the session`);
    if (held > 2) throw failure(s, `After 22 PASV/EPSV commands in one session the server holds ${held} more descriptors (the control connection and at most one listener expected): each new passive listener replaces the old one.`);
    sameBytes(s, await download(s, c, 'hello.txt'), FIXTURES['hello.txt']!, 'RETR hello.txt after the PASV series');
    await c.cmd('QUIT', 221);
    await c.expectClosed(2000, 'after 221');
    await s.descriptorsBackTo(start, 'the session with 22 PASV/EPSV ended');
  });

  ftpCase('L02 a NUL byte inside a path (RETR hello.txt\\0.jpg, CWD, MKD, STOR): 501 or 550, and the session and server go on (S9)', { reproduce: nc(`${login}SIZE welcome.txt\\\\0.jpg\\r\\nNOOP\\r\\n`) }, async (s) => {
    const c = await s.session('client-1');
    await c.pasv();
    for (const cmd of ['RETR hello.txt\0.jpg', 'SIZE hello.txt\0.jpg', 'CWD su\0b', 'MKD x\0y', 'DELE hello.txt\0', 'RNFR hello.txt\0x']) {
      await c.cmd(cmd, [501, 550, 553], cmd.replace('\0', '\\0'));
      await c.cmd('NOOP', 200, 'NOOP after a NUL byte: the session is alive');
    }
    await c.epsv();
    await c.cmd('STOR a\0b', [501, 550, 553], 'STOR a\\0b');
    await c.cmd('NOOP', 200);
    if (!s.onDisk('hello.txt')) throw failure(s, 'hello.txt is gone after DELE hello.txt\\0.');
    sameBytes(s, await download(s, c, 'hello.txt'), FIXTURES['hello.txt']!, 'RETR hello.txt after the NUL bytes');
  });

  ftpCase('L01 overlong command lines: at most one reply for each, then a close or a clean resync, never the tail read as commands; 2 KiB lines are accepted; memory stays bounded (S8)', { reproduce: `(printf 'NOOP '; head -c 100000 /dev/zero | tr '\\0' A; printf '\\r\\nNOOP\\r\\n') | nc -C 127.0.0.1 ${SERVE_PORT}` }, async (s) => {
    const c = await s.session('client-1');
    // A 2 KiB path (many short segments) is an ordinary line: 550, not 500.
    await c.cmd(`CWD ${'a/'.repeat(1020)}a`, (code) => code !== 500 && code >= 500, 'CWD of a 2 KiB path (a line of about 2 KiB must be accepted)');
    await c.cmd('NOOP', 200);
    // 5 000 bytes: one reply (under a limit like 8 KiB it is an ordinary SIZE, over one it is 500).
    await c.sendRaw(`SIZE ${'A'.repeat(5000)}\r\nNOOP\r\n`);
    const five = await c.repliesWithin(800);
    if (five.length === 0 || five.length > 2 || (five.length === 2 && five[1]!.code !== 200) || (five.length === 1 && !c.closed)) {
      throw failure(s, `After a 5,000-byte SIZE line and a NOOP the server sent ${five.length} replies (${five.map((r) => r.code).join(', ') || 'none'})${c.closed ? ' and closed' : ''}: expected one reply for the long line, then 200 for the NOOP, or a 500 and a close (L01).`);
    }
    let cc = c;
    for (const size of [100_000, 2_000_000]) {
      if (cc.closed) cc = await s.session(`client-${size}`);
      const rss0 = s.server.rssBytes();
      await cc.sendRaw(Buffer.concat([Buffer.from('NOOP '), Buffer.alloc(size, 0x41), Buffer.from('\r\nNOOP\r\n')]), true);
      s.transcript.log(cc.name, `sent "NOOP " + ${size.toLocaleString('en-US')} × "A" + CRLF, then NOOP CRLF`);
      const got = await cc.repliesWithin(1000);
      if (got.length === 0 || got[0]!.code !== 500) throw failure(s, `A ${size.toLocaleString('en-US')}-byte command line got ${got.length ? JSON.stringify(got[0]!.text) : 'no reply'}; expected one "500 ..." (line too long), then a close or a clean 200 for the next NOOP (L01).`);
      if (got.length > 2 || (got.length === 2 && got[1]!.code !== 200)) throw failure(s, `A ${size.toLocaleString('en-US')}-byte command line got ${got.length} replies (${got.map((r) => r.code).join(', ')}): its tail was read as more commands. Send one 500 and close, or discard through the next LF (L01).`);
      if (got.length === 1 && !cc.closed) {
        await cc.expectClosed(1000, `after the 500 for a ${size}-byte line, the NOOP got no reply: close the connection, or answer the NOOP`);
      }
      const grown = s.server.rssBytes() - rss0;
      if (grown > 32 * 2 ** 20) throw failure(s, `A ${size.toLocaleString('en-US')}-byte line made the server grow by ${(grown / 2 ** 20).toFixed(0)} MiB: never buffer more than a few KiB of an unterminated line.`);
    }
    // 3 MB without any newline: refused and closed, or discarded; never buffered whole.
    const x = await s.session('no-newline');
    const rss0 = s.server.rssBytes();
    x.socket.write(Buffer.alloc(3_000_000, 0x42));
    s.transcript.log('no-newline', 'sends 3,000,000 × "B" with no newline');
    const r = await x.maybeReply(1500);
    const grown = s.server.rssBytes() - rss0;
    s.transcript.log('', `server resident memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
    if (grown > 24 * 2 ** 20) throw failure(s, `3 MB without a newline made the server grow by ${(grown / 2 ** 20).toFixed(0)} MiB: stop buffering an unterminated line past the limit.`);
    if (r && r.code !== 500) throw failure(s, `3 MB without a newline got ${JSON.stringify(r.text)}; expected 500 (or nothing until the line ends).`);
    const fresh = await s.admitted('fresh', 1000);
    await fresh.login(USER, PASSWORD);
    await fresh.cmd('NOOP', 200, 'NOOP from a new client after the long lines');
  });

  ftpCase('B15 a login followed by 20 empty lines in one write, then FIN; PASV followed by a reset: 500s or silence, and the next client logs in normally', { reproduce: `printf 'USER fuzzer\\r\\nPASS \\r\\n\\r\\n\\r\\n\\r\\n' | nc -C 127.0.0.1 ${SERVE_PORT}` }, async (s) => {
    const start = s.server.openDescriptors();
    const f = await s.connect('fuzzer');
    await f.greeting();
    await f.cmd('USER fuzzer', [331, 530], 'USER of an unknown user');
    await f.sendRaw(`PASS \r\n${'\r\n'.repeat(20)}`);
    f.shutdownWrite();
    const replies = await f.repliesWithin(2000);
    const bad = replies.find((r, i) => (i === 0 ? r.code !== 530 && r.code !== 503 && r.code !== 501 : r.code < 500 && r.code !== 421));
    if (bad) throw failure(s, `After "PASS " and 20 empty lines the server answered ${JSON.stringify(bad.text)}: a failed login is 530, an empty line is 500 (or ignored).`);
    await f.expectClosed(2000, 'the client sent FIN after its lines: the server answers what it read, then closes');
    const p = await s.session('pasv-then-reset');
    await p.send('PASV');
    p.reset();
    await sleep(200);
    if (!s.server.alive()) throw failure(s, `The server died after a client reset its connection right after PASV. ${s.server.death()}`);
    const next = await s.session('next');
    sameBytes(s, await download(s, next, 'hello.txt'), FIXTURES['hello.txt']!, 'RETR hello.txt by the next client');
    await next.cmd('QUIT', 221);
    await next.expectClosed(2000, 'after 221');
    await s.descriptorsBackTo(start, 'the fuzzing clients and the next one left');
  });

  ftpCase('B29 pipelining: USER, PASS, PWD, NOOP in one write get 331, 230, 257, 200 in order; TYPE, SIZE, MDTM, NOOP likewise (S22)', { reproduce: nc(`${login}PWD\\r\\nNOOP\\r\\n`) }, async (s) => {
    const c = await s.connect('client-1');
    await c.greeting();
    await c.sendRaw(`USER ${USER}\r\nPASS ${PASSWORD}\r\nPWD\r\nNOOP\r\n`);
    for (const [code, what] of [[331, 'USER'], [230, 'PASS'], [257, 'PWD'], [200, 'NOOP']] as const) await c.expect(code, `the reply to the pipelined ${what} (all four came in one write)`);
    await c.sendRaw('TYPE I\r\nSIZE allbytes.bin\r\nMDTM hello.txt\r\nCWD sub\r\nPWD\r\nCDUP\r\nNOOP\r\n');
    for (const [code, what] of [[200, 'TYPE I'], [213, 'SIZE'], [213, 'MDTM'], [250, 'CWD sub'], [257, 'PWD'], [250, 'CDUP'], [200, 'NOOP']] as const) {
      await c.expect(what === 'CDUP' ? [200, 250] : code, `the reply to the pipelined ${what}`);
    }
    await c.expectSilence(200, 'every pipelined command has had its one reply');
  });

  ftpCase('B30 a command split over several writes ("US", "ER alice", "\\r\\nPA", "SS ...\\r\\n"), one byte at a time, or ended by a bare LF: one reply per command, only once it is complete (S22)', { reproduce: nc('NOOP\\r\\n') }, async (s) => {
    const c = await s.connect('client-1');
    await c.greeting();
    await c.sendRaw('US');
    await sleep(100);
    await c.sendRaw(`ER ${USER}`);
    await c.expectSilence(150, 'the USER line is not complete yet');
    await c.sendRaw('\r\nPA');
    await c.expect(331, 'USER, complete once its CRLF came');
    await sleep(100);
    await c.sendRaw(`SS ${PASSWORD}\r\n`);
    await c.expect(230, 'PASS, sent in two pieces');
    for (const ch of 'NOOP\r\n') {
      await c.sendRaw(ch, true);
      await sleep(10);
    }
    s.transcript.log('client-1', 'sent "NOOP\\r\\n" one byte at a time');
    await c.expect(200, 'NOOP sent one byte at a time');
    await c.sendRaw('NOOP\n');
    await c.expect(200, 'NOOP ended by a bare LF (hand-typed netcat sessions send LF)');
    await c.expectSilence(150, 'each command had one reply');
  });

  ftpCase('B28 QUIT followed at once by a FIN (shutdown of the writing half): 221 still arrives, then the server closes', { reproduce: `printf 'QUIT\\r\\n' | nc -N 127.0.0.1 ${SERVE_PORT}` }, async (s) => {
    const start = s.server.openDescriptors();
    const c = await s.session('client-1');
    c.socket.end('QUIT\r\n');
    s.transcript.log('client-1', 'sent "QUIT\\r\\n" and shut down its writing half (FIN) at once');
    await c.expect(221, 'the reply to QUIT, which came together with the FIN');
    await c.expectClosed(2000, 'after 221');
    const pre = await s.connect('before-login');
    await pre.greeting();
    pre.socket.end(`USER ${USER}\r\nQUIT\r\n`);
    s.transcript.log('before-login', `sent "USER ${USER}\\r\\nQUIT\\r\\n" and a FIN at once`);
    await pre.expect(331, 'the reply to USER');
    await pre.expect(221, 'the reply to QUIT');
    await pre.expectClosed(2000, 'after 221');
    await s.descriptorsBackTo(start, 'two clients sent QUIT and FIN together');
  });
}
