// Wrong implementations of the server exercises, tested through the socket harness (see
// wrong-implementations.ts); a file of its own so that Vitest runs it beside the others.
import { wrongImplementationTests } from './wrong-implementations.ts';

wrongImplementationTests(true);
