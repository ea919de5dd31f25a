// Cases about data connections under stress: the order of the close and the 226 (B08), the end of an
// upload (B18), slow and stalled readers (B22, B23), connections lost or reset mid-transfer (S14, S15,
// B27, B10), QUIT during a transfer (S16), the idle timer during a long transfer, and a session that
// keeps its worker busy while others are served.
import { failure } from '../../harness/clients.ts';
import { sleep } from '../../harness/ftp-client.ts';
import { bigFile, BIG_BYTES, CURL_BIG, HAND_PASSWORD, HAND_USER, download, FIXTURES, ftpCase, PASSWORD, sameBytes, SERVE_PORT, sha256, USER, type FtpStage } from './support.ts';

const MiB = 1024 * 1024;
const curlBig = CURL_BIG;

/** Fails unless `got` is the whole 32 MiB file. */
function wholeBig(s: FtpStage, got: Buffer, what: string): void {
  const { data, sha } = bigFile();
  if (got.length !== BIG_BYTES || sha256(got) !== sha) sameBytes(s, got, data, what);
  s.transcript.log('', `${what}: 32 MiB, sha256 equal`);
}

export function transferCases(): void {
  ftpCase('B08 the data connection is closed before the 226: no 226 while data is still owed, and no data after it', { big: true, reproduce: curlBig }, async (s) => {
    const c = await s.session('client-1');
    const port = await c.epsv();
    const d = await s.data('client-1/data', port);
    d.pause();
    await c.cmd('RETR big.bin', [150, 125], 'RETR big.bin');
    s.transcript.log('client-1/data', 'reads nothing for 600 ms');
    const early = await c.maybeReply(600);
    if (early) throw failure(s, `While the client had read none of the 32 MiB, the server already sent ${JSON.stringify(early.text)}: send 226 only after the last byte was sent and the data connection closed (B08).`);
    d.resume();
    const got = await d.readAll(8000, 'big.bin');
    const end = await c.expect(226, 'the end of the transfer', 3000);
    if (d.endedAt > end.at + 100) throw failure(s, `The data connection ended ${Math.round(d.endedAt - end.at)} ms after the 226 arrived: close the data connection first, then send 226 (RFC 959, ftp.md §5.2.5).`);
    wholeBig(s, got, 'RETR big.bin');
    // The same order for a listing and an empty file.
    for (const cmd of ['LIST', 'RETR empty.txt']) {
      const p = await c.epsv();
      const dd = await s.data('client-1/data', p);
      await c.cmd(cmd, [150, 125], cmd);
      await dd.readAll(3000, cmd);
      const r = await c.expect(226, `the end of ${cmd}`);
      if (dd.endedAt > r.at + 100) throw failure(s, `${cmd}: the data connection ended ${Math.round(dd.endedAt - r.at)} ms after the 226.`);
    }
  });

  ftpCase('B18 an upload ends at the client\'s FIN: 3 bytes then FIN get 226 within 1 s and a file of exactly those bytes; 0 bytes give an empty file; the file is complete at the 226', { reproduce: `printf abc | curl -T - ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/f.txt` }, async (s) => {
    const c = await s.session('client-1');
    for (const [name, content] of [['three.txt', Buffer.from('abc')], ['zero.txt', Buffer.alloc(0)], ['hello.txt', Buffer.from('xyz')]] as const) {
      const port = await c.epsv();
      const d = await s.data('client-1/data', port);
      await c.cmd(`STOR ${name}`, [150, 125], `STOR ${name}`);
      await d.end(content);
      const t0 = performance.now();
      const r = await c.reply(1000, `226 within 1 s of the FIN that ended the ${content.length}-byte upload (a read of 0 bytes is the end of the file)`);
      if (r.code !== 226) throw failure(s, `STOR ${name}: ${content.length} bytes and a FIN got ${JSON.stringify(r.text)}; expected 226.`);
      s.transcript.log('', `226 came ${Math.round(performance.now() - t0)} ms after the FIN`);
      sameBytes(s, s.onDisk(name) ?? Buffer.from('(missing)'), content, `<root>/${name} at the moment of the 226`);
    }
    // Clients ask right after the 226 (ftp.md §5.2.6).
    const size = await c.cmd('SIZE three.txt', 213, 'SIZE right after the upload');
    if (size.text.trim() !== '213 3') throw failure(s, `SIZE three.txt right after its upload answered ${JSON.stringify(size.text)}; expected "213 3".`);
    sameBytes(s, await download(s, c, 'three.txt'), Buffer.from('abc'), 'RETR three.txt right after its upload');
  });

  ftpCase('B22 a 32 MiB download to a slow reader (pauses of 250 ms) arrives whole and in order', { big: true, reproduce: `${curlBig} --limit-rate 8M` }, async (s) => {
    const c = await s.session('client-1');
    const port = await c.epsv();
    const d = await s.data('client-1/data', port);
    await c.cmd('RETR big.bin', [150, 125], 'RETR big.bin');
    for (let i = 1; i <= 6; i++) {
      await d.waitFor(i * 4 * MiB, 3000);
      d.pause();
      await sleep(250);
      d.resume();
    }
    s.transcript.log('client-1/data', 'paused for 250 ms six times');
    const got = await d.readAll(8000, 'big.bin');
    await c.expect(226, 'the end of the transfer');
    wholeBig(s, got, 'RETR big.bin to a slow reader');
  });

  ftpCase('B23 a client that opens RETR of 32 MiB and reads nothing for 1.5 s: the server does not pull the file into memory (RSS grows by at most 12 MiB); the download then completes (S21)', { big: true, reproduce: `${curlBig} --limit-rate 1k` }, async (s) => {
    const c = await s.session('client-1');
    const port = await c.epsv();
    const d = await s.data('client-1/data', port);
    d.pause();
    const rss0 = s.server.rssBytes();
    await c.cmd('RETR big.bin', [150, 125], 'RETR big.bin');
    await sleep(1500);
    const grown = s.server.rssBytes() - rss0;
    s.transcript.log('', `server resident memory grew by ${(grown / MiB).toFixed(1)} MiB while the reader read nothing`);
    if (grown > 12 * MiB) throw failure(s, `While a client read nothing of a 32 MiB RETR, the server's memory grew by ${(grown / MiB).toFixed(0)} MiB: read the file a chunk at a time and send each chunk before reading the next, so a stalled reader stalls the transfer, not the memory (B23).`);
    d.resume();
    const got = await d.readAll(8000, 'big.bin');
    await c.expect(226, 'the end of the transfer');
    wholeBig(s, got, 'RETR big.bin after the stall');
  });

  ftpCase('S14 the data connection lost in the middle of a RETR (FIN, then RST): 426, then NOOP 200, and the next transfer in the session works', { big: true, reproduce: `${curlBig} --max-filesize 1000000` }, async (s) => {
    const c = await s.session('client-1');
    for (const how of ['FIN', 'RST'] as const) {
      const port = await c.epsv();
      const d = await s.data('client-1/data', port);
      await c.cmd('RETR big.bin', [150, 125], 'RETR big.bin');
      await d.waitFor(MiB, 3000);
      if (how === 'FIN') {
        s.transcript.log('client-1/data', `closes the data connection (FIN) after ${d.bytes.toLocaleString('en-US')} bytes`);
        d.close();
      } else d.reset();
      await c.expect(426, `the end of a RETR whose data connection the client closed (${how}) in the middle`, 5000);
      await c.cmd('NOOP', 200, `NOOP after the ${how}: the session goes on`);
    }
    sameBytes(s, await download(s, c, 'allbytes.bin'), FIXTURES['allbytes.bin']!, 'the next RETR in the same session');
  });

  ftpCase('S15 interrupted uploads: 1 MiB then FIN is complete (226); 1 MiB then RST is never 226 and leaves no file claiming to be complete; a control reset mid-STOR frees the slot at once', { maxUsers: 1, reproduce: `head -c 1048576 /dev/urandom | curl -T - ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/up.bin` }, async (s) => {
    const start = s.server.openDescriptors();
    const threads = s.threads();
    const part = bigFile().data.subarray(0, MiB);
    const c = await s.session('client-1');
    // (a) FIN: indistinguishable from a complete upload.
    let port = await c.epsv();
    let d = await s.data('client-1/data', port);
    await c.cmd('STOR fin.bin', [150, 125], 'STOR fin.bin');
    await d.end(part);
    await c.expect(226, 'the end of an upload ended by FIN');
    sameBytes(s, s.onDisk('fin.bin') ?? Buffer.from('(missing)'), part, '<root>/fin.bin');
    // (b) RST after 1 MiB, onto an existing file and a new one.
    for (const name of ['hello.txt', 'rst.bin']) {
      const old = s.onDisk(name);
      port = await c.epsv();
      d = await s.data('client-1/data', port);
      await c.cmd(`STOR ${name}`, [150, 125], `STOR ${name}`);
      await d.write(part);
      await sleep(100);
      d.reset();
      const r = await c.reply(5000, `the end of an upload whose data connection was reset`);
      if (r.code === 226) throw failure(s, `STOR ${name}: the client reset the data connection after 1 MiB, and the server answered 226 as if the upload were complete: a reset is an error (426), only a FIN ends an upload (ftp.md S15).`);
      if (r.code < 400) throw failure(s, `STOR ${name} with a reset data connection got ${JSON.stringify(r.text)}; expected 426.`);
      const now = s.onDisk(name);
      const fine = now === undefined || (old !== undefined && now.equals(old));
      if (!fine) throw failure(s, `After an upload whose data connection was reset, <root>/${name} holds ${now!.length.toLocaleString('en-US')} new bytes: an interrupted upload never leaves a file that claims to be complete under the final name. Write to a temporary name and rename it over the final one only after the FIN (or remove what was written), so that ${old ? 'the old file stays as it was' : 'no file appears'}.`);
      await c.cmd('NOOP', 200, 'NOOP after the failed upload: the session goes on');
    }
    // (c) the control connection reset in the middle of an upload, the data connection then reset too.
    port = await c.epsv();
    d = await s.data('client-1/data', port);
    await c.cmd('STOR ctl.bin', [150, 125], 'STOR ctl.bin');
    await d.write(part);
    c.reset();
    await sleep(50);
    d.reset();
    const next = await s.admitted('next', 1000);
    s.transcript.log('', 'the next client was admitted: the slot of the reset session is free');
    const ctl = s.onDisk('ctl.bin');
    if (ctl) throw failure(s, `<root>/ctl.bin holds ${ctl.length.toLocaleString('en-US')} bytes of an upload whose client vanished (control and data reset): an interrupted upload never leaves a file under the final name that claims to be complete.`);
    await next.cmd('QUIT', 221);
    await next.expectClosed(2000, 'after 221');
    await s.threadsBackTo(threads, 'a client vanished in the middle of an upload');
    await s.descriptorsBackTo(start, 'a client vanished in the middle of an upload');
  });

  ftpCase('S16 QUIT during a RETR: 221 comes after the transfer ends (226) or is aborted (426), and then the server closes', { big: true, reproduce: curlBig }, async (s) => {
    const c = await s.session('client-1');
    const port = await c.epsv();
    const d = await s.data('client-1/data', port);
    await c.cmd('RETR big.bin', [150, 125], 'RETR big.bin');
    await d.waitFor(MiB, 3000);
    await c.send('QUIT');
    const got = await d.readAll(8000, 'big.bin');
    const replies = await c.repliesWithin(3000);
    const codes = replies.map((r) => r.code);
    if (codes.at(-1) !== 221 || !codes.slice(0, -1).every((x) => x === 226 || x === 426)) {
      throw failure(s, `QUIT sent during a RETR got the replies ${codes.join(', ') || '(none)'}; expected 226 (or 426), then 221 as the last reply (ftp.md S16).`);
    }
    await c.expectClosed(2000, 'after 221');
    if (codes[0] === 226) wholeBig(s, got, 'the RETR that finished before the QUIT');
  });

  ftpCase('F06 the idle timer does not run during a transfer: with idleTimeoutMs 800, a 2.4 s slow upload and a 2.4 s slow download complete, and the session goes on', { idleTimeoutMs: 800, reproduce: `curl --limit-rate 100k -T big.bin ftp://${HAND_USER}:${HAND_PASSWORD}@127.0.0.1:${SERVE_PORT}/` }, async (s) => {
    const c = await s.session('client-1');
    const chunk = bigFile().data.subarray(0, 64 * 1024);
    let port = await c.epsv();
    const d = await s.data('client-1/data', port);
    await c.cmd('STOR slow.bin', [150, 125], 'STOR slow.bin');
    s.transcript.log('client-1/data', 'sends 12 × 64 KiB, one every 200 ms');
    for (let i = 0; i < 12; i++) {
      await d.write(chunk);
      await sleep(200);
    }
    await d.end();
    await c.expect(226, 'the end of an upload that took 2.4 s (three times the idle timeout)');
    const want = Buffer.concat(Array.from({ length: 12 }, () => chunk));
    sameBytes(s, s.onDisk('slow.bin') ?? Buffer.from('(missing)'), want, '<root>/slow.bin');
    port = await c.epsv();
    const r = await s.data('client-1/data', port);
    r.pause();
    await c.cmd('RETR slow.bin', [150, 125], 'RETR slow.bin (read slowly)');
    const t0 = performance.now();
    while (performance.now() - t0 < 2400 && !r.ended) {
      r.resume();
      await sleep(20);
      r.pause();
      await sleep(300);
    }
    r.resume();
    const got = await r.readAll(5000, 'slow.bin');
    await c.expect(226, 'the end of a download that took 2.4 s');
    sameBytes(s, got, want, 'RETR slow.bin to a slow reader');
    await c.cmd('NOOP', 200, 'NOOP right after the long transfers: the session was not timed out');
  });

  ftpCase('F07 a session whose worker is stuck sending to a client that reads nothing does not hold up others: a second client logs in, lists, downloads, quits meanwhile', { maxUsers: 2, big: true, reproduce: curlBig }, async (s) => {
    const a = await s.session('stalled');
    const port = await a.epsv();
    const d = await s.data('stalled/data', port);
    d.pause();
    await a.cmd('RETR big.bin', [150, 125], 'RETR big.bin (then reads nothing)');
    await sleep(200);
    const t0 = performance.now();
    const b = await s.session('other');
    sameBytes(s, await download(s, b, 'allbytes.bin'), FIXTURES['allbytes.bin']!, 'the other client\'s download');
    await b.cmd('QUIT', 221);
    await b.expectClosed(2000, 'after 221');
    s.transcript.log('', `the other client was served in ${Math.round(performance.now() - t0)} ms while the first one's transfer was stalled`);
    d.resume();
    const got = await d.readAll(8000, 'big.bin');
    await a.expect(226, 'the end of the stalled transfer, once the client reads');
    wholeBig(s, got, 'RETR big.bin after the stall');
  });

  ftpCase('B27 a client resets both connections in the middle of a 32 MiB RETR (maxUsers 1): the server lives, the slot, the worker thread and every descriptor come back, the next client is served', { maxUsers: 1, big: true, reproduce: `${curlBig} & sleep 0.2; kill -9 $!` }, async (s) => {
    const start = s.server.openDescriptors();
    const threads = s.threads();
    const c = await s.session('rude');
    const port = await c.epsv();
    const d = await s.data('rude/data', port);
    await c.cmd('RETR big.bin', [150, 125], 'RETR big.bin');
    await d.waitFor(MiB, 3000);
    // The control connection first: the worker, busy sending, may see its reset before the data one's.
    c.reset();
    await sleep(20);
    d.reset();
    await sleep(100);
    if (!s.server.alive()) throw failure(s, `The server died when a client reset its connections mid-transfer (EPIPE/ECONNRESET end that one session). ${s.server.death()}`);
    const next = await s.admitted('next', 1000);
    await next.login(USER, PASSWORD);
    sameBytes(s, await download(s, next, 'hello.txt'), FIXTURES['hello.txt']!, 'the next client\'s download');
    await next.cmd('QUIT', 221);
    await next.expectClosed(2000, 'after 221');
    await s.threadsBackTo(threads, 'a client reset both its connections mid-transfer');
    await s.descriptorsBackTo(start, 'a client reset both its connections mid-transfer, and the next one quit');
  });

  ftpCase('B10 20 clients start a 32 MiB RETR at once, each reads 64 KiB then resets both sockets: the server lives, all 20 slots are free again, threads and descriptors are back', { maxUsers: 20, big: true, reproduce: `for i in $(seq 20); do (${curlBig}-$i & sleep 0.3; kill -9 $!) & done` }, async (s) => {
    const start = s.server.openDescriptors();
    const threads = s.threads();
    const clients = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const c = await s.session(`client-${i + 1}`);
        const port = await c.epsv();
        const d = await s.data(`client-${i + 1}/data`, port);
        await c.cmd('RETR big.bin', [150, 125], 'RETR big.bin');
        await d.waitFor(64 * 1024, 5000);
        return { c, d };
      }),
    );
    for (const { c, d } of clients) {
      d.reset();
      c.reset();
    }
    await sleep(200);
    if (!s.server.alive()) throw failure(s, `The server died when 20 clients reset their connections mid-transfer. ${s.server.death()}`);
    const fresh = await s.admitted('fresh', 1000);
    await fresh.login(USER, PASSWORD);
    sameBytes(s, await download(s, fresh, 'allbytes.bin'), FIXTURES['allbytes.bin']!, 'a fresh client\'s download');
    const again = await Promise.all(Array.from({ length: 19 }, (_, i) => s.admitted(`again-${i + 1}`, 1500)));
    s.transcript.log('', `the fresh client and ${again.length} more were admitted together: all 20 slots are free`);
    await s.refused('21st', 'past maxUsers = 20');
    for (const c of [fresh, ...again]) c.close();
    await s.threadsBackTo(threads, '20 clients reset mid-transfer');
    await s.descriptorsBackTo(start, '20 clients reset mid-transfer and 20 more came and went', 3000);
  });
}
