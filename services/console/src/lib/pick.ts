// What the pickers (components/PickList.vue) offer: things by id and name,
// narrowed by what the person types.

export interface Pickable {
  id: string;
  name: string;
}

/** narrow keeps the options whose name holds every word of q (at most max of them). */
export function narrow(options: Pickable[], q: string, max: number): Pickable[] {
  const words = q.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const out: Pickable[] = [];
  for (const o of options) {
    const name = o.name.toLowerCase();
    if (words.every((w) => name.includes(w))) out.push(o);
    if (out.length >= max) break;
  }
  return out;
}

/** pickables turns API rows into options, leaving out rows without an id. */
export function pickables<T extends { id?: string; name?: string }>(rows: T[], label?: (r: T) => string): Pickable[] {
  return rows.filter((r) => r.id).map((r) => ({ id: r.id as string, name: label ? label(r) : (r.name ?? (r.id as string)) }));
}
