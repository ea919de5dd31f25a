// Wrong FTP servers (thread-pool-ftp): each run of that suite takes a minute or more, so they have a
// file of their own, which Vitest runs beside the others (see wrong-implementations.ts).
import { wrongImplementationTests } from './wrong-implementations.ts';

wrongImplementationTests((step) => step.id === 'thread-pool-ftp');
