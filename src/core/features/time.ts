/** Time columns for features: datetimes as epoch ms (UTC), a text column parsed as dates, or a clear error. */
import { columnByName, type Table } from '../data/table.ts';
import { DATE_FORMATS, parseDateText } from '../ingest/datetime.ts';
import { FeatureError, type Cutoff } from './types.ts';

/** The column as epoch ms (NaN = missing). A text column is parsed with the first date format that reads every value. */
export function timeValues(table: Table, tableName: string, column: string): Float64Array {
  const col = columnByName(table, column);
  if (!col) throw missingColumn(table, tableName, column);
  if (col.storage === 'datetime') return col.values;
  if (col.storage !== 'dict') {
    throw new FeatureError(
      'bad-time',
      `${tableName}.${column} is not a date column (it holds ${col.type === 'boolean' ? 'booleans' : 'numbers'}); ` +
        'a time index or cutoff must be dates such as 2024-03-01 or 2024-03-01T12:00:00Z',
    );
  }
  let bestBad = -1;
  for (const f of DATE_FORMATS) {
    const parsed = new Float64Array(col.dictionary.length);
    let bad = -1;
    for (let c = 0; c < col.dictionary.length; c++) {
      parsed[c] = parseDateText(col.dictionary[c].trim(), f);
      if (Number.isNaN(parsed[c])) {
        bad = c;
        break;
      }
    }
    if (bad < 0) {
      const out = new Float64Array(col.codes.length);
      for (let i = 0; i < out.length; i++) out[i] = col.codes[i] < 0 ? NaN : parsed[col.codes[i]];
      return out;
    }
    if (bestBad < 0) bestBad = bad;
  }
  const row = col.codes.indexOf(bestBad);
  throw new FeatureError(
    'bad-time',
    `${tableName}.${column} cannot be read as dates: '${col.dictionary[bestBad]}' (row ${row + 2} of the file) ` +
      'is not a date in any format the studio reads (e.g. 2024-03-01, 03/01/2024, 2024-03-01T12:00:00Z)',
  );
}

const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms of a fixed ISO date (a date alone is midnight UTC). */
export function parseFixedDate(text: string, where: string): number {
  const t = text.trim().replace(' ', 'T');
  let ms = NaN;
  if (ISO.test(t)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(t.slice(10));
    ms = Date.parse(t.length === 10 ? `${t}T00:00:00Z` : hasZone ? t : `${t}Z`);
  }
  if (Number.isNaN(ms)) {
    throw new FeatureError(
      'bad-time',
      `${where}: '${text}' is not an ISO date (expected e.g. 2024-03-01 or 2024-03-01T12:00:00Z)`,
    );
  }
  return ms;
}

/** The cutoff of each target row (NaN = unknown: the row's aggregates are missing). */
export function cutoffValues(target: Table, targetName: string, cutoff: Cutoff): Float64Array {
  if ('column' in cutoff) return timeValues(target, targetName, cutoff.column);
  const ms = parseFixedDate(cutoff.fixed, 'recipe cutoff');
  return new Float64Array(target.nRows).fill(ms);
}

export function missingColumn(table: Table, tableName: string, column: string): FeatureError {
  const names = table.columns.map((c) => c.name);
  const shown = names.slice(0, 12).join(', ') + (names.length > 12 ? `, … (${names.length} columns)` : '');
  return new FeatureError(
    'missing-column',
    `table '${tableName}' has no column '${column}' (columns: ${shown})`,
  );
}
