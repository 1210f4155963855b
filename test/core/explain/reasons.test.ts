/**
 * The reasons' CSV columns: appended to every record of a predictions CSV (a class label holding a
 * comma or a line break stays one quoted field), written faithfully or spreadsheet-safe (a reason's
 * value is the user's own cell text: a formula-like value is escaped in the spreadsheet copy only);
 * the top reasons are the largest by absolute value and the rest adds up.
 */
import { describe, expect, it } from 'vitest';
import { spreadsheetLine } from '../../../src/core/export/csv-write.ts';
import { rowReasons, withReasonsCsv } from '../../../src/core/explain/reasons.ts';
import type { RowExplanations } from '../../../src/core/explain/rows.ts';
import type { Predictions } from '../../../src/core/export/bundle.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { cat, num } from '../../helpers/table.ts';

const table: Table = {
  nRows: 2,
  columns: [num('a', [1.5, null]), cat('b', ['=1+1', 'x,y'])],
};
// two rows, one group, columns a and b, then the base value
const ex: RowExplanations = {
  method: 'sampling',
  scale: 'probability',
  columns: ['a', 'b'],
  nRows: 2,
  nGroups: 1,
  groupLabels: ['yes\nreally'],
  values: Float64Array.from([0.1, -0.3, 0.5, 0.2, 0.05, 0.4]),
  stderr: Float64Array.from([0.01, 0.02, 0.03, 0.04]),
  description: 'test',
  notes: [],
};
const predictions: Predictions = { nRows: 2, values: Float64Array.from([0.3, 0.7, 0.35, 0.65]) };
const csv = '"no,never","yes\nreally",prediction\n0.3,0.7,"yes\nreally"\n0.35,0.65,"yes\nreally"\n';

describe('reasons', () => {
  it('ranks by |contribution|, keeps the rest and the output', () => {
    const rr = rowReasons(ex, table, predictions, 1);
    expect(rr[0]).toMatchObject({ explainedClass: 'yes\nreally', base: 0.5, other: 0.1 });
    expect(rr[0]!.reasons).toEqual([{ column: 'b', value: '=1+1', contribution: -0.3, stderr: 0.02 }]);
    expect(rr[0]!.output).toBeCloseTo(0.3, 15);
    expect(rr[1]!.reasons[0]).toMatchObject({ column: 'a', value: '', contribution: 0.2 });
    expect(rr[1]!.output).toBeCloseTo(0.65, 15);
  });

  it('appends columns to each record, faithful or spreadsheet-safe', () => {
    const rr = rowReasons(ex, table, predictions, 2);
    const faithful = withReasonsCsv(csv, ex, rr, 2);
    const lines = faithful.split('\n');
    expect(lines[0]).toBe('"no,never","yes');
    expect(lines[1]).toBe(
      'really",prediction,explained_class,base_value,reason_1,reason_1_value,reason_1_contribution,' +
        'reason_1_stderr,reason_2,reason_2_value,reason_2_contribution,reason_2_stderr,other_contribution,' +
        'explained_output',
    );
    expect(faithful).toContain('"yes\nreally",0.5,b,=1+1,-0.3,0.02,a,1.5,0.1,0.01,0,');
    expect(faithful).toContain(',a,,0.2,0.03,b,"x,y",0.05,0.04,0,');
    const safe = withReasonsCsv(csv, ex, rr, 2, spreadsheetLine);
    expect(safe).toContain(",b,'=1+1,-0.3,");
    expect(() => withReasonsCsv('prediction\n1\n', ex, rr, 2)).toThrow(/2 rows for 1 predictions/);
  });
});
