/**
 * The reference profile of a model's training data, kept with every run and bundle so that later
 * batches can be checked for drift without the training rows (no raw rows are stored):
 * - numbers (numeric, integer, datetime as epoch ms): count, missing, min/max, mean, std, quantile
 *   bin edges (deciles, repeated edges merged) with the count in each bin (for PSI and charts), the
 *   101 percentiles (for distances and KS from the profile), and — when the column
 *   has at most `EXACT_VALUES_MAX` distinct values — every value with its count (then the
 *   distribution is stored exactly and tests on it are exact);
 * - categories (categorical, boolean, and numbers with few values are also kept this way): the
 *   `TOP_CATEGORIES` most frequent values with counts plus one "other" count, and the number of
 *   distinct values (all values are kept when there are at most that many: exact);
 * - text and id columns: only count and missing share (no distribution is compared for them).
 */
import {
  boolLabel,
  columnLength,
  isMissing,
  type Column,
  type SemanticType,
  type Table,
} from '../data/table.ts';
import { quantileSorted } from '../profile/quantiles.ts';
import { validateJson, type JsonSchema } from '../export/manifest-schema.ts';
import type { Calibration } from './calibration.ts';

export const REFERENCE_BINS = 10;
/** Quantiles kept for the distance and KS computations from the profile: every percentile. */
export const REFERENCE_QUANTILES = 100;
export const EXACT_VALUES_MAX = 50;
export const TOP_CATEGORIES = 50;

interface ReferenceBase {
  readonly name: string;
  readonly type: SemanticType;
  /** Rows in the reference, missing included. */
  readonly rows: number;
  readonly missing: number;
}

export interface NumericReference extends ReferenceBase {
  readonly kind: 'numeric';
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
  readonly distinct: number;
  /** Ascending bin edges; bin i is [edges[i], edges[i+1]) and the last bin is closed. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  /** The 0th, 1st, …, 100th percentiles (numpy's linear rule): each gap holds 1% of the values. */
  readonly quantiles: readonly number[];
  /** Every distinct value with its count, when there are at most EXACT_VALUES_MAX. */
  readonly values?: readonly number[];
  readonly valueCounts?: readonly number[];
}

export interface CategoricalReference extends ReferenceBase {
  readonly kind: 'categorical';
  /** Most frequent first (ties by value). */
  readonly categories: readonly string[];
  readonly counts: readonly number[];
  /** Non-missing rows whose value is not among `categories`. */
  readonly other: number;
  readonly distinct: number;
}

export interface UntrackedReference extends ReferenceBase {
  readonly kind: 'untracked';
}

export type ColumnReference = NumericReference | CategoricalReference | UntrackedReference;

/** What one column's values are for the drift tests. */
export type ColumnValues =
  | { readonly kind: 'numeric'; readonly values: Float64Array }
  | { readonly kind: 'categorical'; readonly labels: readonly (string | null)[] }
  | { readonly kind: 'untracked'; readonly missing: number; readonly rows: number };

/** How a column is compared: numbers as numbers, booleans and categories as labels. */
export function columnValues(col: Column): ColumnValues {
  const n = columnLength(col);
  switch (col.storage) {
    case 'float64':
      if (col.type === 'id') return untracked(col);
      return { kind: 'numeric', values: col.values };
    case 'datetime':
      return { kind: 'numeric', values: col.values };
    case 'bool': {
      const labels = new Array<string | null>(n);
      for (let i = 0; i < n; i++) labels[i] = isMissing(col, i) ? null : boolLabel(col, col.values[i]!);
      return { kind: 'categorical', labels };
    }
    case 'dict': {
      if (col.type === 'text' || col.type === 'id') return untracked(col);
      const labels = new Array<string | null>(n);
      for (let i = 0; i < n; i++) labels[i] = col.codes[i]! < 0 ? null : col.dictionary[col.codes[i]!]!;
      return { kind: 'categorical', labels };
    }
  }
}

function untracked(col: Column): ColumnValues {
  let missing = 0;
  const n = columnLength(col);
  for (let i = 0; i < n; i++) if (isMissing(col, i)) missing++;
  return { kind: 'untracked', missing, rows: n };
}

/** Sorted non-missing values and the missing count. */
export function sortedPresent(values: Float64Array): { sorted: Float64Array; missing: number } {
  let k = 0;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) out[k++] = values[i]!;
  return { sorted: out.subarray(0, k).sort(), missing: values.length - k };
}

/** Value → count, most frequent first (ties by value), missing (null) counted apart. */
export function labelCounts(labels: readonly (string | null)[]): {
  values: string[];
  counts: number[];
  missing: number;
} {
  const m = new Map<string, number>();
  let missing = 0;
  for (const l of labels) {
    if (l === null) missing++;
    else m.set(l, (m.get(l) ?? 0) + 1);
  }
  const entries = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { values: entries.map((e) => e[0]), counts: entries.map((e) => e[1]), missing };
}

/** Counts of sorted values in the bins of `edges` (values outside go to the first/last bin). */
export function binCounts(sorted: Float64Array, edges: readonly number[]): number[] {
  const k = Math.max(1, edges.length - 1);
  const counts = new Array<number>(k).fill(0);
  let b = 0;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    while (b < k - 1 && v >= edges[b + 1]!) b++;
    counts[b]!++;
  }
  return counts;
}

export function numericReference(name: string, type: SemanticType, values: Float64Array): NumericReference {
  const { sorted, missing } = sortedPresent(values);
  const n = sorted.length;
  let mean = 0;
  let m2 = 0;
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    if (i === 0 || v !== sorted[i - 1]) distinct++;
    const d = v - mean;
    mean += d / (i + 1);
    m2 += d * (v - mean);
  }
  const edges: number[] = [];
  for (let q = 0; q <= REFERENCE_BINS && n > 0; q++) {
    const e = quantileSorted(sorted, q / REFERENCE_BINS);
    if (!edges.length || e > edges[edges.length - 1]!) edges.push(e);
  }
  if (edges.length === 1) edges.push(edges[0]!);
  const base: NumericReference = {
    kind: 'numeric',
    name,
    type,
    rows: values.length,
    missing,
    min: n ? sorted[0]! : NaN,
    max: n ? sorted[n - 1]! : NaN,
    mean: n ? mean : NaN,
    std: n ? Math.sqrt(m2 / n) : NaN,
    distinct,
    edges,
    counts: binCounts(sorted, edges),
    quantiles: n
      ? Array.from({ length: REFERENCE_QUANTILES + 1 }, (_, q) =>
          quantileSorted(sorted, q / REFERENCE_QUANTILES),
        )
      : [],
  };
  if (distinct > EXACT_VALUES_MAX || n === 0) return base;
  const vals: number[] = [];
  const cnts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      vals.push(sorted[i]!);
      cnts.push(0);
    }
    cnts[cnts.length - 1]!++;
  }
  return { ...base, values: vals, valueCounts: cnts };
}

export function categoricalReference(
  name: string,
  type: SemanticType,
  labels: readonly (string | null)[],
): CategoricalReference {
  const { values, counts, missing } = labelCounts(labels);
  const kept = Math.min(values.length, TOP_CATEGORIES);
  let other = 0;
  for (let i = kept; i < counts.length; i++) other += counts[i]!;
  return {
    kind: 'categorical',
    name,
    type,
    rows: labels.length,
    missing,
    categories: values.slice(0, kept),
    counts: counts.slice(0, kept),
    other,
    distinct: values.length,
  };
}

/** The reference of one column. */
export function columnReference(col: Column): ColumnReference {
  const v = columnValues(col);
  if (v.kind === 'numeric') return numericReference(col.name, col.type, v.values);
  if (v.kind === 'categorical') return categoricalReference(col.name, col.type, v.labels);
  return { kind: 'untracked', name: col.name, type: col.type, rows: v.rows, missing: v.missing };
}

export interface ReferenceProfile {
  readonly version: 1;
  readonly rows: number;
  /** The model's input columns, in signature order. */
  readonly columns: readonly ColumnReference[];
  /** Out-of-fold (or holdout) predictions: a probability of the positive class, the label or the value. */
  readonly predictions?: ColumnReference;
  readonly target?: ColumnReference;
  /** Validation metrics with their fold spread, e.g. { roc_auc: { mean, std } }. */
  readonly metrics?: Readonly<Record<string, { readonly mean: number; readonly std?: number }>>;
  /**
   * Classifiers: the calibration map fitted on the out-of-fold (or holdout) predictions and their
   * labels (./calibration.ts), applied to a batch's probabilities before CBPE. Absent in bundles
   * made before it existed: the estimate is then made on the raw probabilities and says so.
   */
  readonly calibration?: Calibration;
}

export interface ReferenceOptions {
  /** The input columns to profile (default: every column but the target). */
  readonly columns?: readonly string[];
  readonly target?: string;
  readonly predictions?: Column;
  readonly metrics?: ReferenceProfile['metrics'];
  readonly calibration?: Calibration;
  /**
   * Column references computed earlier from the same table (`columnReference`), used instead of
   * computing them again: a search computes them before its clock-bound part, so the time counts in
   * its budget rather than after it (src/core/jobs/automl.ts).
   */
  readonly columnRefs?: ReadonlyMap<string, ColumnReference>;
}

/** The reference profile of a training table (see the header). */
export function buildReference(table: Table, options: ReferenceOptions = {}): ReferenceProfile {
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const names = options.columns ?? table.columns.map((c) => c.name).filter((n) => n !== options.target);
  const columns = names.map((n) => {
    const c = byName.get(n);
    if (!c) throw new Error(`reference profile: the training data has no column "${n}"`);
    return options.columnRefs?.get(n) ?? columnReference(c);
  });
  const target = options.target !== undefined ? byName.get(options.target) : undefined;
  if (options.target !== undefined && !target) {
    throw new Error(`reference profile: the training data has no target column "${options.target}"`);
  }
  return {
    version: 1,
    rows: table.nRows,
    columns,
    ...(options.predictions ? { predictions: columnReference(options.predictions) } : {}),
    ...(target ? { target: options.columnRefs?.get(target.name) ?? columnReference(target) } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.calibration ? { calibration: options.calibration } : {}),
  };
}

/**
 * The model's predictions as one column, as monitoring compares them: P(positive class) for a binary
 * model, the predicted label for multiclass, the value for regression. `values` is row-major (one
 * column per class for classification); `labels` are the decided class indices (default: argmax).
 */
export function predictionsColumn(
  task: 'binary' | 'multiclass' | 'regression',
  classes: readonly string[] | undefined,
  values: ArrayLike<number>,
  nRows: number,
  labels?: ArrayLike<number>,
): Column {
  if (task === 'regression') {
    return { name: 'prediction', type: 'numeric', storage: 'float64', values: Float64Array.from(values) };
  }
  const width = nRows ? values.length / nRows : 1;
  if (task === 'binary') {
    const p = new Float64Array(nRows);
    for (let i = 0; i < nRows; i++) p[i] = values[i * width + width - 1]!;
    return { name: 'prediction', type: 'numeric', storage: 'float64', values: p };
  }
  const codes = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    if (labels) {
      codes[i] = labels[i]!;
      continue;
    }
    let best = 0;
    for (let k = 1; k < width; k++) if (values[i * width + k]! > values[i * width + best]!) best = k;
    codes[i] = best;
  }
  return {
    name: 'prediction',
    type: 'categorical',
    storage: 'dict',
    codes,
    dictionary: (classes ?? []).map(String),
  };
}

/** The file a bundle keeps its reference profile in (listed and hashed in the manifest). */
export const REFERENCE_FILE = 'reference.json';

const SEMANTIC_TYPES = ['numeric', 'integer', 'boolean', 'categorical', 'datetime', 'text', 'id'];
const numOrNull: JsonSchema = { type: ['number', 'null'] };
const count: JsonSchema = { type: 'integer', minimum: 0 };
const numList: JsonSchema = { type: 'array', items: numOrNull };
const countList: JsonSchema = { type: 'array', items: count };

const COLUMN_REFERENCE_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['kind', 'name', 'type', 'rows', 'missing'],
  properties: {
    kind: { enum: ['numeric', 'categorical', 'untracked'] },
    name: { type: 'string' },
    type: { enum: SEMANTIC_TYPES },
    rows: count,
    missing: count,
    min: numOrNull,
    max: numOrNull,
    mean: numOrNull,
    std: numOrNull,
    distinct: count,
    edges: numList,
    counts: countList,
    quantiles: numList,
    values: numList,
    valueCounts: countList,
    categories: { type: 'array', items: { type: 'string' } },
    other: count,
  },
  additionalProperties: false,
};

const CALIBRATION_MAP_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['kind'],
  properties: {
    kind: { enum: ['isotonic', 'platt', 'identity'] },
    x: { type: 'array', items: { type: 'number' } },
    y: { type: 'array', items: { type: 'number' } },
    a: { type: 'number' },
    b: { type: 'number' },
  },
  additionalProperties: false,
};

const BEFORE_AFTER_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['before', 'after'],
  properties: { before: { type: 'number' }, after: { type: 'number' } },
  additionalProperties: false,
};

const CALIBRATION_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['method', 'rows', 'maps', 'reason'],
  properties: {
    method: { enum: ['isotonic', 'platt', 'none'] },
    rows: count,
    maps: { type: 'array', items: CALIBRATION_MAP_SCHEMA },
    reason: { type: 'string' },
    effect: {
      type: 'object',
      required: ['logLoss', 'brier'],
      properties: {
        logLoss: BEFORE_AFTER_SCHEMA,
        brier: BEFORE_AFTER_SCHEMA,
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

/** JSON Schema of reference.json (format version 1). */
export const REFERENCE_SCHEMA_V1: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'AutoML Studio reference profile, version 1',
  type: 'object',
  required: ['version', 'rows', 'columns'],
  properties: {
    version: { const: 1 },
    rows: count,
    columns: { type: 'array', items: COLUMN_REFERENCE_SCHEMA },
    predictions: COLUMN_REFERENCE_SCHEMA,
    target: COLUMN_REFERENCE_SCHEMA,
    metrics: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['mean'],
        properties: { mean: numOrNull, std: numOrNull },
        additionalProperties: false,
      },
    },
    calibration: CALIBRATION_SCHEMA,
  },
  additionalProperties: false,
};

/** reference.json's text (non-finite numbers as null). */
export function referenceJson(profile: ReferenceProfile): string {
  return (
    JSON.stringify(profile, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) +
    '\n'
  );
}

/** Numeric reference fields whose null stands for NaN (a column with no value). */
const NUMERIC_FIELDS = new Set(['min', 'max', 'mean', 'std']);

/**
 * Reads reference.json: its schema is checked and the numbers written as null (no value) come back as
 * NaN. Throws an Error naming the first problem.
 */
export function parseReference(text: string): ReferenceProfile {
  let value: unknown;
  try {
    value = JSON.parse(text, (k, v: unknown) => (v === null && NUMERIC_FIELDS.has(k) ? NaN : v));
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const problems = validateJson(value, REFERENCE_SCHEMA_V1);
  if (problems.length) throw new Error(problems[0]);
  const profile = value as ReferenceProfile;
  for (const [i, m] of (profile.calibration?.maps ?? []).entries()) {
    const bad =
      m.kind === 'isotonic'
        ? !Array.isArray(m.x) || !Array.isArray(m.y) || m.x.length !== m.y.length
        : m.kind === 'platt' && (typeof m.a !== 'number' || typeof m.b !== 'number');
    if (bad)
      throw new Error(
        `calibration map ${i}: an isotonic map needs x and y of one length, a Platt map a and b`,
      );
  }
  const columns = [profile.predictions, profile.target, ...profile.columns];
  for (const c of columns) {
    if (!c) continue;
    if (c.kind === 'numeric') {
      if (!Array.isArray(c.edges) || !Array.isArray(c.counts) || !Array.isArray(c.quantiles))
        throw new Error(
          `column ${JSON.stringify(c.name)}: a numeric reference needs edges, counts and quantiles`,
        );
      if (c.counts.length !== Math.max(1, c.edges.length - 1))
        throw new Error(
          `column ${JSON.stringify(c.name)}: ${c.counts.length} counts for ${c.edges.length} bin edges`,
        );
      if ((c.values?.length ?? 0) !== (c.valueCounts?.length ?? 0))
        throw new Error(`column ${JSON.stringify(c.name)}: values and valueCounts differ in length`);
    } else if (c.kind === 'categorical') {
      if (!Array.isArray(c.categories) || !Array.isArray(c.counts) || c.categories.length !== c.counts.length)
        throw new Error(`column ${JSON.stringify(c.name)}: categories and counts differ in length`);
    }
  }
  return profile;
}
