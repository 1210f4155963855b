/** Build small columnar tables from plain arrays, for tests. */
import type { Column, SemanticType, Table } from '../../src/core/data/table.ts';

export function num(name: string, values: (number | null)[], type: SemanticType = 'numeric'): Column {
  return { name, type, storage: 'float64', values: Float64Array.from(values, (v) => (v === null ? NaN : v)) };
}

export function cat(name: string, values: (string | null)[], type: SemanticType = 'categorical'): Column {
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const codes = Int32Array.from(values, (v) => {
    if (v === null) return -1;
    let c = index.get(v);
    if (c === undefined) {
      c = dictionary.length;
      index.set(v, c);
      dictionary.push(v);
    }
    return c;
  });
  return { name, type, storage: 'dict', codes, dictionary };
}

export function bool(name: string, values: (boolean | null)[]): Column {
  return {
    name,
    type: 'boolean',
    storage: 'bool',
    values: Uint8Array.from(values, (v) => (v === null ? 255 : v ? 1 : 0)),
  };
}

export function date(name: string, isoValues: (string | null)[]): Column {
  return {
    name,
    type: 'datetime',
    storage: 'datetime',
    format: 'iso',
    values: Float64Array.from(isoValues, (v) => (v === null ? NaN : Date.parse(v))),
  };
}

export function table(...columns: Column[]): Table {
  const nRows = columns.length
    ? columns[0].storage === 'dict'
      ? columns[0].codes.length
      : columns[0].values.length
    : 0;
  return { nRows, columns };
}

/** Feature j of a column-major matrix as a plain array. */
export function feature(
  m: { nRows: number; data: Float32Array; featureNames: readonly string[] },
  name: string,
): number[] {
  const j = m.featureNames.indexOf(name);
  if (j < 0) throw new Error(`no feature ${name} in ${m.featureNames.join(', ')}`);
  return Array.from(m.data.subarray(j * m.nRows, (j + 1) * m.nRows));
}
