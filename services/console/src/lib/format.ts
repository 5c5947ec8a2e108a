// Display helpers shared by the pages.
import zh from '../locales/zh-CN';

// The enum prefixes of the API, a longer before any it begins with, so that English labels read
// "Retired" rather than "EMPLOYMENT_STATUS_RETIRED".
const prefixes = [
  'EMPLOYMENT_STATUS_', 'ORGANISATION_KIND_', 'ORGANISATION_STATE_', 'TRANSFER_ACTION_', 'TRANSFER_STATE_',
  'COMPLIANCE_RULE_', 'CONCURRENT_POST_', 'IMPORT_OUTCOME_', 'ACTIVITY_KIND_', 'MEMBER_STATUS_', 'CADRE_ROLE_',
  'EDUCATION_', 'SEX_', 'UNIT_TYPE_', 'AGREEMENT_STATE_', 'MEETING_KIND_', 'LEDGER_ITEM_STATUS_', 'ITEM_SOURCE_',
  'ITEM_STATE_', 'STEP_KIND_', 'SEVERITY_', 'INTERVIEW_STATE_', 'WINDOW_KIND_', 'CONSEQUENCE_KIND_', 'SERVICE_REQUEST_STATE_', 'AREA_',
  'SERVICE_REQUEST_KIND_', 'SERVICE_REQUEST_CHANNEL_', 'SATISFACTION_', 'HANDLER_KIND_', 'VENUE_KIND_', 'BOOKER_KIND_', 'ADMITTED_',
  'TEAM_KIND_', 'COMMENDATION_KIND_', 'COMMENDATION_STATE_', 'EVIDENCE_STATE_', 'TASK_KIND_', 'SCORING_METHOD_',
  'DUES_PAYMENT_METHOD_', 'DUES_BAND_KIND_', 'DUES_ENTRY_KIND_',
];

/** enumText is the label of an API enum value in the language lang. */
export function enumText(value: string | undefined, lang: string): string {
  if (!value || value.endsWith('_UNSPECIFIED')) return '';
  if (lang !== 'en') return zh.enum[value] ?? value;
  const p = prefixes.find((x) => value.startsWith(x));
  const words = (p ? value.slice(p.length) : value).toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** day is an ISO date or timestamp as a local date (YYYY-MM-DD). */
export function day(v: string | undefined): string {
  if (!v) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** dateTime is a timestamp as local date and minute. */
export function dateTime(v: string | undefined): string {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day(v)} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** duration says how long until an instant, in hours and minutes. */
export function duration(ms: number): string {
  if (ms <= 0) return '0:00';
  const m = Math.floor(ms / 60000);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
}

/** daysUntil is the whole days from now to an instant (negative: past). */
export function daysUntil(v: string, now = new Date()): number {
  return Math.floor((new Date(v).getTime() - now.getTime()) / 86400000);
}
