import { describe, expect, it } from 'vitest';
import { evidenceOf, itemActions, itemWork, levelChart, previewLines, ruleChart, stateChart, trendChart, type DashboardLabels } from './supervision';

const labels: DashboardLabels = { open: 'open', submitted: 'submitted', closed: 'closed', overdue: 'overdue', findings: 'findings', itemsOpened: 'opened', rule: (c) => 'rule ' + c };

describe('itemActions', () => {
  it('offers the owner evidence on an open item, and nothing to decide', () => {
    expect(itemActions({ state: 'ITEM_STATE_OPEN' }, 'community_secretary')).toEqual(['submit']);
    expect(itemActions({ state: 'ITEM_STATE_SUBMITTED' }, 'community_secretary')).toEqual([]);
  });
  it('offers an inspector acceptance or return of submitted evidence, and reopening a closed item', () => {
    expect(itemActions({ state: 'ITEM_STATE_OPEN' }, 'inspector')).toEqual([]);
    expect(itemActions({ state: 'ITEM_STATE_SUBMITTED' }, 'inspector')).toEqual(['accept', 'return']);
    expect(itemActions({ state: 'ITEM_STATE_CLOSED' }, 'inspector')).toEqual(['reopen']);
  });
  it('offers a member nothing', () => {
    expect(itemActions({ state: 'ITEM_STATE_OPEN' }, 'member')).toEqual([]);
  });
});

describe('evidenceOf', () => {
  it('drops empty rows and trims the rest', () => {
    expect(evidenceOf([{ description: ' 会议记录 ' }, { description: ' ', reference: '' }, { activityId: 'a-1' }])).toEqual([
      { description: '会议记录', reference: undefined, activityId: undefined },
      { description: undefined, reference: undefined, activityId: 'a-1' },
    ]);
  });
});

describe('the dashboard charts', () => {
  const d = {
    items: { open: '3', submitted: '2', closed: '5', overdue: '1' },
    byRule: [{ ruleCode: 'pocket_member', items: { open: '2', overdue: '1' } }, { ruleCode: 'x', items: { closed: '5' } }],
    byBranch: [{ organisationId: 's1', name: '东街道', items: { open: '1' } }, { organisationId: 's2', items: { submitted: '2' } }],
    trend: [{ quarter: '2026-Q3', findings: '4', itemsOpened: '3' }, { quarter: '2026-Q2', findings: '1' }],
  };
  it('draws the items by state from int64 strings', () => {
    expect(stateChart(d, labels).series[0].data).toEqual([{ name: 'open', value: 3 }, { name: 'submitted', value: 2 }, { name: 'closed', value: 5 }]);
  });
  it('stacks each rule by state and keeps overdue apart', () => {
    const c = ruleChart(d, labels);
    expect(c.xAxis.data).toEqual(['rule pocket_member', 'rule x']);
    expect(c.series.map((s) => [s.name, s.stack, s.data])).toEqual([
      ['open', 'items', [2, 0]], ['submitted', 'items', [0, 0]], ['closed', 'items', [0, 5]], ['overdue', 'overdue', [1, 0]],
    ]);
  });
  it('names the level below by name, or by id when the name is missing', () => {
    expect(levelChart(d, labels).xAxis.data).toEqual(['东街道', 's2']);
  });
  it('puts the quarters in order', () => {
    const c = trendChart(d, labels);
    expect(c.xAxis.data).toEqual(['2026-Q2', '2026-Q3']);
    expect(c.series[0].data).toEqual([1, 4]);
    expect(c.series[1].data).toEqual([0, 3]);
  });
});

describe('previewLines', () => {
  it('lists the districts with the most items to open first', () => {
    expect(previewLines({ districts: [
      { districtName: '同江县', itemsToOpen: 2, newFindings: 2, enabled: true },
      { districtId: 'd-2', itemsToOpen: 37, newFindings: 40 },
    ] })).toEqual([
      { district: 'd-2', items: 37, findings: 40, enabled: false },
      { district: '同江县', items: 2, findings: 2, enabled: true },
    ]);
  });
});

describe('itemWork', () => {
  it('puts an open item under rectify for its owner, or overdue when it is', () => {
    expect(itemWork({ state: 'ITEM_STATE_OPEN' }, 'community_secretary')).toBe('rectify');
    expect(itemWork({ state: 'ITEM_STATE_OPEN', overdue: true }, 'district_admin')).toBe('overdueItem');
  });
  it('puts a submitted item under accept for an inspector, and nowhere for the owner', () => {
    expect(itemWork({ state: 'ITEM_STATE_SUBMITTED' }, 'inspector')).toBe('accept');
    expect(itemWork({ state: 'ITEM_STATE_SUBMITTED' }, 'community_secretary')).toBeNull();
    expect(itemWork({ state: 'ITEM_STATE_CLOSED' }, 'inspector')).toBeNull();
  });
});
