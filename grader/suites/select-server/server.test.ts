// Hidden suite of the select-server exercise: the shared echo cases (echo-cases.ts) against
// exercises/select-server/server.ts, run as its own process by the harness.
import { describe } from 'vitest';
import { echoCases } from './echo-cases.ts';

describe('select-server', () => {
  echoCases('select-server', 'server.ts');
});
