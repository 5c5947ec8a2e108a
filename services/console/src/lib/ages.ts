// The age bands of the composition chart, as CountMembers filters
// (whole years, both ends included).
export interface AgeBand {
  label: string;
  minAge?: number;
  maxAge?: number;
}

export function ageBands(edges: number[]): AgeBand[] {
  const out: AgeBand[] = [];
  out.push({ label: `<${edges[0]}`, maxAge: edges[0] - 1 });
  for (let i = 0; i + 1 < edges.length; i++) out.push({ label: `${edges[i]}–${edges[i + 1] - 1}`, minAge: edges[i], maxAge: edges[i + 1] - 1 });
  out.push({ label: `≥${edges[edges.length - 1]}`, minAge: edges[edges.length - 1] });
  return out;
}
