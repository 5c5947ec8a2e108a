import type { ConsoleModule } from '../types';

const cobuilding: ConsoleModule = {
  name: 'cobuilding',
  roles: ['city_admin', 'district_admin', 'street_admin', 'community_secretary', 'grid_leader', 'unit_contact', 'inspector'],
  menu: [
    { path: '/resident-units', title: 'menu.units' },
    { path: '/agreements', title: 'menu.agreements' },
    { path: '/unit-reports', title: 'menu.reports' },
    { path: '/joint-meetings', title: 'menu.meetings' },
    { path: '/ledger-items', title: 'menu.ledger' },
    { path: '/joint-activities', title: 'menu.activities' },
  ],
  routes: [
    { path: 'resident-units', name: 'units', component: () => import('./UnitList.vue') },
    { path: 'resident-units/new', name: 'unit-new', component: () => import('./UnitEdit.vue') },
    { path: 'resident-units/:id', name: 'unit', component: () => import('./UnitPage.vue'), props: true },
    { path: 'resident-units/:id/edit', name: 'unit-edit', component: () => import('./UnitEdit.vue'), props: true },
    { path: 'agreements', name: 'agreements', component: () => import('./AgreementList.vue') },
    { path: 'agreements/new', name: 'agreement-new', component: () => import('./AgreementEdit.vue') },
    { path: 'agreements/:id', name: 'agreement', component: () => import('./AgreementPage.vue'), props: true },
    { path: 'agreements/:id/edit', name: 'agreement-edit', component: () => import('./AgreementEdit.vue'), props: true },
    { path: 'unit-reports', name: 'reports', component: () => import('./ReportList.vue') },
    { path: 'unit-reports/missed', name: 'missed-reports', component: () => import('./MissedReports.vue') },
    { path: 'unit-reports/new', name: 'report-new', component: () => import('./ReportFile.vue') },
    { path: 'unit-reports/:id', name: 'report', component: () => import('./ReportFile.vue'), props: true },
    { path: 'joint-meetings', name: 'meetings', component: () => import('./MeetingList.vue') },
    { path: 'joint-meetings/new', name: 'meeting-new', component: () => import('./MeetingEdit.vue') },
    { path: 'joint-meetings/:id', name: 'meeting', component: () => import('./MeetingPage.vue'), props: true },
    { path: 'ledger-items', name: 'ledger', component: () => import('./LedgerList.vue') },
    { path: 'ledger-items/:id', name: 'ledger-item', component: () => import('./LedgerItemPage.vue'), props: true },
    { path: 'joint-activities', name: 'activities', component: () => import('./ActivityList.vue') },
    { path: 'joint-activities/new', name: 'activity-new', component: () => import('./ActivityRecord.vue') },
  ],
};
export default cobuilding;
