import type { ConsoleModule } from '../types';

const staff = ['city_admin', 'district_admin', 'street_admin', 'community_secretary', 'grid_leader', 'unit_contact', 'inspector'];

const member: ConsoleModule = {
  name: 'member',
  roles: staff,
  menu: [
    { path: '/members', title: 'menu.members' },
    { path: '/members/new', title: 'menu.register' },
    { path: '/members/import', title: 'menu.import' },
  ],
  routes: [
    { path: 'members', name: 'members', component: () => import('./MemberList.vue') },
    { path: 'members/new', name: 'member-register', component: () => import('./MemberRegister.vue') },
    { path: 'members/import', name: 'member-import', component: () => import('./MemberImport.vue') },
    { path: 'members/:id', name: 'member', component: () => import('./MemberPage.vue'), props: true },
  ],
};
export default member;
