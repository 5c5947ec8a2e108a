import { describe, expect, it } from 'vitest';
import { bandRows, bandsOf, basisPointsToPercent, percentToBasisPoints, billState, fenToYuan, mayDeclareIncome, mayWriteDues, monthBefore, ratePercent, reversals, reversible, sumFen, today, validMonth, yuanToFen } from './dues';

describe('fenToYuan', () => {
  it('shows fen as yuan with two decimals', () => {
    expect(fenToYuan('300001')).toBe('3000.01');
    expect(fenToYuan('4000')).toBe('40.00');
    expect(fenToYuan('20')).toBe('0.20');
    expect(fenToYuan('5')).toBe('0.05');
    expect(fenToYuan('0')).toBe('0.00');
    expect(fenToYuan(undefined)).toBe('0.00');
    expect(fenToYuan(1500)).toBe('15.00');
  });
  it('shows a reversal as a negative amount', () => {
    expect(fenToYuan('-1500')).toBe('-15.00');
    expect(fenToYuan('-7')).toBe('-0.07');
  });
  it('keeps amounts beyond a float\'s exact integers', () => {
    expect(fenToYuan('900719925474099301')).toBe('9007199254740993.01');
  });
  it('refuses what is not whole fen', () => {
    expect(() => fenToYuan(1.5)).toThrow();
    expect(() => fenToYuan('12.5')).toThrow();
  });
});

describe('yuanToFen', () => {
  it('reads yuan into fen without floats', () => {
    expect(yuanToFen('3000.01')).toEqual({ fen: '300001' });
    expect(yuanToFen('3000')).toEqual({ fen: '300000' });
    expect(yuanToFen('3000.5')).toEqual({ fen: '300050' });
    expect(yuanToFen(' 0.1 ')).toEqual({ fen: '10' });
    expect(yuanToFen('.07')).toEqual({ fen: '7' });
    expect(yuanToFen('0')).toEqual({ fen: '0' });
    expect(yuanToFen('3,000.01')).toEqual({ fen: '300001' });
    // 0.29 * 100 is 28.999999999999996 as a float
    expect(yuanToFen('0.29')).toEqual({ fen: '29' });
    expect(yuanToFen('1.13')).toEqual({ fen: '113' });
  });
  it('refuses a negative amount', () => {
    expect(yuanToFen('-1')).toEqual({ problem: 'negative' });
    expect(yuanToFen('-0.50')).toEqual({ problem: 'negative' });
  });
  it('refuses more than two decimals', () => {
    expect(yuanToFen('3000.001')).toEqual({ problem: 'decimals' });
    expect(yuanToFen('2999.999')).toEqual({ problem: 'decimals' });
  });
  it('refuses what is not a number', () => {
    expect(yuanToFen('')).toEqual({ problem: 'empty' });
    expect(yuanToFen('  ')).toEqual({ problem: 'empty' });
    expect(yuanToFen('abc')).toEqual({ problem: 'format' });
    expect(yuanToFen('1e3')).toEqual({ problem: 'format' });
    expect(yuanToFen('1.2.3')).toEqual({ problem: 'format' });
    expect(yuanToFen('.')).toEqual({ problem: 'format' });
    expect(yuanToFen('-')).toEqual({ problem: 'format' });
  });
  it('turns back into the same text', () => {
    for (const s of ['0.01', '14.99', '3000.01', '123456789.10']) {
      const r = yuanToFen(s);
      expect('fen' in r && fenToYuan(r.fen)).toBe(s);
    }
  });
});

describe('sums and rates', () => {
  it('adds fen as integers', () => {
    expect(sumFen(['10', '20', undefined, '-5'])).toBe('25');
    expect(sumFen([])).toBe('0');
    expect(fenToYuan(sumFen(['1', '2']))).toBe('0.03');
  });
  it('shows basis points as a percentage', () => {
    expect(ratePercent('50')).toBe('0.5%');
    expect(ratePercent('100')).toBe('1%');
    expect(ratePercent('150')).toBe('1.5%');
    expect(ratePercent('200')).toBe('2%');
    expect(ratePercent('5')).toBe('0.05%');
    expect(ratePercent(undefined)).toBe('0%');
  });
});

describe('billState', () => {
  it('names an exempt line before its owing', () => {
    expect(billState({ exempt: true, owedFen: '0' })).toBe('exempt');
    expect(billState({ owedFen: '1500' })).toBe('unpaid');
    expect(billState({ owedFen: '0' })).toBe('paid');
    expect(billState({})).toBe('paid');
  });
});

describe('months and days', () => {
  it('checks and steps months', () => {
    expect(validMonth('2026-05')).toBe(true);
    expect(validMonth('2026-13')).toBe(false);
    expect(validMonth('2026-5')).toBe(false);
    expect(monthBefore('2026-01')).toBe('2025-12');
    expect(monthBefore('2026-05', 3)).toBe('2026-02');
    expect(monthBefore('2026-05', 17)).toBe('2024-12');
    expect(today(new Date(2026, 0, 5))).toBe('2026-01-05');
  });
});

describe('who may', () => {
  it('lets the writers bill and a member declare only their own income', () => {
    expect(mayWriteDues('community_secretary')).toBe(true);
    expect(mayWriteDues('grid_leader')).toBe(false);
    expect(mayWriteDues('inspector')).toBe(false);
    expect(mayDeclareIncome({ role: 'district_admin' }, 'm1')).toBe(true);
    expect(mayDeclareIncome({ role: 'inspector' }, 'm1')).toBe(false);
    expect(mayDeclareIncome({ role: 'member', memberId: 'm1' }, 'm1')).toBe(true);
    expect(mayDeclareIncome({ role: 'member', memberId: 'm2' }, 'm1')).toBe(false);
    expect(mayDeclareIncome(null, 'm1')).toBe(false);
  });
});

describe('reversals', () => {
  const entries = [
    { id: 'p1', kind: 'DUES_ENTRY_KIND_PAYMENT' },
    { id: 'p2', kind: 'DUES_ENTRY_KIND_PAYMENT' },
    { id: 'r1', kind: 'DUES_ENTRY_KIND_REFUND', reverses: 'p1' },
    { id: 'p3', kind: 'DUES_ENTRY_KIND_PAYMENT' },
    { id: 'c1', kind: 'DUES_ENTRY_KIND_CORRECTION', reverses: 'p3' },
    { id: 'p4', kind: 'DUES_ENTRY_KIND_PAYMENT' }, // p3 recorded again as it should have been
  ];
  const reversed = reversals(entries);
  it('reads which payments were refunded or corrected, and how', () => {
    expect(reversed.get('p1')).toBe('DUES_ENTRY_KIND_REFUND');
    expect(reversed.get('p3')).toBe('DUES_ENTRY_KIND_CORRECTION');
    expect(reversed.has('p2')).toBe(false);
  });
  it('offers to reverse only a payment still standing', () => {
    expect(entries.filter((e) => reversible(e, reversed)).map((e) => e.id)).toEqual(['p2', 'p4']);
  });
});

describe('rates and bands as the settings form edits them', () => {
  it('reads a percentage into basis points without floats', () => {
    expect(percentToBasisPoints('0.5')).toEqual({ bp: '50' });
    expect(percentToBasisPoints('1.5%')).toEqual({ bp: '150' });
    expect(percentToBasisPoints('2')).toEqual({ bp: '200' });
    expect(percentToBasisPoints('0.07')).toEqual({ bp: '7' });
    expect(percentToBasisPoints('100')).toEqual({ bp: '10000' });
  });
  it('refuses what is no rate', () => {
    expect(percentToBasisPoints('')).toEqual({ problem: 'empty' });
    expect(percentToBasisPoints('abc')).toEqual({ problem: 'format' });
    expect(percentToBasisPoints('-1')).toEqual({ problem: 'format' });
    expect(percentToBasisPoints('0.125')).toEqual({ problem: 'decimals' });
    expect(percentToBasisPoints('100.01')).toEqual({ problem: 'range' });
  });
  it('shows basis points as typed', () => {
    expect(basisPointsToPercent('150')).toBe('1.5');
    expect(basisPointsToPercent('50')).toBe('0.5');
    expect(basisPointsToPercent('200')).toBe('2');
  });
  it('turns the published table into rows and back', () => {
    const table = [
      { upToFen: '300000', rateBasisPoints: '50' },
      { upToFen: '500000', rateBasisPoints: '100' },
      { upToFen: '1000000', rateBasisPoints: '150' },
      { upToFen: '0', rateBasisPoints: '200' },
    ];
    const rows = bandRows(table);
    expect(rows).toEqual([
      { upTo: '3000.00', rate: '0.5' },
      { upTo: '5000.00', rate: '1' },
      { upTo: '10000.00', rate: '1.5' },
      { upTo: '', rate: '2' },
    ]);
    expect(bandsOf(rows)).toEqual({ bands: table });
  });
  it('names the row and the column of each problem, and ignores the open band\'s limit', () => {
    expect(bandsOf([{ upTo: '3000', rate: 'x' }, { upTo: 'anything', rate: '1' }])).toEqual({ problems: [{ row: 0, column: 'rate', problem: 'format' }] });
    expect(bandsOf([{ upTo: '-5', rate: '0.5' }, { upTo: '', rate: '1' }])).toEqual({ problems: [{ row: 0, column: 'upTo', problem: 'negative' }] });
  });
});
