/**
 * Point-in-time aggregation of child rows per target row, columnar and deterministic.
 *
 * The child rows are sorted once by (entity, time, row index) — a counting sort by entity (stable, so row
 * order is kept) then a sort of each entity's segment by (time, row index). For a target row with cutoff
 * c, its rows are the segment's rows with time < c (and ≥ c − window for a window), found by binary
 * search; every aggregate reads them in that fixed order, so sums are added in the same order in every
 * runtime and the bits are the same in Node and in the browser. A child row exactly at the cutoff never
 * contributes. Empty windows: count and distinct_count are 0, every other aggregate is missing (NaN).
 */
import type { Aggregation } from './types.ts';
import { MS_PER_DAY } from './types.ts';

export interface ChildIndex {
  /** Child rows, grouped by entity, each group by (time, row index). */
  readonly order: Int32Array;
  /** times[k]: the time of order[k] (0 when there is no time index). */
  readonly times: Float64Array;
  /** Entity e holds order[start[e] .. start[e+1]). */
  readonly start: Int32Array;
  /** Child rows left out because their time is missing. */
  readonly missingTime: number;
}

/** `entityOfRow[i]`: the entity (target key code) of child row i, -1 when its key has no match. */
export function indexChildRows(
  entityOfRow: Int32Array,
  nEntities: number,
  time: Float64Array | null,
): ChildIndex {
  const n = entityOfRow.length;
  const start = new Int32Array(nEntities + 1);
  let missingTime = 0;
  for (let i = 0; i < n; i++) {
    const e = entityOfRow[i];
    if (e < 0) continue;
    if (time && Number.isNaN(time[i])) {
      missingTime++;
      continue;
    }
    start[e + 1]++;
  }
  for (let e = 0; e < nEntities; e++) start[e + 1] += start[e];
  const total = start[nEntities];
  const order = new Int32Array(total);
  const fill = start.slice(0, nEntities);
  for (let i = 0; i < n; i++) {
    const e = entityOfRow[i];
    if (e < 0 || (time && Number.isNaN(time[i]))) continue;
    order[fill[e]++] = i;
  }
  const times = new Float64Array(total);
  if (time) {
    const cmp = (a: number, b: number): number => time[a] - time[b] || a - b;
    for (let e = 0; e < nEntities; e++) {
      const s = start[e];
      const t = start[e + 1];
      if (t - s > 1 && !isSorted(order, time, s, t)) order.subarray(s, t).sort(cmp);
    }
    for (let k = 0; k < total; k++) times[k] = time[order[k]];
  }
  return { order, times, start, missingTime };
}

function isSorted(order: Int32Array, time: Float64Array, s: number, t: number): boolean {
  for (let k = s + 1; k < t; k++) if (time[order[k]] < time[order[k - 1]]) return false;
  return true;
}

/** First k in [lo, hi) with times[k] >= x (hi when none). */
function lowerBound(times: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type AggSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'num'; readonly values: Float64Array }
  | {
      readonly kind: 'cat';
      readonly codes: Int32Array;
      /** rank[c]: the position of dictionary[c] in code-unit order (ties of most_frequent go to the lowest). */
      readonly rank: Int32Array;
    };

export interface AggRequest {
  readonly aggregation: Aggregation;
  readonly source: AggSource;
  /** Per target row: its entity, -1 when its key is missing or has no child rows at all. */
  readonly targetEntity: Int32Array;
  /** Per target row: the cutoff (epoch ms); null = all history, no time rule. NaN = unknown → missing. */
  readonly cutoffs: Float64Array | null;
  readonly windowDays?: number;
}

/** Float64 result (NaN = missing), or dictionary codes (-1 = missing) for most_frequent/last of a category. */
export type AggResult =
  | { readonly kind: 'num'; readonly values: Float64Array }
  | { readonly kind: 'cat'; readonly codes: Int32Array };

export function aggregate(index: ChildIndex, req: AggRequest): AggResult {
  const { targetEntity, cutoffs, source, aggregation } = req;
  const nTarget = targetEntity.length;
  const windowMs = req.windowDays === undefined ? -1 : req.windowDays * MS_PER_DAY;
  const { order, times, start } = index;
  const catOut = source.kind === 'cat' && (aggregation === 'most_frequent' || aggregation === 'last');
  const out = new Float64Array(catOut ? 0 : nTarget);
  const codesOut = new Int32Array(catOut ? nTarget : 0);
  // scratch for categorical counting (stamped per target row, never cleared) and numeric sorting
  const nCodes = source.kind === 'cat' ? source.rank.length : 0;
  const stamp = new Int32Array(nCodes);
  const counts = new Int32Array(nCodes);
  let scratch = new Float64Array(16);

  for (let r = 0; r < nTarget; r++) {
    const e = targetEntity[r];
    let lo = 0;
    let hi = 0;
    const cut = cutoffs ? cutoffs[r] : NaN;
    if (cutoffs && Number.isNaN(cut)) {
      if (catOut) codesOut[r] = -1;
      else out[r] = NaN;
      continue;
    }
    if (e >= 0) {
      lo = start[e];
      hi = start[e + 1];
      if (cutoffs) {
        hi = lowerBound(times, lo, hi, cut);
        if (windowMs >= 0) lo = lowerBound(times, lo, hi, cut - windowMs);
      }
    }
    if (catOut) {
      codesOut[r] = catAggregate(
        aggregation,
        source as Extract<AggSource, { kind: 'cat' }>,
        order,
        lo,
        hi,
        r,
        stamp,
        counts,
      );
      continue;
    }
    switch (aggregation) {
      case 'count': {
        if (source.kind === 'none') out[r] = hi - lo;
        else {
          let n = 0;
          for (let k = lo; k < hi; k++) if (!isMissingAt(source, order[k])) n++;
          out[r] = n;
        }
        break;
      }
      case 'time_since_last':
        out[r] = hi > lo && cutoffs ? (cut - times[hi - 1]) / MS_PER_DAY : NaN;
        break;
      case 'distinct_count': {
        if (source.kind === 'cat') {
          let n = 0;
          const st = r + 1;
          for (let k = lo; k < hi; k++) {
            const c = source.codes[order[k]];
            if (c >= 0 && stamp[c] !== st) {
              stamp[c] = st;
              n++;
            }
          }
          out[r] = n;
        } else if (source.kind === 'num') {
          if (scratch.length < hi - lo) scratch = new Float64Array(2 * (hi - lo));
          const m = collect(source.values, order, lo, hi, scratch);
          const s = scratch.subarray(0, m).sort();
          let n = 0;
          for (let k = 0; k < m; k++) if (k === 0 || s[k] !== s[k - 1]) n++;
          out[r] = n;
        } else out[r] = NaN;
        break;
      }
      case 'most_frequent': {
        if (source.kind !== 'num') {
          out[r] = NaN;
          break;
        }
        if (scratch.length < hi - lo) scratch = new Float64Array(2 * (hi - lo));
        const m = collect(source.values, order, lo, hi, scratch);
        const s = scratch.subarray(0, m).sort();
        let best = NaN;
        let bestN = 0;
        for (let k = 0; k < m;) {
          let j = k + 1;
          while (j < m && s[j] === s[k]) j++;
          if (j - k > bestN) {
            bestN = j - k;
            best = s[k];
          }
          k = j;
        }
        out[r] = best;
        break;
      }
      default:
        out[r] = source.kind === 'num' ? numAggregate(aggregation, source.values, order, lo, hi) : NaN;
    }
  }
  return catOut ? { kind: 'cat', codes: codesOut } : { kind: 'num', values: out };
}

function isMissingAt(source: AggSource, i: number): boolean {
  if (source.kind === 'num') return Number.isNaN(source.values[i]);
  if (source.kind === 'cat') return source.codes[i] < 0;
  return false;
}

function collect(
  values: Float64Array,
  order: Int32Array,
  lo: number,
  hi: number,
  into: Float64Array,
): number {
  let m = 0;
  for (let k = lo; k < hi; k++) {
    const v = values[order[k]];
    if (!Number.isNaN(v)) into[m++] = v;
  }
  return m;
}

function numAggregate(
  agg: Aggregation,
  values: Float64Array,
  order: Int32Array,
  lo: number,
  hi: number,
): number {
  switch (agg) {
    case 'last': {
      for (let k = hi - 1; k >= lo; k--) {
        const v = values[order[k]];
        if (!Number.isNaN(v)) return v;
      }
      return NaN;
    }
    case 'min':
    case 'max': {
      let best = NaN;
      for (let k = lo; k < hi; k++) {
        const v = values[order[k]];
        if (Number.isNaN(v)) continue;
        if (Number.isNaN(best) || (agg === 'min' ? v < best : v > best)) best = v;
      }
      return best;
    }
    case 'sum':
    case 'mean':
    case 'std': {
      let sum = 0;
      let n = 0;
      for (let k = lo; k < hi; k++) {
        const v = values[order[k]];
        if (Number.isNaN(v)) continue;
        sum += v;
        n++;
      }
      if (n === 0) return NaN;
      if (agg === 'sum') return sum;
      const mean = sum / n;
      if (agg === 'mean') return mean;
      if (n < 2) return NaN;
      let ss = 0;
      for (let k = lo; k < hi; k++) {
        const v = values[order[k]];
        if (Number.isNaN(v)) continue;
        const d = v - mean;
        ss += d * d;
      }
      return Math.sqrt(ss / (n - 1));
    }
    default:
      return NaN;
  }
}

function catAggregate(
  agg: Aggregation,
  source: Extract<AggSource, { kind: 'cat' }>,
  order: Int32Array,
  lo: number,
  hi: number,
  r: number,
  stamp: Int32Array,
  counts: Int32Array,
): number {
  const codes = source.codes;
  if (agg === 'last') {
    for (let k = hi - 1; k >= lo; k--) {
      const c = codes[order[k]];
      if (c >= 0) return c;
    }
    return -1;
  }
  // most_frequent: the highest count; ties go to the value first in code-unit order
  const st = r + 1;
  for (let k = lo; k < hi; k++) {
    const c = codes[order[k]];
    if (c < 0) continue;
    if (stamp[c] !== st) {
      stamp[c] = st;
      counts[c] = 0;
    }
    counts[c]++;
  }
  let best = -1;
  for (let k = lo; k < hi; k++) {
    const c = codes[order[k]];
    if (c < 0) continue;
    if (
      best < 0 ||
      counts[c] > counts[best] ||
      (counts[c] === counts[best] && source.rank[c] < source.rank[best])
    )
      best = c;
  }
  return best;
}

/** rank[c]: position of dictionary[c] in code-unit (not locale) order. */
export function codeUnitRank(dictionary: readonly string[]): Int32Array {
  const idx = Array.from(dictionary, (_, i) => i);
  idx.sort((a, b) => (dictionary[a] < dictionary[b] ? -1 : dictionary[a] > dictionary[b] ? 1 : a - b));
  const rank = new Int32Array(dictionary.length);
  idx.forEach((c, i) => (rank[c] = i));
  return rank;
}

/**
 * The value of the `periods`-th latest row before each target row's cutoff (same entity): dictionary codes
 * (-1 missing) for a category, else numbers (NaN missing). The row may itself hold a missing value.
 */
export function lagValues(
  index: ChildIndex,
  targetEntity: Int32Array,
  cutoffs: Float64Array,
  periods: number,
  source: Exclude<AggSource, { kind: 'none' }>,
): AggResult {
  const n = targetEntity.length;
  const { order, times, start } = index;
  const out = source.kind === 'num' ? new Float64Array(n) : new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const e = targetEntity[r];
    const cut = cutoffs[r];
    let k = -1;
    if (e >= 0 && !Number.isNaN(cut)) {
      const lo = start[e];
      const hi = lowerBound(times, lo, start[e + 1], cut);
      if (hi - periods >= lo) k = order[hi - periods];
    }
    if (source.kind === 'num') out[r] = k < 0 ? NaN : source.values[k];
    else out[r] = k < 0 ? -1 : source.codes[k];
  }
  return source.kind === 'num'
    ? { kind: 'num', values: out as Float64Array }
    : { kind: 'cat', codes: out as Int32Array };
}
