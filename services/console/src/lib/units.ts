// Resident units the co-building pages name by id, fetched once per page
// load, as lib/orgs.ts does for organisations.
import { reactive } from 'vue';
import { api, type GongjianCobuildingV1ResidentUnit as V1ResidentUnit } from '../api/client';

const cache = reactive(new Map<string, V1ResidentUnit | null>());
const pending = new Map<string, Promise<V1ResidentUnit | null>>();

export function getUnit(id: string | undefined): Promise<V1ResidentUnit | null> {
  if (!id) return Promise.resolve(null);
  if (cache.has(id)) return Promise.resolve(cache.get(id) ?? null);
  let p = pending.get(id);
  if (!p) {
    p = api
      .residentUnitServiceGetResidentUnit(id)
      .then((r) => r.data.residentUnit ?? null)
      .catch(() => null)
      .then((u) => {
        cache.set(id, u);
        pending.delete(id);
        return u;
      });
    pending.set(id, p);
  }
  return p;
}

/** unitName is the name of a unit once fetched (the id until then). */
export function unitName(id: string | undefined): string {
  if (!id) return '';
  if (!cache.has(id)) void getUnit(id);
  return cache.get(id)?.name ?? id;
}

export function rememberUnit(u: V1ResidentUnit) {
  if (u.id) cache.set(u.id, u);
}
