import type { ConsoleModule } from '../types';

const organisation: ConsoleModule = {
  name: 'organisation',
  roles: ['city_admin', 'district_admin', 'street_admin', 'community_secretary', 'grid_leader', 'unit_contact', 'inspector'],
  menu: [{ path: '/organisations', title: 'menu.organisations' }],
  routes: [
    { path: 'organisations', name: 'org-tree', component: () => import('./OrgTree.vue') },
    { path: 'organisations/:id', name: 'org', component: () => import('./OrgPage.vue'), props: true },
  ],
};
export default organisation;
