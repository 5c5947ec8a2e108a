import { describe, expect, it } from 'vitest';
import { expiringSoon, inScope, stepFor } from './worklist';

const staff = { role: 'district_admin' };
const both = { from: true, to: true };
const fromOnly = { from: true, to: false };
const toOnly = { from: false, to: true };

describe('stepFor', () => {
  it('gives the member the confirmation of their own request only', () => {
    const t = { memberId: 'm1', state: 'TRANSFER_STATE_REQUESTED' };
    expect(stepFor(t, { role: 'member', memberId: 'm1' }, both)).toBe('confirm');
    expect(stepFor(t, { role: 'member', memberId: 'm2' }, both)).toBeNull();
    expect(stepFor(t, staff, both)).toBeNull();
  });
  it('gives the sending side the letter and the receiving side the receipt', () => {
    expect(stepFor({ state: 'TRANSFER_STATE_CONFIRMED' }, staff, fromOnly)).toBe('release');
    expect(stepFor({ state: 'TRANSFER_STATE_CONFIRMED' }, staff, toOnly)).toBeNull();
    expect(stepFor({ state: 'TRANSFER_STATE_RELEASED' }, staff, toOnly)).toBe('receive');
    expect(stepFor({ state: 'TRANSFER_STATE_RELEASED' }, staff, fromOnly)).toBeNull();
    expect(stepFor({ state: 'TRANSFER_STATE_RELEASED', outside: { name: 'x' } }, staff, both)).toBeNull();
  });
  it('gives a suspended transfer to the side that held it', () => {
    expect(stepFor({ state: 'TRANSFER_STATE_SUSPENDED', suspendedFrom: 'TRANSFER_STATE_RELEASED' }, staff, toOnly)).toBe('resume');
    expect(stepFor({ state: 'TRANSFER_STATE_SUSPENDED', suspendedFrom: 'TRANSFER_STATE_CONFIRMED' }, staff, toOnly)).toBeNull();
  });
  it('has nothing for finished transfers', () => {
    expect(stepFor({ state: 'TRANSFER_STATE_COMPLETED' }, staff, both)).toBeNull();
  });
});

describe('expiringSoon and inScope', () => {
  it('finds released letters running out within the days given', () => {
    const now = new Date('2026-05-01T00:00:00Z');
    expect(expiringSoon({ state: 'TRANSFER_STATE_RELEASED', letterDeadline: '2026-05-03T00:00:00Z' }, 3, now)).toBe(true);
    expect(expiringSoon({ state: 'TRANSFER_STATE_RELEASED', letterDeadline: '2026-05-09T00:00:00Z' }, 3, now)).toBe(false);
    expect(expiringSoon({ state: 'TRANSFER_STATE_RELEASED', letterDeadline: '2026-04-30T00:00:00Z' }, 3, now)).toBe(false);
  });
  it('places an organisation in a subtree by its ancestors', () => {
    expect(inScope({ id: 'b', ancestorIds: ['city', 'd1'] }, 'd1')).toBe(true);
    expect(inScope({ id: 'd1', ancestorIds: ['city'] }, 'd1')).toBe(true);
    expect(inScope({ id: 'b', ancestorIds: ['city', 'd2'] }, 'd1')).toBe(false);
    expect(inScope({ id: 'b' }, '')).toBe(true);
  });
});
