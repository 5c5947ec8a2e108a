import { describe, expect, it } from 'vitest';
import { columnName, crc32, readWorkbook, writeWorkbook } from './xlsx';

describe('xlsx', () => {
  it('reads back what it wrote, Chinese and markup included', async () => {
    const rows = [
      ['行号', '姓名', '问题'],
      ['3', '张<三>', '身份证号: 校验码错误 & 出生日期不符'],
      ['7', '', '"引号"'],
    ];
    const book = writeWorkbook('未导入的行', rows);
    expect(book[0]).toBe(0x50); // PK
    expect(await readWorkbook(book)).toEqual(rows);
  });

  it('names columns as spreadsheets do', () => {
    expect([0, 25, 26, 27, 701, 702].map(columnName)).toEqual(['A', 'Z', 'AA', 'AB', 'ZZ', 'AAA']);
  });

  it('computes the ZIP checksum', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
