// Which step of a transfer is the caller's. A transfer has three parties:
// the member confirms, the sending side issues the letter, the receiving
// side receives it; whoever holds a suspended transfer resumes it. The
// services decide who may act; the work list only shows each person the
// transfers waiting for them.

export type Step = 'confirm' | 'release' | 'receive' | 'resume';

export interface TransferLike {
  memberId?: string;
  state?: string;
  suspendedFrom?: string;
  letterDeadline?: string;
  outside?: unknown;
}

export interface Caller {
  role?: string;
  memberId?: string;
}

/** Sides say which sides of the transfer lie in the caller's scope. */
export interface Sides {
  from: boolean;
  to: boolean;
}

export function stepFor(t: TransferLike, caller: Caller, sides: Sides): Step | null {
  if (caller.role === 'member') {
    return t.state === 'TRANSFER_STATE_REQUESTED' && t.memberId === caller.memberId ? 'confirm' : null;
  }
  switch (t.state) {
    case 'TRANSFER_STATE_CONFIRMED':
      return sides.from ? 'release' : null;
    case 'TRANSFER_STATE_RELEASED':
      // A letter out of the city is received elsewhere; the sender records the slip.
      return sides.to && !t.outside ? 'receive' : null;
    case 'TRANSFER_STATE_SUSPENDED': {
      const holder = t.suspendedFrom === 'TRANSFER_STATE_RELEASED' ? sides.to : sides.from;
      return holder ? 'resume' : null;
    }
    default:
      return null;
  }
}

/** expiringSoon says whether a released letter runs out within days. */
export function expiringSoon(t: TransferLike, days: number, now = new Date()): boolean {
  if (t.state !== 'TRANSFER_STATE_RELEASED' || !t.letterDeadline) return false;
  const left = new Date(t.letterDeadline).getTime() - now.getTime();
  return left >= 0 && left <= days * 86400000;
}

/** inScope says whether an organisation lies in the subtree of root ("" is the city). */
export function inScope(org: { id?: string; ancestorIds?: string[] } | undefined, root: string | undefined): boolean {
  if (!org) return false;
  if (!root) return true;
  return org.id === root || (org.ancestorIds ?? []).includes(root);
}
