import { describe, expect, it } from 'vitest';
import { changedFields, ledgerActions, monthsBetween, previousMonth, requestWork, unitMonths } from './cobuilding';

describe('months', () => {
  it('lists the months across a year end, both ends included', () => {
    expect(monthsBetween('2025-11-15', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-03', '2026-02')).toEqual([]);
  });
  it('files a report for the month before', () => {
    expect(previousMonth(new Date(2026, 0, 10))).toBe('2025-12');
  });
});

describe('unitMonths', () => {
  it('shows each month filed, late, missed or still due, newest first', () => {
    const got = unitMonths([{ id: 'r1', month: '2026-01' }, { id: 'r2', month: '2026-03', late: true }], [{ month: '2026-02' }], '2026-01', '2026-04');
    expect(got).toEqual([
      { month: '2026-04', state: 'due' },
      { month: '2026-03', state: 'late', reportId: 'r2' },
      { month: '2026-02', state: 'missed' },
      { month: '2026-01', state: 'filed', reportId: 'r1' },
    ]);
  });
});

describe('ledgerActions', () => {
  it('lets the owner report an open or sent-back item', () => {
    expect(ledgerActions('LEDGER_ITEM_STATUS_OPEN', { owner: true, convener: false })).toEqual(['report']);
    expect(ledgerActions('LEDGER_ITEM_STATUS_SENT_BACK', { owner: true, convener: true })).toEqual(['report']);
    expect(ledgerActions('LEDGER_ITEM_STATUS_OPEN', { owner: false, convener: true })).toEqual([]);
  });
  it('lets the convener tick off or send back a reported item, and nobody touch a closed one', () => {
    expect(ledgerActions('LEDGER_ITEM_STATUS_REPORTED', { owner: false, convener: true })).toEqual(['close', 'sendBack']);
    expect(ledgerActions('LEDGER_ITEM_STATUS_CLOSED', { owner: true, convener: true })).toEqual([]);
  });
});

describe('changedFields', () => {
  it('names the changed fields in the API\'s snake case', () => {
    expect(changedFields({ name: 'a', headCount: 1, contacts: [{ name: 'x' }] }, { name: 'a', headCount: 2, contacts: [{ name: 'y' }] }, ['name', 'headCount', 'contacts'])).toEqual(['head_count', 'contacts']);
  });
});

describe('requestWork', () => {
  it('names the limit a waiting or accepted request is past', () => {
    expect(requestWork({ state: 'SERVICE_REQUEST_STATE_RECEIVED', responseOverdue: true })).toBe('requestResponse');
    expect(requestWork({ state: 'SERVICE_REQUEST_STATE_ASSIGNED', responseOverdue: true })).toBe('requestResponse');
    expect(requestWork({ state: 'SERVICE_REQUEST_STATE_ACCEPTED', responseOverdue: true, progressOverdue: true })).toBe('requestProgress');
  });
  it('leaves out a request in time, or one answered, rated or closed', () => {
    expect(requestWork({ state: 'SERVICE_REQUEST_STATE_ACCEPTED', responseOverdue: true })).toBeNull();
    expect(requestWork({ state: 'SERVICE_REQUEST_STATE_ANSWERED', progressOverdue: true })).toBeNull();
    expect(requestWork({ state: 'SERVICE_REQUEST_STATE_CLOSED', responseOverdue: true })).toBeNull();
  });
});
