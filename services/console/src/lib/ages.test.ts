import { describe, expect, it } from 'vitest';
import { ageBands } from './ages';

describe('ageBands', () => {
  it('covers every age once, both ends included', () => {
    expect(ageBands([35, 46, 60])).toEqual([
      { label: '<35', maxAge: 34 },
      { label: '35–45', minAge: 35, maxAge: 45 },
      { label: '46–59', minAge: 46, maxAge: 59 },
      { label: '≥60', minAge: 60 },
    ]);
  });
});
