// Assessment (考核评价): the ranking of the organisations below one as a
// chart, each bar in the colour of its grade band, and the periods a
// person picks from.

export interface ResultLike {
  organisationId?: string;
  name?: string;
  score?: number;
  grade?: string;
  rank?: number;
  bottomTwo?: boolean;
}

export interface BandLike {
  name?: string;
  minScore?: number;
}

const bandColours = ['#2b7a0b', '#3a6ea5', '#e6a23c', '#b3261e', '#606266'];

/** ranked are the results best first (by rank, then score). */
export function ranked<R extends ResultLike>(rows: R[]): R[] {
  return [...rows].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9) || (b.score ?? 0) - (a.score ?? 0));
}

/** bandIndex is the position of the band a grade names, or of the band the score falls in. */
export function bandIndex(r: ResultLike, bands: BandLike[]): number {
  const byName = bands.findIndex((b) => b.name && b.name === r.grade);
  if (byName >= 0) return byName;
  const i = bands.findIndex((b) => (r.score ?? 0) >= (b.minScore ?? 0));
  return i >= 0 ? i : bands.length - 1;
}

/** rankingChart is a horizontal bar per organisation, best at the top, coloured by band. */
export function rankingChart(rows: ResultLike[], bands: BandLike[], scoreLabel: string) {
  const best = ranked(rows);
  const order = [...best].reverse(); // ECharts draws the first category at the bottom
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', max: 100 },
    yAxis: { type: 'category', data: order.map((r) => `${r.rank ?? ''}. ${r.name || r.organisationId || ''}`) },
    series: [{
      type: 'bar', name: scoreLabel, animation: false,
      label: { show: true, position: 'right', formatter: (p: { value: number; dataIndex: number }) => `${p.value} ${order[p.dataIndex]?.grade ?? ''}` },
      data: order.map((r) => ({ value: Math.round((r.score ?? 0) * 10) / 10, itemStyle: { color: bandColours[Math.min(bandIndex(r, bands), bandColours.length - 1)] } })),
    }],
  };
}

/** periods are the years and quarters from the year before last to now, newest first. */
export function periods(now = new Date()): string[] {
  const out: string[] = [];
  for (let y = now.getFullYear(); y >= now.getFullYear() - 2; y--) {
    const lastQ = y === now.getFullYear() ? Math.floor(now.getMonth() / 3) + 1 : 4;
    for (let q = lastQ; q >= 1; q--) out.push(`${y}-Q${q}`);
    out.push(String(y));
  }
  return out;
}
