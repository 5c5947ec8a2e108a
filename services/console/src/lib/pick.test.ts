import { describe, expect, it } from 'vitest';
import { narrow, pickables } from './pick';

describe('narrow', () => {
  const opts = [
    { id: '1', name: '金昌市供电公司' },
    { id: '2', name: '金川区人民医院' },
    { id: '3', name: '同江市第一中学' },
  ];
  it('keeps the names holding every word typed', () => {
    expect(narrow(opts, '金 公司', 10).map((o) => o.id)).toEqual(['1']);
    expect(narrow(opts, '金', 10).map((o) => o.id)).toEqual(['1', '2']);
  });
  it('keeps everything for an empty search, up to the limit', () => {
    expect(narrow(opts, '  ', 2).map((o) => o.id)).toEqual(['1', '2']);
  });
  it('matches Latin letters whatever their case', () => {
    expect(narrow([{ id: 'a', name: 'Unit A' }], 'unit a', 5)).toHaveLength(1);
  });
});

describe('pickables', () => {
  it('leaves out rows without an id and labels the rest', () => {
    expect(pickables([{ id: 'x', name: 'X' }, { name: 'no id' }], (r) => `${r.name}!`)).toEqual([{ id: 'x', name: 'X!' }]);
  });
});
