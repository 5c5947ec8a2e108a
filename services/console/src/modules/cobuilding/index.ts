import type { ConsoleModule, WorkItem } from '../types';
import type { SessionInfo } from '../../session';
import { api, type V1ServiceRequest } from '../../api/client';
import { getOrg, orgName } from '../../lib/orgs';
import { requestWork } from '../../lib/cobuilding';

// Residents' requests past their time limit in the caller's scope: not
// accepted in time, or without progress in time once accepted.
async function workItems(who: SessionInfo): Promise<WorkItem[]> {
  if (who.role === 'unit_contact' || who.role === 'inspector') return [];
  const reqs: V1ServiceRequest[] = [];
  let pageToken: string | undefined;
  try {
    do {
      const r = await api.serviceRequestServiceListServiceRequests({ ancestorId: who.scopeOrgId || undefined, overdueOnly: true, pageSize: 500, pageToken });
      reqs.push(...(r.data.serviceRequests ?? []));
      pageToken = r.data.nextPageToken || undefined;
    } while (pageToken && reqs.length < 2000);
  } catch {
    // A role the requests are not for: nothing of them waits for it.
    return [];
  }
  await Promise.all([...new Set(reqs.map((r) => r.communityId))].slice(0, 200).map((id) => getOrg(id)));
  const out: WorkItem[] = [];
  for (const r of reqs) {
    const kind = requestWork(r);
    if (kind) out.push({ kind, title: r.title ?? '', detail: orgName(r.communityId), to: `/service-requests/${r.id}`, due: kind === 'requestResponse' ? r.responseDueTime : r.progressDueTime });
  }
  return out;
}

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
    { path: '/service-requests', title: 'menu.requests' },
    { path: '/venues', title: 'menu.venues' },
    { path: '/volunteer-teams', title: 'menu.teams' },
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
    { path: 'service-requests', name: 'service-requests', component: () => import('./RequestList.vue') },
    { path: 'service-requests/rates', name: 'service-request-rates', component: () => import('./RequestRates.vue') },
    { path: 'venues', name: 'venues', component: () => import('./VenueList.vue') },
    { path: 'venues/:id', name: 'venue', component: () => import('./VenuePage.vue'), props: true },
    { path: 'volunteer-teams', name: 'volunteer-teams', component: () => import('./TeamList.vue') },
    { path: 'volunteer-teams/:id', name: 'volunteer-team', component: () => import('./TeamPage.vue'), props: true },
    { path: 'service-requests/:id', name: 'service-request', component: () => import('./RequestPage.vue'), props: true },
  ],
  workItems,
};
export default cobuilding;
