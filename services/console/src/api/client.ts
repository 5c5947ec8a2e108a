// The one API client of the console, generated from the gateway's OpenAPI
// description (./generated.ts, by scripts/gen-api.mjs). The session cookie
// authenticates every call; X-Requested-With marks the call as the
// console's own, which the gateway requires of cookie-authenticated writes.
import { Api } from './generated';

export * from './generated';

let onUnauthenticated: () => void = () => {};

/** whenUnauthenticated sets what happens when the session has ended. */
export function whenUnauthenticated(f: () => void) {
  onUnauthenticated = f;
}

export const csrfHeaders = { 'X-Requested-With': 'XMLHttpRequest' };

export const api = new Api({
  baseApiParams: {
    credentials: 'same-origin',
    headers: csrfHeaders,
    redirect: 'error',
    referrerPolicy: 'no-referrer',
    format: 'json',
  },
  customFetch: async (input, init) => {
    const r = await fetch(input, init);
    if (r.status === 401) onUnauthenticated();
    return r;
  },
}).v1;
