// Organisations the pages name by id, fetched once per page load: a list
// of members names a few hundred branches at most.
import { reactive } from 'vue';
import { api, type V1Organisation } from '../api/client';

const cache = reactive(new Map<string, V1Organisation | null>());
const pending = new Map<string, Promise<V1Organisation | null>>();

export function getOrg(id: string | undefined): Promise<V1Organisation | null> {
  if (!id) return Promise.resolve(null);
  if (cache.has(id)) return Promise.resolve(cache.get(id) ?? null);
  let p = pending.get(id);
  if (!p) {
    p = api
      .organisationServiceGetOrganisation(id)
      .then((r) => r.data.organisation ?? null)
      .catch(() => null)
      .then((o) => {
        cache.set(id, o);
        pending.delete(id);
        return o;
      });
    pending.set(id, p);
  }
  return p;
}

/** orgName is the name of an organisation once fetched (the id until then). */
export function orgName(id: string | undefined): string {
  if (!id) return '';
  if (!cache.has(id)) void getOrg(id);
  return cache.get(id)?.name ?? id;
}

export function remember(o: V1Organisation) {
  if (o.id) cache.set(o.id, o);
}
