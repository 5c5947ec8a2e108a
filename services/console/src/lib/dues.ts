// Party dues in the console. Money is integer fen, as the API keeps it
// (int64, which JSON carries as a string): amounts are added as BigInt and
// turned into yuan text only to be shown; a typed amount in yuan is read
// digit by digit into fen, never through a float.

export type Fen = string | number | bigint | undefined | null;

function big(v: Fen): bigint {
  if (v === undefined || v === null || v === '') return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new RangeError(`fen must be whole: ${v}`);
    return BigInt(v);
  }
  if (!/^-?\d+$/.test(v.trim())) throw new RangeError(`not an amount in fen: ${v}`);
  return BigInt(v.trim());
}

/** fenToYuan shows an amount in fen as yuan with two decimals: "300001" → "3000.01". */
export function fenToYuan(v: Fen): string {
  const n = big(v);
  const neg = n < 0n;
  const a = neg ? -n : n;
  const yuan = a / 100n;
  const fen = a % 100n;
  return `${neg ? '-' : ''}${yuan}.${fen.toString().padStart(2, '0')}`;
}

/** sumFen adds amounts in fen, as a string the API would send. */
export function sumFen(values: Fen[]): string {
  return values.reduce<bigint>((s, v) => s + big(v), 0n).toString();
}

/** isPositive says whether an amount in fen is more than nothing. */
export function isPositive(v: Fen): boolean {
  return big(v) > 0n;
}

export type YuanProblem = 'empty' | 'format' | 'negative' | 'decimals';

/**
 * yuanToFen reads an amount typed in yuan ("3000", "3000.5", "3,000.01")
 * into fen as the API's string ("300001"); a negative amount, more than
 * two decimals or anything not a number is refused with the reason.
 */
export function yuanToFen(text: string): { fen: string } | { problem: YuanProblem } {
  const s = text.trim().replace(/[,，\s]/g, '');
  if (!s) return { problem: 'empty' };
  if (/^-/.test(s)) return /^-\d*(\.\d*)?$/.test(s) && /\d/.test(s) ? { problem: 'negative' } : { problem: 'format' };
  const m = /^\+?(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (!m[1] && !m[2])) return { problem: 'format' };
  const decimals = m[2] ?? '';
  if (decimals.length > 2) return { problem: 'decimals' };
  const fen = BigInt(m[1] || '0') * 100n + BigInt((decimals + '00').slice(0, 2));
  return { fen: fen.toString() };
}

/** ratePercent shows a rate in basis points (hundredths of a percent) as a percentage: 50 → "0.5%". */
export function ratePercent(bp: Fen): string {
  const n = big(bp);
  const whole = n / 100n;
  const frac = (n % 100n).toString().padStart(2, '0').replace(/0+$/, '');
  return `${whole}${frac ? '.' + frac : ''}%`;
}

/** The state of a bill line: nothing owed because exempt, paid, or owing. */
export type BillState = 'exempt' | 'paid' | 'unpaid';

export interface BillLike {
  exempt?: boolean;
  owedFen?: string;
}

export function billState(b: BillLike): BillState {
  if (b.exempt) return 'exempt';
  return isPositive(b.owedFen) ? 'unpaid' : 'paid';
}

/** validMonth says whether s is a month as the API writes it, YYYY-MM. */
export function validMonth(s: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(s);
}

/** monthBefore is the month n months before month (YYYY-MM). */
export function monthBefore(month: string, n = 1): string {
  const [y, m] = month.split('-').map(Number);
  const i = y * 12 + (m - 1) - n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
}

/** today is the local date as YYYY-MM-DD. */
export function today(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

/** The roles that bill, take payments and declare incomes for members in their scope. */
export const duesWriters = ['city_admin', 'district_admin', 'street_admin', 'community_secretary'];

/** mayWriteDues says whether a role may generate bills and record payments. */
export function mayWriteDues(role: string | undefined): boolean {
  return duesWriters.includes(role ?? '');
}

/** mayDeclareIncome says whether the caller may declare the income of the member: staff who write, or the member for themselves. */
export function mayDeclareIncome(who: { role?: string; memberId?: string } | null | undefined, memberId: string): boolean {
  if (!who) return false;
  if (who.role === 'member') return !!who.memberId && who.memberId === memberId;
  return mayWriteDues(who.role);
}

/** The part of a ledger entry that says what it is and what it reverses. */
export interface EntryLike {
  id?: string;
  kind?: string;
  reverses?: string;
}

/**
 * reversals maps each payment that a refund or a correction reversed to the
 * kind of the entry that reversed it: entries are never edited, so a
 * payment's fate is read from the entries after it.
 */
export function reversals(entries: EntryLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    if (e.reverses && (e.kind === 'DUES_ENTRY_KIND_REFUND' || e.kind === 'DUES_ENTRY_KIND_CORRECTION')) out.set(e.reverses, e.kind);
  }
  return out;
}

/** reversible says whether an entry is a payment no refund or correction has reversed yet. */
export function reversible(e: EntryLike, reversed: Map<string, string>): boolean {
  return e.kind === 'DUES_ENTRY_KIND_PAYMENT' && !!e.id && !reversed.has(e.id);
}

export type RateProblem = 'empty' | 'format' | 'decimals' | 'range';

/**
 * percentToBasisPoints reads a rate typed as a percentage ("0.5", "1.5%")
 * into basis points (hundredths of a percent: 50, 150), digit by digit,
 * never through a float; 0 to 100%, at most two decimals.
 */
export function percentToBasisPoints(text: string): { bp: string } | { problem: RateProblem } {
  const s = text.trim().replace(/[%％\s]/g, '');
  if (!s) return { problem: 'empty' };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (!m[1] && !m[2])) return { problem: 'format' };
  const decimals = m[2] ?? '';
  if (decimals.length > 2) return { problem: 'decimals' };
  const bp = BigInt(m[1] || '0') * 100n + BigInt((decimals + '00').slice(0, 2));
  if (bp > 10000n) return { problem: 'range' };
  return { bp: bp.toString() };
}

/** basisPointsToPercent shows basis points as the percentage a person types: 150 → "1.5". */
export function basisPointsToPercent(bp: Fen): string {
  return ratePercent(bp).replace(/%$/, '');
}

/** A band as a form edits it: the upper limit in yuan ("" on the open last band) and the rate in percent. */
export interface BandRow {
  upTo: string;
  rate: string;
}

/** bandRows turns the API's bands into rows to edit. */
export function bandRows(bands: Array<{ upToFen?: string; rateBasisPoints?: string }> | undefined): BandRow[] {
  const list = bands ?? [];
  return list.map((b, i) => ({
    upTo: i === list.length - 1 || !isPositive(b.upToFen) ? '' : fenToYuan(b.upToFen),
    rate: basisPointsToPercent(b.rateBasisPoints),
  }));
}

/**
 * bandsOf reads edited rows back into the API's bands: the last band open
 * (0), every other limit in fen. The problems name the row and the column.
 */
export function bandsOf(rows: BandRow[]): { bands: Array<{ upToFen: string; rateBasisPoints: string }> } | { problems: Array<{ row: number; column: 'upTo' | 'rate'; problem: string }> } {
  const bands: Array<{ upToFen: string; rateBasisPoints: string }> = [];
  const problems: Array<{ row: number; column: 'upTo' | 'rate'; problem: string }> = [];
  rows.forEach((r, i) => {
    let upToFen = '0';
    if (i < rows.length - 1) {
      const u = yuanToFen(r.upTo);
      if ('problem' in u) problems.push({ row: i, column: 'upTo', problem: u.problem });
      else upToFen = u.fen;
    }
    const p = percentToBasisPoints(r.rate);
    if ('problem' in p) problems.push({ row: i, column: 'rate', problem: p.problem });
    else bands.push({ upToFen, rateBasisPoints: p.bp });
  });
  return problems.length ? { problems } : { bands };
}
