import { describe, expect, it } from 'vitest';
import { refusedRows } from './refused';

describe('refusedRows', () => {
  it('returns the heading and each refused row as typed, with its problems', () => {
    const original = [
      ['姓名', '身份证号'],
      ['张三', '110101199003074514'],
      ['李四', '110101199003074515'],
      ['王五', ''],
    ];
    const report = [
      { row: 2, outcome: 'IMPORT_OUTCOME_TAKEN' },
      { row: 3, outcome: 'IMPORT_OUTCOME_REFUSED', problems: [{ field: '身份证号', message: '校验码错误' }] },
      { row: 4, outcome: 'IMPORT_OUTCOME_REFUSED', problems: [{ field: '身份证号', message: '必填' }, { message: '出生日期不符' }] },
    ];
    expect(refusedRows(original, report, '问题')).toEqual([
      ['姓名', '身份证号', '问题'],
      ['李四', '110101199003074515', '身份证号：校验码错误'],
      ['王五', '', '身份证号：必填；出生日期不符'],
    ]);
  });
});
