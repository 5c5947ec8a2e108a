import type { ConsoleModule } from './types';
import organisation from './organisation';
import member from './member';
import transfer from './transfer';
import stats from './stats';

// The console's areas, in menu order. Co-building and supervision join here
// as modules of their own when their services are served by the gateway.
export const modules: ConsoleModule[] = [organisation, member, transfer, stats];
