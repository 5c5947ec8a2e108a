import { describe, expect, it } from 'vitest';
import { percent, ratesChart, requestActions, thisMonth } from './requests';

describe('requestActions', () => {
  it('offers a claim only on micro-wishes and claim-and-handle requests', () => {
    expect(requestActions('SERVICE_REQUEST_STATE_RECEIVED', 'SERVICE_REQUEST_KIND_MICRO_WISH')).toEqual(['assign', 'claim']);
    expect(requestActions('SERVICE_REQUEST_STATE_RECEIVED', 'SERVICE_REQUEST_KIND_ENQUIRY')).toEqual(['assign']);
  });
  it('follows the request through its life to nothing once closed', () => {
    expect(requestActions('SERVICE_REQUEST_STATE_ASSIGNED')).toEqual(['accept', 'assign']);
    expect(requestActions('SERVICE_REQUEST_STATE_ACCEPTED')).toEqual(['progress', 'answer']);
    expect(requestActions('SERVICE_REQUEST_STATE_ANSWERED')).toEqual(['rate', 'close']);
    expect(requestActions('SERVICE_REQUEST_STATE_RATED')).toEqual(['close']);
    expect(requestActions('SERVICE_REQUEST_STATE_CLOSED')).toEqual([]);
  });
});

describe('rates', () => {
  it('writes a rate as a percentage, and nothing measured as a dash', () => {
    expect(percent(0.8765, 10)).toBe('87.7%');
    expect(percent(0, 0)).toBe('—');
  });
  it('draws the four rates of each community in percent', () => {
    const o = ratesChart([{ communityName: '赫哲社区', responseRate: 0.5, onTimeRate: 1, resolutionRate: 0.25, satisfactionRate: 0 }],
      { response: 'r', onTime: 'o', resolution: 's', satisfaction: 'f' });
    expect(o.xAxis.data).toEqual(['赫哲社区']);
    expect(o.series.map((s) => s.data[0])).toEqual([50, 100, 25, 0]);
  });
  it('names the month as YYYY-MM', () => {
    expect(thisMonth(new Date(2026, 0, 31))).toBe('2026-01');
  });
});
