// Hidden suite of the epoll-server bonus exercise: every echo case of select-server, plus what only an
// epoll server can be asked for: an epoll instance with edge-triggered registrations (read from the
// kernel's own view, /proc/PID/fdinfo) and 2,000 concurrent clients.
import { describe, it } from 'vitest';
import { epollRegistrations } from '../../harness/server.ts';
import { failure, show, type Client } from '../../harness/clients.ts';
import { echoCases, expectAlive, stage } from '../select-server/echo-cases.ts';

const ID = 'epoll-server';
const EPOLLET = 2 ** 31;

describe(ID, () => {
  echoCases(ID, 'server.ts');

  it('E14 the server waits in epoll, and its client sockets are registered edge-triggered (EPOLLET)', async () => {
    const s = await stage(ID, 'server.ts', 'edge-triggered');
    const clients = await Promise.all([1, 2, 3].map((i) => s.connect(`client-${i}`)));
    await Promise.all(clients.map((c, i) => s.roundTrip(c, `client ${i + 1}\n`)));
    const regs = epollRegistrations(s.server.pid);
    s.transcript.log('', `the kernel's epoll interest lists: ${JSON.stringify(regs.map((r) => ({ fd: r.fd, events: `0x${r.events.toString(16)}` })))}`);
    if (regs.length === 0) throw failure(s, 'The server holds no epoll instance (no anon_inode:[eventpoll] among its descriptors): this exercise is the server over epoll.');
    const clientRegs = regs.filter((r) => !r.listening);
    if (clientRegs.length < 3) throw failure(s, `With 3 clients connected, only ${clientRegs.length} client socket(s) are in the epoll interest list.`);
    const level = clientRegs.filter((r) => (r.events & EPOLLET) === 0);
    if (level.length > 0) throw failure(s, `${level.length} client socket(s) are registered level-triggered (events 0x${level[0]!.events.toString(16)} lacks EPOLLET, 0x80000000): register them with EPOLLET.`);
  });

  it('E15 2,000 clients at once, each sending its own number, all served', async () => {
    const s = await stage(ID, 'server.ts', 'two-thousand');
    const clients: Client[] = [];
    for (let i = 0; i < 2000; i += 200) {
      clients.push(...(await Promise.all(Array.from({ length: 200 }, (_, k) => s.connect(`client-${i + k + 1}`)))));
    }
    s.transcript.log('', '2,000 clients connected; each sends its own number');
    await Promise.all(clients.map((c, i) => c.send(`${i + 1}\n`, true)));
    await Promise.all(
      clients.map(async (c, i) => {
        const want = Buffer.from(`${i + 1}\n`);
        const got = await c.read(want.length, 8000, want);
        if (!got.equals(want)) throw failure(s, `client-${i + 1} sent ${show(want)} and received ${show(got)}: another client's data.`);
      }),
    );
    expectAlive(s, 'with 2,000 clients');
  });
});
