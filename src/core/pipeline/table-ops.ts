/** Small helpers the steps share: find, replace and add columns without copying the others. */
import { boolLabel, type Column, type DictColumn, type Float64Column, type Table } from '../data/table.ts';
import { PipelineError } from './types.ts';

export function getColumn(table: Table, name: string, step: string): Column {
  const col = table.columns.find((c) => c.name === name);
  if (!col) throw new PipelineError(`column '${name}' is missing from the data`, { step, column: name });
  return col;
}

/** Replaces columns by name (same position) and appends new ones; `null` removes a column. */
export function replaceColumns(
  table: Table,
  replace: ReadonlyMap<string, Column | readonly Column[] | null>,
): Table {
  const columns: Column[] = [];
  for (const c of table.columns) {
    if (!replace.has(c.name)) {
      columns.push(c);
      continue;
    }
    const r = replace.get(c.name);
    if (r === null || r === undefined) continue;
    if (Array.isArray(r)) columns.push(...(r as Column[]));
    else columns.push(r as Column);
  }
  return { nRows: table.nRows, columns };
}

export function floatColumn(
  name: string,
  values: Float64Array,
  type: 'numeric' | 'integer' = 'numeric',
): Float64Column {
  return { name, type, storage: 'float64', values };
}

export function dictColumn(name: string, codes: Int32Array, dictionary: readonly string[]): DictColumn {
  return { name, type: 'categorical', storage: 'dict', codes, dictionary };
}

/** The column as numbers (bool 0/1, datetime epoch ms, float as is); dict columns are an error. */
export function numericValues(col: Column, step: string): Float64Array {
  switch (col.storage) {
    case 'float64':
    case 'datetime':
      return col.values;
    case 'bool': {
      const out = new Float64Array(col.values.length);
      for (let i = 0; i < out.length; i++) out[i] = col.values[i] === 255 ? NaN : col.values[i];
      return out;
    }
    case 'dict':
      throw new PipelineError(`column '${col.name}' holds text; it needs an encoder before this step`, {
        step,
        column: col.name,
      });
  }
}

/** Category labels per row as strings, for dict and bool columns (null = missing). */
export function categoryLabels(col: Column): { labels: readonly string[]; codes: Int32Array } {
  if (col.storage === 'dict') return { labels: col.dictionary, codes: col.codes };
  if (col.storage === 'bool') {
    const codes = new Int32Array(col.values.length);
    for (let i = 0; i < codes.length; i++) codes[i] = col.values[i] === 255 ? -1 : col.values[i];
    return { labels: [boolLabel(col, 0), boolLabel(col, 1)], codes };
  }
  // numbers used as categories: label = the number's text
  const values = col.values;
  const index = new Map<number, number>();
  const labels: string[] = [];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) {
      codes[i] = -1;
      continue;
    }
    let c = index.get(v);
    if (c === undefined) {
      c = labels.length;
      index.set(v, c);
      labels.push(String(v));
    }
    codes[i] = c;
  }
  return { labels, codes };
}

/** Counts of each label (by text), most frequent first, ties by label for determinism. */
export function labelCounts(col: Column): [string, number][] {
  const { labels, codes } = categoryLabels(col);
  const counts = new Float64Array(labels.length);
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) counts[codes[i]]++;
  const merged = new Map<string, number>();
  for (let c = 0; c < labels.length; c++)
    if (counts[c] > 0) merged.set(labels[c], (merged.get(labels[c]) ?? 0) + counts[c]);
  return [...merged.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
