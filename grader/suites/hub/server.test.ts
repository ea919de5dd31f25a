// Hidden suite of the hub exercise, part 2: the coroutine echo server (server.ts, on the learner's own
// hub.ts) through the socket harness, with every echo case of select-server.
import { describe } from 'vitest';
import { echoCases } from '../select-server/echo-cases.ts';

describe('server.ts on your hub', () => {
  echoCases('hub', 'server.ts');
});
