// Wrong implementations of the echo-server exercises (select-server, epoll-server, hub), tested through
// the socket harness (see wrong-implementations.ts); a file of its own so that Vitest runs it beside the others.
import { wrongImplementationTests } from './wrong-implementations.ts';

wrongImplementationTests((step) => step.server !== undefined && step.id !== 'thread-pool-ftp');
