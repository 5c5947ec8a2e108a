import type { ConsoleModule } from '../types';

const stats: ConsoleModule = {
  name: 'stats',
  roles: ['city_admin', 'district_admin', 'street_admin', 'community_secretary', 'inspector'],
  menu: [{ path: '/stats', title: 'menu.stats' }],
  routes: [{ path: 'stats', name: 'stats', component: () => import('./Composition.vue') }],
};
export default stats;
