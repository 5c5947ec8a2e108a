import type { ConsoleModule, WorkItem } from '../types';
import type { SessionInfo } from '../../session';
import { api, type V1RectificationItem } from '../../api/client';
import { orgName, getOrg } from '../../lib/orgs';
import { itemWork } from '../../lib/supervision';

// The items waiting for the caller: open ones their organisations must
// answer, submitted ones for an inspector or administrator to decide.
async function workItems(who: SessionInfo): Promise<WorkItem[]> {
  const out: WorkItem[] = [];
  const states = who.role === 'community_secretary' || who.role === 'grid_leader' ? (['ITEM_STATE_OPEN'] as const) : (['ITEM_STATE_OPEN', 'ITEM_STATE_SUBMITTED'] as const);
  for (const state of states) {
    let pageToken: string | undefined;
    const items: V1RectificationItem[] = [];
    do {
      const r = await api.rectificationServiceListItems({ ancestorId: who.scopeOrgId || undefined, state, pageSize: 500, pageToken });
      items.push(...(r.data.items ?? []));
      pageToken = r.data.nextPageToken || undefined;
    } while (pageToken && items.length < 2000);
    await Promise.all([...new Set(items.map((i) => i.organisationId))].slice(0, 200).map((id) => getOrg(id)));
    for (const i of items) {
      const kind = itemWork(i, who.role);
      if (kind) out.push({ kind, title: i.title ?? '', detail: orgName(i.organisationId), to: `/rectification-items/${i.id}`, due: i.deadline });
    }
  }
  return out;
}

const supervision: ConsoleModule = {
  name: 'supervision',
  roles: ['city_admin', 'district_admin', 'street_admin', 'community_secretary', 'grid_leader', 'inspector'],
  menu: [
    { path: '/supervision', title: 'menu.dashboard' },
    { path: '/rectification-items', title: 'menu.items' },
    { path: '/rules', title: 'menu.rules' },
    { path: '/findings', title: 'menu.findings' },
    { path: '/inspection-rounds', title: 'menu.rounds' },
    { path: '/interviews', title: 'menu.interviews' },
    { path: '/assessment', title: 'menu.assessment' },
    { path: '/assessment/task-lists', title: 'menu.taskLists' },
    { path: '/commendations', title: 'menu.commendations' },
  ],
  routes: [
    { path: 'supervision', name: 'supervision-dashboard', component: () => import('./Dashboard.vue') },
    { path: 'rectification-items', name: 'items', component: () => import('./ItemList.vue') },
    { path: 'rectification-items/:id', name: 'item', component: () => import('./ItemPage.vue'), props: true },
    { path: 'rules', name: 'rules', component: () => import('./RuleList.vue') },
    { path: 'rules/:id', name: 'rule', component: () => import('./RulePage.vue'), props: true },
    { path: 'findings', name: 'findings', component: () => import('./FindingList.vue') },
    { path: 'inspection-rounds', name: 'rounds', component: () => import('./RoundList.vue') },
    { path: 'inspection-rounds/:id', name: 'round', component: () => import('./RoundPage.vue'), props: true },
    { path: 'interviews', name: 'interviews', component: () => import('./InterviewList.vue') },
    { path: 'assessment', name: 'assessment', component: () => import('./Assessment.vue') },
    { path: 'assessment/task-lists', name: 'task-lists', component: () => import('./TaskLists.vue') },
    { path: 'assessment/task-lists/:id', name: 'task-list', component: () => import('./TaskListPage.vue'), props: true },
    { path: 'commendations', name: 'commendations', component: () => import('./Commendations.vue') },
    { path: 'interviews/:id', name: 'interview', component: () => import('./InterviewPage.vue'), props: true },
  ],
  workItems,
};
export default supervision;
