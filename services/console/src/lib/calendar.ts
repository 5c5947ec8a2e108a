// The week view of a venue's bookings: seven days from a Monday, each
// booking placed on its day by its local start and end, with the day's
// kind from the official calendar (holidays and the weekend days made
// working days).

export interface BookingLike {
  id?: string;
  startTime?: string;
  endTime?: string;
  cancelled?: boolean;
}

export interface CalendarDayLike {
  date?: string;
  kind?: string;
  name?: string;
}

export interface WeekDay<B> {
  /** YYYY-MM-DD, local */
  date: string;
  /** 0 Monday … 6 Sunday */
  weekday: number;
  rest: boolean;
  holiday?: string;
  bookings: B[];
}

/** ymd is a date's local YYYY-MM-DD. */
export function ymd(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** monday is the Monday (local midnight) of the week holding d. */
export function monday(d: Date): Date {
  const m = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  m.setDate(m.getDate() - ((m.getDay() + 6) % 7));
  return m;
}

/** hm is a time's local HH:MM. */
export function hm(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * week lays the bookings of the week from start out by day, earliest
 * first; cancelled ones are left out. A day is a rest day when the
 * official calendar says holiday, or it is a weekend day the calendar
 * does not make a working day.
 */
export function week<B extends BookingLike>(start: Date, bookings: B[], days: CalendarDayLike[]): Array<WeekDay<B>> {
  const byDate = new Map(days.map((d) => [d.date ?? '', d]));
  const out: Array<WeekDay<B>> = [];
  for (let i = 0; i < 7; i++) {
    const d = new Date(start.getFullYear(), start.getMonth(), start.getDate() + i);
    const date = ymd(d);
    const cal = byDate.get(date);
    const weekend = i >= 5;
    const rest = cal?.kind === 'DAY_KIND_HOLIDAY' || (weekend && cal?.kind !== 'DAY_KIND_WORKDAY');
    out.push({ date, weekday: i, rest, holiday: cal?.kind === 'DAY_KIND_HOLIDAY' ? cal.name || '' : undefined, bookings: [] });
  }
  for (const b of bookings) {
    if (b.cancelled || !b.startTime) continue;
    const day = out.find((d) => d.date === ymd(new Date(b.startTime as string)));
    day?.bookings.push(b);
  }
  for (const d of out) d.bookings.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? ''));
  return out;
}

/** at is the instant of a local date (YYYY-MM-DD) and time (HH:MM), as RFC 3339. */
export function at(date: string, time: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const [h, min] = time.split(':').map(Number);
  return new Date(y, (m ?? 1) - 1, d ?? 1, h ?? 0, min ?? 0).toISOString();
}
