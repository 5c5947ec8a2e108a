// The signed-in caller, as the gateway describes the session (GET
// /auth/session). The token itself never reaches the page: it lives in an
// HttpOnly cookie. The session ends when its token expires: a timer signs
// the page out at that instant, and any 401 does the same.
import { reactive } from 'vue';
import { csrfHeaders } from './api/client';

export interface SessionInfo {
  subject?: string;
  name?: string;
  role?: string;
  scopeOrgId?: string;
  memberId?: string;
  /** for a unit contact, the resident unit they speak for */
  unitId?: string;
  permissions?: string[];
  expireTime?: string;
  signIn: { dev: boolean; oidc: boolean };
}

export const session = reactive<{ info: SessionInfo | null; loaded: boolean; expired: boolean; signIn: SessionInfo['signIn'] }>({
  info: null,
  loaded: false,
  expired: false,
  signIn: { dev: false, oidc: false },
});

let timer: ReturnType<typeof setTimeout> | undefined;

function accept(info: SessionInfo | null) {
  session.info = info;
  session.loaded = true;
  clearTimeout(timer);
  if (info?.expireTime) {
    const ms = new Date(info.expireTime).getTime() - Date.now();
    // setTimeout holds at most 24.8 days; sessions are hours long.
    timer = setTimeout(() => expire(), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
  }
}

/** expire ends the session on the page after the token ran out. */
export function expire() {
  if (session.info) session.expired = true;
  accept(null);
}

export async function loadSession(): Promise<SessionInfo | null> {
  const r = await fetch('/auth/session', { credentials: 'same-origin', headers: csrfHeaders });
  const body = (await r.json()) as SessionInfo;
  session.signIn = body.signIn ?? { dev: false, oidc: false };
  accept(r.ok ? body : null);
  return session.info;
}

export async function devSignIn(req: { role: string; scopeOrgId?: string; memberId?: string; unitId?: string; name?: string; permissions?: string[] }) {
  const r = await fetch('/auth/dev/sign-in', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...csrfHeaders, 'Content-Type': 'application/json' },
    body: JSON.stringify(req),
  });
  const body = await r.json();
  if (!r.ok) return { ok: false as const, status: r.status, body };
  session.expired = false;
  accept(body as SessionInfo);
  return { ok: true as const, status: r.status, body };
}

export async function signOut() {
  const r = await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: csrfHeaders });
  const body = r.ok ? ((await r.json()) as { redirect?: string }) : {};
  accept(null);
  if (body.redirect) window.location.assign(body.redirect);
}

/** isStaff says whether the caller works for organisations (not a member). */
export function isStaff(info: SessionInfo | null): boolean {
  return !!info && info.role !== 'member';
}
