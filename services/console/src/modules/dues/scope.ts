// Where the caller's lists start: their scope's organisation, or the
// city's for a caller whose scope is the whole city; and the district
// whose dues bands apply to them, when their scope lies in one.
import { api, type V1Organisation } from '../../api/client';
import { getOrg } from '../../lib/orgs';

let city: Promise<string> | undefined;

export function scopeRoot(who: { scopeOrgId?: string } | null | undefined): Promise<string> {
  if (who?.scopeOrgId) return Promise.resolve(who.scopeOrgId);
  city ??= api
    .organisationServiceListOrganisations({ kind: 'ORGANISATION_KIND_CITY', pageSize: 1 })
    .then((r) => r.data.organisations?.[0]?.id ?? '')
    .catch(() => '');
  return city;
}

/** districtOf is the district an organisation lies in (itself, or an ancestor), if any. */
export async function districtOf(id: string | undefined): Promise<V1Organisation | null> {
  const o = await getOrg(id);
  if (!o) return null;
  if (o.kind === 'ORGANISATION_KIND_DISTRICT') return o;
  for (const a of [...(o.ancestorIds ?? [])].reverse()) {
    const x = await getOrg(a);
    if (x?.kind === 'ORGANISATION_KIND_DISTRICT') return x;
  }
  return null;
}
