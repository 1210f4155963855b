import { describe, expect, it } from 'vitest';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';
import { cellText, type BoolColumn } from '../../../src/core/data/table.ts';

async function boolColumn(csv: string, chunk?: number): Promise<BoolColumn> {
  const r = await ingestCsv(bytesSource('t.csv', new TextEncoder().encode(csv), chunk));
  const col = r.table.columns[1];
  if (col.storage !== 'bool') throw new Error(`expected a bool column, got ${col.storage}`);
  return col;
}

describe('boolean columns keep the file’s spelling', () => {
  it('records Yes/No as labels and shows them as cell text', async () => {
    const col = await boolColumn('id,churn\n1,No\n2,Yes\n3,\n4,No\n');
    expect(col.labels).toEqual(['No', 'Yes']);
    expect([0, 1, 2].map((i) => cellText(col, i))).toEqual(['No', 'Yes', '']);
  });

  it('fills the unseen partner word in the same case', async () => {
    expect((await boolColumn('a,b\n1,TRUE\n2,TRUE\n')).labels).toEqual(['FALSE', 'TRUE']);
    expect((await boolColumn('a,b\n1,no\n2,no\n')).labels).toEqual(['no', 'yes']);
  });

  it('also when the column is only recognised as boolean after the type sample', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `${i},${i < 2400 ? '' : i % 2 ? 'Y' : 'N'}`);
    const col = await boolColumn('a,b\n' + rows.join('\n') + '\n', 4096);
    expect(col.labels).toEqual(['N', 'Y']);
  });
});
