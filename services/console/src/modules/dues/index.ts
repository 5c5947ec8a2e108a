import type { ConsoleModule, WorkItem } from '../types';
import type { SessionInfo } from '../../session';
import { api, type V1LostContactMember } from '../../api/client';
import { getOrg, orgName } from '../../lib/orgs';
import { scopeRoot } from './scope';

const readers = ['city_admin', 'district_admin', 'street_admin', 'community_secretary', 'grid_leader', 'inspector'];

// The members of the caller's scope who are flagged lost contact: no
// organisation life, no dues and (while mobile) no word of their own for
// longer than the district's windows. Each item opens the member.
async function workItems(who: SessionInfo): Promise<WorkItem[]> {
  if (!readers.includes(who.role ?? '')) return [];
  const root = await scopeRoot(who);
  if (!root) return [];
  const lost: V1LostContactMember[] = [];
  let pageToken: string | undefined;
  do {
    const r = await api.participationServiceListLostContactMembers(root, { pageSize: 500, pageToken });
    lost.push(...(r.data.members ?? []));
    pageToken = r.data.nextPageToken || undefined;
  } while (pageToken && lost.length < 2000);
  await Promise.all([...new Set(lost.map((m) => m.organisationId))].slice(0, 200).map((id) => getOrg(id)));
  return lost.map((m) => ({ kind: 'lostContact', title: m.name ?? m.memberId ?? '', detail: orgName(m.organisationId), to: `/members/${m.memberId}` }));
}

const dues: ConsoleModule = {
  name: 'dues',
  roles: readers,
  menu: [
    { path: '/dues/ledger', title: 'menu.duesLedger' },
    { path: '/dues/arrears', title: 'menu.duesArrears' },
    { path: '/dues/lost-contact', title: 'menu.lostContact' },
    { path: '/dues/quote', title: 'menu.duesQuote' },
    { path: '/dues/settings', title: 'menu.duesSettings' },
  ],
  routes: [
    { path: 'dues/ledger', name: 'dues-ledger', component: () => import('./DuesLedger.vue') },
    { path: 'dues/arrears', name: 'dues-arrears', component: () => import('./DuesArrears.vue') },
    { path: 'dues/lost-contact', name: 'lost-contact', component: () => import('./LostContact.vue') },
    { path: 'dues/quote', name: 'dues-quote', component: () => import('./DuesQuote.vue') },
    { path: 'dues/settings', name: 'dues-settings', component: () => import('./DuesSettings.vue') },
  ],
  workItems,
};
export default dues;
