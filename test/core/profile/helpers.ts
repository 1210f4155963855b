/** Builders for tables in profile tests, and a minimal CSV reader for the shared datasets. */
import { readFileSync } from 'node:fs';
import Papa from 'papaparse';
import type {
  BoolColumn,
  Column,
  DatetimeColumn,
  DictColumn,
  Float64Column,
  SemanticType,
  Table,
} from '../../../src/core/data/table.ts';

/** Numbers; null/undefined → missing (NaN). Type 'integer' when every value is whole, unless given. */
export function num(
  name: string,
  values: readonly (number | null | undefined)[],
  type?: SemanticType,
): Float64Column {
  const arr = Float64Array.from(values, (v) => (v === null || v === undefined ? NaN : v));
  const whole = arr.every((v) => Number.isNaN(v) || Number.isInteger(v));
  return { name, type: type ?? (whole ? 'integer' : 'numeric'), storage: 'float64', values: arr };
}

/** Strings, dictionary-encoded in first-seen order; null/undefined/'' → missing. */
export function cat(
  name: string,
  values: readonly (string | null | undefined)[],
  type: SemanticType = 'categorical',
): DictColumn {
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const codes = new Int32Array(values.length);
  values.forEach((v, i) => {
    if (v === null || v === undefined || v === '') {
      codes[i] = -1;
      return;
    }
    let c = index.get(v);
    if (c === undefined) {
      c = dictionary.length;
      dictionary.push(v);
      index.set(v, c);
    }
    codes[i] = c;
  });
  return { name, type, storage: 'dict', codes, dictionary };
}

export function bool(name: string, values: readonly (boolean | null | undefined)[]): BoolColumn {
  return {
    name,
    type: 'boolean',
    storage: 'bool',
    values: Uint8Array.from(values, (v) => (v === true ? 1 : v === false ? 0 : 255)),
  };
}

/** ISO strings or epoch ms; null → missing. */
export function date(name: string, values: readonly (string | number | null)[]): DatetimeColumn {
  return {
    name,
    type: 'datetime',
    storage: 'datetime',
    format: 'iso',
    values: Float64Array.from(values, (v) => (v === null ? NaN : typeof v === 'number' ? v : Date.parse(v))),
  };
}

export function table(...columns: Column[]): Table {
  const nRows =
    columns.length === 0
      ? 0
      : columns[0].storage === 'dict'
        ? columns[0].codes.length
        : columns[0].values.length;
  return { nRows, columns };
}

/**
 * Reads a simple RFC 4180 CSV (header row, empty field = missing) into a Table: a column whose
 * values all parse as numbers is numeric ('integer' if all whole), all yyyy-mm-dd → datetime,
 * anything else categorical.
 */
export function readCsvTable(path: string): Table {
  const parsed = Papa.parse<string[]>(readFileSync(path, 'utf8'), { skipEmptyLines: true });
  if (parsed.errors.length > 0) throw new Error(`${path}: ${parsed.errors[0].message}`);
  const [header, ...rows] = parsed.data;
  const columns: Column[] = header.map((name, j) => {
    const cells = rows.map((r) => r[j] ?? '');
    const present = cells.filter((c) => c !== '');
    if (present.length > 0 && present.every((c) => /^\d{4}-\d{2}-\d{2}$/.test(c))) {
      return date(
        name,
        cells.map((c) => (c === '' ? null : c)),
      );
    }
    if (present.length > 0 && present.every((c) => c.trim() !== '' && Number.isFinite(Number(c)))) {
      return num(
        name,
        cells.map((c) => (c === '' ? null : Number(c))),
      );
    }
    return cat(name, cells);
  });
  return { nRows: rows.length, columns };
}
