// The refused rows of a roster import, as a sheet to fix and upload again:
// the heading row, then each refused row as it was typed, with the
// service's problems in a last column. Row numbers in the report count the
// file's lines from 1, heading included.

export interface ReportRow {
  row?: number;
  outcome?: string;
  problems?: Array<{ field?: string; message?: string }>;
}

export function refusedRows(original: string[][], report: ReportRow[], problemsHeading: string): string[][] {
  const heading = original[0] ?? [];
  const out: string[][] = [[...heading, problemsHeading]];
  for (const r of report) {
    if (r.outcome !== 'IMPORT_OUTCOME_REFUSED' || !r.row) continue;
    const typed = original[r.row - 1] ?? [];
    const cells = heading.map((_, i) => typed[i] ?? '');
    const problems = (r.problems ?? []).map((p) => (p.field ? `${p.field}：${p.message ?? ''}` : (p.message ?? ''))).join('；');
    out.push([...cells, problems]);
  }
  return out;
}
