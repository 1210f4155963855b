/**
 * A table as CSV lines (RFC 4180): numbers in their shortest round-trip form, dates in the format the
 * file used (ISO 8601 when unknown), missing cells empty.
 */
import { cellText, type Column, type Table } from '../data/table.ts';
import { formatDateAs } from '../data/date-text.ts';
import { csvLine } from '../export/csv-write.ts';

function cell(col: Column, i: number): string {
  return col.storage === 'datetime' ? formatDateAs(col.values[i], col.format) : cellText(col, i);
}

export function* tableCsvLines(table: Table): Generator<string> {
  yield csvLine(table.columns.map((c) => c.name));
  const cells: string[] = new Array<string>(table.columns.length);
  for (let i = 0; i < table.nRows; i++) {
    for (let j = 0; j < table.columns.length; j++) cells[j] = cell(table.columns[j], i);
    yield csvLine(cells);
  }
}

/** The target table's columns followed by the feature columns. */
export function withFeatures(target: Table, features: Table): Table {
  return { nRows: target.nRows, columns: [...target.columns, ...features.columns] };
}
