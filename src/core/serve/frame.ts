/**
 * Request bodies as a frame (column names + rows of cells), from MLflow's JSON input shapes:
 *   {"dataframe_records": [{"col": v, …}, …]}            rows as objects (pandas orient="records")
 *   {"dataframe_split": {"columns": [...], "data": [[...], …]}}   (pandas orient="split"; "index" ignored)
 *   {"inputs": {"col": [v, …], …}}                         columnar
 *   {"inputs": [{…}, …]} or {"instances": [{…}, …]}        rows as objects (TF serving style)
 *   [{…}, …]                                               a bare list of row objects
 * A row object lacking a key has a missing value there (as pandas reads it). Each problem is a
 * ServeError naming the row (0-based, as in the request) and the column.
 */
import { ServeError, badInput, showValue } from './errors.ts';
import { jsonSyntaxProblem } from './json-syntax.ts';

export type Cell = string | number | boolean | null;

export interface Frame {
  readonly columns: readonly string[];
  /** Row-major; each row has one cell per column. */
  readonly rows: readonly (readonly Cell[])[];
  /** Which JSON shape the body used (for the request log). */
  readonly shape: 'dataframe_records' | 'dataframe_split' | 'inputs' | 'instances' | 'records';
}

export const JSON_SHAPES = ['dataframe_records', 'dataframe_split', 'inputs', 'instances'] as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function cell(v: unknown, row: number, column: string): Cell {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    // JSON.parse turns a number beyond ±1.8e308 into ±Infinity.
    if (!Number.isFinite(v))
      throw new ServeError(
        400,
        'BAD_VALUE',
        `row ${row}, column ${JSON.stringify(column)}: the number is too large (beyond ±1.8e308, it overflows a 64-bit float)`,
        { row, column },
      );
    return v;
  }
  throw new ServeError(
    400,
    'BAD_VALUE',
    `row ${row}, column ${JSON.stringify(column)}: expected a single value (number, string, boolean or null), got ${showValue(v)}`,
    { row, column },
  );
}

function fromRecords(list: readonly unknown[], where: string, shape: Frame['shape']): Frame {
  const columns: string[] = [];
  const index = new Map<string, number>();
  list.forEach((r, i) => {
    if (!isObject(r))
      throw badInput(`${where}[${i}] must be an object of column → value, got ${showValue(r)}`, { row: i });
    for (const k of Object.keys(r))
      if (!index.has(k)) {
        index.set(k, columns.length);
        columns.push(k);
      }
  });
  const rows = list.map((r, i) => {
    const obj = r as Record<string, unknown>;
    const out: Cell[] = new Array<Cell>(columns.length).fill(null);
    for (const k of Object.keys(obj)) out[index.get(k)!] = cell(obj[k], i, k);
    return out;
  });
  return { columns, rows, shape };
}

function fromSplit(split: unknown): Frame {
  if (!isObject(split))
    throw badInput(
      `dataframe_split must be an object {"columns": [...], "data": [[...], ...]}, got ${showValue(split)}`,
    );
  const unknown = Object.keys(split).filter((k) => !['columns', 'data', 'index'].includes(k));
  if (unknown.length)
    throw badInput(
      `dataframe_split has unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} (it takes columns, data and index)`,
    );
  const { columns, data } = split;
  if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string'))
    throw badInput('dataframe_split.columns must be a list of column names (strings)');
  if (!Array.isArray(data)) throw badInput('dataframe_split.data must be a list of rows (lists of values)');
  const names = columns as string[];
  const rows = data.map((r, i) => {
    if (!Array.isArray(r))
      throw badInput(`dataframe_split.data[${i}] must be a list of values, got ${showValue(r)}`, { row: i });
    if (r.length !== names.length)
      throw badInput(
        `dataframe_split.data[${i}] has ${r.length} value${r.length === 1 ? '' : 's'} but there ${names.length === 1 ? 'is 1 column' : `are ${names.length} columns`}`,
        { row: i },
      );
    return r.map((v, j) => cell(v, i, names[j]));
  });
  return { columns: names, rows, shape: 'dataframe_split' };
}

function fromColumns(cols: Record<string, unknown>): Frame {
  const columns = Object.keys(cols);
  let n = -1;
  let first = '';
  for (const c of columns) {
    const v = cols[c];
    if (!Array.isArray(v))
      throw badInput(
        `inputs.${JSON.stringify(c)} must be a list of values (one per row), got ${showValue(v)}`,
        { column: c },
      );
    if (n === -1) {
      n = v.length;
      first = c;
    } else if (v.length !== n)
      throw badInput(
        `inputs: column ${JSON.stringify(c)} has ${v.length} value${v.length === 1 ? '' : 's'} but column ${JSON.stringify(first)} has ${n}`,
        { column: c },
      );
  }
  const rows: Cell[][] = [];
  for (let i = 0; i < Math.max(n, 0); i++)
    rows.push(columns.map((c) => cell((cols[c] as unknown[])[i], i, c)));
  return { columns, rows, shape: 'inputs' };
}

/** A parsed JSON body as a frame. */
export function frameFromJson(body: unknown): Frame {
  if (Array.isArray(body)) return fromRecords(body, 'the body', 'records');
  if (!isObject(body))
    throw badInput(
      `the JSON body must be an object with one of ${JSON_SHAPES.join(', ')} (or a list of row objects), got ${showValue(body)}`,
    );
  const keys = Object.keys(body);
  const params = body.params;
  if (params !== undefined && !(isObject(params) && Object.keys(params).length === 0))
    throw badInput('this model takes no params (send none, or an empty object)');
  const known = keys.filter((k) => (JSON_SHAPES as readonly string[]).includes(k));
  const unknown = keys.filter((k) => k !== 'params' && !known.includes(k));
  if (unknown.length)
    throw badInput(
      `unknown key${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => JSON.stringify(k)).join(', ')} in the body ` +
        `(it takes one of ${JSON_SHAPES.join(', ')})`,
    );
  if (known.length !== 1)
    throw badInput(
      known.length === 0
        ? `the body has none of ${JSON_SHAPES.join(', ')}`
        : `the body has ${known.join(' and ')}: send exactly one`,
    );
  const key = known[0];
  const v = body[key];
  switch (key) {
    case 'dataframe_split':
      return fromSplit(v);
    case 'inputs':
      if (isObject(v)) return fromColumns(v);
      if (Array.isArray(v)) return fromRecords(v, 'inputs', 'inputs');
      throw badInput(
        `inputs must be an object of column → list of values, or a list of row objects; got ${showValue(v)}`,
      );
    default:
      if (!Array.isArray(v)) throw badInput(`${key} must be a list of row objects, got ${showValue(v)}`);
      return fromRecords(v, key, key as Frame['shape']);
  }
}

/** Parses a JSON body text (already decoded); a syntax error names its line and column. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // (checked only on failure: a body of white space is never valid JSON)
    if (text.trim() === '') throw new ServeError(400, 'EMPTY_BODY', 'the request body is empty');
    const p = jsonSyntaxProblem(text);
    throw new ServeError(
      400,
      'MALFORMED_JSON',
      p ? `malformed JSON at line ${p.line}, column ${p.column}: ${p.reason}` : 'malformed JSON',
      p ? { line: p.line, position: p.column } : {},
    );
  }
}
