import { describe, expect, it } from 'vitest';
import { parseCSV } from './csv';

describe('parseCSV', () => {
  it('reads quoted fields with commas, quotes and newlines, and a BOM', () => {
    const text = '\ufeff姓名,地址\r\n张三,"金川区,新华路 ""1""号"\n李四,"两行\n地址"\n';
    expect(parseCSV(text)).toEqual([
      ['姓名', '地址'],
      ['张三', '金川区,新华路 "1"号'],
      ['李四', '两行\n地址'],
    ]);
  });
  it('keeps a last line without a newline and empty fields', () => {
    expect(parseCSV('a,,c\n1,2,')).toEqual([
      ['a', '', 'c'],
      ['1', '2', ''],
    ]);
  });
});
