import { describe, expect, it } from 'vitest';
import { dateTime, day, daysUntil, duration, enumText } from './format';

describe('enumText', () => {
  it('names values in Chinese and, in English, by their words', () => {
    expect(enumText('EMPLOYMENT_STATUS_RETIRED', 'zh-CN')).toBe('离退休');
    expect(enumText('EMPLOYMENT_STATUS_RETIRED', 'en')).toBe('Retired');
    expect(enumText('ORGANISATION_KIND_GENERAL_BRANCH', 'en')).toBe('General branch');
    expect(enumText('SEX_UNSPECIFIED', 'zh-CN')).toBe('');
    expect(enumText('SOMETHING_NEW', 'zh-CN')).toBe('SOMETHING_NEW');
  });
});

describe('dates', () => {
  it('keeps plain dates and formats instants in local time', () => {
    expect(day('2026-02-03')).toBe('2026-02-03');
    const t = new Date(2026, 0, 5, 9, 7).toISOString();
    expect(day(t)).toBe('2026-01-05');
    expect(dateTime(t)).toBe('2026-01-05 09:07');
  });
  it('counts whole days and hours', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    expect(daysUntil('2026-03-04T12:00:00Z', now)).toBe(3);
    expect(daysUntil('2026-02-28T00:00:00Z', now)).toBe(-1);
    expect(duration(2 * 3600000 + 5 * 60000)).toBe('2:05');
  });
});
