/**
 * Histograms for numeric and datetime columns.
 *
 * - Integer data spanning at most `maxBins` values: one bin per integer, centred on it
 *   (lo = v − 0.5, hi = v + 0.5), empty integers in between included.
 * - Otherwise equal-width bins with "nice" edges (width 1, 2, 2.5 or 5 × 10^k, the one whose bin
 *   count is closest to `targetBins` on a log scale), the first edge a multiple of the width at or
 *   below the minimum. A value on an inner edge goes to the bin above; the maximum always lands in
 *   the last bin.
 * - All values equal: one bin [v, v].
 * Non-finite values (±Infinity) are not binned.
 */
import type { HistogramBin } from './types.ts';

export const DEFAULT_HISTOGRAM_BINS = 24;

/**
 * Histogram of `values` (NaN skipped). `integral`: every finite value is an integer. `sorted`: the
 * values are ascending without NaN, so bins are counted by binary search instead of a full pass
 * (same bins and counts as the unsorted path).
 */
export function histogram(
  values: ArrayLike<number>,
  targetBins: number = DEFAULT_HISTOGRAM_BINS,
  integral = false,
  niceEdges = true,
  sorted = false,
): HistogramBin[] {
  if (!(Number.isInteger(targetBins) && targetBins >= 1)) {
    throw new Error(`histogram bin count must be a positive integer, got ${targetBins}`);
  }
  const n = values.length;
  let min = Infinity;
  let max = -Infinity;
  // Index range of the finite values (sorted input only).
  let first = 0;
  let last = n - 1;
  if (sorted) {
    while (first < n && values[first] === -Infinity) first++;
    while (last >= first && values[last] === Infinity) last--;
    if (first <= last) {
      min = values[first];
      max = values[last];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== v || v === Infinity || v === -Infinity) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) return [];
  const count = (k: number, binOf: (v: number) => number): Float64Array => {
    const counts = new Float64Array(k);
    if (sorted) {
      // bound(j) = first index in [first, last + 1) whose bin is ≥ j (bins are monotone in v).
      let prev = first;
      for (let j = 1; j <= k; j++) {
        let lo = prev;
        let hi = last + 1;
        if (j < k) {
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (binOf(values[mid]) < j) lo = mid + 1;
            else hi = mid;
          }
        } else lo = last + 1;
        counts[j - 1] = lo - prev;
        prev = lo;
      }
      return counts;
    }
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v >= min && v <= max) counts[binOf(v)]++;
    }
    return counts;
  };
  const raw = max / targetBins - min / targetBins; // no overflow for spans near ±1.8e308
  if (min === max || !(raw > 1e-300 && Number.isFinite(raw))) {
    // One value, or a span too small (or too large) for arithmetic on edges: a single bin.
    return [{ lo: min, hi: max, count: count(1, () => 0)[0] }];
  }
  if (integral && max - min + 1 <= Math.max(targetBins, 30)) {
    const k = max - min + 1;
    const counts = count(k, (v) => v - min);
    const bins: HistogramBin[] = [];
    for (let j = 0; j < k; j++) bins.push({ lo: min + j - 0.5, hi: min + j + 0.5, count: counts[j] });
    return bins;
  }
  let start: number;
  let width: number;
  let k: number;
  if (niceEdges) {
    width = niceWidth(raw);
    start = Math.floor(min / width) * width;
    if (start > min) start -= width; // underflow in min / width
    k = Math.max(1, Math.ceil((max - start) / width));
    if (start + k * width < max) k++;
  } else {
    width = raw;
    start = min;
    k = targetBins;
  }
  const counts = count(k, (v) => {
    const j = Math.floor((v - start) / width);
    return j >= k ? k - 1 : j < 0 ? 0 : j;
  });
  const bins: HistogramBin[] = [];
  for (let j = 0; j < k; j++) {
    let lo = j === 0 && !niceEdges ? min : tidy(start + j * width);
    let hi = j === k - 1 && !niceEdges ? max : tidy(start + (j + 1) * width);
    if (j === 0 && lo > min) lo = min; // rounding of the edge must not cut off the minimum
    if (j === k - 1 && hi < max) hi = max;
    bins.push({ lo, hi, count: counts[j] });
  }
  return bins;
}

/** The width among {1, 2, 2.5, 5} × 10^k closest to `raw` on a log scale. */
export function niceWidth(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw))
    throw new Error(`bin width must be positive and finite, got ${raw}`);
  const exp = Math.floor(Math.log10(raw));
  let best = NaN;
  let bestDist = Infinity;
  for (const e of [exp - 1, exp, exp + 1]) {
    for (const m of [1, 2, 2.5, 5]) {
      const w = m * Math.pow(10, e);
      const d = Math.abs(Math.log(w / raw));
      if (d < bestDist) {
        bestDist = d;
        best = w;
      }
    }
  }
  return tidy(best);
}

/** Rounds away binary noise such as 0.30000000000000004. */
function tidy(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(12));
}
