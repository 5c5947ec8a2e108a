import { describe, expect, it } from 'vitest';
import { bandIndex, periods, ranked, rankingChart } from './assessment';

const bands = [{ name: '优秀', minScore: 90 }, { name: '良好', minScore: 80 }, { name: '合格', minScore: 60 }, { name: '不合格' }];

describe('ranking', () => {
  it('orders the results by rank', () => {
    expect(ranked([{ name: 'b', rank: 2 }, { name: 'a', rank: 1 }]).map((r) => r.name)).toEqual(['a', 'b']);
  });
  it('finds the band by the grade given, else by the score', () => {
    expect(bandIndex({ grade: '良好', score: 95 }, bands)).toBe(1);
    expect(bandIndex({ score: 61 }, bands)).toBe(2);
    expect(bandIndex({ score: 10 }, bands)).toBe(3);
  });
  it('draws the best at the top, in the colour of its band', () => {
    const o = rankingChart([{ name: '甲', rank: 1, score: 92.34, grade: '优秀' }, { name: '乙', rank: 2, score: 55, grade: '不合格' }], bands, '得分');
    expect(o.yAxis.data).toEqual(['2. 乙', '1. 甲']);
    expect(o.series[0].data.map((d) => d.value)).toEqual([55, 92.3]);
    expect(o.series[0].data[1].itemStyle.color).not.toBe(o.series[0].data[0].itemStyle.color);
  });
  it('offers this year\'s quarters so far and the two years before', () => {
    const p = periods(new Date(2026, 4, 1));
    expect(p.slice(0, 3)).toEqual(['2026-Q2', '2026-Q1', '2026']);
    expect(p).toContain('2024-Q4');
  });
});
