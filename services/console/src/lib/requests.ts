// The residents' requests (接诉即办): the steps a request offers in each
// state, and the month's rates per community as a table and a chart. The
// service decides who may take a step; the page offers what the state
// allows and shows the service's refusal beside the field it names.

export type RequestAction = 'assign' | 'claim' | 'accept' | 'progress' | 'answer' | 'rate' | 'close';

/** requestActions are the steps a request in state offers, in the order of its life. */
export function requestActions(state: string | undefined, kind?: string): RequestAction[] {
  const claimable = kind === 'SERVICE_REQUEST_KIND_MICRO_WISH' || kind === 'SERVICE_REQUEST_KIND_CLAIM_AND_HANDLE';
  switch (state) {
    case 'SERVICE_REQUEST_STATE_RECEIVED': return claimable ? ['assign', 'claim'] : ['assign'];
    case 'SERVICE_REQUEST_STATE_ASSIGNED': return ['accept', 'assign'];
    case 'SERVICE_REQUEST_STATE_ACCEPTED': return ['progress', 'answer'];
    case 'SERVICE_REQUEST_STATE_ANSWERED': return ['rate', 'close'];
    case 'SERVICE_REQUEST_STATE_RATED': return ['close'];
    default: return [];
  }
}

export interface RatesLike {
  communityId?: string;
  communityName?: string;
  received?: number;
  responded?: number;
  answered?: number;
  onTime?: number;
  resolved?: number;
  rated?: number;
  satisfied?: number;
  responseRate?: number;
  onTimeRate?: number;
  resolutionRate?: number;
  satisfactionRate?: number;
}

/** percent writes a rate (0…1) as a whole percentage, or — when nothing was measured. */
export function percent(rate: number | undefined, measured: number | undefined): string {
  if (!measured) return '—';
  return `${Math.round((rate ?? 0) * 1000) / 10}%`;
}

export interface RateLabels {
  response: string;
  onTime: string;
  resolution: string;
  satisfaction: string;
}

/** ratesChart is a bar per community for each of the four rates, in percent. */
export function ratesChart(rows: RatesLike[], l: RateLabels) {
  const names = rows.map((r) => r.communityName || r.communityId || '');
  const pct = (x: number | undefined) => Math.round((x ?? 0) * 1000) / 10;
  const keys = [
    ['response', 'responseRate'], ['onTime', 'onTimeRate'], ['resolution', 'resolutionRate'], ['satisfaction', 'satisfactionRate'],
  ] as const;
  const colors = ['#c8102e', '#e6a23c', '#2b7a0b', '#3a6ea5'];
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${v}%` },
    legend: { bottom: 0 },
    grid: { left: 8, right: 8, top: 16, bottom: 40, containLabel: true },
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: keys.map(([label, field], i) => ({
      type: 'bar', name: l[label], animation: false, itemStyle: { color: colors[i] }, data: rows.map((r) => pct(r[field])),
    })),
  };
}

/** thisMonth is the current month as YYYY-MM, in local time. */
export function thisMonth(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
}
