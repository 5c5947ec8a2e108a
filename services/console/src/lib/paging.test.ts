import { describe, expect, it } from 'vitest';
import { KeysetPager } from './paging';

describe('KeysetPager', () => {
  it('walks forward by tokens and back by the ones it kept', () => {
    const p = new KeysetPager();
    expect(p.token).toBe('');
    p.loaded('t2');
    expect(p.forward()).toBe('t2');
    p.loaded('t3');
    expect(p.forward()).toBe('t3');
    p.loaded('');
    expect(p.hasNext).toBe(false);
    expect(p.page).toBe(3);
    expect(p.back()).toBe('t2');
    expect(p.back()).toBe('');
    expect(p.hasPrev).toBe(false);
    p.reset();
    expect(p.page).toBe(1);
  });
});
