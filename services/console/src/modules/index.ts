import type { ConsoleModule } from './types';
import organisation from './organisation';
import member from './member';
import transfer from './transfer';
import stats from './stats';
import cobuilding from './cobuilding';
import supervision from './supervision';
import dues from './dues';

// The console's areas, in menu order.
export const modules: ConsoleModule[] = [organisation, member, transfer, dues, stats, cobuilding, supervision];
