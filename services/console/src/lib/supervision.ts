// Supervision as the console shows it: which step of a rectification item
// the caller may take, the district dashboard as charts, what a rule's
// preview would do, and the items that belong on the work list. The
// service decides every step; these only choose what to offer.

export type ItemAction = 'submit' | 'accept' | 'return' | 'reopen';

export interface ItemLike {
  id?: string;
  title?: string;
  state?: string;
  deadline?: string;
  overdue?: boolean;
  needsRemedy?: boolean;
  organisationId?: string;
}

/** deciders are the roles that accept, return and reopen items. */
export const deciders = ['inspector', 'city_admin', 'district_admin', 'street_admin'];

/** owners are the roles that answer an item with evidence. */
export const owners = ['community_secretary', 'grid_leader', 'street_admin', 'district_admin', 'city_admin'];

/** itemActions are the steps to offer on an item in its state. */
export function itemActions(item: ItemLike, role: string | undefined): ItemAction[] {
  const r = role ?? '';
  switch (item.state) {
    case 'ITEM_STATE_OPEN':
      return owners.includes(r) ? ['submit'] : [];
    case 'ITEM_STATE_SUBMITTED':
      return deciders.includes(r) ? ['accept', 'return'] : [];
    case 'ITEM_STATE_CLOSED':
      return deciders.includes(r) ? ['reopen'] : [];
    default:
      return [];
  }
}

export interface EvidenceRow {
  description?: string;
  reference?: string;
  activityId?: string;
}

/** evidenceOf keeps the rows of an evidence form that say something. */
export function evidenceOf(rows: EvidenceRow[]): EvidenceRow[] {
  return rows
    .map((r) => ({ description: r.description?.trim() || undefined, reference: r.reference?.trim() || undefined, activityId: r.activityId?.trim() || undefined }))
    .filter((r) => r.description || r.reference || r.activityId);
}

export interface Counts {
  open?: string | number;
  submitted?: string | number;
  closed?: string | number;
  overdue?: string | number;
}

export interface DashboardLike {
  items?: Counts;
  byRule?: Array<{ ruleCode?: string; items?: Counts }>;
  byBranch?: Array<{ organisationId?: string; name?: string; items?: Counts }>;
  trend?: Array<{ quarter?: string; findings?: string | number; itemsOpened?: string | number }>;
}

/** n reads a count, which int64 fields carry as strings. */
export const n = (v: string | number | undefined): number => Number(v ?? 0) || 0;

/** Labels are the words the charts use, in the caller's language. */
export interface DashboardLabels {
  open: string;
  submitted: string;
  closed: string;
  overdue: string;
  findings: string;
  itemsOpened: string;
  rule: (code: string) => string;
}

const palette = ['#c8102e', '#e6a23c', '#67c23a', '#606266'];

/** stateChart is a pie of the items by state. */
export function stateChart(d: DashboardLike, l: DashboardLabels) {
  const c = d.items ?? {};
  return {
    color: palette,
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [{
      type: 'pie', radius: ['40%', '70%'], animation: false,
      data: [
        { name: l.open, value: n(c.open) },
        { name: l.submitted, value: n(c.submitted) },
        { name: l.closed, value: n(c.closed) },
      ],
    }],
  };
}

/** stackedBars is a bar per category, stacked by state, overdue beside. */
function stackedBars(names: string[], counts: Counts[], l: DashboardLabels) {
  const series = (['open', 'submitted', 'closed', 'overdue'] as const).map((k, i) => ({
    type: 'bar', name: l[k], stack: k === 'overdue' ? 'overdue' : 'items', animation: false,
    itemStyle: { color: palette[i] }, data: counts.map((c) => n(c[k])),
  }));
  return {
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 8, right: 8, top: 16, bottom: 40, containLabel: true },
    // Long names (a district's streets) lean, so that each stays readable.
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 6 || names.join('').length > 36 ? 30 : 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series,
  };
}

/** ruleChart is the items by rule. */
export function ruleChart(d: DashboardLike, l: DashboardLabels) {
  const rows = d.byRule ?? [];
  return stackedBars(rows.map((r) => l.rule(r.ruleCode ?? '')), rows.map((r) => r.items ?? {}), l);
}

/** levelChart is the items by the organisations one level below. */
export function levelChart(d: DashboardLike, l: DashboardLabels) {
  const rows = d.byBranch ?? [];
  return stackedBars(rows.map((r) => r.name || r.organisationId || ''), rows.map((r) => r.items ?? {}), l);
}

/** trendChart is the findings made and items opened by quarter, oldest first. */
export function trendChart(d: DashboardLike, l: DashboardLabels) {
  const rows = [...(d.trend ?? [])].sort((a, b) => (a.quarter ?? '').localeCompare(b.quarter ?? ''));
  return {
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 8, right: 8, top: 16, bottom: 40, containLabel: true },
    xAxis: { type: 'category', data: rows.map((r) => r.quarter ?? '') },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { type: 'bar', name: l.findings, animation: false, itemStyle: { color: palette[0] }, data: rows.map((r) => n(r.findings)) },
      { type: 'bar', name: l.itemsOpened, animation: false, itemStyle: { color: palette[1] }, data: rows.map((r) => n(r.itemsOpened)) },
    ],
  };
}

export interface PreviewLike {
  newFindings?: number;
  districts?: Array<{ districtId?: string; districtName?: string; enabled?: boolean; matching?: number; alreadyFound?: number; newFindings?: number; itemsToOpen?: number }>;
}

/** previewLines are the districts a preview would touch, most items first. */
export function previewLines(p: PreviewLike): Array<{ district: string; items: number; findings: number; enabled: boolean }> {
  return (p.districts ?? [])
    .map((d) => ({ district: d.districtName || d.districtId || '', items: d.itemsToOpen ?? 0, findings: d.newFindings ?? 0, enabled: d.enabled ?? false }))
    .sort((a, b) => b.items - a.items || a.district.localeCompare(b.district));
}

export type ItemWork = 'rectify' | 'accept' | 'overdueItem';

/** itemWork says which heading of the work list an item goes under for the caller. */
export function itemWork(item: ItemLike, role: string | undefined): ItemWork | null {
  const acts = itemActions(item, role);
  if (item.state === 'ITEM_STATE_SUBMITTED' && acts.includes('accept')) return 'accept';
  if (item.state === 'ITEM_STATE_OPEN' && acts.includes('submit')) return item.overdue ? 'overdueItem' : 'rectify';
  return null;
}
