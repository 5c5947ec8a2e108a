import type { ConsoleModule, WorkItem } from '../types';
import type { SessionInfo } from '../../session';
import { api, type V1Transfer } from '../../api/client';
import { getOrg, orgName } from '../../lib/orgs';
import { expiringSoon, inScope, stepFor } from '../../lib/worklist';
import { i18n } from '../../i18n';

const t = (k: string, v?: Record<string, unknown>) => i18n.global.t(k, v ?? {});

// Every open transfer the caller sees, page by page (a district has tens
// of open transfers, not thousands).
async function openTransfers(): Promise<V1Transfer[]> {
  const out: V1Transfer[] = [];
  for (const state of ['TRANSFER_STATE_REQUESTED', 'TRANSFER_STATE_CONFIRMED', 'TRANSFER_STATE_RELEASED', 'TRANSFER_STATE_SUSPENDED'] as const) {
    let pageToken: string | undefined;
    do {
      const r = await api.transferServiceListTransfers({ state, pageSize: 500, pageToken });
      out.push(...(r.data.transfers ?? []));
      pageToken = r.data.nextPageToken || undefined;
    } while (pageToken && out.length < 5000);
  }
  return out;
}

async function workItems(who: SessionInfo): Promise<WorkItem[]> {
  const items: WorkItem[] = [];
  // A member cannot list transfers (the member service serves a member
  // only the transfer they are given, by its id): their confirmation is
  // reached by the link the sending side gives them.
  if (who.role === 'member') return items;
  const transfers = await openTransfers();
  const root = who.scopeOrgId;
  for (const tr of transfers) {
    const [from, to] = await Promise.all([getOrg(tr.fromOrganisationId), getOrg(tr.toOrganisationId)]);
    const step = stepFor(tr, who, { from: inScope(from ?? undefined, root), to: inScope(to ?? undefined, root) });
    const title = `${orgName(tr.fromOrganisationId)} → ${tr.toOrganisationId ? orgName(tr.toOrganisationId) : (tr.outside?.organisation ?? '')}`;
    if (step) items.push({ kind: step === 'resume' ? 'release' : step, title, detail: tr.letterNumber, to: `/transfers/${tr.id}`, due: tr.letterDeadline });
    if (expiringSoon(tr, 3)) items.push({ kind: 'expiring', title, detail: tr.letterNumber, to: `/transfers/${tr.id}`, due: tr.letterDeadline });
  }
  {
    const [pocket, overdue, review] = await Promise.allSettled([
      api.transferServiceListPocketMembers({ pageSize: 100 }),
      api.mobileServiceListMobileRecords({ organisationId: who.scopeOrgId, contactOverdueOnly: true, pageSize: 100 }),
      api.transferServiceListTransfers({ review: 'TRANSFER_REVIEW_FILTER_PENDING', pageSize: 100 }),
    ]);
    if (pocket.status === 'fulfilled')
      for (const tr of pocket.value.data.transfers ?? [])
        items.push({ kind: 'pocket', title: `${orgName(tr.fromOrganisationId)} · ${tr.letterNumber ?? ''}`, to: `/transfers/${tr.id}`, due: tr.letterDeadline });
    if (overdue.status === 'fulfilled')
      for (const r of overdue.value.data.records ?? [])
        items.push({ kind: 'overdue', title: r.person?.name ?? r.place ?? r.memberId ?? '', detail: r.place, to: r.memberId ? `/members/${r.memberId}` : '/', due: r.contactDueTime });
    if (review.status === 'fulfilled')
      for (const tr of review.value.data.transfers ?? [])
        items.push({ kind: 'review', title: `${orgName(tr.fromOrganisationId)} → ${orgName(tr.toOrganisationId)}`, to: `/transfers/${tr.id}`, detail: t('home.waiting') });
  }
  return items;
}

const transfer: ConsoleModule = {
  name: 'transfer',
  roles: ['city_admin', 'district_admin', 'street_admin', 'community_secretary', 'grid_leader', 'unit_contact', 'inspector'],
  menu: [
    { path: '/transfers', title: 'menu.transfers' },
    { path: '/transfers/new', title: 'menu.startTransfer' },
    { path: '/transfers/pocket', title: 'menu.pocket' },
    { path: '/transfers/bulk', title: 'menu.bulk' },
  ],
  routes: [
    { path: 'transfers', name: 'transfers', component: () => import('./TransferList.vue') },
    { path: 'transfers/new', name: 'transfer-start', component: () => import('./TransferStart.vue') },
    { path: 'transfers/pocket', name: 'pocket', component: () => import('./PocketMembers.vue') },
    { path: 'transfers/bulk', name: 'bulk-transfer', component: () => import('./BulkTransfer.vue') },
    { path: 'transfers/:id', name: 'transfer', component: () => import('./TransferPage.vue'), props: true },
    { path: 'transfers/:id/letter', name: 'transfer-letter', component: () => import('./TransferLetter.vue'), props: true },
  ],
  workItems,
};
export default transfer;
