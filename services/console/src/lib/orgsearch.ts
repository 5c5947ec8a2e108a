// Name search over a scope's organisations, loaded in tree order: each hit
// comes with the names of its ancestors inside the scope, so that two
// "第一党支部" can be told apart.

export interface OrgLike {
  id?: string;
  name?: string;
  parentId?: string;
}

export interface OrgHit<T extends OrgLike = OrgLike> {
  org: T;
  path: string[];
}

export function searchOrgs<T extends OrgLike>(orgs: T[], query: string, limit: number): OrgHit<T>[] {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) return [];
  const byId = new Map(orgs.map((o) => [o.id, o]));
  const out: OrgHit<T>[] = [];
  for (const o of orgs) {
    const name = (o.name ?? '').toLowerCase();
    if (!terms.every((t) => name.includes(t))) continue;
    const path: string[] = [];
    for (let p = byId.get(o.parentId); p && path.length < 8; p = byId.get(p.parentId)) path.unshift(p.name ?? '');
    out.push({ org: o, path });
    if (out.length >= limit) break;
  }
  return out;
}
