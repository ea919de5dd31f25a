// Cases about the user limit and the pool: exactly maxUsers sessions, the next one refused with 421 at
// once (L04, L05, B11, B13), slots freed by every kind of close (QUIT, FIN, RST, idle timeout, errors),
// idle timeouts before and after login (B16, B19, L06), and a pool of threads started once (never a
// thread per connection).
import { failure } from '../../harness/clients.ts';
import { sleep } from '../../harness/ftp-client.ts';
import { bigFile, BIG_BYTES, download, FIXTURES, ftpCase, PASSWORD, sameBytes, SERVE_PORT, sha256, USER, type FtpControl, type FtpStage } from './support.ts';

const nc = `nc -C 127.0.0.1 ${SERVE_PORT}   # in several terminals at once`;

/** Waits for the idle 421 and the close; checks when it came, counted from `since`. */
async function idleClose(s: FtpStage, c: FtpControl, since: number, timeoutMs: number, what: string): Promise<void> {
  const r = await c.maybeReply(timeoutMs + 2500);
  const after = Math.round((r?.at ?? performance.now()) - since);
  if (!r) {
    if (c.closed) throw failure(s, `${what}: the server closed the connection ${after} ms later without a reply: send "421 <text>" first (ftp.md §8).`);
    throw failure(s, `${what}: nothing happened for ${after} ms, with idleTimeoutMs = ${timeoutMs}: an idle session gets "421 ..." and is closed, before and after login, whatever it did last (B16, L06).`);
  }
  if (r.code !== 421) throw failure(s, `${what}: after ${after} ms of silence the server sent ${JSON.stringify(r.text)}; expected 421 and a close.`);
  if (after < timeoutMs - 150) throw failure(s, `${what}: the idle 421 came after ${after} ms, before idleTimeoutMs = ${timeoutMs} had passed.`);
  s.transcript.log(c.name, `idle 421 after ${after} ms (idleTimeoutMs ${timeoutMs})`);
  await c.expectClosed(1000, 'after the idle 421');
}

export function limitCases(): void {
  ftpCase('L05 maxUsers 2: two sessions (greeted, not logged in) are admitted, the third gets 421 and is closed; after one QUIT a new client is admitted', { maxUsers: 2, reproduce: nc }, async (s) => {
    const a = await s.connect('session-1');
    await a.greeting();
    const b = await s.connect('session-2');
    await b.greeting(1000);
    await s.refused('session-3', 'the third of maxUsers = 2');
    await a.cmd('QUIT', 221);
    await a.expectClosed(2000, 'after 221');
    const c = await s.admitted('session-4');
    await c.login(USER, PASSWORD);
    await s.refused('session-5', 'a third session again (sessions 2 and 4 hold both slots)');
    await b.login(USER, PASSWORD);
    await b.cmd('NOOP', 200, 'the held sessions still work');
    await c.cmd('NOOP', 200, 'the held sessions still work');
  });

  ftpCase('B13 maxUsers 2 with both slots held by logged-in users: five more clients at once each get 421 within 1 s and are closed, never queued silently or greeted late', { maxUsers: 2, reproduce: nc }, async (s) => {
    const held = [await s.session('held-1'), await s.session('held-2')];
    await Promise.all(Array.from({ length: 5 }, (_, i) => s.refused(`extra-${i + 1}`, 'past maxUsers = 2')));
    for (const c of held) await c.cmd('NOOP', 200, 'a held session still works after the refusals');
    await held[0]!.cmd('QUIT', 221);
    await held[0]!.expectClosed(2000, 'after 221');
    const next = await s.admitted('next');
    await next.login(USER, PASSWORD);
    // The refused ones took no slot: the count is exactly the two sessions.
    await s.refused('extra-6', 'past maxUsers = 2 again');
  });

  ftpCase('L04 maxUsers 3: three sessions, one of them in a RETR with its data connection open, are all admitted (data connections do not count); the fourth gets 421', { maxUsers: 3, big: true, reproduce: nc }, async (s) => {
    const a = await s.session('session-1');
    const port = await a.epsv();
    const d = await s.data('session-1/data', port);
    d.pause();
    await a.cmd('RETR big.bin', [150, 125], 'RETR big.bin (read later)');
    const b = await s.session('session-2');
    const c = await s.session('session-3');
    await s.refused('session-4', 'the fourth of maxUsers = 3');
    sameBytes(s, await download(s, b, 'hello.txt'), FIXTURES['hello.txt']!, 'a download by session-2 during session-1\'s transfer');
    await c.cmd('NOOP', 200);
    d.resume();
    const got = await d.readAll(8000, 'big.bin');
    await a.expect(226, 'the end of the transfer');
    if (got.length !== BIG_BYTES || sha256(got) !== bigFile().sha) sameBytes(s, got, bigFile().data, 'RETR big.bin');
  });

  ftpCase('B11 maxUsers 3 with a pool of 6 threads: the limit counts sessions, not threads: the third session is admitted, the fourth refused', { maxUsers: 3, poolSize: 6, reproduce: nc }, async (s) => {
    const a = await s.session('session-1');
    const b = await s.session('session-2');
    const c = await s.admitted('session-3', 0);
    await c.login(USER, PASSWORD);
    await s.refused('session-4', 'the fourth of maxUsers = 3 (with 6 worker threads)');
    for (const x of [a, b, c]) await x.cmd('NOOP', 200);
  });

  ftpCase('B19 maxUsers 4, idleTimeoutMs 1000: four silent logged-in clients hold every slot, the fifth is refused at once; after the timeout the four get 421 and new clients are admitted', { maxUsers: 4, idleTimeoutMs: 1000, reproduce: nc }, async (s) => {
    const quiet = await Promise.all(Array.from({ length: 4 }, (_, i) => s.session(`silent-${i + 1}`)));
    await s.refused('fifth', 'past maxUsers = 4, while four sessions sit idle');
    await Promise.all(quiet.map((c) => idleClose(s, c, c.replies.at(-1)!.at, 1000, `${c.name} (logged in, silent)`)));
    const fresh = await Promise.all(Array.from({ length: 4 }, (_, i) => s.admitted(`fresh-${i + 1}`, 1000)));
    for (const c of fresh) await c.login(USER, PASSWORD);
  });

  ftpCase('B16 idleTimeoutMs 1000: a session that logged in and sent NOOP, then nothing, gets 421 about 1 s after the NOOP and is closed; one that keeps sending NOOP every 400 ms lives on; the slot is freed', { maxUsers: 2, idleTimeoutMs: 1000, reproduce: nc }, async (s) => {
    const busy = await s.session('keeps-talking');
    const c = await s.session('goes-silent');
    const noop = await c.cmd('NOOP', 200);
    const talk = (async () => {
      for (let i = 0; i < 6; i++) {
        await sleep(400);
        await busy.cmd('NOOP', 200, 'a NOOP every 400 ms (the idle timer restarts at each command)');
      }
    })();
    await idleClose(s, c, noop.at, 1000, 'logged in, NOOP, then silence');
    await talk;
    await s.admitted('next', 1000);
  });

  ftpCase('L06 idleTimeoutMs 1000 before login: a client that sends nothing, and one that sent a single NOOP, each get 421 after about 1 s', { maxUsers: 2, idleTimeoutMs: 1000, reproduce: nc }, async (s) => {
    const a = await s.connect('never-speaks');
    const g = await a.greeting();
    const b = await s.connect('one-noop');
    await b.greeting();
    const noop = await b.cmd('NOOP', [200, 530], 'NOOP before login');
    await Promise.all([idleClose(s, a, g.at, 1000, 'connected, never sent a command'), idleClose(s, b, noop.at, 1000, 'one NOOP before login, then silence')]);
    await s.admitted('next', 1000);
  });

  ftpCase('F08 maxUsers 1: every kind of close frees the slot at once: QUIT, FIN, RST, an idle timeout, three wrong passwords, an overlong line', { maxUsers: 1, idleTimeoutMs: 800, reproduce: nc }, async (s) => {
    const start = s.server.openDescriptors();
    const threads = s.threads();
    const ways: [string, (c: FtpControl) => Promise<void>][] = [
      ['QUIT', async (c) => {
        await c.cmd('QUIT', 221);
        await c.expectClosed(1000, 'after 221');
      }],
      ['FIN', async (c) => c.shutdownWrite()],
      ['FIN without a word', async (c) => c.close()],
      ['RST', async (c) => c.reset()],
      ['idle timeout', async (c) => idleClose(s, c, c.replies.at(-1)!.at, 800, 'silent after login')],
      ['three wrong passwords', async (c) => {
        for (let i = 0; i < 3 && !c.closed; i++) {
          await c.cmd(`USER wrong-${i}`, [331, 530], 'USER');
          if (c.replies.at(-1)!.code === 331) await c.cmd('PASS wrong', [530, 421], 'a wrong password');
        }
      }],
      ['overlong line', async (c) => {
        await c.sendRaw(Buffer.alloc(200_000, 0x41), true);
        await c.sendRaw('\r\n', true);
        s.transcript.log(c.name, 'sent a line of 200,000 × "A"');
        await c.expect(500, 'the reply to a 200,000-byte line');
        await c.expectSilence(300, 'the tail of the long line is not a command');
        if (!c.closed) await c.cmd('QUIT', 221);
        await c.expectClosed(1000, 'after the overlong line');
      }],
    ];
    for (const [how, end] of ways) {
      const c = how === 'three wrong passwords' ? await loggedOut(s) : await s.session(`by-${how.replace(/ /g, '-')}`);
      s.transcript.log('', `--- the session ends by: ${how}`);
      await end(c);
      if (how === 'three wrong passwords') await c.expectClosed(1500, 'three failed logins end the session (ftp.md §3.4: close after 3 failures)');
      const next = await s.admitted(`after-${how.replace(/ /g, '-')}`, 1000);
      await next.cmd('QUIT', 221);
      await next.expectClosed(1000, 'after 221');
    }
    await s.threadsBackTo(threads, 'seven sessions ended in seven ways');
    await s.descriptorsBackTo(start, 'seven sessions ended in seven ways');
  });

  ftpCase('F09 the pool: the thread count stays the same while maxUsers sessions transfer at once and after they end (workers started once, never a thread per connection)', { maxUsers: 4, big: true, reproduce: `grep Threads /proc/$(pgrep -f ftp-server)/status` }, async (s) => {
    const start = s.server.openDescriptors();
    const threads = s.threads();
    s.transcript.log('', `the server runs ${threads} threads after the warm-up (poolSize 4)`);
    const sessions = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const c = await s.session(`session-${i + 1}`);
        const port = await c.epsv();
        const d = await s.data(`session-${i + 1}/data`, port);
        d.pause();
        await c.cmd('RETR big.bin', [150, 125], 'RETR big.bin');
        return { c, d };
      }),
    );
    await sleep(200);
    const during = s.threads();
    s.transcript.log('', `the server runs ${during} threads with 4 sessions in a transfer`);
    if (during !== threads) throw failure(s, `With 4 sessions in a transfer the server runs ${during} threads, against ${threads} with none: ${during > threads ? 'a thread was started per connection. Start poolSize workers once, before ready(), and hand them the connections through the Queue' : 'threads ended'}.`);
    await Promise.all(
      sessions.map(async ({ c, d }) => {
        d.resume();
        const got = await d.readAll(10_000, 'big.bin');
        await c.expect(226, 'the end of the transfer');
        if (got.length !== BIG_BYTES) sameBytes(s, got, bigFile().data, `${c.name}: RETR big.bin`);
        await c.cmd('QUIT', 221);
        await c.expectClosed(2000, 'after 221');
      }),
    );
    await s.threadsBackTo(threads, 'four sessions transferred and quit');
    await s.descriptorsBackTo(start, 'four sessions transferred and quit');
  });
}

/** A greeted session that has not logged in. */
async function loggedOut(s: FtpStage): Promise<FtpControl> {
  const c = await s.connect('by-three-wrong-passwords');
  await c.greeting();
  return c;
}
