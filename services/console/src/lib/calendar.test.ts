import { describe, expect, it } from 'vitest';
import { at, hm, monday, week, ymd } from './calendar';

describe('week', () => {
  const start = monday(new Date(2026, 9, 7)); // Wednesday 7 October 2026
  it('starts on the Monday of the week', () => {
    expect(ymd(start)).toBe('2026-10-05');
  });
  it('marks holidays and the weekend, but not a weekend day made a working day', () => {
    const days = week(start, [], [
      { date: '2026-10-05', kind: 'DAY_KIND_HOLIDAY', name: '国庆节' },
      { date: '2026-10-10', kind: 'DAY_KIND_WORKDAY' },
    ]);
    expect(days.map((d) => d.rest)).toEqual([true, false, false, false, false, false, true]);
    expect(days[0].holiday).toBe('国庆节');
  });
  it('places each live booking on its day, earliest first', () => {
    const b = [
      { id: 'late', startTime: at('2026-10-06', '14:00'), endTime: at('2026-10-06', '16:00') },
      { id: 'early', startTime: at('2026-10-06', '09:00'), endTime: at('2026-10-06', '10:00') },
      { id: 'gone', startTime: at('2026-10-06', '11:00'), cancelled: true },
      { id: 'next week', startTime: at('2026-10-12', '09:00') },
    ];
    const days = week(start, b, []);
    expect(days[1].bookings.map((x) => x.id)).toEqual(['early', 'late']);
    expect(days.flatMap((d) => d.bookings)).toHaveLength(2);
    expect(hm(days[1].bookings[0].startTime)).toBe('09:00');
  });
});
