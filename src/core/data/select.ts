/** Row and column selection on columnar tables (copies only the selected cells). */
import type { Column, Table } from './table.ts';

export function takeColumnRows(col: Column, rows: ArrayLike<number>): Column {
  const n = rows.length;
  switch (col.storage) {
    case 'dict': {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = col.codes[rows[i]];
      return { ...col, codes };
    }
    case 'bool': {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) values[i] = col.values[rows[i]];
      return { ...col, values };
    }
    default: {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = col.values[rows[i]];
      return { ...col, values };
    }
  }
}

export function takeRows(table: Table, rows: ArrayLike<number>): Table {
  return { nRows: rows.length, columns: table.columns.map((c) => takeColumnRows(c, rows)) };
}

export function withoutColumns(table: Table, names: readonly string[]): Table {
  const drop = new Set(names);
  return { nRows: table.nRows, columns: table.columns.filter((c) => !drop.has(c.name)) };
}
