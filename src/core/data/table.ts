/**
 * The columnar table: every column a typed array, never an array of row objects.
 *
 * Storage is separate from the semantic type: an `integer` and a `numeric` column are both
 * Float64Array; `categorical`, `text` and `id` columns with string values are dictionary-encoded.
 * Missing values: NaN (float64, datetime), -1 (dict codes), 255 (bool).
 */

export type SemanticType = 'numeric' | 'integer' | 'boolean' | 'categorical' | 'datetime' | 'text' | 'id';

export const SEMANTIC_TYPES: readonly SemanticType[] = [
  'numeric',
  'integer',
  'boolean',
  'categorical',
  'datetime',
  'text',
  'id',
];

interface ColumnBase {
  readonly name: string;
  readonly type: SemanticType;
}

/** Numbers (types `numeric`, `integer`, or a numeric `id`). NaN = missing. */
export interface Float64Column extends ColumnBase {
  readonly storage: 'float64';
  readonly values: Float64Array;
}

/** Strings, dictionary-encoded (types `categorical`, `text`, `id`). Code -1 = missing. */
export interface DictColumn extends ColumnBase {
  readonly storage: 'dict';
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

/** Booleans: 0 = false, 1 = true, 255 = missing. */
export interface BoolColumn extends ColumnBase {
  readonly storage: 'bool';
  readonly values: Uint8Array;
  /** The text the file used for false and true (e.g. ['No', 'Yes']), when known. */
  readonly labels?: readonly [string, string];
}

/** The text for a boolean value: the file's own spelling when known, else 'false' / 'true'. */
export function boolLabel(col: BoolColumn, v: number): string {
  return col.labels ? col.labels[v] : v === 1 ? 'true' : 'false';
}

/** Datetimes as epoch milliseconds (UTC). NaN = missing. `format` names the parsed text format. */
export interface DatetimeColumn extends ColumnBase {
  readonly storage: 'datetime';
  readonly values: Float64Array;
  readonly format: string;
}

export type Column = Float64Column | DictColumn | BoolColumn | DatetimeColumn;

export interface Table {
  readonly nRows: number;
  readonly columns: readonly Column[];
}

export const BOOL_MISSING = 255;
export const DICT_MISSING = -1;

export function columnByName(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}

export function isMissing(col: Column, i: number): boolean {
  switch (col.storage) {
    case 'float64':
    case 'datetime':
      return Number.isNaN(col.values[i]);
    case 'dict':
      return col.codes[i] < 0;
    case 'bool':
      return col.values[i] === BOOL_MISSING;
  }
}

export function missingCount(col: Column): number {
  let n = 0;
  const len = columnLength(col);
  for (let i = 0; i < len; i++) if (isMissing(col, i)) n++;
  return n;
}

export function columnLength(col: Column): number {
  return col.storage === 'dict' ? col.codes.length : col.values.length;
}

/** A cell as display text ('' when missing). Datetimes as ISO 8601. */
export function cellText(col: Column, i: number): string {
  if (isMissing(col, i)) return '';
  switch (col.storage) {
    case 'float64':
      return String(col.values[i]);
    case 'datetime':
      return new Date(col.values[i]).toISOString();
    case 'dict':
      return col.dictionary[col.codes[i]];
    case 'bool':
      return boolLabel(col, col.values[i]);
  }
}

/** The ArrayBuffers behind a table, for transferring it to or from a worker without copying. */
export function tableTransferables(table: Table): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const c of table.columns) {
    const buf = c.storage === 'dict' ? c.codes.buffer : c.values.buffer;
    if (buf instanceof ArrayBuffer && !out.includes(buf)) out.push(buf);
  }
  return out;
}
