// Wrong implementations of the exercises tested in process (see wrong-implementations.ts).
import { wrongImplementationTests } from './wrong-implementations.ts';

wrongImplementationTests((step) => step.server === undefined);
