// Co-building as the console shows it: a unit's months (filed, late,
// missed, still due), the steps a ledger item and an agreement offer. The
// service decides every step and finds the missed months; these only
// arrange what it answers.

/** month is the YYYY-MM of a date. */
export function month(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

/** previousMonth is the month before the one d falls in: the month a report is usually filed for. */
export function previousMonth(d = new Date()): string {
  return month(new Date(d.getFullYear(), d.getMonth() - 1, 1));
}

/** monthsBetween lists the months from first to last (YYYY-MM or a date), both included. */
export function monthsBetween(first: string, last: string): string[] {
  const [fy, fm] = first.slice(0, 7).split('-').map(Number);
  const [ly, lm] = last.slice(0, 7).split('-').map(Number);
  const out: string[] = [];
  for (let y = fy, m = fm; y < ly || (y === ly && m <= lm); m === 12 ? ((y += 1), (m = 1)) : (m += 1)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    if (out.length > 600) break;
  }
  return out;
}

export type MonthState = 'filed' | 'late' | 'missed' | 'due';

export interface UnitMonth {
  month: string;
  state: MonthState;
  reportId?: string;
}

/**
 * unitMonths is a unit's months, newest first: each month with a report is
 * filed (or late, as the service marked it); each the service found missed
 * is missed; the rest up to the last are still due.
 */
export function unitMonths(
  reports: Array<{ id?: string; month?: string; late?: boolean }>,
  missed: Array<{ month?: string }>,
  first: string,
  last: string,
): UnitMonth[] {
  const filed = new Map(reports.filter((r) => r.month).map((r) => [r.month!, r]));
  const gone = new Set(missed.map((m) => m.month));
  return monthsBetween(first, last)
    .reverse()
    .map((m) => {
      const r = filed.get(m);
      if (r) return { month: m, state: r.late ? 'late' : 'filed', reportId: r.id };
      return { month: m, state: gone.has(m) ? 'missed' : 'due' };
    });
}

export type LedgerAction = 'report' | 'close' | 'sendBack';

/** ledgerActions are the steps to offer on a ledger item: its owner reports, the convener ticks off or sends back. */
export function ledgerActions(status: string | undefined, side: { owner: boolean; convener: boolean }): LedgerAction[] {
  switch (status) {
    case 'LEDGER_ITEM_STATUS_OPEN':
    case 'LEDGER_ITEM_STATUS_SENT_BACK':
      return side.owner ? ['report'] : [];
    case 'LEDGER_ITEM_STATUS_REPORTED':
      return [...(side.owner ? (['report'] as LedgerAction[]) : []), ...(side.convener ? (['close', 'sendBack'] as LedgerAction[]) : [])];
    default:
      return [];
  }
}

/** agreementLive says whether an agreement can still be renewed, ended or edited. */
export function agreementLive(a: { state?: string }): boolean {
  return a.state === 'AGREEMENT_STATE_LIVE';
}

/** changedFields is the update mask of an edit: the fields whose value differs. */
export function changedFields<T extends Record<string, unknown>>(before: T, after: T, fields: Array<keyof T & string>): string[] {
  return fields.filter((f) => JSON.stringify(before[f] ?? null) !== JSON.stringify(after[f] ?? null)).map((f) => f.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()));
}

export type RequestWork = 'requestResponse' | 'requestProgress';

/**
 * requestWork says which time limit a resident's request is past, as the
 * service announced it: not accepted in time while it waits for a
 * handler, or without progress in time once accepted. An answered, rated
 * or closed request is past nothing.
 */
export function requestWork(r: { state?: string; responseOverdue?: boolean; progressOverdue?: boolean }): RequestWork | null {
  switch (r.state) {
    case 'SERVICE_REQUEST_STATE_RECEIVED':
    case 'SERVICE_REQUEST_STATE_ASSIGNED':
      return r.responseOverdue ? 'requestResponse' : null;
    case 'SERVICE_REQUEST_STATE_ACCEPTED':
      return r.progressOverdue ? 'requestProgress' : null;
    default:
      return null;
  }
}
