import { describe, expect, it } from 'vitest';
import { searchOrgs } from './orgsearch';

const orgs = [
  { id: 'd', name: '金川区委' },
  { id: 's1', name: '新华路街道党工委', parentId: 'd' },
  { id: 'c1', name: '金山社区党委', parentId: 's1' },
  { id: 'b1', name: '第一党支部', parentId: 'c1' },
  { id: 's2', name: '滨河路街道党工委', parentId: 'd' },
  { id: 'c2', name: '滨河社区党总支', parentId: 's2' },
  { id: 'b2', name: '第一党支部', parentId: 'c2' },
];

describe('searchOrgs', () => {
  it('finds every name holding all the terms, with its path in the scope', () => {
    const hits = searchOrgs(orgs, '第一', 10);
    expect(hits.map((h) => [h.org.id, h.path.join('/')])).toEqual([
      ['b1', '金川区委/新华路街道党工委/金山社区党委'],
      ['b2', '金川区委/滨河路街道党工委/滨河社区党总支'],
    ]);
    expect(searchOrgs(orgs, '滨河 社区', 10).map((h) => h.org.id)).toEqual(['c2']);
  });
  it('stops at the limit and finds nothing for blank queries', () => {
    expect(searchOrgs(orgs, '党', 2)).toHaveLength(2);
    expect(searchOrgs(orgs, '  ', 10)).toEqual([]);
  });
});
