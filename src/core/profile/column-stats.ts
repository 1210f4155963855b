/**
 * Per-column statistics: counts, missing, distinct values, top values, numeric summaries
 * (quantiles by linear interpolation, sample standard deviation), datetime ranges with UTC
 * weekday/month breakdowns, and text lengths. One pass over a typed array per statistic; numeric
 * and datetime columns are summarised from one sorted copy of their non-missing values.
 */
import { BOOL_MISSING, boolLabel, type Column, type DictColumn, type Table } from '../data/table.ts';
import { histogram, DEFAULT_HISTOGRAM_BINS } from './histogram.ts';
import { quantileSorted } from './quantiles.ts';
import { sortFloat64, type SortScratch } from './sort.ts';
import { TopK } from './top-k.ts';
import type { ColumnProfile, DatetimeStats, NumericStats, TopValue } from './types.ts';

export const MAX_TOP_VALUES = 20;

/** A column profile plus facts the warnings and target logic need. */
export interface ColumnInfo {
  readonly index: number;
  readonly column: Column;
  readonly profile: ColumnProfile;
  readonly nonMissing: number;
  /** Float64 storage and every non-missing value is an integer. */
  readonly integral: boolean;
  /** A distinct value per row: a key rather than a feature (see `isIdLike`). */
  readonly idLike: boolean;
}

export interface ColumnStatsOptions {
  readonly histogramBins?: number;
}

export function profileColumns(table: Table, options: ColumnStatsOptions = {}): ColumnInfo[] {
  validateTable(table);
  const scratch: SortScratch = {};
  return table.columns.map((c, i) =>
    profileColumn(c, i, options.histogramBins ?? DEFAULT_HISTOGRAM_BINS, scratch),
  );
}

/** Throws a specific error when a table is malformed (column length mismatch, bad dictionary codes). */
export function validateTable(table: Table): void {
  if (!table || !Array.isArray(table.columns))
    throw new Error('profile: expected a table with a columns array');
  if (!Number.isInteger(table.nRows) || table.nRows < 0) {
    throw new Error(`profile: table.nRows must be a non-negative integer, got ${table.nRows}`);
  }
  for (const c of table.columns) {
    const len = c.storage === 'dict' ? c.codes.length : c.values.length;
    if (len !== table.nRows) {
      throw new Error(`profile: column '${c.name}' has ${len} values but the table has ${table.nRows} rows`);
    }
  }
}

export function profileColumn(
  col: Column,
  index: number,
  bins: number,
  scratch: SortScratch = {},
): ColumnInfo {
  switch (col.storage) {
    case 'float64':
      return profileFloat(col.values, col, index, bins, false, scratch);
    case 'datetime':
      return profileFloat(col.values, col, index, bins, true, scratch);
    case 'dict':
      return profileDict(col, index);
    case 'bool':
      return profileBool(col.values, col, index);
  }
}

function base(col: Column, count: number, missing: number) {
  return {
    name: col.name,
    type: col.type,
    count,
    missing,
    missingPct: count === 0 ? 0 : (100 * missing) / count,
  };
}

function keepTop(distinct: number, count: number): boolean {
  return count >= 2 || distinct <= MAX_TOP_VALUES;
}

function profileFloat(
  values: Float64Array,
  col: Column,
  index: number,
  bins: number,
  isDate: boolean,
  scratch: SortScratch,
): ColumnInfo {
  const n = values.length;
  const buf = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === v) buf[m++] = v;
  }
  const sorted = m === n ? buf : buf.subarray(0, m);
  sortFloat64(sorted, scratch);

  // Distinct values, the most frequent ones and integrality from runs of the sorted copy.
  let distinct = 0;
  let integral = !isDate;
  const top = new TopK(MAX_TOP_VALUES);
  for (let i = 0; i < m;) {
    const v = sorted[i];
    let j = i + 1;
    while (j < m && sorted[j] === v) j++;
    distinct++;
    top.offer(v, j - i);
    if (integral && Math.floor(v) !== v) integral = false;
    i = j;
  }
  const topValues: TopValue[] = [];
  for (let t = 0; t < top.keys.length; t++) {
    if (!keepTop(distinct, top.counts[t])) continue;
    const v = top.keys[t];
    topValues.push({ value: isDate ? isoText(v) : String(v), count: top.counts[t] });
  }
  const info = { ...base(col, n, n - m), distinct, top: topValues };
  const idLike = isIdLike(col, m, distinct, integral, m > 0 ? sorted[m - 1] - sorted[0] + 1 : 0);

  if (isDate) {
    const datetime = m === 0 ? undefined : datetimeStats(sorted, bins);
    return { index, column: col, profile: { ...info, datetime }, nonMissing: m, integral: false, idLike };
  }
  const numeric = m === 0 ? undefined : numericStats(sorted, bins, integral);
  return { index, column: col, profile: { ...info, numeric }, nonMissing: m, integral, idLike };
}

/** Summary of ascending, non-empty `sorted`. Standard deviation with n − 1 (0 for one value). */
export function numericStats(sorted: Float64Array, bins: number, integral: boolean): NumericStats {
  const m = sorted.length;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    sum += sorted[i];
    if (sorted[i] === 0) zeros++;
  }
  const mean = sum / m;
  let ss = 0;
  for (let i = 0; i < m; i++) {
    const d = sorted[i] - mean;
    ss += d * d;
  }
  return {
    min: sorted[0],
    max: sorted[m - 1],
    mean,
    std: m > 1 ? Math.sqrt(ss / (m - 1)) : 0,
    p1: quantileSorted(sorted, 0.01),
    p25: quantileSorted(sorted, 0.25),
    p50: quantileSorted(sorted, 0.5),
    p75: quantileSorted(sorted, 0.75),
    p99: quantileSorted(sorted, 0.99),
    zeros,
    histogram: histogram(sorted, bins, integral, true, true),
  };
}

const DAY_MS = 86_400_000;

function datetimeStats(sorted: Float64Array, bins: number): DatetimeStats {
  const weekdays = [0, 0, 0, 0, 0, 0, 0];
  const months = new Array<number>(12).fill(0);
  const m = sorted.length;
  for (let i = 0; i < m;) {
    // Runs of equal instants share one calendar computation.
    let j = i + 1;
    while (j < m && sorted[j] === sorted[i]) j++;
    const day = Math.floor(sorted[i] / DAY_MS);
    weekdays[(((day + 3) % 7) + 7) % 7] += j - i; // 1970-01-01 was a Thursday (Monday = 0)
    months[monthOfDay(day)] += j - i;
    i = j;
  }
  return {
    min: sorted[0],
    max: sorted[m - 1],
    weekdays,
    months,
    histogram: histogram(sorted, bins, false, false, true),
  };
}

/** Month (0–11) of a day count since 1970-01-01, proleptic Gregorian (H. Hinnant's civil_from_days). */
export function monthOfDay(day: number): number {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9; // 1..12
  return month - 1;
}

function isoText(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

function profileDict(col: DictColumn, index: number): ColumnInfo {
  const { codes, dictionary } = col;
  const n = codes.length;
  const counts = new Int32Array(dictionary.length);
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const c = codes[i];
    if (c < 0) missing++;
    else if (c >= dictionary.length) {
      throw new Error(
        `profile: column '${col.name}' row ${i} has code ${c} but its dictionary has ${dictionary.length} entries`,
      );
    } else counts[c]++;
  }
  let distinct = 0;
  const top = new TopK(MAX_TOP_VALUES);
  let lenSum = 0;
  let maxLength = 0;
  const isText = col.type === 'text';
  for (let c = 0; c < counts.length; c++) {
    const k = counts[c];
    if (k === 0) continue;
    distinct++;
    top.offer(c, k);
    if (isText) {
      const len = charLength(dictionary[c]);
      lenSum += len * k;
      if (len > maxLength) maxLength = len;
    }
  }
  const m = n - missing;
  const topValues: TopValue[] = [];
  for (let t = 0; t < top.keys.length; t++) {
    if (keepTop(distinct, top.counts[t]))
      topValues.push({ value: dictionary[top.keys[t]], count: top.counts[t] });
  }
  const profile: ColumnProfile = {
    ...base(col, n, missing),
    distinct,
    top: topValues,
    ...(isText ? { text: { meanLength: m === 0 ? 0 : lenSum / m, maxLength } } : {}),
  };
  return {
    index,
    column: col,
    profile,
    nonMissing: m,
    integral: false,
    idLike: isIdLike(col, m, distinct, false, 0),
  };
}

/** Length in Unicode code points (a surrogate pair counts once). */
function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u >= 0xdc00 && u <= 0xdfff) n--;
  }
  return n;
}

function profileBool(values: Uint8Array, col: Column, index: number): ColumnInfo {
  const n = values.length;
  let t = 0;
  let f = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === 1) t++;
    else if (v === 0) f++;
    else if (v !== BOOL_MISSING) {
      throw new Error(`profile: boolean column '${col.name}' row ${i} holds ${v} (expected 0, 1 or 255)`);
    }
  }
  const top: TopValue[] = [];
  if (f > 0) top.push({ value: col.storage === 'bool' ? boolLabel(col, 0) : 'false', count: f });
  if (t > 0) top.push({ value: col.storage === 'bool' ? boolLabel(col, 1) : 'true', count: t });
  top.sort((a, b) => b.count - a.count);
  const profile: ColumnProfile = {
    ...base(col, n, n - t - f),
    distinct: (t > 0 ? 1 : 0) + (f > 0 ? 1 : 0),
    top,
  };
  return { index, column: col, profile, nonMissing: t + f, integral: false, idLike: false };
}

const ID_NAME = /(^|[^a-z])(id|ids|key|uuid|guid|index|idx|rowid)([^a-z]|$)|[a-z]I[dD]$|Id$/;

/** True when the name reads like an identifier: "id", "customer_id", "CustomerID", "row index". */
export function nameLooksLikeId(name: string): boolean {
  return ID_NAME.test(name) || ID_NAME.test(name.toLowerCase());
}

/**
 * A distinct value in every non-missing row (at least 3 rows), for strings (categorical/id, not
 * free text) or integers. Integers must also be dense (range ≤ 2 × rows, like a row number or a
 * sequence of account numbers) or be named like an identifier, so that a measurement that happens
 * to be unique is not flagged. Columns typed `id` by ingest are always id-like. Floats with
 * fractions and datetimes never are.
 */
export function isIdLike(
  col: Column,
  nonMissing: number,
  distinct: number,
  integral: boolean,
  range: number,
): boolean {
  if (col.type === 'id') return true;
  if (nonMissing < 3 || distinct !== nonMissing) return false;
  if (col.storage === 'dict') return col.type !== 'text';
  if (col.storage === 'float64' && integral) return range <= 2 * nonMissing || nameLooksLikeId(col.name);
  return false;
}
